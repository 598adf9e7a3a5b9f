//! What Standard RDP Security needs from the Server Security Data
//! ([MS-RDPBCGR 2.2.1.4.3]): the negotiated method and level, the server
//! random, and the server's RSA key ([5.3.4]).
//!
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/3e86b68d-3e2e-4433-b486-878875778f4b>

use super::certificate::{RsaPublicKey, certificate_public_key};
use super::connect_response::{decode_connect_response, settings_blocks};
use super::gcc::block_type;
use crate::ber::{self, expect_tlv};
use crate::error::WireError;
use crate::reader::{Reader, len_from_u32};
use crate::x224;

/// What Standard RDP Security needs from the Connect Response: the
/// negotiated method and level, the server random and the server's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerKeying {
    /// `encryptionMethod` selected ([`encryption_method`](super::encryption_method)).
    pub encryption_method: u32,
    /// `encryptionLevel` ([`encryption_level`](super::encryption_level)).
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
        out.public_key = certificate_public_key(cert)?;
    }
    Ok(out)
}
