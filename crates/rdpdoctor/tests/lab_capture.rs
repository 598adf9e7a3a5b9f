//! `inspect CAPTURE` on the lab's own captures: for every row of
//! lab/capture-truth.tsv, the reference client (xfreerdp 2.11 under
//! xvfb-run, +auth-only, /cert:ignore, the row's /sec:) connects to one
//! emulated fault on loopback while `tcpdump -i lo` records the port; the
//! capture's report must name the row's finding, top cause and verdict, and
//! the probe of the same emulator must rank the row's `probe_cause` first
//! (the capture's own where the capture can show it).
//!
//! Ignored (needs tcpdump, xfreerdp and xvfb-run, see lab/README.md):
//! `cargo test -p rdpdoctor --features lab --test lab_capture -- --ignored`.

use rdpdoctor_testkit::cli::*;
use rdpdoctor_testkit::fixtures::scratch;
use rdpdoctor_testkit::xfreerdp;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

struct Row {
    name: String,
    fault: String,
    sec: String,
    finding: String,
    top_cause: String,
    verdict: String,
    /// The probe's top cause for the same server (`=`: the capture's).
    probe_cause: String,
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(repo_root().join("lab/capture-truth.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("name\t") && !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            assert_eq!(c.len(), 7, "capture-truth.tsv: {l}");
            Row {
                name: c[0].into(),
                fault: c[1].into(),
                sec: c[2].into(),
                finding: c[3].into(),
                top_cause: c[4].into(),
                verdict: c[5].into(),
                probe_cause: if c[6] == "=" { c[4] } else { c[6] }.into(),
            }
        })
        .collect()
}

/// Records loopback traffic to `port` into `file` while `during` runs.
/// Records `tcp port PORT` on loopback.
fn record(file: &Path, port: &str, during: impl FnOnce()) {
    rdpdoctor_testkit::tcpdump::record(file, &format!("tcp port {port}"), during);
}

/// Runs the reference client; returns the end of what it said.
fn xfreerdp(address: &str, sec: &str, home: &Path) -> String {
    let out = xfreerdp::under_xvfb(30)
        .arg(format!("/v:{address}"))
        .arg(format!("/sec:{sec}"))
        // The lab's throwaway account: the reference client is the one
        // place a password is on a command line (ARCHITECTURE.md, 7).
        .args(["/cert:ignore", "+auth-only", "/u:labuser", "/p:LabPass1!"])
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .stdin(Stdio::null())
        .output()
        .expect("xvfb-run xfreerdp");
    assert_ne!(out.status.code(), Some(0), "xfreerdp got through");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(4)..].join("\n")
}

#[test]
#[ignore = "needs tcpdump, xfreerdp and xvfb-run: see lab/README.md"]
fn every_capture_scenario_agrees_with_its_truth_and_the_probe() {
    let rows = rows();
    assert!(!rows.is_empty());
    for row in rows {
        let serve = LabServe::start(&[&row.fault]);
        let address = serve.listeners[0].1.clone();
        let port = address.rsplit_once(':').unwrap().1.to_owned();
        let dir = scratch(&format!("lab_capture_{}", row.fault));
        let file = dir.join(format!("{}.pcap", row.fault));
        let mut client = String::new();
        record(&file, &port, || client = xfreerdp(&address, &row.sec, &dir));
        let file = file.to_string_lossy().into_owned();
        let doc = json(&["inspect", "--format", "json", &file]);
        let ids = finding_ids(&doc);
        assert!(
            ids.contains(&row.finding.as_str()),
            "{}: {ids:?}; xfreerdp said: {client}",
            row.name
        );
        assert_eq!(top_cause(&doc), row.top_cause, "{}: capture", row.name);
        assert_eq!(doc["verdict"], row.verdict.as_str(), "{}", row.name);
        // The emulator listens on another port than 3389: found by content.
        assert_eq!(
            doc["capture"]["connections"][0]["detected_by"], "content",
            "{}",
            row.name
        );
        let probe = json(&["probe", &address, "--format", "json"]);
        assert_eq!(top_cause(&probe), row.probe_cause, "{}: probe", row.name);
    }
}

// ------------------------------------------------------------ real peers

/// The lab's throwaway account (lab-notes: the shadow server's SAM file).
const LAB_USER: &str = "labuser";
const LAB_PASSWORD: &str = "LabPass1!";

/// Processes this test started, killed by their own ids when it ends.
struct Started(Vec<std::process::Child>);

impl Drop for Started {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn until_listening(addr: &str) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("nothing listens on {addr}");
}

fn spawn(cmd: &mut Command, started: &mut Started) {
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (lab/install.sh)"));
    started.0.push(child);
}

/// One real server on a free loopback port: xrdp with its own ini (a
/// certificate made with openssl) or FreeRDP's shadow server on its own
/// Xvfb display with a SAM file made by winpr-hash. Returns its address.
fn start_peer(peer: &str, dir: &Path, started: &mut Started) -> String {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let sh = |args: &[&str]| {
        let ok = Command::new(args[0])
            .args(&args[1..])
            .current_dir(dir)
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", args[0]));
        assert!(ok.status.success(), "{args:?}");
        ok.stdout
    };
    if let Some(layer) = peer.strip_prefix("xrdp-") {
        let (security, crypt) = match layer {
            "tls" => ("tls", "high"),
            "rdp-fips" => ("rdp", "fips"),
            other => panic!("unknown xrdp peer {other}"),
        };
        sh(&[
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "x.key",
            "-out",
            "x.crt",
            "-days",
            "30",
            "-subj",
            "/CN=localhost",
        ]);
        let ini = dir.join(format!("{peer}.ini"));
        let d = dir.display();
        std::fs::write(
            &ini,
            format!(
                "[Globals]\nini_version=1\nfork=true\nallow_channels=true\nport=tcp://{addr}\n\
                 security_layer={security}\ncrypt_level={crypt}\ncertificate={d}/x.crt\n\
                 key_file={d}/x.key\nssl_protocols=TLSv1.2, TLSv1.3\n[Logging]\n\
                 LogFile={d}/{peer}.log\nLogLevel=INFO\nEnableSyslog=false\n[Channels]\n\
                 rdpdr=true\nrdpsnd=true\ndrdynvc=true\ncliprdr=true\n"
            ),
        )
        .unwrap();
        spawn(
            Command::new("/usr/sbin/xrdp")
                .args(["--nodaemon", "--config"])
                .arg(&ini),
            started,
        );
    } else {
        assert_eq!(peer, "shadow-nla", "unknown peer");
        let display = format!(":{}", 300 + std::process::id() % 200);
        spawn(
            Command::new("Xvfb").args([
                &display,
                "-screen",
                "0",
                "1024x768x24",
                "-nolisten",
                "tcp",
            ]),
            started,
        );
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let sam = sh(&[
            "winpr-hash",
            "-u",
            LAB_USER,
            "-p",
            LAB_PASSWORD,
            "-f",
            "sam",
        ]);
        std::fs::write(dir.join("sam.txt"), sam).unwrap();
        spawn(
            Command::new("freerdp-shadow-cli")
                .arg("/bind-address:127.0.0.1")
                .arg(format!("/port:{port}"))
                .arg("/sec:nla")
                .arg(format!("/sam-file:{}", dir.join("sam.txt").display()))
                .current_dir(dir)
                .env("DISPLAY", &display)
                .env("HOME", dir),
            started,
        );
    }
    until_listening(&addr);
    addr
}

/// The reference client with the lab's account and `password`; its exit
/// status and the end of what it said.
fn xfreerdp_as(address: &str, sec: &str, password: &str, home: &Path) -> (Option<i32>, String) {
    let out = xfreerdp::under_xvfb(30)
        .arg(format!("/v:{address}"))
        .arg(format!("/sec:{sec}"))
        // The lab's throwaway account, or a wrong password for it: the
        // reference client is the one place a password is on a command line.
        .args(["/cert:ignore", "+auth-only"])
        .arg(format!("/u:{LAB_USER}"))
        .arg(format!("/p:{password}"))
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .stdin(Stdio::null())
        .output()
        .expect("xvfb-run xfreerdp");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = text.lines().collect();
    (
        out.status.code(),
        lines[lines.len().saturating_sub(3)..].join("\n"),
    )
}

#[test]
#[ignore = "needs tcpdump, xfreerdp, xvfb-run, xrdp, freerdp-shadow-cli, winpr-hash, openssl: see lab/README.md"]
fn captures_of_real_peers_agree_with_their_truth_and_the_probe() {
    let text = std::fs::read_to_string(repo_root().join("lab/capture-truth-peers.tsv")).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("name\t") && !l.trim().is_empty())
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(rows.len(), 3);
    for row in rows {
        let [name, peer, sec, password, finding, cause, verdict] = row[..] else {
            panic!("capture-truth-peers.tsv: {row:?}");
        };
        let dir = scratch(&format!("lab_capture_peer_{peer}"));
        let mut started = Started(Vec::new());
        let address = start_peer(peer, &dir, &mut started);
        let port = address.rsplit_once(':').unwrap().1.to_owned();
        let password = if password == "right" {
            LAB_PASSWORD
        } else {
            "WrongPass9"
        };
        let file = dir.join(format!("{peer}.pcap"));
        let mut client = (None, String::new());
        record(&file, &port, || {
            client = xfreerdp_as(&address, sec, password, &dir)
        });
        let file = file.to_string_lossy().into_owned();
        let doc = json(&["inspect", "--format", "json", &file]);
        let ids = finding_ids(&doc);
        if finding != "-" {
            assert!(
                ids.contains(&finding),
                "{name}: {ids:?}; xfreerdp: {client:?}"
            );
        }
        assert_eq!(
            top_cause(&doc),
            cause,
            "{name}: capture; xfreerdp: {client:?}"
        );
        assert_eq!(doc["verdict"], verdict, "{name}: xfreerdp: {client:?}");
        let conn = &doc["capture"]["connections"][0];
        assert_eq!(conn["request"]["mstshash"], LAB_USER, "{name}");
        if sec == "rdp" {
            // Standard RDP Security: the client's Core Data in the clear.
            let core = &conn["standard_security"]["client_core"];
            assert!(core["client_build"].as_u64().is_some(), "{name}: {core}");
            assert!(core["client_name"].as_str().is_some(), "{name}: {core}");
        }
        // The probe of the same server, with the same account and password.
        let (out, _) = run_env(
            false,
            &["probe", &address, "--user", LAB_USER, "--format", "json"],
            &[("RDPDOCTOR_PASSWORD", password)],
        );
        let probe: Value = serde_json::from_slice(&out.stdout).unwrap();
        if cause == "-" {
            assert_ne!(probe["verdict"], "no-client-connects", "{name}: probe");
        } else {
            assert_eq!(top_cause(&probe), cause, "{name}: probe");
        }
    }
}

/// The server's certificate in a capture is judged as the probe judges it
/// (issue 17): the reference client, limited to TLS 1.2 (TLS 1.3 encrypts
/// the Certificate message, and a capture then sees none), connects to the
/// emulated expired certificate; the capture's report has the probe's
/// `cert-expired`, about the same certificate, and ranks the probe's cause
/// first.
#[test]
#[ignore = "needs tcpdump, xfreerdp and xvfb-run: see lab/README.md"]
fn a_captured_expired_certificate_gets_the_probes_finding_and_cause() {
    let serve = LabServe::start(&["expired-cert"]);
    let address = serve.listeners[0].1.clone();
    let port = address.rsplit_once(':').unwrap().1.to_owned();
    let dir = scratch("lab_capture_expired_cert_tls12");
    let file = dir.join("expired-cert-tls12.pcap");
    record(&file, &port, || {
        let out = xfreerdp::under_xvfb(30)
            .arg(format!("/v:localhost:{port}"))
            .args(["/sec:tls", "+enforce-tlsv1_2", "/cert:ignore", "+auth-only"])
            .args(["/u:labuser", "/p:LabPass1!"])
            .env("HOME", &dir)
            .env("XDG_CONFIG_HOME", &dir)
            .stdin(Stdio::null())
            .output()
            .expect("xvfb-run xfreerdp");
        assert!(out.status.code().is_some(), "xfreerdp was killed");
    });
    let doc = json(&["inspect", "--format", "json", &file.to_string_lossy()]);
    let probe = json(&["probe", &address, "--format", "json"]);
    let finding = |doc: &Value| -> Value {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "cert-expired")
            .cloned()
            .unwrap_or_else(|| panic!("no cert-expired in {}", doc["findings"]))
    };
    let (seen, probed) = (finding(&doc), finding(&probe));
    let leaf = &doc["capture"]["connections"][0]["tls"]["certificates"][0];
    assert_eq!(leaf["sha1_thumbprint"], seen["evidence"]["sha1_thumbprint"]);
    for key in ["subject", "not_after"] {
        assert_eq!(seen["evidence"][key], probed["evidence"][key], "{key}");
    }
    assert_eq!(top_cause(&doc), "rdp-cert-expired");
    assert_eq!(top_cause(&probe), "rdp-cert-expired");
}

/// A capture of real xfreerdp connecting to a port nothing listens on: the
/// SYN is answered with a reset, which the capture must call refused (the
/// probe's port-closed and its causes), never "no answer".
#[test]
#[ignore = "needs tcpdump, xfreerdp and xvfb-run: see lab/README.md"]
fn a_refused_syn_in_a_capture_is_the_probes_closed_port() {
    // Port 3389, so the capture knows it for RDP by its port; on a loopback
    // address of its own, so nothing else on this machine's 3389 is caught.
    let address = "127.0.0.86:3389";
    assert!(
        std::net::TcpStream::connect(address).is_err(),
        "something listens on {address}"
    );
    let dir = scratch("lab_capture_syn_refused");
    let file = dir.join("syn-refused.pcap");
    rdpdoctor_testkit::tcpdump::record(&file, "host 127.0.0.86 and tcp port 3389", || {
        let said = xfreerdp(address, "tls", &dir);
        assert!(!said.is_empty(), "xfreerdp said nothing");
    });
    let doc = json(&["inspect", "--format", "json", &file.to_string_lossy()]);
    let ids = finding_ids(&doc);
    assert!(ids.contains(&"capture-syn-refused"), "{ids:?}");
    assert!(!ids.contains(&"capture-syn-unanswered"), "{ids:?}");
    assert_eq!(doc["capture"]["connections"][0]["detected_by"], "port");
    assert_eq!(doc["verdict"], "no-client-connects");
    let probe = json(&["probe", address, "--format", "json"]);
    assert!(finding_ids(&probe).contains(&"port-closed"));
    assert_eq!(top_cause(&doc), top_cause(&probe));
}
