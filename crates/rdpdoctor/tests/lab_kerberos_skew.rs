//! The AP exchange refused for clock skew (RFC 4120 3.2.3, KRB_AP_ERR_SKEW):
//! the Kerberos NLA emulator (`rdpdoctor lab serve --kerberos-realm`) runs
//! 10 minutes ahead under libfaketime, the realm's MIT KDC and this machine
//! agree. The KDC issues the ticket; the server refuses the authenticator's
//! time. Needs krb5-kdc, krb5-admin-server, krb5-user and faketime.
//! `cargo test -p rdpdoctor --features lab --test lab_kerberos_skew -- --ignored`

use rdpdoctor_testkit::cli::*;
use rdpdoctor_testkit::kdc::{self, Kdc, KdcOptions};
use serde_json::Value;

#[test]
#[ignore]
fn a_server_clock_10_minutes_off_refuses_the_ticket_for_skew() {
    let k = Kdc::start(
        "lab_kerberos_skew_ap",
        KdcOptions {
            service_password: Some(kdc::SERVICE_PASSWORD),
            ..KdcOptions::default()
        },
    );
    // The service's password reaches `lab serve` in a file, as the user's
    // reaches the probe.
    let service_pw = PasswordFile(k.dir.join("termsrv.pw"));
    std::fs::write(&service_pw.0, kdc::SERVICE_PASSWORD).unwrap();
    let service_pw_arg = service_pw.0.display().to_string();
    let serve = LabServe::start_with(
        &["healthy-nla"],
        &[
            "--kerberos-realm",
            kdc::REALM,
            "--kerberos-password-file",
            &service_pw_arg,
        ],
        &[
            ("LD_PRELOAD", kdc::FAKETIME_LIB),
            // 10 minutes, well past both 5-minute limits: this server's
            // NTLM CHALLENGE reads 61 s slow (`sspi`'s FILETIME epoch, see
            // the emulator's nla_sspi.rs), so 6 minutes would read as 299 s.
            ("FAKETIME", "+600"),
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
        ],
    );
    let rdp_port = serve.listeners[0].1.rsplit(':').next().unwrap().to_owned();
    let (_, pw_file) = demo_logon_args("lab-kerberos-skew");
    let pw = pw_file.0.display().to_string();
    let target = format!("{}:{rdp_port}", kdc::SERVICE_HOST);
    let kdc_at = k.address();
    let mut args = kdc::probe_args(&target, &kdc_at);
    args.extend(["--user", kdc::USER, "--password-file", &pw]);
    let (out, _) = run(false, &args);
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = &j["logon"]["mechanism"];
    assert_eq!(m["package"], "kerberos", "{}", j["logon"]);
    assert_eq!(m["ap_error"], 37, "{}", j["logon"]);
    assert_eq!(m["ap_error_name"], "KRB_AP_ERR_SKEW");
    let ids: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert!(ids.contains(&"kerberos-ap-skew"), "{ids:?}");
    // The DC's clock is this machine's: the server's is the one off, and
    // its NTLM time says so too.
    assert!(ids.contains(&"kerberos-dc-clock-in-sync"), "{ids:?}");
    assert_eq!(
        j["diagnosis"]["causes"][0]["id"], "clock-skew",
        "{}",
        j["diagnosis"]
    );
    // The KDC issued the service ticket: only the server refused.
    let log = std::fs::read_to_string(k.dir.join("kdc.log")).unwrap_or_default();
    assert!(
        log.contains("TGS_REQ") && log.contains("TERMSRV/localhost"),
        "{log}"
    );
}
