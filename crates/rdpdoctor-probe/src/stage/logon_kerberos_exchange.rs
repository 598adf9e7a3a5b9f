//! The one Kerberos logon inside CredSSP, turn by turn ([MS-CSSP 3.1.5]):
//! the AP-REQ in SPNEGO (after the AS and TGS exchanges with the realm's
//! KDC, [RFC 4120 3.1, 3.3]), the server's answer (the AP-REP, or an
//! errorCode that [`ap_error`] reads as KRB_AP_ERR_MODIFIED or
//! KRB_AP_ERR_SKEW), the public-key binding and the server's echo, the
//! delegated credentials, then the Early User Authorization Result.
//! Nothing is retried: one AS exchange with the password per run.

use super::credssp::read_ts_request;
use super::logon::{early_user_auth, stopped};
use super::logon_kerberos::{KdcLog, ap_error};
use super::logon_kerberos_credssp::KerberosCredssp;
use crate::credentials::KerberosLogon;
use crate::io::{Deadline, FramedStream};
use rdpdoctor_evidence::{LogonEvidence, LogonOutcome, LogonPhase};
use rdpdoctor_wire::credssp;
use sspi::credssp::TsRequest;
use tokio::io::{AsyncRead, AsyncWrite};

/// The TSRequest version announced (as current Windows).
const VERSION: u32 = 6;
/// SPNEGO turns before the context must be complete (AP-REQ, mechListMIC).
const MAX_TURNS: usize = 3;

fn failed(ev: &mut LogonEvidence, detail: String) {
    ev.outcome = LogonOutcome::Error;
    ev.detail = Some(detail);
}

/// Sends `ts`; false (with the evidence set) when it could not go out.
async fn send<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut FramedStream<S>,
    ts: &TsRequest,
    deadline: &Deadline,
    ev: &mut LogonEvidence,
) -> bool {
    let mut bytes = Vec::new();
    if let Err(e) = ts.encode_ts_request(&mut bytes) {
        failed(ev, format!("the TSRequest does not encode: {e}"));
        return false;
    }
    match framed.send(&bytes, deadline.step()).await {
        Ok(()) => true,
        Err(e) => {
            stopped(ev, &e, "sending a TSRequest");
            false
        }
    }
}

/// The server's next TSRequest: `None` (with the evidence set) when it did
/// not come, does not decode, or carries an errorCode (read as the AP
/// exchange's KRB error where it is one).
async fn receive<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut FramedStream<S>,
    deadline: &Deadline,
    ev: &mut LogonEvidence,
) -> Option<TsRequest> {
    let frame = match read_ts_request(framed, deadline).await {
        Ok(f) => f,
        Err(e) => {
            stopped(ev, &e, "waiting for the server's TSRequest");
            return None;
        }
    };
    let ours = match credssp::decode_ts_request(&frame) {
        Ok(t) => t,
        Err(e) => {
            failed(ev, format!("the server's TSRequest does not decode: {e}"));
            return None;
        }
    };
    ev.credssp_version = Some(ours.version);
    if let Some(code) = ours.error_code {
        ev.ntstatus = Some(code);
        ev.outcome = LogonOutcome::Rejected;
        if let (Some(m), Some(ap)) = (ev.mechanism.as_mut(), ap_error(code)) {
            m.ap_error = Some(ap);
            m.ap_error_name = rdpdoctor_wire::kerberos::error_name(ap).map(str::to_owned);
        }
        return None;
    }
    match TsRequest::from_buffer(&frame) {
        Ok(t) => Some(t),
        Err(e) => {
            failed(ev, format!("the server's TSRequest does not decode: {e}"));
            None
        }
    }
}

/// The exchange over an established TLS stream, with `client` bound to the
/// server's public key.
pub(super) async fn kerberos_exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut framed: FramedStream<S>,
    mut client: KerberosCredssp,
    plan: &KerberosLogon,
    hybrid_ex: bool,
    deadline: &Deadline,
    ev: &mut LogonEvidence,
) {
    let mut log = KdcLog::default();
    let mut input = Vec::new();
    let mut complete = None;
    for _ in 0..MAX_TURNS {
        let (token, done) = match client.step(input, plan, deadline.step(), &mut log).await {
            Ok(t) => t,
            Err(e) => {
                if let (Some(code), Some(m)) = (log.last_error, ev.mechanism.as_mut()) {
                    // The domain refused (the password, the account, the
                    // SPN): the logon's one attempt, answered with a code.
                    let name = rdpdoctor_wire::kerberos::error_name(code);
                    m.kdc_error = Some(code);
                    m.kdc_error_name = name.map(str::to_owned);
                    ev.outcome = LogonOutcome::Rejected;
                    ev.detail = Some(format!(
                        "the KDC refused the Kerberos logon: {} ({code})",
                        name.unwrap_or("an unnamed error")
                    ));
                    return;
                }
                let at = if ev.phase_reached < LogonPhase::KerberosApRequest {
                    "Kerberos stopped before the AP-REQ"
                } else {
                    "Kerberos refused the server's answer"
                };
                return failed(ev, format!("{at}: {}", e.description));
            }
        };
        if done {
            complete = Some(token);
            break;
        }
        let ts = TsRequest {
            version: VERSION,
            nego_tokens: Some(token),
            ..TsRequest::default()
        };
        if !send(&mut framed, &ts, deadline, ev).await {
            return;
        }
        ev.phase_reached = ev.phase_reached.max(LogonPhase::KerberosApRequest);
        let Some(answer) = receive(&mut framed, deadline, ev).await else {
            return;
        };
        input = answer.nego_tokens.unwrap_or_default();
    }
    let Some(last) = complete else {
        return failed(ev, "SPNEGO did not complete within 3 turns".into());
    };
    let binding = match client.binding(last, VERSION) {
        Ok(b) => b,
        Err(e) => return failed(ev, format!("pubKeyAuth: {}", e.description)),
    };
    if !send(&mut framed, &binding, deadline, ev).await {
        return;
    }
    let Some(echo) = receive(&mut framed, deadline, ev).await else {
        return;
    };
    match echo
        .pub_key_auth
        .as_deref()
        .map(|p| client.echo_verifies(p))
    {
        Some(Ok(true)) => ev.phase_reached = LogonPhase::PublicKeyEcho,
        Some(Ok(false)) | Some(Err(_)) => {
            return failed(
                ev,
                "the server's public-key echo does not verify: a TLS-intercepting device, or a broken server".into(),
            );
        }
        None => return failed(ev, "the server sent no public-key echo".into()),
    }
    let delegated = match client.credentials(VERSION) {
        Ok(d) => d,
        Err(e) => return failed(ev, format!("TSCredentials: {}", e.description)),
    };
    if !send(&mut framed, &delegated, deadline, ev).await {
        return;
    }
    ev.phase_reached = LogonPhase::CredentialsDelegated;
    early_user_auth(&mut framed, hybrid_ex, deadline, ev).await;
}
