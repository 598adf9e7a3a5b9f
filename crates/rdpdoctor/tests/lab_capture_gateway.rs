//! `inspect CAPTURE --gateway` on the lab's own captures of the hop to an
//! RD Gateway: real xfreerdp 2.11 `/g:` (under xvfb-run, +auth-only)
//! through the emulated gateway, or to a gateway address nothing listens
//! on, while `tcpdump -i lo` records that address's port 443. The hop must
//! be found (by SNI, certificate or address) and judged as `probe
//! --gateway` judges the same gateway.
//!
//! Ignored (needs tcpdump, xfreerdp and xvfb-run, see lab/README.md):
//! `cargo test -p rdpdoctor --features lab --test lab_capture_gateway -- --ignored`.

use rdpdoctor_testkit::cli::*;
use rdpdoctor_testkit::fixtures::scratch;
use rdpdoctor_testkit::xfreerdp;
use std::process::Stdio;

/// `rdpdoctor lab serve --gateway FAULT=ADDR`, stopped when dropped.
struct Gateway(std::process::Child);

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the emulated gateway `fault` on `gw` and waits until it listens.
fn start_gateway(fault: &str, gw: &str) -> Gateway {
    let child = std::process::Command::new(bin())
        .args(["lab", "serve", "--gateway", &format!("{fault}={gw}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("rdpdoctor lab serve");
    let g = Gateway(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(gw).is_ok() {
            return g;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("nothing listens on {gw}");
}

/// Real xfreerdp to the target 127.0.0.1:3389 through the gateway at `gw`
/// with the demo account, recorded by tcpdump into `file` (only `gw`'s
/// host's port 443: tests run at once); `extra`: more xfreerdp arguments.
/// Returns xfreerdp's exit code.
fn record_through(
    gw: &str,
    file: &std::path::Path,
    dir: &std::path::Path,
    extra: &[&str],
) -> Option<i32> {
    let host = gw.rsplit_once(':').map_or(gw, |(h, _)| h);
    let mut code = None;
    rdpdoctor_testkit::tcpdump::record(file, &format!("tcp port 443 and host {host}"), || {
        let out = xfreerdp::under_xvfb(30)
            .arg("/v:127.0.0.1:3389")
            .arg(format!("/g:{gw}"))
            .arg(format!("/gu:{}", rdpdoctor_emulator::DEMO_USER))
            .arg(format!("/gp:{}", rdpdoctor_emulator::DEMO_PASSWORD))
            .args(["/gt:http", "/cert:ignore", "+auth-only"])
            // The lab's throwaway account: the reference client is the one
            // place a password is on a command line (ARCHITECTURE.md, 7).
            .args(["/u:labuser", "/p:LabPass1!"])
            .args(extra)
            .env("HOME", dir)
            .env("XDG_CONFIG_HOME", dir)
            .stdin(Stdio::null())
            .output()
            .expect("xvfb-run xfreerdp");
        code = out.status.code();
    });
    code
}

/// Real xfreerdp through the emulated gateway `fault` listening on `gw`
/// (its own loopback address, port 443), recorded into
/// `scratch("lab_capture_NAME")`. Returns the running gateway, the folder
/// and the capture.
fn capture_through_gateway(
    fault: &str,
    gw: &str,
    name: &str,
    extra: &[&str],
) -> (Gateway, std::path::PathBuf, String) {
    let gateway = start_gateway(fault, gw);
    let dir = scratch(&format!("lab_capture_{name}"));
    let file = dir.join(format!("{name}.pcap"));
    record_through(gw, &file, &dir, extra);
    (gateway, dir, file.to_string_lossy().into_owned())
}

#[test]
#[ignore = "needs tcpdump, xfreerdp and xvfb-run: see lab/README.md"]
fn the_hop_to_an_rd_gateway_is_found_by_its_name() {
    // The emulated gateway on port 443 of its own loopback address; real
    // xfreerdp /g: through it (the CAP denies the user after TLS and NTLM).
    let gw = "127.0.0.43:443";
    let (_gateway, dir, file) = capture_through_gateway("gw-cap-denied", gw, "gateway", &[]);
    // Named: the hop, by the SNI xfreerdp sends (the gateway's address).
    let doc = json(&["inspect", "--format", "json", "--gateway", gw, &file]);
    let conns = doc["capture"]["connections"].as_array().unwrap();
    assert!(!conns.is_empty(), "{doc}");
    for c in conns {
        assert_eq!(c["detected_by"], "gateway-sni", "{c}");
        assert_eq!(c["tls"]["server_name"], "127.0.0.43", "{c}");
        assert_eq!(c["tls"]["handshake_finished"], true, "{c}");
    }
    // The same hop when the user's .rdp file names the gateway.
    let rdp = dir.join("gateway.rdp");
    rdpdoctor_testkit::fixtures::write_reg_utf16(
        &rdp,
        &format!("full address:s:127.0.0.1:3389\ngatewayhostname:s:{gw}\ngatewayusagemethod:i:1\n"),
    );
    let by_file = json(&[
        "inspect",
        "--format",
        "json",
        "--rdp-file",
        &rdp.to_string_lossy(),
        &file,
    ]);
    assert_eq!(
        by_file["capture"]["connections"],
        doc["capture"]["connections"]
    );
    let (out, _) = run(false, &["inspect", "--gateway", "127.0.0.43", &file]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("RD Gateway hop (SNI 127.0.0.43)"), "{text}");
    assert!(text.contains("never the gateway's reason"), "{text}");
    // Not named: no RDP connection, and the report says where to look.
    let doc = json(&["inspect", "--format", "json", &file]);
    assert_eq!(doc["capture"]["connections"].as_array().unwrap().len(), 0);
    assert_eq!(doc["capture"]["other_tls_server_names"][0], "127.0.0.43");
    // Another name: not the hop.
    let doc = json(&[
        "inspect",
        "--format",
        "json",
        "--gateway",
        "gw.example.com",
        &file,
    ]);
    assert_eq!(doc["capture"]["connections"].as_array().unwrap().len(), 0);
}

/// An RD Gateway's expired certificate in a capture is the gateway's, as
/// `probe --gateway` says: real xfreerdp (TLS 1.2, so the Certificate message
/// is in the clear) through the emulated gateway with an expired
/// certificate; the capture's hop gets `gateway-cert-expired` and the
/// gateway's cause, never the session host's `cert-expired`.
#[test]
#[ignore = "needs tcpdump, xfreerdp and xvfb-run: see lab/README.md"]
fn a_captured_gateway_certificate_is_the_gateways() {
    let gw = "127.0.0.44:443";
    let (_gateway, _, file) =
        capture_through_gateway("gw-cert-expired", gw, "gateway_cert", &["+enforce-tlsv1_2"]);
    let doc = json(&["inspect", "--format", "json", "--gateway", gw, &file]);
    let ids: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert!(ids.contains(&"gateway-cert-expired"), "{ids:?}");
    assert!(!ids.iter().any(|id| id.starts_with("cert-")), "{ids:?}");
    assert_eq!(top_cause(&doc), "rd-gateway-cert-invalid");
    // What the probe of the same gateway says.
    let probe = json(&[
        "probe",
        "127.0.0.1:3389",
        "--gateway",
        gw,
        "--format",
        "json",
    ]);
    assert_eq!(top_cause(&probe), "rd-gateway-cert-invalid");
}

/// Real xfreerdp `/g:` to a gateway address nothing listens on: the
/// capture's hop (known by the address from its SYN, before any TLS) is the
/// gateway's `gateway-unreachable`, as `probe --gateway` says, never the
/// RDP port's `capture-syn-*` or its causes.
#[test]
#[ignore = "needs tcpdump, xfreerdp and xvfb-run: see lab/README.md"]
fn a_capture_of_a_gateway_that_refuses_tcp_is_the_gateway_unreachable() {
    let gw = "127.0.0.87:443";
    assert!(
        std::net::TcpStream::connect(gw).is_err(),
        "something listens on {gw}"
    );
    let dir = scratch("lab_capture_gateway_refused");
    let file = dir.join("gateway-refused.pcap");
    let code = record_through(gw, &file, &dir, &[]);
    assert!(code.is_some_and(|c| c != 0), "xfreerdp: {code:?}");
    let file = file.to_string_lossy().into_owned();
    let doc = json(&["inspect", "--format", "json", "--gateway", gw, &file]);
    let conns = doc["capture"]["connections"].as_array().unwrap();
    assert!(!conns.is_empty(), "{doc}");
    assert_eq!(conns[0]["detected_by"], "gateway-address");
    let ids = finding_ids(&doc);
    assert!(ids.contains(&"gateway-unreachable"), "{ids:?}");
    assert!(!ids.iter().any(|i| i.starts_with("capture-syn")), "{ids:?}");
    assert_eq!(top_cause(&doc), "rd-gateway-unreachable");
    // The connection's own lines carry the gateway's failure (the report
    // never marks ok what its verdict says fails).
    let (out, _) = run(false, &["inspect", "--gateway", gw, &file]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[FAIL] Focus #1"), "{text}");
    assert!(text.contains("RD Gateway hop (by its address)"), "{text}");
    // Named by a name instead: never resolved, so nothing is known of it.
    let by_name = json(&[
        "inspect",
        "--format",
        "json",
        "--gateway",
        "gw.example.com",
        &file,
    ]);
    assert_eq!(
        by_name["capture"]["connections"].as_array().unwrap().len(),
        0
    );
    let probe = json(&[
        "probe",
        "127.0.0.1:3389",
        "--gateway",
        gw,
        "--format",
        "json",
    ]);
    assert!(finding_ids(&probe).contains(&"gateway-unreachable"));
    assert_eq!(top_cause(&probe), top_cause(&doc));
}
