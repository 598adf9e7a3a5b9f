//! The domain's KDC (`probe --realm`): is it reachable over TCP and UDP
//! ([RFC 4120 7.2.1, 7.2.2]), what does it answer to an AS-REQ without
//! pre-authentication ([RFC 4120 5.4.1]), and what is its clock (the
//! `stime`/`susec` of its KRB-ERROR, [RFC 4120 5.9.1]).
//!
//! The first requests carry no password: an AS-REQ without pre-authentication
//! is answered before any key is checked (KDC_ERR_PREAUTH_REQUIRED for an
//! account that exists), so it never counts as a failed logon. With the
//! user's credentials (given only when the RDP logon has not already refused
//! them), one more AS-REQ carries PA-ENC-TIMESTAMP ([RFC 4120 5.2.7.2]): the
//! answer names a wrong or expired password as mstsc's Kerberos would meet
//! it. That is the run's one attempt that can count against a lockout.
//! With `--user`, the user's own principal is asked for (unknown, disabled or
//! locked, wrong realm are answered as such), and a second AS-REQ names
//! `TERMSRV/target` as the service (an unknown SPN is answered
//! KDC_ERR_S_PRINCIPAL_UNKNOWN). One request per transport, none retried.
//!
//! [RFC 4120 5.4.1]: https://www.rfc-editor.org/rfc/rfc4120#section-5.4.1
//! [RFC 4120 5.9.1]: https://www.rfc-editor.org/rfc/rfc4120#section-5.9.1
//! [RFC 4120 7.2.1, 7.2.2]: https://www.rfc-editor.org/rfc/rfc4120#section-7.2

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdpdoctor_evidence::{KdcOutcome, KdcReach, KdcReplyFacts, KerberosEvidence};
pub use rdpdoctor_wire::kerberos::KERBEROS_PORT;
use rdpdoctor_wire::kerberos::{self, AsReqFor, KdcReply, MAX_REPLY};

use crate::io::{self, ConnectError, FramedStream, ReadError};

/// The principal asked for without `--user`: any name gets an answer with
/// the KDC's clock (KDC_ERR_C_PRINCIPAL_UNKNOWN for this one).
pub const PROBE_PRINCIPAL: &str = "rdpdoctor-clock-probe";

/// What the Kerberos stage is asked to do.
#[derive(Debug, Clone)]
pub struct KerberosOptions {
    /// The realm (upper-cased before use).
    pub realm: String,
    /// The KDC as given (`host:port`), for the report.
    pub kdc: String,
    /// Its address, resolved by the caller.
    pub kdc_addr: SocketAddr,
    /// Where the KDC came from.
    pub kdc_source: rdpdoctor_evidence::KdcSource,
    /// The user's name without realm or domain (`--user`), if any.
    pub user: Option<String>,
    /// The RDP target's host name: its SPN is `TERMSRV/<host>`. `None` for
    /// an IP address (no SPN names an address).
    pub service_host: Option<String>,
    /// The deadline of each request.
    pub step_timeout: Duration,
    /// The user's credentials, when the password may be tried against the
    /// KDC (PA-ENC-TIMESTAMP): the caller leaves them out when the RDP
    /// logon already refused them, so that a run makes at most one failed
    /// attempt. `Debug` never shows the password.
    pub credentials: Option<crate::Credentials>,
    /// Why the password is not tried, when `credentials` is left out with a user.
    pub password_withheld: Option<String>,
    /// The answer this KDC already gave this run to the AS-REQ for
    /// `TERMSRV/<service_host>` with the same user (the logon's package
    /// choice, `LogonMechanism::spn_reply`): reported as the stage's
    /// `service_reply` without asking again.
    pub service_reply: Option<KdcReplyFacts>,
}

/// One exchange's result: the reach, the decoded reply, and this machine's
/// clock halfway between the request and the answer (Unix ms).
pub(crate) struct Exchange {
    pub(crate) reach: KdcReach,
    pub(crate) reply: Option<KdcReply>,
    /// The answer as it came, without its TCP length prefix (empty when
    /// none came): what `sspi` reads itself (`logon_kerberos`).
    pub(crate) body: Vec<u8>,
    local_mid_ms: i64,
}

fn reach(outcome: KdcOutcome, started: Instant, detail: Option<String>) -> KdcReach {
    KdcReach {
        outcome,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        detail,
    }
}

fn decoded(bytes: &[u8], started: Instant, sent_ms: i64) -> Exchange {
    let local_mid_ms = sent_ms + (crate::now_millis() - sent_ms) / 2;
    match kerberos::decode_reply(bytes) {
        Ok(r) => Exchange {
            reach: reach(KdcOutcome::Answered, started, None),
            reply: Some(r),
            body: bytes.to_vec(),
            local_mid_ms,
        },
        Err(e) => Exchange {
            reach: reach(KdcOutcome::Malformed, started, Some(e.to_string())),
            reply: None,
            body: bytes.to_vec(),
            local_mid_ms,
        },
    }
}

fn failed(outcome: KdcOutcome, started: Instant, detail: String) -> Exchange {
    Exchange {
        reach: reach(outcome, started, Some(detail)),
        reply: None,
        body: Vec::new(),
        local_mid_ms: 0,
    }
}

fn no_answer(budget: Duration) -> String {
    format!("no answer within {} s", budget.as_secs_f64())
}

/// [RFC 4120 7.2.2] One request over TCP: connect, the length-prefixed
/// message, one length-prefixed answer of at most [`MAX_REPLY`] bytes.
pub(crate) async fn over_tcp(addr: SocketAddr, request: &[u8], budget: Duration) -> Exchange {
    let started = Instant::now();
    let stream = match io::connect(addr, budget).await {
        Ok(s) => s,
        Err(ConnectError::Refused) => {
            return failed(KdcOutcome::Refused, started, "connection refused".into());
        }
        Err(ConnectError::Timeout) => {
            return failed(KdcOutcome::NoAnswer, started, no_answer(budget));
        }
        Err(e) => return failed(KdcOutcome::Error, started, e.label()),
    };
    let mut framed = FramedStream::new(stream);
    let sent_ms = crate::now_millis();
    if let Err(e) = framed.send(&kerberos::tcp_frame(request), budget).await {
        return failed(KdcOutcome::Error, started, e.describe());
    }
    match framed
        .read_frame(kerberos::tcp_declared_len, MAX_REPLY + 4, budget)
        .await
    {
        Ok(frame) => decoded(frame.get(4..).unwrap_or_default(), started, sent_ms),
        Err(ReadError::Timeout { received }) if received.is_empty() => {
            failed(KdcOutcome::NoAnswer, started, no_answer(budget))
        }
        Err(e @ ReadError::Io(_)) => failed(KdcOutcome::Error, started, e.describe()),
        Err(e) => failed(KdcOutcome::Malformed, started, e.describe()),
    }
}

/// [RFC 4120 7.2.1] One request over UDP: one datagram out, one back.
pub(crate) async fn over_udp(addr: SocketAddr, request: &[u8], budget: Duration) -> Exchange {
    let started = Instant::now();
    let local: SocketAddr = if addr.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        ([0u16; 8], 0).into()
    };
    let sock = match tokio::net::UdpSocket::bind(local).await {
        Ok(s) => s,
        Err(e) => return failed(KdcOutcome::Error, started, e.to_string()),
    };
    if let Err(e) = sock.connect(addr).await {
        return failed(KdcOutcome::Error, started, e.to_string());
    }
    let sent_ms = crate::now_millis();
    if let Err(e) = sock.send(request).await {
        return failed(KdcOutcome::Error, started, e.to_string());
    }
    // One byte more than accepted: a datagram that fills it was too long.
    let mut buf = vec![0u8; MAX_REPLY + 1];
    match tokio::time::timeout(budget, sock.recv(&mut buf)).await {
        Err(_) => failed(KdcOutcome::NoAnswer, started, no_answer(budget)),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            failed(KdcOutcome::Refused, started, "port unreachable".into())
        }
        Ok(Err(e)) => failed(KdcOutcome::Error, started, e.to_string()),
        Ok(Ok(n)) => decoded(buf.get(..n).unwrap_or_default(), started, sent_ms),
    }
}

pub(crate) fn facts(reply: &KdcReply) -> KdcReplyFacts {
    match reply {
        KdcReply::Error(e) => KdcReplyFacts {
            message: "krb-error".into(),
            error_code: Some(e.error_code),
            error_name: kerberos::error_name(e.error_code).map(str::to_owned),
            e_text: e.e_text.clone(),
            realm: e.realm.clone(),
        },
        KdcReply::AsRep(r) => KdcReplyFacts {
            message: "as-rep".into(),
            error_code: None,
            error_name: None,
            e_text: None,
            realm: r.crealm.clone(),
        },
    }
}

pub(crate) fn request(principal: &str, realm: &str, service: Option<&str>) -> Option<Vec<u8>> {
    kerberos::as_req(&AsReqFor {
        principal,
        realm,
        service,
        nonce: rand_nonce(),
        now_unix: crate::now_millis() / 1000,
    })
    .ok()
}

fn rand_nonce() -> u32 {
    // Not a secret: it only pairs a reply with its request.
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    t ^ std::process::id().rotate_left(16)
}

/// Runs the stage: the AS-REQ over TCP and UDP at once, then (with a user
/// and a host name) the AS-REQ for `TERMSRV/host` over the transport that
/// answered. Never fails: every failure is in the evidence.
pub async fn run(opts: &KerberosOptions) -> KerberosEvidence {
    let realm = opts.realm.to_ascii_uppercase();
    let (principal, client_is_user) = match &opts.user {
        Some(u) => (u.clone(), true),
        None => (PROBE_PRINCIPAL.to_owned(), false),
    };
    let mut ev = KerberosEvidence {
        realm: realm.clone(),
        kdc: opts.kdc.clone(),
        kdc_source: opts.kdc_source,
        tcp: reach(KdcOutcome::Error, Instant::now(), None),
        udp: reach(KdcOutcome::Error, Instant::now(), None),
        client_principal: format!("{principal}@{realm}"),
        client_is_user,
        as_reply: None,
        service_principal: None,
        service_reply: None,
        kdc_time: None,
        clock_offset_ms: None,
        password_reply: None,
        password_not_tried: None,
    };
    let Some(req) = request(&principal, &realm, None) else {
        let why = Some("the user or realm name is not ASCII: Kerberos names are IA5String".into());
        ev.tcp.detail = why.clone();
        ev.udp.detail = why;
        return ev;
    };
    let (tcp, udp) = tokio::join!(
        over_tcp(opts.kdc_addr, &req, opts.step_timeout),
        over_udp(opts.kdc_addr, &req, opts.step_timeout)
    );
    ev.tcp = tcp.reach.clone();
    ev.udp = udp.reach.clone();
    let answered = [&tcp, &udp].into_iter().find(|x| x.reply.is_some());
    let tcp_answered = tcp.reply.is_some();
    if let Some((x, reply)) = answered.and_then(|x| x.reply.as_ref().map(|r| (x, r))) {
        ev.as_reply = Some(facts(reply));
        if let KdcReply::Error(e) = reply {
            let kdc_ms = e
                .stime_unix
                .saturating_mul(1000)
                .saturating_add(i64::from(e.susec / 1000));
            ev.kdc_time = crate::rfc3339_millis(kdc_ms);
            ev.clock_offset_ms = Some(kdc_ms - x.local_mid_ms);
        }
    }
    // The SPN is only looked up for a client the KDC accepts as it is
    // (KDC_ERR_PREAUTH_REQUIRED, 25, or a ticket): an unknown or revoked
    // client is refused before the service is looked up.
    let client_ok = ev
        .as_reply
        .as_ref()
        .is_some_and(|r| matches!(r.error_code, None | Some(25)));
    if client_is_user {
        let preauth = answered.and_then(|x| match &x.reply {
            Some(KdcReply::Error(e)) if e.error_code == 25 => Some(e.etype_info2.clone()),
            _ => None,
        });
        match (&opts.credentials, preauth) {
            (None, _) => ev.password_not_tried = opts.password_withheld.clone(),
            (Some(_), None) => {
                // Why there is nothing to check the password against.
                ev.password_not_tried = Some(match answered.and_then(|x| x.reply.as_ref()) {
                    None => "the KDC did not answer the request without it".into(),
                    Some(KdcReply::AsRep(_)) => "the KDC gave a ticket without pre-authentication (the account does not require it): no password is checked".into(),
                    Some(KdcReply::Error(e)) => format!(
                        "the KDC already refused the account without it ({})",
                        kerberos::error_name(e.error_code)
                            .map_or_else(|| format!("error {}", e.error_code), |n| format!("{n}, {}", e.error_code))
                    ),
                })
            }
            (Some(creds), Some(offered)) => {
                let now_ms = crate::now_millis();
                let req = kerberos::as_req_with_password(
                    &AsReqFor {
                        principal: &principal,
                        realm: &realm,
                        service: None,
                        nonce: rand_nonce(),
                        now_unix: now_ms / 1000,
                    },
                    &offered,
                    creds.password(),
                    u32::try_from(now_ms % 1000).unwrap_or(0) * 1000,
                );
                match req {
                    Ok(Some(req)) => {
                        let x = if tcp_answered {
                            over_tcp(opts.kdc_addr, &req, opts.step_timeout).await
                        } else {
                            over_udp(opts.kdc_addr, &req, opts.step_timeout).await
                        };
                        ev.password_reply = x.reply.as_ref().map(facts);
                        if ev.password_reply.is_none() {
                            ev.password_not_tried = Some(format!(
                                "no answer to the request with the password: {}",
                                x.reach.detail.unwrap_or_else(|| "no reply".into())
                            ));
                        }
                    }
                    Ok(None) => {
                        ev.password_not_tried = Some(
                            "the KDC offers no AES key for this account (RC4 only): not tried"
                                .into(),
                        )
                    }
                    Err(_) => {
                        ev.password_not_tried =
                            Some("the request with the password could not be built".into())
                    }
                }
            }
        }
    }
    if let (true, true, Some(host)) = (client_is_user, client_ok, &opts.service_host) {
        let spn = format!("TERMSRV/{host}");
        if let Some(known) = &opts.service_reply {
            ev.service_reply = Some(known.clone());
        } else if let Some(req) = request(&principal, &realm, Some(&spn)) {
            let x = if tcp_answered {
                over_tcp(opts.kdc_addr, &req, opts.step_timeout).await
            } else {
                over_udp(opts.kdc_addr, &req, opts.step_timeout).await
            };
            ev.service_reply = x.reply.as_ref().map(facts);
        }
        ev.service_principal = Some(format!("{spn}@{realm}"));
    }
    ev
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The stage's options for a loopback KDC port, without a user.
    pub(in crate::stage) fn options(realm: &str, port: u16, step: Duration) -> KerberosOptions {
        KerberosOptions {
            realm: realm.into(),
            kdc: format!("127.0.0.1:{port}"),
            kdc_addr: ([127, 0, 0, 1], port).into(),
            kdc_source: rdpdoctor_evidence::KdcSource::Flag,
            user: None,
            service_host: None,
            step_timeout: step,
            credentials: None,
            password_withheld: None,
            service_reply: None,
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_refused_on_both_transports() {
        // A port bound then released: nothing listens on it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let ev = run(&options("example.test", port, Duration::from_secs(2))).await;
        assert_eq!(ev.realm, "EXAMPLE.TEST");
        assert_eq!(ev.tcp.outcome, KdcOutcome::Refused);
        assert!(
            matches!(ev.udp.outcome, KdcOutcome::Refused | KdcOutcome::NoAnswer),
            "{:?}",
            ev.udp
        );
        assert!(ev.as_reply.is_none() && ev.clock_offset_ms.is_none());
    }

    #[tokio::test]
    async fn a_silent_kdc_costs_one_step_timeout() {
        // Accepts TCP, reads, never answers; UDP bound and silent.
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = tcp.local_addr().unwrap().port();
        let _udp = std::net::UdpSocket::bind(("127.0.0.1", port)).ok();
        let hold = tokio::spawn(async move {
            let (s, _) = tcp.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(s);
        });
        let started = Instant::now();
        let ev = run(&options("EXAMPLE.TEST", port, Duration::from_millis(500))).await;
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(ev.tcp.outcome, KdcOutcome::NoAnswer);
        assert_eq!(ev.tcp.detail.as_deref(), Some("no answer within 0.5 s"));
        hold.abort();
    }
}

#[cfg(test)]
mod hostile {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// A TCP "KDC" that answers every connection with `answer`.
    async fn kdc_answering(answer: &'static [u8]) -> u16 {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let _ = s.write_all(answer).await;
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
        });
        port
    }

    async fn ask(port: u16) -> KerberosEvidence {
        run(&super::tests::options(
            "EXAMPLE.TEST",
            port,
            Duration::from_millis(500),
        ))
        .await
    }

    #[tokio::test]
    async fn an_oversized_length_is_refused_before_its_body() {
        let ev = ask(kdc_answering(&[0x00, 0x10, 0x00, 0x00, 0x7e]).await).await;
        assert_eq!(ev.tcp.outcome, KdcOutcome::Malformed, "{:?}", ev.tcp);
        assert!(ev.tcp.elapsed_ms < 400, "refused at once: {:?}", ev.tcp);
    }

    #[tokio::test]
    async fn garbage_in_a_frame_is_malformed() {
        let ev = ask(kdc_answering(b"\x00\x00\x00\x05HTTP/").await).await;
        assert_eq!(ev.tcp.outcome, KdcOutcome::Malformed);
        assert!(ev.as_reply.is_none());
    }

    #[tokio::test]
    async fn a_cut_frame_gets_no_answer_within_the_step() {
        let ev = ask(kdc_answering(b"\x00\x00\x01\x00\x7e\x81").await).await;
        assert_eq!(ev.tcp.outcome, KdcOutcome::Malformed, "{:?}", ev.tcp);
        assert!(ev.tcp.elapsed_ms < 1500);
    }
}
