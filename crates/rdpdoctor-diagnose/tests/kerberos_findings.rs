//! `probe --realm` findings on hand-built Kerberos evidence.

use rdpdoctor_diagnose::{Finding, FindingId, Section, Severity};
use rdpdoctor_evidence::*;

mod common;
use common::report;

fn derive(r: &ProbeReport) -> Vec<Finding> {
    rdpdoctor_diagnose::derive::derive(r, None)
}

fn ids(r: &ProbeReport) -> Vec<&'static str> {
    let mut v: Vec<_> = derive(r)
        .into_iter()
        .filter(|f| f.id.section() == Section::Kerberos)
        .map(|f| f.id.name())
        .collect();
    v.sort();
    v
}

fn answered() -> KdcReach {
    KdcReach {
        outcome: KdcOutcome::Answered,
        elapsed_ms: 2,
        detail: None,
    }
}

fn krb_error(code: u32, name: &str) -> Option<KdcReplyFacts> {
    Some(KdcReplyFacts {
        message: "krb-error".into(),
        error_code: Some(code),
        error_name: Some(name.into()),
        e_text: None,
        realm: "CONTOSO.COM".into(),
    })
}

/// A healthy realm: the KDC answered the user's AS-REQ with
/// KDC_ERR_PREAUTH_REQUIRED, its clock `offset_ms` from ours.
fn with_kdc(offset_ms: i64) -> ProbeReport {
    let mut r = report();
    r.kerberos = Some(KerberosEvidence {
        realm: "CONTOSO.COM".into(),
        kdc: "dc1.contoso.com:88".into(),
        kdc_source: rdpdoctor_evidence::KdcSource::Flag,
        tcp: answered(),
        udp: answered(),
        client_principal: "alice@CONTOSO.COM".into(),
        client_is_user: true,
        as_reply: krb_error(25, "KDC_ERR_PREAUTH_REQUIRED"),
        service_principal: Some("TERMSRV/rdp.example.com@CONTOSO.COM".into()),
        service_reply: krb_error(25, "KDC_ERR_PREAUTH_REQUIRED"),
        kdc_time: Some("2026-12-07T06:00:00Z".into()),
        clock_offset_ms: Some(offset_ms),
        password_reply: None,
        password_not_tried: None,
    });
    r
}

#[test]
fn no_realm_asked_no_kerberos_findings_even_for_an_address() {
    let mut r = report();
    r.target.host = "192.0.2.7".into();
    r.target.host_is_ip = true;
    assert!(ids(&r).is_empty());
}

#[test]
fn a_healthy_realm_is_reachable_and_in_time() {
    assert_eq!(
        ids(&with_kdc(1_500)),
        ["kerberos-dc-clock-in-sync", "kerberos-kdc-reachable"]
    );
}

#[test]
fn the_dc_clock_six_minutes_off_is_skew_four_is_not() {
    let r = with_kdc(360_000);
    let f = derive(&r);
    let skew = f
        .iter()
        .find(|f| f.id == FindingId::KerberosDcClockSkew)
        .expect("skew finding");
    assert_eq!(skew.severity, Severity::Warn);
    assert!(skew.summary.contains("6 min ahead of"), "{}", skew.summary);
    assert_eq!(skew.evidence["clock_offset_ms"], 360_000);
    assert!(ids(&with_kdc(-360_000)).contains(&"kerberos-dc-clock-skew"));
    assert!(!ids(&with_kdc(240_000)).contains(&"kerberos-dc-clock-skew"));
    assert!(!ids(&with_kdc(-240_000)).contains(&"kerberos-dc-clock-skew"));
}

#[test]
fn the_rdp_servers_clock_stays_a_separate_fact() {
    let mut r = with_kdc(360_000);
    r.ntlm = Some(NtlmFacts {
        clock_skew_seconds: Some(2),
        ..Default::default()
    });
    let f = derive(&r);
    let skew = f
        .iter()
        .find(|f| f.id == FindingId::KerberosDcClockSkew)
        .unwrap();
    assert_eq!(skew.evidence["rdp_server_clock_skew_seconds"], 2);
    assert!(skew.summary.contains("the RDP server's own clock is +2 s"));
    assert!(
        !f.iter().any(|f| f.id == FindingId::ClockSkew),
        "the RDP server's clock is in time: no clock-skew of its own"
    );
}

#[test]
fn an_unreachable_kdc_is_no_answer_within_the_deadline() {
    let mut r = with_kdc(0);
    let k = r.kerberos.as_mut().unwrap();
    k.tcp = KdcReach {
        outcome: KdcOutcome::Refused,
        elapsed_ms: 1,
        detail: Some("connection refused".into()),
    };
    k.udp = KdcReach {
        outcome: KdcOutcome::NoAnswer,
        elapsed_ms: 5000,
        detail: Some("no answer within 5 s".into()),
    };
    k.as_reply = None;
    k.service_reply = None;
    k.clock_offset_ms = None;
    let f = derive(&r);
    let u = f
        .iter()
        .find(|f| f.id == FindingId::KerberosKdcUnreachable)
        .unwrap();
    assert!(u.summary.contains("no answer within 5 s"), "{}", u.summary);
    assert!(!u.summary.contains("never"));
    assert_eq!(ids(&r), ["kerberos-kdc-unreachable"]);
    // krb5.conf's KDCs tried before it are named too, not only the last.
    r.kerberos_start = Some(KerberosStart {
        reason: StartReason::NtlmDomain,
        started: true,
        ntlm_dns_domain: Some("corp.example".into()),
        realm: Some("CORP.EXAMPLE".into()),
        realm_from: Some(RealmFrom::DomainRealm),
        kdc_source: Some(KdcSource::Krb5Conf),
        kdc_config: Some("/etc/krb5.conf".into()),
        kdcs_not_answering: vec!["dc1.corp.example:88".into(), "dc2.corp.example:88".into()],
        krb5_conf: Vec::new(),
        kdc_srv_name: None,
        srv_not_found: None,
        not_started: None,
    });
    let f = derive(&r);
    let u = f
        .iter()
        .find(|f| f.id == FindingId::KerberosKdcUnreachable)
        .unwrap();
    assert!(
        u.summary
            .contains("nor did dc1.corp.example:88, dc2.corp.example:88 before it"),
        "{}",
        u.summary
    );
}

#[test]
fn one_transport_blocked_is_partly_reachable() {
    let mut r = with_kdc(0);
    r.kerberos.as_mut().unwrap().udp.outcome = KdcOutcome::NoAnswer;
    assert!(ids(&r).contains(&"kerberos-kdc-partly-reachable"));
}

#[test]
fn the_kdcs_answer_for_the_user_is_named() {
    for (code, name, id) in [
        (6, "KDC_ERR_C_PRINCIPAL_UNKNOWN", "kerberos-user-unknown"),
        (18, "KDC_ERR_CLIENT_REVOKED", "kerberos-user-revoked"),
        (23, "KDC_ERR_KEY_EXPIRED", "kerberos-password-expired"),
        (68, "KDC_ERR_WRONG_REALM", "kerberos-wrong-realm"),
        (12, "KDC_ERR_POLICY", "kerberos-kdc-error"),
    ] {
        let mut r = with_kdc(0);
        r.kerberos.as_mut().unwrap().as_reply = krb_error(code, name);
        assert!(ids(&r).contains(&id), "{code}: {:?}", ids(&r));
    }
}

#[test]
fn an_unknown_probe_principal_says_nothing_of_any_user() {
    let mut r = with_kdc(0);
    let k = r.kerberos.as_mut().unwrap();
    k.client_is_user = false;
    k.as_reply = krb_error(6, "KDC_ERR_C_PRINCIPAL_UNKNOWN");
    assert!(!ids(&r).contains(&"kerberos-user-unknown"));
}

#[test]
fn a_missing_spn_and_an_address_target_mean_ntlm() {
    let mut r = with_kdc(0);
    r.kerberos.as_mut().unwrap().service_reply = krb_error(7, "KDC_ERR_S_PRINCIPAL_UNKNOWN");
    assert!(ids(&r).contains(&"kerberos-spn-missing"));
    let mut r = with_kdc(0);
    r.target.host = "192.0.2.7".into();
    r.target.host_is_ip = true;
    assert!(ids(&r).contains(&"kerberos-target-is-address"));
}

/// `--realm --user`: the domain controller's answer to the password is
/// named, and decides between wrong credentials and the rest.
#[test]
fn the_kdcs_answer_to_the_password_is_named_and_ranked() {
    use rdpdoctor_diagnose::{Context, Evidence, judge};
    let with = |reply: Option<KdcReplyFacts>| {
        let mut r = with_kdc(1_000);
        if let Some(k) = r.kerberos.as_mut() {
            k.password_reply = reply;
        }
        r
    };
    let wrong = with(krb_error(24, "KDC_ERR_PREAUTH_FAILED"));
    assert!(
        ids(&wrong).contains(&"kerberos-password-wrong"),
        "{:?}",
        ids(&wrong)
    );
    let j = judge(&Evidence::wire(&wrong), &Context::default());
    assert_eq!(
        j.top_cause().map(|c| c.id.as_str()),
        Some("wrong-credentials")
    );

    let expired = with(krb_error(23, "KDC_ERR_KEY_EXPIRED"));
    assert!(ids(&expired).contains(&"kerberos-password-expired"));

    let right = with(Some(KdcReplyFacts {
        message: "as-rep".into(),
        error_code: None,
        error_name: None,
        e_text: None,
        realm: "CONTOSO.COM".into(),
    }));
    assert!(ids(&right).contains(&"kerberos-password-accepted"));
    let f = derive(&right);
    let accepted = f
        .iter()
        .find(|f| f.id == FindingId::KerberosPasswordAccepted)
        .unwrap();
    assert_eq!(accepted.severity, Severity::Info);
    // Not tried: no finding about the password at all.
    assert!(
        !ids(&with(None))
            .iter()
            .any(|i| i.starts_with("kerberos-password"))
    );
}

/// The logon inside CredSSP refused in its AP exchange ([RFC 4120 3.2.3]):
/// the server's errorCode read as KRB_AP_ERR_MODIFIED or KRB_AP_ERR_SKEW.
fn ap_refused(ntstatus: u32, ap_error: u32, name: &str) -> ProbeReport {
    let mut r = report();
    let mut l = common::logon_evidence(
        LogonOutcome::Rejected,
        LogonPhase::KerberosApRequest,
        Some(ntstatus),
        None,
    );
    l.mechanism = Some(LogonMechanism {
        package: AuthPackage::Kerberos,
        reason: MechanismReason::KdcAndSpn,
        realm: Some("CONTOSO.COM".into()),
        kdc: Some("dc01.contoso.com:88".into()),
        service_principal: Some("TERMSRV/rdp01.contoso.com@CONTOSO.COM".into()),
        kdc_error: None,
        kdc_error_name: None,
        ap_error: Some(ap_error),
        ap_error_name: Some(name.into()),
        kdc_known_by: Some(rdpdoctor_evidence::StartReason::RealmFlag),
        spn_reply: None,
        kdc_transport: Some(KdcTransport::Tcp),
    });
    r.logon = Some(l);
    r
}

#[test]
fn a_ticket_the_server_cannot_decrypt_is_its_service_key() {
    let r = ap_refused(0xC007_030F, 41, "KRB_AP_ERR_MODIFIED");
    let f = derive(&r);
    let hit = f
        .iter()
        .find(|f| f.id == FindingId::KerberosApKeyMismatch)
        .expect("kerberos-ap-key-mismatch");
    assert_eq!(hit.severity, Severity::Fail);
    assert!(hit.summary.contains("setspn -Q TERMSRV/rdp01.contoso.com"));
    // Not read as a wrong password or an account restriction.
    assert!(!f.iter().any(|f| matches!(
        f.id,
        FindingId::BadCredentials | FindingId::AccountRestricted | FindingId::LogonFailedOther
    )));
    let j = rdpdoctor_diagnose::judge(
        &rdpdoctor_diagnose::Evidence::wire(&r),
        &rdpdoctor_diagnose::Context::default(),
    );
    assert_eq!(
        j.top_cause().map(|c| c.id.as_str()),
        Some("kerberos-service-key-mismatch")
    );
}

#[test]
fn an_ap_request_refused_for_skew_is_the_clock() {
    let r = ap_refused(0x8009_0324, 37, "KRB_AP_ERR_SKEW");
    assert!(
        derive(&r)
            .iter()
            .any(|f| f.id == FindingId::KerberosApSkew && f.summary.contains("w32tm /resync"))
    );
    let j = rdpdoctor_diagnose::judge(
        &rdpdoctor_diagnose::Evidence::wire(&r),
        &rdpdoctor_diagnose::Context::default(),
    );
    assert_eq!(j.top_cause().map(|c| c.id.as_str()), Some("clock-skew"));
}
