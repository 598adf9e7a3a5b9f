//! `.rdp` files as users have them: saved by mstsc (UTF-16LE with a BOM,
//! CRLF), downloaded from RD Web (UTF-8), and hostile ones.

use rdpdoctor_evidence::{GatewayTarget, GatewayUsage, RdpFileEncoding};
use rdpdoctor_host::rdp_file::{MAX_FILE_BYTES, RdpFileError, parse};

/// The lines mstsc writes when "Save As" is used on its connection dialog
/// (Windows 11 23H2), in its order; `extra` lines replace the defaults.
fn mstsc_text(extra: &[(&str, &str)]) -> String {
    let mut lines: Vec<String> = [
        "screen mode id:i:2",
        "use multimon:i:0",
        "desktopwidth:i:1920",
        "desktopheight:i:1080",
        "session bpp:i:32",
        "winposstr:s:0,1,0,0,800,600",
        "compression:i:1",
        "keyboardhook:i:2",
        "audiocapturemode:i:0",
        "videoplaybackmode:i:1",
        "connection type:i:7",
        "networkautodetect:i:1",
        "bandwidthautodetect:i:1",
        "displayconnectionbar:i:1",
        "enableworkspacereconnect:i:0",
        "disable wallpaper:i:0",
        "allow font smoothing:i:0",
        "allow desktop composition:i:0",
        "disable full window drag:i:1",
        "disable menu anims:i:1",
        "disable themes:i:0",
        "disable cursor setting:i:0",
        "bitmapcachepersistenable:i:1",
        "full address:s:rdp01.corp.example",
        "audiomode:i:0",
        "redirectprinters:i:1",
        "redirectcomports:i:0",
        "redirectsmartcards:i:1",
        "redirectwebauthn:i:1",
        "redirectclipboard:i:1",
        "redirectposdevices:i:0",
        "autoreconnection enabled:i:1",
        "authentication level:i:2",
        "prompt for credentials:i:0",
        "negotiate security layer:i:1",
        "remoteapplicationmode:i:0",
        "alternate shell:s:",
        "shell working directory:s:",
        "gatewayhostname:s:",
        "gatewayusagemethod:i:4",
        "gatewaycredentialssource:i:4",
        "gatewayprofileusagemethod:i:0",
        "promptcredentialonce:i:0",
        "gatewaybrokeringtype:i:0",
        "use redirection server name:i:0",
        "rdgiskdcproxy:i:0",
        "kdcproxyname:s:",
        "enablerdsaadauth:i:0",
        "drivestoredirect:s:",
        "username:s:CORP\\alice",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (name, line) in extra {
        match lines.iter().position(|l| l.split(':').next() == Some(name)) {
            Some(i) => lines[i] = line.to_string(),
            None => lines.push(line.to_string()),
        }
    }
    lines.join("\r\n") + "\r\n"
}

fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut b = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        b.extend_from_slice(&u.to_le_bytes());
    }
    b
}

#[test]
fn a_file_saved_by_mstsc_is_read() {
    let f = parse(&utf16le_bom(&mstsc_text(&[]))).expect("mstsc's file");
    assert_eq!(f.encoding, RdpFileEncoding::Utf16LeBom);
    assert_eq!(f.full_address(), Some("rdp01.corp.example"));
    assert_eq!(f.server_port(), None);
    assert_eq!(f.authentication_level(), Some(2));
    assert!(!f.credssp_disabled());
    assert!(!f.negotiation_disabled());
    assert_eq!(f.string("username"), Some("CORP\\alice"));
    assert_eq!(f.int("use redirection server name"), Some(0));
    // an empty gatewayhostname is no gateway
    assert_eq!(f.gateway(), None);
    assert!(f.notes.is_empty(), "{:?}", f.notes);
}

#[test]
fn the_security_settings_mstsc_writes_are_facts() {
    let f = parse(&utf16le_bom(&mstsc_text(&[
        ("enablecredsspsupport", "enablecredsspsupport:i:0"),
        ("negotiate security layer", "negotiate security layer:i:0"),
        ("authentication level", "authentication level:i:1"),
        ("server port", "server port:i:3390"),
    ])))
    .unwrap();
    assert!(f.credssp_disabled());
    assert!(f.negotiation_disabled());
    assert_eq!(f.authentication_level(), Some(1));
    assert_eq!(f.server_port(), Some(3390));
    assert_eq!(f.get("enablecredsspsupport").map(|s| s.line), Some(51));
}

#[test]
fn an_rd_web_file_with_a_gateway_names_it() {
    let text = mstsc_text(&[
        ("gatewayhostname", "gatewayhostname:s:rdg.corp.example"),
        ("gatewayusagemethod", "gatewayusagemethod:i:1"),
        ("gatewaycredentialssource", "gatewaycredentialssource:i:0"),
        ("gatewayprofileusagemethod", "gatewayprofileusagemethod:i:1"),
        (
            "loadbalanceinfo",
            "loadbalanceinfo:s:tsv://MS Terminal Services Plugin.1.Desktops",
        ),
    ]);
    // RD Web serves UTF-8 with a BOM
    let mut b = vec![0xEF, 0xBB, 0xBF];
    b.extend_from_slice(text.as_bytes());
    let f = parse(&b).unwrap();
    assert_eq!(f.encoding, RdpFileEncoding::Utf8Bom);
    assert_eq!(
        f.gateway(),
        Some(GatewayTarget {
            host: "rdg.corp.example".into(),
            port: 443,
            usage: GatewayUsage::Always,
            credentials_source: Some(0),
        })
    );
    assert_eq!(
        f.string("loadbalanceinfo"),
        Some("tsv://MS Terminal Services Plugin.1.Desktops")
    );
    let f = parse(
        b"full address:s:h\ngatewayhostname:s:rdg.corp.example:8443\ngatewayusagemethod:i:2\n",
    )
    .unwrap();
    let g = f.gateway().unwrap();
    assert_eq!((g.port, g.usage), (8443, GatewayUsage::WhenDirectFails));
    assert!(g.usage.uses_gateway());
    let f = parse(b"full address:s:h\ngatewayhostname:s:rdg\ngatewayusagemethod:i:4\n").unwrap();
    assert!(!f.gateway().unwrap().usage.uses_gateway());
}

#[test]
fn bad_lines_are_notes_never_errors() {
    let f = parse(
        b"full address:s:rdp01\nthis is no setting\nenablecredsspsupport:i:zero\nfoo:x:1\n:s:nameless\nserver port:i:99999\n",
    )
    .unwrap();
    assert_eq!(f.full_address(), Some("rdp01"));
    assert_eq!(f.notes.len(), 4, "{:?}", f.notes);
    assert!(f.notes[0].starts_with("line 2:"));
    assert!(f.notes[1].contains("enablecredsspsupport"));
    assert!(f.notes[2].contains("unknown type"));
    // out of range: no port rather than a wrong one
    assert_eq!(f.server_port(), None);
    assert!(!f.credssp_disabled());
}

#[test]
fn hostile_files_are_refused_in_one_sentence() {
    // huge
    let huge = vec![b'a'; MAX_FILE_BYTES + 1];
    assert!(matches!(parse(&huge), Err(RdpFileError::TooBig(_))));
    // binary
    let bin: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    assert_eq!(parse(&bin), Err(RdpFileError::NotText));
    // UTF-16 saved without its BOM: NULs everywhere
    let no_bom = utf16le_bom("full address:s:rdp01\r\n")[2..].to_vec();
    assert_eq!(parse(&no_bom), Err(RdpFileError::NotText));
    // an odd UTF-16 length
    let mut odd = utf16le_bom("full address:s:rdp01\r\n");
    odd.push(b'x');
    assert_eq!(parse(&odd), Err(RdpFileError::NotText));
    // text, but no setting
    assert_eq!(parse(b"hello\nworld\n"), Err(RdpFileError::NoSettings));
    assert_eq!(parse(b""), Err(RdpFileError::NoSettings));
    // each error is one line saying what is accepted
    for e in [
        RdpFileError::TooBig(2 << 20),
        RdpFileError::NotText,
        RdpFileError::NoSettings,
    ] {
        let s = e.to_string();
        assert!(!s.contains('\n') && s.contains("rdp"), "{s}");
    }
}

#[test]
fn many_bad_lines_keep_a_bounded_list_of_notes() {
    let mut text = String::from("full address:s:rdp01\n");
    for _ in 0..10_000 {
        text.push_str("garbage\n");
    }
    let f = parse(text.as_bytes()).unwrap();
    assert_eq!(f.notes.len(), rdpdoctor_evidence::RdpFile::MAX_NOTES);
    assert!(f.notes_dropped > 0);
    // a long value is cut, not kept whole
    let long = format!("full address:s:{}\n", "x".repeat(100_000));
    let f = parse(long.as_bytes()).unwrap();
    assert!(f.full_address().unwrap().len() <= rdpdoctor_host::rdp_file::MAX_VALUE_CHARS);
}

#[test]
fn every_truncation_of_a_utf16_file_is_an_answer_never_a_panic() {
    let b = utf16le_bom(&mstsc_text(&[(
        "enablecredsspsupport",
        "enablecredsspsupport:i:0",
    )]));
    for n in 0..=b.len() {
        let _ = parse(&b[..n]);
    }
}

#[test]
fn a_lone_surrogate_is_not_text() {
    let mut b = vec![0xFF, 0xFE];
    b.extend_from_slice(&0xD800u16.to_le_bytes());
    b.extend_from_slice(b"a\0");
    assert_eq!(parse(&b), Err(RdpFileError::NotText));
}
