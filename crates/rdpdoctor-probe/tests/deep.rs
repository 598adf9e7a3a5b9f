//! The deep probe against in-process servers on loopback, built from the
//! wire crate's server-side encoders (Standard RDP Security at level NONE, so
//! no crypto is involved): a server that denies the connection after the
//! Client Info, a healthy one, one that goes silent, and one whose RSA key
//! would take the client many seconds of CPU. The servers read every request
//! of a flight before answering any, so a client that waits where the
//! protocol lets it pipeline fails here. The lab proves the same against xrdp
//! and FreeRDP (see `examples/deep.rs`).

use rdpdoctor_evidence::{DeepOutcome, DeepPhase};
use rdpdoctor_probe::io::{Deadline, FramedStream};
use rdpdoctor_probe::stage::deep::{self, Via};
use rdpdoctor_wire::{mcs, rdp, tpkt, x224};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Copy)]
enum Ending {
    Denied,
    Healthy,
    Silent,
    /// Standard RDP Security with a hostile X.509 key: the client's next
    /// move is the RSA of the Security Exchange.
    HostileKey,
}

async fn read(f: &mut FramedStream<TcpStream>) -> Vec<u8> {
    f.read_frame(tpkt::frame_len, tpkt::MAX_FRAME, Duration::from_secs(5))
        .await
        .expect("a client frame")
}

async fn serve(stream: TcpStream, ending: Ending) -> Option<rdp::ClientInfo> {
    let mut f = FramedStream::new(stream);
    let t = Duration::from_secs(5);
    let cr = x224::decode_connection_request(&read(&mut f).await).unwrap();
    assert_eq!(cr.requested_protocols, Some(x224::protocol::RDP));
    let cc = x224::ConnectionConfirm::Response {
        selected_protocol: x224::protocol::RDP,
        flags: 0,
    };
    f.send(&x224::encode_connection_confirm(&cc), t)
        .await
        .unwrap();
    let _connect_initial = read(&mut f).await;
    let resp = mcs::ConnectResponse {
        result: 0,
        server_core: Some(mcs::ServerCore {
            version: 0x0008_0004,
            client_requested_protocols: Some(0),
            early_capability_flags: None,
        }),
        server_security: Some(match ending {
            Ending::HostileKey => mcs::ServerSecurity {
                encryption_method: mcs::encryption_method::BIT_128,
                encryption_level: mcs::encryption_level::HIGH,
                server_random_len: 32,
                server_certificate_permanent: None,
                server_certificate: Some(mcs::ServerCertificate::X509 {
                    chain: vec![hostile_certificate()],
                }),
            },
            _ => mcs::ServerSecurity {
                encryption_method: 0,
                encryption_level: 0,
                server_random_len: 0,
                server_certificate_permanent: None,
                server_certificate: None,
            },
        }),
        server_network: Some(mcs::ServerNetwork {
            io_channel: 1003,
            channel_ids: vec![1004, 1005, 0, 1006],
        }),
        server_message_channel: None,
        server_multitransport_flags: None,
    };
    f.send(&mcs::encode_connect_response(&resp), t)
        .await
        .unwrap();
    mcs::decode_erect_domain_request(&read(&mut f).await).unwrap();
    mcs::decode_attach_user_request(&read(&mut f).await).unwrap();
    f.send(&mcs::encode_attach_user_confirm(1007), t)
        .await
        .unwrap();
    // User channel, I/O channel and the three static channels with an id:
    // all five requests arrive before the first confirm leaves.
    for expected in [1007, 1003, 1004, 1005, 1006] {
        let (user, channel) = mcs::decode_channel_join_request(&read(&mut f).await).unwrap();
        assert_eq!((user, channel), (1007, expected));
    }
    for channel in [1007, 1003, 1004, 1005, 1006] {
        f.send(&mcs::encode_channel_join_confirm(1007, channel), t)
            .await
            .unwrap();
    }
    if let Ending::HostileKey = ending {
        // The Security Exchange, if the client ever gets there, or its goodbye.
        let _ = f
            .read_frame(tpkt::frame_len, tpkt::MAX_FRAME, Duration::from_secs(10))
            .await;
        return None;
    }
    let info = rdp::decode_client_info(&read(&mut f).await).unwrap();
    match ending {
        Ending::Denied => {
            f.send(&rdp::encode_set_error_info(1002, 1003, 7), t)
                .await
                .unwrap();
            f.send(&mcs::encode_disconnect_provider_ultimatum(1), t)
                .await
                .unwrap();
        }
        Ending::Healthy => {
            // Fast-path noise first: the client must skip it.
            f.send(&[0x00, 0x04, 0x01, 0x02], t).await.unwrap();
            f.send(&rdp::encode_license_error_valid_client(1002, 1003), t)
                .await
                .unwrap();
            f.send(&rdp::encode_demand_active(1002, 1003, 0x0001_03EA), t)
                .await
                .unwrap();
        }
        Ending::Silent => tokio::time::sleep(Duration::from_secs(1)).await,
        Ending::HostileKey => unreachable!(),
    }
    // Wait for the client's goodbye (or its close).
    let _ = f
        .read_frame(tpkt::frame_len, tpkt::MAX_FRAME, Duration::from_secs(3))
        .await;
    Some(info)
}

async fn probe(ending: Ending, step: Duration) -> (deep::DeepRun, Option<rdp::ClientInfo>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        serve(s, ending).await
    });
    let deadline = Deadline::new(step, Duration::from_secs(20));
    let run = deep::run_via(addr, "localhost", Via::Rdp(Some(0)), &deadline).await;
    (run, server.await.unwrap())
}

#[tokio::test]
async fn a_denying_server_is_reported_with_its_errinfo() {
    let (run, info) = probe(Ending::Denied, Duration::from_secs(5)).await;
    let (ev, info) = (run.evidence, info.unwrap());
    assert_eq!(
        ev.outcome,
        DeepOutcome::ErrorInfo {
            code: 7,
            name: Some("ERRINFO_SERVER_DENIED_CONNECTION".into())
        }
    );
    assert_eq!(ev.phase_reached, DeepPhase::ClientInfo);
    assert_eq!(ev.via, rdpdoctor_evidence::Protocol::Rdp);
    assert_eq!(ev.channels, ["rdpdr", "rdpsnd", "drdynvc"]);
    // No credentials ever leave the probe.
    assert_eq!((info.user_name.as_str(), info.domain.as_str()), ("", ""));
    assert!(!info.has_password);
    // The finding the user sees.
    let mut report = rdpdoctor_evidence::ProbeReport::new(
        rdpdoctor_evidence::Target {
            input: "h".into(),
            host: "h".into(),
            port: 3389,
            host_is_ip: false,
        },
        "test",
        String::new(),
    );
    report.deep = Some(ev);
    let ids: Vec<String> = rdpdoctor_diagnose::derive::derive(&report, None)
        .iter()
        .map(|f| {
            serde_json::to_value(f.id)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        ids.iter().any(|i| i == "server-denied-connection"),
        "{ids:?}"
    );
}

#[tokio::test]
async fn a_healthy_server_reaches_demand_active() {
    let (run, _) = probe(Ending::Healthy, Duration::from_secs(5)).await;
    let ev = &run.evidence;
    assert_eq!(ev.outcome, DeepOutcome::LogonScreen);
    assert_eq!(ev.phase_reached, DeepPhase::DemandActive);
    assert_eq!(ev.licensing.as_deref(), Some("valid-client"));
    // TCP, X.224, MCS Connect, Erect Domain + Attach User, the five joins in
    // one flight, Client Info -> licensing + Demand Active.
    assert_eq!(run.round_trips, 6);
    assert!(!run.started_early);
}

#[tokio::test]
async fn a_silent_server_costs_one_step_timeout() {
    let t = Instant::now();
    let (run, _) = probe(Ending::Silent, Duration::from_millis(400)).await;
    let ev = run.evidence;
    assert_eq!(ev.outcome, DeepOutcome::Timeout);
    assert_eq!(ev.phase_reached, DeepPhase::ClientInfo);
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
}

/// A 16,384-bit modulus and the longest exponent that still fits a Connect
/// Response (about 108,000 bits): raw RSA under it takes seconds of CPU in
/// a release build, far more in a debug one.
const HOSTILE_MODULUS_BYTES: usize = 2048;
const HOSTILE_EXPONENT_BYTES: usize = 13_500;

/// DER: tag, definite length, body.
fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = body.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(body);
    out
}

fn der_seq(parts: &[Vec<u8>]) -> Vec<u8> {
    der(0x30, &parts.concat())
}

/// A positive DER INTEGER from big-endian bytes.
fn der_uint(be: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(be.len() + 1);
    if be.first().is_some_and(|b| b & 0x80 != 0) {
        body.push(0);
    }
    body.extend_from_slice(be);
    der(0x02, &body)
}

/// A self-issued X.509 certificate whose RSA key no real server has: an
/// unsigned one (the client never checks the signature of a Standard RDP
/// Security certificate chain, only takes its key).
fn hostile_certificate() -> Vec<u8> {
    let mut modulus = vec![0xA5u8; HOSTILE_MODULUS_BYTES];
    modulus[0] = 0xC3;
    modulus[HOSTILE_MODULUS_BYTES - 1] = 0x01;
    let mut exponent = vec![0xFFu8; HOSTILE_EXPONENT_BYTES];
    exponent[0] = 0x7F;
    let rsa_oid = der(
        0x06,
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01],
    );
    let sha256_rsa_oid = der(
        0x06,
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B],
    );
    let null = vec![0x05, 0x00];
    let name = der_seq(&[der(
        0x31,
        &der_seq(&[der(0x06, &[0x55, 0x04, 0x03]), der(0x0C, b"hostile")]),
    )]);
    let validity = der_seq(&[der(0x17, b"200101000000Z"), der(0x17, b"491231235959Z")]);
    let mut key_bits = vec![0u8];
    key_bits.extend(der_seq(&[der_uint(&modulus), der_uint(&exponent)]));
    let spki = der_seq(&[der_seq(&[rsa_oid, null.clone()]), der(0x03, &key_bits)]);
    let sig_alg = der_seq(&[sha256_rsa_oid, null]);
    let tbs = der_seq(&[
        der(0xA0, &der(0x02, &[2])),
        der(0x02, &[1]),
        sig_alg.clone(),
        name.clone(),
        validity,
        name,
        spki,
    ]);
    der_seq(&[tbs, sig_alg, der(0x03, &[0, 0])])
}

#[tokio::test]
async fn a_hostile_rsa_key_costs_one_step_and_timers_keep_firing() {
    // `#[tokio::test]` runs one thread: RSA on the executor would freeze
    // this ticker, the in-process server and the step deadline alike.
    let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = ticks.clone();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let step = Duration::from_secs(1);
    let t = Instant::now();
    let (run, _) = probe(Ending::HostileKey, step).await;
    let elapsed = t.elapsed();
    ticker.abort();
    let ticks = ticks.load(std::sync::atomic::Ordering::Relaxed);
    let ev = run.evidence;
    // The server's exchange takes a few milliseconds; the RSA at most one step.
    assert!(
        elapsed < step * 2 + Duration::from_millis(500),
        "{elapsed:?}"
    );
    assert!(
        ticks as u128 >= elapsed.as_millis() / 20 / 2,
        "the executor stalled: {ticks} ticks of 20 ms in {elapsed:?}"
    );
    let DeepOutcome::Failed { detail, .. } = &ev.outcome else {
        panic!("expected a failure naming the key, got {:?}", ev.outcome);
    };
    // Either the RSA was cut at the step budget, or the wire crate refused
    // the key outright; both name it for the user.
    assert!(
        detail.contains("16384-bit modulus"),
        "the reason should name the key: {detail}"
    );
    assert_ne!(ev.phase_reached, DeepPhase::ClientInfo);
}
