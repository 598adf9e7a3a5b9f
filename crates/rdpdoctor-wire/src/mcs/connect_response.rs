//! [MS-RDPBCGR 2.2.1.4] Server MCS Connect Response PDU with GCC Conference
//! Create Response: the server's core, security, network, message channel
//! and multitransport data blocks. Decoded for the probe, encoded for the
//! emulator and test doubles.
//!
//! ironrdp-pdu is used for the server core (SC_CORE) and network (SC_NET)
//! blocks, which it decodes faithfully. It is not used for the response as a
//! whole, because its `ServerSecurityData` refuses real data: server
//! certificates over 1024 bytes (an X.509 chain from a license server is
//! routinely 2–4 KiB) and any `encryptionMethod` bit it does not know. The
//! security block and the certificate inside are therefore decoded here.
//!
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/927de44c-7fe8-4206-a14f-e5517dc24b1c>

use serde::Serialize;

use super::certificate::{
    ServerCertificate, TEMPORARY, certificate_permanent, encode_server_certificate,
    server_certificate,
};
use super::disconnect::{DPUM_CHOICE, dpum_reason};
use super::gcc::{
    H221_SERVER_KEY, T124_OID, TAG_CONNECT_RESPONSE, block_type, gcc_conference_create_response,
    push_block, push_per_length, push_u16, push_u32,
};
use crate::ber::{self, expect_tlv};
use crate::error::WireError;
use crate::reader::{Reader, len_from_u32};
use crate::x224;

/// [MS-RDPBCGR 2.2.1.4.2] Server Core Data (TS_UD_SC_CORE).
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/379a020e-9925-4b4f-98f3-7d634e10b411>
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerCore {
    /// `version`: the server's RDP version ([`rdp_version_name`](super::rdp_version_name)).
    pub version: u32,
    /// `clientRequestedProtocols`: the server's echo of the client's
    /// RDP_NEG_REQ `requestedProtocols` (RDP 5.2+ servers).
    pub client_requested_protocols: Option<u32>,
    /// `earlyCapabilityFlags` ([`server_early_capability_names`](super::server_early_capability_names)).
    pub early_capability_flags: Option<u32>,
}

/// [MS-RDPBCGR 2.2.1.4.3] Server Security Data (TS_UD_SC_SEC1).
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/3e86b68d-3e2e-4433-b486-878875778f4b>
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerSecurity {
    /// `encryptionMethod` selected ([`encryption_method_names`](super::encryption_method_names)); 0 with
    /// TLS/CredSSP.
    pub encryption_method: u32,
    /// `encryptionLevel` ([`encryption_level_name`](super::encryption_level_name)).
    pub encryption_level: u32,
    /// `serverRandomLen` (32 when Standard RDP Security is in use).
    pub server_random_len: usize,
    /// `serverCertificate`, if any.
    pub server_certificate: Option<ServerCertificate>,
    /// [2.2.1.4.3.1] the certificate's `dwVersion` `t` bit: `Some(true)` when
    /// permanently issued to the server (t = 0), `Some(false)` when
    /// temporarily (t = 1); `None` without a certificate. Encoded as
    /// permanent unless `Some(false)`.
    pub server_certificate_permanent: Option<bool>,
}

/// [MS-RDPBCGR 2.2.1.4.4] Server Network Data (TS_UD_SC_NET).
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/89fa11de-5275-4106-9cf1-e5aa7709436c>
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerNetwork {
    /// `MCSChannelId`: the I/O channel (1003 on Windows).
    pub io_channel: u16,
    /// `channelIdArray`: one MCS channel per requested static virtual channel.
    pub channel_ids: Vec<u16>,
}

/// What a Server MCS Connect Response PDU told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectResponse {
    /// T.125 `result`: 0 = rt-successful ([`result_name`](super::result_name)).
    pub result: u32,
    /// SC_CORE.
    pub server_core: Option<ServerCore>,
    /// SC_SECURITY.
    pub server_security: Option<ServerSecurity>,
    /// SC_NET.
    pub server_network: Option<ServerNetwork>,
    /// [2.2.1.4.5] SC_MCS_MSGCHANNEL `MCSChannelID`.
    pub server_message_channel: Option<u16>,
    /// [2.2.1.4.6] SC_MULTITRANSPORT `flags` ([`multitransport_flag_names`](super::multitransport_flag_names)).
    pub server_multitransport_flags: Option<u32>,
}

/// Decode one complete TPKT frame holding X.224 Data and an MCS
/// Connect-Response ([MS-RDPBCGR 2.2.1.4]).
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/927de44c-7fe8-4206-a14f-e5517dc24b1c>
///
/// * If the server sends an MCS Disconnect Provider Ultimatum instead, the
///   error is [`WireError::DisconnectProviderUltimatum`] with its reason.
/// * A response whose `result` is not rt-successful may carry only the
///   result ([3.3.5.3.3.1]); it decodes with every block `None`, and a
///   malformed GCC part is then ignored.
/// * The GCC ConnectData `connectPDU` length is ignored: Windows sends 0x2A
///   whatever the real length ([4.1.4]).
/// * Unknown settings data blocks are skipped.
pub fn decode_connect_response(frame: &[u8]) -> Result<ConnectResponse, WireError> {
    let data = x224::data_payload(frame, "X.224 Data (MCS Connect-Response)")?;
    let mut r = Reader::new(data);
    match r.peek_u8() {
        Some(0x7F) => {}
        Some(b) if b >> 2 == DPUM_CHOICE => {
            return Err(WireError::DisconnectProviderUltimatum {
                reason: dpum_reason(&mut r)?,
            });
        }
        Some(found) => {
            return Err(WireError::UnexpectedTag {
                what: "MCS Connect-Response",
                expected: 0x7F,
                found,
            });
        }
        None => {
            return Err(WireError::Truncated {
                needed: 2,
                available: 0,
                what: "MCS Connect-Response tag",
            });
        }
    }
    let tag = r.array::<2>("MCS Connect-Response tag")?;
    if tag != TAG_CONNECT_RESPONSE {
        return Err(WireError::UnexpectedTag {
            what: "MCS Connect-Response application tag",
            expected: TAG_CONNECT_RESPONSE[1],
            found: tag[1],
        });
    }
    let len = ber::read_length(&mut r, "MCS Connect-Response length")?;
    let mut body = Reader::new(r.take(len, "MCS Connect-Response")?);

    let result_bytes = expect_tlv(&mut body, 0x0A, "Connect-Response::result")?;
    let result = u32::try_from(ber::unsigned(result_bytes, "Connect-Response::result")?)
        .map_err(|_| WireError::invalid("Connect-Response::result", "does not fit 32 bits"))?;
    let mut out = ConnectResponse {
        result,
        server_core: None,
        server_security: None,
        server_network: None,
        server_message_channel: None,
        server_multitransport_flags: None,
    };
    if body.is_empty() {
        return Ok(out);
    }
    let parsed = (|| -> Result<(), WireError> {
        let blocks = settings_blocks(&mut body)?;
        read_server_blocks(blocks, &mut out)
    })();
    match parsed {
        Ok(()) => Ok(out),
        Err(_) if result != 0 => Ok(out),
        Err(e) => Err(e),
    }
}

/// The server settings data blocks after a Connect-Response `result`.
pub(super) fn settings_blocks<'a>(body: &mut Reader<'a>) -> Result<&'a [u8], WireError> {
    expect_tlv(body, 0x02, "Connect-Response::calledConnectId")?;
    expect_tlv(body, 0x30, "Connect-Response::domainParameters")?;
    let user_data = expect_tlv(body, 0x04, "Connect-Response::userData")?;
    if user_data.is_empty() {
        return Ok(&[]);
    }
    gcc_conference_create_response(user_data)
}

fn read_server_blocks(blocks: &[u8], out: &mut ConnectResponse) -> Result<(), WireError> {
    let mut r = Reader::new(blocks);
    while !r.is_empty() {
        let ty = r.u16_le("TS_UD_HEADER type")?;
        let len = usize::from(r.u16_le("TS_UD_HEADER length")?);
        let Some(body_len) = len.checked_sub(4) else {
            return Err(WireError::invalid(
                "TS_UD_HEADER length",
                format!("{len} is shorter than the header (block type {ty:#06x})"),
            ));
        };
        let body = r.take(body_len, "server settings data block")?;
        match ty {
            block_type::SC_CORE => out.server_core = Some(server_core(body)?),
            block_type::SC_SECURITY => out.server_security = Some(server_security(body)?),
            block_type::SC_NET => out.server_network = Some(server_network(body)?),
            block_type::SC_MCS_MSGCHANNEL => {
                out.server_message_channel =
                    Some(Reader::new(body).u16_le("TS_UD_SC_MCS_MSGCHANNEL")?);
            }
            block_type::SC_MULTITRANSPORT => {
                out.server_multitransport_flags =
                    Some(Reader::new(body).u32_le("TS_UD_SC_MULTITRANSPORT")?);
            }
            _ => {}
        }
    }
    Ok(())
}

/// SC_CORE through ironrdp-pdu, which reads the optional fields correctly and
/// retains unknown flag bits.
pub(super) fn server_core(body: &[u8]) -> Result<ServerCore, WireError> {
    let d: ironrdp_pdu::gcc::ServerCoreData = ironrdp_core::decode(body)
        .map_err(|e| WireError::invalid("TS_UD_SC_CORE", e.to_string()))?;
    Ok(ServerCore {
        version: d.version.0,
        client_requested_protocols: d.optional_data.client_requested_protocols.map(|p| p.bits()),
        early_capability_flags: d.optional_data.early_capability_flags.map(|f| f.bits()),
    })
}

/// SC_NET through ironrdp-pdu.
pub(super) fn server_network(body: &[u8]) -> Result<ServerNetwork, WireError> {
    let d: ironrdp_pdu::gcc::ServerNetworkData = ironrdp_core::decode(body)
        .map_err(|e| WireError::invalid("TS_UD_SC_NET", e.to_string()))?;
    Ok(ServerNetwork {
        io_channel: d.io_channel,
        channel_ids: d.channel_ids,
    })
}

/// [2.2.1.4.3] TS_UD_SC_SEC1, decoded here (see the module note on ironrdp).
pub(super) fn server_security(body: &[u8]) -> Result<ServerSecurity, WireError> {
    let mut r = Reader::new(body);
    let encryption_method = r.u32_le("TS_UD_SC_SEC1 encryptionMethod")?;
    let encryption_level = r.u32_le("TS_UD_SC_SEC1 encryptionLevel")?;
    let mut out = ServerSecurity {
        encryption_method,
        encryption_level,
        server_random_len: 0,
        server_certificate: None,
        server_certificate_permanent: None,
    };
    // With method and level NONE the block ends here ([2.2.1.4.3]); some
    // servers also end it here with other values when TLS is in use.
    if r.is_empty() {
        return Ok(out);
    }
    let random_len = len_from_u32(r.u32_le("TS_UD_SC_SEC1 serverRandomLen")?);
    let cert_len = len_from_u32(r.u32_le("TS_UD_SC_SEC1 serverCertLen")?);
    r.skip(random_len, "TS_UD_SC_SEC1 serverRandom")?;
    out.server_random_len = random_len;
    let cert = r.take(cert_len, "TS_UD_SC_SEC1 serverCertificate")?;
    if !cert.is_empty() {
        out.server_certificate = Some(server_certificate(cert)?);
        out.server_certificate_permanent = certificate_permanent(cert);
    }
    Ok(out)
}

/// Encode a Server MCS Connect Response as a whole TPKT frame, laid out as
/// Windows does ([4.1.4]) — for test doubles playing a server. A failed
/// `result` with no blocks is sent as the result alone. Proprietary
/// certificates and server randoms are filled with zeros.
pub fn encode_connect_response(resp: &ConnectResponse) -> Vec<u8> {
    let mut blocks = Vec::new();
    if let Some(core) = &resp.server_core {
        let mut b = Vec::new();
        push_u32(&mut b, core.version);
        if let Some(p) = core.client_requested_protocols {
            push_u32(&mut b, p);
            if let Some(f) = core.early_capability_flags {
                push_u32(&mut b, f);
            }
        }
        push_block(&mut blocks, block_type::SC_CORE, &b);
    }
    if let Some(net) = &resp.server_network {
        let mut b = Vec::new();
        push_u16(&mut b, net.io_channel);
        push_u16(&mut b, u16::try_from(net.channel_ids.len()).unwrap_or(0));
        for id in &net.channel_ids {
            push_u16(&mut b, *id);
        }
        if net.channel_ids.len() % 2 == 1 {
            push_u16(&mut b, 0); // Pad
        }
        push_block(&mut blocks, block_type::SC_NET, &b);
    }
    if let Some(sec) = &resp.server_security {
        let mut b = Vec::new();
        push_u32(&mut b, sec.encryption_method);
        push_u32(&mut b, sec.encryption_level);
        if sec.server_random_len > 0 || sec.server_certificate.is_some() {
            let cert = sec
                .server_certificate
                .as_ref()
                .map(encode_server_certificate)
                .unwrap_or_default();
            let mut cert = cert;
            if sec.server_certificate_permanent == Some(false)
                && let Some(t) = cert.get_mut(3)
            {
                *t |= TEMPORARY;
            }
            push_u32(&mut b, u32::try_from(sec.server_random_len).unwrap_or(0));
            push_u32(&mut b, u32::try_from(cert.len()).unwrap_or(0));
            b.resize(b.len().saturating_add(sec.server_random_len.min(4096)), 0);
            b.extend_from_slice(&cert);
        }
        push_block(&mut blocks, block_type::SC_SECURITY, &b);
    }
    if let Some(ch) = resp.server_message_channel {
        push_block(
            &mut blocks,
            block_type::SC_MCS_MSGCHANNEL,
            &ch.to_le_bytes(),
        );
    }
    if let Some(f) = resp.server_multitransport_flags {
        push_block(&mut blocks, block_type::SC_MULTITRANSPORT, &f.to_le_bytes());
    }

    let mut body = Vec::new();
    ber::write_tlv(
        &mut body,
        0x0A,
        &ber::integer_content(u64::from(resp.result)),
    );
    let no_blocks = blocks.is_empty();
    if !(resp.result != 0 && no_blocks) {
        body.extend_from_slice(&[0x02, 0x01, 0x00]); // calledConnectId
        body.extend_from_slice(&[
            0x30, 0x1A, 0x02, 0x01, 0x22, 0x02, 0x01, 0x03, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01,
            0x02, 0x01, 0x00, 0x02, 0x01, 0x01, 0x02, 0x03, 0x00, 0xFF, 0xF8, 0x02, 0x01, 0x02,
        ]);
        let mut gcc = Vec::new();
        gcc.extend_from_slice(&[0x00, 0x05]);
        gcc.extend_from_slice(&T124_OID);
        gcc.push(0x2A); // connectPDU length: the constant Windows sends
        gcc.extend_from_slice(&[0x14, 0x76, 0x0A, 0x01, 0x01, 0x00, 0x01, 0xC0, 0x00]);
        gcc.extend_from_slice(H221_SERVER_KEY);
        push_per_length(&mut gcc, blocks.len());
        gcc.extend_from_slice(&blocks);
        ber::write_tlv(&mut body, 0x04, &gcc);
    }
    let mut mcs = Vec::new();
    mcs.extend_from_slice(&TAG_CONNECT_RESPONSE);
    ber::write_length(&mut mcs, body.len());
    mcs.extend_from_slice(&body);
    x224::wrap_data(&mcs)
}
