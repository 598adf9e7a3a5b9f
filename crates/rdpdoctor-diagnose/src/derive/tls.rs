//! TLS and the served certificate → findings: versions, handshake
//! failures, expiry, names, key and signature.

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
    let certificate = CertificateIdentity::of(c);
    if c.expired {
        out.add(
            FindingId::CertExpired,
            Severity::Warn,
            format!(
                "The server's certificate expired on {} ({} days ago): clients warn, and those that refuse untrusted certificates fail",
                c.not_after, -c.days_left
            ),
            &ExpiredCertificateFacts {
                certificate: certificate.clone(),
                days_left: c.days_left,
                self_signed: c.self_signed,
            },
        );
    } else if c.not_yet_valid {
        out.add(
            FindingId::CertNotYetValid,
            Severity::Warn,
            format!("The server's certificate is not valid until {}: clients warn, and those that refuse untrusted certificates fail. Either it was issued with a future start date, or a clock is wrong{}", c.not_before, match r.ntlm.as_ref().and_then(|n| n.clock_skew_seconds) {
                Some(s) if s.abs() <= CLOCK_SKEW_TOLERANCE_SECS => " (the server's clock is right: it is the certificate)",
                Some(_) => " (the server's clock is off: see clock-skew)",
                None => " (the probe could not read the server's clock)",
            }),
            &NotYetValidCertificateFacts {
                certificate: certificate.clone(),
            },
        );
    } else if c.days_left < EXPIRES_SOON_DAYS {
        out.add(
            FindingId::CertExpiresSoon,
            Severity::Warn,
            format!(
                "The server's certificate expires in {} days, on {}",
                c.days_left, c.not_after
            ),
            &ExpiringCertificateFacts {
                certificate: certificate.clone(),
                days_left: c.days_left,
            },
        );
    }
    if c.matches_target == Some(false) {
        out.add(
            FindingId::CertNameMismatch,
            Severity::Warn,
            format!(
                "The certificate is for {} but you connected to {}: clients warn, or refuse when they enforce the name",
                cert_names(c),
                r.target.host
            ),
            &CertificateNamesFacts {
                certificate: certificate.clone(),
                target: &r.target.host,
                common_name: c.common_name.as_deref(),
                subject_alt_names: &c.subject_alt_names,
            },
        );
    }
    if c.self_signed {
        out.add(
            FindingId::CertSelfSigned,
            Severity::Info,
            "The certificate is self-signed (the Windows default): clients cannot verify it and ask the user to trust it".into(),
            &CertificateIssuerFacts {
                certificate: certificate.clone(),
                issuer: &c.issuer,
            },
        );
    }
    // Weak crypto is a warning: mstsc and FreeRDP (OpenSSL at its level 1)
    // still connect to an RSA-1024/SHA-1 certificate; strict stacks (rustls,
    // Apple's) refuse it, and the client predictions say which.
    let weak_severity = Severity::Warn;
    let refused = if r.tls.as_ref().is_some_and(|t| t.version.is_none()) {
        ": strict TLS clients refuse the handshake (rustls did here)"
    } else {
        ""
    };
    let sig = c.signature_algorithm.to_ascii_lowercase();
    if sig.contains("md5") || sig.contains("sha1") || sig.contains("sha-1") {
        out.add(
            FindingId::CertWeakSignature,
            weak_severity,
            format!(
                "The certificate is signed with {}, which current clients distrust",
                c.signature_algorithm
            ),
            &CertificateSignatureFacts {
                certificate: certificate.clone(),
                signature_algorithm: &c.signature_algorithm,
            },
        );
    }
    if c.key_type == "RSA" && c.key_bits.is_some_and(|b| b < 2048) {
        out.add(
            FindingId::CertWeakKey,
            weak_severity,
            format!(
                "The certificate's RSA key has only {} bits (2048 is the minimum current TLS stacks accept){refused}",
                c.key_bits.unwrap_or(0)
            ),
            &CertificateKeyFacts {
                certificate,
                key_type: &c.key_type,
                key_bits: c.key_bits,
            },
        );
    }
}

fn cert_names(c: &rdpdoctor_evidence::CertificateFacts) -> String {
    if !c.subject_alt_names.is_empty() {
        c.subject_alt_names.join(", ")
    } else {
        c.common_name.clone().unwrap_or_else(|| c.subject.clone())
    }
}
