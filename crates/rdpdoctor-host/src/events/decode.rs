//! A matched record, rendered by the `evtx` crate to JSON, read into its
//! System fields and its data fields, with values normalised and capped.
//!
//! Event data is written by whoever reached the server (user names,
//! workstation names, addresses): it stays data, every value is cut to
//! [`MAX_FIELD_CHARS`] and at most [`MAX_DATA_FIELDS`] fields are kept, and
//! the renderers neutralise it before a terminal sees it.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The longest value kept, in characters (longer ones end in `…`).
pub const MAX_FIELD_CHARS: usize = 256;
/// The most data fields kept per record.
pub const MAX_DATA_FIELDS: usize = 16;
/// The longest field name kept, in characters.
const MAX_NAME_CHARS: usize = 64;

/// What a rendered record says.
#[derive(Debug, Default)]
pub struct Decoded {
    /// `System/EventID`.
    pub event_id: Option<u16>,
    /// `System/Channel`.
    pub channel: Option<String>,
    /// `System/Provider/@Name`.
    pub provider: String,
    /// `System/Computer`.
    pub computer: Option<String>,
    /// The data fields (`EventData/Data[@Name]`, or the fields of the
    /// element under `UserData`), in the order serde_json's map keeps them;
    /// unnamed data items are `Data1`, `Data2`, …
    pub fields: Vec<(String, String)>,
}

/// Reads the JSON the `evtx` crate renders (`{"Event": {"System": …,
/// "EventData": …}}`, attributes under `#attributes`).
pub fn decode(record: &Value) -> Decoded {
    let mut out = Decoded::default();
    let Some(event) = record.get("Event") else {
        return out;
    };
    if let Some(system) = event.get("System") {
        out.event_id = system
            .get("EventID")
            .and_then(|v| scalar(v.get("#text").unwrap_or(v)))
            .and_then(|v| v.trim().parse().ok());
        out.channel = system.get("Channel").and_then(scalar).map(|s| cap(&s));
        out.provider = system
            .get("Provider")
            .and_then(|p| p.get("#attributes"))
            .and_then(|a| a.get("Name"))
            .and_then(scalar)
            .map(|s| cap(&s))
            .unwrap_or_default();
        out.computer = system.get("Computer").and_then(scalar).map(|s| cap(&s));
    }
    if let Some(Value::Object(data)) = event.get("EventData") {
        fields_of(data, &mut out.fields);
    }
    if let Some(Value::Object(user)) = event.get("UserData") {
        // One element under UserData (e.g. `EventXML`) holds the fields.
        for (_, inner) in user.iter().filter(|(k, _)| !k.starts_with('#')) {
            if let Value::Object(inner) = inner {
                fields_of(inner, &mut out.fields);
            }
        }
    }
    out
}

/// Named fields of an object; unnamed `Data` items numbered.
fn fields_of(obj: &Map<String, Value>, out: &mut Vec<(String, String)>) {
    for (name, value) in obj {
        if out.len() >= MAX_DATA_FIELDS * 2 {
            break;
        }
        if name.starts_with('#') {
            continue;
        }
        if name == "Data" {
            // Classic events: <Data>a</Data><Data>b</Data>, no names.
            let items = match value.get("#text").unwrap_or(value) {
                Value::Array(items) => items.iter().filter_map(scalar).collect(),
                v => scalar(v).into_iter().collect::<Vec<_>>(),
            };
            for (i, item) in items.into_iter().take(MAX_DATA_FIELDS).enumerate() {
                out.push((format!("Data{}", i + 1), cap(&item)));
            }
            continue;
        }
        if let Some(text) = scalar(value.get("#text").unwrap_or(value)) {
            out.push((cap_to(name, MAX_NAME_CHARS), cap(&text)));
        }
    }
}

/// A JSON scalar as text; arrays of scalars joined with `,`.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Array(items) => Some(
            items
                .iter()
                .take(MAX_DATA_FIELDS)
                .filter_map(scalar)
                .collect::<Vec<_>>()
                .join(","),
        ),
        Value::Object(_) => None,
    }
}

/// `s` cut to [`MAX_FIELD_CHARS`].
pub fn cap(s: &str) -> String {
    cap_to(s, MAX_FIELD_CHARS)
}

fn cap_to(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_owned(),
    }
}

/// A value as the group key and the data keep it: trimmed, and a hex number
/// (`0xc000006e`) written as `0x` and upper-case digits without leading
/// zeros (`0xC000006E`, `0x0`), so that groups merge whatever the logging
/// component's spelling.
pub fn normalise(value: &str) -> String {
    let v = value.trim();
    if let Some(digits) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X"))
        && !digits.is_empty()
        && digits.len() <= 16
        && let Ok(n) = u64::from_str_radix(digits, 16)
    {
        return format!("0x{n:X}");
    }
    v.to_owned()
}

/// The group key of a record under `key` (see
/// [`super::catalogue::Entry::key`]).
pub fn key_of(
    fields: &[(String, String)],
    key: &[(&'static str, &'static [&'static str])],
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, sources) in key {
        let found = sources
            .iter()
            .find_map(|s| fields.iter().find(|(n, _)| n == s).map(|(_, v)| v));
        if let Some(v) = found {
            out.insert((*name).to_owned(), normalise(v));
        }
    }
    out
}

/// The data kept with a record: the fields `keep` names, or every field
/// when it names none; at most [`MAX_DATA_FIELDS`].
pub fn data_of(fields: &[(String, String)], keep: &[&str]) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter(|(n, _)| keep.is_empty() || keep.contains(&n.as_str()))
        .take(MAX_DATA_FIELDS)
        .map(|(n, v)| (n.clone(), normalise(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_normalised_so_groups_merge() {
        assert_eq!(normalise("0xc000006e"), "0xC000006E");
        assert_eq!(normalise(" 0XC000006E "), "0xC000006E");
        assert_eq!(normalise("0x00000000"), "0x0");
        assert_eq!(normalise("0x"), "0x");
        assert_eq!(normalise("0xZZ"), "0xZZ");
        assert_eq!(normalise("0x123456789abcdef01"), "0x123456789abcdef01");
        assert_eq!(normalise("10"), "10");
    }

    #[test]
    fn long_values_are_cut() {
        let long = "é".repeat(1000);
        let c = cap(&long);
        assert_eq!(c.chars().count(), MAX_FIELD_CHARS + 1);
        assert!(c.ends_with('…'));
    }

    #[test]
    fn user_data_and_unnamed_data_are_read() {
        let v: Value = serde_json::from_str(
            r##"{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":1056},
            "Provider":{"#attributes":{"Name":"P"}},"Channel":"System","Computer":"c"},
            "EventData":{"Data":{"#text":["a","b"]}},
            "UserData":{"EventXML":{"#attributes":{"xmlns":"x"},"Session":2,"Reason":5}}}}"##,
        )
        .unwrap();
        let d = decode(&v);
        assert_eq!(d.event_id, Some(1056));
        assert_eq!(d.provider, "P");
        let mut names: Vec<_> = d.fields.iter().map(|(n, v)| format!("{n}={v}")).collect();
        names.sort();
        assert_eq!(names, ["Data1=a", "Data2=b", "Reason=5", "Session=2"]);
    }
}
