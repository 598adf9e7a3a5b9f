//! Renderers: the evidence and the diagnosis as a person reads them (text)
//! and as a script reads them (JSON). Renderers only format; they never
//! judge. Every judgement they show comes from the findings or the diagnosis.

#![forbid(unsafe_code)]

pub mod diagnosis;
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

/// Pretty JSON with a trailing newline.
pub fn json<T: serde::Serialize>(value: &T) -> String {
    let mut s =
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
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
