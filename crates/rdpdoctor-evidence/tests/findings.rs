//! Findings and client-path predictions on hand-built evidence.

use rdpdoctor_evidence::*;

fn report() -> ProbeReport {
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

fn tcp(state: PortState, rtts: &[f64], failures: u32) -> TcpEvidence {
    let mut samples: Vec<ConnectSample> = rtts
        .iter()
        .map(|&r| ConnectSample {
            connected: true,
            elapsed_ms: r,
            error: None,
        })
        .collect();
    for _ in 0..failures {
        samples.push(ConnectSample {
            connected: false,
            elapsed_ms: 5000.0,
            error: Some("timeout".into()),
        });
    }
    TcpEvidence {
        state,
        samples,
        rtt_ms: Stats::of(rtts),
        failures,
        first_response: None,
        other_protocol: None,
    }
}

fn ids(r: &ProbeReport) -> Vec<&'static str> {
    findings::derive(r).iter().map(|f| f.id.name()).collect()
}

fn cert(not_after_days: i64) -> CertificateFacts {
    CertificateFacts {
        subject: "CN=rdp.example.com".into(),
        common_name: Some("rdp.example.com".into()),
        key_type: "RSA".into(),
        key_bits: Some(2048),
        signature_algorithm: "sha256WithRSAEncryption".into(),
        days_left: not_after_days,
        expired: not_after_days < 0,
        matches_target: Some(true),
        server_auth: true,
        ..Default::default()
    }
}

#[test]
fn closed_filtered_and_unreachable_are_failures_with_their_own_ids() {
    for (state, id) in [
        (PortState::Refused, "port-closed"),
        (PortState::Filtered, "port-filtered"),
        (PortState::Unreachable, "host-unreachable"),
        (PortState::AcceptedThenClosed, "connection-closed-by-server"),
        (PortState::AcceptedAndSilent, "server-silent"),
    ] {
        let mut r = report();
        r.tcp = Some(tcp(state, &[], 5));
        let f = findings::derive(&r);
        assert_eq!(f[0].id.name(), id);
        assert_eq!(f[0].severity, Severity::Fail);
    }
}

#[test]
fn a_lossy_path_is_unstable_but_a_steady_one_is_not() {
    let mut r = report();
    r.tcp = Some(tcp(PortState::Open, &[0.3, 0.4, 0.3, 1020.0, 0.2], 0));
    assert!(
        ids(&r).contains(&"unstable-network"),
        "SYN retransmit spike"
    );
    r.tcp = Some(tcp(PortState::Open, &[0.3, 0.4], 3));
    assert!(ids(&r).contains(&"unstable-network"), "failed samples");
    r.tcp = Some(tcp(PortState::Open, &[80.0, 95.0, 90.0, 85.0, 120.0], 0));
    assert!(
        !ids(&r).contains(&"unstable-network"),
        "a far but steady host"
    );
}

#[test]
fn certificate_lifetimes() {
    let mut r = report();
    r.certificate = Some(cert(-41));
    assert_eq!(ids(&r), vec!["cert-expired"]);
    r.certificate = Some(cert(12));
    assert_eq!(ids(&r), vec!["cert-expires-soon"]);
    r.certificate = Some(cert(200));
    assert!(ids(&r).is_empty());
    let mut c = cert(200);
    c.not_yet_valid = true;
    r.certificate = Some(c);
    assert_eq!(ids(&r), vec!["cert-not-yet-valid"]);
}

#[test]
fn weak_and_mismatched_certificates() {
    let mut r = report();
    let mut c = cert(300);
    c.key_bits = Some(1024);
    c.signature_algorithm = "sha1WithRSAEncryption".into();
    c.matches_target = Some(false);
    c.self_signed = true;
    r.certificate = Some(c);
    let got = ids(&r);
    for id in [
        "cert-weak-key",
        "cert-weak-signature",
        "cert-name-mismatch",
        "cert-self-signed",
    ] {
        assert!(got.contains(&id), "{id} missing from {got:?}");
    }
}

#[test]
fn credssp_version_and_clock_skew() {
    let mut r = report();
    r.credssp = Some(CredSspEvidence {
        server_version: Some(3),
        client_version: 6,
        error_code: None,
        ntlm_challenge: true,
        error: None,
    });
    r.ntlm = Some(NtlmFacts {
        clock_skew_seconds: Some(3600),
        server_time: Some("x".into()),
        ..Default::default()
    });
    let f = findings::derive(&r);
    assert_eq!(f[0].id, FindingId::CredsspUnpatched);
    assert!(
        f.iter()
            .any(|f| f.id == FindingId::ClockSkew && f.summary.contains("1 h ahead"))
    );
    r.credssp.as_mut().unwrap().server_version = Some(6);
    r.ntlm.as_mut().unwrap().clock_skew_seconds = Some(-240);
    assert!(
        ids(&r).is_empty(),
        "patched, 4 minutes behind: {:?}",
        ids(&r)
    );
}

#[test]
fn tls_versions() {
    let mut r = report();
    let v = |version, accepted| TlsVersionResult {
        version,
        accepted: Some(accepted),
        cipher_suite: None,
        detail: None,
    };
    r.tls = Some(TlsEvidence {
        via: "SSL".into(),
        version: None,
        cipher_suite: None,
        error: Some("alert".into()),
        failure: Some(HandshakeFailure::Alert),
        versions: vec![
            v(TlsVersion::Tls10, true),
            v(TlsVersion::Tls11, false),
            v(TlsVersion::Tls12, false),
            v(TlsVersion::Tls13, false),
        ],
    });
    assert_eq!(ids(&r), vec!["tls-legacy-only"]);
    r.tls.as_mut().unwrap().versions[2].accepted = Some(true);
    r.tls.as_mut().unwrap().version = Some(TlsVersion::Tls12);
    assert_eq!(ids(&r), vec!["tls-legacy-enabled"]);
}

#[test]
fn finding_ids_round_trip_and_are_unique() {
    let mut seen = std::collections::HashSet::new();
    for id in FindingId::ALL {
        assert!(seen.insert(id.name()), "duplicate {}", id.name());
        assert_eq!(FindingId::from_name(id.name()), Some(*id));
        let json = serde_json::to_string(id).unwrap();
        assert_eq!(json, format!("\"{}\"", id.name()));
    }
}

#[test]
fn the_json_schema_doc_lists_every_finding_id() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/json-schema.md"
    ))
    .unwrap();
    for id in FindingId::ALL {
        assert!(
            doc.contains(&format!("`{}`", id.name())),
            "docs/json-schema.md lacks `{id}`"
        );
    }
}

#[test]
fn handshake_failure_names_are_the_json_names() {
    for f in [
        HandshakeFailure::NoAnswer,
        HandshakeFailure::Reset,
        HandshakeFailure::Closed,
        HandshakeFailure::Alert,
        HandshakeFailure::Other,
    ] {
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            format!("\"{}\"", f.name())
        );
    }
}
