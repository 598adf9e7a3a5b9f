//! The Basic Settings Exchange: [MS-RDPBCGR 2.2.1.3] Client MCS Connect
//! Initial PDU with GCC Conference Create Request, and [2.2.1.4] Server MCS
//! Connect Response PDU with GCC Conference Create Response — the probe for
//! Standard RDP Security (the server's encryption level, methods and
//! certificate) and for the server's RDP version.
//!
//! Layers, outside in: TPKT, X.224 Data, MCS Connect-Initial/-Response
//! ([T.125], BER), GCC Conference Create Request/Response ([T.124], PER),
//! then the RDP settings data blocks.
//!
//! ironrdp-pdu is used for the server core (SC_CORE) and network (SC_NET)
//! blocks, which it decodes faithfully. It is not used for the response as a
//! whole, because its `ServerSecurityData` refuses real data: server
//! certificates over 1024 bytes (an X.509 chain from a license server is
//! routinely 2–4 KiB) and any `encryptionMethod` bit it does not know. The
//! security block and the certificate inside are therefore decoded here.

use serde::Serialize;

use crate::ber::{self, expect_tlv};
use crate::error::WireError;
use crate::reader::{Reader, len_from_u32};
use crate::x224;

mod domain;
pub use domain::*;

/// [MS-RDPBCGR 2.2.1.3.3] `encryptionMethods` / [2.2.1.4.3] `encryptionMethod` bits.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/6b58e11e-a32b-4903-b736-339f3cfe46ec>
pub mod encryption_method {
    /// No encryption (TLS/CredSSP, or Standard RDP Security at level NONE).
    pub const NONE: u32 = 0;
    /// 40-bit RC4 with 40-bit session keys.
    pub const BIT_40: u32 = 0x0000_0001;
    /// 128-bit RC4.
    pub const BIT_128: u32 = 0x0000_0002;
    /// 56-bit RC4.
    pub const BIT_56: u32 = 0x0000_0008;
    /// FIPS 140-1: 3DES and SHA-1.
    pub const FIPS: u32 = 0x0000_0010;
}

/// [MS-RDPBCGR 2.2.1.4.3] `encryptionLevel` values.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/3e86b68d-3e2e-4433-b486-878875778f4b>
pub mod encryption_level {
    /// ENCRYPTION_LEVEL_NONE.
    pub const NONE: u32 = 0;
    /// ENCRYPTION_LEVEL_LOW: only client-to-server traffic is encrypted.
    pub const LOW: u32 = 1;
    /// ENCRYPTION_LEVEL_CLIENT_COMPATIBLE: the strongest method the client supports.
    pub const CLIENT_COMPATIBLE: u32 = 2;
    /// ENCRYPTION_LEVEL_HIGH: 128-bit, both directions.
    pub const HIGH: u32 = 3;
    /// ENCRYPTION_LEVEL_FIPS: FIPS 140-1 methods only.
    pub const FIPS: u32 = 4;
}

/// [MS-RDPBCGR 2.2.1.3.1] User Data Header types.
mod block_type {
    pub const CS_CORE: u16 = 0xC001;
    pub const CS_SECURITY: u16 = 0xC002;
    pub const CS_NET: u16 = 0xC003;
    pub const CS_CLUSTER: u16 = 0xC004;
    pub const SC_CORE: u16 = 0x0C01;
    pub const SC_SECURITY: u16 = 0x0C02;
    pub const SC_NET: u16 = 0x0C03;
    pub const SC_MCS_MSGCHANNEL: u16 = 0x0C04;
    pub const SC_MULTITRANSPORT: u16 = 0x0C08;
}

/// T.124 object identifier 0.0.20.124.0.1, PER-encoded (the key of ConnectData).
const T124_OID: [u8; 5] = [0x00, 0x14, 0x7C, 0x00, 0x01];
/// H.221 non-standard key of the client's GCC user data.
const H221_CLIENT_KEY: &[u8; 4] = b"Duca";
/// H.221 non-standard key of the server's GCC user data.
const H221_SERVER_KEY: &[u8; 4] = b"McDn";
/// BER application tags of T.125 Connect-Initial (101) and Connect-Response (102).
const TAG_CONNECT_INITIAL: [u8; 2] = [0x7F, 0x65];
const TAG_CONNECT_RESPONSE: [u8; 2] = [0x7F, 0x66];
/// T.125 DomainMCSPDU choice of DisconnectProviderUltimatum.
const DPUM_CHOICE: u8 = 8;
/// [MS-RDPBCGR 2.2.1.3.4] static virtual channels a client may request.
pub const MAX_CHANNELS: usize = 31;

/// What to put in the Connect Initial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectInitialOptions {
    /// CS_SECURITY `encryptionMethods`: [`encryption_method`] bits offered.
    /// Offer 0 after TLS/CredSSP; for Standard RDP Security offer what is
    /// being probed (e.g. `BIT_40 | BIT_128 | BIT_56 | FIPS`).
    pub encryption_methods: u32,
    /// CS_CORE `serverSelectedProtocol`: what negotiation selected (the
    /// `selected_protocol` of the Connection Confirm; 0 for a legacy one).
    pub selected_protocol: u32,
    /// CS_CORE `clientName`: at most 15 UTF-16 units are sent.
    pub client_name: String,
    /// CS_CORE `desktopWidth`.
    pub desktop_width: u16,
    /// CS_CORE `desktopHeight`.
    pub desktop_height: u16,
    /// CS_NET static virtual channels, e.g. `["rdpdr", "rdpsnd", "cliprdr"]`;
    /// may be empty. At most [`MAX_CHANNELS`] are sent, names cut to 7
    /// ASCII characters.
    pub channels: Vec<String>,
}

fn push_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn push_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Append a settings data block: TS_UD_HEADER (type, length) and body.
fn push_block(out: &mut Vec<u8>, ty: u16, body: &[u8]) {
    push_u16(out, ty);
    push_u16(
        out,
        u16::try_from(body.len().saturating_add(4)).unwrap_or(u16::MAX),
    );
    out.extend_from_slice(body);
}

/// PER length determinant (X.691 10.9): one byte below 128, else two bytes.
/// Lengths here are bounded by the TPKT frame, far below 16K.
fn push_per_length(out: &mut Vec<u8>, len: usize) {
    match u8::try_from(len) {
        Ok(b) if b < 0x80 => out.push(b),
        _ => {
            let l = u16::try_from(len.min(0x3FFF)).unwrap_or(0x3FFF) | 0x8000;
            out.extend_from_slice(&l.to_be_bytes());
        }
    }
}

/// [MS-RDPBCGR 2.2.1.3.2] Client Core Data (TS_UD_CS_CORE), through
/// `serverSelectedProtocol`.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/00f1da4a-ee9c-421a-852f-c19f92343d73>
fn cs_core(opts: &ConnectInitialOptions) -> Vec<u8> {
    let mut b = Vec::with_capacity(212);
    push_u32(&mut b, 0x0008_0004); // version: RDP 5.0+ (accepted by every server)
    push_u16(&mut b, opts.desktop_width);
    push_u16(&mut b, opts.desktop_height);
    push_u16(&mut b, 0xCA01); // colorDepth: RNS_UD_COLOR_8BPP (superseded below)
    push_u16(&mut b, 0xAA03); // SASSequence: RNS_UD_SAS_DEL
    push_u32(&mut b, 0x0000_0409); // keyboardLayout: en-US (so no French-locale rules)
    push_u32(&mut b, 2600); // clientBuild
    let mut name: Vec<u8> = opts
        .client_name
        .encode_utf16()
        .take(15)
        .flat_map(u16::to_le_bytes)
        .collect();
    name.resize(32, 0);
    b.extend_from_slice(&name); // clientName: 15 units + NUL
    push_u32(&mut b, 4); // keyboardType: IBM enhanced (101/102 keys)
    push_u32(&mut b, 0); // keyboardSubType
    push_u32(&mut b, 12); // keyboardFunctionKey
    b.extend_from_slice(&[0; 64]); // imeFileName
    push_u16(&mut b, 0xCA01); // postBeta2ColorDepth: 8 bpp
    push_u16(&mut b, 1); // clientProductId
    push_u32(&mut b, 0); // serialNumber
    push_u16(&mut b, 0x0018); // highColorDepth: 24 bpp
    push_u16(&mut b, 0x000F); // supportedColorDepths: 24, 16, 15, 32 bpp
    // earlyCapabilityFlags: RNS_UD_CS_SUPPORT_ERRINFO_PDU (so the server
    // explains a disconnection with a Set Error Info PDU) and
    // RNS_UD_CS_STRONG_ASYMMETRIC_KEYS (so it may send its real certificate
    // rather than a 512-bit proprietary one, as mstsc allows).
    push_u16(&mut b, 0x0001 | 0x0008);
    b.extend_from_slice(&[0; 64]); // clientDigProductId
    b.push(0); // connectionType (not valid: RNS_UD_CS_VALID_CONNECTION_TYPE unset)
    b.push(0); // pad1octet
    push_u32(&mut b, opts.selected_protocol); // serverSelectedProtocol
    b
}

/// [MS-RDPBCGR 2.2.1.3] Client MCS Connect Initial PDU with GCC Conference
/// Create Request, as a whole TPKT frame: TPKT, X.224 Data, MCS
/// Connect-Initial (BER) carrying the GCC Conference Create Request (PER)
/// with the client data blocks CS_CORE, CS_CLUSTER, CS_SECURITY, CS_NET.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/db6713ee-1c0e-4064-a3b3-0fac30b4037b>
///
/// CS_SECURITY `extEncryptionMethods` is 0: [2.2.1.3.3] reserves it for
/// French-locale clients (which then put their methods there and 0 in
/// `encryptionMethods`); this client declares en-US. The MCS domain
/// parameters are byte-for-byte those of the specification's example
/// ([4.1.3]), which every server accepts.
pub fn encode_connect_initial(opts: &ConnectInitialOptions) -> Vec<u8> {
    // Settings data blocks.
    let mut blocks = Vec::with_capacity(640);
    push_block(&mut blocks, block_type::CS_CORE, &cs_core(opts));
    // CS_CLUSTER: REDIRECTION_SUPPORTED | ServerSessionRedirectionVersionMask
    // (REDIRECTION_VERSION4), RedirectedSessionID 0.
    let mut cluster = Vec::with_capacity(8);
    push_u32(&mut cluster, 0x0000_000D);
    push_u32(&mut cluster, 0);
    push_block(&mut blocks, block_type::CS_CLUSTER, &cluster);
    let mut security = Vec::with_capacity(8);
    push_u32(&mut security, opts.encryption_methods);
    push_u32(&mut security, 0); // extEncryptionMethods
    push_block(&mut blocks, block_type::CS_SECURITY, &security);
    let channels: Vec<&String> = opts.channels.iter().take(MAX_CHANNELS).collect();
    let mut net = Vec::with_capacity(channels.len().saturating_mul(12).saturating_add(4));
    push_u32(&mut net, u32::try_from(channels.len()).unwrap_or(0));
    for name in channels {
        let mut n: Vec<u8> = name
            .bytes()
            .filter(|b| (0x21..0x7F).contains(b))
            .take(7)
            .collect();
        n.resize(8, 0);
        net.extend_from_slice(&n);
        push_u32(&mut net, 0x8000_0000); // CHANNEL_OPTION_INITIALIZED
    }
    push_block(&mut blocks, block_type::CS_NET, &net);

    // GCC Conference Create Request (T.124, PER aligned), as in [4.1.3].
    let mut ccrq = Vec::with_capacity(blocks.len().saturating_add(16));
    // ConnectGCCPDU: conferenceCreateRequest; ConferenceCreateRequest with
    // only userData among the optional fields; conferenceName numeric "1";
    // lockedConference, listedConference, conductibleConference FALSE;
    // terminationMethod automatic; userData: one set, h221NonStandard "Duca".
    ccrq.extend_from_slice(&[0x00, 0x08, 0x00, 0x10, 0x00, 0x01, 0xC0, 0x00]);
    ccrq.extend_from_slice(H221_CLIENT_KEY);
    push_per_length(&mut ccrq, blocks.len());
    ccrq.extend_from_slice(&blocks);
    let mut gcc = Vec::with_capacity(ccrq.len().saturating_add(10));
    gcc.push(0x00); // ConnectData::t124Identifier: object
    gcc.push(u8::try_from(T124_OID.len()).unwrap_or(5));
    gcc.extend_from_slice(&T124_OID);
    push_per_length(&mut gcc, ccrq.len()); // ConnectData::connectPDU length
    gcc.extend_from_slice(&ccrq);

    // MCS Connect-Initial (T.125, BER).
    let mut body = Vec::with_capacity(gcc.len().saturating_add(100));
    body.extend_from_slice(&[0x04, 0x01, 0x01]); // callingDomainSelector
    body.extend_from_slice(&[0x04, 0x01, 0x01]); // calledDomainSelector
    body.extend_from_slice(&[0x01, 0x01, 0xFF]); // upwardFlag TRUE
    // targetParameters: 34 channels, 2 users, 0 tokens, 1 priority,
    // throughput 0, height 1, PDU size 65535, protocol version 2.
    body.extend_from_slice(&[
        0x30, 0x19, 0x02, 0x01, 0x22, 0x02, 0x01, 0x02, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01, 0x02,
        0x01, 0x00, 0x02, 0x01, 0x01, 0x02, 0x02, 0xFF, 0xFF, 0x02, 0x01, 0x02,
    ]);
    // minimumParameters: 1, 1, 1, 1, 0, 1, 1056, 2.
    body.extend_from_slice(&[
        0x30, 0x19, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02,
        0x01, 0x00, 0x02, 0x01, 0x01, 0x02, 0x02, 0x04, 0x20, 0x02, 0x01, 0x02,
    ]);
    // maximumParameters: 65535, 64535, 65535, 1, 0, 1, 65535, 2.
    body.extend_from_slice(&[
        0x30, 0x1C, 0x02, 0x02, 0xFF, 0xFF, 0x02, 0x02, 0xFC, 0x17, 0x02, 0x02, 0xFF, 0xFF, 0x02,
        0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01, 0x02, 0x02, 0xFF, 0xFF, 0x02, 0x01, 0x02,
    ]);
    ber::write_tlv(&mut body, 0x04, &gcc); // userData
    let mut mcs = Vec::with_capacity(body.len().saturating_add(6));
    mcs.extend_from_slice(&TAG_CONNECT_INITIAL);
    ber::write_length(&mut mcs, body.len());
    mcs.extend_from_slice(&body);
    x224::wrap_data(&mcs)
}

/// What a server needs from a Client MCS Connect Initial ([2.2.1.3]): the
/// settings of its client data blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClientConnectData {
    /// CS_CORE `desktopWidth` (1024 when absent).
    pub desktop_width: u16,
    /// CS_CORE `desktopHeight` (768 when absent).
    pub desktop_height: u16,
    /// CS_SECURITY `encryptionMethods`, or `extEncryptionMethods` when a
    /// French-locale client leaves the first at 0 ([2.2.1.3.3]).
    pub encryption_methods: u32,
    /// CS_NET static channel names, at most [`MAX_CHANNELS`].
    pub channels: Vec<String>,
}

/// Decodes the client data blocks of one complete TPKT frame holding an MCS
/// Connect Initial (server side). Lenient on purpose about the BER/PER
/// layers around the blocks, which carry nothing a server needs: the blocks
/// are found after the `Duca` H.221 key of the GCC Conference Create Request,
/// where every client puts them ([4.1.3]).
pub fn decode_connect_initial(frame: &[u8]) -> Result<ClientConnectData, WireError> {
    // TPKT (4) + X.224 Data (3), then BER application tag 101.
    if frame.get(5).map(|c| c & 0xF0) != Some(0xF0) || frame.get(7..9) != Some(&[0x7F, 0x65]) {
        return Err(WireError::invalid(
            "MCS Connect Initial",
            "not an X.224 Data TPDU carrying a Connect-Initial",
        ));
    }
    let at = frame.windows(4).position(|w| w == b"Duca").ok_or_else(|| {
        WireError::invalid("GCC Conference Create Request", "no client data (Duca)")
    })?;
    let mut r = Reader::new(frame.get(at.saturating_add(4)..).unwrap_or_default());
    // PER length: one byte, or two with the top bit set.
    let first = r.u8("GCC user data length")?;
    let len = if first & 0x80 == 0 {
        usize::from(first)
    } else {
        usize::from(u16::from_be_bytes([
            first & 0x3F,
            r.u8("GCC user data length")?,
        ]))
    };
    let mut blocks = Reader::new(r.take(len, "client data blocks")?);
    let mut out = ClientConnectData {
        desktop_width: 1024,
        desktop_height: 768,
        ..ClientConnectData::default()
    };
    while !blocks.is_empty() {
        let ty = blocks.u16_le("TS_UD_HEADER type")?;
        let block_len = usize::from(blocks.u16_le("TS_UD_HEADER length")?);
        let body_len = block_len.checked_sub(4).ok_or_else(|| {
            WireError::invalid(
                "TS_UD_HEADER length",
                format!("{block_len} for block {ty:#06x}"),
            )
        })?;
        let mut body = Reader::new(blocks.take(body_len, "client data block")?);
        match ty {
            block_type::CS_CORE => {
                let _version = body.u32_le("TS_UD_CS_CORE version");
                if let (Ok(w), Ok(h)) = (
                    body.u16_le("TS_UD_CS_CORE desktopWidth"),
                    body.u16_le("TS_UD_CS_CORE desktopHeight"),
                ) {
                    out.desktop_width = w;
                    out.desktop_height = h;
                }
            }
            block_type::CS_SECURITY => {
                let methods = body.u32_le("TS_UD_CS_SEC encryptionMethods").unwrap_or(0);
                let ext = body
                    .u32_le("TS_UD_CS_SEC extEncryptionMethods")
                    .unwrap_or(0);
                out.encryption_methods = if methods == 0 { ext } else { methods };
            }
            block_type::CS_NET => {
                let count = len_from_u32(body.u32_le("TS_UD_CS_NET channelCount").unwrap_or(0));
                for _ in 0..count.min(MAX_CHANNELS) {
                    let Ok(def) = body.take(12, "CHANNEL_DEF") else {
                        break;
                    };
                    let name = def.get(..8).unwrap_or_default();
                    out.channels.push(
                        name.iter()
                            .take_while(|b| **b != 0)
                            .map(|b| char::from(*b))
                            .collect(),
                    );
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// [MS-RDPBCGR 2.2.1.4.2] Server Core Data (TS_UD_SC_CORE).
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/379a020e-9925-4b4f-98f3-7d634e10b411>
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerCore {
    /// `version`: the server's RDP version ([`rdp_version_name`]).
    pub version: u32,
    /// `clientRequestedProtocols`: the server's echo of the client's
    /// RDP_NEG_REQ `requestedProtocols` (RDP 5.2+ servers).
    pub client_requested_protocols: Option<u32>,
    /// `earlyCapabilityFlags` ([`server_early_capability_names`]).
    pub early_capability_flags: Option<u32>,
}

/// [MS-RDPBCGR 2.2.1.4.3.1] Server Certificate (SERVER_CERTIFICATE).
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/54e72cc6-3422-404c-a6b4-2486db125342>
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ServerCertificate {
    /// [2.2.1.4.3.1.1] Proprietary Certificate (dwVersion 1): a bare RSA key
    /// signed with Microsoft's well-known Terminal Services key.
    Proprietary {
        /// RSA modulus size in bits (`bitlen` of the RSA_PUBLIC_KEY).
        public_key_bits: u32,
        /// RSA public exponent (`pubExp`).
        public_exponent: u32,
    },
    /// X.509 Certificate Chain (dwVersion 2, [MS-RDPELE 2.2.1.4.2]): the DER
    /// certificates in wire order, which [MS-RDPBCGR 5.3.3.2] defines as
    /// root first, **the server's own certificate last**, the license
    /// server's second to last. Serialised as hex strings.
    X509 {
        /// DER certificates, root first, leaf (server) last.
        #[serde(serialize_with = "crate::hexser::vec_bytes")]
        chain: Vec<Vec<u8>>,
    },
    /// Any other dwVersion: its value and the certificate length.
    Unknown {
        /// `dwVersion` as sent (bit 31 is the "temporary" flag).
        dw_version: u32,
        /// Length of the whole serverCertificate field.
        len: usize,
    },
}

/// [MS-RDPBCGR 2.2.1.4.3] Server Security Data (TS_UD_SC_SEC1).
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/3e86b68d-3e2e-4433-b486-878875778f4b>
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerSecurity {
    /// `encryptionMethod` selected ([`encryption_method_names`]); 0 with
    /// TLS/CredSSP.
    pub encryption_method: u32,
    /// `encryptionLevel` ([`encryption_level_name`]).
    pub encryption_level: u32,
    /// `serverRandomLen` (32 when Standard RDP Security is in use).
    pub server_random_len: usize,
    /// `serverCertificate`, if any.
    pub server_certificate: Option<ServerCertificate>,
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
    /// T.125 `result`: 0 = rt-successful ([`result_name`]).
    pub result: u32,
    /// SC_CORE.
    pub server_core: Option<ServerCore>,
    /// SC_SECURITY.
    pub server_security: Option<ServerSecurity>,
    /// SC_NET.
    pub server_network: Option<ServerNetwork>,
    /// [2.2.1.4.5] SC_MCS_MSGCHANNEL `MCSChannelID`.
    pub server_message_channel: Option<u16>,
    /// [2.2.1.4.6] SC_MULTITRANSPORT `flags` ([`multitransport_flag_names`]).
    pub server_multitransport_flags: Option<u32>,
}

/// PER length determinant: 1 byte (< 128) or 2 bytes (`10xxxxxx`).
fn per_length(r: &mut Reader<'_>, what: &'static str) -> Result<usize, WireError> {
    let first = r.u8(what)?;
    if first & 0x80 == 0 {
        return Ok(usize::from(first));
    }
    if first & 0xC0 == 0xC0 {
        return Err(WireError::invalid(
            what,
            "fragmented PER length is not supported",
        ));
    }
    let second = r.u8(what)?;
    Ok(usize::from(u16::from_be_bytes([first & 0x3F, second])))
}

/// The reason of a Disconnect Provider Ultimatum, given the first two bytes
/// of an MCS domain PDU known to be one.
fn dpum_reason(r: &mut Reader<'_>) -> Result<u8, WireError> {
    let b = r.array::<2>("MCS Disconnect Provider Ultimatum")?;
    // PER: 6 bits of choice, then the 3-bit reason straddling the bytes.
    Ok(((b[0] & 0x03) << 1) | (b[1] >> 7))
}

/// [T.125 7, part 11] Decode an MCS Disconnect Provider Ultimatum (a server
/// ending the connection) from one complete TPKT frame; returns its reason
/// ([`disconnect_reason_name`]). [`decode_connect_response`] reports the
/// same PDU as [`WireError::DisconnectProviderUltimatum`].
pub fn decode_disconnect_provider_ultimatum(frame: &[u8]) -> Result<u8, WireError> {
    let data = x224::data_payload(frame, "X.224 Data (MCS Disconnect Provider Ultimatum)")?;
    let mut r = Reader::new(data);
    match r.peek_u8() {
        Some(b) if b >> 2 == DPUM_CHOICE => dpum_reason(&mut r),
        Some(found) => Err(WireError::UnexpectedTag {
            what: "MCS Disconnect Provider Ultimatum",
            expected: DPUM_CHOICE << 2,
            found,
        }),
        None => Err(WireError::Truncated {
            needed: 2,
            available: 0,
            what: "MCS Disconnect Provider Ultimatum",
        }),
    }
}

/// Encode an MCS Disconnect Provider Ultimatum (T.125 reason 0..=4) as a
/// whole TPKT frame — for test doubles playing a server.
pub fn encode_disconnect_provider_ultimatum(reason: u8) -> Vec<u8> {
    let reason = reason & 0x07;
    x224::wrap_data(&[(DPUM_CHOICE << 2) | (reason >> 1), (reason & 1) << 7])
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

/// An RSA public key as [MS-RDPBCGR 5.3.4.1] uses it: big-endian modulus
/// and exponent (the proprietary certificate's little-endian modulus is
/// turned around).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    /// Modulus, big-endian, without leading zero bytes.
    pub modulus: Vec<u8>,
    /// Public exponent, big-endian.
    pub exponent: Vec<u8>,
}

/// What Standard RDP Security needs from the Connect Response: the
/// negotiated method and level, the server random and the server's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerKeying {
    /// `encryptionMethod` selected ([`encryption_method`]).
    pub encryption_method: u32,
    /// `encryptionLevel` ([`encryption_level`]).
    pub encryption_level: u32,
    /// `serverRandom` (32 bytes when encryption is in use, else empty).
    pub server_random: Vec<u8>,
    /// The key of the proprietary certificate, or of the last (the
    /// server's own) certificate of an X.509 chain ([5.3.3.2]).
    pub public_key: Option<RsaPublicKey>,
}

/// [MS-RDPBCGR 2.2.1.4.3] the keying material of a Server MCS Connect
/// Response frame; `Ok(None)` when it has no security block. Errors as
/// [`decode_connect_response`], plus a certificate whose key cannot be read.
pub fn decode_server_keying(frame: &[u8]) -> Result<Option<ServerKeying>, WireError> {
    let resp = decode_connect_response(frame)?;
    if resp.server_security.is_none() {
        return Ok(None);
    }
    // The response is known to be well-formed: walk to the blocks again.
    let data = x224::data_payload(frame, "X.224 Data (MCS Connect-Response)")?;
    let mut r = Reader::new(data);
    r.skip(2, "MCS Connect-Response tag")?;
    let len = ber::read_length(&mut r, "MCS Connect-Response length")?;
    let mut body = Reader::new(r.take(len, "MCS Connect-Response")?);
    expect_tlv(&mut body, 0x0A, "Connect-Response::result")?;
    let mut blocks = Reader::new(settings_blocks(&mut body)?);
    while !blocks.is_empty() {
        let ty = blocks.u16_le("TS_UD_HEADER type")?;
        let len = usize::from(blocks.u16_le("TS_UD_HEADER length")?);
        let block = blocks.take(len.saturating_sub(4), "server settings data block")?;
        if ty == block_type::SC_SECURITY {
            return server_keying(block).map(Some);
        }
    }
    Ok(None)
}

fn server_keying(body: &[u8]) -> Result<ServerKeying, WireError> {
    let mut r = Reader::new(body);
    let mut out = ServerKeying {
        encryption_method: r.u32_le("TS_UD_SC_SEC1 encryptionMethod")?,
        encryption_level: r.u32_le("TS_UD_SC_SEC1 encryptionLevel")?,
        server_random: Vec::new(),
        public_key: None,
    };
    if r.is_empty() {
        return Ok(out);
    }
    let random_len = len_from_u32(r.u32_le("TS_UD_SC_SEC1 serverRandomLen")?);
    let cert_len = len_from_u32(r.u32_le("TS_UD_SC_SEC1 serverCertLen")?);
    out.server_random = r.take(random_len, "TS_UD_SC_SEC1 serverRandom")?.to_vec();
    let cert = r.take(cert_len, "TS_UD_SC_SEC1 serverCertificate")?;
    if !cert.is_empty() {
        out.public_key = certificate_key(cert)?;
    }
    Ok(out)
}

/// The RSA key of a SERVER_CERTIFICATE ([2.2.1.4.3.1]), also found in the
/// licensing protocol's License Request.
pub(crate) fn certificate_public_key(cert: &[u8]) -> Result<Option<RsaPublicKey>, WireError> {
    certificate_key(cert)
}

/// The RSA key of a SERVER_CERTIFICATE ([2.2.1.4.3.1]).
fn certificate_key(cert: &[u8]) -> Result<Option<RsaPublicKey>, WireError> {
    let mut r = Reader::new(cert);
    let dw_version = r.u32_le("SERVER_CERTIFICATE dwVersion")?;
    match dw_version & 0x7FFF_FFFF {
        CERT_CHAIN_VERSION_1 => {
            let key = proprietary_key(&mut r)?;
            let modulus_le = key.modulus_le.ok_or(WireError::Truncated {
                needed: 1,
                available: 0,
                what: "RSA_PUBLIC_KEY modulus",
            })?;
            Ok(Some(RsaPublicKey {
                modulus: trim_be(modulus_le.iter().rev().copied().collect()),
                exponent: trim_be(key.exponent.to_be_bytes().to_vec()),
            }))
        }
        CERT_CHAIN_VERSION_2 => {
            let chain = match server_certificate(cert)? {
                ServerCertificate::X509 { chain } => chain,
                _ => return Ok(None),
            };
            let Some(leaf) = chain.last() else {
                return Ok(None);
            };
            let (_, x509) = x509_parser::parse_x509_certificate(leaf)
                .map_err(|e| WireError::invalid("X.509 server certificate", e.to_string()))?;
            match x509.tbs_certificate.subject_pki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(k)) => Ok(Some(RsaPublicKey {
                    modulus: trim_be(k.modulus.to_vec()),
                    exponent: trim_be(k.exponent.to_vec()),
                })),
                _ => Err(WireError::invalid(
                    "X.509 server certificate",
                    "its key is not RSA, so the client random cannot be sent",
                )),
            }
        }
        _ => Ok(None),
    }
}

fn trim_be(mut v: Vec<u8>) -> Vec<u8> {
    let zeros = v.iter().take_while(|b| **b == 0).count();
    v.drain(..zeros);
    v
}

/// The server settings data blocks after a Connect-Response `result`.
fn settings_blocks<'a>(body: &mut Reader<'a>) -> Result<&'a [u8], WireError> {
    expect_tlv(body, 0x02, "Connect-Response::calledConnectId")?;
    expect_tlv(body, 0x30, "Connect-Response::domainParameters")?;
    let user_data = expect_tlv(body, 0x04, "Connect-Response::userData")?;
    if user_data.is_empty() {
        return Ok(&[]);
    }
    gcc_conference_create_response(user_data)
}

/// [T.124 8.7] ConnectData + ConferenceCreateResponse (PER): returns the
/// server settings data blocks from the `McDn` user data.
fn gcc_conference_create_response(user_data: &[u8]) -> Result<&[u8], WireError> {
    let mut r = Reader::new(user_data);
    let key = r.u8("GCC ConnectData::t124Identifier")?;
    if key != 0 {
        return Err(WireError::UnexpectedTag {
            what: "GCC ConnectData::t124Identifier (object)",
            expected: 0,
            found: key,
        });
    }
    let oid_len = usize::from(r.u8("GCC ConnectData OID length")?);
    let oid = r.take(oid_len, "GCC ConnectData OID")?;
    if oid != T124_OID {
        return Err(WireError::invalid(
            "GCC ConnectData OID",
            format!("{oid:02x?}, expected T.124 0.0.20.124.0.1"),
        ));
    }
    let _connect_pdu_len = per_length(&mut r, "GCC ConnectData::connectPDU length")?;
    let choice = r.u8("ConnectGCCPDU choice")?;
    if choice & 0xF0 != 0x10 {
        return Err(WireError::invalid(
            "ConnectGCCPDU choice",
            format!("{choice:#04x} is not a conferenceCreateResponse (0x14)"),
        ));
    }
    let _node_id = r.u16_be("ConferenceCreateResponse::nodeID")?;
    let tag_len = usize::from(r.u8("ConferenceCreateResponse::tag length")?);
    r.skip(tag_len, "ConferenceCreateResponse::tag")?;
    let gcc_result = r.u8("ConferenceCreateResponse::result")?;
    if gcc_result != 0 {
        return Err(WireError::invalid(
            "ConferenceCreateResponse::result",
            format!("{gcc_result} (not success)"),
        ));
    }
    if choice & 0x04 == 0 {
        return Ok(&[]); // no userData
    }
    let sets = r.u8("ConferenceCreateResponse::userData set count")?;
    if sets == 0 {
        return Ok(&[]);
    }
    let value_choice = r.u8("UserData::key choice")?;
    if value_choice != 0xC0 {
        return Err(WireError::invalid(
            "UserData::key choice",
            format!("{value_choice:#04x}, expected 0xc0 (h221NonStandard with value)"),
        ));
    }
    let key_len = usize::from(r.u8("h221NonStandard length")?).saturating_add(4);
    let h221 = r.take(key_len, "h221NonStandard key")?;
    if h221 != H221_SERVER_KEY {
        return Err(WireError::invalid(
            "h221NonStandard key",
            format!("{:?}, expected \"McDn\"", String::from_utf8_lossy(h221)),
        ));
    }
    let len = per_length(&mut r, "UserData::value length")?;
    r.take(len, "server settings data blocks")
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
fn server_core(body: &[u8]) -> Result<ServerCore, WireError> {
    let d: ironrdp_pdu::gcc::ServerCoreData = ironrdp_core::decode(body)
        .map_err(|e| WireError::invalid("TS_UD_SC_CORE", e.to_string()))?;
    Ok(ServerCore {
        version: d.version.0,
        client_requested_protocols: d.optional_data.client_requested_protocols.map(|p| p.bits()),
        early_capability_flags: d.optional_data.early_capability_flags.map(|f| f.bits()),
    })
}

/// SC_NET through ironrdp-pdu.
fn server_network(body: &[u8]) -> Result<ServerNetwork, WireError> {
    let d: ironrdp_pdu::gcc::ServerNetworkData = ironrdp_core::decode(body)
        .map_err(|e| WireError::invalid("TS_UD_SC_NET", e.to_string()))?;
    Ok(ServerNetwork {
        io_channel: d.io_channel,
        channel_ids: d.channel_ids,
    })
}

/// [2.2.1.4.3] TS_UD_SC_SEC1, decoded here (see the module note on ironrdp).
fn server_security(body: &[u8]) -> Result<ServerSecurity, WireError> {
    let mut r = Reader::new(body);
    let encryption_method = r.u32_le("TS_UD_SC_SEC1 encryptionMethod")?;
    let encryption_level = r.u32_le("TS_UD_SC_SEC1 encryptionLevel")?;
    let mut out = ServerSecurity {
        encryption_method,
        encryption_level,
        server_random_len: 0,
        server_certificate: None,
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
    }
    Ok(out)
}

const CERT_CHAIN_VERSION_1: u32 = 1;
const CERT_CHAIN_VERSION_2: u32 = 2;
/// [MS-RDPELE 2.2.1.4.2] NumCertBlobs is at most 200.
const MAX_CERT_BLOBS: usize = 200;
/// "RSA1", the RSA_PUBLIC_KEY magic.
const RSA1: u32 = 0x3141_5352;

/// The RSA key of a [2.2.1.4.3.1.1] PROPRIETARYSERVERCERTIFICATE.
struct ProprietaryKey<'a> {
    /// `bitlen`.
    bits: u32,
    /// `pubExp`.
    exponent: u32,
    /// The modulus, little-endian, without the padding `keylen` counts;
    /// `None` when the blob ends before it.
    modulus_le: Option<&'a [u8]>,
}

/// Reads a PROPRIETARYSERVERCERTIFICATE (after `dwVersion`) up to and
/// including its [2.2.1.4.3.1.1.1] RSA_PUBLIC_KEY.
fn proprietary_key<'a>(r: &mut Reader<'a>) -> Result<ProprietaryKey<'a>, WireError> {
    let _sig_alg = r.u32_le("PROPRIETARYSERVERCERTIFICATE dwSigAlgId")?;
    let _key_alg = r.u32_le("PROPRIETARYSERVERCERTIFICATE dwKeyAlgId")?;
    let _blob_type = r.u16_le("PROPRIETARYSERVERCERTIFICATE wPublicKeyBlobType")?;
    let blob_len = usize::from(r.u16_le("PROPRIETARYSERVERCERTIFICATE wPublicKeyBlobLen")?);
    let mut key = Reader::new(r.take(blob_len, "PROPRIETARYSERVERCERTIFICATE PublicKeyBlob")?);
    let magic = key.u32_le("RSA_PUBLIC_KEY magic")?;
    if magic != RSA1 {
        return Err(WireError::invalid(
            "RSA_PUBLIC_KEY magic",
            format!("{magic:#010x}, expected 0x31415352 (\"RSA1\")"),
        ));
    }
    let keylen = len_from_u32(key.u32_le("RSA_PUBLIC_KEY keylen")?);
    let bits = key.u32_le("RSA_PUBLIC_KEY bitlen")?;
    let _datalen = key.u32_le("RSA_PUBLIC_KEY datalen")?;
    let exponent = key.u32_le("RSA_PUBLIC_KEY pubExp")?;
    // keylen counts 8 bytes of zero padding after the modulus.
    let modulus_le = key
        .take(keylen, "RSA_PUBLIC_KEY modulus")
        .ok()
        .map(|m| m.get(..len_from_u32(bits).div_ceil(8)).unwrap_or(m));
    Ok(ProprietaryKey {
        bits,
        exponent,
        modulus_le,
    })
}

fn server_certificate(cert: &[u8]) -> Result<ServerCertificate, WireError> {
    let mut r = Reader::new(cert);
    let dw_version = r.u32_le("SERVER_CERTIFICATE dwVersion")?;
    match dw_version & 0x7FFF_FFFF {
        CERT_CHAIN_VERSION_1 => {
            let key = proprietary_key(&mut r)?;
            Ok(ServerCertificate::Proprietary {
                public_key_bits: key.bits,
                public_exponent: key.exponent,
            })
        }
        CERT_CHAIN_VERSION_2 => {
            let n = len_from_u32(r.u32_le("X509_CERTIFICATE_CHAIN NumCertBlobs")?);
            if n > MAX_CERT_BLOBS {
                return Err(WireError::TooLarge {
                    what: "X509_CERTIFICATE_CHAIN NumCertBlobs",
                    len: n,
                    max: MAX_CERT_BLOBS,
                });
            }
            let mut chain = Vec::new();
            for _ in 0..n {
                let len = len_from_u32(r.u32_le("CERT_BLOB cbCert")?);
                chain.push(r.take(len, "CERT_BLOB abCert")?.to_vec());
            }
            Ok(ServerCertificate::X509 { chain })
        }
        _ => Ok(ServerCertificate::Unknown {
            dw_version,
            len: cert.len(),
        }),
    }
}

fn encode_server_certificate(c: &ServerCertificate) -> Vec<u8> {
    let mut out = Vec::new();
    match c {
        ServerCertificate::Proprietary {
            public_key_bits,
            public_exponent,
        } => {
            let modulus_len = usize::try_from(public_key_bits / 8).unwrap_or(0).min(1024);
            let keylen = modulus_len.saturating_add(8);
            let mut key = Vec::new();
            push_u32(&mut key, RSA1);
            push_u32(&mut key, u32::try_from(keylen).unwrap_or(0));
            push_u32(&mut key, *public_key_bits);
            push_u32(&mut key, (public_key_bits / 8).saturating_sub(1));
            push_u32(&mut key, *public_exponent);
            key.resize(key.len().saturating_add(keylen), 0);
            push_u32(&mut out, CERT_CHAIN_VERSION_1);
            push_u32(&mut out, 1); // SIGNATURE_ALG_RSA
            push_u32(&mut out, 1); // KEY_EXCHANGE_ALG_RSA
            push_u16(&mut out, 0x0006); // BB_RSA_KEY_BLOB
            push_u16(&mut out, u16::try_from(key.len()).unwrap_or(0));
            out.extend_from_slice(&key);
            push_u16(&mut out, 0x0008); // BB_RSA_SIGNATURE_BLOB
            push_u16(&mut out, 72);
            out.extend_from_slice(&[0; 72]);
        }
        ServerCertificate::X509 { chain } => {
            push_u32(&mut out, CERT_CHAIN_VERSION_2);
            push_u32(&mut out, u32::try_from(chain.len()).unwrap_or(0));
            for cert in chain {
                push_u32(&mut out, u32::try_from(cert.len()).unwrap_or(0));
                out.extend_from_slice(cert);
            }
            let padding = chain.len().saturating_mul(4).saturating_add(8);
            out.resize(out.len().saturating_add(padding), 0);
        }
        ServerCertificate::Unknown { dw_version, len } => {
            push_u32(&mut out, *dw_version);
            out.resize((*len).max(4), 0);
        }
    }
    out
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

/// [MS-RDPBCGR 2.2.1.4.3] name of an `encryptionLevel`: `NONE`, `LOW`,
/// `CLIENT_COMPATIBLE`, `HIGH`, `FIPS`, or `UNKNOWN`.
pub fn encryption_level_name(level: u32) -> &'static str {
    match level {
        encryption_level::NONE => "NONE",
        encryption_level::LOW => "LOW",
        encryption_level::CLIENT_COMPATIBLE => "CLIENT_COMPATIBLE",
        encryption_level::HIGH => "HIGH",
        encryption_level::FIPS => "FIPS",
        _ => "UNKNOWN",
    }
}

/// Names of the [`encryption_method`] bits: `["NONE"]` for 0, else some of
/// `40BIT`, `128BIT`, `56BIT`, `FIPS`, plus `UNKNOWN` for other bits.
pub fn encryption_method_names(bits: u32) -> Vec<&'static str> {
    const NAMES: [(u32, &str); 4] = [
        (encryption_method::BIT_40, "40BIT"),
        (encryption_method::BIT_128, "128BIT"),
        (encryption_method::BIT_56, "56BIT"),
        (encryption_method::FIPS, "FIPS"),
    ];
    if bits == 0 {
        return vec!["NONE"];
    }
    let mut out: Vec<&'static str> = NAMES
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect();
    if bits & !0x1B != 0 {
        out.push("UNKNOWN");
    }
    out
}

/// [MS-RDPBCGR 2.2.1.4.2] the RDP version a SC_CORE (or CS_CORE) `version` names.
pub fn rdp_version_name(version: u32) -> Option<&'static str> {
    Some(match version {
        0x0008_0001 => "RDP 4.0",
        0x0008_0004 => "RDP 5.0, 5.1, 5.2, 6.0, 6.1, 7.0, 7.1, 8.0 or 8.1",
        0x0008_0005 => "RDP 10.0",
        0x0008_0006 => "RDP 10.1",
        0x0008_0007 => "RDP 10.2",
        0x0008_0008 => "RDP 10.3",
        0x0008_0009 => "RDP 10.4",
        0x0008_000A => "RDP 10.5",
        0x0008_000B => "RDP 10.6",
        0x0008_000C => "RDP 10.7",
        0x0008_000D => "RDP 10.8",
        0x0008_000E => "RDP 10.9",
        0x0008_000F => "RDP 10.10",
        0x0008_0010 => "RDP 10.11",
        0x0008_0011 => "RDP 10.12",
        _ => return None,
    })
}

/// [T.125 7, part 2] name of a Connect-Response `result`.
pub fn result_name(result: u32) -> Option<&'static str> {
    Some(match result {
        0 => "rt-successful",
        1 => "rt-domain-merging",
        2 => "rt-domain-not-hierarchical",
        3 => "rt-no-such-channel",
        4 => "rt-no-such-domain",
        5 => "rt-no-such-user",
        6 => "rt-not-admitted",
        7 => "rt-other-user-id",
        8 => "rt-parameters-unacceptable",
        9 => "rt-token-not-available",
        10 => "rt-token-not-possessed",
        11 => "rt-too-many-channels",
        12 => "rt-too-many-tokens",
        13 => "rt-too-many-users",
        14 => "rt-unspecified-failure",
        15 => "rt-user-rejected",
        _ => return None,
    })
}

/// [T.125 7, part 11] name of a Disconnect Provider Ultimatum `reason`.
pub fn disconnect_reason_name(reason: u8) -> &'static str {
    match reason {
        0 => "rn-domain-disconnected",
        1 => "rn-provider-initiated",
        2 => "rn-token-purged",
        3 => "rn-user-requested",
        4 => "rn-channel-purged",
        _ => "unknown reason",
    }
}

/// [MS-RDPBCGR 2.2.1.4.2] names of SC_CORE `earlyCapabilityFlags` bits.
pub fn server_early_capability_names(flags: u32) -> Vec<&'static str> {
    const NAMES: [(u32, &str); 4] = [
        (0x1, "RNS_UD_SC_EDGE_ACTIONS_SUPPORTED_V1"),
        (0x2, "RNS_UD_SC_DYNAMIC_DST_SUPPORTED"),
        (0x4, "RNS_UD_SC_EDGE_ACTIONS_SUPPORTED_V2"),
        (0x8, "RNS_UD_SC_SKIP_CHANNELJOIN_SUPPORTED"),
    ];
    NAMES
        .iter()
        .filter(|(b, _)| flags & b != 0)
        .map(|(_, n)| *n)
        .collect()
}

/// [MS-RDPBCGR 2.2.1.4.6] names of SC_MULTITRANSPORT `flags` bits.
pub fn multitransport_flag_names(flags: u32) -> Vec<&'static str> {
    const NAMES: [(u32, &str); 4] = [
        (0x001, "TRANSPORTTYPE_UDPFECR"),
        (0x004, "TRANSPORTTYPE_UDPFECL"),
        (0x100, "TRANSPORTTYPE_UDP_PREFERRED"),
        (0x200, "SOFTSYNC_TCP_TO_UDP"),
    ];
    NAMES
        .iter()
        .filter(|(b, _)| flags & b != 0)
        .map(|(_, n)| *n)
        .collect()
}

#[cfg(test)]
mod tests;
