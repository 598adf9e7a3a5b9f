//! `rdpdoctor probe` against real Windows servers' recorded bytes, replayed
//! on 127.0.0.1 (Zeek's captures in `shared/fixtures/pcap`, see its
//! README.md): a small server per test answers the probe's requests with
//! what the recorded server sent, and with the same wire codecs where the
//! recording ends or cannot be replayed (keys differ).
//!
//! - `rdp-x509.pcap`: Standard RDP Security with an X.509 chain whose leaf
//!   labels its RSA key md5WithRSAEncryption. Replayed: the Connection
//!   Confirm and the MCS Connect Response (the recording ends there), then,
//!   like the emulator's `rdp-security-only`, the Attach User and Channel
//!   Join Confirms and a close after the Security Exchange.
//! - `rdp-to-ssl.pcap`: Windows Server 2008 R2, TLS 1.0 only, a ServerHello
//!   without renegotiation_info. Replayed: the Connection Confirm and the
//!   server's first TLS flight (ServerHello, Certificate, ServerHelloDone);
//!   the handshake cannot finish (the server's private key is not in the
//!   capture), so the proof is that the client answers the recorded
//!   ServerHello with its ClientKeyExchange. A whole handshake with a
//!   ServerHello without renegotiation_info is tested against gnutls-serv
//!   (`%DISABLE_SAFE_RENEGOTIATION`, TLS 1.0 only): OpenSSL-based servers
//!   always send the extension.

#![cfg(feature = "openssl")]

use rdpdoctor_testkit::run as common;
#[path = "../../rdpdoctor-wire/tests/pcap/mod.rs"]
mod pcap;

use rdpdoctor_wire::{mcs, tls, tpkt, x224};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Reads one TPKT frame, or `None` when the peer is gone.
fn read_tpkt(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut frame = vec![0u8; 4];
    s.read_exact(&mut frame).ok()?;
    let len = tpkt::declared_len(&frame).ok()??;
    frame.resize(len.max(4), 0);
    s.read_exact(&mut frame[4..]).ok()?;
    Some(frame)
}

/// Reads one TLS record, or `None` when the peer is gone.
fn read_tls_record(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut record = vec![0u8; 5];
    s.read_exact(&mut record).ok()?;
    let len = rdpdoctor_wire::frame::tls_record_len(&record).ok()??;
    record.resize(len, 0);
    s.read_exact(&mut record[5..]).ok()?;
    Some(record)
}

/// Serves each connection to 127.0.0.1 on its own thread, for the test's life.
fn serve(script: impl Fn(TcpStream) + Send + Sync + 'static) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let script = Arc::new(script);
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let script = script.clone();
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                script(s)
            });
        }
    });
    addr
}

/// `rdpdoctor probe ADDR --format FORMAT`, with short deadlines.
fn probe_as(addr: SocketAddr, format: &str) -> std::process::Output {
    let target = addr.to_string();
    common::run(
        false,
        &[
            "probe",
            &target,
            "--format",
            format,
            "--timeout",
            "2",
            "--samples",
            "1",
            "--no-reverse-dns",
        ],
    )
    .0
}

/// The text report.
fn probe_text(addr: SocketAddr) -> String {
    String::from_utf8(probe_as(addr, "text").stdout).unwrap()
}

/// The JSON report.
fn probe(addr: SocketAddr) -> Value {
    let out = probe_as(addr, "json");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn tls_version<'a>(report: &'a Value, version: &str) -> &'a Value {
    report["tls"]["versions"]
        .as_array()
        .expect("tls.versions")
        .iter()
        .find(|v| v["version"] == version)
        .expect("the version's row")
}

fn finding_ids(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

// ------------------------------------------------------------------ X.509

/// The recorded Connect Response with `encryptionMethod` set to the
/// strongest method of `offered` (what a Windows server at level Client
/// Compatible picks), or `None` when none of 40/56/128-bit is offered.
fn connect_response_for(recorded: &[u8], offered: u32) -> Option<Vec<u8>> {
    use mcs::encryption_method as em;
    let method = [em::BIT_128, em::BIT_56, em::BIT_40]
        .into_iter()
        .find(|m| offered & m != 0)?;
    let sec = mcs::decode_connect_response(recorded)
        .unwrap()
        .server_security
        .unwrap();
    // TS_UD_SC_SEC1: header (type 0x0C02, length), encryptionMethod, encryptionLevel.
    let at = recorded
        .windows(12)
        .position(|w| {
            w[..2] == [0x02, 0x0C]
                && w[4..8] == sec.encryption_method.to_le_bytes()
                && w[8..12] == sec.encryption_level.to_le_bytes()
        })
        .expect("the security block");
    let mut frame = recorded.to_vec();
    frame[at + 4..at + 8].copy_from_slice(&method.to_le_bytes());
    Some(frame)
}

#[test]
fn x509_server_with_an_md5_with_rsa_labelled_key_is_one_clients_connect_to() {
    let conn = pcap::connections("zeek-rdp-x509.pcap").remove(0);
    let frames = pcap::tpkt_frames(&conn.server);
    let (cc, response) = (frames[0].clone(), frames[1].clone());
    let addr = serve(move |mut s| {
        let Some(cr) = read_tpkt(&mut s) else { return };
        let Ok(cr) = x224::decode_connection_request(&cr) else {
            return;
        };
        // The recorded server selected RDP; like Windows with Standard RDP
        // Security only, it refuses SSL (SSL_NOT_ALLOWED_BY_SERVER, as in
        // rdp-proprietary-encryption.pcap) and answers a legacy request
        // without negotiation data.
        let answer = match cr.requested_protocols {
            Some(0) => cc.clone(),
            Some(_) => x224::encode_connection_confirm(&x224::ConnectionConfirm::Failure {
                code: x224::failure_code::SSL_NOT_ALLOWED_BY_SERVER,
            }),
            None => x224::encode_connection_confirm(&x224::ConnectionConfirm::NoNegotiationData),
        };
        if s.write_all(&answer).is_err() || cr.requested_protocols.is_some_and(|p| p != 0) {
            return;
        }
        let Some(ci) = read_tpkt(&mut s) else { return };
        let Ok(ci) = mcs::decode_connect_initial(&ci) else {
            return;
        };
        let Some(resp) = connect_response_for(&response, ci.encryption_methods) else {
            return;
        };
        if s.write_all(&resp).is_err() {
            return;
        }
        // Erect Domain, Attach User, Channel Joins; then the Security
        // Exchange, at which this server closes (the emulator's
        // rdp-security-only reads the Client Info before it closes).
        const USER: u16 = 1007;
        while let Some(frame) = read_tpkt(&mut s) {
            let reply = if mcs::decode_erect_domain_request(&frame).is_ok() {
                continue;
            } else if mcs::decode_attach_user_request(&frame).is_ok() {
                mcs::encode_attach_user_confirm(USER)
            } else if let Ok((user, channel)) = mcs::decode_channel_join_request(&frame) {
                mcs::encode_channel_join_confirm(user, channel)
            } else {
                return;
            };
            if s.write_all(&reply).is_err() {
                return;
            }
        }
    });
    let report = probe(addr);
    let text = report.to_string();
    assert!(
        !text.contains("is not RSA"),
        "the recorded leaf's key is read as RSA: {}",
        report["deep"]
    );
    let rdp = &report["rdp_security"];
    assert_eq!(rdp["server_certificate"], "x509");
    // x509.log: the leaf's key is 512 bits; rdp.log: cert_permanent F.
    assert_eq!(rdp["server_key_bits"], 512, "{rdp}");
    assert_eq!(rdp["server_certificate_permanent"], false, "{rdp}");
    assert_eq!(rdp["encryption_level"], "client-compatible");
    // The deep probe sent the client random under the recorded key.
    let deep = &report["deep"];
    let phases = [
        "security-exchange",
        "client-info",
        "licensing",
        "demand-active",
    ];
    assert!(
        phases.contains(&deep["phase_reached"].as_str().unwrap_or_default()),
        "{deep}"
    );
    assert!(
        !finding_ids(&report).contains(&"connection-sequence-failed".to_owned()),
        "{:?}",
        finding_ids(&report)
    );
    assert_ne!(
        report["verdict"], "no-client-connects",
        "{}",
        report["head"]
    );
    let text = probe_text(addr);
    assert!(
        text.contains("certificate X.509 chain · RSA 512 bits · temporary"),
        "{text}"
    );
}

// ------------------------------------------------------------------ TLS 1.0, 2008 R2

/// Answers an X.224 request as the recorded 2008 R2 did (NLA required):
/// HYBRID when asked (the recorded Confirm), SSL when only that is asked,
/// HYBRID_REQUIRED_BY_SERVER otherwise. `Some(())` when TLS follows.
fn answer_as_2008_r2(s: &mut TcpStream, recorded_cc: &[u8]) -> Option<()> {
    let cr = x224::decode_connection_request(&read_tpkt(s)?).ok()?;
    let requested = cr.requested_protocols.unwrap_or(0);
    let answer = if requested & x224::protocol::HYBRID != 0 {
        recorded_cc.to_vec()
    } else if requested & x224::protocol::SSL != 0 {
        x224::encode_connection_confirm(&x224::ConnectionConfirm::Response {
            selected_protocol: x224::protocol::SSL,
            flags: 0,
        })
    } else {
        x224::encode_connection_confirm(&x224::ConnectionConfirm::Failure {
            code: x224::failure_code::HYBRID_REQUIRED_BY_SERVER,
        })
    };
    s.write_all(&answer).ok()?;
    (requested & (x224::protocol::HYBRID | x224::protocol::SSL) != 0).then_some(())
}

#[test]
fn windows_2008_r2_tls_1_0_server_hello_without_renegotiation_info_is_answered() {
    let conn = pcap::connections("zeek-rdp-to-ssl.pcap").remove(0);
    let cc = pcap::tpkt_frames(&conn.server).remove(0);
    // The server's first TLS flight: the records up to ServerHelloDone
    // (the ones before the client's ClientKeyExchange).
    let tls_bytes = conn.server[cc.len()..].to_vec();
    let hello = tls::decode_server_hello(&tls_bytes).unwrap();
    assert!(!hello.secure_renegotiation(), "the recording is the case");
    let mut flight = Vec::new();
    let mut rest = &tls_bytes[..];
    while let Ok(Some(len)) = rdpdoctor_wire::frame::tls_record_len(rest) {
        let (record, tail) = rest.split_at(len);
        flight.extend_from_slice(record);
        rest = tail;
        // ServerHelloDone (type 14, empty) ends the flight.
        if record[0] == 22 && record.ends_with(&[14, 0, 0, 0]) {
            break;
        }
    }
    let key_exchanges = Arc::new(AtomicUsize::new(0));
    let seen = key_exchanges.clone();
    let addr = serve(move |mut s| {
        if answer_as_2008_r2(&mut s, &cc).is_none() {
            return;
        }
        // Whatever the ClientHello offers, the recorded server answers
        // with its TLS 1.0 flight; a TLS 1.2 client then gives up.
        if read_tls_record(&mut s).is_none() || s.write_all(&flight).is_err() {
            return;
        }
        // A client that accepted the ServerHello and the certificate sends
        // its ClientKeyExchange (handshake type 16) next.
        if let Some(record) = read_tls_record(&mut s)
            && record[0] == 22
            && record.get(5) == Some(&16)
        {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    });
    let report = probe(addr);
    let v10 = tls_version(&report, "tls1.0");
    assert!(
        !v10["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("unsafe legacy renegotiation"),
        "{v10}"
    );
    assert_eq!(v10["secure_renegotiation"], false, "{v10}");
    assert!(
        key_exchanges.load(Ordering::SeqCst) >= 1,
        "no client answered the recorded ServerHello with a ClientKeyExchange: {v10}"
    );
}

/// gnutls-serv on 127.0.0.1, TLS 1.0 only with TLS_RSA_WITH_AES_128_CBC_SHA
/// (the recorded 2008 R2's suite), without secure renegotiation. Killed on drop.
struct GnutlsServ {
    child: std::process::Child,
    addr: SocketAddr,
    _dir: std::path::PathBuf,
}

impl Drop for GnutlsServ {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn gnutls_serv() -> GnutlsServ {
    use std::process::{Command, Stdio};
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("gnutls-2008r2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        ])
        .args(["-subj", "/CN=WIN2K8R2.replay.test", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(made.success());
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("gnutls-serv")
        .args(["--port", &port.to_string(), "--echo", "--x509certfile"])
        .arg(&cert)
        .arg("--x509keyfile")
        .arg(&key)
        .args([
            "--priority",
            "NONE:+VERS-TLS1.0:+AES-128-CBC:+RSA:+SHA1:+COMP-NULL:+SIGN-ALL:%DISABLE_SAFE_RENEGOTIATION",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gnutls-serv runs (Debian package gnutls-bin, in lab/install.sh)");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    for _ in 0..100 {
        if TcpStream::connect(addr).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    GnutlsServ {
        child,
        addr,
        _dir: dir,
    }
}

#[test]
fn a_tls_1_0_server_without_secure_renegotiation_completes_the_handshake() {
    let conn = pcap::connections("zeek-rdp-to-ssl.pcap").remove(0);
    let cc = pcap::tpkt_frames(&conn.server).remove(0);
    let gnutls = gnutls_serv();
    let backend = gnutls.addr;
    // The recorded server's X.224 answers, then the TLS bytes relayed as
    // they are to gnutls-serv.
    let addr = serve(move |mut s| {
        if answer_as_2008_r2(&mut s, &cc).is_none() {
            return;
        }
        let Ok(mut b) = TcpStream::connect(backend) else {
            return;
        };
        let (mut s2, mut b2) = (s.try_clone().unwrap(), b.try_clone().unwrap());
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut b2, &mut s2);
            let _ = s2.shutdown(std::net::Shutdown::Both);
        });
        let _ = std::io::copy(&mut s, &mut b);
        let _ = b.shutdown(std::net::Shutdown::Both);
    });
    let report = probe(addr);
    let v10 = tls_version(&report, "tls1.0");
    assert_eq!(v10["accepted"], true, "{v10}");
    assert_eq!(v10["cipher_suite"], "AES128-SHA", "{v10}");
    assert_eq!(v10["secure_renegotiation"], false, "{v10}");
    for v in ["tls1.1", "tls1.2", "tls1.3"] {
        assert_eq!(tls_version(&report, v)["accepted"], false, "{v}");
    }
    // The certificate was seen (through the TLS 1.0 handshake).
    assert_eq!(
        report["certificate"]["subject"], "CN=WIN2K8R2.replay.test",
        "{}",
        report["certificate"]
    );
    assert!(
        finding_ids(&report).contains(&"tls-legacy-only".to_owned()),
        "{:?}",
        finding_ids(&report)
    );
    let text = probe_text(addr);
    assert!(
        text.lines().any(|l| l.contains("TLSv1.0")
            && l.contains("accepted")
            && l.contains("no secure renegotiation (RFC 5746)")),
        "{text}"
    );
    drop(gnutls);
}
