//! One `.evtx` file, chunk by chunk and record by record, with the records
//! of no interest left before they are rendered.
//!
//! The `evtx` crate renders a record to JSON or XML; rendering is most of
//! its cost (on the fixtures: iterating 100 MB of records 95 ms, reading
//! their substitution values 113 ms, rendering them to JSON 273 ms). So a
//! record is tested first on its header time, then on the substitution
//! values of its template instance ([`evtx::EvtxRecord::template_instances`]):
//! Windows writes every record with one outer template whose values hold
//! the System fields at fixed places (3: EventID, 14: Provider Name,
//! 16: Channel). That layout is a convention of the writer, not of the
//! format ([MS-EVEN6 2.2.12](https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-even6/)),
//! so it is checked once per template (by its GUID) against the rendered
//! record, and a template that does not follow it is always rendered.
//! Only records that match the catalogue are rendered and decoded.

use super::catalogue;
use super::decode::{self, Decoded};
use super::groups::{GroupKey, day};
use super::Reader;
use evtx::binxml::value_variant::BinXmlValue;
use evtx::{EvtxParser, EvtxRecord, ParserSettings, Utf16LeSlice};
use rdpdoctor_evidence::host::EventRecord;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// An `.evtx` file header, then 64 KiB chunks (MS-EVEN6 / libevtx layout).
const FILE_HEADER: u64 = 4096;
const CHUNK: u64 = 65_536;
/// More records than a 64 KiB chunk can hold (24-byte header + 4-byte
/// trailer each): past this, a chunk's record walk is cut off.
const MAX_RECORDS_PER_CHUNK: usize = 65_536 / 28 + 1;

/// The standard outer template's value positions.
const EVENT_ID: usize = 3;
const PROVIDER: usize = 14;
const CHANNEL: usize = 16;

/// What came of one file.
#[derive(Debug, Default)]
pub struct FileOutcome {
    /// Records read (decodable or not).
    pub records: u64,
    pub unreadable_records: u64,
    pub unreadable_chunks: u64,
    /// Bytes at the end that are not a whole chunk (a truncated file).
    pub trailing_bytes: u64,
}

/// Why a file could not be read at all.
pub struct NotEvtx(pub String);

/// Reads one file into `reader`.
pub fn scan_file(reader: &mut Reader, path: &Path) -> Result<FileOutcome, NotEvtx> {
    let len = std::fs::metadata(path)
        .map_err(|e| NotEvtx(format!("cannot read it: {e}")))?
        .len();
    let mut parser = EvtxParser::from_path(path).map_err(|e| {
        let msg = e.to_string();
        let first = msg.lines().next().unwrap_or("").trim().to_owned();
        NotEvtx(format!("not an event log (.evtx) file: {first}"))
    })?;
    let settings = Arc::new(ParserSettings::new().indent(false));
    parser = parser.with_configuration((*settings).clone());
    let mut out = FileOutcome {
        trailing_bytes: len.saturating_sub(FILE_HEADER) % CHUNK,
        ..FileOutcome::default()
    };
    let source = path.display().to_string();
    for chunk in parser.chunks() {
        let Ok(mut data) = chunk else {
            out.unreadable_chunks += 1;
            continue;
        };
        let Ok(mut chunk) = data.parse(Arc::clone(&settings)) else {
            out.unreadable_chunks += 1;
            continue;
        };
        // Template definitions are named by GUID where they first appear
        // in a chunk, and by offset after that.
        let mut defs: HashMap<u32, String> = HashMap::new();
        for record in chunk.iter().take(MAX_RECORDS_PER_CHUNK) {
            out.records += 1;
            match record {
                Ok(r) => {
                    if !reader.record(r, &mut defs, &source) {
                        out.unreadable_records += 1;
                    }
                }
                Err(_) => out.unreadable_records += 1,
            }
        }
    }
    Ok(out)
}

impl Reader {
    /// One record; false when it could not be rendered.
    fn record(&mut self, r: EvtxRecord<'_>, defs: &mut HashMap<u32, String>, source: &str) -> bool {
        let time = r.timestamp;
        if time <= self.future_limit {
            self.newest_seen = Some(self.newest_seen.map_or(time, |n| n.max(time)));
        }
        // Before anything is decoded: outside the window?
        if time < self.earliest_wanted() {
            return true;
        }
        // The template's substitution values, when it follows the standard
        // layout.
        let instances = r.template_instances().ok();
        let first = instances.as_ref().and_then(|i| i.first());
        let template = first.and_then(|t| {
            if let Some(guid) = &t.template_guid {
                defs.insert(t.template_def_offset, guid.to_string());
            }
            defs.get(&t.template_def_offset).cloned()
        });
        let peek = first.and_then(|t| standard_peek(&t.values));
        let verdict = template.as_ref().and_then(|g| self.templates.get(g).copied());
        if verdict == Some(true)
            && let Some((id, channel)) = peek
        {
            if !catalogue::any_id(id) {
                return true;
            }
            if !catalogue::channel_and_id(&text(channel).unwrap_or_default(), id) {
                return true;
            }
        }
        // Render: a matching record, or a template not known to follow the
        // layout.
        let record_id = r.event_record_id;
        let Ok(json) = r.into_json_value() else {
            return false;
        };
        let d = decode::decode(&json.data);
        if verdict.is_none()
            && let Some(guid) = template
        {
            let follows = peek.is_some_and(|(id, ch)| {
                Some(id) == d.event_id && text(ch).map(|c| decode::cap(&c)) == d.channel
            });
            if self.templates.len() < MAX_TEMPLATES {
                self.templates.insert(guid, follows);
            }
        }
        self.matched(d, time, record_id, source);
        true
    }

    fn matched(&mut self, d: Decoded, time: evtx::Timestamp, record_id: u64, source: &str) {
        let (Some(id), Some(channel)) = (d.event_id, d.channel.as_deref()) else {
            return;
        };
        let Some(entry) = catalogue::find(channel, &d.provider, id) else {
            return;
        };
        let key = GroupKey {
            channel: entry.channel,
            provider: d.provider.clone(),
            event_id: u32::from(id),
            key: decode::key_of(&d.fields, entry.key),
        };
        let record = EventRecord {
            time: time.to_string(),
            record_id,
            source: source.to_owned(),
            computer: d.computer,
            data: decode::data_of(&d.fields, entry.data),
        };
        let bin_day = day(time).min(day(self.future_limit));
        let first_day = self.first_day();
        self.groups.add(key, time, record, bin_day, first_day);
    }
}

/// The most templates whose layout is remembered (a hostile file could
/// define one per record); past it, unknown templates are rendered.
const MAX_TEMPLATES: usize = 4096;

/// EventID and Channel from the standard outer template's values, when the
/// values have its shape.
fn standard_peek<'a>(values: &[BinXmlValue<'a>]) -> Option<(u16, Option<Utf16LeSlice<'a>>)> {
    let id = match values.get(EVENT_ID)? {
        BinXmlValue::UInt16Type(id) => *id,
        _ => return None,
    };
    if !matches!(values.get(PROVIDER)?, BinXmlValue::StringType(_)) {
        return None;
    }
    let channel = match values.get(CHANNEL)? {
        BinXmlValue::StringType(s) => Some(*s),
        BinXmlValue::NullType => None,
        _ => return None,
    };
    Some((id, channel))
}

/// A channel name as text (`None` when absent or not UTF-16).
fn text(s: Option<Utf16LeSlice<'_>>) -> Option<String> {
    s.and_then(|s| s.to_string().ok())
}
