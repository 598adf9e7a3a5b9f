//! The command line itself: usage errors, exit codes, output conventions.
//! These need no lab (they only touch ports nothing listens on, on loopback).

mod common;
use common::*;

#[test]
fn bad_targets_get_one_line_and_exit_2() {
    for bad in ["", "host:0", "host:99999", "[::1", "a b", "[zz]:1"] {
        let (out, _) = run(false, &["probe", bad]);
        assert_eq!(out.status.code(), Some(2), "target {bad:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "one line for {bad:?}: {err}");
        assert!(err.starts_with("rdpdoctor: "), "{err}");
        assert!(!err.contains("panicked"));
    }
}

#[test]
fn bad_options_exit_2() {
    let (out, _) = run(false, &["probe", "127.0.0.1", "--timeout", "-1"]);
    assert_eq!(out.status.code(), Some(2));
    let (out, _) = run(false, &["probe", "127.0.0.1", "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2));
    let (out, _) = run(false, &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_has_examples_and_exit_codes() {
    let (out, _) = run(false, &["probe", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Examples:"), "{help}");
    assert!(help.contains("rdpdoctor probe rdp.example.com"));
    assert!(help.contains("Exit status"));
}

/// A port on loopback where nothing listens: refused, exit 1, JSON schema.
fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("127.0.0.1:{port}")
}

#[test]
fn json_of_a_refused_port_has_the_documented_shape() {
    let p = probe_target(false, &closed_port(), &["--samples", "2"]);
    assert_eq!(p.code, 1);
    assert_eq!(p.json["schema_version"], 2);
    assert_eq!(p.json["verdict"], "unreachable");
    for key in [
        "limits",
        "security",
        "server",
        "verdict",
        "diagnosis",
        "target",
        "addresses",
        "tcp",
        "negotiation",
        "tls",
        "certificate",
        "credssp",
        "ntlm",
        "rdp_security",
        "timings",
        "findings",
        "security_paths",
    ] {
        assert!(p.json.get(key).is_some(), "missing top-level key {key}");
    }
    let f = &p.json["findings"][0];
    assert_eq!(f["id"], "port-closed");
    assert_eq!(f["severity"], "fail");
    assert!(f["summary"].as_str().unwrap().contains("refused"));
    assert_eq!(p.json["tcp"]["samples"].as_array().unwrap().len(), 2);
}

#[test]
fn text_report_has_no_colour_when_piped_or_with_no_color() {
    let target = closed_port();
    let (out, _) = run(false, &["probe", &target]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains('\x1b'), "escape codes in piped output");
    assert!(text.contains("port-closed"));
    assert!(text.contains("[FAIL]"));
    let out = std::process::Command::new(bin())
        .args(["probe", &target, "--color", "always"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains('\x1b'));
}

#[test]
fn explain_decodes_the_mstsc_pair_in_hex_and_decimal() {
    for args in [
        &["explain", "0x904", "0x7"][..],
        &["explain", "2308", "7"][..],
    ] {
        let (out, _) = run(false, args);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("disconnectReasonAtClientWinsockFDCLOSE"),
            "{text}"
        );
        assert!(text.contains("ERRINFO_SERVER_DENIED_CONNECTION"), "{text}");
        let first_cause = text
            .lines()
            .find(|l| l.trim_start().starts_with("1. "))
            .unwrap();
        assert!(first_cause.contains("user-not-allowed"), "{first_cause}");
    }
}

#[test]
fn explain_json_and_the_forms_people_paste() {
    let (out, _) = run(
        false,
        &[
            "explain",
            "--format",
            "json",
            "ERRCONNECT_TLS_CONNECT_FAILED [0x00020008]",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["codes"][0]["name"], "ERRCONNECT_TLS_CONNECT_FAILED");
    let (out, _) = run(false, &["explain", "--format", "json", "0x80090302"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["causes"][0]["id"], "credssp-encryption-oracle");
    let dialog = "This computer can't connect to the remote computer. Try connecting again. Error code: 0x904 Extended error code: 0x7";
    let (out, _) = run(false, &["explain", "--format", "json", dialog]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["causes"][0]["id"], "user-not-allowed");
}

#[test]
fn explain_of_nonsense_is_one_line_and_exit_2() {
    let (out, _) = run(false, &["explain", "hello"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());
}
