//! Where a command's output goes (stdout, or `--output FILE`), and what the
//! Windows console can show.
//!
//! `--output FILE` writes the report as UTF-8 without a byte order mark on
//! every platform. It is the way around Windows PowerShell 5.1, whose `>`
//! re-encodes whatever a program prints as UTF-16 (after decoding it with the
//! console's code page, which mangles UTF-8 first).
//!
//! On Windows, stdout that is a console needs nothing: Rust's standard library
//! writes to a console with `WriteConsoleW` (UTF-16), so `→` and `…` show
//! whatever the code page. Stdout that is a pipe or a file is read by someone
//! else (PowerShell, `more`, `type`) who decodes the bytes with the console's
//! output code page; unless that is UTF-8 (65001, `chcp 65001`), text reports
//! are written in ASCII (`→` as `->`, `…` as `...`) and JSON escapes every
//! non-ASCII character as `\uXXXX`, which is the same JSON value.

use crate::args::{ColorChoice, Format};
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

/// The file of `--output`, opened (and truncated) before the command runs,
/// so a path that cannot be written is an error before any network traffic.
static FILE: OnceLock<Mutex<File>> = OnceLock::new();

/// Sends the output to `path` instead of stdout; `-` is stdout.
pub fn to_file(path: &Path) -> Result<(), String> {
    if path.as_os_str() == "-" {
        return Ok(());
    }
    let file = File::create(path).map_err(|e| {
        format!(
            "cannot write the output to {}: {e}",
            rdpdoctor_render::safe::quote(&path.to_string_lossy())
        )
    })?;
    // Only main calls this, once.
    let _ = FILE.set(Mutex::new(file));
    Ok(())
}

/// Whether the output goes to a file (no colour then, whatever stdout is).
pub fn is_file() -> bool {
    FILE.get().is_some()
}

/// Writes a command's output to the `--output` file or to stdout. `format`
/// says how to spell it in ASCII where stdout needs that; `None` writes it
/// as it is always (completion scripts and manual pages must stay exact).
///
/// Rust ignores SIGPIPE, so a reader that went away (`| head -1`) shows up
/// as an `EPIPE` write error, which `print!` turns into a panic. Here it just
/// ends the output: the command still exits with the status of its result.
/// Any other write error (a full disk) is an error message.
pub fn print(text: &str, format: Option<Format>) -> Result<(), String> {
    write(text, format).map(|_| ())
}

/// [`print`], telling whether the reader is still there: `Ok(false)` once
/// stdout is closed (`scan` then stops probing, quietly).
pub fn write(text: &str, format: Option<Format>) -> Result<bool, String> {
    let result = match FILE.get() {
        Some(file) => {
            let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
            file.write_all(text.as_bytes()).and_then(|()| file.flush())
        }
        None => {
            let ascii;
            let text = if let Some(format) = format
                && stdout_needs_ascii()
            {
                ascii = to_ascii(text, format);
                &ascii
            } else {
                text
            };
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        }
    };
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(format!("cannot write the output: {e}")),
    }
}

/// Windows only: stdout is not a console and the console's output code page
/// is not UTF-8 (also when there is no console: its code page is then 0).
#[cfg(windows)]
fn stdout_needs_ascii() -> bool {
    use std::io::IsTerminal;
    const CP_UTF8: u32 = 65001;
    // SAFETY: GetConsoleOutputCP takes no arguments and only reads the
    // process's console state; it returns 0 when there is no console.
    let code_page = unsafe { windows_sys::Win32::System::Console::GetConsoleOutputCP() };
    !std::io::stdout().is_terminal() && code_page != CP_UTF8
}

#[cfg(not(windows))]
fn stdout_needs_ascii() -> bool {
    false
}

/// `text` in ASCII: JSON with `\uXXXX` escapes (lossless: non-ASCII occurs
/// only inside JSON strings), HTML with character references (lossless:
/// non-ASCII occurs only in text and attribute values, never in the style
/// sheet), a text or Markdown report with the characters the renderers use
/// spelled in ASCII and anything else as `?`.
pub fn to_ascii(text: &str, format: Format) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        match format {
            Format::Json => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            // HTML: a character reference is the same character.
            Format::Html => {
                use std::fmt::Write;
                let _ = write!(out, "&#x{:x};", c as u32);
            }
            Format::Text | Format::Markdown => out.push_str(ascii_for(c)),
        }
    }
    out
}

/// An ASCII spelling of a character a text report uses.
fn ascii_for(c: char) -> &'static str {
    match c {
        '→' | '⇒' => "->",
        '←' => "<-",
        '…' => "...",
        '–' | '—' | '·' | '─' | '━' => "-",
        '•' => "*",
        '’' | '‘' => "'",
        '“' | '”' => "\"",
        '×' => "x",
        '≤' => "<=",
        '≥' => ">=",
        '│' | '┃' => "|",
        '\u{2500}'..='\u{257f}' => "+",
        '\u{a0}' => " ",
        _ => "?",
    }
}

/// Writes a command's output to stdout or the `--output` file.
pub fn print_out(text: &str, format: Format) -> Result<(), String> {
    print(text, Some(format))
}

/// Writes generated files (completion scripts, manual pages) to stdout
/// exactly, without the Windows ASCII fallback of [`print_out`].
pub fn print_verbatim(text: &str) -> Result<(), String> {
    print(text, None)
}

// Here rather than beside `ColorChoice` in `args`: whether colour is shown
// depends on where the output goes (`--output`), which this module knows.
impl ColorChoice {
    /// The style for stdout: this choice, whether stdout is a terminal (not
    /// with `--output`), `NO_COLOR`, and on Windows whether the console
    /// takes escape sequences.
    pub fn style(self) -> rdpdoctor_render::Style {
        use std::io::IsTerminal;
        let choice = match self {
            ColorChoice::Auto => "auto",
            ColorChoice::Always => "always",
            ColorChoice::Never => "never",
        };
        // Windows 10+ consoles show colour once VT processing is switched on
        // (ENABLE_VIRTUAL_TERMINAL_PROCESSING); an older console refuses, and then
        // `auto` means no colour. None elsewhere: nothing to switch on.
        let vt = self != ColorChoice::Never
            && anstyle_query::windows::enable_ansi_colors().unwrap_or(true);
        rdpdoctor_render::Style::decide(
            choice,
            !is_file() && std::io::stdout().is_terminal() && vt,
            std::env::var_os("NO_COLOR").as_deref(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_are_the_same_value() {
        let json = r#"{"a":"DNS → TCP … bücher 日本 🦀"}"#;
        let ascii = to_ascii(json, Format::Json);
        assert!(ascii.is_ascii());
        let back: serde_json::Value = serde_json::from_str(&ascii).unwrap();
        let orig: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(back, orig);
    }

    #[test]
    fn html_in_ascii_is_the_same_page() {
        let html = "<span>\u{2716} NO CLIENT CONNECTS</span> · bücher 🦀";
        assert_eq!(
            to_ascii(html, Format::Html),
            "<span>&#x2716; NO CLIENT CONNECTS</span> &#xb7; b&#xfc;cher &#x1f980;"
        );
    }

    #[test]
    fn text_keeps_its_meaning_in_ascii() {
        assert_eq!(
            to_ascii("DNS → TCP … a – b · c ✓", Format::Text),
            "DNS -> TCP ... a - b - c ?"
        );
    }
}
