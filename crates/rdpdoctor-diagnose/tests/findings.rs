//! Findings and client-path predictions on hand-built evidence.

use rdpdoctor_diagnose::{
    Context, Evidence, Finding, FindingId, Severity, Verdict, judge, posture,
};
use rdpdoctor_evidence::*;

mod common;
use common::{cert, report, with_error};

fn derive(r: &ProbeReport) -> Vec<Finding> {
    let p = r.negotiation.as_ref().map(posture::judge);
    rdpdoctor_diagnose::derive::derive(r, p.as_ref())
}

fn tcp(state: PortState, rtts: &[f64], failures: u32) -> TcpEvidence {
    let mut samples: Vec<ConnectSample> = rtts
        .iter()
        .map(|&r| ConnectSample {
            failure_kind: None,
            connected: true,
            elapsed_ms: r,
            error: None,
        })
        .collect();
    for _ in 0..failures {
        samples.push(ConnectSample {
            failure_kind: None,
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
    derive(r).iter().map(|f| f.id.name()).collect()
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
        let f = derive(&r);
        assert_eq!(f[0].id.name(), id);
        assert_eq!(f[0].severity, Severity::Fail);
    }
}

#[test]
fn a_timeout_is_reported_as_no_answer_within_the_deadline() {
    let mut r = report();
    r.limits = Limits {
        step_timeout_ms: 5000.0,
        ceiling_ms: 60000.0,
    };
    r.tcp = Some(tcp(PortState::AcceptedAndSilent, &[0.3], 0));
    let f = derive(&r);
    assert!(
        f[0].summary.contains("no answer") && f[0].summary.contains("within 5 s"),
        "{}",
        f[0].summary
    );
    assert!(f[0].summary.contains("--timeout"), "{}", f[0].summary);
    assert!(!f[0].summary.contains("never"), "{}", f[0].summary);
}

#[test]
fn a_lossy_path_is_unstable_but_a_steady_one_is_not() {
    let mut r = report();
    // One SYN retransmit alone can be the listener's tiny backlog under the
    // probe's own burst of connections: not enough to blame the path.
    r.tcp = Some(tcp(PortState::Open, &[0.3, 0.4, 0.3, 1020.0, 0.2], 0));
    assert!(!ids(&r).contains(&"unstable-network"), "one spike alone");
    // A stall in a second stage (an X.224 answer a retransmission late) makes it the path.
    // A busy server's 80–350 ms does not count: only a retransmission's worth.
    let row = |bits, ms| NegotiationAttempt {
        requested: ProtocolSet::from_bits(Some(bits)),
        outcome: NegotiationOutcome::Selected {
            protocol: ProtocolSet::from_bits(Some(0)),
            flags: 1,
            flag_names: vec![],
        },
        connect_ms: 1.0,
        answer_ms: ms,
    };
    r.negotiation = Some(NegotiationEvidence {
        attempts: vec![row(0, 2.0), row(1, 2.5), row(2, 1230.0), row(3, 2.1)],
    });
    assert!(
        ids(&r).contains(&"unstable-network"),
        "stalls in two stages"
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
    // Clients warn on an expired certificate and let the user go on.
    assert_eq!(derive(&r)[0].severity, Severity::Warn);
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
    c.signature_oid = "1.2.840.113549.1.1.5".into();
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
        failure_kind: None,
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
    let f = derive(&r);
    assert_eq!(f[0].id, FindingId::CredsspUnpatched);
    assert!(
        f.iter()
            .any(|f| f.id == FindingId::ClockSkew && f.summary.contains("1 h ahead"))
    );
    r.credssp.as_mut().unwrap().server_version = Some(6);
    r.ntlm.as_mut().unwrap().clock_skew_seconds = Some(-240);
    assert_eq!(
        ids(&r),
        vec!["clock-in-sync"],
        "patched, 4 minutes behind is within the tolerance"
    );
}

#[test]
fn tls_versions() {
    let mut r = report();
    let v = |version, accepted| TlsVersionResult {
        failure_kind: None,
        elapsed_ms: None,
        version,
        accepted: Some(accepted),
        cipher_suite: None,
        detail: None,
        secure_renegotiation: None,
    };
    r.tls = Some(TlsEvidence {
        failure_kind: None,
        via: Protocol::Ssl,
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

fn neg(rows: &[(Option<u32>, NegotiationOutcome)]) -> NegotiationEvidence {
    NegotiationEvidence {
        attempts: rows
            .iter()
            .map(|(b, o)| NegotiationAttempt {
                requested: ProtocolSet::from_bits(*b),
                outcome: o.clone(),
                connect_ms: 1.0,
                answer_ms: 1.0,
            })
            .collect(),
    }
}

fn open(mut r: ProbeReport) -> ProbeReport {
    r.tcp = Some(tcp(PortState::Open, &[0.3, 0.3, 0.4], 0));
    r
}

#[test]
fn a_server_refusing_everything_is_a_failure_not_a_healthy_host() {
    let refuse = || NegotiationOutcome::Failure {
        code: 5,
        name: Some("HYBRID_REQUIRED_BY_SERVER".into()),
    };
    let mut r = open(report());
    r.negotiation = Some(neg(&[
        (Some(0), refuse()),
        (Some(1), refuse()),
        (Some(2), refuse()),
        (Some(3), refuse()),
        (None, refuse()),
    ]));
    let j = judge(&Evidence::wire(&r), &Context::default());
    assert!(j.has(FindingId::NoProtocolAccepted));
    assert!(
        !j.has(FindingId::NlaNotOffered),
        "the opposite of what the server said"
    );
    let p = j.security.as_ref().unwrap();
    assert_eq!(serde_json::to_value(p.nla).unwrap(), "required");
    assert_eq!(
        serde_json::to_value(p.nla_basis).unwrap(),
        "claimed-by-server"
    );
    assert_eq!(j.verdict, Verdict::NoClientConnects);
    assert_eq!(j.verdict.exit_code(), 1);
    assert_eq!(j.diagnosis.causes[0].id, "listener-refuses-every-protocol");
    // The user's 0x904 / 0x7 cannot make "user not allowed" the answer when
    // nothing gets past the negotiation.
    let j = with_error(&r, "0x904:0x7");
    assert_ne!(j.diagnosis.causes[0].id, "user-not-allowed");
    let una = j
        .diagnosis
        .causes
        .iter()
        .find(|c| c.id == "user-not-allowed");
    assert!(
        una.is_none_or(|c| c
            .evidence_against
            .iter()
            .any(|a| a.finding == "unreachable-stage")),
        "{una:?}"
    );
}

#[test]
fn undefined_negotiation_answers_are_a_protocol_violation() {
    let mut r = open(report());
    r.negotiation = Some(neg(&[
        (
            Some(0),
            NegotiationOutcome::Failure {
                code: 0xDEAD_BEEF,
                name: None,
            },
        ),
        (
            Some(3),
            NegotiationOutcome::Selected {
                protocol: ProtocolSet::from_bits(Some(0xFFFF_FFFF)),
                flags: 0,
                flag_names: vec![],
            },
        ),
    ]));
    let j = judge(&Evidence::wire(&r), &Context::default());
    assert!(j.has(FindingId::RdpProtocolViolation), "{:?}", j.findings);
    assert!(!j.has(FindingId::NlaRequired), "0xFFFFFFFF is no NLA");
    assert_ne!(j.verdict.exit_code(), 0);
}

/// A healthy TLS host: TLS 1.2 and 1.3, a certificate with 300 days left.
fn healthy_tls() -> ProbeReport {
    let mut r = open(report());
    let sel = |b| NegotiationOutcome::Selected {
        protocol: ProtocolSet::from_bits(Some(b)),
        flags: 1,
        flag_names: vec![],
    };
    r.negotiation = Some(neg(&[
        (Some(0), sel(0)),
        (Some(1), sel(1)),
        (Some(2), sel(0)),
        (Some(3), sel(1)),
    ]));
    r.tls = Some(TlsEvidence {
        failure_kind: None,
        via: Protocol::Ssl,
        version: Some(TlsVersion::Tls13),
        cipher_suite: None,
        error: None,
        failure: None,
        versions: [TlsVersion::Tls12, TlsVersion::Tls13]
            .into_iter()
            .map(|version| TlsVersionResult {
                failure_kind: None,
                version,
                accepted: Some(true),
                cipher_suite: None,
                detail: None,
                elapsed_ms: Some(3.0),
                secure_renegotiation: None,
            })
            .collect(),
    });
    r.certificate = Some(cert(300));
    r
}

#[test]
fn verdict_exit_status_and_client_table_agree() {
    // A healthy TLS host: healthy, exit 0, no "most likely" cause pushed.
    let mut r = healthy_tls();
    let j = judge(&Evidence::wire(&r), &Context::default());
    assert_eq!(j.verdict, Verdict::Healthy, "{:#?}", j.diagnosis.clients);
    assert_eq!(j.verdict.exit_code(), 0);
    assert!(
        !j.diagnosis.headline.starts_with("Most likely"),
        "{}",
        j.diagnosis.headline
    );
    assert!(j.diagnosis.first_fix.is_none());
    // The same host with an expired certificate: every client connects after
    // a prompt, so it works with warnings, exit 0, and the fix is offered.
    r.certificate = Some(cert(-10));
    let j = judge(&Evidence::wire(&r), &Context::default());
    assert_eq!(j.verdict, Verdict::WorksWithWarnings);
    assert_eq!(j.verdict.exit_code(), 0);
    assert!(j.findings.iter().all(|f| f.severity != Severity::Fail));
    assert_eq!(
        j.diagnosis.first_fix.as_ref().unwrap().cause,
        "rdp-cert-expired"
    );
    // A probe cut short by its ceiling before the negotiation cannot call
    // every client failing: it says it can't tell, and exits 1.
    let mut r = report();
    r.tcp = Some(tcp(PortState::Open, &[0.3], 0));
    r.timings.ceiling_hit = true;
    let j = judge(&Evidence::wire(&r), &Context::default());
    assert_eq!(j.verdict, Verdict::Inconclusive);
    assert!(
        j.diagnosis
            .clients
            .iter()
            .all(|c| c.verdict == rdpdoctor_diagnose::ClientVerdict::Unknown)
    );
    assert_eq!(j.verdict.exit_code(), 1);
}

/// A report with one `--user` logon attempt that ended as given.
fn logon(
    outcome: LogonOutcome,
    phase: LogonPhase,
    ntstatus: Option<u32>,
    early: Option<u32>,
) -> ProbeReport {
    let mut r = report();
    r.logon = Some(common::logon_evidence(outcome, phase, ntstatus, early));
    r
}

#[test]
fn each_logon_status_gives_its_finding() {
    use LogonOutcome::Rejected;
    use LogonPhase::NtlmAuthenticate as Auth;
    for (code, id) in [
        (0xC000_006D, "bad-credentials"),
        (0xC000_006A, "bad-credentials"),
        (0xC000_0064, "bad-credentials"),
        (0xC007_030C, "bad-credentials"),
        (0xC000_0071, "password-expired"),
        (0xC000_0224, "password-expired"),
        (0xC000_0234, "account-locked"),
        (0xC000_0072, "account-disabled"),
        (0xC000_0193, "account-expired"),
        (0xC000_006E, "account-restricted"),
        (0xC000_015B, "logon-type-not-granted"),
        (0xC000_0133, "dc-time-skew"),
        (0xC000_005E, "logon-server-unavailable"),
        (0xC000_0001, "logon-failed-other"),
    ] {
        let f = derive(&logon(Rejected, Auth, Some(code), None));
        assert_eq!(f.len(), 1, "{code:#x}");
        assert_eq!(f[0].id.name(), id, "{code:#x}");
        assert_eq!(f[0].severity, Severity::Fail);
        assert!(
            f[0].summary.contains(&format!("0x{code:08X}")),
            "{}",
            f[0].summary
        );
    }
    // The KB names the status in the finding.
    let f = derive(&logon(Rejected, Auth, Some(0xC000_006D), None));
    assert!(
        f[0].summary.contains("STATUS_LOGON_FAILURE"),
        "{}",
        f[0].summary
    );
    // The exact fix for the exact case: the Remote Desktop Users SID for the
    // logon right, w32tm only for the time status.
    let f = derive(&logon(Rejected, Auth, Some(0xC000_015B), None));
    assert!(f[0].summary.contains("S-1-5-32-555"));
    let f = derive(&logon(Rejected, Auth, Some(0xC000_0133), None));
    assert!(f[0].summary.contains("w32tm"));
    let f = derive(&logon(Rejected, Auth, Some(0xC000_0234), None));
    assert!(!f[0].summary.contains("w32tm"));
}

#[test]
fn logon_outcomes_without_a_status() {
    use LogonOutcome::{AccessDenied, Authenticated, Closed, NotAttempted};
    use LogonPhase::{CredentialsDelegated, EarlyUserAuthorization, NtlmAuthenticate, Tls};
    let cases = [
        (
            logon(Authenticated, EarlyUserAuthorization, None, Some(0)),
            "logon-succeeded",
        ),
        (
            logon(Authenticated, CredentialsDelegated, None, None),
            "logon-succeeded",
        ),
        (
            logon(AccessDenied, EarlyUserAuthorization, None, Some(5)),
            "logon-type-not-granted",
        ),
        (
            logon(Closed, NtlmAuthenticate, None, None),
            "logon-refused-without-status",
        ),
        (logon(Closed, Tls, None, None), "logon-not-checked"),
        (
            logon(NotAttempted, LogonPhase::None, None, None),
            "logon-not-checked",
        ),
    ];
    for (r, id) in cases {
        assert_eq!(ids(&r), vec![id]);
    }
}

#[test]
fn a_refused_logon_fails_every_client_and_ranks_its_cause() {
    let r = logon(
        LogonOutcome::AccessDenied,
        LogonPhase::EarlyUserAuthorization,
        None,
        Some(5),
    );
    let j = judge(&Evidence::wire(&r), &Context::default());
    assert_eq!(j.diagnosis.causes[0].id, "user-not-allowed");
    let f = j
        .findings
        .iter()
        .find(|f| f.id == FindingId::LogonTypeNotGranted);
    assert_eq!(f.map(|f| f.severity), Some(Severity::Fail));
    // The head says it is the account, not the server.
    assert!(
        j.diagnosis
            .headline
            .starts_with("The server answers; these credentials are refused."),
        "{}",
        j.diagnosis.headline
    );
}

/// `account-restricted` covers several cases; the fix to try first is the
/// one for the case the server named.
#[test]
fn the_first_fix_fits_the_account_finding() {
    for (code, finding, fix) in [
        (0xC000_0071, "password-expired", "reset-password-ad"),
        (0xC000_0224, "password-expired", "reset-password-ad"),
        (0xC000_0234, "account-locked", "unlock-ad-account"),
        (0xC000_0072, "account-disabled", "unlock-ad-account"),
    ] {
        let r = logon(
            LogonOutcome::Rejected,
            LogonPhase::NtlmAuthenticate,
            Some(code),
            None,
        );
        let j = judge(&Evidence::wire(&r), &Context::default());
        assert!(j.findings.iter().any(|f| f.id.name() == finding));
        let first = j.diagnosis.first_fix.as_ref().expect("a fix to try first");
        assert_eq!(first.cause, "account-restricted", "{code:#x}");
        assert_eq!(first.fix.id, fix, "{code:#x}");
    }
    // A locked account never gets the password-change fixes first.
    let r = logon(
        LogonOutcome::Rejected,
        LogonPhase::NtlmAuthenticate,
        Some(0xC000_0234),
        None,
    );
    let j = judge(&Evidence::wire(&r), &Context::default());
    let c = &j.diagnosis.causes[0];
    let pos = |id: &str| c.fixes.iter().position(|f| f.id == id);
    assert!(pos("unlock-ad-account") < pos("reset-password-ad"));
    assert!(pos("enable-local-user") < pos("temp-disable-nla-for-password-change"));
}

/// A Client Info logon attempt (no NLA) that ended as given.
fn client_info_logon(
    outcome: LogonOutcome,
    phase: LogonPhase,
    error: Option<(u32, u32)>,
) -> ProbeReport {
    let mut r = logon(outcome, phase, None, None);
    let l = r.logon.as_mut().unwrap();
    l.method = LogonMethod::ClientInfo;
    l.via = Some(Protocol::Ssl);
    l.credssp_version = None;
    l.logon_error = error.map(|(t, d)| LogonErrorInfo {
        notification_type: t,
        notification_type_name: None,
        notification_data: d,
        notification_data_name: None,
    });
    r
}

#[test]
fn logon_errors_info_gives_the_finding_of_its_codes() {
    use LogonOutcome::Rejected;
    use LogonPhase::ClientInfo;
    for (ty, data, id) in [
        (0xC000_006D, 0, "bad-credentials"),
        (0, 0, "bad-credentials"),
        (0, 1, "password-expired"),
        (0xC000_0224, 1, "password-expired"),
        (0xC000_0234, 2, "account-locked"),
        (0, 2, "logon-failed-other"),
        (0xFFFF_FFFF, 2, "logon-failed-other"),
    ] {
        let f = derive(&client_info_logon(Rejected, ClientInfo, Some((ty, data))));
        assert_eq!(f.len(), 1, "{ty:#x}/{data}");
        assert_eq!(f[0].id.name(), id, "{ty:#x}/{data}");
        assert_eq!(f[0].severity, Severity::Fail);
    }
    // A LOGON_MSG_* notification follows a successful authentication.
    let f = derive(&client_info_logon(
        LogonOutcome::Authenticated,
        ClientInfo,
        Some((0xFFFF_FFFE, 1)),
    ));
    assert_eq!(f[0].id.name(), "logon-succeeded");
}

#[test]
fn a_client_info_logon_is_weighed_against_the_deep_probe_without_credentials() {
    let deep = |outcome: DeepOutcome, phase: DeepPhase| DeepEvidence {
        via: Protocol::Ssl,
        phase_reached: phase,
        outcome,
        licensing: None,
        channels: vec![],
        elapsed_ms: 1.0,
    };
    let dropped = deep(
        DeepOutcome::Disconnected {
            detail: "closed".into(),
        },
        DeepPhase::ClientInfo,
    );
    let logon_screen = deep(DeepOutcome::LogonScreen, DeepPhase::DemandActive);
    // Demand Active with the credentials, a drop without: the server checked them.
    let mut r = client_info_logon(LogonOutcome::NotVerified, LogonPhase::DemandActive, None);
    r.deep = Some(dropped.clone());
    assert_eq!(ids(&r), vec!["logon-succeeded"]);
    // Demand Active both ways: nothing is known.
    r.deep = Some(logon_screen.clone());
    assert_eq!(ids(&r), vec!["logon-not-checked"]);
    // Closed right after the Client Info with the credentials.
    let mut r = client_info_logon(LogonOutcome::Closed, LogonPhase::ClientInfo, None);
    for d in [dropped, logon_screen] {
        r.deep = Some(d);
        let f = derive(&r);
        let mine: Vec<_> = f.iter().filter(|f| f.id.name().contains("logon")).collect();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].id.name(), "logon-refused-without-status");
    }
}

/// `--error` on a host where every client connects: the error did not
/// happen on this probe, and for a code whose causes include the account's
/// (0x904 / 0x7: a user without the Remote Desktop right), the next check is
/// `--user`, which settles it (not "this user isn't allowed. Nothing to fix").
#[test]
fn an_error_on_a_healthy_host_suggests_the_check_that_settles_it() {
    let r = healthy_tls();
    let j = with_error(&r, "0x904:0x7");
    assert_eq!(j.verdict, Verdict::Healthy);
    let check = j.diagnosis.error_check.as_deref().expect("no error_check");
    assert!(check.contains("did not happen on this probe"), "{check}");
    assert!(check.contains("--user"), "{check}");
    // Without an error there is nothing to disagree with.
    let j = judge(&Evidence::wire(&r), &Context::default());
    assert!(j.diagnosis.error_check.is_none());
}

/// An `.rdp` file, built by hand as the parser would give it.
fn rdp_file(lines: &[&str]) -> RdpFile {
    RdpFile {
        encoding: RdpFileEncoding::Utf16LeBom,
        settings: lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mut p = l.splitn(3, ':');
                RdpSetting {
                    line: i + 1,
                    name: p.next().unwrap().to_owned(),
                    kind: p.next().unwrap().chars().next().unwrap(),
                    value: p.next().unwrap().to_owned(),
                }
            })
            .collect(),
        notes: vec![],
        notes_dropped: 0,
    }
}

/// The judgement of a probe with the client's `.rdp` file.
fn with_file(r: &ProbeReport, file: &RdpFile) -> rdpdoctor_diagnose::Judgement {
    let ev = Evidence {
        rdp_file: Some(file),
        ..Evidence::wire(r)
    };
    judge(&ev, &Context::default())
}

/// A server that requires NLA: RDP and SSL refused, HYBRID selected.
fn nla_only() -> ProbeReport {
    let refuse = || NegotiationOutcome::Failure {
        code: 5,
        name: Some("HYBRID_REQUIRED_BY_SERVER".into()),
    };
    let hybrid = || NegotiationOutcome::Selected {
        protocol: ProtocolSet::from_bits(Some(2)),
        flags: 0,
        flag_names: vec![],
    };
    let mut r = open(report());
    r.negotiation = Some(neg(&[
        (Some(0), refuse()),
        (Some(1), refuse()),
        (Some(2), hybrid()),
        (Some(3), hybrid()),
    ]));
    r
}

#[test]
fn an_rdp_file_without_credssp_fails_against_nla_and_is_the_top_cause() {
    let r = nla_only();
    let file = rdp_file(&["full address:s:rdp.example.com", "enablecredsspsupport:i:0"]);
    let j = with_file(&r, &file);
    let f = j
        .findings
        .iter()
        .find(|f| f.id == FindingId::RdpFileNlaOff)
        .expect("the finding");
    assert_eq!(f.severity, Severity::Fail);
    assert_eq!(f.evidence["line"], 2);
    assert_eq!(j.verdict, Verdict::NoClientConnects);
    assert_eq!(j.diagnosis.causes[0].id, "rdp-file-disables-nla");
    // Without the file, nothing blames one.
    let j = judge(&Evidence::wire(&r), &Context::default());
    assert!(!j.has(FindingId::RdpFileNlaOff));
    assert!(
        j.diagnosis
            .causes
            .iter()
            .all(|c| c.id != "rdp-file-disables-nla")
    );
}

#[test]
fn an_rdp_file_without_negotiation_is_standard_rdp_security_only() {
    let r = nla_only();
    let file = rdp_file(&["negotiate security layer:i:0"]);
    let j = with_file(&r, &file);
    assert!(j.has(FindingId::RdpFileNegotiationOff));
    assert_eq!(j.verdict, Verdict::NoClientConnects);
}

#[test]
fn an_rdp_file_gateway_is_a_note_and_changes_no_verdict() {
    let r = nla_only();
    let file = rdp_file(&[
        "gatewayhostname:s:rdg.example.com:8443",
        "gatewayusagemethod:i:1",
    ]);
    let j = with_file(&r, &file);
    let f = j
        .findings
        .iter()
        .find(|f| f.id == FindingId::RdpFileGatewayNotProbed)
        .expect("the note");
    assert_eq!(f.severity, Severity::Info);
    assert_eq!(f.evidence["port"], 8443);
    assert!(f.summary.contains("not probed"));
    assert_eq!(
        j.verdict,
        judge(&Evidence::wire(&r), &Context::default()).verdict
    );
    // "never use a gateway": no note
    let file = rdp_file(&[
        "gatewayhostname:s:rdg.example.com",
        "gatewayusagemethod:i:0",
    ]);
    assert!(!with_file(&r, &file).has(FindingId::RdpFileGatewayNotProbed));
}
/// A report of `probe --gateway`: the hops as given, the target not probed.
fn through_gateway(hops: Vec<GatewayHop>, certificate: Option<CertificateFacts>) -> ProbeReport {
    let mut r = ProbeReport::new(
        Target {
            input: "rdsh.corp.example".into(),
            host: "rdsh.corp.example".into(),
            port: 3389,
            host_is_ip: false,
        },
        "test",
        String::new(),
    );
    let channel_opened = hops
        .iter()
        .any(|h| h.hop == GatewayHopKind::ChannelCreate && h.outcome == HopOutcome::Ok);
    r.gateway = Some(GatewayEvidence {
        host: "rdgw.corp.example".into(),
        port: 443,
        address: Some("192.0.2.7:443".into()),
        hops,
        tls_version: Some("TLS 1.3".into()),
        certificate,
        http_status: Some(401),
        auth_schemes: vec!["Negotiate".into(), "NTLM".into()],
        websocket: Some(true),
        server_header: None,
        channel_opened,
        target_probed: false,
        udp_port: None,
        channel_end: None,
        udp: None,
        rpc_over_http: None,
        auth: None,
    });
    r
}

fn gw_hop(hop: GatewayHopKind, outcome: HopOutcome, status: Option<(u32, &str)>) -> GatewayHop {
    GatewayHop {
        hop,
        outcome,
        status: status.map(|s| s.0),
        status_name: status.map(|s| s.1.to_owned()),
        detail: None,
        elapsed_ms: 1.0,
    }
}

fn ok_until(last: GatewayHopKind) -> Vec<GatewayHop> {
    // The hops after the name's lookup, in the order probed.
    GatewayHopKind::ALL
        .into_iter()
        .skip(1)
        .take_while(|h| *h != last)
        .map(|h| gw_hop(h, HopOutcome::Ok, None))
        .collect()
}

#[test]
fn a_gateway_refusal_names_its_hop_its_finding_and_its_cause() {
    use GatewayHopKind::*;
    for (hop, status, finding, cause, words) in [
        (
            ChannelCreate,
            (0x800759DA, "E_PROXY_RAP_ACCESSDENIED"),
            "gateway-rap-denied",
            "rd-gateway-access-denied",
            "resource authorization policy",
        ),
        (
            TunnelCreate,
            (0x800759DB, "E_PROXY_NAP_ACCESSDENIED"),
            "gateway-cap-denied",
            "rd-gateway-access-denied",
            "connection policy, CAP",
        ),
        (
            ChannelCreate,
            (0x800759DD, "E_PROXY_TS_CONNECTFAILED"),
            "gateway-target-unreachable",
            "rd-gateway-cannot-reach-host",
            "the gateway's channel to the target",
        ),
        (
            TunnelCreate,
            (0x800759E6, "E_PROXY_MAXCONNECTIONSREACHED"),
            "gateway-max-connections",
            "rd-gateway-connection-limit",
            "E_PROXY_MAXCONNECTIONSREACHED",
        ),
        (
            HttpAuth,
            (401, "401 Unauthorized"),
            "gateway-auth-refused",
            "rd-gateway-auth-refused",
            "authentication at the gateway",
        ),
        (
            Http,
            (404, "404 Not Found"),
            "gateway-http-transport-absent",
            "rd-gateway-http-transport-blocked",
            "the gateway's HTTP transport",
        ),
    ] {
        let mut hops = ok_until(hop);
        hops.push(gw_hop(hop, HopOutcome::Refused, Some(status)));
        let r = through_gateway(hops, None);
        let j = judge(&Evidence::wire(&r), &Context::default());
        let ids: Vec<&str> = j.findings.iter().map(|f| f.id.name()).collect();
        assert_eq!(ids, [finding], "{}", status.1);
        assert_eq!(j.findings[0].id.section().title(), "RD Gateway");
        assert_eq!(j.diagnosis.causes[0].id, cause, "{}", status.1);
        assert!(
            j.diagnosis.headline.contains(words),
            "{}: {}",
            status.1,
            j.diagnosis.headline
        );
        assert!(j.verdict.is_failing());
    }
}

/// Without the HTTP transport, RPC over HTTP decides: where it answers,
/// clients that fall back connect (some fail); where it does not either,
/// no gateway transport is there at all (none connects), and the fix is
/// not a client's transport setting.
#[test]
fn without_the_http_transport_rpc_over_http_decides() {
    use rdpdoctor_evidence::RpcOverHttp;
    let with_rpc = |status: Option<u16>, detail: Option<&str>| {
        let mut hops = ok_until(GatewayHopKind::Http);
        hops.push(gw_hop(
            GatewayHopKind::Http,
            HopOutcome::Refused,
            Some((404, "404 Not Found")),
        ));
        let mut r = through_gateway(hops, None);
        let g = r.gateway.as_mut().unwrap();
        g.http_status = Some(404);
        g.rpc_over_http = Some(RpcOverHttp {
            status,
            auth_schemes: if status == Some(401) {
                vec!["Negotiate".into(), "NTLM".into()]
            } else {
                Vec::new()
            },
            detail: detail.map(str::to_owned),
        });
        judge(&Evidence::wire(&r), &Context::default())
    };
    let rpc = with_rpc(Some(401), None);
    assert_eq!(rpc.findings[0].id.name(), "gateway-http-transport-absent");
    assert!(
        rpc.findings[0]
            .summary
            .contains("RPC over HTTP answers (401, offering Negotiate, NTLM)")
    );
    assert_eq!(
        rpc.diagnosis.causes[0].id,
        "rd-gateway-http-transport-blocked"
    );
    assert_eq!(rpc.verdict, Verdict::SomeClientsFail);
    for (status, detail) in [(Some(404), None), (None, Some("no answer within 2 s"))] {
        let none = with_rpc(status, detail);
        let ids: Vec<&str> = none.findings.iter().map(|f| f.id.name()).collect();
        assert_eq!(ids, ["gateway-no-transport"], "{status:?}");
        assert!(
            none.findings[0].summary.contains("neither transport"),
            "{status:?}"
        );
        assert_eq!(
            none.diagnosis.causes[0].id, "rd-gateway-unreachable",
            "{status:?}"
        );
        assert_eq!(none.verdict, Verdict::NoClientConnects, "{status:?}");
    }
}

#[test]
fn the_gateway_certificate_is_judged_apart_from_the_target() {
    let mut expired = cert(-3);
    expired.expired = true;
    expired.matches_target = Some(true);
    let r = through_gateway(ok_until(GatewayHopKind::ChannelCreate), Some(expired));
    let j = judge(&Evidence::wire(&r), &Context::default());
    let ids: Vec<&str> = j.findings.iter().map(|f| f.id.name()).collect();
    assert!(ids.contains(&"gateway-cert-expired"), "{ids:?}");
    assert!(!ids.contains(&"cert-expired"), "{ids:?}");
    assert_eq!(j.diagnosis.causes[0].id, "rd-gateway-cert-invalid");
    assert_eq!(j.verdict, Verdict::NoClientConnects);
    assert!(j.diagnosis.headline.contains("the gateway's certificate"));
}

#[test]
fn a_gateway_that_opens_the_channel_says_the_target_was_not_probed() {
    let r = channel_opened();
    let j = judge(&Evidence::wire(&r), &Context::default());
    let ids: Vec<&str> = j.findings.iter().map(|f| f.id.name()).collect();
    assert_eq!(ids, ["gateway-channel-opened"]);
    assert_eq!(j.verdict, Verdict::Healthy);
    assert!(j.diagnosis.causes.is_empty());
    assert!(
        j.diagnosis
            .headline
            .contains("not probed through the gateway"),
        "{}",
        j.diagnosis.headline
    );
}

#[test]
fn a_gateway_offering_only_negotiate_fails_some_clients() {
    let mut r = channel_opened();
    let g = r.gateway.as_mut().unwrap();
    g.auth_schemes = vec!["Negotiate".into()];
    // As the probe records Negotiate with NTLM inside, no KDC known.
    g.auth = Some(
        serde_json::from_value(serde_json::json!({
            "scheme": "negotiate",
            "mechanism": { "package": "ntlm", "reason": "no-kdc-known" },
        }))
        .unwrap(),
    );
    let j = judge(&Evidence::wire(&r), &Context::default());
    let f = j
        .findings
        .iter()
        .find(|f| f.id.name() == "gateway-negotiate-only")
        .expect("gateway-negotiate-only");
    assert_eq!(f.severity, Severity::Warn);
    assert!(f.summary.contains("FreeRDP 2.x"), "{}", f.summary);
    // mstsc gets through, FreeRDP 2 does not.
    assert_eq!(j.verdict, Verdict::SomeClientsFail);
    assert_eq!(j.diagnosis.causes[0].id, "rd-gateway-negotiate-only");
    assert!(
        j.diagnosis
            .headline
            .contains("some clients fail at authentication at the gateway"),
        "{}",
        j.diagnosis.headline
    );
    // Both schemes offered: no finding, as before.
    let j = judge(&Evidence::wire(&channel_opened()), &Context::default());
    assert!(
        j.findings
            .iter()
            .all(|f| f.id.name() != "gateway-negotiate-only")
    );
}

/// The path through a gateway that opened its channel (every hop ok, a
/// valid gateway certificate); the target not probed yet.
fn channel_opened() -> ProbeReport {
    let mut hops = ok_until(GatewayHopKind::ChannelCreate);
    hops.push(gw_hop(
        GatewayHopKind::ChannelCreate,
        HopOutcome::Ok,
        Some((0, "S_OK")),
    ));
    let mut good = cert(200);
    good.matches_target = Some(true);
    through_gateway(hops, Some(good))
}

/// [`channel_opened`], the target probed through the channel: `target`
/// holds the target's own evidence.
fn probed_through_gateway(target: ProbeReport) -> ProbeReport {
    let mut r = channel_opened();
    let g = r.gateway.as_mut().unwrap();
    g.target_probed = true;
    r.negotiation = target.negotiation;
    r.tls = target.tls;
    r.certificate = target.certificate;
    r
}

#[test]
fn a_target_probed_through_the_gateway_is_judged_as_directly() {
    let mut target = healthy_tls();
    let mut expired = cert(-3);
    expired.expired = true;
    expired.matches_target = Some(true);
    target.certificate = Some(expired);
    let r = probed_through_gateway(target);
    let j = judge(&Evidence::wire(&r), &Context::default());
    let ids: Vec<&str> = j.findings.iter().map(|f| f.id.name()).collect();
    // The target's certificate, judged as the target's; the gateway's is fine.
    assert!(ids.contains(&"cert-expired"), "{ids:?}");
    assert!(!ids.contains(&"gateway-cert-expired"), "{ids:?}");
    assert!(ids.contains(&"gateway-channel-opened"), "{ids:?}");
    assert!(!ids.contains(&"gateway-target-no-rdp"), "{ids:?}");
    assert_eq!(j.diagnosis.causes[0].id, "rdp-cert-expired");
    assert!(
        j.diagnosis.headline.starts_with("Through the RD Gateway"),
        "{}",
        j.diagnosis.headline
    );
    assert!(
        !j.diagnosis.headline.contains("not probed"),
        "{}",
        j.diagnosis.headline
    );
}

#[test]
fn no_rdp_answer_through_an_open_channel_is_the_target_hop() {
    for (outcome, end) in [
        (NegotiationOutcome::Silent, None),
        (
            NegotiationOutcome::Closed,
            Some("the gateway closed the channel (E_PROXY_INTERNALERROR)"),
        ),
        (
            NegotiationOutcome::Garbage {
                error: "not TPKT".into(),
                first_bytes: "48545450".into(),
                failure_kind: None,
            },
            None,
        ),
    ] {
        let mut target = report();
        target.negotiation = Some(neg(&[
            (Some(11), outcome.clone()),
            (Some(0), outcome.clone()),
            (Some(1), outcome.clone()),
        ]));
        let mut r = probed_through_gateway(target);
        r.gateway.as_mut().unwrap().channel_end = end.map(str::to_owned);
        let j = judge(&Evidence::wire(&r), &Context::default());
        let f = j
            .findings
            .iter()
            .find(|f| f.id == FindingId::GatewayTargetNoRdp)
            .unwrap_or_else(|| panic!("{outcome:?}: {:?}", j.findings));
        assert_eq!(f.id.section().title(), "RD Gateway");
        if let Some(e) = end {
            assert!(f.summary.contains(e), "{}", f.summary);
            assert_eq!(f.evidence["channel_end"], e);
        }
        assert_eq!(j.verdict, Verdict::Unreachable, "{outcome:?}");
        assert!(
            j.diagnosis.headline.contains("the target itself"),
            "{}",
            j.diagnosis.headline
        );
        assert!(!j.diagnosis.causes.is_empty(), "{outcome:?}: no cause");
    }
    // One real answer among them: the target answers RDP.
    let mut target = report();
    target.negotiation = Some(neg(&[
        (Some(11), NegotiationOutcome::Silent),
        (
            Some(0),
            NegotiationOutcome::Failure {
                code: 5,
                name: None,
            },
        ),
    ]));
    let r = probed_through_gateway(target);
    let j = judge(&Evidence::wire(&r), &Context::default());
    assert!(
        !j.findings
            .iter()
            .any(|f| f.id == FindingId::GatewayTargetNoRdp)
    );
}

/// The weak signature is decided on the algorithm's OID: a name that
/// mentions SHA-1 decides nothing, and a SHA-1 OID under any name does.
#[test]
fn a_weak_signature_is_read_from_the_oid_not_the_name() {
    let with = |name: &str, oid: &str| {
        let mut r = report();
        let mut c = cert(300);
        c.signature_algorithm = name.into();
        c.signature_oid = oid.into();
        r.certificate = Some(c);
        ids(&r).contains(&"cert-weak-signature")
    };
    assert!(with("1.2.840.113549.1.1.5", "1.2.840.113549.1.1.5"));
    assert!(with("ecdsa-with-SHA1", "1.2.840.10045.4.1"));
    assert!(with("md5WithRSAEncryption", "1.2.840.113549.1.1.4"));
    assert!(!with("sha1-looking-name", "1.2.840.113549.1.1.11"));
    assert!(!with("rsassaPss", "1.2.840.113549.1.1.10"));
}

/// [`channel_opened`] with the UDP side channel's check.
fn with_udp(mut r: ProbeReport, outcome: UdpOutcome, datagrams: u32) -> ProbeReport {
    r.gateway.as_mut().unwrap().udp = Some(UdpSideChannel {
        port: 3391,
        outcome,
        dtls_version: (outcome == UdpOutcome::Reachable).then(|| "DTLSv1.2".to_owned()),
        datagrams,
        detail: None,
        elapsed_ms: 5.0,
    });
    r
}

#[test]
fn a_blocked_udp_side_channel_is_a_warning_with_its_cause_never_a_failure() {
    for (outcome, datagrams, words) in [
        (UdpOutcome::NoAnswer, 0, "no DTLS answer"),
        (UdpOutcome::Refused, 0, "ICMP port unreachable"),
        (UdpOutcome::NotDtls, 3, "not DTLS"),
    ] {
        // The gateway's path alone, and with the target probed (healthy)
        // through its channel: UDP never fails a path that works over TCP.
        for r in [
            with_udp(channel_opened(), outcome, datagrams),
            with_udp(probed_through_gateway(healthy_tls()), outcome, datagrams),
        ] {
            let j = judge(&Evidence::wire(&r), &Context::default());
            let ids: Vec<&str> = j.findings.iter().map(|f| f.id.name()).collect();
            assert!(ids.contains(&"gateway-udp-unreachable"), "{ids:?}");
            let f = j
                .findings
                .iter()
                .find(|f| f.id.name() == "gateway-udp-unreachable")
                .unwrap();
            assert_eq!(f.severity, Severity::Warn);
            assert!(f.summary.contains(words), "{}", f.summary);
            assert_eq!(f.evidence["port"], 3391);
            assert_eq!(f.evidence["outcome"], outcome.name());
            assert!(!j.verdict.is_failing(), "{outcome:?}: {:?}", j.verdict);
            assert_eq!(j.verdict, Verdict::WorksWithWarnings, "{outcome:?}");
            assert!(
                j.diagnosis
                    .causes
                    .iter()
                    .any(|c| c.id == "rd-gateway-udp-blocked"),
                "{outcome:?}: {:?}",
                j.diagnosis.causes
            );
        }
    }
}

#[test]
fn a_udp_side_channel_that_answers_dtls_is_informational() {
    let r = with_udp(channel_opened(), UdpOutcome::Reachable, 4);
    let j = judge(&Evidence::wire(&r), &Context::default());
    let ids: Vec<&str> = j.findings.iter().map(|f| f.id.name()).collect();
    assert_eq!(ids, ["gateway-udp-reachable", "gateway-channel-opened"]);
    assert_eq!(j.findings[0].severity, Severity::Info);
    assert_eq!(j.findings[0].evidence["dtls_version"], "DTLSv1.2");
    assert_eq!(j.verdict, Verdict::Healthy);
    assert!(j.diagnosis.causes.is_empty(), "{:?}", j.diagnosis.causes);
    // Not checked (no OpenSSL in the build): no finding either way.
    let r = with_udp(channel_opened(), UdpOutcome::NotChecked, 0);
    let j = judge(&Evidence::wire(&r), &Context::default());
    let ids: Vec<&str> = j.findings.iter().map(|f| f.id.name()).collect();
    assert_eq!(ids, ["gateway-channel-opened"]);
}
