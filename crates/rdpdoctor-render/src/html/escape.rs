//! Text made inert for HTML, on top of [`crate::safe`]'s control and bidi
//! neutralising.
//!
//! Every string goes into element content or a double-quoted attribute
//! value, never into a tag name, an unquoted attribute, a URL, a style
//! sheet or a script; there the five characters `& < > " '` are all HTML
//! gives meaning to (HTML Living Standard 13.1.2.6, 13.1.4), and each is
//! written as a character reference. The page's Content-Security-Policy
//! (`default-src 'none'`, see [`super::csp`]) is the second wall: even a
//! string that escaped this would run no script and load nothing.

use crate::safe;

/// The longest text [`text`] keeps (sentences are capped shorter by their
/// callers; this is the net).
const MAX_TEXT: usize = 2_000;

/// Text for element content or a quoted attribute: control and bidi
/// characters shown as escapes (a backslash kept single, so text that
/// [`crate::safe`] already escaped is not escaped twice), then HTML-escaped.
/// For a raw server value use [`value`].
pub fn text(s: &str) -> String {
    html(&safe::line(s, MAX_TEXT))
}

/// One raw value from a server or a file (a certificate subject, an NTLM
/// name, a registry string): [`crate::safe::term`], then [`text`].
pub fn value(s: &str) -> String {
    text(&safe::term(s))
}

/// A command, kept whole (its lines, its backslashes): each line
/// neutralised, then HTML-escaped, for a `<pre>`.
pub fn command(s: &str) -> String {
    s.lines()
        .map(|l| html(&safe::line(l.trim_end_matches('\r'), MAX_TEXT)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_text() {
        assert_eq!(
            value("</td><script>alert(1)</script>"),
            "&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            value("\" onmouseover='x' a=\""),
            "&quot; onmouseover=&#39;x&#39; a=&quot;"
        );
        assert_eq!(
            value("&lt;b&gt; &#x202e;"),
            "&amp;lt;b&amp;gt; &amp;#x202e;"
        );
        assert_eq!(
            value("[a](javascript:alert(1)) | x |"),
            "[a](javascript:alert(1)) | x |"
        );
    }

    #[test]
    fn control_and_bidi_characters_are_visible_escapes() {
        assert_eq!(value("abc\u{202e}def"), "abc\\u{202e}def");
        assert_eq!(value("a\nb\r"), "a\\x0ab\\x0d");
        assert_eq!(value("\x1b]0;x\x07"), "\\x1b]0;x\\x07");
        let out = text("x\u{2028}\u{85}\u{2066}y\0");
        assert!(
            !out.chars().any(|c| c.is_control() || safe::is_unsafe(c)),
            "{out}"
        );
    }

    #[test]
    fn commands_keep_their_lines_and_backslashes() {
        assert_eq!(
            command("reg add \"HKLM\\X\" /v A\r\nif (1 -lt 2) { <x> }"),
            "reg add &quot;HKLM\\X&quot; /v A\nif (1 -lt 2) { &lt;x&gt; }"
        );
        assert_eq!(command("a\x1b[2Jb"), "a\\x1b[2Jb");
    }

    #[test]
    fn a_long_value_is_capped() {
        assert!(value(&"A".repeat(100_000)).chars().count() <= safe::MAX_CHARS);
    }
}
