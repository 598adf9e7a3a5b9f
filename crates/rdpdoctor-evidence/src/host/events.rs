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
    /// One group per (channel, event id, decoded key fields).
    pub groups: Vec<EventGroup>,
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
