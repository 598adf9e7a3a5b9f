//! TLS and the served certificate → findings: versions, handshake
//! failures, and the certificate through the one judgement of
//! [`crate::certificate`] (expiry, names, key and signature).

use super::*;
use crate::facts::tls::*;

pub(super) fn tls_and_certificate(r: &ProbeReport, out: &mut Out) {
    let step = r.limits.step_secs();
    if let Some(tls) = &r.tls {
        if tls.version.is_none() && tls.accepted_versions().is_empty() {
            let why = match tls.failure {
                Some(HandshakeFailure::NoAnswer) => format!("the ClientHello got no answer within {step}: something on the path (a filtering firewall, an antivirus or TLS-inspecting proxy, a VPN with a broken MTU) swallows the handshake"),
                Some(HandshakeFailure::Reset) => "the handshake was reset: the server could not use its certificate or key, or something cut it".to_owned(),
                Some(HandshakeFailure::Closed) => "the server closed the connection during the handshake".to_owned(),
                Some(HandshakeFailure::Alert) => format!(
                    "the server refused it with a TLS alert ({})",
                    tls.error.as_deref().unwrap_or("?")
                ),
                _ => tls.error.clone().unwrap_or_else(|| "unknown error".into()),
            };
            let q = match tls.failure {
                Some(HandshakeFailure::NoAnswer) => Some(Qualifier::NoAnswer),
                Some(HandshakeFailure::Reset) => Some(Qualifier::Reset),
                Some(HandshakeFailure::Closed) => Some(Qualifier::Closed),
                Some(HandshakeFailure::Alert) => Some(Qualifier::Alert),
                _ => None,
            };
            out.add_q(
                FindingId::TlsHandshakeFailed,
                Severity::Fail,
                q,
                format!("The server selected TLS but no TLS handshake completed: {why}"),
                &TlsHandshakeFacts {
                    via: tls.via,
                    failure: tls.failure,
                    error: tls.error.as_deref(),
                },
            );
        }
        let accepted = tls.accepted_versions();
        let legacy: Vec<_> = accepted
            .iter()
            .filter(|v| v.is_legacy())
            .map(|v| v.name())
            .collect();
        let modern: Vec<_> = accepted
            .iter()
            .filter(|v| !v.is_legacy())
            .map(|v| v.name())
            .collect();
        if !legacy.is_empty() && modern.is_empty() {
            out.add(
                FindingId::TlsLegacyOnly,
                Severity::Fail,
                format!(
                    "The server only accepts {}: clients with TLS 1.0/1.1 disabled (current Windows, macOS, FreeRDP) cannot connect",
                    legacy.join(" and ")
                ),
                &TlsVersionsFacts {
                    accepted: accepted.clone(),
                },
            );
        } else if accepted == [TlsVersion::Tls13]
            // Only when TLS 1.2 was tried and refused: untested (the fast
            // profile, a busy server) is not "1.3 only".
            && tls
                .versions
                .iter()
                .any(|v| v.version == TlsVersion::Tls12 && v.accepted == Some(false))
        {
            out.add(
                FindingId::Tls13Only,
                Severity::Warn,
                "The server accepts only TLS 1.3: mstsc on Windows 10 / Server 2019 and older (no TLS 1.3 in their Schannel) cannot connect".into(),
                &TlsVersionsFacts {
                    accepted: accepted.clone(),
                },
            );
        } else if !legacy.is_empty() {
            out.add(
                FindingId::TlsLegacyEnabled,
                Severity::Warn,
                format!(
                    "The server still accepts {} beside {}",
                    legacy.join(" and "),
                    modern.join(" and ")
                ),
                &TlsVersionsFacts {
                    accepted: accepted.clone(),
                },
            );
        }
    }
    let Some(c) = &r.certificate else { return };
    let seen = crate::certificate::Seen {
        target: c.matches_target.map(|m| (r.target.host.as_str(), m)),
        clock_skew_seconds: r.ntlm.as_ref().and_then(|n| n.clock_skew_seconds),
        by: "the probe",
        strict_client_refused: r.tls.as_ref().is_some_and(|t| t.version.is_none()),
    };
    crate::certificate::findings(c, seen, &mut out.0);
}
