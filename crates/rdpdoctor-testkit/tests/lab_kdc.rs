//! The lab KDC checked with MIT's own tools: each state the Kerberos tests
//! rely on is what `kinit` and `kvno` say it is. Needs krb5-kdc, krb5-user
//! and faketime (lab/install.sh):
//! `cargo test -p rdpdoctor-testkit --features kdc --test lab_kdc -- --ignored`.

use rdpdoctor_testkit::kdc::*;

#[test]
#[ignore]
fn the_lab_realm_answers_as_mit_tools_say() {
    let kdc = Kdc::start("lab_kdc_states", KdcOptions::default());
    let user = format!("{USER}@{REALM}");

    let (ok, err) = kdc.kinit(&user, "not-the-password");
    assert!(!ok, "a wrong password is refused");
    assert!(err.contains("Password incorrect"), "{err}");

    let (ok, err) = kdc.kinit(&format!("nobody@{REALM}"), USER_PASSWORD);
    assert!(!ok);
    assert!(err.contains("not found in Kerberos database"), "{err}");

    let (ok, err) = kdc.kinit(&format!("{LOCKED_USER}@{REALM}"), USER_PASSWORD);
    assert!(!ok, "the disabled principal gets no ticket");
    assert!(err.contains("revoked"), "{err}");

    let (ok, err) = kdc.kinit(&user, USER_PASSWORD);
    assert!(ok, "the user's password works: {err}");
    let (ok, err) = kdc.kvno(&format!("TERMSRV/{SERVICE_HOST}@{REALM}"));
    assert!(ok, "the RDP service's SPN has a ticket: {err}");
    let (ok, err) = kdc.kvno(&format!("TERMSRV/{NO_SPN_HOST}@{REALM}"));
    assert!(!ok, "no SPN, no ticket");
    assert!(err.contains("not found in Kerberos database"), "{err}");
    assert!(
        kdc.dir.join("termsrv.keytab").is_file(),
        "the service's keytab"
    );
}

#[test]
#[ignore]
fn the_skewed_kdc_runs_in_its_own_time() {
    // Only that it starts and serves under libfaketime; the offset itself is
    // measured by rdpdoctor's own probe in crates/rdpdoctor/tests/lab_kerberos.rs.
    let kdc = Kdc::start(
        "lab_kdc_skew",
        KdcOptions {
            skew_secs: 360,
            ..Default::default()
        },
    );
    let (ok, err) = kdc.kinit(&format!("{USER}@{REALM}"), USER_PASSWORD);
    // MIT's client checks the KDC's time in the AS-REP only when asked to;
    // the ticket is issued whatever the skew.
    assert!(ok || err.contains("Clock skew"), "{err}");
}
