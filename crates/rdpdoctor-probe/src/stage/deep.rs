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
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/023f1e69-cfe8-4ee6-9ee0-7e759fb4e4ee>

use super::negotiation::connect_and_negotiate;
use crate::io::{Deadline, FramedStream, ReadError};
use rdpdoctor_evidence::{DeepEvidence, DeepOutcome, DeepPhase, NegotiationEvidence};
use rdpdoctor_wire::license::{self, LicenseKeys};
use rdpdoctor_wire::mcs::{self, encryption_method as em};
use rdpdoctor_wire::rdp::{self, ClientInfoOptions, LicenseSummary, ServerPdu};
use rdpdoctor_wire::security::{self, Role, Session, SessionKeys};
use rdpdoctor_wire::x224::protocol::SSL;
use rdpdoctor_wire::{WireError, tpkt};
use std::net::SocketAddr;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite};

/// The static virtual channels requested, as mstsc requests them.
pub const CHANNELS: [&str; 4] = ["rdpdr", "rdpsnd", "cliprdr", "drdynvc"];
/// The client name sent in the Connect Initial (never the user's host name).
pub const CLIENT_NAME: &str = "RDPDOCTOR";
/// At most this many server PDUs are read after the Client Info.
const MAX_SERVER_PDUS: usize = 64;

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

/// Runs the deep probe the way [`choose`] picks.
pub async fn run(
    addr: SocketAddr,
    host: &str,
    neg: &NegotiationEvidence,
    deadline: &Deadline,
) -> Option<DeepEvidence> {
    let via = choose(neg)?;
    Some(run_via(addr, host, via, deadline).await)
}

/// How far one run got; turned into [`DeepEvidence`] at the end.
struct Progress {
    phase: DeepPhase,
    licensing: Option<String>,
    channels: Vec<String>,
}

/// Runs the deep probe through `via` (also for forcing a path in tests).
pub async fn run_via(addr: SocketAddr, host: &str, via: Via, deadline: &Deadline) -> DeepEvidence {
    let start = Instant::now();
    let mut p = Progress {
        phase: DeepPhase::Security,
        licensing: None,
        channels: Vec::new(),
    };
    let outcome = match via {
        Via::Tls => {
            let config =
                super::tls::client_config(&[&rustls::version::TLS12, &rustls::version::TLS13]);
            match super::tls::rustls_connect(addr, host, SSL, config, deadline).await {
                Ok((_, _, _, stream)) => {
                    let mut framed = FramedStream::new(stream);
                    sequence(&mut framed, via, deadline, &mut p).await
                }
                Err(e) => DeepOutcome::Failed { detail: e.message },
            }
        }
        Via::Rdp(request) => match connect_and_negotiate(addr, request, deadline).await {
            (_, Some(mut framed)) => sequence(&mut framed, via, deadline, &mut p).await,
            (outcome, None) => DeepOutcome::Failed {
                detail: format!(
                    "the X.224 exchange did not lead to Standard RDP Security: {outcome:?}"
                ),
            },
        },
    };
    DeepEvidence {
        via: via.protocol(),
        phase_reached: p.phase,
        outcome,
        licensing: p.licensing,
        channels: p.channels,
        elapsed_ms: crate::io::elapsed_ms(start),
    }
}

/// Why the sequence stopped before the end: already the outcome.
type Stop = DeepOutcome;

fn read_stop(e: &ReadError, waiting_for: &str) -> Stop {
    match e {
        ReadError::Timeout { .. } => DeepOutcome::Timeout,
        ReadError::Closed { .. } => DeepOutcome::Disconnected {
            detail: format!(
                "the server closed the connection while the client waited for {waiting_for}"
            ),
        },
        ReadError::Reset { .. } => DeepOutcome::Disconnected {
            detail: format!(
                "the server reset the connection while the client waited for {waiting_for}"
            ),
        },
        ReadError::Invalid { error, .. } => wire_stop(error, waiting_for),
        ReadError::Io(m) => DeepOutcome::Failed { detail: m.clone() },
    }
}

fn wire_stop(e: &WireError, waiting_for: &str) -> Stop {
    match e {
        WireError::DisconnectProviderUltimatum { reason } => DeepOutcome::Disconnected {
            detail: format!(
                "MCS Disconnect Provider Ultimatum ({}) instead of {waiting_for}",
                mcs::disconnect_reason_name(*reason)
            ),
        },
        WireError::UnexpectedTpdu { code: 0x80, .. } => DeepOutcome::Disconnected {
            detail: format!("X.224 Disconnect Request instead of {waiting_for}"),
        },
        other => DeepOutcome::Failed {
            detail: format!("{waiting_for}: {other}"),
        },
    }
}

async fn send<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut FramedStream<S>,
    pdu: &[u8],
    deadline: &Deadline,
    what: &str,
) -> Result<(), Stop> {
    framed
        .send(pdu, deadline.step())
        .await
        .map_err(|e| match e {
            ReadError::Timeout { .. } => DeepOutcome::Timeout,
            other => DeepOutcome::Disconnected {
                detail: format!("sending {what}: {}", other.describe()),
            },
        })
}

async fn read<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut FramedStream<S>,
    deadline: &Deadline,
    waiting_for: &str,
) -> Result<Vec<u8>, Stop> {
    if deadline.expired() {
        return Err(DeepOutcome::Timeout);
    }
    framed
        .read_frame(rdp::frame_len, tpkt::MAX_FRAME, deadline.step())
        .await
        .map_err(|e| read_stop(&e, waiting_for))
}

/// Reads TPKT frames until one is not fast-path (a server may already send
/// fast-path output while the client is still joining).
async fn read_slow_path<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut FramedStream<S>,
    deadline: &Deadline,
    waiting_for: &str,
) -> Result<Vec<u8>, Stop> {
    for _ in 0..MAX_SERVER_PDUS {
        let frame = read(framed, deadline, waiting_for).await?;
        if frame.first() == Some(&tpkt::VERSION) {
            return Ok(frame);
        }
    }
    Err(DeepOutcome::Failed {
        detail: format!("{MAX_SERVER_PDUS} fast-path PDUs and no {waiting_for}"),
    })
}

async fn sequence<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut FramedStream<S>,
    via: Via,
    deadline: &Deadline,
    p: &mut Progress,
) -> DeepOutcome {
    match steps(framed, via, deadline, p).await {
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
            detail: format!(
                "the MCS Connect Response has result {} ({})",
                resp.result,
                mcs::result_name(resp.result).unwrap_or("unknown")
            ),
        });
    }
    let Some(net) = resp.server_network.clone() else {
        return Err(DeepOutcome::Failed {
            detail: "the MCS Connect Response has no network data (I/O channel)".into(),
        });
    };
    let keying = match via {
        Via::Tls => None,
        Via::Rdp(_) => mcs::decode_server_keying(&frame)
            .map_err(|e| wire_stop(&e, "the server security data"))?,
    };
    p.phase = DeepPhase::McsConnect;

    // Channel Connection.
    send(
        framed,
        &mcs::encode_erect_domain_request(),
        deadline,
        "the Erect Domain Request",
    )
    .await?;
    send(
        framed,
        &mcs::encode_attach_user_request(),
        deadline,
        "the Attach User Request",
    )
    .await?;
    let frame = read_slow_path(framed, deadline, "the MCS Attach User Confirm").await?;
    let user_id = mcs::decode_attach_user_confirm(&frame)
        .map_err(|e| wire_stop(&e, "the MCS Attach User Confirm"))?;
    p.phase = DeepPhase::AttachUser;

    let mut joins: Vec<(u16, Option<&str>)> = vec![(user_id, None), (net.io_channel, None)];
    for (id, name) in net.channel_ids.iter().zip(CHANNELS) {
        if *id != 0 {
            joins.push((*id, Some(name)));
        }
    }
    for (channel, name) in joins {
        send(
            framed,
            &mcs::encode_channel_join_request(user_id, channel),
            deadline,
            "a Channel Join Request",
        )
        .await?;
        let what = format!("the Channel Join Confirm for channel {channel}");
        let frame = read_slow_path(framed, deadline, &what).await?;
        mcs::decode_channel_join_confirm(&frame).map_err(|e| wire_stop(&e, &what))?;
        if let Some(name) = name {
            p.channels.push(name.to_owned());
        }
    }
    p.phase = DeepPhase::ChannelJoin;

    // RDP Security Commencement.
    let mut session = match &keying {
        Some(k) if k.encryption_method != em::NONE => {
            Some(security_exchange(framed, user_id, net.io_channel, k, deadline).await?)
        }
        _ => None,
    };
    if session.is_some() {
        p.phase = DeepPhase::SecurityExchange;
    }

    // Secure Settings Exchange: no user, no domain, no password.
    let info = rdp::encode_client_info_with(
        user_id,
        net.io_channel,
        &ClientInfoOptions::default(),
        session.as_mut(),
    );
    send(framed, &info, deadline, "the Client Info PDU").await?;
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
                        let (message, keys) = new_license_request(&req, key)?;
                        license_keys = Some(keys);
                        message
                    }
                    LicenseSummary::PlatformChallenge { body } => {
                        let Some(keys) = &license_keys else {
                            return Err(DeepOutcome::Failed {
                                detail: "a licensing platform challenge without a license request"
                                    .into(),
                            });
                        };
                        platform_challenge_response(&body, keys)?
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
            ServerPdu::DeactivateAll | ServerPdu::Other { .. } => {}
        }
    }
    Ok(DeepOutcome::Failed {
        detail: format!("{MAX_SERVER_PDUS} server PDUs and no Demand Active"),
    })
}

fn random<const N: usize>() -> Result<[u8; N], Stop> {
    let mut buf = [0u8; N];
    getrandom::getrandom(&mut buf).map_err(|e| DeepOutcome::Failed {
        detail: format!("no randomness available: {e}"),
    })?;
    Ok(buf)
}

/// [MS-RDPELE 2.2.2.2] the answer to a License Request, as a client with
/// no stored license sends it: user and machine name "rdpdoctor".
fn new_license_request(
    req: &license::LicenseRequest,
    key: Option<&mcs::RsaPublicKey>,
) -> Result<(Vec<u8>, LicenseKeys), Stop> {
    let Some(key) = key else {
        return Err(DeepOutcome::Failed {
            detail: "the server's License Request carries no certificate to encrypt the premaster secret with".into(),
        });
    };
    let client_random = random::<32>()?;
    let premaster = random::<{ license::PREMASTER_LEN }>()?;
    let keys = LicenseKeys::derive(&client_random, &req.server_random, &premaster);
    let message = license::encode_new_license_request(
        &client_random,
        &premaster,
        key,
        "rdpdoctor",
        "rdpdoctor",
    )
    .map_err(|e| DeepOutcome::Failed {
        detail: format!("licensing: {e}"),
    })?;
    Ok((message, keys))
}

/// [MS-RDPELE 2.2.2.5] the answer to a Platform Challenge, with a random
/// hardware id (nothing that identifies the machine running the probe).
fn platform_challenge_response(body: &[u8], keys: &LicenseKeys) -> Result<Vec<u8>, Stop> {
    let challenge =
        license::decode_platform_challenge(body, keys).map_err(|e| DeepOutcome::Failed {
            detail: format!("licensing platform challenge: {e}"),
        })?;
    let mut hardware_id = random::<20>()?;
    hardware_id[..4].copy_from_slice(&0x0401_0000u32.to_le_bytes());
    Ok(license::encode_platform_challenge_response(
        keys,
        &challenge,
        &hardware_id,
    ))
}

/// [MS-RDPBCGR 5.3.4] sends the client random under the server's key and
/// derives the session keys.
async fn security_exchange<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut FramedStream<S>,
    user_id: u16,
    io_channel: u16,
    keying: &mcs::ServerKeying,
    deadline: &Deadline,
) -> Result<Session, Stop> {
    let failed = |detail: String| DeepOutcome::Failed { detail };
    let Some(key) = &keying.public_key else {
        return Err(failed(format!(
            "the server selected encryption method {} (level {}) but sent no usable public key",
            keying.encryption_method,
            mcs::encryption_level_name(keying.encryption_level)
        )));
    };
    let client_random = random::<{ security::RANDOM_LEN }>()?;
    let encrypted =
        security::encrypt_client_random(&client_random, key).map_err(|e| failed(e.to_string()))?;
    let keys = SessionKeys::derive(
        keying.encryption_method,
        &client_random,
        &keying.server_random,
    )
    .map_err(|e| failed(e.to_string()))?;
    let session = Session::new(keys, Role::Client).map_err(|e| failed(e.to_string()))?;
    let pdu = security::encode_security_exchange(user_id, io_channel, &encrypted);
    send(framed, &pdu, deadline, "the Security Exchange PDU").await?;
    Ok(session)
}
