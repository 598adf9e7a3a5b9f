//! What the head of a host report says when the evidence is missing or
//! hidden: a SYSTEM hive that could not be read (and what to give instead),
//! and event records the window left out (and how to include them).

use crate::finding::Finding;
use rdpdoctor_evidence::host::{HostEvidence, SourceKind, SourceStatus};

/// The headline when the Terminal Server settings were not read: why, and
/// what to give instead.
pub fn inconclusive_headline(h: &HostEvidence) -> String {
    let damaged_system = h
        .sources
        .iter()
        .any(|s| s.kind == SourceKind::SystemHive && !matches!(s.status, SourceStatus::Read));
    if damaged_system {
        // The damage itself is on stderr and in the sources; the head says
        // what would answer instead (the logs replay the newest changes
        // over a hive written half-way).
        return "Can't tell: the SYSTEM hive could not be read (damaged). Give its .LOG1/.LOG2 files beside it, a backup copy, or a reg export of HKLM\\SYSTEM.".to_owned();
    }
    if !h.coverage.system
        && !h
            .events
            .groups
            .iter()
            .any(|g| !h.is_other_machine(g.computer.as_deref()))
        && let Some(note) = left_out_text(h)
    {
        return format!("Can't tell: no registry read, and {note}");
    }
    "Can't tell: no Terminal Server settings were read (give the SYSTEM hive or a reg export of it); the findings show what the sources hold.".to_owned()
}

/// A sentence for the head when the event window left out records and no
/// event record in it gave a finding: the only evidence in the logs may be
/// outside the window.
///
/// Or, when every record read was logged on other computers than the
/// registry's, a sentence saying so: the logs say nothing about this host.
pub fn window_note(h: &HostEvidence, findings: &[Finding]) -> Option<String> {
    if findings.iter().any(|f| f.id.name().starts_with("event-")) {
        return None;
    }
    let m = &h.events.machines;
    if !m.is_empty() && m.iter().all(|m| h.is_other_machine(m.computer.as_deref())) {
        return Some(match m.len() {
            1 => "The event logs are of another computer, not this host's.".to_owned(),
            n => format!("The event logs are of {n} other computers, not this host's."),
        });
    }
    left_out_text(h).map(|t| {
        let mut c = t.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    })
}

/// "none of the 165 RDP events in the 30 days … ; 2306 older ones (4625,
/// 4825, …) were left out: add --since all."
fn left_out_text(h: &HostEvidence) -> Option<String> {
    let e = &h.events;
    // Only this host's: other machines' records are never judged.
    let here: Vec<_> = e
        .left_out
        .iter()
        .filter(|c| !h.is_other_machine(c.computer.as_deref()))
        .collect();
    let n: u64 = here.iter().map(|c| c.count).sum();
    if n == 0 {
        return None;
    }
    let mut ids: Vec<u32> = here.iter().map(|c| c.event_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let shown: Vec<String> = ids.iter().take(4).map(u32::to_string).collect();
    let more = if ids.len() > 4 { ", …" } else { "" };
    let window = match e.window.as_ref().and_then(|w| w.default_days) {
        Some(d) => format!("the {d}-day window"),
        None => "the --since window".to_owned(),
    };
    Some(format!(
        "{} older RDP event{} ({}{more}) are outside {window}: add --since all.",
        n,
        if n == 1 { "" } else { "s" },
        shown.join(", ")
    ))
}
