//! `--realm` without a KDC known: the KDC from the realm's DNS SRV records
//! (issue 21), served by dnsmasq inside a network namespace the test makes,
//! with the real MIT KDC of testkit's `kdc` there too; and the automatic
//! start in the same namespace asks DNS nothing. Needs dnsmasq-base,
//! krb5-kdc, krb5-admin-server, krb5-user (lab/install.sh); no lab/up.sh.
//! `cargo test -p rdpdoctor --features lab --test lab_kerberos_srv -- --ignored`

use rdpdoctor_testkit::cli::*;
use rdpdoctor_testkit::kdc::{self, Kdc, KdcOptions, QUICK};
use serde_json::Value;
use std::time::Duration;

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
