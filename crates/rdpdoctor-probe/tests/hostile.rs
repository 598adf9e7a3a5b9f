//! The probe against hostile or broken servers on loopback: whatever the
//! server does, the probe ends within its deadlines with a finding.

use rdpdoctor_diagnose::{FindingId, Judgement, Severity};
use rdpdoctor_evidence::{PortState, ProbeReport};

fn judged(r: &ProbeReport) -> Judgement {
    rdpdoctor_diagnose::judge(
        &rdpdoctor_diagnose::Evidence::wire(r),
        &rdpdoctor_diagnose::Context::default(),
    )
}
use rdpdoctor_probe::{NoProgress, ProbeOptions, parse_target, probe};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A Connection Confirm selecting SSL (MS-RDPBCGR 4.1.2 layout).
const CC_SELECT_SSL: [u8; 19] = [
    0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x02, 0x01, 0x08, 0x00, 0x01,
    0x00, 0x00, 0x00,
];

async fn serve<F, Fut>(behaviour: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let behaviour = std::sync::Arc::new(behaviour);
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let b = behaviour.clone();
            tokio::spawn(async move { b(s).await });
        }
    });
    addr
}

async fn run(addr: SocketAddr) -> (ProbeReport, Duration) {
    let opts = ProbeOptions {
        step_timeout: Duration::from_millis(700),
        ceiling: Duration::from_secs(8),
        samples: 2,
        reverse_dns: false,
        ..Default::default()
    };
    let t = Instant::now();
    let r = probe(parse_target(&addr.to_string()).unwrap(), &opts, &NoProgress).await;
    (r, t.elapsed())
}

async fn read_some(s: &mut TcpStream) {
    let mut b = [0u8; 512];
    let _ = tokio::time::timeout(Duration::from_secs(2), s.read(&mut b)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_garbage_is_not_rdp_and_bounded() {
    let addr = serve(|mut s| async move {
        read_some(&mut s).await;
        let junk = vec![0x41u8; 64 * 1024];
        // 64 KiB at a time for as long as the peer reads.
        while s.write_all(&junk).await.is_ok() {}
    })
    .await;
    let (r, took) = run(addr).await;
    assert!(
        judged(&r).has(FindingId::NotRdp),
        "{:?}",
        judged(&r).findings
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_tpkt_length_then_silence_hits_the_step_deadline() {
    let addr = serve(|mut s| async move {
        read_some(&mut s).await;
        let _ = s.write_all(&[0x03, 0x00, 0xff, 0xff, 0x02]).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let (r, took) = run(addr).await;
    let n = r.negotiation.as_ref().unwrap();
    assert!(n.attempts.iter().all(|a| matches!(
        a.outcome,
        rdpdoctor_evidence::NegotiationOutcome::Garbage { .. }
    )));
    assert!(judged(&r).has(FindingId::NotRdp));
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dribbling_server_is_cut_at_the_deadline() {
    let addr = serve(|mut s| async move {
        read_some(&mut s).await;
        for b in CC_SELECT_SSL {
            if s.write_all(&[b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    })
    .await;
    let (r, took) = run(addr).await;
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert_eq!(
        judged(&r).security.unwrap().selectable.len(),
        0,
        "an answer that never completes is no answer"
    );
    assert!(
        judged(&r)
            .findings
            .iter()
            .any(|f| f.severity == Severity::Fail),
        "{:?}",
        judged(&r).findings
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selecting_tls_and_then_sending_garbage_fails_the_handshake_cleanly() {
    let addr = serve(|mut s| async move {
        read_some(&mut s).await;
        if s.write_all(&CC_SELECT_SSL).await.is_err() {
            return;
        }
        read_some(&mut s).await; // the ClientHello
        let _ = s
            .write_all(b"\x16\x03\x03\xff\xffthis is not a ServerHello")
            .await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let (r, took) = run(addr).await;
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(r.tcp.as_ref().unwrap().state, PortState::Open);
    assert!(
        judged(&r).has(FindingId::TlsHandshakeFailed),
        "{:?}",
        judged(&r).findings
    );
    assert!(r.certificate.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ceiling_bounds_the_whole_probe() {
    // Answers X.224 then stalls every later step: many steps, one ceiling.
    let addr = serve(|mut s| async move {
        read_some(&mut s).await;
        let _ = s.write_all(&CC_SELECT_SSL).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let opts = ProbeOptions {
        step_timeout: Duration::from_secs(5),
        ceiling: Duration::from_millis(1500),
        samples: 1,
        reverse_dns: false,
        ..Default::default()
    };
    let t = Instant::now();
    let r = probe(parse_target(&addr.to_string()).unwrap(), &opts, &NoProgress).await;
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t.elapsed()
    );
    assert!(r.timings.ceiling_hit);
}

/// [RFC 5246 7.4.1.1] HelloRequest in a plaintext handshake record.
const HELLO_REQUEST: [u8; 9] = [0x16, 0x03, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_requests_every_few_hundred_ms_do_not_outlast_the_ceiling() {
    let addr = serve(|mut s| async move {
        read_some(&mut s).await;
        if s.write_all(&CC_SELECT_SSL).await.is_err() {
            return;
        }
        read_some(&mut s).await; // the ClientHello
        for _ in 0..600 {
            if s.write_all(&HELLO_REQUEST).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    })
    .await;
    let opts = ProbeOptions {
        step_timeout: Duration::from_millis(700),
        ceiling: Duration::from_secs(3),
        samples: 1,
        reverse_dns: false,
        ..Default::default()
    };
    let t = Instant::now();
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        probe(parse_target(&addr.to_string()).unwrap(), &opts, &NoProgress),
    )
    .await
    .expect("the probe hung past its ceiling");
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "took {:?}",
        t.elapsed()
    );
    let j = judged(&r);
    assert!(j.has(FindingId::TlsHandshakeFailed), "{:?}", j.findings);
}

/// [MS-RDPBCGR 2.2.1.2.1] an RDP_NEG_RSP whose `length` is 16, not 8: the
/// Connection Confirm is reported as undecodable, with the field named,
/// rather than trusted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rdp_neg_rsp_length_other_than_8_is_evidence_not_a_selection() {
    let addr = serve(|mut s| async move {
        read_some(&mut s).await;
        let mut cc = CC_SELECT_SSL;
        cc[13] = 16;
        let _ = s.write_all(&cc).await;
        read_some(&mut s).await;
    })
    .await;
    let (r, took) = run(addr).await;
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let n = r.negotiation.as_ref().unwrap();
    assert!(!n.attempts.is_empty());
    for a in &n.attempts {
        match &a.outcome {
            rdpdoctor_evidence::NegotiationOutcome::Garbage { error, .. } => {
                assert!(error.contains("RDP_NEG_RSP length"), "{error}")
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(judged(&r).security.unwrap().selectable.len(), 0);
}
