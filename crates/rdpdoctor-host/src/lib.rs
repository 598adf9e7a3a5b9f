//! Host evidence sources: read a Windows machine's own state into
//! [`HostEvidence`].
//!
//! Sources, each giving the same evidence:
//! - registry hive files (SYSTEM, SOFTWARE, NTUSER.DAT), with their
//!   transaction logs (`.LOG1`/`.LOG2`) applied when present;
//! - `reg export` files (REGEDIT5 UTF-16LE with BOM, or REGEDIT4);
//! - `.evtx` event log files and folders of them;
//! - a mounted Windows volume (the folder holding `Windows\System32`);
//! - the live machine on Windows (`inspect --local`).
//!
//! A source is recognised by its content, not its name. Reading never
//! panics and never stops at the first bad file: every source gets a
//! [`HostSource`] with its status, and what could be read is kept.
//!
//! Layout: [`classify`] sniffs a path; [`registry`] loads hives and exports
//! into one view and extracts the settings with Group Policy precedence;
//! [`events`] streams event logs, filtering by channel and event id before
//! decoding a record fully; [`volume`] finds the files on a mounted volume.

#![forbid(unsafe_code)]

pub mod classify;
pub mod events;
pub mod registry;
pub mod volume;

use rdpdoctor_evidence::host::{HostEvidence, HostSource};
use std::path::PathBuf;

/// What the user asked for beyond the sources.
#[derive(Debug, Clone)]
pub struct InspectOptions {
    /// Event records older than this (Unix seconds) are left out; `None`:
    /// the default window (30 days up to the newest record read).
    pub since_unix: Option<i64>,
    /// "Now", Unix seconds (the engine and the tests pass it; no clock here).
    pub now_unix: i64,
}

/// Reads every source into one [`HostEvidence`]. Never fails: a source that
/// cannot be read is listed with [`rdpdoctor_evidence::host::SourceStatus::Unusable`];
/// the caller decides (exit 2 when [`HostEvidence::anything_read`] is false).
pub fn inspect(paths: &[PathBuf], opts: &InspectOptions) -> HostEvidence {
    let mut hives = registry::Hives::default();
    let mut events = events::Reader::new(opts);
    let mut sources: Vec<HostSource> = Vec::new();
    let mut volume_keys = Vec::new();
    for p in paths {
        for item in classify::expand(p) {
            let source = match item.kind {
                classify::Item::Registry(kind) => hives.load(&item.path, kind),
                classify::Item::Evtx => events.read_file(&item.path),
                classify::Item::MachineKeys => {
                    volume_keys.push(item.path.clone());
                    continue;
                }
                classify::Item::Unusable(source) => source,
            };
            sources.push(source);
        }
    }
    let mut ev = HostEvidence {
        sources,
        ..HostEvidence::default()
    };
    registry::extract(&hives, &mut ev);
    for dir in volume_keys {
        ev.machine_keys = Some(volume::machine_keys(&dir, &ev));
    }
    ev.events = events.finish();
    ev
}
