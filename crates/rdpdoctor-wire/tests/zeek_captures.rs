//! The wire decoders on bytes recorded from real Windows servers: Zeek's RDP
//! captures (`shared/fixtures/pcap`, see its README.md and SOURCES.tsv),
//! each server's TCP payload reassembled and fed to the decoders, every fact
//! compared field by field with the log Zeek's own tests expect from the same
//! capture (`expected/*.log`), and, where Zeek logs nothing, with tshark.

mod pcap;

use rdpdoctor_wire::{cert, mcs, tls, x224};
use std::collections::BTreeMap;

/// The Connection Confirm and the frames after it, for one connection.
fn server_frames(c: &pcap::Connection) -> (x224::ConnectionConfirm, Vec<Vec<u8>>) {
    let mut frames = pcap::tpkt_frames(&c.server);
    assert!(!frames.is_empty(), "port {}: no TPKT frame", c.client_port);
    let cc = x224::decode_connection_confirm(&frames.remove(0)).expect("a Connection Confirm");
    (cc, frames)
}

/// Zeek's `security_protocol` / `result` for a Connection Confirm.
fn zeek_negotiation(cc: &x224::ConnectionConfirm) -> (String, String) {
    match *cc {
        x224::ConnectionConfirm::Response {
            selected_protocol, ..
        } => (
            x224::protocol_names(selected_protocol).join(","),
            "-".into(),
        ),
        x224::ConnectionConfirm::Failure { code } => (
            "-".into(),
            x224::failure_code_name(code).unwrap_or("?").into(),
        ),
        x224::ConnectionConfirm::NoNegotiationData => ("RDP".into(), "-".into()),
    }
}

/// Zeek's names for the encryption level and method (its `RDP::encryption_levels`
/// and `encryption_methods` tables), from ours.
fn zeek_level(level: u32) -> &'static str {
    match mcs::encryption_level_name(level) {
        "NONE" => "None",
        "LOW" => "Low",
        "CLIENT_COMPATIBLE" => "Client compatible",
        "HIGH" => "High",
        "FIPS" => "FIPS",
        other => panic!("level {other}"),
    }
}

fn zeek_method(method: u32) -> String {
    mcs::encryption_method_names(method)
        .iter()
        .map(|m| m.to_lowercase())
        .collect::<Vec<_>>()
        .join(",")
}

/// Standard RDP Security facts as Zeek's rdp.log has them: `cert_type`,
/// `cert_count`, `cert_permanent`, `encryption_level`, `encryption_method`.
fn zeek_security(sec: &mcs::ServerSecurity) -> [String; 5] {
    let (cert_type, count) = match &sec.server_certificate {
        Some(mcs::ServerCertificate::Proprietary { .. }) => ("RSA", 1),
        Some(mcs::ServerCertificate::X509 { chain }) => ("X.509", chain.len()),
        _ => ("-", 0),
    };
    let permanent = match sec.server_certificate_permanent {
        Some(true) => "T",
        Some(false) => "F",
        None => "-",
    };
    [
        cert_type.into(),
        count.to_string(),
        permanent.into(),
        zeek_level(sec.encryption_level).into(),
        zeek_method(sec.encryption_method),
    ]
}

fn logged(row: &BTreeMap<String, String>, fields: &[&str]) -> Vec<String> {
    fields.iter().map(|f| row[*f].clone()).collect()
}

const SECURITY_FIELDS: [&str; 5] = [
    "cert_type",
    "cert_count",
    "cert_permanent",
    "encryption_level",
    "encryption_method",
];

/// The Windows server whose X.509 chain (a Terminal Services licensing
/// certificate) labels the leaf's key md5WithRSAEncryption. Before: "invalid
/// X.509 server certificate: its key is not RSA", so the deep probe could
/// not send the client random and said no client connects.
#[test]
fn x509_chain_with_an_md5_with_rsa_labelled_key() {
    let conns = pcap::connections("zeek-rdp-x509.pcap");
    let rdp = pcap::zeek_log("zeek-rdp-x509.rdp.log");
    assert_eq!(conns.len(), rdp.len(), "one rdp.log row per connection");
    let (cc, frames) = server_frames(&conns[0]);
    assert_eq!(
        zeek_negotiation(&cc).0,
        rdp[0]["security_protocol"],
        "selected protocol"
    );
    let resp = mcs::decode_connect_response(&frames[0]).expect("the Connect Response");
    let sec = resp.server_security.expect("security data");
    assert_eq!(
        Vec::from(zeek_security(&sec)),
        logged(&rdp[0], &SECURITY_FIELDS),
        "{SECURITY_FIELDS:?}"
    );

    // Each certificate of the chain, in wire order (root first), against
    // x509.log: fingerprint, key type, key length, exponent.
    let Some(mcs::ServerCertificate::X509 { chain }) = &sec.server_certificate else {
        panic!("an X.509 chain")
    };
    let x509 = pcap::zeek_log("zeek-rdp-x509.x509.log");
    assert_eq!(chain.len(), x509.len());
    for (der, row) in chain.iter().zip(&x509) {
        let info = cert::analyze(der).expect("the certificate decodes");
        assert_eq!(info.sha256_fingerprint.to_lowercase(), row["fingerprint"]);
        assert_eq!(info.key_type.to_lowercase(), row["certificate.key_type"]);
        assert_eq!(
            info.key_bits.map(|b| b.to_string()),
            Some(row["certificate.key_length"].clone()),
            "{}",
            row["certificate.subject"]
        );
    }
    assert_eq!(
        x509.last().unwrap()["certificate.key_alg"],
        "md5WithRSAEncryption",
        "the leaf is the one with the unusual label"
    );

    // The key Standard RDP Security encrypts the client random with: the
    // leaf's, read as mstsc reads it.
    let leaf = x509.last().unwrap();
    assert_eq!(
        sec.server_certificate.as_ref().unwrap().public_key_bits(),
        leaf["certificate.key_length"].parse().ok()
    );
    let keying = mcs::decode_server_keying(&frames[0])
        .expect("the keying material decodes (it did not: \"its key is not RSA\")")
        .expect("a security block");
    let key = keying.public_key.expect("the leaf's RSA key");
    assert_eq!(key.modulus.len() * 8, 512);
    let exponent = key
        .exponent
        .iter()
        .fold(0u64, |e, b| e << 8 | u64::from(*b));
    assert_eq!(exponent.to_string(), leaf["certificate.exponent"]);
    assert_eq!(keying.server_random.len(), 32);
}

/// A Windows server that refuses SSL, then serves Standard RDP Security with
/// a permanent proprietary certificate.
#[test]
fn proprietary_certificate_and_a_refused_ssl_request() {
    let conns = pcap::connections("zeek-rdp-proprietary-encryption.pcap");
    let rdp = pcap::zeek_log("zeek-rdp-proprietary-encryption.rdp.log");
    assert_eq!(conns.len(), rdp.len());
    let (cc, _) = server_frames(&conns[0]);
    assert_eq!(zeek_negotiation(&cc).1, rdp[0]["result"]);
    let (cc, frames) = server_frames(&conns[1]);
    assert_eq!(zeek_negotiation(&cc).0, rdp[1]["security_protocol"]);
    let sec = mcs::decode_connect_response(&frames[0])
        .unwrap()
        .server_security
        .unwrap();
    assert_eq!(
        Vec::from(zeek_security(&sec)),
        logged(&rdp[1], &SECURITY_FIELDS),
        "{SECURITY_FIELDS:?}"
    );
    let keying = mcs::decode_server_keying(&frames[0]).unwrap().unwrap();
    let bits = sec.server_certificate.unwrap().public_key_bits();
    assert_eq!(bits, Some(512), "SOURCES.tsv: a 512-bit proprietary key");
    assert_eq!(keying.public_key.unwrap().modulus.len() * 8, 512);
}

/// The ServerHello of each TLS connection against ssl.log's version and
/// cipher, and its extensions against tshark's reading of the same capture.
fn server_hellos(pcap_name: &str, log: &str) -> Vec<tls::ServerHello> {
    let conns = pcap::connections(pcap_name);
    let ssl = pcap::zeek_log(log);
    assert_eq!(conns.len(), ssl.len());
    conns
        .iter()
        .zip(&ssl)
        .map(|(c, row)| {
            let cc_len: usize = pcap::tpkt_frames(&c.server)[..1].iter().map(Vec::len).sum();
            let hello = tls::decode_server_hello(&c.server[cc_len..]).expect("a ServerHello");
            let version = match hello.version {
                0x0301 => "TLSv10",
                0x0302 => "TLSv11",
                0x0303 => "TLSv12",
                other => panic!("version {other:#06x}"),
            };
            assert_eq!(version, row["version"]);
            assert_eq!(
                cipher_name(hello.cipher_suite),
                row["cipher"],
                "{:#06x}",
                hello.cipher_suite
            );
            hello
        })
        .collect()
}

/// IANA names of the suites these captures use.
fn cipher_name(suite: u16) -> &'static str {
    match suite {
        0x002F => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x009D => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        _ => "another suite",
    }
}

/// The extension types of every ServerHello in a capture, by tshark.
fn tshark_server_hello_extensions(pcap_name: &str) -> Vec<Vec<u16>> {
    pcap::tshark_handshakes(
        pcap_name,
        2,
        &["frame.number", "tls.handshake.extension.type"],
    )
    .into_iter()
    .map(|c| {
        c.get(1)
            .map(String::as_str)
            .unwrap_or_default()
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| t.parse().expect("an extension type"))
            .collect()
    })
    .collect()
}

/// Windows Server 2008 R2, TLS 1.0 only: a ServerHello without extensions,
/// so without renegotiation_info (what OpenSSL 3 refuses by default).
#[test]
fn windows_2008_r2_server_hello_has_no_renegotiation_info() {
    let hellos = server_hellos("zeek-rdp-to-ssl.pcap", "zeek-rdp-to-ssl.ssl.log");
    assert_eq!(hellos.len(), 2);
    for h in &hellos {
        assert!(h.extensions.is_empty(), "{:?}", h.extensions);
        assert!(!h.secure_renegotiation());
    }
    let by_tshark = tshark_server_hello_extensions("zeek-rdp-to-ssl.pcap");
    let ours: Vec<Vec<u16>> = hellos.iter().map(|h| h.extensions.clone()).collect();
    assert_eq!(ours, by_tshark);
}

/// A TLS 1.2 Windows server (HYBRID_EX selected): its ServerHello's
/// extensions as tshark reads them, renegotiation_info among them or not.
#[test]
fn tls_1_2_server_hello_extensions_match_tshark() {
    let hellos = server_hellos(
        "zeek-rdp-no-cookie-mstshash.pcap",
        "zeek-rdp-no-cookie-mstshash.ssl.log",
    );
    let by_tshark = tshark_server_hello_extensions("zeek-rdp-no-cookie-mstshash.pcap");
    let ours: Vec<Vec<u16>> = hellos.iter().map(|h| h.extensions.clone()).collect();
    assert_eq!(ours, by_tshark);
    for (h, t) in hellos.iter().zip(&by_tshark) {
        assert_eq!(
            h.secure_renegotiation(),
            t.contains(&tls::RENEGOTIATION_INFO)
        );
    }
    let rdp = pcap::zeek_log("zeek-rdp-no-cookie-mstshash.rdp.log");
    let (cc, _) = server_frames(&pcap::connections("zeek-rdp-no-cookie-mstshash.pcap")[0]);
    assert_eq!(zeek_negotiation(&cc).0, rdp[0]["security_protocol"]);
}
