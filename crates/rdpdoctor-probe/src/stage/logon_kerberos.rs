//! The package inside CredSSP for the one logon attempt, as mstsc chooses
//! it ([MS-CSSP 3.1.5]: SPNEGO, [MS-SPNG]): Kerberos where the run knows the
//! realm's KDC and the KDC knows `TERMSRV/<target name>`, NTLM otherwise
//! (an IP address has no SPN; a name without one, or a KDC that does not
//! answer, makes Windows fall back). Whether the SPN exists is asked
//! without the password: an AS-REQ naming the user as client and the SPN as
//! service, without pre-authentication ([RFC 4120 5.4.1]), is answered
//! KDC_ERR_S_PRINCIPAL_UNKNOWN (7) for an unknown service before any key
//! is checked, so it never counts against a lockout.
//!
//! The transport is Windows' since Vista: TCP first (KB 244474,
//! MaxPacketSize 0; [MS-KILE 2.1] lets the threshold decide), UDP where the
//! KDC gives no answer over TCP (a firewall passing only UDP 88): the SPN
//! check goes over TCP, then once over UDP when TCP got nothing, and the
//! logon's requests follow the transport that answered.
//!
//! With Kerberos, `sspi`'s client makes the AS and TGS exchanges
//! ([RFC 4120 3.1, 3.3]) and the AP-REQ ([RFC 4120 3.2]); the KDC requests
//! its generator yields are answered here, over that transport (TCP,
//! [RFC 4120 7.2.2]; UDP, one datagram each way, a KRB_ERR_RESPONSE_TOO_BIG
//! answer retried once over TCP as [RFC 4120 7.2.1] says) to
//! the one KDC of the plan only, each within the step timeout and
//! [`kerberos::MAX_REPLY`] bytes, at most [`MAX_KDC_REQUESTS`] of them. Each KDC
//! answer is read with this project's decoder too, so a KRB-ERROR that
//! stops the logon is kept raw. The server's answer to the AP-REQ is an
//! errorCode ([MS-CSSP 2.2.1]) that [`ap_error`] reads as the KRB error it
//! stands for.
//!
//! [RFC 4120 5.4.1]: https://www.rfc-editor.org/rfc/rfc4120#section-5.4.1
//! [RFC 4120 7.2.2]: https://www.rfc-editor.org/rfc/rfc4120#section-7.2.2

use super::kerberos::{facts, over_tcp, over_udp, request};
use crate::credentials::{Credentials, KerberosLogon};
use rdpdoctor_evidence::krb::{
    KDC_ERR_PREAUTH_REQUIRED, KDC_ERR_S_PRINCIPAL_UNKNOWN, KRB_AP_ERR_MODIFIED, KRB_AP_ERR_SKEW,
    KRB_ERR_RESPONSE_TOO_BIG,
};
use rdpdoctor_evidence::{AuthPackage, KdcTransport, LogonMechanism, MechanismReason};
use rdpdoctor_wire::kerberos::{self, KdcReply};
use sspi::generator::{Generator, GeneratorState};
use sspi::{KerberosConfig, NegotiateConfig, NetworkProtocol, NetworkRequest};
use std::net::IpAddr;
use std::time::Duration;

/// The most KDC requests one logon may make (AS without and with
/// pre-authentication, one more after KRB_AP_ERR_SKEW, TGS, and spares).
pub const MAX_KDC_REQUESTS: usize = 6;

pub(crate) fn mechanism(package: AuthPackage, reason: MechanismReason) -> LogonMechanism {
    LogonMechanism {
        package,
        reason,
        realm: None,
        kdc: None,
        service_principal: None,
        kdc_error: None,
        kdc_error_name: None,
        ap_error: None,
        ap_error_name: None,
        kdc_known_by: None,
        spn_reply: None,
        kdc_transport: None,
    }
}

/// The package for a logon to `host` with `creds`, asking the KDC of the
/// plan (if any) whether `TERMSRV/<host>` exists. No password is sent.
pub async fn choose(host: &str, creds: &Credentials, step: Duration) -> LogonMechanism {
    choose_for("TERMSRV", host, creds, step).await
}

/// The package for `service/<host>` (`TERMSRV` for the target's logon,
/// `HTTP` for an RD Gateway's Negotiate), by the same rule as [`choose`].
pub async fn choose_for(
    service: &str,
    host: &str,
    creds: &Credentials,
    step: Duration,
) -> LogonMechanism {
    let Some(plan) = creds.kerberos() else {
        return mechanism(AuthPackage::Ntlm, MechanismReason::NoKdcKnown);
    };
    let spn = format!("{service}/{host}");
    let mut m = if host.parse::<IpAddr>().is_ok() {
        mechanism(AuthPackage::Ntlm, MechanismReason::TargetIsAddress)
    } else {
        match request(creds.user(), &plan.realm, Some(&spn)) {
            None => mechanism(AuthPackage::Ntlm, MechanismReason::NoSpn),
            Some(req) => {
                let mut x = over_tcp(plan.kdc_addr, &req, step).await;
                let mut transport = KdcTransport::Tcp;
                // Nothing over TCP: once over UDP, as Windows falls back.
                if x.body.is_empty() {
                    x = over_udp(plan.kdc_addr, &req, step).await;
                    transport = KdcTransport::Udp;
                }
                let mut m = match &x.reply {
                    None => mechanism(AuthPackage::Ntlm, MechanismReason::KdcUnreachable),
                    Some(KdcReply::Error(e)) if e.error_code == KDC_ERR_S_PRINCIPAL_UNKNOWN => {
                        let mut m = mechanism(AuthPackage::Ntlm, MechanismReason::NoSpn);
                        m.kdc_error = Some(e.error_code);
                        m.kdc_error_name = kerberos::error_name(e.error_code).map(str::to_owned);
                        m
                    }
                    Some(_) => mechanism(AuthPackage::Kerberos, MechanismReason::KdcAndSpn),
                };
                // Kept for the Kerberos stage: the KDC is asked once per run.
                m.spn_reply = x.reply.as_ref().map(facts);
                m.kdc_transport = x.reply.is_some().then_some(transport);
                m
            }
        }
    };
    m.realm = Some(plan.realm.clone());
    m.kdc = Some(plan.kdc.clone());
    m.kdc_known_by = Some(plan.known_by);
    m.service_principal = Some(format!("{spn}@{}", plan.realm));
    m
}

/// `sspi`'s client configuration for a Kerberos logon through `plan`'s KDC
/// (SPNEGO with Kerberos only: no silent fall back to NTLM inside `sspi`,
/// the choice is [`choose`]'s).
pub fn negotiate_config(plan: &KerberosLogon, workstation: &str) -> NegotiateConfig {
    let scheme = match plan.transport {
        KdcTransport::Tcp => "tcp",
        KdcTransport::Udp => "udp",
    };
    NegotiateConfig {
        protocol_config: Box::new(KerberosConfig::new_with_kdc_url(
            &format!("{scheme}://{}", plan.kdc_addr),
            workstation.to_owned(),
        )),
        package_list: Some("kerberos,!ntlm".to_owned()),
        client_computer_name: workstation.to_owned(),
    }
}

/// The KDC side of a Kerberos logon: how many requests went out and the
/// last KRB-ERROR that was not the expected KDC_ERR_PREAUTH_REQUIRED.
#[derive(Debug, Default)]
pub struct KdcLog {
    pub requests: usize,
    pub last_error: Option<u32>,
}

/// Runs `sspi`'s step to its end, answering its KDC requests (`kdc`: the
/// plan's KDC; `None`: NTLM, which asks none).
pub async fn resolve<T: Send>(
    mut generator: Generator<'_, NetworkRequest, sspi::Result<Vec<u8>>, sspi::Result<T>>,
    kdc: Option<&KerberosLogon>,
    step: Duration,
    log: &mut KdcLog,
) -> sspi::Result<T> {
    let mut state = generator.start();
    loop {
        match state {
            GeneratorState::Completed(r) => return r,
            GeneratorState::Suspended(req) => {
                let answer = match kdc {
                    Some(plan) => ask_kdc(plan, &req, step, log).await,
                    None => Err(refuse("NTLM asks no KDC")),
                };
                state = generator.resume(answer);
            }
        }
    }
}

fn refuse(why: &str) -> sspi::Error {
    sspi::Error::new(sspi::ErrorKind::NoAuthenticatingAuthority, why.to_owned())
}

/// One request of `sspi`'s to the plan's KDC, by the Kerberos stage's own
/// exchanges ([`over_tcp`], [`over_udp`]). Over TCP `sspi` frames its
/// messages with the RFC 4120 7.2.2 length prefix both ways; over UDP it
/// sends the bare message and reads the answer with the prefix added, as
/// its own network client returns it.
async fn ask_kdc(
    plan: &KerberosLogon,
    req: &NetworkRequest,
    step: Duration,
    log: &mut KdcLog,
) -> sspi::Result<Vec<u8>> {
    let to_plan = req.url.host_str().and_then(|h| h.parse::<IpAddr>().ok())
        == Some(plan.kdc_addr.ip())
        && req.url.port() == Some(plan.kdc_addr.port());
    let planned = match plan.transport {
        KdcTransport::Tcp => NetworkProtocol::Tcp,
        KdcTransport::Udp => NetworkProtocol::Udp,
    };
    if req.protocol != planned || !to_plan {
        return Err(refuse(
            "only the realm's KDC of this run is asked, over the transport it answered",
        ));
    }
    if log.requests >= MAX_KDC_REQUESTS {
        return Err(refuse("too many KDC requests for one logon"));
    }
    let message = match plan.transport {
        KdcTransport::Udp => Some(req.data.as_slice()),
        KdcTransport::Tcp => req
            .data
            .get(4..)
            .filter(|m| kerberos::tcp_frame(m) == req.data),
    };
    let Some(message) = message else {
        return Err(refuse("a KDC request without its length prefix"));
    };
    log.requests += 1;
    let mut x = match plan.transport {
        KdcTransport::Tcp => over_tcp(plan.kdc_addr, message, step).await,
        KdcTransport::Udp => over_udp(plan.kdc_addr, message, step).await,
    };
    // [RFC 4120 7.2.1] The KDC's answer did not fit a datagram: the same
    // request once over TCP. Not a second try of the password: the KDC
    // sends this error instead of a reply it built after checking it.
    if let Some(KdcReply::Error(e)) = &x.reply
        && e.error_code == KRB_ERR_RESPONSE_TOO_BIG
        && plan.transport == KdcTransport::Udp
        && log.requests < MAX_KDC_REQUESTS
    {
        log.requests += 1;
        x = over_tcp(plan.kdc_addr, message, step).await;
    }
    if x.body.is_empty() {
        let why = x.reach.detail.unwrap_or_else(|| "no answer".into());
        return Err(refuse(&format!("the KDC: {why}")));
    }
    if let Some(KdcReply::Error(e)) = &x.reply
        && e.error_code != KDC_ERR_PREAUTH_REQUIRED
    {
        log.last_error = Some(e.error_code);
    }
    Ok(kerberos::tcp_frame(&x.body))
}

/// The KRB error a server's errorCode after the AP-REQ stands for: the
/// SSPI status of the acceptor ([MS-ERREF 2.1]) as an HRESULT, or as
/// `sspi`'s and IronRDP's servers put it in an NTSTATUS (its low word
/// under facility 7), or Windows' own NTSTATUS for a clock off.
/// SEC_E_MESSAGE_ALTERED and SEC_E_WRONG_PRINCIPAL are what a ticket the
/// service cannot decrypt gives (KRB_AP_ERR_MODIFIED); SEC_E_TIME_SKEW and
/// STATUS_TIME_DIFFERENCE_AT_DC are KRB_AP_ERR_SKEW.
pub fn ap_error(code: u32) -> Option<u32> {
    match code {
        0x8009_030F | 0xC007_030F | 0x8009_0322 | 0xC007_0322 => Some(KRB_AP_ERR_MODIFIED),
        0x8009_0324 | 0xC007_0324 | 0xC000_0133 => Some(KRB_AP_ERR_SKEW),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_acceptors_codes_name_the_ap_error() {
        // sspi's server: SEC_E_MESSAGE_ALTERED's low word under facility 7.
        assert_eq!(ap_error(0xC007_030F), Some(KRB_AP_ERR_MODIFIED));
        assert_eq!(ap_error(0x8009_0322), Some(KRB_AP_ERR_MODIFIED));
        assert_eq!(ap_error(0x8009_0324), Some(KRB_AP_ERR_SKEW));
        assert_eq!(ap_error(0xC000_0133), Some(KRB_AP_ERR_SKEW));
        // A wrong NTLM password is not an AP error.
        assert_eq!(ap_error(0xC000_006D), None);
    }

    #[tokio::test]
    async fn an_address_and_a_run_without_a_kdc_use_ntlm() {
        let c = Credentials::new("demo", "pw".to_owned().into()).unwrap();
        let m = choose("localhost", &c, Duration::from_secs(1)).await;
        assert_eq!(
            (m.package, m.reason),
            (AuthPackage::Ntlm, MechanismReason::NoKdcKnown)
        );
        let c = c.with_kerberos(KerberosLogon {
            realm: "RDPLAB.TEST".into(),
            kdc: "127.0.0.1:1".into(),
            kdc_addr: ([127, 0, 0, 1], 1).into(),
            known_by: rdpdoctor_evidence::StartReason::RealmFlag,
            transport: KdcTransport::Tcp,
        });
        let m = choose("127.0.0.1", &c, Duration::from_secs(1)).await;
        assert_eq!(
            (m.package, m.reason),
            (AuthPackage::Ntlm, MechanismReason::TargetIsAddress)
        );
        // Nothing listens on port 1: Windows falls back to NTLM.
        let m = choose("localhost", &c, Duration::from_secs(1)).await;
        assert_eq!(
            (m.package, m.reason),
            (AuthPackage::Ntlm, MechanismReason::KdcUnreachable)
        );
    }

    /// A TCP "KDC" on loopback answering every connection with `answer`
    /// (nothing for an empty one) and holding it open.
    async fn kdc_answering(answer: &'static [u8]) -> KerberosLogon {
        use tokio::io::AsyncWriteExt;
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let _ = s.write_all(answer).await;
                    tokio::time::sleep(Duration::from_secs(3)).await;
                });
            }
        });
        KerberosLogon {
            realm: "RDPLAB.TEST".into(),
            kdc: addr.to_string(),
            kdc_addr: addr,
            known_by: rdpdoctor_evidence::StartReason::RealmFlag,
            transport: KdcTransport::Tcp,
        }
    }

    fn request_to(plan: &KerberosLogon) -> NetworkRequest {
        NetworkRequest {
            protocol: NetworkProtocol::Tcp,
            url: format!("tcp://{}", plan.kdc_addr).parse().unwrap(),
            data: kerberos::tcp_frame(b"\x6a\x00"),
        }
    }

    /// How long `ask_kdc` took against a KDC answering `answer`, and
    /// whether it failed.
    async fn refused_within(answer: &'static [u8], step: Duration) -> (bool, Duration) {
        let plan = kdc_answering(answer).await;
        let mut log = KdcLog::default();
        let t = std::time::Instant::now();
        let r = ask_kdc(&plan, &request_to(&plan), step, &mut log).await;
        (r.is_err(), t.elapsed())
    }

    #[tokio::test]
    async fn hostile_kdc_answers_end_within_the_step() {
        let step = Duration::from_millis(500);
        // A length over 64 KiB is refused before its body, at once.
        let (refused, took) = refused_within(&[0x00, 0x10, 0x00, 0x00, 0x7e], step).await;
        assert!(refused && took < Duration::from_millis(400), "{took:?}");
        // Silence costs one step.
        let (refused, took) = refused_within(b"", step).await;
        assert!(refused && took < Duration::from_millis(1500), "{took:?}");
        let mut log = KdcLog::default();
        // A frame that is not Kerberos goes back to sspi as it came (sspi
        // refuses it); no KRB-ERROR is recorded from it.
        let plan = kdc_answering(b"\x00\x00\x00\x05HTTP/").await;
        let got = ask_kdc(&plan, &request_to(&plan), step, &mut log)
            .await
            .unwrap();
        assert_eq!(got, b"\x00\x00\x00\x05HTTP/");
        assert_eq!(log.last_error, None);
    }

    #[tokio::test]
    async fn only_the_plans_kdc_is_asked_and_only_so_often() {
        let plan = kdc_answering(b"\x00\x00\x00\x01\x7e").await;
        let step = Duration::from_millis(500);
        let mut log = KdcLog::default();
        // A referral to another address, or UDP, is refused without a packet.
        let mut other = request_to(&plan);
        other.url = "tcp://127.0.0.2:88".parse().unwrap();
        assert!(ask_kdc(&plan, &other, step, &mut log).await.is_err());
        let mut udp = request_to(&plan);
        udp.protocol = NetworkProtocol::Udp;
        assert!(ask_kdc(&plan, &udp, step, &mut log).await.is_err());
        // And a plan over UDP takes no TCP request.
        let over_udp = KerberosLogon {
            transport: KdcTransport::Udp,
            ..plan.clone()
        };
        assert!(
            ask_kdc(&over_udp, &request_to(&plan), step, &mut log)
                .await
                .is_err()
        );
        assert_eq!(log.requests, 0);
        for _ in 0..MAX_KDC_REQUESTS {
            assert!(
                ask_kdc(&plan, &request_to(&plan), step, &mut log)
                    .await
                    .is_ok()
            );
        }
        assert!(
            ask_kdc(&plan, &request_to(&plan), step, &mut log)
                .await
                .is_err()
        );
        assert_eq!(log.requests, MAX_KDC_REQUESTS);
    }

    /// A KRB-ERROR KRB_ERR_RESPONSE_TOO_BIG (52) as a KDC sends it over UDP
    /// (DER: pvno 5, msg-type 30, stime, susec, error-code 52, realm, sname).
    const TOO_BIG: &[u8] =
        b"\x7e\x5a\x30\x58\xa0\x03\x02\x01\x05\xa1\x03\x02\x01\x1e\xa4\x11\x18\x0f\
        20261207060000Z\xa5\x03\x02\x01\x00\xa6\x03\x02\x01\x34\xa9\x0d\x1b\x0bRDPLAB.TEST\
        \xaa\x20\x30\x1e\xa0\x03\x02\x01\x02\xa1\x17\x30\x15\x1b\x06krbtgt\x1b\x0bRDPLAB.TEST";

    #[tokio::test]
    async fn a_reply_too_big_for_udp_is_asked_once_over_tcp() {
        assert_eq!(
            kerberos::decode_reply(TOO_BIG).ok().and_then(|r| match r {
                KdcReply::Error(e) => Some(e.error_code),
                KdcReply::AsRep(_) => None,
            }),
            Some(KRB_ERR_RESPONSE_TOO_BIG)
        );
        // The same port: UDP answers TOO_BIG to every datagram, TCP a frame.
        let tcp_answer = b"\x00\x00\x00\x01\x7e";
        let plan = KerberosLogon {
            transport: KdcTransport::Udp,
            ..kdc_answering(tcp_answer).await
        };
        let udp = tokio::net::UdpSocket::bind(plan.kdc_addr).await.unwrap();
        let served = tokio::spawn(async move {
            let mut buf = [0u8; 2048];
            let mut datagrams = Vec::new();
            while let Ok(Ok((n, from))) =
                tokio::time::timeout(Duration::from_millis(800), udp.recv_from(&mut buf)).await
            {
                datagrams.push(buf[..n].to_vec());
                udp.send_to(TOO_BIG, from).await.unwrap();
            }
            datagrams
        });
        let mut req = request_to(&plan);
        req.protocol = NetworkProtocol::Udp;
        req.url = format!("udp://{}", plan.kdc_addr).parse().unwrap();
        req.data = b"\x6a\x00".to_vec();
        let mut log = KdcLog::default();
        let got = ask_kdc(&plan, &req, Duration::from_millis(500), &mut log)
            .await
            .unwrap();
        // One datagram (the bare message), then the TCP answer to sspi.
        assert_eq!(got, tcp_answer);
        assert_eq!(log.requests, 2);
        assert_eq!(served.await.unwrap(), [b"\x6a\x00".to_vec()]);
    }
}
