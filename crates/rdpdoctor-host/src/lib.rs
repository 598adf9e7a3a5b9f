//! Host evidence sources: read a Windows machine's own state into
//! [`HostEvidence`].
//!
//! Sources, each giving the same evidence:
//! - registry hive files (SYSTEM, SOFTWARE, NTUSER.DAT), with their
//!   transaction logs (`.LOG1`/`.LOG2`) applied when present;
//! - `reg export` files (REGEDIT5 UTF-16LE with BOM, or REGEDIT4);
//! - `.evtx` event log files and folders of them;
//! - a mounted Windows volume (the folder holding `Windows\System32`);
//! - the live machine on Windows (`inspect --local`): the registry, the
//!   MachineKeys folder and the event logs ([`local`]).
//!
//! A source is recognised by its content, not its name. Reading never
//! panics and never stops at the first bad file: every source gets a
//! [`HostSource`] with its status, and what could be read is kept.
//!
//! Layout: [`classify`] sniffs a path; [`registry`] loads hives and exports
//! into one view and extracts the settings with Group Policy precedence;
//! [`events`] streams event logs, filtering by channel and event id before
//! decoding a record fully; [`volume`] finds the files on a mounted volume;
//! [`local`] reads the running Windows machine.
//!
//! `unsafe` is denied everywhere but in `win32`, the Windows API calls of
//! `inspect --local` (compiled on Windows only).

#![deny(unsafe_code)]

pub mod classify;
pub mod events;
pub mod krb5_conf;
pub mod local;
pub mod rdp_file;
pub mod registry;
pub mod volume;
#[cfg(windows)]
mod win32;

use rdpdoctor_evidence::host::{Coverage, HostEvidence, HostSource, SourceKind, SourceStatus};
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

/// A source's place in the output, filled once everything is read (a
/// damaged hive shows its damage only when its keys are read).
enum Slot {
    Done(HostSource),
    Registry(registry::Loaded),
}

/// Reads every source into one [`HostEvidence`]. Never fails: a source that
/// cannot be read is listed with [`SourceStatus::Unusable`]; the caller
/// decides (exit 2 when [`HostEvidence::anything_read`] is false).
pub fn inspect(paths: &[PathBuf], opts: &InspectOptions) -> HostEvidence {
    let mut hives = registry::Hives::default();
    let mut events = events::Reader::new(opts);
    let mut slots: Vec<Slot> = Vec::new();
    let mut volume_keys = Vec::new();
    for p in paths {
        for item in classify::expand(p) {
            let slot = match item.kind {
                classify::Item::Hive { logs } => match hives.load_hive(&item.path, &logs) {
                    Ok(l) => Slot::Registry(l),
                    Err(s) => Slot::Done(s),
                },
                classify::Item::RegExport => match hives.load_export(&item.path) {
                    Ok(l) => Slot::Registry(l),
                    Err(s) => Slot::Done(s),
                },
                classify::Item::Evtx => Slot::Done(events.read_file(&item.path)),
                classify::Item::MachineKeys => {
                    volume_keys.push(item.path.clone());
                    continue;
                }
                classify::Item::Unusable(source) => Slot::Done(source),
            };
            slots.push(slot);
        }
    }
    let mut ev = HostEvidence::default();
    registry::extract(&mut hives, &mut ev);
    ev.source_machines = hives.machines();
    ev.coverage = coverage(&hives);
    ev.sources = slots
        .into_iter()
        .filter_map(|s| match s {
            Slot::Done(s) => Some(s),
            Slot::Registry(l) => hives.status(l),
        })
        .collect();
    for dir in volume_keys {
        ev.machine_keys = Some(volume::machine_keys(&dir, &ev));
    }
    ev.events = events.finish();
    ev.coverage.events = ev
        .sources
        .iter()
        .any(|s| s.kind == SourceKind::Evtx && !matches!(s.status, SourceStatus::Unusable { .. }));
    ev
}

/// Which registry roots some source holds.
pub(crate) fn coverage(hives: &registry::Hives) -> Coverage {
    Coverage {
        system: hives.covers(registry::Root::System),
        software: hives.covers(registry::Root::Software),
        user: hives.covers(registry::Root::User),
        events: false,
    }
}

/// Reads the machine rdpdoctor runs on (`inspect --local`): the live
/// registry, MachineKeys and the event logs ([`local`]). Off Windows this is
/// `Err(`[`registry::live::NEEDS_WINDOWS`]`)`: the CLI prints it and exits
/// with status 2.
pub fn inspect_local(opts: &InspectOptions) -> Result<HostEvidence, String> {
    local::inspect_local(opts)
}
