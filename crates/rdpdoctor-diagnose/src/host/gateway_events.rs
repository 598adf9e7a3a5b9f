//! The RD Gateway's log (Microsoft-Windows-TerminalServices-Gateway/
//! Operational): who was refused where, and why, each finding with its
//! count, newest example, users and resources. The records' fields are the
//! gateway's `EventInfo` (`Username`, `IpAddress`, `AuthType`, `Resource`,
//! `ErrorCode`), kept by `rdpdoctor-host`'s catalogue.

use super::Out;
use super::events::{Bucket, field};
use crate::finding::{FindingId as F, Severity};
use rdpdoctor_evidence::host::{EventGroup, HostEvidence};

const CHANNEL: &str = "terminalservices-gateway";

/// `ID user U` / `ID user U to R`, from the group's fields.
fn part(g: &EventGroup) -> String {
    let user = field(g, "Username").unwrap_or("?");
    let mut s = format!("{} user {user}", g.event_id);
    if let Some(r) = field(g, "Resource").filter(|r| !r.is_empty()) {
        s.push_str(&format!(" to {r}"));
    }
    if let Some(a) = field(g, "AuthType").filter(|a| !a.is_empty()) {
        s.push_str(&format!(" ({a})"));
    }
    if let Some(e) = field(g, "ErrorCode").filter(|e| !e.is_empty() && *e != "0") {
        s.push_str(&format!(" error {e}"));
    }
    s
}

pub(super) fn derive(h: &HostEvidence, out: &mut Out) {
    let mut cap = Bucket::default();
    let mut rap = Bucket::default();
    let mut unreachable = Bucket::default();
    let mut limit = Bucket::default();
    let mut tunnel = Bucket::default();
    let gateway = h.events.groups.iter().filter(|g| {
        !h.is_other_machine(g.computer.as_deref())
            && (g.channel.to_ascii_lowercase().contains(CHANNEL)
                || g.provider.to_ascii_lowercase().contains(CHANNEL))
    });
    for g in gateway {
        let bucket = match g.event_id {
            201 | 204 | 305 => &mut cap,
            301 => &mut rap,
            304 => &mut unreachable,
            203 => &mut limit,
            306 => &mut tunnel,
            _ => continue,
        };
        bucket.push(g, part(g));
    }
    cap.emit(
        out,
        F::EventGatewayCapDenied,
        Severity::Warn,
        "The RD Gateway refused users on its connection authorization policy (CAP), health policy or authentication method",
    );
    rap.emit(
        out,
        F::EventGatewayRapDenied,
        Severity::Warn,
        "The RD Gateway refused users a resource: no resource authorization policy (RAP) allows it",
    );
    unreachable.emit(
        out,
        F::EventGatewayTargetUnreachable,
        Severity::Warn,
        "The RD Gateway let users through but could not reach the resource",
    );
    limit.emit(
        out,
        F::EventGatewayConnectionLimit,
        Severity::Warn,
        "The RD Gateway refused users at its maximum number of connections",
    );
    tunnel.emit(
        out,
        F::EventGatewayTunnelFailed,
        Severity::Warn,
        "The RD Gateway could not create tunnels (usually its certificate)",
    );
}
