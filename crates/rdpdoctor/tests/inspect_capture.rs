//! `rdpdoctor inspect CAPTURE` as a user runs it, on Zeek's recorded Windows
//! captures (`shared/fixtures/pcap`, read in place): the whole text report
//! of each, snapshotted (`tests/snapshots/capture/`; `UPDATE_EXPECT=1`
//! rewrites them), the verdict's exit status, a capture beside a hive, and
//! the user's mistakes (exit 2, one line).

use rdpdoctor_testkit::cli;
use rdpdoctor_testkit::fixtures::{fixtures, scratch};
use std::path::Path;

fn pcap(name: &str) -> String {
    fixtures()
        .join("pcap")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn inspect(args: &[&str]) -> (String, String, Option<i32>) {
    let mut all = vec!["inspect", "--color", "never"];
    all.extend_from_slice(args);
    let (out, _) = cli::run_env(false, &all, &[("COLUMNS", "80"), ("NO_COLOR", "1")]);
    (
        String::from_utf8(out.stdout).expect("UTF-8"),
        String::from_utf8(out.stderr).expect("UTF-8"),
        out.status.code(),
    )
}

fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/capture")
        .join(name);
    rdpdoctor_testkit::snapshot::check(&path, actual);
}

#[test]
fn every_zeek_capture_gets_a_sane_report() {
    // The verdict a reader of Zeek's logs would sign: the client that retried
    // with Standard RDP Security got in; the 2008 R2 TLS 1.0 server's NLA
    // connections went on; a capture that ends at the Connect Initial, or
    // holds only RDP-UDP, cannot tell.
    for (name, exit) in [
        ("zeek-rdp-proprietary-encryption", 0),
        ("zeek-rdp-x509", 0),
        ("zeek-rdp-to-ssl", 0),
        ("zeek-rdp-no-cookie-mstshash", 1),
        ("zeek-rdp-unknown-keyboard", 1),
        ("zeek-rdpeudp-handshake-fail", 1),
        ("zeek-rdpeudp-handshake-success", 1),
        ("zeek-rdpeudp2-handshake-success", 1),
    ] {
        let (out, err, code) = inspect(&[&pcap(&format!("{name}.pcap"))]);
        assert_eq!(code, Some(exit), "{name}: {err}");
        assert!(err.is_empty(), "{name}: {err}");
        snapshot(&format!("{name}.txt"), &out);
    }
}

#[test]
fn a_capture_json_names_the_connections_and_the_2008_r2_tls_1_0_server() {
    let (out, _, code) = inspect(&["--format", "json", &pcap("zeek-rdp-to-ssl.pcap")]);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let conns = v["capture"]["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 2);
    assert_eq!(conns[0]["tls"]["server_version"], "tls1.0");
    assert_eq!(conns[0]["tls"]["secure_renegotiation"], false);
    assert_eq!(conns[0]["request"]["mstshash"], "AWAKECODI");
    // The recorded client got through, after a certificate that names
    // another host and is signed with SHA-1: as the probe says of such a
    // server, it works with warnings (it read "healthy" before certificates
    // were judged from captures).
    assert_eq!(v["verdict"], "works-with-warnings");
}

#[test]
fn a_capture_beside_a_hive_is_judged_with_it() {
    let hive = rdpdoctor_testkit::fixtures::hive("SYSTEM");
    let (out, err, _) = inspect(&[
        &pcap("zeek-rdp-proprietary-encryption.pcap"),
        &hive.to_string_lossy(),
    ]);
    assert!(out.contains("Connections"), "{out}\n{err}");
    assert!(out.contains("Sources"), "{out}");
}

#[test]
fn a_cut_capture_is_read_up_to_the_cut_with_a_note_naming_it() {
    let dir = scratch("a_cut_capture");
    let bytes = std::fs::read(pcap("zeek-rdp-proprietary-encryption.pcap")).unwrap();
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let (out, err, code) = inspect(&[&cut.to_string_lossy()]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cut.pcap") && err.contains("cut capture"),
        "{err}"
    );
    assert!(out.contains("2 RDP connection(s)"), "{out}");
}

#[test]
fn two_captures_or_a_broken_one_are_a_one_line_error() {
    let p = pcap("zeek-rdp-x509.pcap");
    let (_, err, code) = inspect(&[&p, &p]);
    assert_eq!(code, Some(2));
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("one capture per run"), "{err}");
    let dir = scratch("a_broken_capture");
    let bad = dir.join("magic-only.pcapng");
    std::fs::write(&bad, [0x0A, 0x0D, 0x0D, 0x0A, 1, 2]).unwrap();
    let (out, err, code) = inspect(&[&bad.to_string_lossy()]);
    assert!(!err.contains("panicked"), "{err}");
    assert!(code == Some(1) || code == Some(2), "{code:?}: {out}{err}");
}

/// An .rdp file as mstsc saves one.
fn rdp_file(dir: &Path, name: &str, lines: &[&str]) -> String {
    let path = dir.join(name);
    rdpdoctor_testkit::fixtures::write_reg_utf16(&path, &(lines.join("\n") + "\n"));
    path.to_string_lossy().into_owned()
}

#[test]
fn the_rdp_file_names_the_captures_gateway_unless_gateway_does() {
    let dir = scratch("capture_rdp_file");
    let file = rdp_file(
        &dir,
        "always.rdp",
        &[
            "full address:s:10.0.0.5",
            "gatewayhostname:s:rdgw.corp.example:8443",
            "gatewayusagemethod:i:1",
        ],
    );
    let capture = pcap("zeek-rdp-to-ssl.pcap");
    let gateway_of = |args: &[&str]| {
        let (out, err, code) = inspect(args);
        assert_eq!(code, Some(0), "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        // The direct connections of the capture stay what they are.
        assert_eq!(v["capture"]["connections"].as_array().unwrap().len(), 2);
        v["capture"]["gateway"].clone()
    };
    assert_eq!(
        gateway_of(&["--format", "json", "--rdp-file", &file, &capture]),
        "rdgw.corp.example:8443"
    );
    assert_eq!(
        gateway_of(&[
            "--format",
            "json",
            "--rdp-file",
            &file,
            "--gateway",
            "gw2.corp.example",
            &capture
        ]),
        "gw2.corp.example"
    );
    // A file whose client never uses its gateway names no hop.
    let never = rdp_file(
        &dir,
        "never.rdp",
        &[
            "full address:s:10.0.0.5",
            "gatewayhostname:s:rdgw.corp.example",
            "gatewayusagemethod:i:0",
        ],
    );
    assert_eq!(
        gateway_of(&["--format", "json", "--rdp-file", &never, &capture]),
        serde_json::Value::Null
    );
    // No capture: the file has nothing to name; one line, exit 2.
    let (_, err, code) = inspect(&["--rdp-file", &file, "--local"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("give a capture"), "{err}");
}
