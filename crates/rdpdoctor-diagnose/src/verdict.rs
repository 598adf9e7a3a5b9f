//! The one rule that turns client predictions into a verdict, and the
//! verdict into an exit status.
//!
//! | verdict | when | exit |
//! |---|---|---|
//! | `unreachable` | no RDP answer at all (DNS, TCP, silent, closed, not RDP) | 1 |
//! | `inconclusive` | the ceiling stopped the probe before the negotiation, or no client prediction is known | 1 |
//! | `no-client-connects` | every client profile (or every `--client`) fails | 1 |
//! | `some-clients-fail` | at least one fails | 1 |
//! | `works-with-warnings` | every client connects, some only after a certificate prompt | 0 |
//! | `healthy` | every client connects without a prompt (warnings are still listed) | 0 |
//!
//! Host evidence alone (`rdpdoctor inspect`, no probe) watched no client, so
//! its verdict says what the host's state blocks: `no-client-connects` when
//! a finding stops every client (RDP switched off, TermService disabled, the
//! firewall on the network's profile), `some-clients-fail` for any other
//! `fail` finding, `inconclusive` when no source held the Terminal Server
//! settings (logs alone cannot say RDP is on), else `healthy` (warnings are
//! still listed).

use crate::clients::{ClientPrediction, Verdict as C};
use crate::finding::{Finding, FindingId, Severity};
use rdpdoctor_evidence::host::HostEvidence;
use rdpdoctor_evidence::{PortState, ProbeReport};
use serde::Serialize;

/// The overall state of the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every client connects without a prompt (warnings are still listed).
    Healthy,
    /// Every client connects, some only after a certificate prompt.
    WorksWithWarnings,
    /// Some clients fail.
    SomeClientsFail,
    /// No client connects.
    NoClientConnects,
    /// No RDP service answers.
    Unreachable,
    /// The probe could not learn enough to tell.
    Inconclusive,
}

impl Verdict {
    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::WorksWithWarnings => "works-with-warnings",
            Self::SomeClientsFail => "some-clients-fail",
            Self::NoClientConnects => "no-client-connects",
            Self::Unreachable => "unreachable",
            Self::Inconclusive => "inconclusive",
        }
    }

    /// True for the verdicts with something to fix.
    pub fn is_failing(self) -> bool {
        !matches!(self, Self::Healthy | Self::WorksWithWarnings)
    }

    /// The exit status: 0 when every client connects, 1 otherwise.
    pub fn exit_code(self) -> u8 {
        if self.is_failing() { 1 } else { 0 }
    }
}

/// The verdict for a report and its (focused) client predictions.
pub fn derive(r: &ProbeReport, clients: &[ClientPrediction]) -> Verdict {
    if r.addresses.error.is_some() {
        return Verdict::Unreachable;
    }
    if r.negotiation.is_none() {
        if r.timings.ceiling_hit {
            return Verdict::Inconclusive;
        }
        return match r.tcp.as_ref().map(|t| t.state) {
            None => Verdict::Inconclusive,
            Some(PortState::Open) => Verdict::Inconclusive,
            Some(_) => Verdict::Unreachable,
        };
    }
    let nothing_rdp = r.tcp.as_ref().is_some_and(|t| {
        t.other_protocol.is_some()
            || matches!(
                t.state,
                PortState::AcceptedAndSilent | PortState::AcceptedThenClosed
            )
    });
    if nothing_rdp {
        return Verdict::Unreachable;
    }
    let known: Vec<&ClientPrediction> =
        clients.iter().filter(|c| c.verdict != C::Unknown).collect();
    if known.is_empty() {
        return Verdict::Inconclusive;
    }
    let fails = known.iter().filter(|c| c.verdict == C::Fails).count();
    if fails == known.len() {
        Verdict::NoClientConnects
    } else if fails > 0 {
        Verdict::SomeClientsFail
    } else if known.iter().any(|c| c.verdict == C::Warns) {
        Verdict::WorksWithWarnings
    } else {
        Verdict::Healthy
    }
}

/// Makes the findings agree with the verdict: when every client connects, a
/// `fail` finding overstates (no modelled client fails on it) and becomes a
/// warning; a host that works with warnings has at least one warning.
pub fn reconcile(findings: &mut [Finding], verdict: Verdict) {
    if !verdict.is_failing() {
        for f in findings.iter_mut().filter(|f| f.severity == Severity::Fail) {
            f.severity = Severity::Warn;
        }
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
}

/// Host findings that stop every client.
const BLOCKS_EVERY_CLIENT: [FindingId; 3] = [
    FindingId::RdpDisabled,
    FindingId::RdpServiceDisabled,
    FindingId::FirewallBlocksRdp,
];

/// The verdict for host evidence alone (see the module table).
pub fn from_host(h: &HostEvidence, findings: &[Finding]) -> Verdict {
    let fails: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Fail)
        .collect();
    if fails.iter().any(|f| BLOCKS_EVERY_CLIENT.contains(&f.id)) {
        Verdict::NoClientConnects
    } else if !fails.is_empty() {
        Verdict::SomeClientsFail
    } else if h.terminal_server.deny_ts_connections.is_none()
        && h.terminal_server.port_number.is_none()
    {
        // The Terminal Server settings were not read (no SYSTEM source, or
        // its keys damaged): "nothing stops RDP" would be a guess, whatever
        // the logs say.
        Verdict::Inconclusive
    } else {
        Verdict::Healthy
    }
}

/// What the host evidence covered, for sentences: `registry (SYSTEM,
/// SOFTWARE) and event logs`.
pub fn host_coverage_text(h: &HostEvidence) -> String {
    let c = h.coverage;
    let hives: Vec<&str> = [
        (c.system, "SYSTEM"),
        (c.software, "SOFTWARE"),
        (c.user, "NTUSER.DAT"),
    ]
    .into_iter()
    .filter(|(read, _)| *read)
    .map(|(_, n)| n)
    .collect();
    // Logs holding only other computers' records say nothing of this host.
    let m = &h.events.machines;
    let others_only = !m.is_empty() && m.iter().all(|m| h.is_other_machine(m.computer.as_deref()));
    match (hives.is_empty(), c.events && !others_only) {
        (false, true) => format!("registry ({}) and event logs", hives.join(", ")),
        (false, false) => format!("registry ({})", hives.join(", ")),
        (true, true) => "event logs".to_owned(),
        (true, false) => "sources".to_owned(),
    }
}
