//! Hand-built evidence shared by the engine's tests.
// Each test binary uses its own part of this module.
#![allow(dead_code)]

use rdpdoctor_diagnose::{Context, Evidence, Judgement, UserCodes, judge, read_codes};
use rdpdoctor_evidence::{CertificateFacts, ProbeReport, Target};

/// An empty report for `rdp.example.com:3389`; each test adds what it saw.
pub fn report() -> ProbeReport {
    report_at("2026-11-21T00:00:00Z")
}

/// An empty report for `rdp.example.com:3389`, made at `generated`.
pub fn report_at(generated: &str) -> ProbeReport {
    ProbeReport::new(
        Target {
            input: "rdp.example.com".into(),
            host: "rdp.example.com".into(),
            port: 3389,
            host_is_ip: false,
        },
        "test",
        generated.into(),
    )
}

/// The judgement of `r` with the codes the user gave (`--error said`).
pub fn with_error(r: &ProbeReport, said: &str) -> Judgement {
    let codes = read_codes(said).unwrap();
    let user = UserCodes {
        input: said,
        explanation: &codes,
    };
    judge(
        &Evidence::wire(r).with_codes(Some(user)),
        &Context::default(),
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

/// One `--user` NLA logon attempt of `CONTOSO\alice` (HYBRID_EX) that
/// ended as given.
pub fn logon_evidence(
    outcome: rdpdoctor_evidence::LogonOutcome,
    phase: rdpdoctor_evidence::LogonPhase,
    ntstatus: Option<u32>,
    early: Option<u32>,
) -> rdpdoctor_evidence::LogonEvidence {
    rdpdoctor_evidence::LogonEvidence {
        user: "CONTOSO\\alice".into(),
        method: rdpdoctor_evidence::LogonMethod::Credssp,
        via: Some(rdpdoctor_evidence::Protocol::HybridEx),
        phase_reached: phase,
        outcome,
        credssp_version: Some(6),
        ntstatus,
        early_user_auth: early,
        early_user_auth_name: None,
        logon_error: None,
        logon_notification: None,
        error_info: None,
        error_info_name: None,
        detail: None,
        elapsed_ms: 10.0,
        mechanism: None,
    }
}
