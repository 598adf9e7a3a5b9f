//! How the Kerberos stage finds its KDC and starts on its own (issue 21),
//! against the real MIT KDC of testkit's `kdc` and the emulator: each row of
//! lab/ground-truth-kerberos-start.tsv writes a krb5.conf, gives it to the
//! probe as `KRB5_CONFIG` (this machine's /etc/krb5.conf is never read) and
//! holds the JSON to the row. A row that must not start Kerberos also
//! watches every KDC port it could reach, and 127.0.0.1:88, for traffic.
//! Needs krb5-kdc, krb5-admin-server, krb5-user (lab/install.sh); no
//! lab/up.sh.
//! `cargo test -p rdpdoctor --features lab --test lab_kerberos_start -- --ignored`

use rdpdoctor_testkit::cli::*;
use rdpdoctor_testkit::kdc::QUICK;
use rdpdoctor_testkit::kdc::{self, Kdc, KdcOptions};
use serde_json::Value;
use std::net::{TcpListener, UdpSocket};
use std::time::Duration;

struct Row {
    name: String,
    rdp: String,
    flags: String,
    krb5_conf: String,
    user: bool,
    kdc: KdcOptions,
    logon: Option<String>,
    started: bool,
    expect: Vec<(String, String)>,
    findings: Vec<String>,
}

fn rows() -> Vec<Row> {
    tsv_rows("lab/ground-truth-kerberos-start.tsv", 11)
        .into_iter()
        .map(|f| Row {
            name: f[0].clone(),
            rdp: f[1].clone(),
            flags: f[2].clone(),
            krb5_conf: f[3].clone(),
            user: match f[4].as_str() {
                "demo" => true,
                "-" => false,
                o => panic!("user column {o}"),
            },
            kdc: match f[5].as_str() {
                "spn" => KdcOptions::default(),
                "no-spn" => KdcOptions {
                    without_spn: true,
                    ..KdcOptions::default()
                },
                "service-key" => KdcOptions {
                    service_password: Some(kdc::SERVICE_PASSWORD),
                    ..KdcOptions::default()
                },
                o => panic!("kdc column {o}"),
            },
            logon: (f[6] != "-").then(|| f[6].clone()),
            started: match f[7].as_str() {
                "yes" => true,
                "no" => false,
                o => panic!("started column {o}"),
            },
            expect: tsv_list(&f[8])
                .into_iter()
                .map(|kv| {
                    let (k, v) = kv.split_once('=').expect("key=value");
                    (k.to_owned(), v.to_owned())
                })
                .collect(),
            findings: tsv_list(&f[9]),
        })
        .collect()
}

/// The DNS domain the emulator's NTLM CHALLENGE names.
fn emulator_domain() -> String {
    rdpdoctor_emulator::FaultConfig::new(rdpdoctor_emulator::Fault::ALL[0]).dns_domain
}

#[test]
fn the_start_ground_truth_is_well_formed() {
    let rows = rows();
    assert!(rows.len() >= 6);
    assert_eq!(
        emulator_domain(),
        "corp.example",
        "the rows name corp.example"
    );
    for r in &rows {
        assert!(["healthy-tls", "healthy-nla", "kerberos-nla"].contains(&r.rdp.as_str()));
        assert!(["realm", "kdc", "none"].contains(&r.flags.as_str()));
        for id in &r.findings {
            assert!(
                rdpdoctor_diagnose::FindingId::from_name(id).is_some(),
                "{}: unknown finding {id}",
                r.name
            );
        }
    }
}

/// A loopback port bound on TCP and UDP that records whether anything
/// connected or sent a datagram.
struct Watch {
    tcp: TcpListener,
    udp: UdpSocket,
}

impl Watch {
    fn on(port: u16) -> Option<Watch> {
        let tcp = TcpListener::bind(("127.0.0.1", port)).ok()?;
        let port = tcp.local_addr().ok()?.port();
        let udp = UdpSocket::bind(("127.0.0.1", port)).ok()?;
        tcp.set_nonblocking(true).unwrap();
        udp.set_nonblocking(true).unwrap();
        Some(Watch { tcp, udp })
    }

    fn port(&self) -> u16 {
        self.tcp.local_addr().unwrap().port()
    }

    fn anything(&self) -> bool {
        let mut buf = [0u8; 16];
        self.tcp.accept().is_ok() || self.udp.recv(&mut buf).is_ok()
    }
}

fn krb5_conf(kind: &str, kdc_at: &str, closed: u16, watch: u16) -> String {
    let realm = format!("[realms]\n {} = {{\n  kdc = {kdc_at}\n }}\n", kdc::REALM);
    let domain = format!("[domain_realm]\n .{} = {}\n", emulator_domain(), kdc::REALM);
    match kind {
        "realm-kdc" => realm,
        "closed-then-kdc" => format!(
            "[realms]\n {} = {{\n  kdc = 127.0.0.1:{closed}\n  kdc = {kdc_at}\n }}\n",
            kdc::REALM
        ),
        "domain-realm" => format!("{realm}{domain}"),
        "domain-realm-only" => domain,
        "dns-domain-realm" => format!(
            "[realms]\n {} = {{\n  kdc = {kdc_at}\n }}\n",
            emulator_domain().to_ascii_uppercase()
        ),
        "other-realm" => format!(
            "include /nonexistent/krb5.conf\n[libdefaults]\n default_realm = OTHER.TEST\n\
             [realms]\n OTHER.TEST = {{\n  kdc = 127.0.0.1:{watch}\n }}\n"
        ),
        o => panic!("krb5_conf column {o}"),
    }
}

#[test]
#[ignore]
fn every_start_matches_the_ground_truth() {
    let serve = LabServe::start(&["healthy-tls", "healthy-nla"]);
    // The NLA server that also takes Kerberos, in the realm AD would give
    // the emulator's domain; TERMSRV/localhost's password in a file.
    let dir = rdpdoctor_testkit::fixtures::target_tmp().join("kerberos-start");
    std::fs::create_dir_all(&dir).unwrap();
    let service_pw = PasswordFile(dir.join("termsrv.pw"));
    std::fs::write(&service_pw.0, kdc::SERVICE_PASSWORD).unwrap();
    let kerberos_serve = LabServe::start_with(
        &["healthy-nla"],
        &[
            "--kerberos-realm",
            &emulator_domain().to_ascii_uppercase(),
            "--kerberos-password-file",
            &service_pw.0.display().to_string(),
            "--kerberos-ntlm-domain",
        ],
        &[],
    );
    let port_of = |fault: &str| {
        let (serve, fault) = match fault {
            "kerberos-nla" => (&kerberos_serve, "healthy-nla"),
            f => (&serve, f),
        };
        let (_, addr) = serve.listeners.iter().find(|(f, _)| f == fault).unwrap();
        addr.rsplit(':').next().unwrap().to_owned()
    };
    let (_, pw_file) = demo_logon_args("lab-kerberos-start");
    let pw = pw_file.0.display().to_string();
    let schema = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&probe_output_schema())
        .expect("the schema compiles");
    let mut errors = Vec::new();
    for row in rows() {
        // The realm AD would have for the emulator's domain, or the lab's.
        let realm = match row.krb5_conf.as_str() {
            "dns-domain-realm" => emulator_domain().to_ascii_uppercase(),
            _ => kdc::REALM.to_owned(),
        };
        let k = Kdc::start_realm(&format!("lab_kerberos_start_{}", row.name), row.kdc, &realm);
        // MIT's own kinit finds this KDC through the same krb5.conf kind.
        if row.krb5_conf == "dns-domain-realm" {
            let (ok, e) = k.kinit(&format!("{}@{realm}", kdc::USER), kdc::USER_PASSWORD);
            assert!(ok, "kinit in {realm}: {e}");
        }
        let kdc_at = k.address();
        // A KDC port of another realm, watched; and Kerberos' own port on
        // loopback, where a realm's name resolved as a host would lead.
        let watch = Watch::on(0).unwrap();
        let port88 = Watch::on(88);
        let conf = dir.join(format!("{}.conf", row.name));
        std::fs::write(
            &conf,
            krb5_conf(&row.krb5_conf, &kdc_at, kdc::closed_port(), watch.port()),
        )
        .unwrap();
        let target = format!("{}:{}", kdc::SERVICE_HOST, port_of(&row.rdp));
        let mut args = vec!["probe", target.as_str()];
        args.extend(QUICK);
        match row.flags.as_str() {
            "realm" => args.extend(["--realm", kdc::REALM]),
            "kdc" => args.extend(["--kdc", &kdc_at]),
            _ => {}
        }
        if row.user {
            args.extend(["--user", kdc::USER, "--password-file", &pw]);
        }
        let conf_path = conf.display().to_string();
        let (out, _) = run_env(false, &args, &[("KRB5_CONFIG", &conf_path)]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let j: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "{}: {e}: {stdout} {}",
                row.name,
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let log = std::fs::read_to_string(k.dir.join("kdc.log")).unwrap_or_default();
        drop(k);
        let start = &j["kerberos_start"];
        let mut err = |e: String| errors.push(format!("{}: {e}", row.name));
        // The password (in a file) never in the output, on this path too.
        let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
        if all.contains(rdpdoctor_emulator::DEMO_PASSWORD) {
            err("the password is in the output".into());
        }
        // kerberos_start and the rest are what docs/rdpdoctor.schema.json says.
        if let Some(e) = schema.iter_errors(&j).next() {
            err(format!("not the schema: {e} at {}", e.instance_path()));
        }
        if row.started {
            if start["started"] != true || j["kerberos"].is_null() {
                err(format!("not started: {start}"));
            }
            if j["kerberos"]["kdc"] != kdc_at.as_str() {
                err(format!("KDC {} (expected {kdc_at})", j["kerberos"]["kdc"]));
            }
            if start["kdc_source"] == "krb5-conf" && start["kdc_config"] != conf_path.as_str() {
                err(format!("kdc_config {}", start["kdc_config"]));
            }
        } else {
            if !j["kerberos"].is_null() {
                err(format!("Kerberos ran: {}", j["kerberos"]));
            }
            if watch.anything() || port88.as_ref().is_some_and(Watch::anything) {
                err("something was sent to a KDC port".into());
            }
            if row.expect.is_empty() && !start.is_null() {
                err(format!("kerberos_start without a domain: {start}"));
            }
        }
        for (key, want) in &row.expect {
            let got = &start[key.as_str()];
            let ok = match got {
                Value::Array(a) => a.len().to_string() == *want,
                Value::String(s) => s == want,
                other => serde_json::from_str::<Value>(want).is_ok_and(|w| &w == other),
            };
            if !ok {
                err(format!("kerberos_start.{key} = {got}, expected {want}"));
            }
        }
        let found: Vec<&str> = j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["id"].as_str())
            .collect();
        for id in &row.findings {
            if !found.contains(&id.as_str()) {
                err(format!("{id} missing ({found:?})"));
            }
        }
        match row.name.as_str() {
            "auto-no-kdc" => {
                let line = start["not_started"].as_str().unwrap_or_default();
                if !line.contains("--realm CORP.EXAMPLE --kdc HOST[:PORT]") {
                    err(format!("not_started says {line:?}"));
                }
                // The text report says it in one line.
                let (out, _) = run_env(
                    false,
                    &args[..args.len() - 2],
                    &[("KRB5_CONFIG", &conf_path)],
                );
                let text = String::from_utf8_lossy(&out.stdout);
                let lines: Vec<&str> = text
                    .lines()
                    .filter(|l| l.contains("Kerberos") && l.contains("not checked"))
                    .collect();
                if lines.len() != 1 || !lines[0].contains("--kdc HOST[:PORT]") {
                    err(format!("the text report's Kerberos line: {lines:?}"));
                }
                if watch.anything() || port88.as_ref().is_some_and(Watch::anything) {
                    err("the text run sent something to a KDC port".into());
                }
            }
            "auto-once" => {
                let why = j["kerberos"]["password_not_tried"].as_str().unwrap_or("");
                if !j["kerberos"]["password_reply"].is_null()
                    || !why.contains("one failed attempt per run")
                {
                    err(format!("password tried again: {}", j["kerberos"]));
                }
                if !log.contains("NEEDED_PREAUTH") || log.contains("PREAUTH_FAILED") {
                    err(format!("the KDC's log: {log}"));
                }
            }
            "conf-kdc-order"
                if start["kdcs_not_answering"][0]
                    .as_str()
                    .is_none_or(|k| k == kdc_at) =>
            {
                err(format!(
                    "kdcs_not_answering {}",
                    start["kdcs_not_answering"]
                ));
            }
            _ => {}
        }
        // The logon inside CredSSP: its package and how it ended; the
        // Kerberos one with a KDC the run found on its own says so.
        let l = &j["logon"];
        let got = format!(
            "{}:{}",
            l["mechanism"]["package"].as_str().unwrap_or("none"),
            l["outcome"].as_str().unwrap_or("none")
        );
        match &row.logon {
            Some(want) if &got != want => err(format!("logon {got}, expected {want}: {l}")),
            None if !l.is_null() => err(format!("a logon: {l}")),
            _ => {}
        }
        if l["mechanism"]["package"] == "kerberos" {
            let m = &l["mechanism"];
            if m["kdc_known_by"] != "ntlm-domain" || m["realm"] != realm.as_str() {
                err(format!("mechanism {m}"));
            }
            // The KDC issued the ticket for the target's SPN.
            if !log.contains("TGS_REQ") || !log.contains("TERMSRV/localhost") {
                err(format!("no service ticket in the KDC's log: {log}"));
            }
        }
        if row.started && !log.contains("AS_REQ") {
            err(format!("the KDC logged no request: {log}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}
