//! Reports as one self-contained HTML file: `probe`, `inspect` and a fleet
//! (`scan`). No external asset (the style sheet is inline, system fonts, no
//! image, no script), so the file can be mailed, attached to a ticket or
//! opened offline. The answer comes first, its verdict in colour *and* in
//! words (with a symbol), then the evidence. Prints on paper as it shows.
//!
//! Every string a server or a file controls goes through [`escape`]; so do
//! the knowledge base's sentences. The page carries a Content-Security-Policy
//! (`default-src 'none'`, the style sheet allowed by its hash): were a string
//! ever to escape unescaped, the browser would still run no script, load
//! nothing and submit nothing.

pub mod escape;
mod report;

pub use report::{answer, capture_report, explain, fleet, inspect_report, probe_report};

use base64::Engine as _;
use rdpdoctor_diagnose::Verdict;
use sha2::Digest as _;

/// The one style sheet (ASCII: on Windows the page may be written with
/// character references for non-ASCII text, which a style sheet would not
/// decode).
const CSS: &str = include_str!("style.css");

/// The Content-Security-Policy: nothing may load or run but the page's own
/// style sheet, named by its SHA-256 (CSP Level 3, hash-source), so that not
/// even an injected `<style>` would apply. `base-uri` and `form-action` are
/// not covered by `default-src`.
pub fn csp() -> String {
    let hash = sha2::Sha256::digest(CSS.as_bytes());
    format!(
        "default-src 'none'; style-src 'sha256-{}'; base-uri 'none'; form-action 'none'",
        base64::engine::general_purpose::STANDARD.encode(hash)
    )
}

/// A whole page: `title` and `body` are already escaped.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"rdpdoctor {}\">\n\
         <title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}\
         <footer>rdpdoctor {}: <code>--format json</code> has every field.</footer>\n\
         </main>\n</body>\n</html>\n",
        csp(),
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_VERSION"),
    )
}

/// The class of a verdict's colour: `good`, `warn` or `bad`.
fn tone(v: Verdict) -> &'static str {
    match v {
        Verdict::Healthy => "good",
        Verdict::WorksWithWarnings | Verdict::Inconclusive => "warn",
        _ => "bad",
    }
}

/// A verdict as a badge: a symbol and the words, coloured (never colour
/// alone).
fn badge(v: Verdict) -> String {
    let symbol = match tone(v) {
        "good" => "\u{2714}",
        "warn" => "\u{26a0}",
        _ => "\u{2716}",
    };
    format!(
        "<span class=\"badge {}\" data-verdict=\"{}\">{symbol} {}</span>",
        tone(v),
        v.name(),
        crate::head::verdict_label(v)
    )
}
