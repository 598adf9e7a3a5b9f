//! Event log evidence: the records that bear on RDP failures, grouped by
//! what they say, with counts and the newest example.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The records read from event logs, within a time window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct EventEvidence {
    /// The window the records were taken from.
    pub window: Option<EventWindow>,
    /// Records looked at (every record in the files read, the unreadable
    /// ones apart).
    pub records_scanned: u64,
    /// Records that matched a known channel and event id, inside the window.
    pub records_matched: u64,
    /// Records that could not be decoded (corrupt records, bad templates).
    pub records_unreadable: u64,
    /// Chunks (64 KiB blocks of records) that could not be read at all:
    /// their records are in no count.
    #[serde(default)]
    pub chunks_unreadable: u64,
    /// Matched records in no group, because a hostile or damaged log made
    /// more groups than are kept; counted in `records_matched`.
    #[serde(default)]
    pub records_ungrouped: u64,
    /// One group per (computer, channel, event id, decoded key fields).
    pub groups: Vec<EventGroup>,
    /// Records that matched a known channel and event id but were older
    /// than the window: read, and left out of `groups` and every finding
    /// (`--since all` includes them).
    #[serde(default)]
    pub records_left_out: u64,
    /// What `records_left_out` holds, per computer, channel and event id.
    #[serde(default)]
    pub left_out: Vec<EventCount>,
    /// Every computer the records were logged on (`System/Computer`), each
    /// with its own window: a folder gathered from many machines holds logs
    /// that end at different times.
    #[serde(default)]
    pub machines: Vec<EventMachine>,
}

/// Matched records of one computer, channel and event id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventCount {
    /// The computer that logged them (`System/Computer`).
    pub computer: Option<String>,
    /// The channel.
    pub channel: String,
    /// The event id.
    pub event_id: u32,
    /// How many records.
    pub count: u64,
}

/// One computer's records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMachine {
    /// `System/Computer` as logged; `None` for records whose computer could
    /// not be read.
    pub computer: Option<String>,
    /// Its newest record (any kind; RFC 3339).
    pub newest_seen: Option<String>,
    /// Its window's start (RFC 3339): with the default window, 30 days
    /// ending with the day of this computer's newest record.
    pub since: String,
    /// Its matched records inside the window.
    pub records_matched: u64,
    /// Its matched records before the window.
    pub records_left_out: u64,
}

/// The time window (RFC 3339 UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventWindow {
    /// Records before this were left out; with [`EventWindow::unbounded`],
    /// the oldest record read (none was left out).
    pub since: String,
    /// The newest record read, when any.
    pub newest_seen: Option<String>,
    /// `None` when the user gave the start (`--since`); otherwise the
    /// default window's length: this many UTC days, ending with the day of
    /// the newest record read (not "now": a stopped VM's logs end when it
    /// stopped).
    #[serde(default)]
    pub default_days: Option<u32>,
    /// No lower bound (`--since all`): every record read is in the window.
    #[serde(default)]
    pub unbounded: bool,
}

/// Records of one kind: same channel, event id and key fields
/// (e.g. 4625 with Status 0xC000015B and LogonType 10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventGroup {
    /// The computer the records were logged on (`System/Computer`).
    #[serde(default)]
    pub computer: Option<String>,
    /// The channel, e.g. `System` or
    /// `Microsoft-Windows-TerminalServices-RDPClient/Operational`.
    pub channel: String,
    /// The provider, e.g. `Schannel`.
    pub provider: String,
    /// The event id.
    pub event_id: u32,
    /// The fields that define the group (e.g. `Status`, `SubStatus`,
    /// `LogonType`, `Reason`, `AlertDesc`), raw as logged.
    pub key: BTreeMap<String, String>,
    /// How many records.
    pub count: u64,
    /// The oldest record's time (RFC 3339).
    pub first: String,
    /// The newest record.
    pub newest: EventRecord,
}

/// One event record, as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// `TimeCreated` (RFC 3339 UTC).
    pub time: String,
    /// `EventRecordID`.
    pub record_id: u64,
    /// The file it came from, or `live`.
    pub source: String,
    /// `Computer`.
    pub computer: Option<String>,
    /// The event data fields that matter for diagnosis (server-controlled
    /// text: renderers neutralise it).
    pub data: BTreeMap<String, String>,
}
