use super::*;
use rdpdoctor_evidence::{NtlmFacts, Target};

/// A report whose NTLM CHALLENGE named `domain` for the computer `computer`.
fn report(domain: Option<&str>, computer: &str) -> ProbeReport {
    let mut r = ProbeReport::new(
        Target {
            input: "rdp.corp.example".into(),
            host: "rdp.corp.example".into(),
            port: 3389,
            host_is_ip: false,
        },
        "test",
        "2026-01-01T00:00:00Z".into(),
    );
    r.ntlm = Some(NtlmFacts {
        netbios_computer_name: Some(computer.into()),
        dns_domain_name: domain.map(str::to_owned),
        dns_tree_name: domain.map(str::to_owned),
        ..NtlmFacts::default()
    });
    r
}

fn given(kdc: Option<&str>) -> Given<'_> {
    Given {
        kdc,
        user: None,
        target_host: Some("rdp.corp.example"),
        step_timeout: Duration::from_secs(1),
    }
}

const CONF: &str = "[realms]\n LAB.TEST = {\n  kdc = 127.0.0.1:8888\n  kdc = 127.0.0.2\n }\n\
                    [domain_realm]\n .corp.example = LAB.TEST\n";

#[test]
fn a_mapped_domain_with_a_kdc_in_krb5_conf_starts_on_its_own() {
    let conf = Krb5Files::from_texts(&[("/etc/krb5.conf", CONF)]);
    let Ok(plan) = automatic(&report(Some("corp.example"), "RDP01"), &given(None), &conf) else {
        panic!("not started");
    };
    assert_eq!(plan.first.realm, "LAB.TEST");
    assert_eq!(plan.first.kdc, "127.0.0.1:8888");
    assert_eq!(plan.first.kdc_source, KdcSource::Krb5Conf);
    assert_eq!(plan.more.len(), 1, "the second kdc line is tried next");
    assert_eq!(plan.first.service_host.as_deref(), Some("rdp.corp.example"));
    let s = plan.start;
    assert!(s.started);
    assert_eq!(s.reason, StartReason::NtlmDomain);
    assert_eq!(s.realm_from, Some(RealmFrom::DomainRealm));
    assert_eq!(s.kdc_config.as_deref(), Some("/etc/krb5.conf"));
}

#[test]
fn without_a_kdc_known_nothing_starts_and_the_line_says_what_to_pass() {
    let conf = Krb5Files::from_texts(&[("/etc/krb5.conf", "[realms]\n")]);
    let Err(Some(s)) = automatic(&report(Some("corp.example"), "RDP01"), &given(None), &conf)
    else {
        panic!("started or said nothing");
    };
    assert!(!s.started);
    assert_eq!(s.realm.as_deref(), Some("CORP.EXAMPLE"));
    assert_eq!(s.realm_from, Some(RealmFrom::DnsDomain));
    let line = s.not_started.unwrap();
    assert!(
        line.contains("--realm CORP.EXAMPLE --kdc HOST[:PORT]"),
        "{line}"
    );
    assert_eq!(line.lines().count(), 1);
}

#[test]
fn the_kdc_flag_is_a_known_kdc_for_the_ntlm_realm() {
    let conf = Krb5Files::from_texts(&[]);
    let Ok(plan) = automatic(
        &report(Some("corp.example"), "RDP01"),
        &given(Some("127.0.0.1:750")),
        &conf,
    ) else {
        panic!("not started");
    };
    assert_eq!(plan.first.realm, "CORP.EXAMPLE");
    assert_eq!(plan.first.kdc_source, KdcSource::Flag);
    assert_eq!(plan.start.realm_from, Some(RealmFrom::DnsDomain));
}

#[test]
fn a_workgroup_machine_names_itself_not_a_domain() {
    let conf = Krb5Files::from_texts(&[("/etc/krb5.conf", CONF)]);
    let r = report(Some("WIN-ABC"), "WIN-ABC");
    assert!(matches!(automatic(&r, &given(None), &conf), Err(None)));
    assert!(matches!(
        automatic(&report(None, "X"), &given(None), &conf),
        Err(None)
    ));
}

#[test]
fn a_kdc_flag_without_any_realm_says_to_pass_one() {
    let conf = Krb5Files::from_texts(&[]);
    let Err(Some(s)) = automatic(&report(None, "X"), &given(Some("127.0.0.1")), &conf) else {
        panic!("started");
    };
    assert!(s.not_started.unwrap().contains("pass --realm REALM"));
    // krb5.conf's default_realm fills in.
    let conf = Krb5Files::from_texts(&[("k", "[libdefaults]\n default_realm = LAB.TEST\n")]);
    let Ok(plan) = automatic(&report(None, "X"), &given(Some("127.0.0.1")), &conf) else {
        panic!("not started");
    };
    assert_eq!(plan.first.realm, "LAB.TEST");
    assert_eq!(plan.start.realm_from, Some(RealmFrom::DefaultRealm));
}

#[test]
fn a_hostile_domain_is_no_realm_and_nothing_starts() {
    let conf = Krb5Files::from_texts(&[]);
    let long = "a.".repeat(2000) + "example";
    for domain in ["corp\u{1b}[31m.example", "a b", long.as_str()] {
        let Err(Some(s)) = automatic(&report(Some(domain), "X"), &given(Some("127.0.0.1")), &conf)
        else {
            panic!("started for {domain:?}");
        };
        assert!(s.realm.is_none());
        let line = s.not_started.unwrap();
        assert!(!line.contains('\u{1b}') && line.len() < 400, "{line}");
    }
}

#[test]
fn an_explicit_realm_takes_krb5_confs_kdcs_when_no_kdc_is_given() {
    let conf = Krb5Files::from_texts(&[("/tmp/k.conf", CONF)]);
    let plan = explicit("LAB.TEST", &given(None), &conf).unwrap();
    assert_eq!(plan.first.kdc_source, KdcSource::Krb5Conf);
    assert_eq!(plan.start.kdc_config.as_deref(), Some("/tmp/k.conf"));
    let plan = explicit("LAB.TEST", &given(Some("127.0.0.3")), &conf).unwrap();
    assert_eq!(plan.first.kdc_source, KdcSource::Flag);
    assert!(explicit("bad realm", &given(None), &conf).is_err());
}
