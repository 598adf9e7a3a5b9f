//! A server's certificate → findings, one judgement for every source that
//! saw one: the wire probe's TLS server (`derive::tls`) and a packet
//! capture's Certificate message (`capture`). The findings are the same ids
//! with the same evidence, so they rank into the same causes.

use rdpdoctor_evidence::CertificateFacts;

use crate::derive::{CLOCK_SKEW_TOLERANCE_SECS, EXPIRES_SOON_DAYS};
use crate::facts::tls::*;
use crate::finding::{Finding, FindingId, Severity};

/// What the source knows beyond the certificate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seen<'a> {
    /// The name the client asked for (the target typed, a capture's SNI),
    /// and whether the certificate names it; `None` when unknown.
    pub target: Option<(&'a str, bool)>,
    /// The server's clock minus ours, where the source read it (NTLM).
    pub clock_skew_seconds: Option<i64>,
    /// Who looked, for sentences: `the probe`, `the capture`.
    pub by: &'a str,
    /// The source's own TLS client refused the handshake (the probe's
    /// rustls): said beside a weak key.
    pub strict_client_refused: bool,
}

/// The findings of the server's certificate `c`, as `seen`.
pub(crate) fn findings(c: &CertificateFacts, seen: Seen<'_>, out: &mut Vec<Finding>) {
    let certificate = CertificateIdentity::of(c);
    if c.expired {
        out.push(Finding::new(
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
        ));
    } else if c.not_yet_valid {
        out.push(Finding::new(
            FindingId::CertNotYetValid,
            Severity::Warn,
            format!(
                "The server's certificate is not valid until {}: clients warn, and those that refuse untrusted certificates fail. Either it was issued with a future start date, or a clock is wrong{}",
                c.not_before,
                match seen.clock_skew_seconds {
                    Some(s) if s.abs() <= CLOCK_SKEW_TOLERANCE_SECS =>
                        " (the server's clock is right: it is the certificate)".to_owned(),
                    Some(_) => " (the server's clock is off: see clock-skew)".to_owned(),
                    None => format!(" ({} could not read the server's clock)", seen.by),
                }
            ),
            &NotYetValidCertificateFacts {
                certificate: certificate.clone(),
            },
        ));
    } else if c.days_left < EXPIRES_SOON_DAYS {
        out.push(Finding::new(
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
        ));
    }
    if let Some((target, false)) = seen.target {
        out.push(Finding::new(
            FindingId::CertNameMismatch,
            Severity::Warn,
            format!(
                "The certificate is for {} but you connected to {}: clients warn, or refuse when they enforce the name",
                cert_names(c),
                target
            ),
            &CertificateNamesFacts {
                certificate: certificate.clone(),
                target,
                common_name: c.common_name.as_deref(),
                subject_alt_names: &c.subject_alt_names,
            },
        ));
    }
    if c.self_signed {
        out.push(Finding::new(
            FindingId::CertSelfSigned,
            Severity::Info,
            "The certificate is self-signed (the Windows default): clients cannot verify it and ask the user to trust it".into(),
            &CertificateIssuerFacts {
                certificate: certificate.clone(),
                issuer: &c.issuer,
            },
        ));
    }
    // Weak crypto is a warning: mstsc and FreeRDP (OpenSSL at its level 1)
    // still connect to an RSA-1024/SHA-1 certificate; strict stacks (rustls,
    // Apple's) refuse it, and the client predictions say which.
    let weak_severity = Severity::Warn;
    let refused = if seen.strict_client_refused {
        ": strict TLS clients refuse the handshake (rustls did here)"
    } else {
        ""
    };
    // Decided on the signature algorithm's OID, never on its name.
    if c.signature_hash().is_weak() {
        out.push(Finding::new(
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
        ));
    }
    if c.key_type == "RSA" && c.key_bits.is_some_and(|b| b < 2048) {
        out.push(Finding::new(
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
        ));
    }
}

fn cert_names(c: &CertificateFacts) -> String {
    if !c.subject_alt_names.is_empty() {
        c.subject_alt_names.join(", ")
    } else {
        c.common_name.clone().unwrap_or_else(|| c.subject.clone())
    }
}
