//! `inspect --local`: the machine rdpdoctor runs on, read through the same
//! readers as offline sources.
//!
//! - the live registry ([`crate::registry::live`]): `HKLM\SYSTEM`,
//!   `HKLM\SOFTWARE` (with the "Remote Desktop" and "My" certificate
//!   stores), `HKCU`;
//! - the MachineKeys folder (`%ProgramData%\Microsoft\Crypto\RSA\MachineKeys`),
//!   looked at as on a mounted volume ([`crate::volume::machine_keys`]);
//! - the event logs: each channel the [catalogue](crate::events::catalogue)
//!   names is exported with `EvtExportLog` (only its catalogued event ids,
//!   only the window's days) into a temporary `.evtx` file that the `.evtx`
//!   reader then reads. A channel that cannot be exported (no administrator
//!   rights, a missing channel, an API that is a stub) is a source marked
//!   unread with the reason, so an empty event section never passes for
//!   "nothing happened".

use crate::InspectOptions;
use crate::events::catalogue::CATALOGUE;
use rdpdoctor_evidence::host::{HostEvidence, HostSource, SourceKind, SourceStatus};

/// The default window for live logs, in days (as for files: 30).
const LIVE_WINDOW_DAYS: i64 = 30;

/// The channels to export, each once, in catalogue order.
pub fn channels() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for e in CATALOGUE {
        if !out.contains(&e.channel) {
            out.push(e.channel);
        }
    }
    out
}

/// The XPath query that exports only what the catalogue keeps from
/// `channel`: its event ids, since `since_ms_ago` milliseconds (`None`: all).
pub fn query(channel: &str, since_ms_ago: Option<u64>) -> String {
    let mut ids: Vec<u16> = CATALOGUE
        .iter()
        .filter(|e| e.channel == channel)
        .flat_map(|e| e.ids.iter().copied())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let any_of = |ids: &[u16]| {
        let ids: Vec<String> = ids.iter().map(|i| format!("EventID={i}")).collect();
        format!("System[({})]", ids.join(" or "))
    };
    let (failures_only, all): (Vec<u16>, Vec<u16>) =
        ids.iter().partition(|i| FAILURES_ONLY.contains(i));
    let ids = if failures_only.is_empty() {
        any_of(&all)
    } else if all.is_empty() {
        format!(
            "({} and EventData[Data[@Name='Status']!='0x0'])",
            any_of(&failures_only)
        )
    } else {
        format!(
            "({} or ({} and EventData[Data[@Name='Status']!='0x0']))",
            any_of(&all),
            any_of(&failures_only)
        )
    };
    match since_ms_ago {
        Some(ms) => {
            format!("*[{ids} and System[TimeCreated[timediff(@SystemTime) <= {ms}]]]")
        }
        None => format!("*[{ids}]"),
    }
}

/// Events a domain controller logs for every ticket, successes included
/// (4768 a TGT, 4769 a service ticket): only the failures are exported, those
/// whose `Status` (the KRB-ERROR code) is not `0x0`; on a busy DC the
/// successes would be most of the log.
const FAILURES_ONLY: &[u16] = &[4768, 4769];

/// The source line of a channel that could not be exported.
pub fn unread_channel(channel: &str, why: &str) -> HostSource {
    HostSource {
        path: format!("event log {channel}"),
        kind: SourceKind::Evtx,
        status: SourceStatus::Unusable {
            problem: format!("not read (EvtExportLog: {why})"),
        },
    }
}

/// Reads the machine rdpdoctor runs on. Off Windows this is
/// `Err(`[`crate::registry::live::NEEDS_WINDOWS`]`)`.
pub fn inspect_local(opts: &InspectOptions) -> Result<HostEvidence, String> {
    let live = crate::registry::live::open()?;
    let mut hives = crate::registry::Hives::default();
    let loaded = hives.add(live);
    let mut ev = HostEvidence::default();
    crate::registry::extract(&mut hives, &mut ev);
    ev.coverage = crate::coverage(&hives);
    ev.sources = hives.status(loaded).into_iter().collect();
    if let Some(dir) = machine_keys_dir() {
        ev.machine_keys = Some(crate::volume::machine_keys(&dir, &ev));
    }
    // Live logs end now: the window is the last 30 days unless --since says.
    let since = opts
        .since_unix
        .unwrap_or(opts.now_unix.saturating_sub(LIVE_WINDOW_DAYS * 86_400));
    let reader_opts = InspectOptions {
        since_unix: Some(since),
        now_unix: opts.now_unix,
    };
    let since_ms_ago = (since != crate::events::SINCE_ALL).then(|| {
        u64::try_from(opts.now_unix.saturating_sub(since).max(0))
            .unwrap_or(0)
            .saturating_mul(1000)
    });
    let mut events = crate::events::Reader::new(&reader_opts);
    let logs: Vec<HostSource> = channels()
        .into_iter()
        .enumerate()
        .map(|(i, channel)| export_and_read(&mut events, i, channel, &query(channel, since_ms_ago)))
        .collect();
    ev.events = events.finish();
    ev.coverage.events = logs
        .iter()
        .any(|s| !matches!(s.status, SourceStatus::Unusable { .. }));
    ev.sources.extend(one_line_when_all_failed_alike(logs));
    Ok(ev)
}

/// Every channel failing for the same reason (no administrator rights, an
/// API that is a stub) is one source line, not one per channel.
fn one_line_when_all_failed_alike(logs: Vec<HostSource>) -> Vec<HostSource> {
    let problem = |s: &HostSource| match &s.status {
        SourceStatus::Unusable { problem } => Some(problem.clone()),
        _ => None,
    };
    let first = logs.first().and_then(problem);
    match first {
        Some(p) if logs.len() > 1 && logs.iter().all(|s| problem(s).as_ref() == Some(&p)) => {
            vec![HostSource {
                path: format!("event logs ({} channels)", logs.len()),
                kind: SourceKind::Evtx,
                status: SourceStatus::Unusable { problem: p },
            }]
        }
        _ => logs,
    }
}

#[cfg(windows)]
fn machine_keys_dir() -> Option<std::path::PathBuf> {
    let data = std::env::var_os("ProgramData")?;
    let dir = std::path::Path::new(&data).join("Microsoft\\Crypto\\RSA\\MachineKeys");
    dir.is_dir().then_some(dir)
}

#[cfg(not(windows))]
fn machine_keys_dir() -> Option<std::path::PathBuf> {
    None
}

#[cfg(windows)]
fn export_and_read(
    events: &mut crate::events::Reader,
    i: usize,
    channel: &str,
    query: &str,
) -> HostSource {
    let dir = std::env::temp_dir().join(format!("rdpdoctor-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return unread_channel(
            channel,
            &format!("no temporary folder {}: {e}", dir.display()),
        );
    }
    let file = dir.join(format!("channel-{i}.evtx"));
    let source = match crate::win32::export_log(channel, query, &file) {
        Ok(()) => events.read_file_as(&file, format!("event log {channel}")),
        Err(e) => unread_channel(channel, &e.to_string()),
    };
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_dir(&dir);
    source
}

#[cfg(not(windows))]
fn export_and_read(
    _events: &mut crate::events::Reader,
    _i: usize,
    channel: &str,
    _query: &str,
) -> HostSource {
    unread_channel(channel, "needs Windows")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogued_channel_is_exported_once_with_its_ids() {
        let ch = channels();
        assert!(ch.contains(&"System") && ch.contains(&"Security"));
        let mut sorted = ch.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ch.len());
        let q = query("Security", Some(2_592_000_000));
        assert_eq!(
            q,
            "*[(System[(EventID=4625 or EventID=4771 or EventID=4825)] or (System[(EventID=4768 or EventID=4769)] and EventData[Data[@Name='Status']!='0x0'])) and System[TimeCreated[timediff(@SystemTime) <= 2592000000]]]"
        );
        assert!(query("System", None).contains("EventID=36887"));
        assert!(!query("System", None).contains("EventData"));
    }

    #[test]
    fn channels_failing_alike_are_one_line_and_others_each_their_own() {
        let all: Vec<HostSource> = channels()
            .iter()
            .map(|c| unread_channel(c, "access denied"))
            .collect();
        let n = all.len();
        let one = one_line_when_all_failed_alike(all);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].path, format!("event logs ({n} channels)"));
        assert!(matches!(&one[0].status,
            SourceStatus::Unusable { problem } if problem == "not read (EvtExportLog: access denied)"));
        let mixed = vec![
            unread_channel("Security", "access denied"),
            unread_channel("System", "no such channel"),
        ];
        assert_eq!(one_line_when_all_failed_alike(mixed).len(), 2);
    }
}
