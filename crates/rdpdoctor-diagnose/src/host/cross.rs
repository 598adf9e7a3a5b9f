//! Where the host evidence and the wire meet: the certificate served against
//! the one configured, and whether the evidence is of the machine that
//! answered, as it is now.

use super::{Out, SettingFacts, origin_text};
use crate::facts::host::{HostWireDisagreeFacts, ServedCertNotConfiguredFacts};
use crate::finding::{FindingId as F, Severity};
use rdpdoctor_evidence::host::{HostEvidence, ServiceStart};
use rdpdoctor_evidence::{NegotiationOutcome, PortState, ProbeReport};

pub(super) fn derive(h: &HostEvidence, r: &ProbeReport, out: &mut Out) {
    if let (Some(cfg), Some(cert)) = (&h.terminal_server.ssl_certificate_sha1_hash, &r.certificate)
        && !cfg.value.eq_ignore_ascii_case(&cert.sha1_thumbprint)
    {
        out.add(
            F::ServedCertNotConfigured,
            Severity::Warn,
            format!(
                "The server serves certificate {} but SSLCertificateSHA1Hash names {}: the configured certificate is not in use (its key may be unreadable), or another machine answered",
                cert.sha1_thumbprint, cfg.value
            ),
            &ServedCertNotConfiguredFacts {
                served: &cert.sha1_thumbprint,
                SSLCertificateSHA1Hash: SettingFacts::of(cfg),
            },
        );
    }
    let mut why = Vec::new();
    let wire_name = r
        .ntlm
        .as_ref()
        .and_then(|n| n.netbios_computer_name.as_deref());
    if let (Some(host_name), Some(wire_name)) = (&h.identity.computer_name, wire_name)
        && !host_name.value.eq_ignore_ascii_case(wire_name)
    {
        why.push(format!(
            "the host evidence is of {} ({}) but the server that answered calls itself {}",
            host_name.value,
            origin_text(&host_name.origin),
            wire_name
        ));
    }
    let rdp_answered = r.negotiation.as_ref().is_some_and(|n| {
        n.attempts.iter().any(|a| {
            matches!(
                a.outcome,
                NegotiationOutcome::Selected { .. }
                    | NegotiationOutcome::Failure { .. }
                    | NegotiationOutcome::NoNegotiationData
            )
        })
    }) && r.tcp.as_ref().is_some_and(|t| t.state == PortState::Open);
    if rdp_answered {
        if h.terminal_server
            .deny_ts_connections
            .as_ref()
            .is_some_and(|s| s.value == 1)
        {
            why.push(
                "the host evidence says Remote Desktop is switched off, yet an RDP server answered"
                    .into(),
            );
        }
        let disabled = h.services.iter().any(|s| {
            s.name.eq_ignore_ascii_case("TermService")
                && s.start
                    .as_ref()
                    .is_some_and(|x| x.value == ServiceStart::Disabled)
        });
        if disabled {
            why.push(
                "the host evidence says TermService is disabled, yet an RDP server answered".into(),
            );
        }
    }
    if !why.is_empty() {
        out.add(
            F::HostWireDisagree,
            Severity::Warn,
            format!(
                "The host evidence disagrees with the wire: {}. Is it the same machine, and current?",
                why.join("; ")
            ),
            &HostWireDisagreeFacts { why },
        );
    }
}
