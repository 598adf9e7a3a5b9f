//! A hostile server's text never reaches the terminal as control sequences.
//! The server is the built-in emulator on 127.0.0.1, with names chosen to
//! retitle the window, clear the screen, write the clipboard (OSC 52),
//! overwrite a line (CR), send a C1 CSI and reverse the text (bidi).

use rdpdoctor_emulator::{Fault, FaultConfig};
use rdpdoctor_testkit::cli::*;

/// Characters that must not appear in what rdpdoctor prints.
fn dangerous(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[test]
fn certificate_and_ntlm_names_are_escaped() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut cfg = FaultConfig::new(Fault::HealthyNla);
    cfg.netbios_name = "WIN\x1b]0;pwned\x07".into();
    cfg.netbios_domain = "CORP\x1b[2J\r".into();
    cfg.dns_domain = cfg_dns_domain();
    // Subject alternative names are IA5 (ASCII), controls included.
    cfg.extra_cert_names = vec!["evil\x1b[2J\r.example".into()];
    let emu = runtime
        .block_on(rdpdoctor_emulator::spawn(
            cfg,
            "127.0.0.1:0".parse().unwrap(),
        ))
        .unwrap();
    let target = emu.local_addr().to_string();
    let dns_domain = cfg_dns_domain();
    // JSON keeps the names whole, with the dangerous ones as \u escapes:
    // probe's document and scan's NDJSON line.
    for args in [
        &[
            "probe",
            &target,
            "--no-reverse-dns",
            "--samples",
            "1",
            "--format",
            "json",
        ][..],
        &["scan", &target, "--format", "ndjson"][..],
    ] {
        let (out, _) = run(false, args);
        assert_ne!(out.status.code(), Some(101), "panicked");
        let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
        let bad: Vec<char> = stdout.chars().filter(|c| dangerous(*c)).collect();
        assert!(bad.is_empty(), "{args:?}: raw {bad:?}\n{stdout}");
        assert!(stdout.contains(r"\u009b31m"), "{stdout}");
        let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON value");
        assert!(
            strings(&v).any(|s| s == dns_domain),
            "the DNS domain, read back whole: {stdout}"
        );
    }
    let (out, _) = probe_once(&target, &["--color", "never"]);
    runtime.block_on(emu.shutdown());
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    assert_ne!(out.status.code(), Some(101), "panicked");
    let bad: Vec<char> = stdout.chars().filter(|c| dangerous(*c)).collect();
    assert!(
        bad.is_empty(),
        "control characters printed: {bad:?}\n{stdout}"
    );
    assert!(!stdout.contains('\r'));
    // The names are there, visibly escaped: from the certificate and from NTLM.
    assert!(stdout.contains(r"WIN\x1b]0;pwned\x07"), "{stdout}");
    assert!(stdout.contains(r"\u{202e}"), "{stdout}");
    assert!(stdout.contains(r"evil\x1b[2J\x0d.example"), "{stdout}");
    let computer = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("computer "))
        .expect("the NTLM computer line");
    assert!(computer.contains(r"\x1b]52;c;cHduZWQ=\x07"), "{computer}");
}

/// A DNS domain that reverses the text, sends a C1 CSI and writes the
/// clipboard (OSC 52).
fn cfg_dns_domain() -> String {
    "corp\u{202e}elpmaxe\u{9b}31m.example\x1b]52;c;cHduZWQ=\x07".into()
}

/// Every string in a JSON value.
fn strings(v: &serde_json::Value) -> Box<dyn Iterator<Item = &str> + '_> {
    match v {
        serde_json::Value::String(s) => Box::new(std::iter::once(s.as_str())),
        serde_json::Value::Array(a) => Box::new(a.iter().flat_map(strings)),
        serde_json::Value::Object(o) => Box::new(o.values().flat_map(strings)),
        _ => Box::new(std::iter::empty()),
    }
}
