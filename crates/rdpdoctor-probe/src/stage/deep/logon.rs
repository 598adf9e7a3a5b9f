//! The logon attempt without Network Level Authentication (`probe --user`
//! against a server that does not select CredSSP): the deep probe's
//! connection sequence over TLS or Standard RDP Security, with the
//! credentials in the Client Info PDU ([MS-RDPBCGR 2.2.1.11.1.1]:
//! INFO_AUTOLOGON, and INFO_LOGONNOTIFY so that the server answers with a
//! Save Session Info PDU, [2.2.10.1]). What the server answers decides:
//!
//! - a Save Session Info with Logon Errors Info ([2.2.10.1.1.4.1.1]):
//!   LOGON_FAILED_BAD_PASSWORD, LOGON_FAILED_UPDATE_PASSWORD,
//!   LOGON_FAILED_OTHER, ERROR_CODE_ACCESS_DENIED, an NTSTATUS — rejected,
//!   with the raw codes; a LOGON_MSG_* session notification — the logon
//!   reached session arbitration, which follows a successful authentication;
//! - a Save Session Info logon notification — the user logged on;
//! - a Set Error Info PDU, or a disconnect, after the Client Info — refused
//!   (the findings weigh it against the deep probe without credentials);
//! - Demand Active and nothing else — **not verified**: a server without NLA
//!   may start the session and show a wrong password only on its logon
//!   screen (Windows sends its Logon Errors Info after the capability
//!   exchange, which this probe does not complete).
//!
//! **One attempt**: one connection carries the credentials, nothing is
//! retried after they went out.
//!
//! [MS-RDPBCGR 2.2.1.11.1.1]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/732394f5-e2b5-4ac5-8a0a-35345386b0d1
//! [2.2.10.1]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/0c4bd0d8-a0c1-4b04-a95b-c0a2d6b8a3e3
//! [2.2.10.1.1.4.1.1]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/845eb789-6edf-453a-8b0e-c976823d1f72

use super::frames::Stop;
use super::turns::Turns;
use super::{Progress, Via, connect_and_negotiate, secure_and_sequence, selected_tls};
use crate::credentials::Credentials;
use crate::io::{Deadline, FramedStream};
use rdpdoctor_evidence::{
    DeepOutcome, DeepPhase, LogonErrorInfo, LogonEvidence, LogonMethod, LogonOutcome, LogonPhase,
    NegotiationOutcome,
};
use rdpdoctor_wire::rdp::{self, ClientInfoOptions, SaveSessionInfo};
use rdpdoctor_wire::security::Session;
use std::net::SocketAddr;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite};
use zeroize::Zeroizing;

/// One logon attempt through a Client Info PDU over `via`.
pub async fn run(
    addr: SocketAddr,
    host: &str,
    via: Via,
    creds: &Credentials,
    deadline: &Deadline,
) -> LogonEvidence {
    let t = Instant::now();
    let (x224, framed) = connect_and_negotiate(addr, via.request(), deadline).await;
    run_on(&x224, framed, host, via, creds, deadline, t).await
}

/// The attempt on a connection (TCP, or the RD Gateway's channel) whose
/// X.224 exchange for `via` ended with `x224`, started at `t`.
pub(crate) async fn run_on<S: AsyncRead + AsyncWrite + Unpin>(
    x224: &NegotiationOutcome,
    framed: Option<FramedStream<S>>,
    host: &str,
    via: Via,
    creds: &Credentials,
    deadline: &Deadline,
    t: Instant,
) -> LogonEvidence {
    let mut ev = super::super::logon::evidence(creds, LogonMethod::ClientInfo);
    ev.via = Some(via.protocol());
    let opened = match (via, framed) {
        (Via::Tls, Some(framed)) if selected_tls(x224) => Ok(framed),
        (Via::Rdp(_), Some(framed)) => Ok(framed),
        _ => Err(super::x224_stop(x224, via.protocol().spec_name())),
    };
    if opened.is_ok() {
        ev.phase_reached = LogonPhase::Negotiated;
    }
    let mut p = Progress::new();
    let outcome = secure_and_sequence(
        opened,
        host,
        via,
        &Turns::default(),
        deadline,
        &mut p,
        Some(creds),
    )
    .await;
    record(&mut ev, via, &outcome, &p);
    ev.elapsed_ms = crate::io::elapsed_ms(t);
    ev
}

/// The Client Info PDU with `creds`; a field the PDU cannot carry stops the
/// attempt before anything is sent.
pub(super) fn client_info(
    creds: &Credentials,
    user_id: u16,
    io_channel: u16,
    session: Option<&mut Session>,
) -> Result<Zeroizing<Vec<u8>>, Stop> {
    let opts = ClientInfoOptions {
        domain: creds.domain().unwrap_or_default().to_owned(),
        user_name: creds.user().to_owned(),
        client_address: String::new(),
    };
    rdp::encode_client_info_logon(
        user_id,
        io_channel,
        &opts,
        creds.password().as_str(),
        session,
    )
    .map_err(|e| DeepOutcome::Failed {
        failure_kind: None,
        detail: format!("the Client Info PDU cannot carry these credentials: {e}"),
    })
}

/// Keeps what a Save Session Info PDU said about the logon; `Some` ends the
/// attempt (the server gave its answer).
pub(super) fn save_session_info(info: &SaveSessionInfo, p: &mut Progress) -> Option<Stop> {
    match info {
        SaveSessionInfo::LoggedOn { info_type, .. } => {
            p.logon_notification = Some(*info_type);
            Some(DeepOutcome::LogonScreen)
        }
        SaveSessionInfo::Extended {
            logon_errors: Some(e),
            ..
        } => {
            p.logon_errors = Some(*e);
            Some(DeepOutcome::LogonScreen)
        }
        SaveSessionInfo::Extended { .. } | SaveSessionInfo::Unknown { .. } => None,
    }
}

/// The logon evidence from how the sequence ended.
fn record(ev: &mut LogonEvidence, via: Via, outcome: &DeepOutcome, p: &Progress) {
    let sent = p.phase >= DeepPhase::ClientInfo;
    // Past the security layer: the MCS Connect Response came through TLS.
    if via == Via::Tls && p.phase > DeepPhase::Security {
        ev.phase_reached = LogonPhase::Tls;
    }
    if sent {
        ev.phase_reached = LogonPhase::ClientInfo;
    }
    if p.phase == DeepPhase::DemandActive {
        ev.phase_reached = LogonPhase::DemandActive;
    }
    ev.logon_notification = p.logon_notification;
    if let Some(e) = p.logon_errors {
        ev.logon_error = Some(LogonErrorInfo {
            notification_type: e.notification_type,
            notification_type_name: rdp::logon_error_type_name(e.notification_type)
                .map(str::to_owned),
            notification_data: e.notification_data,
            notification_data_name: rdp::logon_error_data_name(
                e.notification_type,
                e.notification_data,
            )
            .map(str::to_owned),
        });
        ev.outcome = if rdp::is_logon_msg(e.notification_type) {
            // Session arbitration (reconnect, bump, continue …) follows a
            // successful authentication.
            LogonOutcome::Authenticated
        } else if e.notification_data == rdp::logon_failed::WARNING
            && e.notification_type != rdp::ERROR_CODE_ACCESS_DENIED
            && e.notification_type < 0x8000_0000
        {
            // A warning at the logon with no error status: not a refusal.
            LogonOutcome::NotVerified
        } else {
            LogonOutcome::Rejected
        };
        return;
    }
    if p.logon_notification.is_some() {
        ev.outcome = LogonOutcome::Authenticated;
        return;
    }
    let (outcome, detail) = match outcome {
        DeepOutcome::LogonScreen => (
            LogonOutcome::NotVerified,
            "the server went on to Demand Active without a logon notification or Logon Errors Info: without NLA a server may start the session and show a wrong password only on its logon screen".to_owned(),
        ),
        DeepOutcome::ErrorInfo { code, name } if sent => {
            ev.error_info = Some(*code);
            ev.error_info_name = name.clone();
            (
                LogonOutcome::Rejected,
                "the server sent Set Error Info after the Client Info PDU with the credentials"
                    .to_owned(),
            )
        }
        DeepOutcome::Disconnected { detail } if sent => (LogonOutcome::Closed, detail.clone()),
        DeepOutcome::Timeout if sent => (
            LogonOutcome::NoAnswer,
            "no answer to the Client Info PDU with the credentials before the deadline".to_owned(),
        ),
        DeepOutcome::Failed { detail, .. } if sent => (LogonOutcome::Error, detail.clone()),
        DeepOutcome::ErrorInfo { code, name } => (
            LogonOutcome::NotAttempted,
            format!(
                "the server sent Set Error Info {} ({code:#x}) before the credentials went out",
                name.as_deref().unwrap_or("(unnamed)")
            ),
        ),
        DeepOutcome::Disconnected { detail } | DeepOutcome::Failed { detail, .. } => (
            LogonOutcome::NotAttempted,
            format!("before the credentials went out: {detail}"),
        ),
        DeepOutcome::Timeout => (
            LogonOutcome::NotAttempted,
            "no answer before the credentials went out".to_owned(),
        ),
    };
    ev.outcome = outcome;
    ev.detail = Some(detail);
}
