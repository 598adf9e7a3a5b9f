//! Stage 9 (only with `--user`): one logon attempt.
//!
//! Where the server can select CredSSP, the credentials go through Network
//! Level Authentication ([MS-CSSP 3.1.5]) with NTLM, driven by the `sspi`
//! crate (sspi-rs, the stack IronRDP's connector uses): X.224 asking for
//! SSL | HYBRID | HYBRID_EX as mstsc does, TLS, NEGOTIATE → CHALLENGE →
//! AUTHENTICATE with the public-key proof, the server's public-key echo (it
//! can only compute it after checking the password), the delegated
//! credentials, and under HYBRID_EX the Early User Authorization Result
//! ([MS-RDPBCGR 2.2.10.2]). Every server TSRequest is first read with this
//! project's own decoder, so its `errorCode` (an NTSTATUS) is kept raw even
//! where sspi would only turn it into an error string.
//!
//! Elsewhere the credentials go in a Client Info PDU ([`super::deep`]).
//!
//! **One attempt, never a loop**: a probe must not lock an account. Nothing
//! here retries after the credentials went out.
//!
//! [MS-CSSP 3.1.5]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-cssp/385a7489-d46b-464c-b224-f7340e308a5c
//! [MS-RDPBCGR 2.2.10.2]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/d0e560a3-25cb-4563-8bdc-6c4cc625bbfc

use super::logon_kerberos::{KdcLog, resolve};
use super::logon_kerberos_credssp::KerberosCredssp;
use super::logon_kerberos_exchange::kerberos_exchange;
use super::negotiation::connect_and_negotiate;
use super::tls::client_config;
use crate::credentials::{Credentials, KerberosLogon};
use crate::io::{Deadline, FramedStream, ReadError};
use rdpdoctor_evidence::{
    AuthPackage, LogonEvidence, LogonMethod, LogonOutcome, LogonPhase, NegotiationOutcome,
};
use rdpdoctor_wire::credssp;
use rdpdoctor_wire::x224::protocol::{HYBRID, HYBRID_EX, SSL};
use rustls::pki_types::ServerName;
use sspi::credssp::{ClientMode, ClientState, CredSspClient, CredSspMode, TsRequest};
use std::net::SocketAddr;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite};

/// The workstation name sent in the NTLM AUTHENTICATE (never the user's host name).
pub(crate) const WORKSTATION: &str = "RDPDOCTOR";

/// The TSRequest version announced (as current Windows).
const TS_REQUEST_VERSION: u32 = 6;

/// A fresh record of an attempt that has not started.
pub fn evidence(creds: &Credentials, method: LogonMethod) -> LogonEvidence {
    LogonEvidence {
        user: creds.display_user(),
        method,
        via: None,
        phase_reached: LogonPhase::None,
        outcome: LogonOutcome::NotAttempted,
        credssp_version: None,
        ntstatus: None,
        early_user_auth: None,
        early_user_auth_name: None,
        logon_error: None,
        logon_notification: None,
        error_info: None,
        error_info_name: None,
        detail: None,
        elapsed_ms: 0.0,
        mechanism: None,
    }
}

/// One NLA logon attempt against `addr`.
pub async fn nla(
    addr: SocketAddr,
    host: &str,
    creds: &Credentials,
    deadline: &Deadline,
) -> LogonEvidence {
    let t = Instant::now();
    let mut ev = evidence(creds, LogonMethod::Credssp);
    ev.mechanism = Some(super::logon_kerberos::choose(host, creds, deadline.step()).await);
    attempt(addr, host, creds, deadline, &mut ev).await;
    ev.elapsed_ms = crate::io::elapsed_ms(t);
    ev
}

async fn attempt(
    addr: SocketAddr,
    host: &str,
    creds: &Credentials,
    deadline: &Deadline,
    ev: &mut LogonEvidence,
) {
    let (outcome, framed) =
        connect_and_negotiate(addr, Some(SSL | HYBRID | HYBRID_EX), deadline).await;
    let selected = match (&outcome, framed) {
        (NegotiationOutcome::Selected { protocol, .. }, Some(f))
            if protocol.bits.is_some_and(|b| b & (HYBRID | HYBRID_EX) != 0) =>
        {
            let bits = protocol.bits.unwrap_or(0);
            (f, bits)
        }
        (other, _) => {
            ev.detail = Some(format!(
                "the server did not select CredSSP for the attempt: {}",
                describe_negotiation(other)
            ));
            return;
        }
    };
    let (framed, bits) = selected;
    let hybrid_ex = bits & HYBRID_EX != 0;
    ev.via = Some(if hybrid_ex {
        rdpdoctor_evidence::Protocol::HybridEx
    } else {
        rdpdoctor_evidence::Protocol::Hybrid
    });
    ev.phase_reached = LogonPhase::Negotiated;

    let tcp = framed.into_parts().0;
    let config = client_config(&[&rustls::version::TLS12, &rustls::version::TLS13]);
    let name = ServerName::try_from(host.to_owned())
        .unwrap_or_else(|_| ServerName::IpAddress(std::net::Ipv4Addr::UNSPECIFIED.into()));
    let connector = tokio_rustls::TlsConnector::from(config);
    let tls = match tokio::time::timeout(deadline.step(), connector.connect(name, tcp)).await {
        Err(_) => {
            ev.detail = Some("the TLS handshake did not finish before the deadline".into());
            return;
        }
        Ok(Err(e)) => {
            ev.detail = Some(format!("TLS handshake failed: {e}"));
            return;
        }
        Ok(Ok(s)) => s,
    };
    let leaf = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.as_ref().to_vec());
    after_tls(
        tls,
        leaf.as_deref(),
        host,
        creds,
        hybrid_ex,
        deadline,
        ev,
        None,
    )
    .await;
}

/// The attempt once TLS is up with the server that selected HYBRID or
/// HYBRID_EX (`hybrid_ex`): over a direct connection, or over the RD
/// Gateway's channel. `leaf` is the certificate the server presented, whose
/// public key CredSSP binds ([MS-CSSP 3.1.5], pubKeyAuth). `first`, when
/// given, receives the server's first TSRequest (its NTLM CHALLENGE: the
/// CredSSP stage's facts, without a connection of their own).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn after_tls<S: AsyncRead + AsyncWrite + Unpin>(
    tls: S,
    leaf: Option<&[u8]>,
    host: &str,
    creds: &Credentials,
    hybrid_ex: bool,
    deadline: &Deadline,
    ev: &mut LogonEvidence,
    first: Option<&mut Option<FirstAnswer>>,
) {
    ev.phase_reached = LogonPhase::Tls;
    let public_key = match leaf.map(rdpdoctor_wire::cert::subject_public_key) {
        Some(Ok(k)) => k,
        Some(Err(e)) => {
            ev.outcome = LogonOutcome::Error;
            ev.detail = Some(format!("the server's certificate does not decode: {e}"));
            return;
        }
        None => {
            ev.outcome = LogonOutcome::Error;
            ev.detail = Some("the server presented no certificate".into());
            return;
        }
    };
    credssp_exchange(
        FramedStream::new(tls),
        host,
        creds,
        public_key,
        hybrid_ex,
        deadline,
        ev,
        first,
    )
    .await;
}

/// The server's first TSRequest of an attempt, with our clock around it.
pub(crate) struct FirstAnswer {
    /// The TSRequest as received (DER).
    pub frame: Vec<u8>,
    /// Our clock (Unix ms) when the NEGOTIATE went out.
    pub sent_at: i64,
    /// Our clock (Unix ms) when the answer was read.
    pub received_at: i64,
}

/// The CredSSP conversation over an established TLS stream.
#[allow(clippy::too_many_arguments)]
async fn credssp_exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut framed: FramedStream<S>,
    host: &str,
    creds: &Credentials,
    public_key: Vec<u8>,
    hybrid_ex: bool,
    deadline: &Deadline,
    ev: &mut LogonEvidence,
    mut first: Option<&mut Option<FirstAnswer>>,
) {
    // The plan over the transport the package choice found the KDC on.
    let kerberos = match (&ev.mechanism, creds.kerberos()) {
        (Some(m), Some(plan)) if m.package == AuthPackage::Kerberos => Some(KerberosLogon {
            transport: m.kdc_transport.unwrap_or(plan.transport),
            ..plan.clone()
        }),
        _ => None,
    };
    let kerberos = kerberos.as_ref();
    let identity = match sspi_identity(creds, kerberos.map(|p| p.realm.as_str())) {
        Ok(i) => i,
        Err(e) => {
            ev.outcome = LogonOutcome::Error;
            ev.detail = Some(e);
            return;
        }
    };
    if let Some(plan) = kerberos {
        let spn = format!("TERMSRV/{host}");
        return match KerberosCredssp::new(plan, identity, public_key, spn, WORKSTATION) {
            Ok(client) => kerberos_exchange(framed, client, plan, hybrid_ex, deadline, ev).await,
            Err(e) => {
                ev.outcome = LogonOutcome::Error;
                ev.detail = Some(format!("Kerberos could not start: {}", e.description));
            }
        };
    }
    let mut client = match CredSspClient::new_with_version(
        public_key,
        identity,
        CredSspMode::WithCredentials,
        TS_REQUEST_VERSION,
        ClientMode::Ntlm(sspi::ntlm::NtlmConfig::new(WORKSTATION.to_owned())),
        format!("TERMSRV/{host}"),
    ) {
        Ok(c) => c,
        Err(e) => {
            ev.outcome = LogonOutcome::Error;
            ev.detail = Some(format!("CredSSP could not start: {}", e.description));
            return;
        }
    };

    // Each turn: what sspi makes of the last server TSRequest goes out; the
    // phase each one completes, in order.
    let mut incoming = TsRequest::default();
    let sent_phases = [LogonPhase::NtlmNegotiate, LogonPhase::NtlmAuthenticate];
    let mut kdc_log = KdcLog::default();
    for turn in 0..3 {
        let state = resolve(
            client.process(incoming),
            None,
            deadline.step(),
            &mut kdc_log,
        )
        .await;
        let (request, last) = match state {
            Ok(ClientState::ReplyNeeded(r)) => (r, false),
            Ok(ClientState::FinalMessage(r)) => (r, true),
            Err(e) => {
                ev.outcome = LogonOutcome::Error;
                ev.detail = Some(match ev.phase_reached {
                    // sspi checks the echo when it reads the third TSRequest.
                    LogonPhase::NtlmAuthenticate => format!(
                        "the server's public-key echo does not verify ({}): a TLS-intercepting device, or a broken server",
                        e.description
                    ),
                    _ => format!("CredSSP failed: {}", e.description),
                });
                return;
            }
        };
        if last {
            ev.phase_reached = LogonPhase::PublicKeyEcho;
        }
        let mut bytes = Vec::new();
        if let Err(e) = request.encode_ts_request(&mut bytes) {
            ev.outcome = LogonOutcome::Error;
            ev.detail = Some(format!("the TSRequest does not encode: {e}"));
            return;
        }
        let sent_at = crate::now_millis();
        if let Err(e) = framed.send(&bytes, deadline.step()).await {
            stopped(ev, &e, "sending a TSRequest");
            return;
        }
        if last {
            ev.phase_reached = LogonPhase::CredentialsDelegated;
            break;
        }
        ev.phase_reached = sent_phases.get(turn).copied().unwrap_or(ev.phase_reached);
        let frame = match super::credssp::read_ts_request(&mut framed, deadline).await {
            Ok(f) => f,
            Err(e) => {
                stopped(ev, &e, "waiting for the server's TSRequest");
                return;
            }
        };
        if turn == 0
            && let Some(slot) = first.as_deref_mut()
        {
            *slot = Some(FirstAnswer {
                frame: frame.clone(),
                sent_at,
                received_at: crate::now_millis(),
            });
        }
        let ours = match credssp::decode_ts_request(&frame) {
            Ok(t) => t,
            Err(e) => {
                ev.outcome = LogonOutcome::Error;
                ev.detail = Some(format!("the server's TSRequest does not decode: {e}"));
                return;
            }
        };
        ev.credssp_version = Some(ours.version);
        if let Some(code) = ours.error_code {
            ev.ntstatus = Some(code);
            ev.outcome = LogonOutcome::Rejected;
            return;
        }
        if turn == 0 && ours.nego_token.is_some() {
            ev.phase_reached = LogonPhase::NtlmChallenge;
        }
        incoming = match TsRequest::from_buffer(&frame) {
            Ok(t) => t,
            Err(e) => {
                ev.outcome = LogonOutcome::Error;
                ev.detail = Some(format!("the server's TSRequest does not decode: {e}"));
                return;
            }
        };
    }

    early_user_auth(&mut framed, hybrid_ex, deadline, ev).await;
}

/// After the credentials went out: under HYBRID_EX the Early User
/// Authorization Result decides ([MS-RDPBCGR 2.2.10.2]); under HYBRID the
/// echo proved the password and the server says no more until the RDP
/// connection sequence.
pub(super) async fn early_user_auth<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut FramedStream<S>,
    hybrid_ex: bool,
    deadline: &Deadline,
    ev: &mut LogonEvidence,
) {
    if !hybrid_ex {
        ev.outcome = LogonOutcome::Authenticated;
        return;
    }
    match framed
        .read_frame(
            credssp::early_user_auth_result_len,
            credssp::EARLY_USER_AUTH_RESULT_LEN,
            deadline.step(),
        )
        .await
    {
        Ok(frame) => match credssp::decode_early_user_auth_result(&frame) {
            Ok(v) => {
                ev.phase_reached = LogonPhase::EarlyUserAuthorization;
                ev.early_user_auth = Some(v);
                ev.early_user_auth_name = credssp::authz_result_name(v).map(str::to_owned);
                ev.outcome = match v {
                    credssp::AUTHZ_SUCCESS => LogonOutcome::Authenticated,
                    credssp::AUTHZ_ACCESS_DENIED => LogonOutcome::AccessDenied,
                    _ => LogonOutcome::Rejected,
                };
            }
            Err(e) => {
                ev.outcome = LogonOutcome::Error;
                ev.detail = Some(format!(
                    "the Early User Authorization Result does not decode: {e}"
                ));
            }
        },
        Err(e) => stopped(ev, &e, "waiting for the Early User Authorization Result"),
    }
}

/// The outcome of a read or write that failed mid-exchange.
pub(super) fn stopped(ev: &mut LogonEvidence, e: &ReadError, doing: &str) {
    ev.outcome = match e {
        ReadError::Timeout { .. } => LogonOutcome::NoAnswer,
        ReadError::Closed { .. } | ReadError::Reset { .. } => LogonOutcome::Closed,
        _ => LogonOutcome::Error,
    };
    ev.detail = Some(format!("{doing}: {}", e.describe()));
}

/// The identity `sspi` sends: the user in `realm` for Kerberos, else in
/// the domain given with `--user`.
pub(crate) fn sspi_identity(
    creds: &Credentials,
    realm: Option<&str>,
) -> Result<sspi::Credentials, String> {
    let username = sspi::Username::new(creds.user(), realm.or(creds.domain()))
        .map_err(|e| format!("--user is not a user name sspi accepts: {e}"))?;
    Ok(sspi::Credentials::AuthIdentity(sspi::AuthIdentity {
        username,
        password: sspi::Secret::new(String::clone(creds.password())),
    }))
}

fn describe_negotiation(o: &NegotiationOutcome) -> String {
    match o {
        NegotiationOutcome::Selected { protocol, .. } => {
            format!("it selected {}", protocol.label())
        }
        other => format!("{other:?}"),
    }
}
