//! One emulated connection, from the X.224 Connection Request to the fault's
//! last word: the same sequence a Windows host runs ([MS-RDPBCGR 1.3.1.1]),
//! cut where the fault says.

mod nla;
mod nla_sspi;

use crate::FaultConfig;
use crate::certs::ProprietaryKey;
use crate::fault::{Answer, Fault};
use crate::framed::{End, Framed, Settings};
use crate::pdu;
use nla::{credssp_exchange, nonce};
use rdpdoctor_wire::mcs::ClientConnectData;
use rdpdoctor_wire::mcs::{
    self, ConnectResponse, ServerCertificate, ServerCore, ServerNetwork, ServerSecurity,
};
use rdpdoctor_wire::rdp::{ClientSharePdu, control_action, declared_len as rdp_framer, pdu_type2};
use rdpdoctor_wire::tpkt::declared_len as tpkt_framer;
use rdpdoctor_wire::x224::{self, ConnectionConfirm, protocol};
use rdpdoctor_wire::{rdp, tpkt};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// NTSTATUS STATUS_LOGON_FAILURE: what Windows puts in the TSRequest
/// errorCode when the credentials do not check out.
pub(crate) const STATUS_LOGON_FAILURE: u32 = 0xC000_006D;
/// [MS-RDPBCGR 2.2.5.1.1] ERRINFO_SERVER_DENIED_CONNECTION.
pub(crate) const ERRINFO_SERVER_DENIED_CONNECTION: u32 = 0x0000_0007;
/// [MS-RDPBCGR 2.2.5.1.1] ERRINFO_LICENSE_NO_LICENSE_SERVER.
pub(crate) const ERRINFO_LICENSE_NO_LICENSE_SERVER: u32 = 0x0000_0101;
/// The largest Connection Request accepted (the cookie keeps it below 255 + headers).
const MAX_CONNECTION_REQUEST: usize = 1024;
/// How long the emulator waits for a client to read its last PDU and close.
const LINGER: Duration = Duration::from_secs(2);
/// T.125 Reason rn-provider-initiated.
const RN_PROVIDER_INITIATED: u8 = 1;

/// What every connection of a listener shares.
pub(crate) struct Ctx {
    pub cfg: FaultConfig,
    pub tls: TlsAcceptor,
    pub proprietary: ProprietaryKey,
    /// The subjectPublicKey of the TLS certificate served, which CredSSP
    /// binds ([MS-CSSP 3.1.5], pubKeyAuth); `None` without TLS.
    pub public_key: Option<Vec<u8>>,
}

/// The TLS server of a listener.
pub(crate) enum TlsAcceptor {
    /// TLS 1.2 and 1.3 with rustls.
    Rustls(tokio_rustls::TlsAcceptor),
    /// TLS 1.0 only, with OpenSSL at security level 0.
    #[cfg(feature = "openssl")]
    OpenSsl(openssl::ssl::SslAcceptor),
    /// No certificate (ssl-cert-not-on-server, which never selects TLS).
    None,
}

fn garbage(e: impl std::fmt::Display) -> End {
    End::Garbage(e.to_string())
}

/// Serves one connection; never panics, always ends (deadlines everywhere).
/// `stall`: hold it without an answer instead ([`crate::FaultConfig::stall_first`]).
pub(crate) async fn handle(tcp: TcpStream, ctx: Arc<Ctx>, stall: bool) -> End {
    let _ = tcp.set_nodelay(true);
    let cfg = &ctx.cfg;
    let deadline = Instant::now() + cfg.connection_budget;
    let delay = if cfg.fault == Fault::Slow {
        cfg.delay
    } else {
        Duration::ZERO
    };
    let mut s = Framed::new(tcp, cfg.read_timeout, deadline, delay);
    if stall {
        s.drain(cfg.hold).await;
        return End::Timeout;
    }
    match cfg.fault {
        // Dropping the socket sends a FIN (an RST if the client already sent bytes).
        Fault::AcceptThenClose => return End::Done,
        Fault::Silent => {
            s.drain(cfg.hold).await;
            return End::Timeout;
        }
        _ => {}
    }
    match run(s, &ctx).await {
        Ok(()) => End::Done,
        Err(e) => e,
    }
}

async fn run(mut s: Framed<TcpStream>, ctx: &Arc<Ctx>) -> Result<(), End> {
    let fault = ctx.cfg.fault;
    let frame = s.read_frame(tpkt_framer, MAX_CONNECTION_REQUEST).await?;
    let request = x224::decode_connection_request(&frame).map_err(garbage)?;
    let requested = request.requested_protocols;
    let answer = fault.answer(requested);
    let flags = if fault == Fault::CredsspV2 {
        // Windows Server 2008 R2 only knows EXTENDED_CLIENT_DATA_SUPPORTED.
        x224::response_flags::EXTENDED_CLIENT_DATA_SUPPORTED
    } else {
        // Windows Server 2022.
        0x1F
    };
    let cc = match answer {
        Answer::Select(p) => ConnectionConfirm::Response {
            selected_protocol: p,
            flags,
        },
        Answer::Fail(code) => ConnectionConfirm::Failure { code },
        Answer::NoNegotiationData => ConnectionConfirm::NoNegotiationData,
    };
    s.send(&x224::encode_connection_confirm(&cc)).await?;
    match answer {
        Answer::Fail(_) => {
            linger(&mut s).await;
            Err(End::Done)
        }
        Answer::NoNegotiationData | Answer::Select(protocol::RDP) => {
            standard_security(&mut s, ctx, requested).await
        }
        Answer::Select(selected) => {
            if s.buffered() > 0 {
                // Bytes pipelined before our Connection Confirm: not a client.
                return Err(garbage("data after the Connection Request"));
            }
            s.pause().await;
            let settings = s.settings();
            tls_then(settings, s.into_inner(), ctx, selected, requested).await
        }
    }
}

/// Shuts the write side and waits (briefly) for the client to read and close.
async fn linger<S: AsyncRead + AsyncWrite + Unpin>(s: &mut Framed<S>) {
    s.close().await;
    s.drain(LINGER).await;
}

/// Runs the TLS handshake on `tcp`, then CredSSP or the MCS phases.
async fn tls_then(
    settings: Settings,
    tcp: TcpStream,
    ctx: &Arc<Ctx>,
    selected: u32,
    requested: Option<u32>,
) -> Result<(), End> {
    let budget = ctx.cfg.read_timeout;
    match &ctx.tls {
        TlsAcceptor::Rustls(acceptor) => {
            let stream = match tokio::time::timeout(budget, acceptor.accept(tcp)).await {
                Ok(Ok(t)) => t,
                Ok(Err(e)) => return Err(garbage(format!("TLS handshake: {e}"))),
                Err(_) => return Err(End::Timeout),
            };
            let mut s = Framed::with_settings(stream, settings);
            after_tls(&mut s, ctx, selected, requested).await
        }
        #[cfg(feature = "openssl")]
        TlsAcceptor::OpenSsl(acceptor) => {
            let ssl = openssl::ssl::Ssl::new(acceptor.context()).map_err(garbage)?;
            let mut stream = tokio_openssl::SslStream::new(ssl, tcp).map_err(garbage)?;
            match tokio::time::timeout(budget, std::pin::Pin::new(&mut stream).accept()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(garbage(format!("TLS handshake: {e}"))),
                Err(_) => return Err(End::Timeout),
            }
            let mut s = Framed::with_settings(stream, settings);
            after_tls(&mut s, ctx, selected, requested).await
        }
        TlsAcceptor::None => Err(End::Done),
    }
}

async fn after_tls<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Framed<S>,
    ctx: &Arc<Ctx>,
    selected: u32,
    requested: Option<u32>,
) -> Result<(), End> {
    let hybrid_ex = selected & protocol::HYBRID_EX != 0;
    let r = if selected & (protocol::HYBRID | protocol::HYBRID_EX) == 0 {
        mcs_over_tls(s, ctx, requested).await
    } else if ctx.cfg.kerberos.is_some() {
        nla_sspi::serve(s, ctx, hybrid_ex).await
    } else {
        credssp_exchange(s, ctx).await
    };
    linger(s).await;
    r
}

/// SC_CORE of this host, echoing the client's requestedProtocols.
pub(crate) fn server_core(fault: Fault, requested: Option<u32>) -> ServerCore {
    ServerCore {
        version: if fault == Fault::CredsspV2 {
            0x0008_0004
        } else {
            0x0008_000C // RDP 10.7
        },
        client_requested_protocols: Some(requested.unwrap_or(0)),
        early_capability_flags: Some(0x0000_0001), // RNS_UD_SC_EDGE_ACTIONS_SUPPORTED_V1
    }
}

fn server_network(client: &ClientConnectData) -> ServerNetwork {
    ServerNetwork {
        io_channel: pdu::IO_CHANNEL_ID,
        channel_ids: (0..client.channels.len())
            .map(|i| {
                pdu::IO_CHANNEL_ID
                    .saturating_add(1)
                    .saturating_add(u16::try_from(i).unwrap_or(0))
            })
            .collect(),
    }
}

/// Erect Domain, Attach User, Channel Joins ([MS-RDPBCGR 2.2.1.5–2.2.1.9]);
/// returns the first frame after the joins.
async fn domain_phase<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Framed<S>,
) -> Result<Vec<u8>, End> {
    let frame = s.read_frame(tpkt_framer, 64).await?;
    mcs::decode_erect_domain_request(&frame).map_err(garbage)?;
    let frame = s.read_frame(tpkt_framer, 64).await?;
    mcs::decode_attach_user_request(&frame).map_err(garbage)?;
    s.send(&mcs::encode_attach_user_confirm(pdu::USER_ID))
        .await?;
    // The user channel, the I/O channel, every static channel, the message channel.
    for _ in 0..=mcs::MAX_CHANNELS.saturating_add(3) {
        let frame = s.read_frame(rdp_framer, tpkt::MAX_FRAME).await?;
        match mcs::decode_channel_join_request(&frame) {
            Ok((user, channel)) => {
                s.send(&mcs::encode_channel_join_confirm(user, channel))
                    .await?;
            }
            Err(_) => return Ok(frame),
        }
    }
    Err(garbage("too many Channel Join Requests"))
}

/// The user data of the Send Data Request in `frame`, or why not.
fn send_data(frame: &[u8]) -> Result<Vec<u8>, End> {
    match mcs::decode_send_data_request(frame) {
        Ok(sd) => Ok(sd.data.to_vec()),
        Err(rdpdoctor_wire::WireError::DisconnectProviderUltimatum { .. }) => Err(End::Closed),
        Err(e) => Err(garbage(e)),
    }
}

/// After TLS without NLA: the basic settings exchange, the domain phase,
/// Client Info, then the fault's end (Set Error Info) or licensing, Demand
/// Active and finalization.
async fn mcs_over_tls<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Framed<S>,
    ctx: &Arc<Ctx>,
    requested: Option<u32>,
) -> Result<(), End> {
    let fault = ctx.cfg.fault;
    let frame = s.read_frame(tpkt_framer, tpkt::MAX_FRAME).await?;
    let client = mcs::decode_connect_initial(&frame).map_err(|e| End::Garbage(e.to_string()))?;
    let response = ConnectResponse {
        result: 0,
        server_core: Some(server_core(fault, requested)),
        server_security: Some(ServerSecurity {
            encryption_method: 0,
            encryption_level: 0,
            server_random_len: 0,
            server_certificate_permanent: Some(true),
            server_certificate: None,
        }),
        server_network: Some(server_network(&client)),
        server_message_channel: None,
        server_multitransport_flags: None,
    };
    s.send(&mcs::encode_connect_response(&response)).await?;
    let frame = domain_phase(s).await?;
    if let Err(e) = rdp::decode_client_info(&frame) {
        // Accept a Client Info whose extended part this decoder does not know.
        let info = send_data(&frame)?;
        if pdu::security_flags(&info).is_none_or(|f| f & rdp::sec_flags::SEC_INFO_PKT == 0) {
            return Err(garbage(format!("expected the Client Info PDU: {e}")));
        }
    }
    let errinfo = match fault {
        Fault::ServerDenied => Some(ERRINFO_SERVER_DENIED_CONNECTION),
        Fault::LicensingError => Some(ERRINFO_LICENSE_NO_LICENSE_SERVER),
        _ => None,
    };
    let (initiator, io) = (pdu::SERVER_CHANNEL_ID, pdu::IO_CHANNEL_ID);
    if let Some(code) = errinfo {
        s.send(&rdp::encode_set_error_info(initiator, io, code))
            .await?;
        s.send_now(&mcs::encode_disconnect_provider_ultimatum(
            RN_PROVIDER_INITIATED,
        ))
        .await?;
        return Err(End::Done);
    }
    s.send(&rdp::encode_license_error_valid_client(initiator, io))
        .await?;
    s.send_now(&rdp::encode_demand_active(initiator, io, pdu::SHARE_ID))
        .await?;
    finalization(s, ctx).await
}

/// Answers the client's finalization PDUs ([MS-RDPBCGR 1.3.1.1], phase 10),
/// then idles until the client leaves: the emulator draws no desktop.
async fn finalization<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Framed<S>,
    ctx: &Arc<Ctx>,
) -> Result<(), End> {
    loop {
        let frame = s
            .read_frame_within(rdp_framer, tpkt::MAX_FRAME, ctx.cfg.hold)
            .await?;
        if frame.first() != Some(&tpkt::VERSION) {
            continue; // fast-path input
        }
        let data = send_data(&frame)?;
        let (initiator, io, share) = (pdu::SERVER_CHANNEL_ID, pdu::IO_CHANNEL_ID, pdu::SHARE_ID);
        let reply = match rdp::decode_client_share_pdu(&data) {
            ClientSharePdu::Data {
                pdu_type2: pdu_type2::SYNCHRONIZE,
                ..
            } => Some(rdp::encode_synchronize(initiator, io, share)),
            ClientSharePdu::Data {
                pdu_type2: pdu_type2::CONTROL,
                action: Some(control_action::COOPERATE),
            } => Some(rdp::encode_control(
                initiator,
                io,
                share,
                control_action::COOPERATE,
                pdu::USER_ID,
            )),
            ClientSharePdu::Data {
                pdu_type2: pdu_type2::CONTROL,
                action: Some(control_action::REQUEST_CONTROL),
            } => Some(rdp::encode_control(
                initiator,
                io,
                share,
                control_action::GRANTED_CONTROL,
                pdu::USER_ID,
            )),
            ClientSharePdu::Data {
                pdu_type2: pdu_type2::FONT_LIST,
                ..
            } => Some(rdp::encode_font_map(initiator, io, share)),
            // Shutdown Request: the client logs off.
            ClientSharePdu::Data {
                pdu_type2: pdu_type2::SHUTDOWN_REQUEST,
                ..
            } => return Err(End::Done),
            _ => None,
        };
        if let Some(r) = reply {
            s.send(&r).await?;
        }
    }
}

/// Writes the key and the server random into a Connect Response built by
/// [`mcs::encode_connect_response`], which leaves both zero.
fn fill_proprietary(frame: &mut [u8], key: &ProprietaryKey, random: &[u8]) {
    let Some(at) = frame.windows(4).position(|w| w == b"RSA1") else {
        return;
    };
    if let Some(dst) = at
        .checked_add(20)
        .and_then(|m| frame.get_mut(m..m.saturating_add(key.modulus_le.len())))
    {
        dst.copy_from_slice(&key.modulus_le);
    }
    // serverRandom ends where the certificate starts, 16 bytes before the key.
    if let Some(dst) = at
        .checked_sub(48)
        .and_then(|r| frame.get_mut(r..r.saturating_add(random.len())))
        && dst.len() == random.len()
    {
        dst.copy_from_slice(random);
    }
}

/// Standard RDP Security ([MS-RDPBCGR 5.3]) up to the Security Exchange
/// PDU. The emulator does not implement RC4/3DES session encryption, so it
/// ends the connection after the next PDU, the Client Info (a plain close).
async fn standard_security(
    s: &mut Framed<TcpStream>,
    ctx: &Arc<Ctx>,
    requested: Option<u32>,
) -> Result<(), End> {
    use mcs::{encryption_level as level, encryption_method as method};
    let fault = ctx.cfg.fault;
    let frame = s.read_frame(tpkt_framer, tpkt::MAX_FRAME).await?;
    let client = mcs::decode_connect_initial(&frame).map_err(|e| End::Garbage(e.to_string()))?;
    let offered = client.encryption_methods;
    let (enc_level, enc_method) = if fault == Fault::FipsRequired {
        (
            level::FIPS,
            (offered & method::FIPS != 0).then_some(method::FIPS),
        )
    } else {
        (
            level::HIGH,
            (offered & method::BIT_128 != 0).then_some(method::BIT_128),
        )
    };
    let Some(enc_method) = enc_method else {
        // Like Windows: a client that cannot meet the encryption level is dropped.
        linger(s).await;
        return Err(End::Done);
    };
    let response = ConnectResponse {
        result: 0,
        server_core: Some(server_core(fault, requested)),
        server_security: Some(ServerSecurity {
            encryption_method: enc_method,
            encryption_level: enc_level,
            server_random_len: 32,
            server_certificate_permanent: Some(true),
            server_certificate: Some(ServerCertificate::Proprietary {
                public_key_bits: 512,
                public_exponent: 65537,
            }),
        }),
        server_network: Some(server_network(&client)),
        server_message_channel: None,
        server_multitransport_flags: None,
    };
    let mut frame = mcs::encode_connect_response(&response);
    let random: Vec<u8> = (0..4).flat_map(|_| nonce()).collect();
    fill_proprietary(&mut frame, &ctx.proprietary, &random);
    s.send(&frame).await?;
    let frame = domain_phase(s).await?;
    let exchange = send_data(&frame)?;
    if pdu::security_flags(&exchange).is_none_or(|f| f & rdp::sec_flags::SEC_EXCHANGE_PKT == 0) {
        return Err(garbage("expected the Security Exchange PDU"));
    }
    // The Client Info PDU is read (not decrypted) before the close, so the
    // close always follows it, as a server refusing the logon closes: a
    // close right after the Security Exchange races the client's Client
    // Info, and through an RD Gateway's extra hops the client could see
    // the close before it sent the PDU (a different report for the same
    // server, by timing alone).
    let _ = s.read_frame(tpkt_framer, tpkt::MAX_FRAME).await;
    // A plain close: a Disconnect Provider Ultimatum would make clients
    // report a reason (FreeRDP: ERRINFO_RPC_INITIATED_DISCONNECT) that
    // Windows never gives here.
    linger(s).await;
    Err(End::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proprietary_key_and_random_are_filled_in() {
        let key = crate::certs::proprietary_key();
        let response = ConnectResponse {
            result: 0,
            server_core: Some(server_core(Fault::RdpSecurityOnly, Some(0))),
            server_security: Some(ServerSecurity {
                encryption_method: 2,
                encryption_level: 3,
                server_random_len: 32,
                server_certificate_permanent: Some(true),
                server_certificate: Some(ServerCertificate::Proprietary {
                    public_key_bits: 512,
                    public_exponent: 65537,
                }),
            }),
            server_network: Some(ServerNetwork {
                io_channel: 1003,
                channel_ids: vec![],
            }),
            server_message_channel: None,
            server_multitransport_flags: None,
        };
        let mut frame = mcs::encode_connect_response(&response);
        fill_proprietary(&mut frame, &key, &[0xAB; 32]);
        let keying = mcs::decode_server_keying(&frame).unwrap().unwrap();
        assert_eq!(keying.server_random, [0xAB; 32]);
        if cfg!(feature = "openssl") {
            let k = keying.public_key.unwrap();
            assert!(k.modulus.iter().any(|b| *b != 0));
        }
        assert_eq!(mcs::decode_connect_response(&frame).unwrap(), response);
    }
}
