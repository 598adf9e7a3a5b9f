//! The exporter's metrics of one probe: what a Prometheus user queries and
//! alerts on, hostile label text neutralised, and a real parser's verdict
//! (`promtool check metrics`, Debian's prometheus package).

use rdpdoctor_diagnose::{Context, Evidence, judge};
use rdpdoctor_evidence::*;
use rdpdoctor_render::metrics::probe_metrics;

fn report(port: u16) -> ProbeReport {
    let mut r = ProbeReport::new(
        Target {
            input: format!("rdp.example.com:{port}"),
            host: "rdp.example.com".into(),
            port,
            host_is_ip: false,
        },
        "test",
        "2026-11-26T00:00:00Z".into(),
    );
    r.addresses.resolved = vec!["192.0.2.7".parse().unwrap()];
    r.addresses.used = Some("192.0.2.7".parse().unwrap());
    r.timings.total_ms = 1234.0;
    r.timings.stages_ms.insert(Stage::Dns, 2.0);
    r.timings.stages_ms.insert(Stage::Tcp, 5.0);
    r
}

fn tcp(state: PortState) -> TcpEvidence {
    let connected = state == PortState::Open;
    TcpEvidence {
        state,
        samples: vec![ConnectSample {
            failure_kind: None,
            connected,
            elapsed_ms: 0.4,
            error: (!connected).then(|| "refused".into()),
        }],
        rtt_ms: connected.then(|| Stats::of(&[0.4]).unwrap()),
        failures: u32::from(!connected),
        first_response: None,
        other_protocol: None,
    }
}

fn refused() -> ProbeReport {
    let mut r = report(3389);
    r.tcp = Some(tcp(PortState::Refused));
    r
}

/// A Windows-like host requiring NLA with an expired certificate whose
/// names, and the NTLM names, were chosen by a hostile server.
const HOSTILE: &str = "evil\"} 1\nrdp_cert_expired 0\n\\\x1b]0;pwned\x07\u{202e}gpj.exe";

fn nla_expired() -> ProbeReport {
    let mut r = report(3389);
    r.tcp = Some(tcp(PortState::Open));
    let refuse = || NegotiationOutcome::Failure {
        code: 5,
        name: Some("HYBRID_REQUIRED_BY_SERVER".into()),
    };
    let hybrid = || NegotiationOutcome::Selected {
        protocol: ProtocolSet::from_bits(Some(2)),
        flags: 0x1f,
        flag_names: vec![],
    };
    r.negotiation = Some(NegotiationEvidence {
        attempts: [
            (Some(0), refuse()),
            (Some(1), refuse()),
            (Some(2), hybrid()),
            (Some(3), hybrid()),
            (Some(11), hybrid()),
            (None, refuse()),
        ]
        .into_iter()
        .map(|(b, outcome)| NegotiationAttempt {
            requested: ProtocolSet::from_bits(b),
            outcome,
            connect_ms: 0.3,
            answer_ms: 0.5,
        })
        .collect(),
    });
    r.tls = Some(TlsEvidence {
        failure_kind: None,
        via: Protocol::Hybrid,
        version: Some(TlsVersion::Tls12),
        cipher_suite: Some("TLS13_AES_256_GCM_SHA384".into()),
        error: None,
        failure: None,
        versions: vec![
            TlsVersionResult {
                failure_kind: None,
                version: TlsVersion::Tls10,
                accepted: Some(true),
                elapsed_ms: Some(3.0),
                cipher_suite: None,
                detail: None,
                secure_renegotiation: None,
            },
            TlsVersionResult {
                failure_kind: None,
                version: TlsVersion::Tls13,
                accepted: None,
                elapsed_ms: None,
                cipher_suite: None,
                detail: Some("not tested".into()),
                secure_renegotiation: None,
            },
        ],
    });
    r.certificate = Some(CertificateFacts {
        certificate: rdpdoctor_evidence::Certificate {
            subject: format!("CN={HOSTILE}"),
            common_name: Some(HOSTILE.into()),
            issuer: format!("CN={HOSTILE}"),
            not_after_unix: 1_580_515_200,
            not_before_unix: 1_549_000_000,
            key_type: "RSA".into(),
            key_bits: Some(2048),
            signature_algorithm: "sha256WithRSAEncryption".into(),
            sha1_thumbprint: "AB".repeat(20),
            ..Default::default()
        },
        days_left: -2000,
        expired: true,
        matches_target: Some(false),
        ..Default::default()
    });
    r.credssp = Some(CredSspEvidence {
        failure_kind: None,
        server_version: Some(6),
        client_version: 6,
        error_code: None,
        ntlm_challenge: true,
        error: None,
    });
    r.ntlm = Some(NtlmFacts {
        netbios_computer_name: Some(HOSTILE.into()),
        dns_computer_name: Some("x".repeat(5000)),
        os_version: Some("10.0.20348".into()),
        clock_skew_seconds: Some(-420),
        ..Default::default()
    });
    r
}

fn metrics(r: &ProbeReport) -> String {
    let j = judge(&Evidence::wire(r), &Context::default());
    probe_metrics(r, &j)
}

/// The samples of `name`: (the label text between braces, the value).
fn samples<'a>(text: &'a str, name: &str) -> Vec<(&'a str, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let rest = l.strip_prefix(name)?;
            let (labels, value) = match rest.strip_prefix('{') {
                Some(r) => r.rsplit_once("} ")?,
                None => ("", rest.strip_prefix(' ')?),
            };
            Some((labels, value.parse().ok()?))
        })
        .collect()
}

fn value(text: &str, name: &str, labels: &str) -> Option<f64> {
    samples(text, name)
        .into_iter()
        .find(|(l, _)| *l == labels)
        .map(|(_, v)| v)
}

#[test]
fn a_closed_port_fails_the_probe_and_has_no_made_up_facts() {
    let m = metrics(&refused());
    assert_eq!(value(&m, "probe_success", ""), Some(0.0), "{m}");
    assert_eq!(value(&m, "probe_duration_seconds", ""), Some(1.234));
    assert_eq!(value(&m, "rdp_port_state", "state=\"refused\""), Some(1.0));
    assert_eq!(value(&m, "rdp_port_state", "state=\"open\""), Some(0.0));
    assert_eq!(
        value(&m, "rdp_finding", "id=\"port-closed\",severity=\"fail\""),
        Some(1.0),
        "{m}"
    );
    assert_eq!(
        value(&m, "rdp_verdict", "verdict=\"unreachable\""),
        Some(1.0)
    );
    assert_eq!(value(&m, "rdp_verdict", "verdict=\"healthy\""), Some(0.0));
    assert_eq!(
        value(&m, "rdp_phase_duration_seconds", "phase=\"tcp\""),
        Some(0.005)
    );
    // No evidence, no metric: no certificate, NLA, clock or CredSSP zeros.
    for absent in [
        "rdp_cert_",
        "rdp_nla_required",
        "rdp_clock_skew_seconds",
        "rdp_credssp_version",
        "rdp_security_",
        "rdp_tls_",
        "rdp_tcp_connect_seconds",
    ] {
        assert!(
            !m.lines().any(|l| l.starts_with(absent)),
            "{absent} without evidence:\n{m}"
        );
    }
}

#[test]
fn an_expired_certificate_keeps_its_date_and_nla_is_reported() {
    let m = metrics(&nla_expired());
    assert_eq!(value(&m, "probe_success", ""), Some(1.0), "{m}");
    assert_eq!(value(&m, "rdp_cert_expired", ""), Some(1.0));
    assert_eq!(
        value(&m, "rdp_cert_not_after_timestamp_seconds", ""),
        Some(1_580_515_200.0),
        "the end date stays after expiry"
    );
    assert_eq!(value(&m, "rdp_nla_required", ""), Some(1.0));
    assert_eq!(
        value(&m, "rdp_security_protocol_info", "protocol=\"hybrid\""),
        Some(1.0)
    );
    assert_eq!(value(&m, "rdp_credssp_version", ""), Some(6.0));
    assert_eq!(value(&m, "rdp_clock_skew_seconds", ""), Some(-420.0));
    assert_eq!(value(&m, "rdp_cert_name_match", ""), Some(0.0));
    assert_eq!(
        value(&m, "rdp_tls_version_accepted", "version=\"tls1.0\""),
        Some(1.0)
    );
    // Not tested is not refused.
    assert_eq!(
        value(&m, "rdp_tls_version_accepted", "version=\"tls1.3\""),
        None
    );
    assert_eq!(
        value(&m, "rdp_finding", "id=\"cert-expired\",severity=\"warn\""),
        Some(1.0),
        "{m}"
    );
    assert_eq!(
        value(&m, "rdp_finding", "id=\"nla-required\",severity=\"info\""),
        Some(1.0)
    );
}

#[test]
fn hostile_label_text_cannot_forge_samples_or_reach_a_terminal() {
    let m = metrics(&nla_expired());
    // One expired sample, the real one: the newline in the name did not
    // start a forged `rdp_cert_expired 0` line.
    assert_eq!(samples(&m, "rdp_cert_expired"), vec![("", 1.0)], "{m}");
    for c in ['\x1b', '\x07', '\u{202e}', '\r'] {
        assert!(!m.contains(c), "{c:?} reached the output:\n{m}");
    }
    let info = m.lines().find(|l| l.starts_with("rdp_cert_info{")).unwrap();
    // The quote is escaped (\"), the backslash shown doubled and escaped
    // again by the format, the newline and ESC as visible escapes.
    assert!(
        info.contains(r#"subject_cn="evil\"} 1\\x0ardp_cert_expired 0\\x0a\\\\\\x1b]0;pwned\\x07\\u{202e}gpj.exe""#),
        "{info}"
    );
    // Capped: 5000 characters of a server name are not a label.
    let ntlm = m.lines().find(|l| l.starts_with("rdp_ntlm_info{")).unwrap();
    assert!(ntlm.len() < 1000, "{} characters", ntlm.len());
}

#[test]
fn every_family_has_help_and_type_and_follows_the_naming_rules() {
    for m in [metrics(&refused()), metrics(&nla_expired())] {
        let mut names: Vec<&str> = m
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split(['{', ' ']).next())
            .collect();
        names.dedup();
        for n in names {
            assert!(m.contains(&format!("# HELP {n} ")), "{n} has no HELP");
            assert!(
                m.contains(&format!("# TYPE {n} gauge\n")),
                "{n} has no TYPE"
            );
            assert!(n.starts_with("rdp_") || n.starts_with("probe_"), "{n}");
            assert!(
                !n.ends_with("_ms") && !n.contains("_days"),
                "{n}: base units"
            );
        }
    }
}

/// Debian's `promtool check metrics`: the Prometheus text parser plus its
/// linter (naming, units, HELP), on both reports.
#[test]
#[ignore = "needs promtool (Debian package prometheus): run lab/test.sh"]
fn promtool_parses_and_lints_the_output() {
    use std::io::Write;
    for m in [metrics(&refused()), metrics(&nla_expired())] {
        let mut child = std::process::Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("promtool (apt-get install prometheus)");
        child.stdin.take().unwrap().write_all(m.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
            "promtool: {}{}\n{m}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
