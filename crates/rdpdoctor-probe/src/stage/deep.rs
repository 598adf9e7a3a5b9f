//! Stage 8: the deep probe. Where the server does not require NLA, go on past
//! the security layer as a client would ([MS-RDPBCGR 1.3.1.1]): MCS Connect,
//! Erect Domain, Attach User, Channel Joins, the Security Exchange (Standard
//! RDP Security), a Client Info PDU **without credentials**, licensing — until
//! the server sends Demand Active (a client would see the logon screen), a
//! Set Error Info PDU, or disconnects.
//!
//! The server's PDUs are read here, not through ironrdp's connector, so the
//! raw 32-bit ERRINFO code is kept (ERRINFO_SERVER_DENIED_CONNECTION is what
//! mstsc shows as 0x904 / extended 0x7). Every read is bounded by the step
//! timeout and the frame limit, and the number of PDUs read is capped.
//!
//! **Round trips.** On a slow link the probe's time is its round trips, so
//! the sequence sends everything the protocol lets it send without a reply:
//! - the Erect Domain Request ([2.2.1.5], which has no reply) and the Attach
//!   User Request ([2.2.1.6]) go in one flight;
//! - the Channel Join Requests ([2.2.1.8]) all go in one flight once the
//!   user channel id is known, or are skipped when both sides announced
//!   skipping them ([2.2.1.3.2], [2.2.1.4.2]);
//! - the deep probe does not wait for the X.224 matrix: [`start_early`] runs
//!   it over TLS beside the matrix, as the TLS path is what [`choose`] picks
//!   whenever the server can select SSL; only when the server does not
//!   select SSL does it wait for the matrix ([`finish`]).
//!
//! The round trips it waited for are counted as it waits ([`turns`]).
//! RSA under the server's key runs off the executor ([`rsa`]).
//!
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/023f1e69-cfe8-4ee6-9ee0-7e759fb4e4ee>

mod frames;
mod keys;
pub mod logon;
pub mod rsa;
pub mod turns;

use super::negotiation::connect_and_negotiate;
use crate::credentials::Credentials;
use crate::io::{Deadline, FramedStream};
use frames::{MAX_SERVER_PDUS, Stop, read, read_slow_path, send, wire_stop};
use rdpdoctor_evidence::{
    DeepEvidence, DeepOutcome, DeepPhase, NegotiationEvidence, NegotiationOutcome, StepFailure,
};
use rdpdoctor_wire::license::LicenseKeys;
use rdpdoctor_wire::mcs::{self, encryption_method as em};
use rdpdoctor_wire::rdp::{self, ClientInfoOptions, LicenseSummary, ServerPdu};
use rdpdoctor_wire::x224::protocol::{HYBRID, HYBRID_EX, SSL};
use rustls::pki_types::ServerName;
use std::net::SocketAddr;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite};
use turns::{Counted, Turns};
use zeroize::Zeroizing;

/// The static virtual channels requested, as mstsc requests them.
pub const CHANNELS: [&str; 4] = ["rdpdr", "rdpsnd", "cliprdr", "drdynvc"];
/// The client name sent in the Connect Initial (never the user's host name).
pub const CLIENT_NAME: &str = "RDPDOCTOR";
/// [MS-RDPBCGR 2.2.1.3.2] whether this client's Client Core Data carries
/// RNS_UD_CS_SUPPORT_SKIP_CHANNELJOIN. It does not yet: the wire crate's
/// Connect Initial sets only ERRINFO_PDU and STRONG_ASYMMETRIC_KEYS. A server
/// may skip the joins only for a client that announced it, so until then
/// the joins are always sent (back to back).
const ANNOUNCES_SKIP_CHANNELJOIN: bool = false;
/// [MS-RDPBCGR 2.2.1.4.2] RNS_UD_SC_SKIP_CHANNELJOIN_SUPPORTED.
const SC_SKIP_CHANNELJOIN_SUPPORTED: u32 = 0x0000_0008;

/// Which security layer the deep probe goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// TLS (PROTOCOL_SSL requested).
    Tls,
    /// Standard RDP Security; `Some(bits)` = the RDP_NEG_REQ to send, `None` = a legacy request.
    Rdp(Option<u32>),
}

impl Via {
    fn protocol(self) -> rdpdoctor_evidence::Protocol {
        match self {
            Via::Tls => rdpdoctor_evidence::Protocol::Ssl,
            Via::Rdp(_) => rdpdoctor_evidence::Protocol::Rdp,
        }
    }

    pub(crate) fn request(self) -> Option<u32> {
        match self {
            Via::Tls => Some(SSL),
            Via::Rdp(request) => request,
        }
    }
}

/// TLS when the server can select SSL, else Standard RDP Security when it
/// accepts PROTOCOL_RDP; `None` for a server that requires NLA (or answered nothing).
pub fn choose(neg: &NegotiationEvidence) -> Option<Via> {
    if neg.can_select(rdpdoctor_evidence::Protocol::Ssl) {
        Some(Via::Tls)
    } else {
        super::rdp_security::rdp_request(neg).map(Via::Rdp)
    }
}

/// One deep probe: its evidence and the round trips it cost.
#[derive(Debug, Clone)]
pub struct DeepRun {
    /// The evidence.
    pub evidence: DeepEvidence,
    /// Server replies this run waited for one after another: the TCP
    /// connect, the X.224 exchange, then each turn of the conversation
    /// ([`turns`]) up to its answer.
    pub round_trips: u32,
    /// True when it ran beside the X.224 matrix ([`start_early`]); false when
    /// it waited for the matrix.
    pub started_early: bool,
}

/// A deep probe over TLS started before the X.224 matrix has answered.
/// Dropping it stops it.
pub struct Early(Option<tokio::task::JoinHandle<Option<DeepRun>>>);

impl Drop for Early {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

impl Early {
    /// The run, or `None` when the server did not select SSL for it.
    async fn result(mut self) -> Option<DeepRun> {
        self.0.take()?.await.ok().flatten()
    }
}

/// Starts the deep probe over TLS at once (on its own task): if the server
/// selects SSL, the sequence goes on without waiting for the X.224 matrix.
pub fn start_early(addr: SocketAddr, host: &str, deadline: &Deadline) -> Early {
    let host = host.to_owned();
    let deadline = deadline.clone();
    Early(Some(tokio::spawn(async move {
        run_early(addr, &host, &deadline).await
    })))
}

/// The deep probe [`choose`] picks once the matrix is known: the early run
/// when it went through TLS, else a run through the chosen path.
pub async fn finish(
    early: Early,
    addr: SocketAddr,
    host: &str,
    neg: &NegotiationEvidence,
    deadline: &Deadline,
) -> Option<DeepRun> {
    let via = choose(neg)?;
    if via == Via::Tls
        && let Some(run) = early.result().await
    {
        return Some(run);
    }
    Some(run_via(addr, host, via, deadline).await)
}

/// How far one run got; turned into [`DeepEvidence`] at the end.
struct Progress {
    phase: DeepPhase,
    licensing: Option<String>,
    channels: Vec<String>,
    /// With credentials: the Logon Errors Info the server answered with.
    logon_errors: Option<rdp::LogonErrors>,
    /// With credentials: the `infoType` of a Save Session Info logon notification.
    logon_notification: Option<u32>,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            phase: DeepPhase::Security,
            licensing: None,
            channels: Vec::new(),
            logon_errors: None,
            logon_notification: None,
        }
    }
}

/// Runs the deep probe through `via` (also for forcing a path in tests).
pub async fn run_via(addr: SocketAddr, host: &str, via: Via, deadline: &Deadline) -> DeepRun {
    let start = Instant::now();
    let (x224, framed) = connect_and_negotiate(addr, via.request(), deadline).await;
    run_on(&x224, framed, host, via, deadline, start).await
}

/// The deep probe on a connection (TCP, or the RD Gateway's channel) whose
/// X.224 exchange for `via` ended with `x224`, started at `start`.
pub(crate) async fn run_on<S: AsyncRead + AsyncWrite + Unpin>(
    x224: &NegotiationOutcome,
    framed: Option<FramedStream<S>>,
    host: &str,
    via: Via,
    deadline: &Deadline,
    start: Instant,
) -> DeepRun {
    let turns = Turns::default();
    turns.add(x224_round_trips(x224));
    let opened = match (via, framed) {
        (Via::Tls, Some(framed)) if selected_tls(x224) => Ok(framed),
        (Via::Tls, _) => Err(x224_stop(x224, "TLS")),
        (Via::Rdp(_), Some(framed)) => Ok(framed),
        (Via::Rdp(_), None) => Err(x224_stop(x224, "Standard RDP Security")),
    };
    go_on(opened, host, via, deadline, (start, turns), false).await
}

/// The outcome when the X.224 exchange did not lead to `to`: failed, with
/// the kind of the exchange's own failure.
pub(super) fn x224_stop(x224: &NegotiationOutcome, to: &str) -> DeepOutcome {
    DeepOutcome::Failed {
        detail: format!("the X.224 exchange did not lead to {to}: {x224}"),
        failure_kind: x224.failure_kind(),
    }
}

/// The early run: over TLS, or `None` when the server does not select SSL
/// (the matrix decides the path then).
async fn run_early(addr: SocketAddr, host: &str, deadline: &Deadline) -> Option<DeepRun> {
    let start = Instant::now();
    let turns = Turns::default();
    let (x224, framed) = connect_and_negotiate(addr, Some(SSL), deadline).await;
    turns.add(x224_round_trips(&x224));
    let framed = framed.filter(|_| selected_tls(&x224))?;
    Some(go_on(Ok(framed), host, Via::Tls, deadline, (start, turns), true).await)
}

/// After the X.224 exchange (`opened`, or why it did not lead to `via`):
/// TLS when `via` says so, then the sequence; the evidence at the end.
async fn go_on<S: AsyncRead + AsyncWrite + Unpin>(
    opened: Result<FramedStream<S>, DeepOutcome>,
    host: &str,
    via: Via,
    deadline: &Deadline,
    (start, turns): (Instant, Turns),
    started_early: bool,
) -> DeepRun {
    let mut p = Progress::new();
    let outcome = secure_and_sequence(opened, host, via, &turns, deadline, &mut p, None).await;
    DeepRun {
        evidence: DeepEvidence {
            via: via.protocol(),
            phase_reached: p.phase,
            outcome,
            licensing: p.licensing,
            channels: p.channels,
            elapsed_ms: crate::io::elapsed_ms(start),
        },
        round_trips: turns.get(),
        started_early,
    }
}

/// After the X.224 exchange: TLS when `via` says so, then the sequence, with
/// `creds` in the Client Info PDU when given.
async fn secure_and_sequence<S: AsyncRead + AsyncWrite + Unpin>(
    opened: Result<FramedStream<S>, DeepOutcome>,
    host: &str,
    via: Via,
    turns: &Turns,
    deadline: &Deadline,
    p: &mut Progress,
    creds: Option<&Credentials>,
) -> DeepOutcome {
    match (opened, via) {
        (Err(stop), _) => stop,
        (Ok(framed), Via::Tls) => match tls_handshake(framed, host, turns, deadline).await {
            Ok(stream) => sequence(&mut FramedStream::new(stream), via, deadline, p, creds).await,
            Err(stop) => stop,
        },
        (Ok(framed), Via::Rdp(_)) => {
            let (tcp, pending) = framed.into_parts();
            let mut framed = FramedStream::new(Counted::new(tcp, turns.clone(), pending));
            sequence(&mut framed, via, deadline, p, creds).await
        }
    }
}

/// What [`connect_and_negotiate`] waited for before it came to `outcome`:
/// the TCP connect and, once connected, one Connection Confirm.
fn x224_round_trips(outcome: &NegotiationOutcome) -> u32 {
    match outcome {
        NegotiationOutcome::ConnectFailed { .. } => 1,
        _ => 2,
    }
}

/// Round trips the X.224 matrix waited for: its connections run at once,
/// so the longest of them.
pub fn matrix_round_trips(neg: &NegotiationEvidence) -> u32 {
    neg.attempts
        .iter()
        .map(|a| x224_round_trips(&a.outcome))
        .max()
        .unwrap_or(0)
}

/// The server selected a protocol that starts with a TLS handshake.
fn selected_tls(x224: &NegotiationOutcome) -> bool {
    matches!(x224, NegotiationOutcome::Selected { protocol, .. }
        if protocol.bits.is_some_and(|b| b & (SSL | HYBRID | HYBRID_EX) != 0))
}

/// A rustls handshake as the TLS stage's modern client does it, over a
/// stream that counts its round trips (hence not `tls::rustls_connect`,
/// which owns its TCP stream).
async fn tls_handshake<S: AsyncRead + AsyncWrite + Unpin>(
    framed: FramedStream<S>,
    host: &str,
    turns: &Turns,
    deadline: &Deadline,
) -> Result<tokio_rustls::client::TlsStream<Counted<S>>, DeepOutcome> {
    let (tcp, pending) = framed.into_parts();
    let stream = Counted::new(tcp, turns.clone(), pending);
    let config = super::tls::client_config(&[&rustls::version::TLS12, &rustls::version::TLS13]);
    // SNI only for DNS names, as mstsc does.
    let name = ServerName::try_from(host.to_owned())
        .unwrap_or_else(|_| ServerName::IpAddress(std::net::Ipv4Addr::UNSPECIFIED.into()));
    let connector = tokio_rustls::TlsConnector::from(config);
    match tokio::time::timeout(deadline.step(), connector.connect(name, stream)).await {
        Err(_) => Err(DeepOutcome::Failed {
            detail: "the TLS handshake did not finish before the deadline".into(),
            failure_kind: Some(StepFailure::Timeout),
        }),
        Ok(Err(e)) => Err(DeepOutcome::Failed {
            failure_kind: Some(super::tls::classify(&e).into()),
            detail: format!("TLS handshake failed: {e}"),
        }),
        Ok(Ok(s)) => Ok(s),
    }
}

async fn sequence<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut FramedStream<S>,
    via: Via,
    deadline: &Deadline,
    p: &mut Progress,
    creds: Option<&Credentials>,
) -> DeepOutcome {
    match steps(framed, via, deadline, p, creds).await {
        Ok(outcome) | Err(outcome) => {
            // Leave as a client does: an MCS Disconnect Provider Ultimatum
            // (rn-user-requested), best effort, then the connection drops.
            let bye = mcs::encode_disconnect_provider_ultimatum(3);
            let budget = deadline.step().min(std::time::Duration::from_millis(500));
            let _ = framed.send(&bye, budget).await;
            outcome
        }
    }
}

async fn steps<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut FramedStream<S>,
    via: Via,
    deadline: &Deadline,
    p: &mut Progress,
    creds: Option<&Credentials>,
) -> Result<DeepOutcome, Stop> {
    // Basic Settings Exchange.
    let (methods, selected) = match via {
        Via::Tls => (em::NONE, SSL),
        Via::Rdp(_) => (em::BIT_40 | em::BIT_56 | em::BIT_128 | em::FIPS, 0),
    };
    let ci = mcs::encode_connect_initial(&mcs::ConnectInitialOptions {
        encryption_methods: methods,
        selected_protocol: selected,
        client_name: CLIENT_NAME.into(),
        desktop_width: 1024,
        desktop_height: 768,
        channels: CHANNELS.iter().map(|c| (*c).to_owned()).collect(),
    });
    send(framed, &ci, deadline, "the MCS Connect Initial").await?;
    let frame = read_slow_path(framed, deadline, "the MCS Connect Response").await?;
    let resp = mcs::decode_connect_response(&frame)
        .map_err(|e| wire_stop(&e, "the MCS Connect Response"))?;
    if resp.result != 0 {
        return Err(DeepOutcome::Failed {
            failure_kind: None,
            detail: format!(
                "the MCS Connect Response has result {} ({})",
                resp.result,
                mcs::result_name(resp.result).unwrap_or("unknown")
            ),
        });
    }
    let Some(net) = resp.server_network.clone() else {
        return Err(DeepOutcome::Failed {
            failure_kind: Some(StepFailure::Invalid),
            detail: "the MCS Connect Response has no network data (I/O channel)".into(),
        });
    };
    let keying = match via {
        Via::Tls => None,
        Via::Rdp(_) => mcs::decode_server_keying(&frame)
            .map_err(|e| wire_stop(&e, "the server security data"))?,
    };
    p.phase = DeepPhase::McsConnect;

    // Channel Connection. [2.2.1.5] The Erect Domain Request has no reply:
    // it goes in one flight with the [2.2.1.6] Attach User Request.
    let mut flight = mcs::encode_erect_domain_request();
    flight.extend_from_slice(&mcs::encode_attach_user_request());
    send(
        framed,
        &flight,
        deadline,
        "the Erect Domain and Attach User Requests",
    )
    .await?;
    let frame = read_slow_path(framed, deadline, "the MCS Attach User Confirm").await?;
    let user_id = mcs::decode_attach_user_confirm(&frame)
        .map_err(|e| wire_stop(&e, "the MCS Attach User Confirm"))?;
    p.phase = DeepPhase::AttachUser;

    // [2.2.1.8] the user channel, the I/O channel and each static channel the
    // server gave an id, all requested in one flight; the server confirms
    // them in order.
    let assigned: Vec<(u16, &str)> = net
        .channel_ids
        .iter()
        .zip(CHANNELS)
        .filter(|(id, _)| **id != 0)
        .map(|(id, name)| (*id, name))
        .collect();
    let server_flags = resp
        .server_core
        .as_ref()
        .and_then(|c| c.early_capability_flags);
    if skips_channel_joins(ANNOUNCES_SKIP_CHANNELJOIN, server_flags) {
        // Both sides skip the joins: the channels the server assigned are open.
        p.channels = assigned
            .iter()
            .map(|(_, name)| (*name).to_owned())
            .collect();
    } else {
        let mut joins: Vec<(u16, Option<&str>)> = vec![(user_id, None), (net.io_channel, None)];
        joins.extend(assigned.iter().map(|(id, name)| (*id, Some(*name))));
        let flight: Vec<u8> = joins
            .iter()
            .flat_map(|(channel, _)| mcs::encode_channel_join_request(user_id, *channel))
            .collect();
        send(framed, &flight, deadline, "the Channel Join Requests").await?;
        for (channel, name) in joins {
            let what = format!("the Channel Join Confirm for channel {channel}");
            let frame = read_slow_path(framed, deadline, &what).await?;
            mcs::decode_channel_join_confirm(&frame).map_err(|e| wire_stop(&e, &what))?;
            if let Some(name) = name {
                p.channels.push(name.to_owned());
            }
        }
    }
    p.phase = DeepPhase::ChannelJoin;

    // RDP Security Commencement.
    let mut session = match &keying {
        Some(k) if k.encryption_method != em::NONE => {
            Some(keys::security_exchange(framed, user_id, net.io_channel, k, deadline).await?)
        }
        _ => None,
    };
    if session.is_some() {
        p.phase = DeepPhase::SecurityExchange;
    }

    // Secure Settings Exchange: no user, no domain, no password — except for
    // the one logon attempt of `probe --user` ([`logon`]).
    let info = match creds {
        None => Zeroizing::new(rdp::encode_client_info_with(
            user_id,
            net.io_channel,
            &ClientInfoOptions::default(),
            session.as_mut(),
        )),
        Some(c) => logon::client_info(c, user_id, net.io_channel, session.as_mut())?,
    };
    send(framed, &info, deadline, "the Client Info PDU").await?;
    drop(info);
    p.phase = DeepPhase::ClientInfo;

    // Licensing, then Demand Active (or the reason why not).
    let server_key = keying.as_ref().and_then(|k| k.public_key.clone());
    let mut license_keys: Option<LicenseKeys> = None;
    for _ in 0..MAX_SERVER_PDUS {
        let frame = read(framed, deadline, "licensing or Demand Active").await?;
        let pdu = rdp::decode_server_pdu_with(&frame, session.as_mut())
            .map_err(|e| wire_stop(&e, "a server PDU after the Client Info"))?;
        match pdu {
            ServerPdu::License(summary) => {
                p.licensing = Some(summary.label());
                p.phase = p.phase.max(DeepPhase::Licensing);
                let reply = match summary {
                    LicenseSummary::LicenseRequest(req) => {
                        let key = req.server_key.as_ref().or(server_key.as_ref());
                        let (message, keys) =
                            keys::new_license_request(&req, key, deadline).await?;
                        license_keys = Some(keys);
                        message
                    }
                    LicenseSummary::PlatformChallenge { body } => {
                        let Some(keys) = &license_keys else {
                            return Err(DeepOutcome::Failed {
                                failure_kind: Some(StepFailure::Invalid),
                                detail: "a licensing platform challenge without a license request"
                                    .into(),
                            });
                        };
                        keys::platform_challenge_response(&body, keys)?
                    }
                    _ => continue,
                };
                let pdu =
                    rdp::encode_license_pdu(user_id, net.io_channel, &reply, session.as_mut());
                send(framed, &pdu, deadline, "a licensing reply").await?;
            }
            ServerPdu::DemandActive { .. } => {
                p.phase = DeepPhase::DemandActive;
                return Ok(DeepOutcome::LogonScreen);
            }
            // ERRINFO_SUCCESS carries no error; Windows may send it before
            // other PDUs.
            ServerPdu::SetErrorInfo(0) => {}
            ServerPdu::SetErrorInfo(code) => {
                return Ok(DeepOutcome::ErrorInfo {
                    code,
                    name: rdp::error_info_name(code).map(str::to_owned),
                });
            }
            ServerPdu::DisconnectProviderUltimatum(reason) => {
                return Ok(DeepOutcome::Disconnected {
                    detail: format!(
                        "MCS Disconnect Provider Ultimatum ({}) before Demand Active",
                        mcs::disconnect_reason_name(reason)
                    ),
                });
            }
            // [2.2.10.1] Only an attempt with credentials asked for it
            // (INFO_LOGONNOTIFY with INFO_AUTOLOGON); the answer decides it.
            ServerPdu::SaveSessionInfo(info) if creds.is_some() => {
                if let Some(stop) = logon::save_session_info(&info, p) {
                    return Ok(stop);
                }
            }
            ServerPdu::SaveSessionInfo(_) | ServerPdu::DeactivateAll | ServerPdu::Other { .. } => {}
        }
    }
    Ok(DeepOutcome::Failed {
        failure_kind: Some(StepFailure::Invalid),
        detail: format!("{MAX_SERVER_PDUS} server PDUs and no Demand Active"),
    })
}

/// [MS-RDPBCGR 2.2.1.8] the client skips the Channel Join Requests only when
/// it announced RNS_UD_CS_SUPPORT_SKIP_CHANNELJOIN ([2.2.1.3.2]) and the
/// server answered RNS_UD_SC_SKIP_CHANNELJOIN_SUPPORTED ([2.2.1.4.2]).
fn skips_channel_joins(announced: bool, server_early_flags: Option<u32>) -> bool {
    announced && server_early_flags.is_some_and(|f| f & SC_SKIP_CHANNELJOIN_SUPPORTED != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_are_skipped_only_when_both_sides_say_so() {
        assert!(skips_channel_joins(
            true,
            Some(SC_SKIP_CHANNELJOIN_SUPPORTED | 0x1)
        ));
        assert!(!skips_channel_joins(
            false,
            Some(SC_SKIP_CHANNELJOIN_SUPPORTED)
        ));
        assert!(!skips_channel_joins(true, Some(0x1)));
        assert!(!skips_channel_joins(true, None));
    }
}
