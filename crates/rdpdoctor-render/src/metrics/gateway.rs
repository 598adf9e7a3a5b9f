//! The RD Gateway path's metrics (`probe --gateway`, `scan --gateway`, an
//! exporter module with a `gateway`): each hop tried with its outcome, so
//! an alert names the hop that failed; whether the target was probed
//! through the channel.

use super::{Families, kebab, label_value, secs};
use rdpdoctor_evidence::{GatewayEvidence, HopOutcome};

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
}
