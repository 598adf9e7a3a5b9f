//! The logon's Kerberos beyond `--realm` (issue 21), against the real MIT
//! KDC of testkit's `kdc` and the Kerberos NLA emulator (`rdpdoctor lab
//! serve --kerberos-realm`): the logon of a run without `--realm` whose KDC
//! krb5.conf names for the server's NTLM domain, with the secrets rule and
//! the one-failed-attempt rule on that path; and the SPN asked once per run
//! (counted in the KDC's log). Needs krb5-kdc, krb5-admin-server, krb5-user (lab/install.sh);
//! no lab/up.sh.
//! `cargo test -p rdpdoctor --features lab --test lab_kerberos_logon -- --ignored`

use rdpdoctor_testkit::cli::*;
use rdpdoctor_testkit::kdc::{self, Kdc, KdcOptions, QUICK};

/// The realm AD would give the emulator's NTLM domain (corp.example).
fn domain_realm() -> String {
    rdpdoctor_emulator::FaultConfig::new(rdpdoctor_emulator::Fault::HealthyNla)
        .dns_domain
        .to_ascii_uppercase()
}

/// A domain as the automatic start meets it: the realm's MIT KDC (with
/// TERMSRV/localhost's keys from [`kdc::SERVICE_PASSWORD`]), an NLA server
/// that takes Kerberos in that realm, and a krb5.conf naming only the
/// realm's KDC (no `[domain_realm]`: the NTLM domain upper-cased is the
/// realm). Dropped in reverse: the server, then the KDC.
struct Domain {
    serve: LabServe,
    kdc: Kdc,
    conf: String,
    _service_pw: PasswordFile,
}

impl Domain {
    fn start(test: &str, options: KdcOptions) -> Domain {
        let realm = domain_realm();
        let kdc = Kdc::start_realm(test, options, &realm);
        let service_pw = PasswordFile(kdc.dir.join("termsrv.pw"));
        std::fs::write(&service_pw.0, kdc::SERVICE_PASSWORD).unwrap();
        let serve = LabServe::start_with(
            &["healthy-nla"],
            &[
                "--kerberos-realm",
                &realm,
                "--kerberos-password-file",
                &service_pw.0.display().to_string(),
                "--kerberos-ntlm-domain",
            ],
            &[],
        );
        let conf = kdc.dir.join("probe-krb5.conf");
        std::fs::write(
            &conf,
            format!("[realms]\n {realm} = {{\n  kdc = {}\n }}\n", kdc.address()),
        )
        .unwrap();
        Domain {
            serve,
            kdc,
            conf: conf.display().to_string(),
            _service_pw: service_pw,
        }
    }

    /// `localhost:<port>` of the NLA server.
    fn target(&self) -> String {
        let port = self.serve.listeners[0].1.rsplit(':').next().unwrap();
        format!("{}:{port}", kdc::SERVICE_HOST)
    }

    fn kdc_log(&self) -> String {
        std::fs::read_to_string(self.kdc.dir.join("kdc.log")).unwrap_or_default()
    }
}

/// The secrets rule on the automatic path: `probe --user` without
/// `--realm`, the password in a file; the logon's Kerberos goes to the KDC
/// krb5.conf names for the server's NTLM domain. The password is in no
/// command line or environment of rdpdoctor or anything it starts (sampled
/// from /proc while it runs), not on stdout, stderr, in the JSON or in the
/// KDC's log.
#[test]
#[ignore]
fn the_password_never_leaks_on_the_automatic_kerberos_path() {
    let d = Domain::start(
        "lab_kerberos_logon_secret",
        KdcOptions {
            service_password: Some(kdc::SERVICE_PASSWORD),
            ..KdcOptions::default()
        },
    );
    let (_, pw_file) = demo_logon_args("lab-kerberos-auto-secret");
    let secret = rdpdoctor_emulator::DEMO_PASSWORD;
    let target = d.target();
    let pw = pw_file.0.display().to_string();
    let mut args = vec!["probe", target.as_str()];
    args.extend(QUICK);
    args.extend(["--user", kdc::USER, "--password-file", &pw]);
    let j = rdpdoctor_testkit::secrets::probe_watched_with(&args, secret, &d.conf).json;
    let m = &j["logon"]["mechanism"];
    assert_eq!(m["package"], "kerberos", "{}", j["logon"]);
    assert_eq!(m["kdc_known_by"], "ntlm-domain");
    assert_eq!(j["logon"]["outcome"], "authenticated", "{}", j["logon"]);
    assert_eq!(j["kerberos_start"]["reason"], "ntlm-domain");
    let log = d.kdc_log();
    assert!(log.contains("TGS_REQ"), "{log}");
    assert!(!log.contains(secret), "the password is in the KDC's log");
}

/// The KDC's log lines of AS-REQs naming `TERMSRV/localhost` as the service
/// (MIT logs `AS_REQ (…) ADDR: STATUS: CLIENT for SERVICE, …`).
fn spn_as_requests(log: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("AS_REQ") && l.contains(" for TERMSRV/localhost@"))
        .count()
}

/// With `--realm --user`, the SPN is asked once per run: the logon's
/// package choice asks the KDC whether `TERMSRV/localhost` exists, and the
/// Kerberos stage reports that answer rather than sending the same AS-REQ
/// again. Counted in the real MIT KDC's log.
#[test]
#[ignore]
fn the_kdc_is_asked_for_the_spn_once_per_run() {
    let d = Domain::start(
        "lab_kerberos_logon_spn_once",
        KdcOptions {
            service_password: Some(kdc::SERVICE_PASSWORD),
            ..KdcOptions::default()
        },
    );
    let (_, pw_file) = demo_logon_args("lab-kerberos-spn-once");
    let pw = pw_file.0.display().to_string();
    let (target, kdc_at, realm) = (d.target(), d.kdc.address(), domain_realm());
    let mut args = vec![
        "probe",
        target.as_str(),
        "--realm",
        &realm,
        "--kdc",
        &kdc_at,
    ];
    args.extend(QUICK);
    args.extend(["--user", kdc::USER, "--password-file", &pw]);
    let (out, _) = run_env(false, &args, &[("KRB5_CONFIG", &d.conf)]);
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = &j["logon"]["mechanism"];
    assert_eq!(m["package"], "kerberos", "{}", j["logon"]);
    let service = &j["kerberos"]["service_reply"];
    assert_eq!(service["error_name"], "KDC_ERR_PREAUTH_REQUIRED", "{j}");
    assert_eq!(&m["spn_reply"], service);
    let log = d.kdc_log();
    assert_eq!(spn_as_requests(&log), 1, "{log}");
    // MIT's own kvno agrees the SPN exists.
    let (ok, e) = d
        .kdc
        .kinit(&format!("{}@{realm}", kdc::USER), kdc::USER_PASSWORD);
    assert!(ok, "kinit: {e}");
    let (ok, said) = d.kdc.kvno(&format!("TERMSRV/localhost@{realm}"));
    assert!(ok, "kvno: {said}");
}

/// One failed attempt per run on the automatic path too: the realm knows
/// another password for demo, so the logon's Kerberos (the KDC of the
/// server's NTLM domain) is refused by the KDC; the password is tried
/// neither over NTLM nor again by the Kerberos stage after the probe.
#[test]
#[ignore]
fn a_password_the_automatic_kerberos_logon_refused_is_not_tried_again() {
    let d = Domain::start(
        "lab_kerberos_logon_once",
        KdcOptions {
            service_password: Some(kdc::SERVICE_PASSWORD),
            other_password: true,
            ..KdcOptions::default()
        },
    );
    let (_, pw_file) = demo_logon_args("lab-kerberos-auto-once");
    let pw = pw_file.0.display().to_string();
    let target = d.target();
    let mut args = vec!["probe", target.as_str()];
    args.extend(QUICK);
    args.extend(["--user", kdc::USER, "--password-file", &pw]);
    let (out, _) = run_env(false, &args, &[("KRB5_CONFIG", &d.conf)]);
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let l = &j["logon"];
    assert_eq!(l["outcome"], "rejected", "{l}");
    assert_eq!(l["mechanism"]["package"], "kerberos", "{l}");
    assert_eq!(l["mechanism"]["kdc_known_by"], "ntlm-domain");
    assert_eq!(l["mechanism"]["kdc_error"], 24, "{l}");
    let k = &j["kerberos"];
    assert!(k["password_reply"].is_null(), "{k}");
    assert!(
        k["password_not_tried"]
            .as_str()
            .is_some_and(|w| w.contains("one failed attempt per run")),
        "{k}"
    );
    let log = d.kdc_log();
    assert_eq!(log.matches("PREAUTH_FAILED").count(), 1, "{log}");
}
