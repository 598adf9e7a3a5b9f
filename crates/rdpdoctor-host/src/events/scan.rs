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
//! Only records that match the catalogue are rendered and decoded, and of
//! those without key fields (261, 131, 4825, …) only the newest of each
//! group per chunk, as its example: the others are counted from their
//! values. A file of 4 chunks or more per core is parsed on up to
//! [`MAX_THREADS`] threads, one chunk at a time each, merged at the end.

use super::Reader;
use super::catalogue;
use super::decode::{self, Decoded};
use super::groups::{GroupKey, day};
use evtx::binxml::value_variant::BinXmlValue;
use evtx::{EvtxChunkData, EvtxParser, EvtxRecord, ParserSettings, Utf16LeSlice};
use rdpdoctor_evidence::host::EventRecord;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

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
    let chunks = len.saturating_sub(FILE_HEADER) / CHUNK;
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(MAX_THREADS);
    if threads < 2 || chunks < 2 * threads as u64 {
        for chunk in parser.chunks() {
            match chunk {
                Ok(data) => reader.chunk(data, &settings, &source, &mut out),
                Err(_) => out.unreadable_chunks += 1,
            }
        }
        return Ok(out);
    }
    // Larger files: this thread reads the chunks (64 KiB each, at most
    // 2 per worker in flight), the workers parse them, each into a reader
    // of its own, merged at the end.
    let (tx, rx) = std::sync::mpsc::sync_channel::<EvtxChunkData>(threads * 2);
    let rx = Mutex::new(rx);
    let results = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let mut worker = reader.worker();
                let (rx, settings, source) = (&rx, &settings, &source);
                scope.spawn(move || {
                    let mut out = FileOutcome::default();
                    loop {
                        let next = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => break,
                        };
                        let Ok(data) = next else { break };
                        worker.chunk(data, settings, source, &mut out);
                    }
                    (worker, out)
                })
            })
            .collect();
        for chunk in parser.chunks() {
            match chunk {
                Ok(data) => {
                    if tx.send(data).is_err() {
                        break;
                    }
                }
                Err(_) => out.unreadable_chunks += 1,
            }
        }
        drop(tx);
        workers.into_iter().map(|w| w.join()).collect::<Vec<_>>()
    });
    for result in results {
        // A worker's panic goes on to `read_file`, which reports the file.
        let (worker, o) = result.unwrap_or_else(|p| std::panic::resume_unwind(p));
        reader.absorb(worker);
        out.records += o.records;
        out.unreadable_records += o.unreadable_records;
        out.unreadable_chunks += o.unreadable_chunks;
    }
    Ok(out)
}

/// The most threads one file is parsed on.
const MAX_THREADS: usize = 4;

impl Reader {
    /// One chunk's records.
    fn chunk(
        &mut self,
        mut data: EvtxChunkData,
        settings: &Arc<ParserSettings>,
        source: &str,
        out: &mut FileOutcome,
    ) {
        let Ok(mut chunk) = data.parse(Arc::clone(settings)) else {
            out.unreadable_chunks += 1;
            return;
        };
        // Template definitions are named by GUID where they first appear
        // in a chunk, and by offset after that.
        let mut defs: HashMap<u32, Def> = HashMap::new();
        let mut classes = Classes::new();
        let mut pending = Pending::new();
        for record in chunk.iter().take(MAX_RECORDS_PER_CHUNK) {
            out.records += 1;
            match record {
                Ok(r) => {
                    if !self.record(r, &mut defs, &mut classes, &mut pending, source) {
                        out.unreadable_records += 1;
                    }
                }
                Err(_) => out.unreadable_records += 1,
            }
        }
        self.flush(pending, source);
    }
}

/// Per chunk, for groups without key fields: the newest record seen, not
/// rendered yet. Such records are counted from their substitution values
/// alone; only the chunk's newest per group is rendered, as the group's
/// example, when the chunk is done.
type Pending<'a> = HashMap<GroupKey, EvtxRecord<'a>>;

/// A template definition of the chunk: whether it follows the standard
/// layout, or its GUID while that is not known yet.
enum Def {
    Known(bool),
    Unknown(String),
}

/// What to do with a record of a standard template, per chunk, by its
/// (EventID, Channel, Provider) values as logged: decided once, not per
/// record.
enum Class {
    /// Not in the catalogue.
    Skip,
    /// In the catalogue with key fields: render.
    Render,
    /// In the catalogue without key fields: count from the values.
    Count(GroupKey),
}

type Classes<'a> = HashMap<(u16, &'a [u8], &'a [u8]), Class>;

impl Reader {
    /// One record; false when it could not be rendered.
    fn record<'a>(
        &mut self,
        r: EvtxRecord<'a>,
        defs: &mut HashMap<u32, Def>,
        classes: &mut Classes<'a>,
        pending: &mut Pending<'a>,
        source: &str,
    ) -> bool {
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
        let offset = first.map(|t| t.template_def_offset);
        if let Some(t) = first
            && let Some(guid) = &t.template_guid
        {
            let guid = guid.to_string();
            let def = match self.templates.get(&guid) {
                Some(follows) => Def::Known(*follows),
                None => Def::Unknown(guid),
            };
            defs.insert(t.template_def_offset, def);
        }
        let def = offset.and_then(|o| defs.get(&o));
        let verdict = match def {
            Some(Def::Known(follows)) => Some(*follows),
            _ => None,
        };
        let unknown = match def {
            Some(Def::Unknown(guid)) => Some(guid.clone()),
            _ => None,
        };
        let peek = first.and_then(|t| standard_peek(&t.values));
        if verdict == Some(true)
            && let Some((id, channel, provider)) = peek
        {
            if !catalogue::any_id(id) {
                return true;
            }
            let class = classes
                .entry((
                    id,
                    channel.map_or(&[][..], |c| c.as_bytes()),
                    provider.as_bytes(),
                ))
                .or_insert_with(|| classify(id, channel, provider));
            match class {
                Class::Skip => return true,
                Class::Render => {}
                Class::Count(key) => {
                    self.count(key, time);
                    let newer = pending.get(key).is_none_or(|p| {
                        (time, r.event_record_id) > (p.timestamp, p.event_record_id)
                    });
                    if newer && self.groups.would_be_newest(key, time, r.event_record_id) {
                        pending.insert(key.clone(), r);
                    }
                    return true;
                }
            }
        }
        // Render: a matching record, or a template not known to follow the
        // layout.
        let record_id = r.event_record_id;
        let Ok(json) = r.into_json_value() else {
            return false;
        };
        let d = decode::decode(&json.data);
        if let Some(guid) = unknown {
            let follows = peek.is_some_and(|(id, ch, pv)| {
                Some(id) == d.event_id
                    && text(ch).map(|c| decode::cap(&c)) == d.channel
                    && text(Some(pv)).map(|p| decode::cap(&p)).as_ref() == Some(&d.provider)
            });
            if let Some(o) = offset {
                defs.insert(o, Def::Known(follows));
            }
            if self.templates.len() < MAX_TEMPLATES {
                self.templates.insert(guid, follows);
            }
        }
        self.matched(d, time, record_id, source);
        true
    }

    /// A rendered record: counted when it matches the catalogue, and kept
    /// as its group's example when it is the newest.
    fn matched(&mut self, d: Decoded, time: evtx::Timestamp, record_id: u64, source: &str) {
        let Some((key, entry)) = group_key(&d) else {
            return;
        };
        self.count(&key, time);
        self.offer(key, entry, d, time, record_id, source);
    }

    fn count(&mut self, key: &GroupKey, time: evtx::Timestamp) {
        let bin_day = day(time).min(day(self.future_limit));
        let first_day = self.first_day();
        self.groups.count(key, time, bin_day, first_day);
    }

    /// Makes a rendered record its group's example if it is the newest.
    fn offer(
        &mut self,
        key: GroupKey,
        entry: &catalogue::Entry,
        d: Decoded,
        time: evtx::Timestamp,
        record_id: u64,
        source: &str,
    ) {
        if !self.groups.would_be_newest(&key, time, record_id) {
            return;
        }
        let record = EventRecord {
            time: time.to_string(),
            record_id,
            source: source.to_owned(),
            computer: d.computer,
            data: decode::data_of(&d.fields, entry.data),
        };
        self.groups.set_newest(&key, time, record);
    }

    /// Renders the chunk's newest record of each group counted without
    /// rendering (see [`Pending`]).
    fn flush(&mut self, pending: Pending<'_>, source: &str) {
        for (key, r) in pending {
            let (time, record_id) = (r.timestamp, r.event_record_id);
            let Ok(json) = r.into_json_value() else {
                continue;
            };
            let d = decode::decode(&json.data);
            if let Some((k, entry)) = group_key(&d)
                && k == key
            {
                self.offer(key, entry, d, time, record_id, source);
            }
        }
    }
}

/// What to do with records of this EventID, Channel and Provider.
fn classify(id: u16, channel: Option<Utf16LeSlice<'_>>, provider: Utf16LeSlice<'_>) -> Class {
    let channel = text(channel).unwrap_or_default();
    let provider = text(Some(provider))
        .map(|p| decode::cap(&p))
        .unwrap_or_default();
    match catalogue::find(&channel, &provider, id) {
        None => Class::Skip,
        Some(entry) if !entry.key.is_empty() => Class::Render,
        Some(entry) => Class::Count(GroupKey {
            channel: entry.channel,
            provider,
            event_id: u32::from(id),
            key: Default::default(),
        }),
    }
}

/// The group of a rendered record, when the catalogue keeps it.
fn group_key(d: &Decoded) -> Option<(GroupKey, &'static catalogue::Entry)> {
    let (Some(id), Some(channel)) = (d.event_id, d.channel.as_deref()) else {
        return None;
    };
    let entry = catalogue::find(channel, &d.provider, id)?;
    let key = GroupKey {
        channel: entry.channel,
        provider: d.provider.clone(),
        event_id: u32::from(id),
        key: decode::key_of(&d.fields, entry.key),
    };
    Some((key, entry))
}

/// The most templates whose layout is remembered (a hostile file could
/// define one per record); past it, unknown templates are rendered.
pub(super) const MAX_TEMPLATES: usize = 4096;

/// EventID, Channel and Provider from the standard outer template's
/// values, when the values have its shape.
fn standard_peek<'a>(values: &[BinXmlValue<'a>]) -> Option<Peek<'a>> {
    let id = match values.get(EVENT_ID)? {
        BinXmlValue::UInt16Type(id) => *id,
        _ => return None,
    };
    let BinXmlValue::StringType(provider) = values.get(PROVIDER)? else {
        return None;
    };
    let channel = match values.get(CHANNEL)? {
        BinXmlValue::StringType(s) => Some(*s),
        BinXmlValue::NullType => None,
        _ => return None,
    };
    Some((id, channel, *provider))
}

type Peek<'a> = (u16, Option<Utf16LeSlice<'a>>, Utf16LeSlice<'a>);

/// A channel name as text (`None` when absent or not UTF-16).
fn text(s: Option<Utf16LeSlice<'_>>) -> Option<String> {
    s.and_then(|s| s.to_string().ok())
}
