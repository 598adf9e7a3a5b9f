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
//! With Kerberos, `sspi`'s client makes the AS and TGS exchanges
//! ([RFC 4120 3.1, 3.3]) and the AP-REQ ([RFC 4120 3.2]); the KDC requests
//! its generator yields are answered here, over TCP ([RFC 4120 7.2.2]) to
//! the one KDC of the plan only, each within the step timeout and
//! [`kerberos::MAX_REPLY`] bytes, at most [`MAX_KDC_REQUESTS`] of them. Each KDC
//! answer is read with this project's decoder too, so a KRB-ERROR that
//! stops the logon is kept raw. The server's answer to the AP-REQ is an
//! errorCode ([MS-CSSP 2.2.1]) that [`ap_error`] reads as the KRB error it
//! stands for.
//!
//! [RFC 4120 5.4.1]: https://www.rfc-editor.org/rfc/rfc4120#section-5.4.1
//! [RFC 4120 7.2.2]: https://www.rfc-editor.org/rfc/rfc4120#section-7.2.2

use super::kerberos::{over_tcp, request};
use crate::credentials::{Credentials, KerberosLogon};
use rdpdoctor_evidence::krb::{
    KDC_ERR_PREAUTH_REQUIRED, KDC_ERR_S_PRINCIPAL_UNKNOWN, KRB_AP_ERR_MODIFIED, KRB_AP_ERR_SKEW,
};
use rdpdoctor_evidence::{AuthPackage, LogonMechanism, MechanismReason};
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
                let x = over_tcp(plan.kdc_addr, &req, step).await;
                match x.reply {
                    None => mechanism(AuthPackage::Ntlm, MechanismReason::KdcUnreachable),
                    Some(KdcReply::Error(e)) if e.error_code == KDC_ERR_S_PRINCIPAL_UNKNOWN => {
                        let mut m = mechanism(AuthPackage::Ntlm, MechanismReason::NoSpn);
                        m.kdc_error = Some(e.error_code);
                        m.kdc_error_name = kerberos::error_name(e.error_code).map(str::to_owned);
                        m
                    }
                    Some(_) => mechanism(AuthPackage::Kerberos, MechanismReason::KdcAndSpn),
                }
            }
        }
    };
    m.realm = Some(plan.realm.clone());
    m.kdc = Some(plan.kdc.clone());
    m.service_principal = Some(format!("{spn}@{}", plan.realm));
    m
}

/// `sspi`'s client configuration for a Kerberos logon through `plan`'s KDC
/// (SPNEGO with Kerberos only: no silent fall back to NTLM inside `sspi`,
/// the choice is [`choose`]'s).
pub fn negotiate_config(plan: &KerberosLogon, workstation: &str) -> NegotiateConfig {
    NegotiateConfig {
        protocol_config: Box::new(KerberosConfig::new_with_kdc_url(
            &format!("tcp://{}", plan.kdc_addr),
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
/// TCP exchange ([`over_tcp`]); `sspi` frames its messages with the RFC
/// 4120 7.2.2 length prefix both ways.
async fn ask_kdc(
    plan: &KerberosLogon,
    req: &NetworkRequest,
    step: Duration,
    log: &mut KdcLog,
) -> sspi::Result<Vec<u8>> {
    let to_plan = req.url.host_str().and_then(|h| h.parse::<IpAddr>().ok())
        == Some(plan.kdc_addr.ip())
        && req.url.port() == Some(plan.kdc_addr.port());
    if req.protocol != NetworkProtocol::Tcp || !to_plan {
        return Err(refuse(
            "only the realm's KDC of this run is asked, over TCP",
        ));
    }
    if log.requests >= MAX_KDC_REQUESTS {
        return Err(refuse("too many KDC requests for one logon"));
    }
    let Some(message) = req
        .data
        .get(4..)
        .filter(|m| kerberos::tcp_frame(m) == req.data)
    else {
        return Err(refuse("a KDC request without its length prefix"));
    };
    log.requests += 1;
    let x = over_tcp(plan.kdc_addr, message, step).await;
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
}
