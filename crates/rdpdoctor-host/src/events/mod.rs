//! Event log sources: `.evtx` files, streamed, filtered by time, event id
//! and channel before a record is decoded fully.
//!
//! - [`catalogue`]: the records kept (channel, provider, event id), the
//!   fields that define a group and the data kept.
//! - [`scan`]: one file, chunk by chunk; records are tested on their header
//!   time and their template's substitution values before rendering.
//! - [`decode`]: a matched record's fields, normalised (hex as
//!   `0xC000015B`) and capped (server-controlled text).
//! - [`groups`]: counts per group, first time, newest example, in bounded
//!   memory.
//!
//! The window: `--since` when given ([`SINCE_ALL`]: no lower bound);
//! otherwise the
//! [`groups::DEFAULT_WINDOW_DAYS`] UTC days ending with the day of the
//! newest record read (of any kind) on the same computer, since the logs of
//! a stopped VM's disk can end long before "now" and a folder gathered from
//! many machines holds logs that end at different times
//! ([`groups::by_machine`]). Record times after "now" + 1 day (a wrong
//! clock, a damaged record) do not move the window. Matched records before
//! the window are still counted, as left out, so that the report can say
//! what the window hid.

pub mod catalogue;
pub mod decode;
pub mod groups;
mod scan;
mod templates;
mod values;

use crate::InspectOptions;
use evtx::Timestamp;
use groups::{DEFAULT_WINDOW_DAYS, FileGroups, Groups, Window, day};
use rdpdoctor_evidence::host::{EventEvidence, EventWindow, HostSource, SourceKind, SourceStatus};
use std::path::Path;

/// `since_unix` for "no lower bound" (`--since all`): every record is in
/// the window, whose `since` is then the oldest record read.
pub const SINCE_ALL: i64 = i64::MIN;

/// Reads event log files one after another into one [`EventEvidence`].
#[derive(Debug)]
pub struct Reader {
    window: Window,
    /// Records after this do not move a moving window.
    future_limit: Timestamp,
    now: Timestamp,
    newest_seen: Option<Timestamp>,
    /// The oldest record read (any kind), for an unbounded window.
    oldest_seen: Option<Timestamp>,
    /// `--since all`.
    unbounded: bool,
    /// The file being read's groups.
    groups: Groups,
    /// The files read so far, each with its groups.
    files: Vec<FileGroups>,
    /// The newest record (any kind) of every file read so far.
    newest_overall: Option<Timestamp>,
    /// What is known of the templates, by GUID.
    templates: templates::Templates,
    files_read: u64,
    records_scanned: u64,
    records_unreadable: u64,
    chunks_unreadable: u64,
}

fn timestamp(unix: i64) -> Timestamp {
    Timestamp::from_second(unix.clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second()))
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

impl Reader {
    /// A reader for records since `opts.since_unix`, or, when none is
    /// given, for the default window.
    pub fn new(opts: &InspectOptions) -> Reader {
        let window = match opts.since_unix {
            Some(s) => Window::Since(timestamp(s)),
            None => Window::BeforeNewest,
        };
        Reader {
            window,
            future_limit: timestamp(opts.now_unix.saturating_add(86_400)),
            now: timestamp(opts.now_unix),
            newest_seen: None,
            oldest_seen: None,
            unbounded: opts.since_unix == Some(SINCE_ALL),
            groups: Groups::new(window),
            files: Vec::new(),
            newest_overall: None,
            templates: templates::Templates::default(),
            files_read: 0,
            records_scanned: 0,
            records_unreadable: 0,
            chunks_unreadable: 0,
        }
    }

    /// A reader with the same window and what is known of the templates, to
    /// parse chunks on another thread; see [`Reader::absorb`].
    fn worker(&self) -> Reader {
        Reader {
            window: self.window,
            future_limit: self.future_limit,
            now: self.now,
            newest_seen: self.newest_seen,
            oldest_seen: None,
            unbounded: self.unbounded,
            groups: Groups::new(self.window),
            files: Vec::new(),
            newest_overall: None,
            templates: self.templates.clone(),
            files_read: 0,
            records_scanned: 0,
            records_unreadable: 0,
            chunks_unreadable: 0,
        }
    }

    /// Takes in what a worker read.
    fn absorb(&mut self, worker: Reader) {
        self.newest_seen = match (self.newest_seen, worker.newest_seen) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.oldest_seen = match (self.oldest_seen, worker.oldest_seen) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.templates.absorb(worker.templates);
        let first_day = self.first_day();
        self.groups.merge(worker.groups, first_day);
    }

    /// The first UTC day of a moving window, as far as the records read so
    /// far tell.
    fn first_day(&self) -> i64 {
        day(self.newest_seen.unwrap_or(self.now)) - (DEFAULT_WINDOW_DAYS - 1)
    }

    /// Reads one `.evtx` file.
    pub fn read_file(&mut self, path: &Path) -> HostSource {
        self.read_file_as(path, path.display().to_string())
    }

    /// Reads one `.evtx` file, naming it `name` in the sources (a live
    /// channel's export is named by its channel, not its temporary file).
    pub fn read_file_as(&mut self, path: &Path, name: String) -> HostSource {
        // Each file is counted apart, its window moving with its own newest
        // record; `finish` puts the files of one computer together.
        self.newest_seen = None;
        let source = self.read_one(path, name);
        let groups = std::mem::replace(&mut self.groups, Groups::new(self.window));
        self.newest_overall = match (self.newest_overall, self.newest_seen) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.files.push(FileGroups {
            newest: self.newest_seen,
            groups,
        });
        source
    }

    fn read_one(&mut self, path: &Path, name: String) -> HostSource {
        // The evtx crate is not expected to panic; if it does on a hostile
        // file, that file is unusable and the others are still read.
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scan::scan_file(self, path)));
        let status = match outcome {
            Err(_) => SourceStatus::Unusable {
                problem: format!("{name}: the event log reader failed on this file"),
            },
            Ok(Err(scan::NotEvtx(why))) => SourceStatus::Unusable {
                problem: format!("{name}: {why}"),
            },
            Ok(Ok(o)) => {
                self.files_read += 1;
                self.records_scanned += o.records - o.unreadable_records;
                self.records_unreadable += o.unreadable_records;
                self.chunks_unreadable += o.unreadable_chunks;
                file_status(&name, &o)
            }
        };
        HostSource {
            path: name,
            kind: SourceKind::Evtx,
            status,
        }
    }

    /// The grouped evidence.
    pub fn finish(self) -> EventEvidence {
        let m = groups::by_machine(self.files, self.window, self.now);
        let newest_seen = self.newest_overall.map(|t| t.to_string());
        let (since, default_days) = match self.window {
            Window::Since(_) if self.unbounded => (self.oldest_seen.unwrap_or(self.now), None),
            Window::Since(t) => (t, None),
            Window::BeforeNewest => {
                let first_day = m.first_day.unwrap_or_else(|| {
                    day(self.newest_overall.unwrap_or(self.now)) - (DEFAULT_WINDOW_DAYS - 1)
                });
                (timestamp(first_day * 86_400), Some(DEFAULT_WINDOW_DAYS))
            }
        };
        let mut machines = m.machines;
        if self.unbounded {
            for machine in &mut machines {
                machine.since = since.to_string();
            }
        }
        let window = (self.files_read > 0).then(|| EventWindow {
            since: since.to_string(),
            newest_seen,
            default_days: default_days.and_then(|d| u32::try_from(d).ok()),
            unbounded: self.unbounded,
        });
        EventEvidence {
            window,
            records_scanned: self.records_scanned,
            records_matched: m.groups.iter().map(|g| g.count).sum::<u64>() + m.ungrouped,
            records_unreadable: self.records_unreadable,
            chunks_unreadable: self.chunks_unreadable,
            records_ungrouped: m.ungrouped,
            groups: m.groups,
            records_left_out: m.left_out.iter().map(|c| c.count).sum(),
            left_out: m.left_out,
            machines,
        }
    }
}

/// Read whole, or in part with one line saying what was not read.
fn file_status(name: &str, o: &scan::FileOutcome) -> SourceStatus {
    let mut lost = Vec::new();
    if o.unreadable_records > 0 {
        lost.push(plural(o.unreadable_records, "record"));
    }
    if o.unreadable_chunks > 0 {
        lost.push(plural(o.unreadable_chunks, "chunk"));
    }
    if o.trailing_bytes > 0 {
        lost.push(format!(
            "the last {} bytes (the file ends inside a chunk: truncated?)",
            o.trailing_bytes
        ));
    }
    if lost.is_empty() {
        return SourceStatus::Read;
    }
    if o.records == 0 {
        return SourceStatus::Unusable {
            problem: format!("{name}: no record could be read ({})", lost.join(", ")),
        };
    }
    SourceStatus::Partial {
        problem: format!("{name}: could not read {}", lost.join(", ")),
    }
}

fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
