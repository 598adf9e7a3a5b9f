//! Renderers: the evidence and the diagnosis as a person reads them (text)
//! and as a script reads them (JSON). Renderers only format; they never
//! judge. Every judgement they show comes from the findings or the diagnosis.

#![forbid(unsafe_code)]

pub mod diagnosis;
pub mod safe;
pub mod style;
pub mod text;

pub use style::Style;

/// Pretty JSON with a trailing newline.
pub fn json<T: serde::Serialize>(value: &T) -> String {
    let mut s =
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
