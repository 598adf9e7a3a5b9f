//! The deep probe against in-process servers on loopback, built from the
//! wire crate's server-side encoders (Standard RDP Security at level NONE, so
//! no crypto is involved): a server that denies the connection after the
//! Client Info, a healthy one, and one that goes silent. The lab proves the
//! same against xrdp and FreeRDP (see `examples/deep.rs`).

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
}

async fn read(f: &mut FramedStream<TcpStream>) -> Vec<u8> {
    f.read_frame(tpkt::frame_len, tpkt::MAX_FRAME, Duration::from_secs(5))
        .await
        .expect("a client frame")
}

async fn serve(stream: TcpStream, ending: Ending) -> rdp::ClientInfo {
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
        server_security: Some(mcs::ServerSecurity {
            encryption_method: 0,
            encryption_level: 0,
            server_random_len: 0,
            server_certificate: None,
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
    // User channel, I/O channel and the three static channels with an id.
    for expected in [1007, 1003, 1004, 1005, 1006] {
        let (user, channel) = mcs::decode_channel_join_request(&read(&mut f).await).unwrap();
        assert_eq!((user, channel), (1007, expected));
        f.send(&mcs::encode_channel_join_confirm(user, channel), t)
            .await
            .unwrap();
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
    }
    // Wait for the client's goodbye (or its close).
    let _ = f
        .read_frame(tpkt::frame_len, tpkt::MAX_FRAME, Duration::from_secs(3))
        .await;
    info
}

async fn probe(
    ending: Ending,
    step: Duration,
) -> (rdpdoctor_evidence::DeepEvidence, rdp::ClientInfo) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        serve(s, ending).await
    });
    let deadline = Deadline::new(step, Duration::from_secs(20));
    let ev = deep::run_via(addr, "localhost", Via::Rdp(Some(0)), &deadline).await;
    (ev, server.await.unwrap())
}

#[tokio::test]
async fn a_denying_server_is_reported_with_its_errinfo() {
    let (ev, info) = probe(Ending::Denied, Duration::from_secs(5)).await;
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
    let (ev, _) = probe(Ending::Healthy, Duration::from_secs(5)).await;
    assert_eq!(ev.outcome, DeepOutcome::LogonScreen);
    assert_eq!(ev.phase_reached, DeepPhase::DemandActive);
    assert_eq!(ev.licensing.as_deref(), Some("valid-client"));
}

#[tokio::test]
async fn a_silent_server_costs_one_step_timeout() {
    let t = Instant::now();
    let (ev, _) = probe(Ending::Silent, Duration::from_millis(400)).await;
    assert_eq!(ev.outcome, DeepOutcome::Timeout);
    assert_eq!(ev.phase_reached, DeepPhase::ClientInfo);
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
}
