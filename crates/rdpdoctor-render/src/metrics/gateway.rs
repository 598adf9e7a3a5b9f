//! The RD Gateway path's metrics (`probe --gateway`, `scan --gateway`, an
//! exporter module with a `gateway`): each hop tried with its outcome, so
//! an alert names the hop that failed; whether the target was probed
//! through the channel; the UDP side channel's check where the gateway
//! announced one.

use super::{Families, kebab, label_value, secs};
use rdpdoctor_evidence::{GatewayEvidence, HopOutcome, UdpOutcome};

pub(super) fn gateway(f: &mut Families, g: &GatewayEvidence) {
    for h in &g.hops {
        f.gauge(
            "rdp_gateway_hop_ok",
            "Each hop of the path through the RD Gateway that was tried (dns, tcp, tls, http, http-auth, handshake, tunnel-create, tunnel-auth, channel-create): 1 when it went through, 0 where the path stopped.",
            &[("hop", h.hop.name())],
            if h.outcome == HopOutcome::Ok { 1.0 } else { 0.0 },
        );
        f.gauge(
            "rdp_gateway_hop_duration_seconds",
            "Wall time of each hop of the path through the RD Gateway.",
            &[("hop", h.hop.name())],
            secs(h.elapsed_ms),
        );
    }
    if let Some(h) = g.failed_hop() {
        f.gauge(
            "rdp_gateway_failed_hop_info",
            "The hop where the path through the RD Gateway stopped, how, and the gateway's status there (an HTTP status or an E_PROXY_* HRESULT name; empty when it sent none).",
            &[
                ("hop", h.hop.name()),
                ("outcome", &kebab(&h.outcome)),
                ("status", &label_value(h.status_name.as_deref().unwrap_or(""))),
            ],
            1.0,
        );
    }
    f.flag(
        "rdp_gateway_channel_opened",
        "1 when the RD Gateway opened a channel to the target.",
        g.channel_opened,
    );
    f.flag(
        "rdp_gateway_target_probed",
        "1 when the target's negotiation, TLS and certificate were probed through the RD Gateway's channel.",
        g.target_probed,
    );
    if let Some(c) = &g.certificate {
        f.gauge(
            "rdp_gateway_certificate_not_after_timestamp_seconds",
            "When the RD Gateway's own TLS certificate expires (Unix time).",
            &[],
            c.not_after_unix as f64,
        );
    }
    // Only where the check was made: a build without OpenSSL has no
    // evidence either way.
    if let Some(u) = g
        .udp
        .as_ref()
        .filter(|u| u.outcome != UdpOutcome::NotChecked)
    {
        f.gauge(
            "rdp_gateway_udp_reachable",
            "1 when the UDP side channel the RD Gateway announced (MS-TSGU 1.3.3) answered the DTLS ClientHello, 0 when it was refused, silent within the deadline or not DTLS (the outcome label says which).",
            &[("port", &u.port.to_string()), ("outcome", u.outcome.name())],
            if u.outcome == UdpOutcome::Reachable { 1.0 } else { 0.0 },
        );
        f.gauge(
            "rdp_gateway_udp_duration_seconds",
            "Wall time of the check of the RD Gateway's UDP side channel.",
            &[],
            secs(u.elapsed_ms),
        );
    }
}
