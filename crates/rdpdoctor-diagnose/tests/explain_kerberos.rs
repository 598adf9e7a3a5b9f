//! `rdpdoctor explain` for the domain's Kerberos: the RFC 4120 codes, by
//! number with the `kerberos` word or by name, and MIT's messages.

use rdpdoctor_diagnose::{Context, Evidence, judge};
use rdpdoctor_kb::{Family, explain};

fn top(input: &str) -> (Vec<(Family, String)>, String) {
    let args = vec![input.to_owned()];
    let read = explain(&args).unwrap_or_else(|e| panic!("{input}: {e}"));
    let causes = judge(&Evidence::codes(input, &read), &Context::default())
        .diagnosis
        .causes;
    (
        read.codes
            .iter()
            .map(|c| (c.family, c.name.clone()))
            .collect(),
        causes.first().map(|c| c.id.clone()).unwrap_or_default(),
    )
}

#[test]
fn kerberos_codes_by_number_and_name() {
    for (input, name, cause) in [
        ("kerberos 24", "KDC_ERR_PREAUTH_FAILED", "wrong-credentials"),
        (
            "krb 0x12",
            "KDC_ERR_CLIENT_REVOKED",
            "domain-account-unusable",
        ),
        (
            "KDC_ERR_S_PRINCIPAL_UNKNOWN",
            "KDC_ERR_S_PRINCIPAL_UNKNOWN",
            "kerberos-spn-missing",
        ),
        ("kerberos 37", "KRB_AP_ERR_SKEW", "kerberos-dc-clock-skew"),
        (
            "KDC_ERR_WRONG_REALM",
            "KDC_ERR_WRONG_REALM",
            "kerberos-wrong-realm",
        ),
    ] {
        let (codes, top) = top(input);
        assert!(
            codes.contains(&(Family::Kerberos, name.to_owned())),
            "{input}: {codes:?}"
        );
        assert_eq!(top, cause, "{input}");
    }
}

#[test]
fn a_bare_number_is_not_read_as_kerberos() {
    // The family is explicit only: "24" alone keeps its other meanings.
    let (codes, _) = top("24");
    assert!(
        codes.iter().all(|(f, _)| *f != Family::Kerberos),
        "{codes:?}"
    );
}

#[test]
fn mit_messages_point_at_the_domain() {
    let (_, t) = top(
        "kinit: Cannot contact any KDC for realm 'CONTOSO.COM' while getting initial credentials",
    );
    assert_eq!(t, "kerberos-kdc-unreachable");
    let (_, t) = top("Clock skew too great");
    assert_eq!(t, "kerberos-dc-clock-skew");
}

/// A domain controller's event gives the KRB-ERROR code as "Failure Code" or
/// "Result Code": it is read as Kerberos, not as an RDP_NEG_FAILURE code,
/// and the event itself is known.
#[test]
fn a_dc_event_failure_code_is_a_kerberos_code() {
    for (input, name, cause) in [
        (
            "Event 4771 Kerberos pre-authentication failed. Failure Code: 0x18",
            "KDC_ERR_PREAUTH_FAILED",
            "wrong-credentials",
        ),
        (
            "Event ID 4769 A Kerberos service ticket was requested. Failure Code: 0x7",
            "KDC_ERR_S_PRINCIPAL_UNKNOWN",
            "kerberos-spn-missing",
        ),
        (
            "4768 Result Code: 0x12",
            "KDC_ERR_CLIENT_REVOKED",
            "domain-account-unusable",
        ),
    ] {
        let (codes, top) = top(input);
        assert!(
            codes.contains(&(Family::Kerberos, name.to_owned())),
            "{input}: {codes:?}"
        );
        assert!(
            !codes.iter().any(|(f, _)| *f == Family::RdpNegFailure),
            "{input}: {codes:?}"
        );
        assert_eq!(top, cause, "{input}");
    }
}
