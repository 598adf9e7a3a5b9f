//! Terminal colour: on only when asked, or when writing to a terminal and
//! `NO_COLOR` is unset (<https://no-color.org>).

use rdpdoctor_diagnose::Severity;

/// Whether to colour, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Emit ANSI colour codes.
    pub color: bool,
}

impl Style {
    /// Plain text.
    pub const PLAIN: Style = Style { color: false };

    /// Decides from the user's choice (`auto`, `always`, `never`), whether the
    /// output is a terminal, and the `NO_COLOR` variable.
    pub fn decide(
        choice: &str,
        is_terminal: bool,
        no_color_env: Option<&std::ffi::OsStr>,
    ) -> Style {
        let no_color = no_color_env.is_some_and(|v| !v.is_empty());
        Style {
            color: match choice {
                "always" => true,
                "never" => false,
                _ => is_terminal && !no_color,
            },
        }
    }
}

/// The width of `s` on a terminal: characters outside ANSI escape sequences
/// (so padding and truncation line up with colour on).
pub fn visible_width(s: &str) -> usize {
    let mut n = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            n += 1;
        }
    }
    n
}

/// `s` cut to `width` visible characters, with `…` where it was cut.
/// Only for plain text (no escape codes inside).
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
    t.push('…');
    t
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }

    /// Bold.
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }

    /// Dimmed, for details.
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }

    /// Green, for what works.
    pub fn good(&self, s: &str) -> String {
        self.paint("32", s)
    }

    /// Coloured by severity.
    pub fn severity(&self, sev: Severity, s: &str) -> String {
        match sev {
            Severity::Fail => self.paint("1;31", s),
            Severity::Warn => self.paint("33", s),
            Severity::Info => self.paint("36", s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn no_color_wins_over_a_terminal_but_not_over_always() {
        assert!(Style::decide("auto", true, None).color);
        assert!(!Style::decide("auto", true, Some(OsStr::new("1"))).color);
        assert!(!Style::decide("auto", false, None).color);
        assert!(Style::decide("always", false, Some(OsStr::new("1"))).color);
        assert!(!Style::decide("never", true, None).color);
        // An empty NO_COLOR does not count (no-color.org).
        assert!(Style::decide("auto", true, Some(OsStr::new(""))).color);
    }

    #[test]
    fn plain_has_no_escape_codes() {
        assert_eq!(Style::PLAIN.severity(Severity::Fail, "x"), "x");
    }
}
