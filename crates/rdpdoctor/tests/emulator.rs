//! rdpdoctor against its own misconfigured-server emulator.
//!
//! 1. For every fault, `rdpdoctor probe --format json` reports the findings
//!    the fault stands for, and no `fail` finding it does not stand for.
//!    These need nothing but loopback and run with plain `cargo test`.
//! 2. `rdpdoctor lab serve` prints its listeners and stops on SIGTERM.
//! 3. Fidelity (`#[ignore]`d, run by lab/test.sh): the reference client
//!    `xfreerdp +auth-only` fails against each fault the way it fails
//!    against a real server with the same fault (see
//!    ../shared/reference/lab-notes.md for the real-server side).

use rdpdoctor_emulator::{CaPem, Fault, FaultConfig, RunningEmulator};
use rdpdoctor_testkit::cli::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A runtime serving one emulated fault on 127.0.0.1:0 while the test runs
/// the binary against it.
struct Served {
    emu: Option<RunningEmulator>,
    rt: tokio::runtime::Runtime,
}

impl Served {
    fn start(cfg: FaultConfig) -> Served {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let emu = rt
            .block_on(rdpdoctor_emulator::spawn(
                cfg,
                "127.0.0.1:0".parse().unwrap(),
            ))
            .unwrap();
        Served { emu: Some(emu), rt }
    }

    fn port(&self) -> u16 {
        self.emu
            .as_ref()
            .map(|e| e.local_addr().port())
            .unwrap_or(0)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(emu) = self.emu.take() {
            self.rt.block_on(emu.shutdown());
        }
    }
}

fn check_fault(fault: Fault) {
    let served = Served::start(FaultConfig::new(fault));
    let target = format!("127.0.0.1:{}", served.port());
    // A silent server costs the probe one step timeout per stage: keep it short.
    let extra: &[&str] = if fault == Fault::Silent {
        &["--timeout", "2"]
    } else {
        &[]
    };
    // The logon faults need one logon attempt: the demo account, its
    // password in a file (never argv).
    let mut args: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
    let mut _pw = None;
    if fault.needs_credentials() {
        let (logon, file) = demo_logon_args(&format!("emulator-{fault}"));
        args.extend(logon);
        _pw = Some(file);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let p = probe_target(false, &target, &args);
    if let Some(code) = fault.logon_status() {
        assert_eq!(
            p.json["logon"]["ntstatus"], code,
            "{fault}: {}",
            p.json["logon"]
        );
        assert_eq!(p.json["logon"]["phase_reached"], "ntlm-authenticate");
        assert!(
            !p.json
                .to_string()
                .contains(rdpdoctor_emulator::DEMO_PASSWORD)
        );
    }
    let ids = p.finding_ids();
    for want in fault.expected_findings() {
        p.assert_has(want.name());
    }
    let fails: Vec<&str> = p.json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "fail")
        .filter_map(|f| f["id"].as_str())
        .collect();
    for id in &fails {
        assert!(
            fault.expected_findings().iter().any(|w| w.name() == *id),
            "{fault}: unexpected fail finding {id} in {ids:?}"
        );
    }
    // The exit status follows the verdict, and a `fail` finding means some
    // client fails (the report never contradicts itself).
    let verdict = p.json["verdict"].as_str().unwrap();
    let failing = !matches!(verdict, "healthy" | "works-with-warnings");
    assert_eq!(p.code, i32::from(failing), "{fault}: verdict {verdict}");
    assert!(
        fails.is_empty() || failing,
        "{fault}: fail findings {fails:?} but verdict {verdict}"
    );
    // Where the deep probe can go, it reaches what the fault says.
    let deep = &p.json["deep"];
    match fault {
        Fault::HealthyTls | Fault::HealthyNla | Fault::ExpiredCert | Fault::Slow => {
            assert_eq!(deep["outcome"]["kind"], "logon-screen", "{fault}: {deep}");
            assert_eq!(deep["phase_reached"], "demand-active", "{fault}: {deep}");
        }
        Fault::ServerDenied => {
            assert_eq!(deep["outcome"]["code"], 7, "{deep}");
            assert_eq!(deep["phase_reached"], "client-info", "{deep}");
        }
        Fault::LicensingError => assert_eq!(deep["outcome"]["code"], 0x101, "{deep}"),
        _ => {}
    }
    match fault {
        Fault::HealthyNla | Fault::NlaRequired | Fault::ClockSkew => {
            assert_eq!(p.json["credssp"]["server_version"], 6);
            assert_eq!(p.json["ntlm"]["netbios_computer_name"], "WIN-RDP01");
            assert_eq!(p.json["ntlm"]["os_version"], "10.0.20348");
        }
        Fault::CredsspV2 => {
            assert_eq!(p.json["credssp"]["server_version"], 2);
            assert_eq!(p.json["ntlm"]["os_version"], "6.1.7601");
        }
        Fault::FipsRequired => assert_eq!(p.json["rdp_security"]["encryption_level"], "fips"),
        _ => {}
    }
    // The diagnosis names the injected fault first (healthy hosts: nothing failing).
    let causes = p.json["diagnosis"]["causes"].as_array().unwrap();
    match fault.expected_cause() {
        Some(want) => assert_eq!(
            causes[0]["id"],
            want,
            "{fault}: {:?}",
            causes.iter().map(|c| &c["id"]).collect::<Vec<_>>()
        ),
        None => assert!(!failing, "{fault}: a healthy host judged {verdict}"),
    }
    if fault == Fault::ClockSkew {
        let skew = p.json["ntlm"]["clock_skew_seconds"].as_i64().unwrap();
        assert!((skew - 3600).abs() < 10, "skew {skew}");
    }
    if fault == Fault::Slow {
        assert!(p.elapsed > Duration::from_millis(2500), "{:?}", p.elapsed);
    }
    // How each X.224 request failed is a kind, and the scan's re-check
    // decides on it: a host that accepts TCP and then says nothing is worth
    // one more look; one that closes at once has answered.
    let kinds = |p: &Probe| -> Vec<String> {
        p.json["negotiation"]["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["outcome"]["kind"].as_str().unwrap_or("?").to_owned())
            .collect()
    };
    let recheck = || {
        serde_json::from_value::<rdpdoctor_evidence::ProbeReport>(p.json.clone())
            .expect("the report reads back")
            .timed_out_after_answer()
    };
    match fault {
        Fault::Silent => {
            assert!(kinds(&p).iter().all(|k| k == "silent"), "{:?}", kinds(&p));
            assert!(recheck(), "{fault}: no answer after TCP is re-checked");
        }
        Fault::AcceptThenClose => {
            assert!(kinds(&p).iter().all(|k| k == "closed"), "{:?}", kinds(&p));
            assert!(!recheck(), "{fault}: a close is an answer");
        }
        _ => assert!(!recheck(), "{fault}: nothing timed out"),
    }
}

macro_rules! fault_tests {
    ($($name:ident => $fault:expr,)*) => {
        $(
            #[test]
            fn $name() {
                check_fault($fault);
            }
        )*

        #[test]
        fn every_fault_has_a_probe_test() {
            let tested = [$($fault),*];
            for f in Fault::ALL {
                assert!(tested.contains(f), "no probe test for {f}");
            }
        }
    };
}

fault_tests! {
    probe_healthy_nla => Fault::HealthyNla,
    probe_healthy_tls => Fault::HealthyTls,
    probe_expired_cert => Fault::ExpiredCert,
    probe_not_yet_valid_cert => Fault::NotYetValidCert,
    probe_wrong_name_cert => Fault::WrongNameCert,
    probe_tls_required => Fault::TlsRequired,
    probe_rdp_security_only => Fault::RdpSecurityOnly,
    probe_nla_required => Fault::NlaRequired,
    probe_credssp_v2 => Fault::CredsspV2,
    probe_clock_skew => Fault::ClockSkew,
    probe_server_denied => Fault::ServerDenied,
    probe_licensing_error => Fault::LicensingError,
    probe_fips_required => Fault::FipsRequired,
    probe_tls10_only => Fault::Tls10Only,
    probe_tls13_only => Fault::Tls13Only,
    probe_ssl_cert_not_on_server => Fault::SslCertNotOnServer,
    probe_accept_then_close => Fault::AcceptThenClose,
    probe_silent => Fault::Silent,
    probe_password_expired => Fault::PasswordExpired,
    probe_password_must_change => Fault::PasswordMustChange,
    probe_account_restriction => Fault::AccountRestriction,
    probe_account_locked_out => Fault::AccountLockedOut,
    probe_account_disabled => Fault::AccountDisabled,
    probe_logon_type_not_granted => Fault::LogonTypeNotGranted,
    probe_slow => Fault::Slow,
}

/// A TLS 1.3-only server refuses TLS 1.2 (alert 70): the fix to try first
/// is on the server, even for a user on Windows 10 whose client it fails,
/// and a Windows 11 user, whose client speaks TLS 1.3, is not told the
/// server and client share no TLS version.
#[test]
fn a_tls13_only_server_is_fixed_on_the_server() {
    let served = Served::start(FaultConfig::new(Fault::Tls13Only));
    let target = format!("127.0.0.1:{}", served.port());
    let p = probe_target(false, &target, &["--client", "mstsc-win10"]);
    let fix = &p.json["diagnosis"]["first_fix"]["fix"];
    assert_eq!(fix["side"], "server", "{fix}");
    assert_eq!(fix["id"], "enable-tls12-server", "{fix}");
    assert_eq!(fix["weakens_security"], false, "{fix}");
    let args = [
        "probe",
        target.as_str(),
        "--no-reverse-dns",
        "--color",
        "never",
        "--client",
        "mstsc-win10",
    ];
    let (out, _) = run(false, &args);
    let text = String::from_utf8_lossy(&out.stdout);
    let head: Vec<&str> = text.lines().take(5).collect();
    assert!(
        head.iter()
            .any(|l| l.starts_with("Try first: Enable TLS 1.2 on the server")),
        "{}",
        head.join("\n")
    );
    let p = probe_target(false, &target, &["--client", "mstsc-win11"]);
    let headline = p.json["diagnosis"]["headline"].as_str().unwrap_or_default();
    assert!(!headline.contains("No TLS version"), "{headline}");
    let table = p.json["diagnosis"]["clients"].as_array().unwrap();
    assert!(table.iter().all(|c| c["verdict"] != "fails"), "{table:?}");
}

#[test]
fn lab_serve_prints_its_listeners_and_stops_on_sigterm() {
    let mut child = Command::new(bin())
        .args([
            "lab",
            "serve",
            "--fault",
            "tls-required",
            "--fault",
            "clock-skew",
            "--skew=-2h",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut addrs = Vec::new();
    for want in ["tls-required", "clock-skew"] {
        let line = lines.next().unwrap().unwrap();
        let prefix = format!("fault {want} listening on 127.0.0.1:");
        assert!(line.starts_with(&prefix), "{line}");
        addrs.push(line.rsplit(' ').next().unwrap().to_owned());
    }
    let p = probe_target(false, &addrs[0], &[]);
    p.assert_has("tls-required");
    let p = probe_target(false, &addrs[1], &[]);
    p.assert_has("clock-skew");
    let skew = p.json["ntlm"]["clock_skew_seconds"].as_i64().unwrap();
    assert!((skew + 7200).abs() < 10, "skew {skew}");
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "lab serve ignored SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn lab_serve_usage_errors_and_list() {
    let (out, _) = run(false, &["lab", "serve", "--fault", "no-such-fault"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown fault") && err.contains("expired-cert"),
        "{err}"
    );
    let (out, _) = run(
        false,
        &[
            "lab",
            "serve",
            "--fault",
            "silent=127.0.0.1:34999",
            "--fault",
            "slow=127.0.0.1:34999",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let (out, _) = run(false, &["lab", "serve", "--fault", "silent=localhost"]);
    assert_eq!(out.status.code(), Some(2));
    let (out, _) = run(false, &["lab", "serve", "--list"]);
    assert_eq!(out.status.code(), Some(0));
    let list = String::from_utf8_lossy(&out.stdout);
    for f in Fault::ALL {
        assert!(list.contains(f.name()), "{list}");
    }
}

// ------------------------------------------------------------ fidelity (lab)

/// One reference-client run: the fault, `/sec:` mode, extra arguments, the
/// exit status a real server with the same fault gives, and a line of its
/// output.
struct Case {
    fault: Fault,
    sec: &'static str,
    extra: &'static [&'static str],
    rc: i32,
    says: &'static str,
    /// What the real-server side is (lab-notes.md), for the failure message.
    like: &'static str,
}

/// A case xfreerdp connects in (exit status 0), with no extra arguments.
const fn connects(fault: Fault, sec: &'static str, like: &'static str) -> Case {
    Case {
        fault,
        sec,
        extra: &[],
        rc: 0,
        says: "exit status 0",
        like,
    }
}

const CASES: &[Case] = &[
    Case {
        fault: Fault::ServerDenied,
        sec: "tls",
        extra: &[],
        rc: 131,
        says: "ERRINFO_SERVER_DENIED_CONNECTION",
        like: "Windows denying the connection (mstsc 0x904 / 0x7)",
    },
    Case {
        fault: Fault::LicensingError,
        sec: "tls",
        extra: &[],
        rc: 131,
        says: "ERRINFO_LICENSE_NO_LICENSE_SERVER",
        like: "Windows without a license server",
    },
    Case {
        fault: Fault::NlaRequired,
        sec: "tls",
        extra: &[],
        rc: 133,
        says: "HYBRID_REQUIRED_BY_SERVER",
        like: "shadow-nla with /sec:tls",
    },
    Case {
        fault: Fault::NlaRequired,
        sec: "rdp",
        extra: &[],
        rc: 133,
        says: "HYBRID_REQUIRED_BY_SERVER",
        like: "shadow-nla with /sec:rdp",
    },
    Case {
        fault: Fault::NlaRequired,
        sec: "nla",
        extra: &[],
        rc: 134,
        says: "ERRCONNECT_LOGON_FAILURE",
        like: "Windows refusing the credentials (errorCode STATUS_LOGON_FAILURE)",
    },
    connects(Fault::HealthyNla, "tls", "xrdp-negotiate with /sec:tls"),
    connects(Fault::HealthyTls, "tls", "xrdp-tls with /sec:tls"),
    Case {
        fault: Fault::HealthyTls,
        sec: "nla",
        extra: &[],
        rc: 133,
        says: "Protocol Security Negotiation Failure",
        like: "xrdp-negotiate with /sec:nla",
    },
    Case {
        fault: Fault::ExpiredCert,
        sec: "tls",
        extra: &["/cert:deny"],
        rc: 143,
        says: "certificate has expired (10)",
        like: "xrdp-expired (CA-signed) with /cert:deny",
    },
    connects(
        Fault::ExpiredCert,
        "tls",
        "an expired certificate with /cert:ignore",
    ),
    Case {
        fault: Fault::NotYetValidCert,
        sec: "tls",
        extra: &["/cert:deny"],
        rc: 143,
        says: "certificate is not yet valid (9)",
        like: "xrdp-notyet with /cert:deny",
    },
    Case {
        fault: Fault::WrongNameCert,
        sec: "tls",
        extra: &["/cert:deny"],
        rc: 143,
        says: "wrong-name.example",
        like: "xrdp-wrongname with /cert:deny",
    },
    Case {
        fault: Fault::TlsRequired,
        sec: "rdp",
        extra: &[],
        rc: 133,
        says: "SSL_REQUIRED_BY_SERVER",
        like: "a Windows host with SecurityLayer=2 (xrdp-tls closes instead: rc 147)",
    },
    connects(Fault::TlsRequired, "tls", "xrdp-tls with /sec:tls"),
    Case {
        fault: Fault::RdpSecurityOnly,
        sec: "tls",
        extra: &[],
        rc: 133,
        says: "Protocol Security Negotiation Failure",
        like: "xrdp-rdp with /sec:tls",
    },
    Case {
        fault: Fault::SslCertNotOnServer,
        sec: "tls",
        extra: &[],
        rc: 133,
        says: "SSL_CERT_NOT_ON_SERVER",
        like: "xrdp-nocert",
    },
    Case {
        fault: Fault::Tls10Only,
        sec: "tls",
        extra: &[],
        rc: 143,
        says: "ERRCONNECT_TLS_CONNECT_FAILED",
        like: "a TLS-version mismatch (xrdp-tls13 with +enforce-tlsv1_2)",
    },
    Case {
        extra: &["/tls-seclevel:0"],
        ..connects(Fault::Tls10Only, "tls", "a client that re-enables TLS 1.0")
    },
    Case {
        fault: Fault::CredsspV2,
        sec: "nla",
        extra: &[],
        rc: 147,
        // The server closes after the AUTHENTICATE; the errno in FreeRDP's
        // BIO_read line depends on timing, the transport failure does not.
        says: "ERRCONNECT_CONNECT_TRANSPORT_FAILED",
        like: "shadow-nla refusing the credentials (CredSSP 2 has no errorCode)",
    },
    // xfreerdp 2.11 +auth-only: "SPNEGO received NTSTATUS: STATUS_PASSWORD_EXPIRED [0xC0000071] from
    // server", then ERRCONNECT_PASSWORD_EXPIRED (rc 148).
    Case {
        fault: Fault::PasswordExpired,
        sec: "nla",
        extra: &[],
        rc: 148,
        says: "SPNEGO received NTSTATUS: STATUS_PASSWORD_EXPIRED [0xC0000071]",
        like: "Windows answering the AUTHENTICATE with this errorCode (no real server here can)",
    },
    // xfreerdp 2.11 +auth-only: "SPNEGO received NTSTATUS: STATUS_PASSWORD_MUST_CHANGE [0xC0000224] from
    // server", then ERRCONNECT_PASSWORD_MUST_CHANGE (rc 149).
    Case {
        fault: Fault::PasswordMustChange,
        sec: "nla",
        extra: &[],
        rc: 149,
        says: "SPNEGO received NTSTATUS: STATUS_PASSWORD_MUST_CHANGE [0xC0000224]",
        like: "Windows answering the AUTHENTICATE with this errorCode (no real server here can)",
    },
    // xfreerdp 2.11 +auth-only: "SPNEGO received NTSTATUS: STATUS_ACCOUNT_RESTRICTION [0xC000006E] from
    // server", then ERRCONNECT_ACCOUNT_RESTRICTION (rc 156).
    Case {
        fault: Fault::AccountRestriction,
        sec: "nla",
        extra: &[],
        rc: 156,
        says: "SPNEGO received NTSTATUS: STATUS_ACCOUNT_RESTRICTION [0xC000006E]",
        like: "Windows answering the AUTHENTICATE with this errorCode (no real server here can)",
    },
    // xfreerdp 2.11 +auth-only: "SPNEGO received NTSTATUS: STATUS_ACCOUNT_LOCKED_OUT [0xC0000234] from
    // server", then ERRCONNECT_ACCOUNT_LOCKED_OUT (rc 135).
    Case {
        fault: Fault::AccountLockedOut,
        sec: "nla",
        extra: &[],
        rc: 135,
        says: "SPNEGO received NTSTATUS: STATUS_ACCOUNT_LOCKED_OUT [0xC0000234]",
        like: "Windows answering the AUTHENTICATE with this errorCode (no real server here can)",
    },
    // xfreerdp 2.11 +auth-only: "SPNEGO received NTSTATUS: STATUS_ACCOUNT_DISABLED [0xC0000072] from
    // server", then ERRCONNECT_ACCOUNT_DISABLED (rc 151).
    Case {
        fault: Fault::AccountDisabled,
        sec: "nla",
        extra: &[],
        rc: 151,
        says: "SPNEGO received NTSTATUS: STATUS_ACCOUNT_DISABLED [0xC0000072]",
        like: "Windows answering the AUTHENTICATE with this errorCode (no real server here can)",
    },
    // xfreerdp 2.11 +auth-only: "SPNEGO received NTSTATUS: STATUS_LOGON_TYPE_NOT_GRANTED [0xC000015B] from
    // server", then ERRCONNECT_LOGON_TYPE_NOT_GRANTED (rc 158).
    Case {
        fault: Fault::LogonTypeNotGranted,
        sec: "nla",
        extra: &[],
        rc: 158,
        says: "SPNEGO received NTSTATUS: STATUS_LOGON_TYPE_NOT_GRANTED [0xC000015B]",
        like: "Windows answering the AUTHENTICATE with this errorCode (no real server here can)",
    },
    Case {
        fault: Fault::ClockSkew,
        sec: "nla",
        extra: &[],
        rc: 134,
        says: "ERRCONNECT_LOGON_FAILURE",
        like: "NTLM ignores the skew: the logon fails for the credentials only",
    },
    Case {
        fault: Fault::AcceptThenClose,
        sec: "tls",
        extra: &[],
        rc: 147,
        // The errno in this line depends on timing: 104 (reset) when the close
        // lands after the client's first read, 115 or 0 when it lands during
        // the connect. CONNECT_TRANSPORT_FAILED is what stays the same.
        says: "ERRCONNECT_CONNECT_TRANSPORT_FAILED",
        like: "the lab's accept-close fake",
    },
    Case {
        fault: Fault::Silent,
        sec: "tls",
        extra: &[],
        rc: 124,
        says: "timed out",
        like: "the lab's silent fake",
    },
    Case {
        fault: Fault::Slow,
        sec: "tls",
        extra: &[],
        rc: 131,
        says: "Timeout waiting for activation",
        like: "a server whose every reply takes 2.5 s",
    },
];

fn lab_ca() -> CaPem {
    let env = lab_env();
    let dir = env
        .get("RDPDOCTOR_LAB_CERTS")
        .cloned()
        .unwrap_or_else(|| "/tmp/rdpdoctor-lab/certs".into());
    let read = |f: &str| {
        std::fs::read_to_string(format!("{dir}/{f}")).unwrap_or_else(|e| panic!("{dir}/{f}: {e}"))
    };
    CaPem {
        cert_pem: read("ca.crt"),
        key_pem: read("ca.key"),
    }
}

#[test]
#[ignore = "needs the lab: run lab/test.sh"]
fn xfreerdp_fails_against_each_fault_as_against_a_real_server() {
    let ca = lab_ca();
    let mut served = Vec::new();
    for fault in Fault::ALL {
        let mut cfg = FaultConfig::new(*fault);
        // Certificates from the lab CA, which the wrapper makes xfreerdp
        // trust: then it reports expiry rather than "self-signed".
        cfg.issuer = Some(ca.clone());
        served.push((*fault, Served::start(cfg)));
    }
    let port = |f: Fault| {
        served
            .iter()
            .find(|(g, _)| *g == f)
            .map(|(_, s)| s.port())
            .unwrap()
    };
    let script = repo_root().join("lab/xfreerdp.sh");
    let mut wrong = Vec::new();
    // Two clients at a time: the machine has two cores.
    for pair in CASES.chunks(2) {
        let runs: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = pair
                .iter()
                .map(|c| {
                    let p = port(c.fault);
                    let script = &script;
                    scope.spawn(move || {
                        let limit = if c.fault == Fault::Silent { "5" } else { "25" };
                        let out = Command::new("bash")
                            .arg(script)
                            .args(["localhost", &p.to_string(), c.sec])
                            .args(c.extra)
                            .env("RDPDOCTOR_LAB_XFREERDP_TIMEOUT", limit)
                            .output()
                            .expect("run lab/xfreerdp.sh");
                        let text = format!(
                            "{}{}",
                            String::from_utf8_lossy(&out.stdout),
                            String::from_utf8_lossy(&out.stderr)
                        );
                        (out.status.code().unwrap_or(-1), text)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (c, (rc, text)) in pair.iter().zip(runs) {
            let ok = rc == c.rc && text.contains(c.says);
            eprintln!(
                "{:<24} /sec:{:<3} {:<18} rc {rc:>3} {}",
                c.fault.name(),
                c.sec,
                c.extra.join(" "),
                if ok { "as expected" } else { "UNEXPECTED" }
            );
            if !ok {
                let tail: Vec<&str> = text.lines().rev().take(6).collect();
                wrong.push(format!(
                    "{} /sec:{} {:?}: want rc {} and {:?} (like {}), got rc {rc}: {}",
                    c.fault,
                    c.sec,
                    c.extra,
                    c.rc,
                    c.says,
                    c.like,
                    tail.join(" | ")
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cases differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// `rdpdoctor demo`, the README's first command: every fault diagnosed right,
/// exit 0, well under a minute, and machine-readable.
#[test]
fn demo_diagnoses_every_fault_correctly() {
    let (out, took) = run(false, &["demo", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("demo JSON");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), Fault::ALL.len());
    let wrong: Vec<String> = rows
        .iter()
        .filter(|r| r["correct"] != true)
        .map(|r| format!("{}: {}", r["fault"], r["problem"]))
        .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
    assert_eq!(out.status.code(), Some(0));
    assert!(took < Duration::from_secs(60), "demo took {took:?}");
}

/// IPv6 end to end: a listener on [::1], probed as `[::1]:PORT`.
#[test]
fn an_ipv6_host_is_probed_like_any_other() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emu = match rt.block_on(rdpdoctor_emulator::spawn(
        FaultConfig::new(Fault::ExpiredCert),
        "[::1]:0".parse().unwrap(),
    )) {
        Ok(e) => e,
        // A machine without IPv6 loopback cannot run this test; say so loudly.
        Err(e) => panic!("cannot listen on [::1] (no IPv6 loopback?): {e}"),
    };
    let target = format!("[::1]:{}", emu.local_addr().port());
    let p = probe_target(false, &target, &[]);
    assert_eq!(p.json["addresses"]["used"], "::1");
    assert_eq!(p.json["tcp"]["state"], "open");
    p.assert_has("cert-expired");
    assert_eq!(p.json["diagnosis"]["causes"][0]["id"], "rdp-cert-expired");
    rt.block_on(emu.shutdown());
}

/// Both ends: a server without the CredSSP update (CredSSP version 2 on the
/// wire) and the client's own registry (a `.reg` export of its SOFTWARE
/// hive). A default client (AllowEncryptionOracle absent = Mitigated) is
/// blocked, and the side to change is the server; a client set to
/// Vulnerable connects, exposed, and is told to go back once the server is
/// updated.
#[test]
fn the_clients_credssp_policy_is_paired_with_the_servers_update_state() {
    let served = Served::start(FaultConfig::new(Fault::CredsspV2));
    let target = format!("127.0.0.1:{}", served.port());
    let dir = rdpdoctor_testkit::host::scratch("both-ends-credssp");
    let client_reg = |name: &str, oracle: &str| {
        let path = dir.join(name);
        rdpdoctor_testkit::host::write_reg_utf16(
            &path,
            &format!(
                "Windows Registry Editor Version 5.00\n\n\
                 [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\n\
                 \"CurrentBuild\"=\"19045\"\n\n{oracle}"
            ),
        );
        path
    };
    let default = client_reg("client-default.reg", "");
    let p = probe_target(
        false,
        &target,
        &["--client-evidence", default.to_str().unwrap()],
    );
    let pair = p.json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "credssp-pair-blocked")
        .unwrap_or_else(|| panic!("no credssp-pair-blocked in {:?}", p.finding_ids()));
    assert_eq!(pair["severity"], "fail", "{pair}");
    assert_eq!(pair["evidence"]["change"], "server", "{pair}");
    assert_eq!(pair["evidence"]["client_allow_encryption_oracle"], 1);
    assert_eq!(pair["evidence"]["client_policy_set"], false);
    let causes = &p.json["diagnosis"]["causes"];
    assert_eq!(causes[0]["id"], "credssp-encryption-oracle", "{causes}");
    let fix = &p.json["diagnosis"]["first_fix"]["fix"];
    assert_eq!(fix["side"], "server", "{fix}");
    assert_eq!(fix["id"], "credssp-install-updates", "{fix}");
    assert_ne!(p.code, 0);

    let vulnerable = client_reg(
        "client-vulnerable.reg",
        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\CredSSP\\Parameters]\n\
         \"AllowEncryptionOracle\"=dword:00000002\n\n",
    );
    let p = probe_target(
        false,
        &target,
        &["--client-evidence", vulnerable.to_str().unwrap()],
    );
    p.assert_has("credssp-pair-exposed");
    assert!(!p.finding_ids().contains(&"credssp-pair-blocked".to_owned()));
    // Without the client's state, nothing is said about the pair.
    let p = probe_target(false, &target, &[]);
    assert!(
        !p.finding_ids()
            .iter()
            .any(|id| id.starts_with("credssp-pair")),
        "{:?}",
        p.finding_ids()
    );
}

/// An `.rdp` file as mstsc saves it (UTF-16LE with a BOM, CRLF), in a
/// scratch folder.
fn rdp_file(test: &str, lines: &[String]) -> std::path::PathBuf {
    let dir = rdpdoctor_testkit::fixtures::scratch(test);
    let path = dir.join("connection.rdp");
    rdpdoctor_testkit::fixtures::write_reg_utf16(&path, &(lines.join("\n") + "\n"));
    path
}

fn probe_rdp_file(path: &std::path::Path, format: &str) -> (i32, String) {
    let path = path.to_str().unwrap();
    let (out, _) = run(
        false,
        &[
            "probe",
            "--rdp-file",
            path,
            "--format",
            format,
            "--color",
            "never",
            "--no-reverse-dns",
            "--samples",
            "1",
        ],
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// `probe --rdp-file`: the target and port come from the file, and a file
/// that turns CredSSP off against a server that requires NLA is the top
/// cause, with the file's line as the fix.
#[test]
fn an_rdp_file_without_credssp_fails_against_an_nla_server_and_says_which_line() {
    let served = Served::start(FaultConfig::new(Fault::NlaRequired));
    let path = rdp_file(
        "rdp-file-nla-off",
        &[
            "screen mode id:i:2".into(),
            "full address:s:127.0.0.1".into(),
            format!("server port:i:{}", served.port()),
            "authentication level:i:2".into(),
            "enablecredsspsupport:i:0".into(),
            "prompt for credentials:i:0".into(),
        ],
    );
    let (code, stdout) = probe_rdp_file(&path, "json");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect(&stdout);
    assert_eq!(json["target"]["port"], served.port());
    let f = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "rdp-file-nla-off")
        .expect("the .rdp finding");
    assert_eq!(f["severity"], "fail");
    assert_eq!(f["evidence"]["line"], 5);
    assert_eq!(
        json["diagnosis"]["causes"][0]["id"],
        "rdp-file-disables-nla"
    );
    let fix = json["diagnosis"]["causes"][0]["fixes"][0]["title"]
        .as_str()
        .unwrap();
    assert!(fix.contains("enablecredsspsupport:i:1"), "{fix}");
    assert_eq!(json["verdict"], "no-client-connects");
    assert_eq!(code, 1);
}

/// An `.rdp` file that says to use an RD Gateway is probed the way mstsc
/// connects: through the gateway it names (here a closed loopback port, so
/// the hop that fails is the gateway's TCP), never directly as if the file
/// said nothing; with `gatewayusagemethod:i:0` the file's gateway is not
/// used, and the probe goes direct.
#[test]
fn an_rdp_file_with_a_gateway_is_probed_through_it() {
    let served = Served::start(FaultConfig::new(Fault::NlaRequired));
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let file = |name: &str, usage: u8| {
        rdp_file(
            name,
            &[
                format!("full address:s:127.0.0.1:{}", served.port()),
                format!("gatewayhostname:s:127.0.0.1:{closed}"),
                format!("gatewayusagemethod:i:{usage}"),
                "gatewaycredentialssource:i:0".into(),
                "gatewayprofileusagemethod:i:1".into(),
                "bogus line without colons".into(),
            ],
        )
    };
    let (code, json) = probe_rdp_file(&file("rdp-file-gateway", 1), "json");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["gateway"]["port"], closed, "{json}");
    assert_eq!(v["gateway"]["target_probed"], false, "{json}");
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert!(ids.contains(&"gateway-unreachable"), "{ids:?}");
    assert!(!ids.contains(&"rdp-file-gateway-not-probed"), "{ids:?}");
    assert_ne!(code, 0, "{json}");

    let (code, text) = probe_rdp_file(&file("rdp-file-no-gateway", 0), "text");
    assert!(!text.contains("RD Gateway"), "{text}");
    assert_eq!(code, 0, "{text}");
}

/// A file that leaves the gateway to the client's default settings
/// (`gatewayusagemethod:i:3`) is not probed through the gateway it names:
/// the probe goes direct, and `rdp-file-gateway-not-probed` says which
/// gateway was left out and how to probe through it.
#[test]
fn an_rdp_file_leaving_the_gateway_to_the_client_says_it_was_not_probed() {
    let served = Served::start(FaultConfig::new(Fault::NlaRequired));
    let path = rdp_file(
        "rdp-file-gateway-client-default",
        &[
            format!("full address:s:127.0.0.1:{}", served.port()),
            "gatewayhostname:s:rdgw.corp.example:8443".into(),
            "gatewayusagemethod:i:3".into(),
        ],
    );
    let (_, json) = probe_rdp_file(&path, "json");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v["gateway"].is_null(), "{json}");
    assert!(
        v["negotiation"].is_object(),
        "the target was probed directly"
    );
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "rdp-file-gateway-not-probed")
        .unwrap_or_else(|| panic!("no rdp-file-gateway-not-probed: {json}"));
    assert_eq!(f["evidence"]["usage"], "client-default");
    assert_eq!(f["evidence"]["port"], 8443);
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("--gateway rdgw.corp.example:8443"),
        "{summary}"
    );
}

/// A file that is not an `.rdp` file, or is missing: one line, exit 2.
#[test]
fn a_bad_rdp_file_is_a_one_line_error() {
    let dir = rdpdoctor_testkit::fixtures::scratch("rdp-file-bad");
    let bin = dir.join("binary.rdp");
    std::fs::write(&bin, (0..=255u8).cycle().take(2048).collect::<Vec<u8>>()).unwrap();
    for path in [bin, dir.join("missing.rdp")] {
        let (out, _) = run(false, &["probe", "--rdp-file", path.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(".rdp file"), "{err}");
    }
}
