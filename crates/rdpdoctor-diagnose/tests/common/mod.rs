//! Hand-built evidence shared by the engine's tests.

use rdpdoctor_evidence::{CertificateFacts, ProbeReport, Target};

/// An empty report for `rdp.example.com:3389`; each test adds what it saw.
pub fn report() -> ProbeReport {
    ProbeReport::new(
        Target {
            input: "rdp.example.com".into(),
            host: "rdp.example.com".into(),
            port: 3389,
            host_is_ip: false,
        },
        "test",
        "2026-11-21T00:00:00Z".into(),
    )
}

/// A CA-issued RSA 2048 certificate for the target, valid for `not_after_days` more days.
pub fn cert(not_after_days: i64) -> CertificateFacts {
    CertificateFacts {
        certificate: rdpdoctor_evidence::Certificate {
            subject: "CN=rdp.example.com".into(),
            common_name: Some("rdp.example.com".into()),
            key_type: "RSA".into(),
            key_bits: Some(2048),
            signature_algorithm: "sha256WithRSAEncryption".into(),
            server_auth: true,
            ..Default::default()
        },
        days_left: not_after_days,
        expired: not_after_days < 0,
        matches_target: Some(true),
        ..Default::default()
    }
}
