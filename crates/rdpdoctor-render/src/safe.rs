//! Text from the other side of the wire, made safe to print on a terminal.
//!
//! A probed server chooses its certificate's subject, issuer and names, its
//! NTLM computer and domain names (MS-NLMP 2.2.2.1 AV_PAIR values are free
//! UTF-16), and the bytes of its error messages. Printed raw, `ESC ] 0 ;`
//! retitles the window, `ESC [ 2 J` clears the screen, OSC 52 writes the
//! clipboard, a CR rewrites the line being read, a C1 CSI (U+009B) does what
//! `ESC [` does on terminals that honour C1, and bidi overrides reorder what
//! the reader sees ("Trojan Source", CVE-2021-42574). [`term`] shows every
//! such character as a visible escape instead, and caps the length, so that
//! a report always looks like what it contains.
//!
//! Renderers pass every server-controlled string (and every sentence built
//! around one, such as a finding's summary) through here before printing it.

/// The most characters [`term`] prints of one value.
pub const MAX_CHARS: usize = 200;

/// The most characters [`sentence`] prints: sentences built around server
/// values (finding summaries, evidence lines) are longer than one value.
pub const MAX_SENTENCE_CHARS: usize = 600;

/// `s` with control and bidi characters escaped, at most [`MAX_CHARS`]
/// characters long (an ellipsis marks a cut).
pub fn term(s: &str) -> String {
    term_max(s, MAX_CHARS)
}

/// [`term`] for a sentence that embeds server values: the same escaping, a
/// cap of [`MAX_SENTENCE_CHARS`].
pub fn sentence(s: &str) -> String {
    term_max(s, MAX_SENTENCE_CHARS)
}

/// `s` with control and bidi characters escaped, cut to at most `max`
/// characters of output (escapes count by their printed length), with `…`
/// at the end when something was cut. An escape is never split.
pub fn term_max(s: &str, max: usize) -> String {
    escape(s, max, true)
}

/// For text we wrote ourselves that may quote input (an error message): the
/// same escaping and cap, but a backslash stays one backslash, so that an
/// already quoted value (`"a\\x1b"`) is not escaped twice.
pub fn line(s: &str, max: usize) -> String {
    escape(s, max, false)
}

/// How many characters of what the user typed an error message quotes.
pub const QUOTE_CHARS: usize = 80;

/// `s` in quotes for an error message: control characters escaped, at most
/// [`QUOTE_CHARS`] characters (a 100 KB argument must not become a 100 KB
/// line). The one quoting of user input in messages the binary and the
/// exporter write.
pub fn quote(s: &str) -> String {
    format!("\"{}\"", term_max(s, QUOTE_CHARS))
}

fn escape(s: &str, max: usize, double_backslash: bool) -> String {
    let mut out = String::new();
    let mut count = 0usize;
    // Where the output stood when it last had room for the ellipsis after it.
    let mut cut_at = 0usize;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        let before = out.len();
        if c == '\\' && !(double_backslash && reads_as_escape(chars.clone())) {
            out.push(c);
        } else {
            push_escaped(&mut out, c);
        }
        count += out.get(before..).map_or(0, |t| t.chars().count());
        if count > max {
            out.truncate(cut_at);
            out.push('…');
            return out;
        }
        if count < max {
            cut_at = out.len();
        }
    }
    out
}

/// Whether a backslash followed by `rest` would read as the start of an
/// escape [`push_escaped`] writes (`\\`, `\xHH`, `\u{`), or is followed by a
/// character that is written as one. Only such a backslash is doubled: the
/// escapes stay unambiguous (a report shows what the server sent, never text
/// made to look like an escape) while the backslashes of registry paths and
/// `DOMAIN\user` names read as they are written.
fn reads_as_escape(mut rest: std::str::Chars<'_>) -> bool {
    match rest.next() {
        Some('\\') => true,
        Some(c) if is_unsafe(c) => true,
        Some('x') => rest.take(2).filter(char::is_ascii_hexdigit).count() == 2,
        Some('u') => rest.next() == Some('{'),
        _ => false,
    }
}

/// Whether `c` must not reach a terminal as itself.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'          // C0: ESC, CR, LF, BEL, BS, TAB, …
        | '\u{7f}'                  // DEL
        | '\u{80}'..='\u{9f}'       // C1: CSI (U+009B), OSC (U+009D), …
        | '\u{61c}'                 // ARABIC LETTER MARK
        | '\u{200e}' | '\u{200f}'   // LRM, RLM
        | '\u{202a}'..='\u{202e}'   // LRE, RLE, PDF, LRO, RLO
        | '\u{2066}'..='\u{2069}'   // LRI, RLI, FSI, PDI
        | '\u{2028}' | '\u{2029}'   // LINE and PARAGRAPH SEPARATOR
        | '\u{feff}' // BOM / ZERO WIDTH NO-BREAK SPACE
    )
}

fn push_escaped(out: &mut String, c: char) {
    use std::fmt::Write;
    match c {
        // Doubled only where [`reads_as_escape`] says so (the caller decides).
        '\\' => out.push_str("\\\\"),
        // Line ends and tabs too as `\xHH`: a `\n` form would make every
        // `DOMAIN\nick` ambiguous.
        c if (c as u32) < 0x80 && is_unsafe(c) => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if is_unsafe(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_obey() {
        assert_eq!(term("a\x1b]0;pwned\x07b"), "a\\x1b]0;pwned\\x07b");
        assert_eq!(term("x\r\ny"), "x\\x0d\\x0ay");
        assert_eq!(term("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(term("abc\u{202e}def"), "abc\\u{202e}def");
        assert_eq!(term("\u{2066}\u{2069}"), "\\u{2066}\\u{2069}");
        assert_eq!(term("del\x7f"), "del\\x7f");
        assert_eq!(term(r"C:\x1b"), r"C:\\x1b");
    }

    #[test]
    fn backslashes_stay_single_unless_they_would_read_as_an_escape() {
        // What admins read: registry paths and DOMAIN\user names as written.
        for s in [
            r"HKLM\SYSTEM\CurrentControlSet",
            r"CORP\nick",
            r"CORP\tom",
            r"CORP\xavier",
            r"a\u",
            "end\\",
        ] {
            assert_eq!(term(s), s);
        }
        // Text that would read as an escape keeps its backslash doubled.
        assert_eq!(term(r"a\x1b"), r"a\\x1b");
        assert_eq!(term(r"a\u{202e}"), r"a\\u{202e}");
        assert_eq!(term(r"a\\b"), r"a\\\b");
        assert_eq!(term("a\\\x1b"), r"a\\\x1b");
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        for s in [
            "WIN-RDP01.corp.example",
            "CN=bücher.example, O=Ünïcode",
            "日本語",
            "",
        ] {
            assert_eq!(term(s), s);
        }
    }

    #[test]
    fn caps_the_length_without_splitting_an_escape() {
        let long = "a".repeat(10_000);
        let t = term(&long);
        assert_eq!(t.chars().count(), MAX_CHARS);
        assert!(t.ends_with('…'));
        let esc = "\x1b".repeat(1000);
        let t = term(&esc);
        assert!(t.chars().count() <= MAX_CHARS);
        assert!(t.ends_with("\\x1b…"), "{t}");
        // Exactly at the limit minus one: nothing cut.
        let fits = "b".repeat(MAX_CHARS - 1);
        assert_eq!(term(&fits), fits);
        let exact = "c".repeat(MAX_CHARS);
        assert_eq!(term(&exact), exact);
        let over = "d".repeat(MAX_CHARS + 1);
        assert_eq!(term(&over).chars().count(), MAX_CHARS);
    }

    #[test]
    fn a_line_keeps_its_backslashes() {
        assert_eq!(
            line("bad \"a\\x1b\"\x1b\n", 100),
            "bad \"a\\x1b\"\\x1b\\x0a"
        );
        assert_eq!(line(&"z".repeat(500), 100).chars().count(), 100);
    }

    #[test]
    fn a_quote_is_escaped_and_bounded() {
        assert_eq!(quote("a\x1bb"), "\"a\\x1bb\"");
        let q = quote(&"x".repeat(100_000));
        assert_eq!(q.chars().count(), QUOTE_CHARS + 2);
        assert!(q.ends_with("…\""), "{q}");
    }

    #[test]
    fn nothing_unsafe_survives() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let t = term_max(&all, usize::MAX);
        assert!(!t.chars().any(is_unsafe), "an unsafe character got through");
    }
}
