//! `rdpdoctor_capture::read` (the evidence `inspect CAPTURE` judges) on
//! Zeek's recorded Windows captures (`shared/fixtures/pcap`, read in place):
//! every fact it reports is compared field by field with the logs Zeek's own
//! tests expect from the same file (`expected/*.rdp.log`, `*.ssl.log`,
//! `*.conn.log`). Here beside the decoders' own Zeek tests, whose helpers it
//! shares.

mod pcap;

use pcap::{dir, zeek_log as log};
use rdpdoctor_evidence::CaptureEvidence;

fn read(name: &str) -> CaptureEvidence {
    let f = std::fs::File::open(dir().join(name)).unwrap();
    rdpdoctor_capture::read(std::io::BufReader::new(f), name).unwrap()
}

/// Zeek's names for what we report.
fn zeek_name(ours: &str) -> &str {
    match ours {
        "HIGH" => "High",
        "CLIENT_COMPATIBLE" => "Client compatible",
        "proprietary" => "RSA",
        "x509" => "X.509",
        "tls1.0" => "TLSv10",
        "tls1.2" => "TLSv12",
        "0x002f" => "TLS_RSA_WITH_AES_128_CBC_SHA",
        "0x009d" => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        "rdp" => "RDP",
        "hybrid" => "HYBRID",
        "hybrid-ex" => "HYBRID_EX",
        other => other,
    }
}

fn or_dash(v: Option<String>) -> String {
    v.unwrap_or_else(|| "-".into())
}

/// Zeek's captures with an rdp.log.
const RDP_CAPTURES: [&str; 5] = [
    "zeek-rdp-proprietary-encryption",
    "zeek-rdp-x509",
    "zeek-rdp-unknown-keyboard",
    "zeek-rdp-to-ssl",
    "zeek-rdp-no-cookie-mstshash",
];

#[test]
fn every_rdp_log_row_matches_field_by_field() {
    for pcap in RDP_CAPTURES {
        let ev = read(&format!("{pcap}.pcap"));
        assert_eq!(ev.note, None, "{pcap}");
        let rows = log(&format!("{pcap}.rdp.log"));
        assert_eq!(ev.connections.len(), rows.len(), "{pcap}: connections");
        for (c, row) in ev.connections.iter().zip(&rows) {
            let at = format!("{pcap} {}", c.client);
            let (ch, cp) = c.client.rsplit_once(':').unwrap();
            let (sh, sp) = c.server.rsplit_once(':').unwrap();
            assert_eq!(
                (ch, cp),
                (row["id.orig_h"].as_str(), row["id.orig_p"].as_str()),
                "{at}"
            );
            assert_eq!(
                (sh, sp),
                (row["id.resp_h"].as_str(), row["id.resp_p"].as_str()),
                "{at}"
            );
            let req = c.request.as_ref().unwrap();
            // Zeek logs the mstshash user (escaping `\`), or the whole
            // cookie when it is not an mstshash one, `(empty)` for none.
            let cookie = req
                .mstshash
                .clone()
                .or(req.cookie.clone())
                .map(|c| c.replace('\\', "\\\\"))
                .unwrap_or_else(|| "(empty)".into());
            assert_eq!(cookie, row["cookie"], "{at}: cookie");
            let confirm = c.confirm.as_ref().unwrap();
            let protocol = confirm
                .selected
                .as_ref()
                .map(|s| zeek_name(s.protocols[0].name()).to_string());
            assert_eq!(or_dash(protocol.clone()), row["security_protocol"], "{at}");
            match (&confirm.failure, protocol.as_deref()) {
                (Some(f), _) => assert_eq!(f, &row["result"], "{at}: result"),
                (None, Some("HYBRID" | "HYBRID_EX")) => assert_eq!(row["result"], "encrypted"),
                (None, _) => assert!(["Success", "-"].contains(&row["result"].as_str())),
            }
            let sec = c.standard_security.clone().unwrap_or_default();
            let cert = sec
                .certificate_type
                .as_deref()
                .map(zeek_name)
                .map(String::from);
            assert_eq!(or_dash(cert), row["cert_type"], "{at}: cert_type");
            let count = match sec.certificate_type.as_deref() {
                Some("x509") => sec.chain_length.unwrap(),
                Some(_) => 1,
                None => 0,
            };
            assert_eq!(count.to_string(), row["cert_count"], "{at}: cert_count");
            let permanent = sec.permanent.map(|p| if p { "T" } else { "F" }.to_string());
            assert_eq!(or_dash(permanent), row["cert_permanent"], "{at}");
            let level = sec
                .encryption_level
                .as_deref()
                .map(zeek_name)
                .map(String::from);
            assert_eq!(or_dash(level), row["encryption_level"], "{at}");
            assert_eq!(
                or_dash(sec.encryption_method),
                row["encryption_method"],
                "{at}"
            );
        }
    }
}

#[test]
fn every_ssl_log_row_matches_field_by_field() {
    for pcap in ["zeek-rdp-to-ssl", "zeek-rdp-no-cookie-mstshash"] {
        let ev = read(&format!("{pcap}.pcap"));
        let rows = log(&format!("{pcap}.ssl.log"));
        assert_eq!(ev.connections.len(), rows.len());
        for (c, row) in ev.connections.iter().zip(&rows) {
            let tls = c.tls.as_ref().unwrap();
            let at = format!("{pcap} {}", c.client);
            assert_eq!(
                zeek_name(tls.server_version.as_deref().unwrap()),
                row["version"],
                "{at}"
            );
            assert_eq!(
                zeek_name(tls.cipher_suite.as_deref().unwrap()),
                row["cipher"],
                "{at}"
            );
            assert_eq!(or_dash(tls.server_name.clone()), row["server_name"], "{at}");
            assert_eq!(tls.handshake_finished, row["established"] == "T", "{at}");
            let leaf = &tls.certificates[0];
            assert_eq!(
                leaf.sha256_fingerprint.to_lowercase(),
                row["cert_chain_fps"],
                "{at}"
            );
            assert_eq!(leaf.subject, row["subject"], "{at}");
            assert_eq!(leaf.issuer, row["issuer"], "{at}");
            // The 2008 R2 server speaks TLS 1.0 without renegotiation_info.
            if pcap == "zeek-rdp-to-ssl" {
                assert_eq!(tls.secure_renegotiation, Some(false));
                assert_eq!(
                    tls.client_versions.last().map(String::as_str),
                    Some("tls1.0")
                );
            }
        }
    }
}

#[test]
fn rdp_udp_flows_match_the_conn_log() {
    for (pcap, answered) in [
        ("zeek-rdpeudp-handshake-fail", false),
        ("zeek-rdpeudp-handshake-success", true),
        ("zeek-rdpeudp2-handshake-success", true),
    ] {
        let ev = read(&format!("{pcap}.pcap"));
        let rows = log(&format!("{pcap}.conn.log"));
        assert_eq!(ev.udp.len(), rows.len(), "{pcap}");
        let (flow, row) = (&ev.udp[0], &rows[0]);
        let orig = format!("{}:{}", row["id.orig_h"], row["id.orig_p"]);
        let orig = if orig.starts_with("::") {
            format!("[{}]:{}", row["id.orig_h"], row["id.orig_p"])
        } else {
            orig
        };
        assert_eq!(flow.client, orig, "{pcap}");
        assert_eq!(flow.syn_ack, answered, "{pcap}");
        // Zeek's S0: a SYN and no answer at all.
        assert_eq!(row["conn_state"] == "S0", !answered, "{pcap}");
    }
}

#[test]
fn a_cut_capture_keeps_what_came_before_with_a_note_naming_the_file() {
    let bytes = std::fs::read(dir().join("zeek-rdp-proprietary-encryption.pcap")).unwrap();
    let cut = &bytes[..bytes.len() / 2 + 7];
    let ev = rdpdoctor_capture::read(cut, "cut.pcap").unwrap();
    let note = ev.note.unwrap();
    assert!(note.starts_with("cut.pcap: "), "{note}");
    assert!(!note.contains('\n'));
    assert_eq!(ev.connections.len(), 2);
    assert_eq!(
        ev.connections[0]
            .confirm
            .as_ref()
            .unwrap()
            .failure
            .as_deref(),
        Some("SSL_NOT_ALLOWED_BY_SERVER")
    );
    // Every cut of the first 4 KiB: never a panic.
    for n in 0..4096.min(bytes.len()) {
        let _ = rdpdoctor_capture::read(&bytes[..n], "x.pcap");
    }
}

#[test]
fn a_file_that_is_not_a_capture_is_refused() {
    assert!(rdpdoctor_capture::read(&b"regf...."[..], "x").is_err());
    assert!(rdpdoctor_capture::read(&b""[..], "x").is_err());
}

/// Each ClientHello's port, SNI, cipher suites and client_version, by tshark
/// (the TLS after the Connection Confirm read as TLS).
fn tshark_client_hellos(pcap_name: &str) -> Vec<(String, String, String, String)> {
    let fields = [
        "tcp.srcport",
        "tls.handshake.extensions_server_name",
        "tls.handshake.ciphersuite",
        "tls.handshake.version",
    ];
    pcap::tshark_handshakes(pcap_name, 1, &fields)
        .into_iter()
        .map(|c| (c[0].clone(), c[1].clone(), c[2].clone(), c[3].clone()))
        .collect()
}

#[test]
fn every_client_hello_matches_tshark() {
    for pcap in ["zeek-rdp-to-ssl.pcap", "zeek-rdp-no-cookie-mstshash.pcap"] {
        let ev = read(pcap);
        let by_tshark = tshark_client_hellos(pcap);
        assert_eq!(ev.connections.len(), by_tshark.len(), "{pcap}");
        for (c, (port, sni, suites, version)) in ev.connections.iter().zip(&by_tshark) {
            let tls = c.tls.as_ref().unwrap();
            assert!(
                c.client.ends_with(&format!(":{port}")),
                "{pcap}: {}",
                c.client
            );
            assert_eq!(tls.server_name.clone().unwrap_or_default(), *sni, "{pcap}");
            assert_eq!(tls.client_cipher_suites.join(","), *suites, "{pcap}");
            // Without supported_versions, the offer is TLS 1.0 up to client_version.
            let top = match version.as_str() {
                "0x0301" => "tls1.0",
                "0x0303" => "tls1.2",
                other => panic!("{pcap}: client_version {other}"),
            };
            assert_eq!(
                tls.client_versions.last().map(String::as_str),
                Some(top),
                "{pcap}"
            );
        }
    }
}

// The client's side in the clear: under Standard RDP Security the Connect
// Initial carries the client's Core Data ([MS-RDPBCGR 2.2.1.3.2]) and
// Security Data ([2.2.1.3.3]) unencrypted; compared with Zeek's rdp.log
// (`client_build`, `client_name`, `client_dig_product_id`, `desktop_width`,
// `desktop_height`, `requested_color_depth`, `keyboard_layout`,
// `client_channels`) and Zeek's `rdp_client_security_data` event output.

/// Zeek's names of mstsc builds (its `RDP::builds`, which names the mstsc
/// release each Windows build shipped), for the builds in these captures.
fn zeek_build(build: u32) -> String {
    match build {
        6000 => "RDP 6.0".into(),
        7601 => "RDP 7.1".into(),
        9600 => "RDP 8.1".into(),
        n => format!("client_build-{n}"),
    }
}

/// Zeek's keyboard layout: its name for the layouts here, or its guess
/// line carrying the number.
fn zeek_keyboard(layout: u32, logged: &str) -> bool {
    match layout {
        1033 => logged == "English - United States",
        n => logged.ends_with(&format!("(Best Guess for {n})")),
    }
}

#[test]
fn the_client_core_data_matches_zeeks_rdp_log_field_by_field() {
    let mut checked = 0;
    for pcap in RDP_CAPTURES {
        let ev = read(&format!("{pcap}.pcap"));
        let rows = log(&format!("{pcap}.rdp.log"));
        for (c, row) in ev.connections.iter().zip(&rows) {
            let at = format!("{pcap} {}", c.client);
            let core = c
                .standard_security
                .as_ref()
                .and_then(|s| s.client_core.as_ref());
            let Some(core) = core else {
                // Under TLS the Core Data is encrypted: Zeek has none either.
                assert_eq!(row["client_build"], "-", "{at}");
                assert_eq!(row["client_name"], "-", "{at}");
                continue;
            };
            checked += 1;
            assert_eq!(
                zeek_build(core.client_build.unwrap()),
                row["client_build"],
                "{at}"
            );
            assert_eq!(
                core.client_name.as_deref(),
                Some(row["client_name"].as_str()),
                "{at}"
            );
            let product = core.client_dig_product_id.as_deref().unwrap_or("");
            let product = if product.is_empty() {
                "(empty)"
            } else {
                product
            };
            assert_eq!(product, row["client_dig_product_id"], "{at}");
            assert_eq!(core.desktop_width.to_string(), row["desktop_width"], "{at}");
            assert_eq!(
                core.desktop_height.to_string(),
                row["desktop_height"],
                "{at}"
            );
            let depth = core.color_depth.map(|d| format!("{d}bit"));
            assert_eq!(
                depth.as_deref(),
                Some(row["requested_color_depth"].as_str()),
                "{at}"
            );
            assert!(
                zeek_keyboard(core.keyboard_layout.unwrap(), &row["keyboard_layout"]),
                "{at}: {:?} against {}",
                core.keyboard_layout,
                row["keyboard_layout"]
            );
            assert_eq!(core.channels.join(","), row["client_channels"], "{at}");
            // The build named as a Windows release from the one table.
            assert!(core.windows_release.is_some(), "{at}");
        }
    }
    // Standard RDP Security connections: proprietary-encryption's second,
    // x509's, unknown-keyboard's.
    assert_eq!(checked, 3);
}

#[test]
fn the_client_security_data_matches_zeeks_event() {
    // Zeek: `rdp_client_security_data, [encryption_methods=27, ...]` with
    // the 40-bit, 128-bit and 56-bit flags set (27 = 0x1b: FIPS too).
    let ev = read("zeek-rdp-proprietary-encryption.pcap");
    let expected = std::fs::read_to_string(
        dir().join("expected/zeek-rdp-proprietary-encryption.rdp-client-security-data.out"),
    )
    .unwrap();
    assert!(expected.contains("encryption_methods=27"), "{expected}");
    let sec = ev.connections[1].standard_security.as_ref().unwrap();
    assert_eq!(
        sec.client_encryption_methods,
        ["40bit", "128bit", "56bit", "fips"]
    );
    let core = sec.client_core.as_ref().unwrap();
    assert_eq!(core.client_build, Some(6000));
    assert_eq!(core.windows_release.as_deref(), Some("Windows Vista"));
}

#[test]
fn skimming_a_seekable_capture_reads_the_same_as_reading_it_all() {
    // `read_seekable` skips the packets of flows that are not RDP after
    // their headers; what it reports must be what reading every byte does,
    // for every capture, whole and cut anywhere.
    let mut names: Vec<String> = RDP_CAPTURES.iter().map(|p| format!("{p}.pcap")).collect();
    names.extend(["fail", "success"].map(|s| format!("zeek-rdpeudp-handshake-{s}.pcap")));
    let opts = rdpdoctor_capture::Options::default();
    for name in &names {
        let bytes = std::fs::read(dir().join(name)).unwrap();
        for cut in [bytes.len(), bytes.len() * 3 / 4, bytes.len() / 2, 100, 30] {
            let part = &bytes[..cut];
            let all = rdpdoctor_capture::read_with(part, name, &opts);
            let skimmed = rdpdoctor_capture::read_seekable(std::io::Cursor::new(part), name, &opts);
            assert_eq!(skimmed, all, "{name} cut at {cut}");
        }
    }
}

/// The same on a large capture of one's own (`bench/capture.sh` keeps its
/// file with `KEEP=1`): `RDPDOCTOR_BIG_CAPTURE=FILE cargo test -p
/// rdpdoctor-wire --test capture_evidence -- --ignored skimming_a_large`.
#[test]
#[ignore = "reads RDPDOCTOR_BIG_CAPTURE when set: a large capture (bench/capture.sh, KEEP=1)"]
fn skimming_a_large_capture_reads_the_same_as_reading_it_all() {
    // Without a large capture of one's own (the lab run), the largest of
    // Zeek's, read from its file as `inspect` reads one.
    let path = std::env::var("RDPDOCTOR_BIG_CAPTURE").unwrap_or_else(|_| {
        dir()
            .join("zeek-rdp-proprietary-encryption.pcap")
            .to_string_lossy()
            .into_owned()
    });
    let opts = rdpdoctor_capture::Options::default();
    let open = || std::io::BufReader::new(std::fs::File::open(&path).unwrap());
    let t = std::time::Instant::now();
    let all = rdpdoctor_capture::read_with(open(), &path, &opts).unwrap();
    let whole = t.elapsed();
    let t = std::time::Instant::now();
    let skimmed = rdpdoctor_capture::read_seekable(open(), &path, &opts).unwrap();
    // The figures bench/capture.sh's notes quote (run with --release --nocapture).
    println!(
        "read whole: {:.3} s, skimmed: {:.3} s",
        whole.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );
    if std::env::var_os("RDPDOCTOR_BIG_CAPTURE").is_some() {
        assert!(all.connections.len() > 100, "{}", all.connections.len());
    }
    assert!(!all.connections.is_empty());
    assert_eq!(skimmed, all);
}
