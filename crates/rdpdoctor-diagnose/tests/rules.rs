//! The rules on hand-built evidence, and the rule table's integrity.

use rdpdoctor_diagnose::{Confidence, Verdict, diagnose, rules::RULES};
use rdpdoctor_evidence::*;

fn report_with(findings: &[(FindingId, Severity)]) -> ProbeReport {
    let mut r = ProbeReport::new(
        Target {
            input: "h".into(),
            host: "h".into(),
            port: 3389,
            host_is_ip: false,
        },
        "test",
        "t".into(),
    );
    r.findings = findings
        .iter()
        .map(|(id, severity)| Finding {
            id: *id,
            severity: *severity,
            summary: format!("{id} seen"),
            evidence: Default::default(),
        })
        .collect();
    r
}

fn top(r: &ProbeReport, error: Option<&str>) -> String {
    diagnose(r, error)
        .unwrap()
        .causes
        .first()
        .map(|c| c.id.clone())
        .unwrap_or_default()
}

#[test]
fn every_rule_names_a_real_finding_and_cause() {
    let kb = rdpdoctor_kb::kb();
    let qualified = [
        "host-unreachable/fast",
        "host-unreachable/slow",
        "tls-handshake-failed/no-answer",
        "tls-handshake-failed/reset",
        "tls-handshake-failed/closed",
        "tls-handshake-failed/alert",
    ];
    for rule in RULES {
        let known =
            FindingId::from_name(rule.finding).is_some() || qualified.contains(&rule.finding);
        assert!(known, "unknown finding {}", rule.finding);
        assert!(
            kb.cause(rule.cause).is_some(),
            "unknown cause {}",
            rule.cause
        );
        assert!((0.0..=1.0).contains(&rule.weight));
    }
    // Every fail-severity finding the probe can emit leads somewhere.
    for id in FindingId::ALL {
        let covered = RULES.iter().any(|r| r.finding == id.name());
        let informational = matches!(id, FindingId::NlaOptional);
        assert!(covered || informational, "no rule for finding {id}");
    }
}

#[test]
fn each_decisive_finding_ranks_its_cause_first() {
    use FindingId::*;
    use Severity::*;
    for (finding, sev, cause) in [
        (CertExpired, Fail, "rdp-cert-expired"),
        (PortClosed, Fail, "port-closed-or-service-stopped"),
        (PortFiltered, Fail, "firewall-or-public-network-profile"),
        (DnsFailure, Fail, "name-resolution"),
        (CredsspUnpatched, Fail, "credssp-encryption-oracle"),
        (TlsLegacyOnly, Fail, "tls-version-or-cipher-mismatch"),
        (SslCertNotOnServer, Fail, "ssl-cert-not-on-server"),
        (ServerDeniedConnection, Fail, "user-not-allowed"),
        (LicensingError, Fail, "rds-licensing"),
        (ClockSkew, Warn, "clock-skew"),
        (NlaRequired, Info, "nla-required-client-lacks"),
        (NotRdp, Fail, "port-used-by-other-service"),
    ] {
        assert_eq!(
            top(&report_with(&[(finding, sev)]), None),
            cause,
            "{finding}"
        );
    }
}

#[test]
fn fips_outranks_the_generic_rdp_security_cause() {
    use FindingId::*;
    let r = report_with(&[
        (FipsRequired, Severity::Warn),
        (RdpSecurityOnly, Severity::Warn),
        (NlaNotOffered, Severity::Warn),
    ]);
    assert_eq!(top(&r, None), "fips-required");
}

#[test]
fn a_finding_that_rules_a_cause_out_pushes_it_down() {
    use FindingId::*;
    // A stale certificate finding next to a closed port (the KB says a closed
    // port rules the certificate cause out): the port comes first, and the
    // certificate cause carries the evidence against it.
    let r = report_with(&[(CertExpired, Severity::Fail), (PortClosed, Severity::Fail)]);
    let d = diagnose(&r, None).unwrap();
    assert_eq!(d.causes[0].id, "port-closed-or-service-stopped");
    let cert = d
        .causes
        .iter()
        .find(|c| c.id == "rdp-cert-expired")
        .expect("still listed");
    assert!(
        cert.evidence_against
            .iter()
            .any(|e| e.starts_with("port-closed")),
        "{:?}",
        cert.evidence_against
    );
    assert!(cert.score < 0.2);
}

#[test]
fn the_error_the_user_saw_focuses_the_ranking() {
    // No probe evidence at all: the error alone ranks the causes.
    let r = report_with(&[]);
    assert_eq!(top(&r, Some("0x904:0x7")), "user-not-allowed");
    assert_eq!(top(&r, Some("0x80090302")), "credssp-encryption-oracle");
    // With an unpatched CredSSP found, the CredSSP dialog text agrees with it.
    let r = report_with(&[(FindingId::CredsspUnpatched, Severity::Fail)]);
    let d = diagnose(
        &r,
        Some("An authentication error has occurred. The function requested is not supported"),
    )
    .unwrap();
    assert_eq!(d.causes[0].id, "credssp-encryption-oracle");
    assert_eq!(d.causes[0].confidence, Confidence::High);
    assert!(d.error.as_ref().unwrap().codes.len() + 1 > 0);
}

#[test]
fn a_bad_error_hint_is_an_error() {
    assert!(diagnose(&report_with(&[]), Some("hello there")).is_err());
}

#[test]
fn verdicts() {
    assert_eq!(
        diagnose(&report_with(&[]), None).unwrap().verdict,
        Verdict::Healthy
    );
    let r = report_with(&[(FindingId::CertExpired, Severity::Fail)]);
    let d = diagnose(&r, None).unwrap();
    assert_eq!(d.verdict, Verdict::Failing);
    assert!(d.headline.contains("expired"), "{}", d.headline);
    assert!(!d.causes[0].fixes.is_empty() && !d.causes[0].confirm.is_empty());
}

#[test]
fn fast_icmp_reject_points_at_a_firewall_slow_one_at_a_dead_host() {
    let mut r = report_with(&[(FindingId::HostUnreachable, Severity::Fail)]);
    let sample = |ms: f64| ConnectSample {
        connected: false,
        elapsed_ms: ms,
        error: Some("unreachable".into()),
    };
    r.tcp = Some(TcpEvidence {
        state: PortState::Unreachable,
        samples: vec![sample(1.0); 3],
        rtt_ms: None,
        failures: 3,
        first_response: None,
        other_protocol: None,
    });
    assert_eq!(top(&r, None), "firewall-or-public-network-profile");
    r.tcp.as_mut().unwrap().samples = vec![sample(3050.0); 3];
    assert_eq!(top(&r, None), "host-offline-or-unroutable");
}

#[test]
fn how_the_tls_handshake_failed_decides_between_path_and_server() {
    let mut r = report_with(&[(FindingId::TlsHandshakeFailed, Severity::Fail)]);
    let tls = |failure| TlsEvidence {
        via: "SSL".into(),
        version: None,
        cipher_suite: None,
        error: None,
        failure: Some(failure),
        versions: vec![],
    };
    r.tls = Some(tls(HandshakeFailure::NoAnswer));
    assert_eq!(top(&r, None), "endpoint-protection-interference");
    r.tls = Some(tls(HandshakeFailure::Reset));
    assert_eq!(top(&r, None), "rdp-cert-private-key-broken");
    r.tls = Some(tls(HandshakeFailure::Alert));
    assert_eq!(top(&r, None), "tls-version-or-cipher-mismatch");
}
