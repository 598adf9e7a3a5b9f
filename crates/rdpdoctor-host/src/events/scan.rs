//! One `.evtx` file, chunk by chunk and record by record, with the records
//! of no interest left before they are rendered.
//!
//! The `evtx` crate renders a record to JSON or XML; rendering is most of
//! its cost. So a record is tested first on its header time, then on the
//! substitution values of its template instance, read in place
//! ([`super::values`]): Windows writes every record with one outer template
//! whose values hold the System fields at fixed places (3: EventID,
//! 14: Provider Name, 16: Channel), or, for classic providers, the
//! EventID there and Provider and Channel as text of the template. That
//! layout is a convention of the writer, not of the format
//! ([MS-EVEN6 2.2.12](https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-even6/)),
//! so it is learned per template (by its GUID) from renderings
//! ([`super::templates`]), and a template that follows neither is always
//! rendered. Records of the catalogue are counted from their values, their
//! key fields too once the template's places are learned (the event data's
//! values, [`super::values::Instance::data`]); only the newest of each group
//! per chunk is rendered, as its example. A file of 4 chunks or more per
//! core is parsed on up to [`MAX_THREADS`] threads, one chunk at a time
//! each, merged at the end.

use super::Reader;
use super::catalogue;
use super::decode::{self, Decoded};
use super::groups::{GroupKey, day};
use super::templates::{Layout, MIN_RENDERINGS};
use super::values::{self, Instance};
use evtx::{EvtxChunkData, EvtxParser, EvtxRecord, ParserSettings, Utf16LeSlice};
use rdpdoctor_evidence::host::EventRecord;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// An `.evtx` file header, then 64 KiB chunks (MS-EVEN6 / libevtx layout).
const FILE_HEADER: u64 = 4096;
const CHUNK: u64 = 65_536;
/// More records than a 64 KiB chunk can hold (24-byte header + 4-byte
/// trailer each): past this, a chunk's record walk is cut off.
const MAX_RECORDS_PER_CHUNK: usize = 65_536 / 28 + 1;

/// FILETIME 0 as Unix seconds.
const FILETIME_ZERO: i64 = -11_644_473_600;

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
        let mut classes = Classes::new();
        let mut pending = Pending::new();
        for record in chunk.iter().take(MAX_RECORDS_PER_CHUNK) {
            out.records += 1;
            match record {
                Ok(r) => {
                    if !self.record(r, &mut classes, &mut pending, source) {
                        out.unreadable_records += 1;
                    }
                }
                Err(_) => out.unreadable_records += 1,
            }
        }
        self.flush(pending, source);
    }
}

/// Per chunk, for groups counted from their values: the newest record
/// seen, not rendered yet. Only the chunk's newest per group is rendered, as
/// the group's example, when the chunk is done.
type Pending<'a> = HashMap<GroupKey, EvtxRecord<'a>>;

/// What to do with a record of a standard template, per chunk, by its
/// (EventID, Channel, Provider) values as logged: decided once, not per
/// record.
enum Class {
    /// Not in the catalogue.
    Skip,
    /// In the catalogue without key fields: count from the values.
    Count(GroupKey),
    /// In the catalogue with key fields (entry index, the group without
    /// them): count from the values once the template's places are known.
    Keyed(usize, GroupKey),
}

/// The classes of a chunk, by (EventID, Channel, Provider) as logged; few
/// per chunk, so a list. Past [`MAX_CLASSES`], records are classified
/// each time.
type Classes<'a> = Vec<((u16, &'a [u8], &'a [u8]), Class)>;
const MAX_CLASSES: usize = 64;

impl Reader {
    /// One record; false when it could not be rendered.
    fn record<'a>(
        &mut self,
        r: EvtxRecord<'a>,
        classes: &mut Classes<'a>,
        pending: &mut Pending<'a>,
        source: &str,
    ) -> bool {
        let time = r.timestamp;
        if time <= self.future_limit {
            self.newest_seen = Some(self.newest_seen.map_or(time, |n| n.max(time)));
        }
        // FILETIME 0 (1601-01-01) is a record without a time, not the oldest.
        if time.as_second() != FILETIME_ZERO {
            self.oldest_seen = Some(self.oldest_seen.map_or(time, |o| o.min(time)));
        }
        // A record before the window is still classified: counted as left
        // out, it tells the report what the window hid.
        // The template's substitution values, when its layout is known.
        let inst = values::instance(r.chunk.data, r.binxml_offset, r.binxml_size);
        let layout = inst.as_ref().and_then(|i| self.templates.layout(&i.guid));
        let peek = inst.as_ref().and_then(standard_peek);
        let peek = match (layout, peek) {
            (Some(Layout::Standard), Some(p)) => Some(p),
            (Some(Layout::Constant { seen, .. }), _) if *seen >= MIN_RENDERINGS => inst
                .as_ref()
                .and_then(event_id)
                .map(|id| (id, None, &[][..])),
            _ => None,
        };
        if let (Some(inst), Some((id, channel, provider))) = (&inst, peek) {
            if !catalogue::any_id(id) {
                return true;
            }
            // Classes of a constant layout are by template and EventID.
            let constant = matches!(layout, Some(Layout::Constant { .. }));
            let at = match constant {
                true => (id, inst.guid_bytes, &[][..]),
                false => (id, channel.unwrap_or(&[]), provider),
            };
            let classify = || match layout {
                Some(Layout::Constant {
                    channel, provider, ..
                }) => classify_text(id, channel.as_deref().unwrap_or_default(), provider),
                _ => classify(id, channel, provider),
            };
            let fresh;
            let class = match classes.iter().position(|(k, _)| *k == at) {
                Some(i) => &classes[i].1,
                None if classes.len() < MAX_CLASSES => {
                    classes.push((at, classify()));
                    &classes[classes.len() - 1].1
                }
                None => {
                    fresh = classify();
                    &fresh
                }
            };
            let key = match class {
                Class::Skip => return true,
                Class::Count(key) => Some(Cow::Borrowed(key)),
                Class::Keyed(index, base) => catalogue::CATALOGUE.get(*index).and_then(|entry| {
                    let key = self.templates.key(&inst.guid, *index, entry, inst)?;
                    Some(Cow::Owned(GroupKey {
                        key,
                        ..base.clone()
                    }))
                }),
            };
            if let Some(key) = key {
                self.count(&key, time);
                let newer = pending
                    .get(&*key)
                    .is_none_or(|p| (time, r.event_record_id) > (p.timestamp, p.event_record_id));
                if newer && self.groups.would_be_newest(&key, time, r.event_record_id) {
                    pending.insert(key.into_owned(), r);
                }
                return true;
            }
        }
        // Render: a matching record whose key places are not known yet, or a
        // template not known to follow the layout.
        let record_id = r.event_record_id;
        let Ok(json) = r.into_json_value() else {
            return false;
        };
        let d = decode::decode(&json.data);
        if let Some(inst) = &inst {
            let follows = match layout {
                Some(Layout::Standard) => true,
                Some(Layout::Other) => false,
                _ => {
                    let standard = standard_peek(inst).is_some_and(|(id, ch, pv)| {
                        Some(id) == d.event_id
                            && text(ch).map(|c| decode::cap(&c)) == d.channel
                            && text(Some(pv)).map(|p| decode::cap(&p)).as_ref() == Some(&d.provider)
                    });
                    let constant = (event_id(inst) == d.event_id
                        && matches!(inst.raw(PROVIDER), Some((values::NULL, _))))
                    .then_some((d.channel.as_deref(), d.provider.as_str()));
                    self.templates.learn_layout(inst.guid, standard, constant)
                }
            };
            if follows
                && let Some((index, entry)) = entry_of(&d)
                && !entry.key.is_empty()
            {
                self.templates
                    .learn(&inst.guid, index, entry, &d.fields, inst);
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
fn classify(id: u16, channel: Option<&[u8]>, provider: &[u8]) -> Class {
    let channel = text(channel).unwrap_or_default();
    let provider = text(Some(provider))
        .map(|p| decode::cap(&p))
        .unwrap_or_default();
    classify_text(id, &channel, &provider)
}

/// [`classify`] with the text decoded.
fn classify_text(id: u16, channel: &str, provider: &str) -> Class {
    let provider = provider.to_owned();
    let Some((index, entry)) = catalogue::find_index(channel, &provider, id) else {
        return Class::Skip;
    };
    let key = GroupKey {
        computer: None,
        channel: entry.channel,
        provider,
        event_id: u32::from(id),
        key: Default::default(),
    };
    if entry.key.is_empty() {
        Class::Count(key)
    } else {
        Class::Keyed(index, key)
    }
}

/// The catalogue entry of a rendered record, with its index.
fn entry_of(d: &Decoded) -> Option<(usize, &'static catalogue::Entry)> {
    let (Some(id), Some(channel)) = (d.event_id, d.channel.as_deref()) else {
        return None;
    };
    catalogue::find_index(channel, &d.provider, id)
}

/// The group of a rendered record, when the catalogue keeps it.
fn group_key(d: &Decoded) -> Option<(GroupKey, &'static catalogue::Entry)> {
    let (Some(id), Some(channel)) = (d.event_id, d.channel.as_deref()) else {
        return None;
    };
    let entry = catalogue::find(channel, &d.provider, id)?;
    let key = GroupKey {
        computer: None,
        channel: entry.channel,
        provider: d.provider.clone(),
        event_id: u32::from(id),
        key: decode::key_of(&d.fields, entry.key),
    };
    Some((key, entry))
}

/// EventID from the standard outer template's values.
fn event_id(inst: &Instance<'_>) -> Option<u16> {
    match inst.raw(EVENT_ID)? {
        (values::UINT16, b) => Some(u16::from_le_bytes(b.try_into().ok()?)),
        _ => None,
    }
}

/// EventID, Channel and Provider from the standard outer template's
/// values, when the values have its shape (UTF-16 bytes).
fn standard_peek<'a>(inst: &Instance<'a>) -> Option<Peek<'a>> {
    let id = event_id(inst)?;
    let (values::STRING, provider) = inst.raw(PROVIDER)? else {
        return None;
    };
    let channel = match inst.raw(CHANNEL)? {
        (values::STRING, b) => Some(values::until_nul(b)),
        (values::NULL, _) => None,
        _ => return None,
    };
    Some((id, channel, values::until_nul(provider)))
}

type Peek<'a> = (u16, Option<&'a [u8]>, &'a [u8]);

/// UTF-16 text (`None` when absent or not UTF-16).
fn text(s: Option<&[u8]>) -> Option<String> {
    s.and_then(|s| Utf16LeSlice::new(s, s.len() / 2).to_string().ok())
}
