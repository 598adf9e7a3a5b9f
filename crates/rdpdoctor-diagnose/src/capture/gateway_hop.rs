//! The hop to an RD Gateway in a capture: HTTPS to the gateway, inside
//! which the RDP connection runs ([MS-TSGU 3.3.5.1]). What the capture
//! shows in the clear (the TCP handshake, the TLS handshake and its
//! alerts, who closed) is the gateway's, judged as the probe's gateway
//! hops are: the same finding for the same hop (`gateway-unreachable` for
//! TCP, `gateway-tls-failed` for TLS), hence the same causes. The RDP
//! findings (a closed RDP port, a TLS version for the RDP server) would
//! send the user to the wrong machine.
//!
//! [MS-TSGU 3.3.5.1]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-tsgu/

use super::{certificate, retransmissions};
use crate::finding::Finding;
use rdpdoctor_evidence::capture::{AlertLevel, CaptureConnection, CloseKind, MessageKind, Side};
use rdpdoctor_evidence::{GatewayHop, GatewayHopKind, HopOutcome};

/// Every finding of a connection that is the gateway hop.
pub(super) fn findings(c: &CaptureConnection, out: &mut Vec<Finding>) {
    if let Some(h) = failed_hop(c) {
        // A capture never sees the HTTP authentication (inside TLS).
        out.push(crate::gateway::hop_finding_at(&c.server, "NTLM", &h));
    }
    certificate(c, out);
    retransmissions(c, out);
}

fn side(s: Side) -> &'static str {
    match s {
        Side::Client => "client",
        Side::Server => "gateway",
    }
}

/// The hop where the capture shows the connection to the gateway stop, as
/// the probe would record it; `None` when nothing failed in the clear.
fn failed_hop(c: &CaptureConnection) -> Option<GatewayHop> {
    let t = &c.tcp;
    let hop = |hop, outcome, detail: String, elapsed_ms| GatewayHop {
        hop,
        outcome,
        status: None,
        status_name: None,
        detail: Some(detail),
        elapsed_ms,
    };
    if t.syns > 0 && !t.syn_ack {
        let first = t.closes.first().map_or(0.0, |x| x.at_ms);
        return Some(if c.syn_refused() {
            hop(
                GatewayHopKind::Tcp,
                HopOutcome::Closed,
                "the capture shows its SYN answered with a reset: nothing listens on that \
                 port, or a firewall set to reject refuses it"
                    .into(),
                first,
            )
        } else {
            hop(
                GatewayHopKind::Tcp,
                HopOutcome::NoAnswer,
                format!(
                    "the capture shows {} SYN(s) and no SYN+ACK: something on the path drops \
                     them, or the gateway is off",
                    t.syns
                ),
                first,
            )
        });
    }
    let tls = c.tls.as_ref()?;
    if let Some(a) = tls.alerts.iter().find(|a| a.level == AlertLevel::Fatal) {
        return Some(hop(
            GatewayHopKind::Tls,
            HopOutcome::Failed,
            format!(
                "the {} ended the TLS handshake with the fatal alert {}",
                side(a.from),
                a.description
            ),
            0.0,
        ));
    }
    let cut = t
        .closes
        .iter()
        .find(|x| x.after == Some(MessageKind::TlsClientHello));
    match cut {
        Some(x) if c.hello_unanswered() => Some(hop(
            GatewayHopKind::Tls,
            HopOutcome::Closed,
            format!(
                "the {}'s side {} the connection right after the client's ClientHello, \
                 before any ServerHello (endpoint protection or TLS inspection on the way, \
                 or a gateway that does not speak TLS there)",
                side(x.by),
                if x.kind == CloseKind::Rst {
                    "reset"
                } else {
                    "closed"
                }
            ),
            x.at_ms,
        )),
        _ => None,
    }
}
