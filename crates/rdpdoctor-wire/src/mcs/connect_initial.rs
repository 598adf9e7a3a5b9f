//! [MS-RDPBCGR 2.2.1.3] Client MCS Connect Initial PDU with GCC Conference
//! Create Request: the client's settings (core, cluster, security, network
//! data blocks). Encoded for the probe, decoded for the emulator.
//!
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/db6713ee-1c0e-4064-a3b3-0fac30b4037b>

use serde::Serialize;

use super::MAX_CHANNELS;
use super::gcc::{
    H221_CLIENT_KEY, T124_OID, TAG_CONNECT_INITIAL, block_type, push_block, push_per_length,
    push_u16, push_u32,
};
use crate::ber;
use crate::error::WireError;
use crate::reader::{Reader, len_from_u32};
use crate::x224;

/// What to put in the Connect Initial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectInitialOptions {
    /// CS_SECURITY `encryptionMethods`: [`encryption_method`](super::encryption_method) bits offered.
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
    /// CS_CORE as a whole ([`super::decode_client_core`]).
    pub core: Option<super::ClientCore>,
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
                out.core = super::decode_client_core(body.rest());
                if let Some(core) = &out.core {
                    out.desktop_width = core.desktop_width;
                    out.desktop_height = core.desktop_height;
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
