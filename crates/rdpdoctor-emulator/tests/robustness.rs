//! The emulator against misbehaving clients: truncated, garbage and foreign
//! PDUs, silence, floods of connections. Each case must end in a clean close
//! within the read timeout, and the listener must still answer a valid
//! client correctly afterwards. Loopback only.

use rdpdoctor_emulator::{Fault, FaultConfig, RunningEmulator, spawn};
use rdpdoctor_testkit::rng::XorShift;
use rdpdoctor_wire::x224::{self, ConnectionConfirm, failure_code, protocol};
use rdpdoctor_wire::{credssp, mcs, ntlm, tpkt};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

const READ_TIMEOUT: Duration = Duration::from_millis(400);

async fn start(fault: Fault) -> RunningEmulator {
    let mut cfg = FaultConfig::new(fault);
    cfg.read_timeout = READ_TIMEOUT;
    cfg.hold = Duration::from_secs(2);
    spawn(cfg, "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn cr(requested: Option<u32>) -> Vec<u8> {
    x224::encode_connection_request(requested, Some("Cookie: mstshash=test"))
}

/// Reads one TPKT frame (5 s at most).
async fn read_tpkt<S: AsyncRead + Unpin>(s: &mut S) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(Some(n)) = tpkt::frame_len(&buf) {
            return Some(buf[..n].to_vec());
        }
        let left = until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return None,
        }
    }
}

/// A valid client's X.224 exchange.
async fn negotiate(
    addr: SocketAddr,
    requested: Option<u32>,
) -> (Option<ConnectionConfirm>, TcpStream) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&cr(requested)).await.unwrap();
    let frame = read_tpkt(&mut s).await;
    (
        frame.and_then(|f| x224::decode_connection_confirm(&f).ok()),
        s,
    )
}

/// Sends `bytes` (then a FIN when `fin`) and returns how long the server
/// took to close, panicking if it answered with anything but silence and
/// a close within 3 s.
async fn closes_cleanly<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    bytes: &[u8],
    fin: bool,
    what: &str,
) -> Duration {
    let start = Instant::now();
    let _ = s.write_all(bytes).await;
    if fin {
        let _ = s.shutdown().await;
    }
    let mut got = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(3), s.read(&mut chunk)).await {
            Err(_) => panic!("{what}: the emulator kept the connection open past 3 s"),
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&chunk[..n]),
        }
    }
    assert!(
        got.is_empty(),
        "{what}: the emulator answered garbage with {got:02x?}"
    );
    start.elapsed()
}

async fn assert_still_healthy(addr: SocketAddr) {
    let (cc, stream) = negotiate(addr, Some(protocol::SSL | protocol::HYBRID)).await;
    assert_eq!(
        cc,
        Some(ConnectionConfirm::Response {
            selected_protocol: protocol::SSL,
            flags: 0x1F
        })
    );
    tls(stream).await;
    let (cc, _) = negotiate(addr, Some(protocol::RDP)).await;
    assert!(matches!(
        cc,
        Some(ConnectionConfirm::Response {
            selected_protocol: 0,
            ..
        })
    ));
}

#[derive(Debug)]
struct AnyCert;

impl rustls::client::danger::ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

async fn tls(tcp: TcpStream) -> tokio_rustls::client::TlsStream<TcpStream> {
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .dangerous()
    .with_custom_certificate_verifier(Arc::new(AnyCert))
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    tokio::time::timeout(Duration::from_secs(5), connector.connect(name, tcp))
        .await
        .expect("TLS handshake in time")
        .expect("TLS handshake")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_and_garbage_pdus_get_a_clean_close() {
    let emu = start(Fault::HealthyTls).await;
    let addr = emu.local_addr();
    let valid = cr(Some(protocol::SSL | protocol::HYBRID));
    let mut cases: Vec<(Vec<u8>, bool, String)> = Vec::new();
    for cut in 1..valid.len() {
        cases.push((
            valid[..cut].to_vec(),
            false,
            format!("prefix {cut} of a Connection Request"),
        ));
        cases.push((
            valid[..cut].to_vec(),
            true,
            format!("prefix {cut} of a Connection Request, then FIN"),
        ));
    }
    let mut rng = XorShift(0x5EED_1234_ABCD_0001);
    for i in 0..40 {
        let n = 1 + (rng.next() % 3000) as usize;
        cases.push((rng.bytes(n), i % 2 == 0, format!("{n} random bytes")));
    }
    // Random bodies in a plausible TPKT header.
    for _ in 0..20 {
        let n = 7 + (rng.next() % 200) as usize;
        let mut b = vec![3, 0, 0, n as u8];
        b.extend(rng.bytes(n - 4));
        cases.push((b, true, "a TPKT frame of random bytes".into()));
    }
    cases.push((
        b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec(),
        false,
        "an HTTP request".into(),
    ));
    cases.push((
        [
            &[
                0x16u8, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00, 0x3C, 0x03, 0x03,
            ][..],
            &[0xAA; 64][..],
        ]
        .concat(),
        false,
        "a TLS ClientHello without X.224".into(),
    ));
    cases.push((
        b"SSH-2.0-OpenSSH_9.2\r\n".to_vec(),
        false,
        "an SSH banner".into(),
    ));
    cases.push((
        vec![3, 0, 0xFF, 0xFF, 2, 0xE0],
        false,
        "a TPKT header announcing 65535 bytes".into(),
    ));
    cases.push((
        vec![3, 0, 0, 3],
        false,
        "a TPKT length below the X.224 header".into(),
    ));
    cases.push((
        x224::encode_connection_confirm(&ConnectionConfirm::NoNegotiationData),
        false,
        "a Connection Confirm".into(),
    ));
    let n = cases.len();
    let mut tasks = Vec::new();
    for (bytes, fin, what) in cases {
        tasks.push(tokio::spawn(async move {
            let s = TcpStream::connect(addr).await.unwrap();
            let took = closes_cleanly(s, &bytes, fin, &what).await;
            assert!(
                took < READ_TIMEOUT + Duration::from_secs(2),
                "{what}: {took:?}"
            );
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert!(n > 100);
    // Two Connection Requests at once: the first is answered, the second
    // (where a TLS ClientHello is due) ends the connection.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&[&valid[..], &valid[..]].concat())
        .await
        .unwrap();
    let cc = read_tpkt(&mut s)
        .await
        .expect("an answer to the first request");
    assert!(x224::decode_connection_confirm(&cc).is_ok());
    closes_cleanly(s, &[], false, "a second Connection Request").await;
    assert_still_healthy(addr).await;
    emu.shutdown().await;
}

#[tokio::test]
async fn a_client_dribbling_bytes_gets_no_more_time_than_a_silent_one() {
    let emu = start(Fault::HealthyTls).await;
    let mut s = TcpStream::connect(emu.local_addr()).await.unwrap();
    let start = Instant::now();
    // One byte of a valid request every 100 ms: never finishes within the timeout.
    let valid = cr(Some(protocol::SSL));
    let mut closed = false;
    for b in valid.iter().take(30) {
        if s.write_all(&[*b]).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut probe = [0u8; 1];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(1), s.read(&mut probe)).await
        {
            closed = true;
            break;
        }
    }
    assert!(
        closed,
        "a dribbling client was kept for {:?}",
        start.elapsed()
    );
    assert!(start.elapsed() < READ_TIMEOUT + Duration::from_secs(1));
    assert_still_healthy(emu.local_addr()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_after_tls_and_in_credssp_and_mcs() {
    // nla-required: TLS, then garbage or a broken TSRequest instead of NEGOTIATE.
    let emu = start(Fault::NlaRequired).await;
    let addr = emu.local_addr();
    let ts = credssp::encode_ts_request(6, &ntlm::encode_negotiate());
    let mut cases: Vec<(Vec<u8>, String)> = vec![
        (
            b"not DER at all".to_vec(),
            "text instead of a TSRequest".into(),
        ),
        (
            vec![0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF],
            "a TSRequest announcing 2 GiB".into(),
        ),
        (
            credssp::encode_ts_request(6, b"no ntlm here"),
            "a TSRequest without NTLM".into(),
        ),
        (
            credssp::encode_ts_request(6, &[&ntlm::SIGNATURE[..], &[3, 0, 0, 0]].concat()),
            "an AUTHENTICATE first".into(),
        ),
    ];
    for cut in (1..ts.len()).step_by(5) {
        cases.push((ts[..cut].to_vec(), format!("prefix {cut} of a TSRequest")));
    }
    for (bytes, what) in cases {
        let (cc, tcp) = negotiate(addr, Some(protocol::SSL | protocol::HYBRID)).await;
        assert!(matches!(
            cc,
            Some(ConnectionConfirm::Response {
                selected_protocol: protocol::HYBRID,
                ..
            })
        ));
        let t = tls(tcp).await;
        closes_cleanly(t, &bytes, false, &what).await;
    }
    // The listener still serves NLA: a NEGOTIATE gets a CHALLENGE.
    let (_, tcp) = negotiate(addr, Some(protocol::SSL | protocol::HYBRID)).await;
    let mut t = tls(tcp).await;
    t.write_all(&ts).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), t.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let reply = credssp::decode_ts_request(&buf[..n]).unwrap();
    assert_eq!(reply.version, 6);
    let challenge = ntlm::decode_challenge(&reply.nego_token.unwrap()).unwrap();
    assert_eq!(
        challenge.netbios_computer_name.as_deref(),
        Some("WIN-RDP01")
    );
    emu.shutdown().await;

    // healthy-tls: TLS, then truncated or broken MCS Connect Initials.
    let emu = start(Fault::HealthyTls).await;
    let addr = emu.local_addr();
    let ci = mcs::encode_connect_initial(&mcs::ConnectInitialOptions {
        encryption_methods: 0,
        selected_protocol: protocol::SSL,
        client_name: "test".into(),
        desktop_width: 1024,
        desktop_height: 768,
        channels: vec!["rdpdr".into()],
    });
    let mut cases: Vec<(Vec<u8>, String)> = Vec::new();
    for cut in (1..ci.len()).step_by(37) {
        cases.push((
            ci[..cut].to_vec(),
            format!("prefix {cut} of a Connect Initial"),
        ));
    }
    let mut broken = ci.clone();
    if let Some(at) = broken.windows(4).position(|w| w == b"Duca") {
        broken[at + 4] = 0x7F; // a user data length past the end
    }
    cases.push((broken, "a Connect Initial with a bad GCC length".into()));
    cases.push((
        x224::encode_connection_request(Some(1), None),
        "a second Connection Request".into(),
    ));
    for (bytes, what) in cases {
        let (_, tcp) = negotiate(addr, Some(protocol::SSL)).await;
        let t = tls(tcp).await;
        closes_cleanly(t, &bytes, false, &what).await;
    }
    assert_still_healthy(addr).await;
}

#[tokio::test]
async fn connections_beyond_the_cap_are_closed_and_the_cap_frees_up() {
    let mut cfg = FaultConfig::new(Fault::TlsRequired);
    cfg.read_timeout = READ_TIMEOUT;
    cfg.max_connections = 4;
    let emu = spawn(cfg, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = emu.local_addr();
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let extra = TcpStream::connect(addr).await.unwrap();
    let took = closes_cleanly(extra, &[], false, "a fifth connection").await;
    assert!(took < READ_TIMEOUT, "over the cap: closed after {took:?}");
    // Once the idle ones time out, a real client is served.
    tokio::time::sleep(READ_TIMEOUT + Duration::from_millis(200)).await;
    let (cc, _) = negotiate(addr, Some(protocol::RDP)).await;
    assert_eq!(
        cc,
        Some(ConnectionConfirm::Failure {
            code: failure_code::SSL_REQUIRED_BY_SERVER
        })
    );
}

#[tokio::test]
async fn every_fault_starts_and_answers_as_documented() {
    use protocol::*;
    for fault in Fault::ALL {
        if *fault == Fault::Tls10Only && !cfg!(feature = "openssl") {
            let err = spawn(FaultConfig::new(*fault), "127.0.0.1:0".parse().unwrap()).await;
            assert!(matches!(
                err,
                Err(rdpdoctor_emulator::Error::Unsupported(_))
            ));
            continue;
        }
        let emu = start(*fault).await;
        let addr = emu.local_addr();
        match fault {
            Fault::AcceptThenClose => {
                let s = TcpStream::connect(addr).await.unwrap();
                closes_cleanly(s, &cr(Some(SSL)), false, "accept-then-close").await;
            }
            Fault::Silent => {
                let mut s = TcpStream::connect(addr).await.unwrap();
                s.write_all(&cr(Some(SSL))).await.unwrap();
                let mut b = [0u8; 16];
                let r = tokio::time::timeout(Duration::from_millis(800), s.read(&mut b)).await;
                assert!(r.is_err(), "silent answered {r:?}");
            }
            _ => {
                let want_rdp = fault.name().starts_with("healthy") || *fault == Fault::Slow;
                let (rdp, _) = negotiate(addr, Some(RDP)).await;
                let (hybrid, _) = negotiate(addr, Some(SSL | HYBRID)).await;
                let ok = |c: &Option<ConnectionConfirm>, p: u32| matches!(c, Some(ConnectionConfirm::Response { selected_protocol, .. }) if *selected_protocol == p);
                match fault {
                    // The logon faults are NLA-required hosts too.
                    f if f.needs_credentials()
                        || matches!(
                            f,
                            Fault::NlaRequired | Fault::CredsspV2 | Fault::ClockSkew
                        ) =>
                    {
                        assert!(ok(&hybrid, HYBRID), "{fault}: {hybrid:?}");
                        assert_eq!(
                            rdp,
                            Some(ConnectionConfirm::Failure {
                                code: failure_code::HYBRID_REQUIRED_BY_SERVER
                            })
                        );
                    }
                    Fault::HealthyNla => assert!(ok(&hybrid, HYBRID) && ok(&rdp, RDP)),
                    Fault::RdpSecurityOnly | Fault::FipsRequired => {
                        assert!(ok(&hybrid, RDP) && ok(&rdp, RDP))
                    }
                    Fault::SslCertNotOnServer => assert_eq!(
                        hybrid,
                        Some(ConnectionConfirm::Failure {
                            code: failure_code::SSL_CERT_NOT_ON_SERVER
                        })
                    ),
                    _ if want_rdp => assert!(ok(&hybrid, SSL) && ok(&rdp, RDP), "{fault}"),
                    _ => {
                        assert!(ok(&hybrid, SSL), "{fault}: {hybrid:?}");
                        assert_eq!(
                            rdp,
                            Some(ConnectionConfirm::Failure {
                                code: failure_code::SSL_REQUIRED_BY_SERVER
                            })
                        );
                    }
                }
            }
        }
        drop(emu);
    }
}
