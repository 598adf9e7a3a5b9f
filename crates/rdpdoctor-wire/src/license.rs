//! The client side of the licensing protocol ([MS-RDPELE]) as far as a
//! probe needs it: when a server answers the Client Info with a License
//! Request, a client sends a New License Request, answers the Platform
//! Challenge, and then gets a license (or a licensing error) before Demand
//! Active. xrdp always asks; a Windows RD Session Host with licensing
//! configured asks too — and that is where licensing errors come from.
//!
//! The messages go in a licensing PDU ([MS-RDPBCGR 2.2.1.12]): a security
//! header with SEC_LICENSE_PKT, then the LICENSE_PREAMBLE built here.
//!
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpele/>

use md5::Md5;
use rc4::{KeyInit, StreamCipher};
use serde::Serialize;
use sha1::{Digest, Sha1};

use crate::error::WireError;
use crate::mcs::RsaPublicKey;
use crate::reader::Reader;
use crate::security::{RANDOM_LEN, encrypt_client_random, triple_salted_hash};

/// [MS-RDPELE 2.2.2.2] CLIENT_NEW_LICENSE_REQUEST `bMsgType`.
pub const NEW_LICENSE_REQUEST: u8 = 0x13;
/// [MS-RDPELE 2.2.2.5] CLIENT_PLATFORM_CHALLENGE_RESPONSE `bMsgType`.
pub const PLATFORM_CHALLENGE_RESPONSE: u8 = 0x15;
/// LICENSE_PREAMBLE flags: PREAMBLE_VERSION_3_0 | EXTENDED_ERROR_MSG_SUPPORTED.
const PREAMBLE_FLAGS: u8 = 0x03 | 0x80;
/// Length of the premaster secret.
pub const PREMASTER_LEN: usize = 48;
/// Blob types of LICENSE_BINARY_BLOB ([MS-RDPBCGR 2.2.1.12.1.2]).
mod blob {
    pub const RANDOM: u16 = 0x0002;
    pub const ENCRYPTED_DATA: u16 = 0x0009;
    pub const CLIENT_USER_NAME: u16 = 0x000F;
    pub const CLIENT_MACHINE_NAME: u16 = 0x0010;
}

/// What a SERVER_LICENSE_REQUEST ([MS-RDPELE 2.2.2.1]) holds that a client uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LicenseRequest {
    /// `ServerRandom`.
    #[serde(serialize_with = "crate::hexser::bytes")]
    pub server_random: Vec<u8>,
    /// `ProductInfo.pbCompanyName`.
    pub company_name: String,
    /// `ProductInfo.pbProductId`.
    pub product_id: String,
    /// The key of `ServerCertificate`, when the blob is not empty (it is
    /// empty when Standard RDP Security already delivered the certificate).
    #[serde(skip)]
    pub server_key: Option<RsaPublicKey>,
}

fn read_blob<'a>(r: &mut Reader<'a>, what: &'static str) -> Result<(u16, &'a [u8]), WireError> {
    let ty = r.u16_le(what)?;
    let len = usize::from(r.u16_le(what)?);
    Ok((ty, r.take(len, what)?))
}

fn utf16_or_ansi(bytes: &[u8]) -> String {
    let looks_utf16 = bytes.len() >= 2 && bytes.get(1) == Some(&0);
    let s = if looks_utf16 {
        crate::reader::utf16le(bytes)
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    };
    s.trim_end_matches('\0').to_owned()
}

/// Decode a SERVER_LICENSE_REQUEST message body (after the LICENSE_PREAMBLE).
pub fn decode_license_request(body: &[u8]) -> Result<LicenseRequest, WireError> {
    let mut r = Reader::new(body);
    let server_random = r
        .take(RANDOM_LEN, "SERVER_LICENSE_REQUEST ServerRandom")?
        .to_vec();
    let _version = r.u32_le("PRODUCT_INFO dwVersion")?;
    let cb_company = crate::reader::len_from_u32(r.u32_le("PRODUCT_INFO cbCompanyName")?);
    let company_name = utf16_or_ansi(r.take(cb_company, "PRODUCT_INFO pbCompanyName")?);
    let cb_product = crate::reader::len_from_u32(r.u32_le("PRODUCT_INFO cbProductId")?);
    let product_id = utf16_or_ansi(r.take(cb_product, "PRODUCT_INFO pbProductId")?);
    let _key_exchange = read_blob(&mut r, "SERVER_LICENSE_REQUEST KeyExchangeList")?;
    let (_, cert) = read_blob(&mut r, "SERVER_LICENSE_REQUEST ServerCertificate")?;
    let server_key = if cert.is_empty() {
        None
    } else {
        crate::mcs::certificate_public_key(cert)?
    };
    Ok(LicenseRequest {
        server_random,
        company_name,
        product_id,
        server_key,
    })
}

/// [MS-RDPELE 5.1.2] the licensing keys.
#[derive(Clone, PartialEq, Eq)]
pub struct LicenseKeys {
    /// MAC-salt-key = First128Bits(SessionKeyBlob).
    pub mac_salt_key: [u8; 16],
    /// Licensing encryption key = MD5(Second128Bits(SessionKeyBlob) + ClientRandom + ServerRandom).
    pub licensing_key: [u8; 16],
}

impl std::fmt::Debug for LicenseKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LicenseKeys { .. }")
    }
}

impl LicenseKeys {
    /// Derive from the client random, the server random and the premaster secret.
    pub fn derive(client_random: &[u8], server_random: &[u8], premaster: &[u8]) -> Self {
        let master = triple_salted_hash(
            premaster,
            [b"A", b"BB", b"CCC"],
            client_random,
            server_random,
        );
        let blob = triple_salted_hash(&master, [b"A", b"BB", b"CCC"], server_random, client_random);
        let mut mac_salt_key = [0u8; 16];
        for (k, b) in mac_salt_key.iter_mut().zip(blob.iter()) {
            *k = *b;
        }
        let licensing_key: [u8; 16] = Md5::new()
            .chain_update(blob.get(16..32).unwrap_or(&[]))
            .chain_update(client_random)
            .chain_update(server_random)
            .finalize()
            .into();
        LicenseKeys {
            mac_salt_key,
            licensing_key,
        }
    }

    /// RC4 with the licensing key, a fresh keystream each time ([MS-RDPELE 5.1.3]).
    pub fn rc4(&self, data: &[u8]) -> Vec<u8> {
        let mut out = data.to_vec();
        if let Ok(mut c) = rc4::Rc4::<rc4::consts::U16>::new_from_slice(&self.licensing_key) {
            c.apply_keystream(&mut out);
        }
        out
    }

    /// [MS-RDPELE 5.1.6] MACData = MD5(MacSaltKey + Pad2 + SHA1(MacSaltKey + Pad1 + length + data)).
    pub fn mac(&self, data: &[u8]) -> [u8; 16] {
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes();
        let sha = Sha1::new()
            .chain_update(self.mac_salt_key)
            .chain_update([0x36u8; 40])
            .chain_update(len)
            .chain_update(data)
            .finalize();
        Md5::new()
            .chain_update(self.mac_salt_key)
            .chain_update([0x5Cu8; 48])
            .chain_update(sha)
            .finalize()
            .into()
    }
}

fn push_blob(out: &mut Vec<u8>, ty: u16, data: &[u8]) {
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&u16::try_from(data.len()).unwrap_or(0).to_le_bytes());
    out.extend_from_slice(data);
}

fn with_preamble(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len().saturating_add(4));
    out.push(msg_type);
    out.push(PREAMBLE_FLAGS);
    out.extend_from_slice(
        &u16::try_from(body.len().saturating_add(4))
            .unwrap_or(0)
            .to_le_bytes(),
    );
    out.extend_from_slice(body);
    out
}

/// [MS-RDPELE 2.2.2.2] CLIENT_NEW_LICENSE_REQUEST with its LICENSE_PREAMBLE:
/// RSA key exchange, the client random, the premaster secret encrypted with
/// `server_key` ([5.3.4.1] raw RSA, as the client random), the user and
/// machine names (ANSI).
pub fn encode_new_license_request(
    client_random: &[u8],
    premaster: &[u8],
    server_key: &RsaPublicKey,
    user_name: &str,
    machine_name: &str,
) -> Result<Vec<u8>, WireError> {
    let encrypted = encrypt_client_random(premaster, server_key)?;
    let mut body = Vec::with_capacity(encrypted.len().saturating_add(96));
    body.extend_from_slice(&1u32.to_le_bytes()); // KEY_EXCHANGE_ALG_RSA
    // PlatformId: CLIENT_OS_ID_WINNT_POST_52 | CLIENT_IMAGE_ID_MICROSOFT.
    body.extend_from_slice(&0x0401_0000u32.to_le_bytes());
    body.extend_from_slice(client_random);
    push_blob(&mut body, blob::RANDOM, &encrypted);
    let ansi = |s: &str| -> Vec<u8> {
        let mut v: Vec<u8> = s.bytes().filter(u8::is_ascii_graphic).take(63).collect();
        v.push(0);
        v
    };
    push_blob(&mut body, blob::CLIENT_USER_NAME, &ansi(user_name));
    push_blob(&mut body, blob::CLIENT_MACHINE_NAME, &ansi(machine_name));
    Ok(with_preamble(NEW_LICENSE_REQUEST, &body))
}

/// [MS-RDPELE 2.2.2.4] the platform challenge of a SERVER_PLATFORM_CHALLENGE
/// body (after the preamble), decrypted with the licensing key.
pub fn decode_platform_challenge(body: &[u8], keys: &LicenseKeys) -> Result<Vec<u8>, WireError> {
    let mut r = Reader::new(body);
    let _connect_flags = r.u32_le("SERVER_PLATFORM_CHALLENGE ConnectFlags")?;
    let (_, encrypted) = read_blob(
        &mut r,
        "SERVER_PLATFORM_CHALLENGE EncryptedPlatformChallenge",
    )?;
    let _mac = r.take(16, "SERVER_PLATFORM_CHALLENGE MACData")?;
    Ok(keys.rc4(encrypted))
}

/// [MS-RDPELE 2.2.2.5] CLIENT_PLATFORM_CHALLENGE_RESPONSE with its preamble:
/// the challenge returned in a PLATFORM_CHALLENGE_RESPONSE_DATA, the
/// 20-byte hardware id, both encrypted, and the MAC of both.
pub fn encode_platform_challenge_response(
    keys: &LicenseKeys,
    challenge: &[u8],
    hardware_id: &[u8; 20],
) -> Vec<u8> {
    let mut data = Vec::with_capacity(challenge.len().saturating_add(8));
    data.extend_from_slice(&0x0100u16.to_le_bytes()); // wVersion
    data.extend_from_slice(&0x0100u16.to_le_bytes()); // wClientType: WIN32_PLATFORMCHALLENGE_TYPE
    data.extend_from_slice(&0x0003u16.to_le_bytes()); // wLicenseDetailLevel: LICENSE_DETAIL_DETAIL
    data.extend_from_slice(&u16::try_from(challenge.len()).unwrap_or(0).to_le_bytes());
    data.extend_from_slice(challenge);
    let mut both = data.clone();
    both.extend_from_slice(hardware_id);
    let mut body = Vec::with_capacity(both.len().saturating_add(32));
    push_blob(&mut body, blob::ENCRYPTED_DATA, &keys.rc4(&data));
    push_blob(&mut body, blob::ENCRYPTED_DATA, &keys.rc4(hardware_id));
    body.extend_from_slice(&keys.mac(&both));
    with_preamble(PLATFORM_CHALLENGE_RESPONSE, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_challenge_round_trip_and_mac_binds_the_data() {
        let keys = LicenseKeys::derive(&[1; 32], &[2; 32], &[3; 48]);
        let challenge = b"TEST\0";
        // A server encrypts the challenge with the same key stream.
        let mut body = 0u32.to_le_bytes().to_vec();
        push_blob(&mut body, blob::ENCRYPTED_DATA, &keys.rc4(challenge));
        body.extend_from_slice(&[0; 16]);
        assert_eq!(decode_platform_challenge(&body, &keys).unwrap(), challenge);
        let resp = encode_platform_challenge_response(&keys, challenge, &[7; 20]);
        assert_eq!(resp[0], PLATFORM_CHALLENGE_RESPONSE);
        assert_eq!(
            usize::from(u16::from_le_bytes([resp[2], resp[3]])),
            resp.len()
        );
        assert_ne!(keys.mac(b"a"), keys.mac(b"b"));
        assert_eq!(
            format!("{keys:?}"),
            "LicenseKeys { .. }",
            "keys are never printed"
        );
    }
}
