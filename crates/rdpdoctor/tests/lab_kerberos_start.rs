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
    started: bool,
    expect: Vec<(String, String)>,
    findings: Vec<String>,
}

fn rows() -> Vec<Row> {
    tsv_rows("lab/ground-truth-kerberos-start.tsv", 9)
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
            started: match f[5].as_str() {
                "yes" => true,
                "no" => false,
                o => panic!("started column {o}"),
            },
            expect: tsv_list(&f[6])
                .into_iter()
                .map(|kv| {
                    let (k, v) = kv.split_once('=').expect("key=value");
                    (k.to_owned(), v.to_owned())
                })
                .collect(),
            findings: tsv_list(&f[7]),
        })
        .collect()
}

/// A probe's quick options (one TCP sample, 2 s steps), as JSON.
const QUICK: [&str; 7] = [
    "--samples",
    "1",
    "--timeout",
    "2",
    "--no-reverse-dns",
    "--format",
    "json",
];

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
        assert!(["healthy-tls", "healthy-nla"].contains(&r.rdp.as_str()));
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
    let port_of = |fault: &str| {
        let (_, addr) = serve.listeners.iter().find(|(f, _)| f == fault).unwrap();
        addr.rsplit(':').next().unwrap().to_owned()
    };
    let (_, pw_file) = demo_logon_args("lab-kerberos-start");
    let pw = pw_file.0.display().to_string();
    let dir = rdpdoctor_testkit::fixtures::target_tmp().join("kerberos-start");
    std::fs::create_dir_all(&dir).unwrap();
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
        let k = Kdc::start_realm(
            &format!("lab_kerberos_start_{}", row.name),
            KdcOptions::default(),
            &realm,
        );
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
                if j["logon"]["outcome"] != "rejected" {
                    err(format!("logon {}", j["logon"]));
                }
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
        if row.started && !log.contains("AS_REQ") {
            err(format!("the KDC logged no request: {log}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// A network namespace made by the test, with its own loopback and an
/// /etc/netns/NAME/resolv.conf that `ip netns exec` puts in place of
/// /etc/resolv.conf: DNS inside it goes only to what the test runs there.
struct Netns {
    name: String,
}

/// A process this test started, killed (by its id) when dropped.
struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ip(args: &[&str]) {
    let out = std::process::Command::new("ip")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "ip {args:?}: {out:?}");
}

impl Netns {
    fn new(tag: &str) -> Netns {
        let name = format!("rdpk-{tag}-{}", std::process::id());
        ip(&["netns", "add", &name]);
        ip(&["-n", &name, "link", "set", "lo", "up"]);
        let etc = format!("/etc/netns/{name}");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(
            format!("{etc}/resolv.conf"),
            "nameserver 127.0.0.1\noptions timeout:2 attempts:1\n",
        )
        .unwrap();
        Netns { name }
    }

    fn command(&self, program: &str) -> std::process::Command {
        let mut c = std::process::Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        let _ = std::fs::remove_dir_all(format!("/etc/netns/{}", self.name));
    }
}

/// Waits until `path` holds `text` (a log line of a server starting).
fn wait_for(path: &std::path::Path, text: &str) {
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(path).is_ok_and(|l| l.contains(text)) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{path:?}: no {text:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `--realm` without a KDC known: the KDC from the realm's DNS SRV record,
/// served by dnsmasq inside a namespace the test makes (with the real MIT
/// KDC there); and the automatic start, in the same namespace, asks DNS
/// nothing. Needs dnsmasq-base (lab/install.sh).
#[test]
#[ignore]
fn an_explicit_realm_finds_its_kdc_by_dns_srv_and_the_automatic_start_asks_dns_nothing() {
    let ns = Netns::new("srv");
    let k = Kdc::start_in(
        "lab_kerberos_start_srv",
        KdcOptions::default(),
        kdc::REALM,
        Some(&ns.name),
    );
    let dns_log = k.dir.join("dnsmasq.log");
    let dnsmasq = ns
        .command("dnsmasq")
        .args([
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--port=53",
            "--user=root",
            "--log-queries",
        ])
        .arg(format!("--log-facility={}", dns_log.display()))
        .arg(format!(
            "--srv-host=_kerberos._tcp.{},kdc.rdplab.test,{},0,100",
            kdc::REALM,
            k.port
        ))
        // Another realm with only a UDP record: the TCP name is asked first.
        .arg(format!(
            "--srv-host=_kerberos._udp.OTHER.TEST,kdc.rdplab.test,{}",
            k.port
        ))
        .arg("--host-record=kdc.rdplab.test,127.0.0.1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("dnsmasq (lab/install.sh installs dnsmasq-base)");
    let dnsmasq = Kill(dnsmasq);
    wait_for(&dns_log, "started");

    let probe = |args: &[&str]| -> Value {
        let out = ns
            .command(bin())
            .args(args)
            .env("KRB5_CONFIG", no_krb5_conf())
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    };
    let mut args = vec!["probe", "localhost:1", "--realm", kdc::REALM];
    args.extend(QUICK);
    let j = probe(&args);
    assert_eq!(
        j["kerberos"]["kdc_source"], "dns-srv",
        "{}",
        j["kerberos_start"]
    );
    assert_eq!(
        j["kerberos"]["kdc"],
        format!("kdc.rdplab.test:{}", k.port).as_str()
    );
    assert_eq!(
        j["kerberos_start"]["kdc_srv_name"],
        format!("_kerberos._tcp.{}", kdc::REALM).as_str()
    );
    assert_eq!(
        j["kerberos"]["as_reply"]["error_name"], "KDC_ERR_C_PRINCIPAL_UNKNOWN",
        "the KDC found by DNS answered"
    );
    let schema = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&probe_output_schema())
        .expect("the schema compiles");
    if let Some(e) = schema.iter_errors(&j).next() {
        panic!("not the schema: {e} at {}", e.instance_path());
    }
    // dnsmasq logs names in lower case.
    let log = std::fs::read_to_string(&dns_log)
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        log.contains(&format!("query[srv] _kerberos._tcp.{}", kdc::REALM).to_ascii_lowercase()),
        "{log}"
    );
    // Only a UDP record: found after the TCP name got no answer.
    let mut args = vec!["probe", "localhost:1", "--realm", "OTHER.TEST"];
    args.extend(QUICK);
    let j = probe(&args);
    assert_eq!(
        j["kerberos_start"]["kdc_srv_name"],
        "_kerberos._udp.OTHER.TEST"
    );
    assert_eq!(j["kerberos"]["kdc_source"], "dns-srv");
    let log = std::fs::read_to_string(&dns_log)
        .unwrap()
        .to_ascii_lowercase();
    let tcp = log.find("query[srv] _kerberos._tcp.other.test");
    let udp = log.find("query[srv] _kerberos._udp.other.test");
    assert!(tcp.is_some() && tcp < udp, "{log}");
    // No SRV record and no such host: one line, exit 2, naming both.
    let out = ns
        .command(bin())
        .args(["probe", "localhost:1", "--realm", "NONE.TEST"])
        .env("KRB5_CONFIG", no_krb5_conf())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("does not resolve") && err.contains("no SRV record"),
        "{err}"
    );
    let log = std::fs::read_to_string(&dns_log)
        .unwrap()
        .to_ascii_lowercase();
    let queries_before = log.matches("query[").count();

    // The automatic start, in the same namespace: an NLA server whose NTLM
    // names corp.example, no KDC known: no DNS query at all.
    let mut serve = ns
        .command(bin())
        .args(["lab", "serve", "--fault", "healthy-nla"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(serve.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let serve = Kill(serve);
    let port = line.trim().rsplit(':').next().unwrap().to_owned();
    let target = format!("localhost:{port}");
    let mut args = vec!["probe", target.as_str()];
    args.extend(QUICK);
    let j = probe(&args);
    assert!(j["kerberos"].is_null(), "{}", j["kerberos"]);
    assert!(
        j["kerberos_start"]["not_started"]
            .as_str()
            .is_some_and(|l| l.contains("--realm CORP.EXAMPLE --kdc HOST[:PORT]")),
        "{}",
        j["kerberos_start"]
    );
    let log = std::fs::read_to_string(&dns_log).unwrap();
    assert_eq!(
        log.matches("query[").count(),
        queries_before,
        "the automatic start asked DNS: {log}"
    );
    drop((serve, dnsmasq, k));
    drop(ns);
}
