//! Renderers: the evidence and the diagnosis as a person reads them (text)
//! and as a script reads them (JSON). Renderers only format; they never
//! judge. Every judgement they show comes from the findings or the diagnosis.

#![forbid(unsafe_code)]

pub mod capture;
pub mod diagnosis;
pub mod doc;
pub mod fleet;
pub mod head;
pub mod host;
pub mod html;
pub mod markdown;
pub mod metrics;
pub mod outline;
pub mod safe;
pub mod style;
pub mod text;

pub use style::Style;

/// Pretty JSON with a trailing newline, terminal-safe (see [`json_inert`]).
pub fn json<T: serde::Serialize>(value: &T) -> String {
    let mut s = json_inert(
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")),
    );
    s.push('\n');
    s
}

/// One line of JSON (NDJSON), terminal-safe (see [`json_inert`]).
pub fn json_line<T: serde::Serialize>(value: &T) -> serde_json::Result<String> {
    serde_json::to_string(value).map(json_inert)
}

/// `json` with every character beyond C0 that a terminal or an editor would obey
/// ([`safe::is_unsafe`]: DEL, C1 controls such as CSI U+009B, bidi overrides and
/// isolates, LINE/PARAGRAPH SEPARATOR, BOM) written as a `\uXXXX` escape.
/// serde_json escapes only U+0000–U+001F, so `rdpdoctor probe --format
/// json` on a terminal or in a pager would otherwise pass a server's CSI
/// through. The value is unchanged: these characters occur only inside
/// JSON strings, where an escape means the same character.
pub fn json_inert(json: String) -> String {
    // C0 controls are left: serde_json has escaped them inside strings, so
    // any left are the pretty printer's own newlines.
    let to_escape = |c: char| c >= '\u{7f}' && safe::is_unsafe(c);
    if !json.chars().any(to_escape) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if to_escape(c) {
            // Every unsafe character is in the Basic Multilingual Plane: one
            // UTF-16 unit.
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The JSON of `rdpdoctor probe`: the evidence's fields, then the
/// judgement's (`security`, `server`, `findings`, `security_paths`,
/// `verdict`, `diagnosis`), as docs/json-schema.md documents.
pub fn probe_json(
    report: &rdpdoctor_evidence::ProbeReport,
    judgement: &rdpdoctor_diagnose::Judgement,
) -> serde_json::Value {
    let mut v = serde_json::to_value(report).unwrap_or(serde_json::Value::Null);
    if let (Some(obj), Ok(serde_json::Value::Object(j))) =
        (v.as_object_mut(), serde_json::to_value(judgement))
    {
        obj.extend(j);
    }
    v
}

/// The JSON of `rdpdoctor inspect`: the schema version, the host evidence
/// (`host`), then the judgement's fields, as docs/json-schema.md documents.
pub fn inspect_json(
    host: &rdpdoctor_evidence::HostEvidence,
    judgement: &rdpdoctor_diagnose::Judgement,
    inspected_at: &str,
) -> serde_json::Value {
    let mut v = serde_json::json!({
        "schema_version": rdpdoctor_evidence::SCHEMA_VERSION,
        "tool_version": env!("CARGO_PKG_VERSION"),
        "inspected_at": inspected_at,
        "host": host,
    });
    if let (Some(obj), Ok(serde_json::Value::Object(j))) =
        (v.as_object_mut(), serde_json::to_value(judgement))
    {
        obj.extend(j);
    }
    v
}

/// A whole text report: the head (the answer first), then each section,
/// then the diagnosis, a blank line between them.
pub fn text_report(
    head: String,
    sections: &[String],
    judgement: &rdpdoctor_diagnose::Judgement,
    style: &Style,
) -> String {
    let mut s = head;
    for section in sections {
        s.push('\n');
        s.push_str(section);
    }
    s.push('\n');
    s.push_str(&diagnosis::diagnosis(
        &judgement.diagnosis,
        judgement.verdict,
        style,
    ));
    s
}
