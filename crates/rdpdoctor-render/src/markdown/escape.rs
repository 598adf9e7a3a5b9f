//! Text made inert for Markdown (CommonMark with the GitHub extensions:
//! tables, strikethrough, autolinks; and what ticket systems add: `$` maths,
//! `@` mentions), on top of [`crate::safe`]'s control and bidi neutralising.
//!
//! A server chooses its certificate's subject and names, its NTLM names and
//! its error text; a disk image chooses its registry strings and event text.
//! Pasted into a ticket raw, `| x |` splits a table row, `[a](javascript:…)`
//! is a link, `<img src=x onerror=…>` is HTML, `# ` at a line's start is a
//! heading, a newline starts a block, and `https://evil.example` becomes a
//! link by itself. [`text`] backslash-escapes every ASCII punctuation
//! character that opens a Markdown construct (CommonMark 2.4: any ASCII
//! punctuation may be escaped), breaks the extended autolinks (`www.`,
//! `scheme://`), keeps the start of the text from opening a block (a list
//! marker, an ordered-list number, indentation), and never lets a line
//! break through: [`crate::safe`] has already shown it as `\x0a`.
//!
//! Commands go in fenced code blocks ([`fence`]) whose fence is longer than
//! any run of backticks inside, so no line of the command can close it
//! (CommonMark 4.5: the closing fence must be at least as long).

use crate::safe;

/// The longest text [`text`] keeps (sentences are capped shorter by their
/// callers; this is the net).
const MAX_TEXT: usize = 2_000;

/// Text for a paragraph, a list item or a table cell: neutralised for a
/// terminal (control and bidi characters shown as escapes, a backslash
/// kept single, so text that [`crate::safe`] already escaped is not escaped
/// twice) and for Markdown. For a raw server value use [`value`].
pub fn text(s: &str) -> String {
    markdown(&safe::line(s, MAX_TEXT))
}

/// One raw value from a server or a file (a certificate subject, an NTLM
/// name, a registry string): [`crate::safe::term`], then [`text`].
pub fn value(s: &str) -> String {
    text(&safe::term(s))
}

/// Escapes Markdown syntax in `s`, which has no control characters.
fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    let chars: Vec<char> = s.chars().collect();
    // Leading spaces would indent (a code block in a list item): spell them
    // as character references, which are inline, never indentation.
    let lead = chars.iter().take_while(|c| **c == ' ').count();
    for _ in 0..lead {
        out.push_str("&#32;");
    }
    let rest = chars.get(lead..).unwrap_or_default();
    // An ordered-list marker at the start: `1.` or `1)`.
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    for (i, &c) in rest.iter().enumerate() {
        let at_start = i == 0;
        let prev3: String = rest
            .get(i.saturating_sub(3)..i)
            .unwrap_or_default()
            .iter()
            .collect();
        let escape = match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!' | '$'
            | '^' | '@' => true,
            // A block at the start: a list item (`-`, `+`), a setext
            // underline (`=`).
            '-' | '+' | '=' => at_start,
            '.' | ')'
                if (1..=9).contains(&digits)
                    && i == digits
                    && rest.get(i + 1).is_none_or(|c| *c == ' ') =>
            {
                true
            }
            // Extended autolinks: `scheme://…` and `www.…`.
            ':' => rest.get(i + 1) == Some(&'/') && rest.get(i + 2) == Some(&'/'),
            '.' => prev3.eq_ignore_ascii_case("www"),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `s` as an inline code span, for a short value outside a table (a GUI
/// path, an id): the delimiter is one backtick longer than any run inside,
/// padded with a space where the content starts or ends with a backtick.
pub fn code(s: &str) -> String {
    let body = safe::line(s, MAX_TEXT);
    let ticks = "`".repeat(longest_run(&body, '`') + 1);
    let pad = if body.starts_with('`') || body.ends_with('`') || body.starts_with(' ') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{body}{pad}{ticks}")
}

/// A fenced code block for a command: each line neutralised (no control or
/// bidi characters; a backslash stays one, as commands need), fenced with
/// more backticks than any run inside, with `lang` as its info string.
pub fn fence(lang: &str, body: &str) -> String {
    let lines: Vec<String> = body
        .lines()
        .map(|l| safe::line(l.trim_end_matches('\r'), MAX_TEXT))
        .collect();
    let longest = lines.iter().map(|l| longest_run(l, '`')).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    let lang: String = lang.chars().filter(char::is_ascii_alphanumeric).collect();
    let mut out = format!("{fence}{lang}\n");
    for l in &lines {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(&fence);
    out.push('\n');
    out
}

fn longest_run(s: &str, c: char) -> usize {
    let mut best = 0;
    let mut run = 0;
    for x in s.chars() {
        if x == c {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_syntax_is_escaped() {
        assert_eq!(value("| x |"), r"\| x \|");
        // Without its brackets a link is text: `(` alone opens nothing.
        assert_eq!(
            value("[a](javascript:alert(1))"),
            r"\[a\](javascript:alert(1))"
        );
        assert_eq!(value("![i](x)"), r"\!\[i\](x)");
        assert_eq!(
            value("</td><script>alert(1)</script>"),
            r"\</td\>\<script\>alert(1)\</script\>"
        );
        assert_eq!(
            value("*bold* _it_ `code` ~~s~~"),
            r"\*bold\* \_it\_ \`code\` \~\~s\~\~"
        );
        assert_eq!(value("# heading"), r"\# heading");
        assert_eq!(value("&#x202e;"), r"\&\#x202e;");
        assert_eq!(value("$x$ @admin"), r"\$x\$ \@admin");
    }

    #[test]
    fn the_start_opens_no_block() {
        assert_eq!(value("- item"), r"\- item");
        assert_eq!(value("+ item"), r"\+ item");
        assert_eq!(value("1. first"), r"1\. first");
        assert_eq!(value("12) first"), r"12\) first");
        assert_eq!(value("7."), r"7\.");
        // Not a list marker: no space after it.
        assert_eq!(value("127.0.0.1"), "127.0.0.1");
        assert_eq!(value("=="), r"\==");
        assert_eq!(value("    indented"), "&#32;&#32;&#32;&#32;indented");
        // Inside the text, the same characters are ordinary.
        assert_eq!(value("WIN-RDP01 10.0.17763"), "WIN-RDP01 10.0.17763");
    }

    #[test]
    fn autolinks_are_broken() {
        assert_eq!(value("https://evil.example/x"), r"https\://evil.example/x");
        assert_eq!(value("see WWW.evil.example"), r"see WWW\.evil.example");
        assert_eq!(value("10:30 a.b"), "10:30 a.b");
    }

    #[test]
    fn control_and_bidi_characters_and_newlines_are_visible_escapes() {
        // safe::term shows them as `\x0a`, `\u{202e}`; the backslash is then
        // escaped for Markdown, so the reader sees `\x0a`, not a line break.
        assert_eq!(value("a\nb"), r"a\\x0ab");
        assert_eq!(value("abc\u{202e}def"), r"abc\\u{202e}def");
        assert_eq!(value("\x1b]0;x\x07"), r"\\x1b\]0;x\\x07");
        let out = value("x\r\n\u{2028}\u{85}y");
        assert!(
            !out.chars().any(|c| c.is_control() || safe::is_unsafe(c)),
            "{out}"
        );
    }

    #[test]
    fn a_long_value_is_capped() {
        let out = value(&"A".repeat(100_000));
        assert!(out.chars().count() <= safe::MAX_CHARS, "{}", out.len());
    }

    #[test]
    fn no_line_of_a_command_closes_its_fence() {
        let cmd = "echo a\n```\n````` still inside\n~~~\necho b";
        let block = fence("powershell", cmd);
        let fence_line = block.lines().next().unwrap();
        assert_eq!(fence_line, "``````powershell");
        let closing = "``````";
        // Only the last line is a closing fence.
        let closers: Vec<_> = block
            .lines()
            .skip(1)
            .filter(|l| {
                let t = l.trim();
                t.len() >= closing.len() && t.chars().all(|c| c == '`')
            })
            .collect();
        assert_eq!(closers, vec![closing]);
        assert!(block.ends_with("``````\n"));
        // Control characters inside a command are shown, not sent.
        assert_eq!(fence("", "a\x1b[2Jb"), "```\na\\x1b[2Jb\n```\n");
        // The info string is ours, and stays a word.
        assert!(fence("x`y z", "a").starts_with("```xyz\n"));
    }

    #[test]
    fn code_spans_outlast_their_backticks() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a ``b`` c"), "```a ``b`` c```");
        assert_eq!(code("`x"), "`` `x ``");
    }
}
