//! Standard RDP Security ([MS-RDPBCGR 5.3]): the client random sent to the
//! server under its RSA key (5.3.4), the session keys derived from both
//! randoms (5.3.5), and the encryption and MAC of each PDU (5.3.6), for the
//! non-FIPS methods (RC4 with 40-, 56- or 128-bit keys, MD5/SHA-1 MACs) and
//! FIPS (3DES-CBC, HMAC-SHA1).
//!
//! The primitives are RustCrypto's (`rc4`, `md-5`, `sha1`, `hmac`, `des`,
//! `cbc`) and `num-bigint` for the raw RSA operation, which no padding
//! scheme of a maintained RSA crate expresses. What is written here is only
//! RDP's arrangement of them. No randomness is drawn here: the caller
//! supplies the client random.
//!
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/8e8b2cca-c1fa-456c-8ecb-a82fc60b2322>

use num_bigint::BigUint;

use crate::error::WireError;
use crate::mcs::{self, RsaPublicKey};
use crate::reader::Reader;
use crate::spec::sec_flags;

/// Length of the client and server randoms.
pub const RANDOM_LEN: usize = 32;
/// 0x36 × 40 ([5.3.6.1] Pad1).
const PAD1: [u8; 40] = [0x36; 40];
/// 0x5C × 48 ([5.3.6.1] Pad2).
const PAD2: [u8; 48] = [0x5C; 48];
/// [5.3.5.1] the salt that replaces the first bytes of 40- and 56-bit keys.
const SALT: [u8; 3] = [0xD1, 0x26, 0x9E];
/// [5.3.6.2] the initial 3DES-CBC vector.
const FIPS_IV: [u8; 8] = [0x12, 0x34, 0x56, 0x78, 0x90, 0xAB, 0xCD, 0xEF];
/// [5.3.7] keys are updated after this many PDUs.
const KEY_UPDATE_INTERVAL: u32 = 4096;
/// The smallest RSA modulus accepted from a server, in bits: the 256-bit
/// client random must be below the modulus.
const MIN_MODULUS_BITS: u64 = 384;

pub use crate::spec::{
    MAX_RSA_EXPONENT_BITS as MAX_EXPONENT_BITS, MAX_RSA_MODULUS_BITS as MAX_MODULUS_BITS,
};

/// Significant bits of a big-endian number, counted on the bytes (no
/// big-integer arithmetic, so a huge value costs no more than its length).
fn significant_bits(be: &[u8]) -> u64 {
    let Some(pos) = be.iter().position(|b| *b != 0) else {
        return 0;
    };
    let rest = be.get(pos..).unwrap_or_default();
    let top = rest
        .first()
        .map_or(0, |b| u8::BITS.saturating_sub(b.leading_zeros()));
    let bytes = u64::try_from(rest.len()).unwrap_or(u64::MAX);
    bytes
        .saturating_sub(1)
        .saturating_mul(8)
        .saturating_add(u64::from(top))
}

/// [5.3.4.1] Encrypt the client random with the server's public key: the
/// random is read as a little-endian number, raised to the public exponent
/// modulo the modulus (raw RSA, no padding), and written little-endian,
/// padded to the modulus length plus 8 zero bytes — the `encryptedClientRandom`
/// of the Security Exchange PDU. The licensing protocol encrypts its
/// premaster secret the same way ([`crate::license::encode_new_license_request`]).
///
/// A key over [`MAX_MODULUS_BITS`] or [`MAX_EXPONENT_BITS`] is
/// [`WireError::RsaKeyTooLarge`], decided from the key's length before any
/// arithmetic: the server chooses its key, and so, without the caps, how
/// long the client computes.
pub fn encrypt_client_random(
    client_random: &[u8],
    key: &RsaPublicKey,
) -> Result<Vec<u8>, WireError> {
    let bits = significant_bits(&key.modulus);
    let exponent_bits = significant_bits(&key.exponent);
    if bits > MAX_MODULUS_BITS || exponent_bits > MAX_EXPONENT_BITS {
        return Err(WireError::RsaKeyTooLarge {
            modulus_bits: bits,
            exponent_bits,
        });
    }
    if bits < MIN_MODULUS_BITS {
        return Err(WireError::invalid(
            "server RSA key",
            format!("a {bits}-bit modulus; at least {MIN_MODULUS_BITS} bits accepted"),
        ));
    }
    if exponent_bits == 0 {
        return Err(WireError::invalid("server RSA key", "public exponent 0"));
    }
    let n = BigUint::from_bytes_be(&key.modulus);
    let e = BigUint::from_bytes_be(&key.exponent);
    let m = BigUint::from_bytes_le(client_random);
    if m >= n {
        return Err(WireError::invalid(
            "server RSA key",
            "modulus below the client random",
        ));
    }
    let mut out = m.modpow(&e, &n).to_bytes_le();
    let modulus_len = usize::try_from(bits.div_ceil(8)).unwrap_or(0);
    out.resize(modulus_len.saturating_add(8), 0);
    Ok(out)
}

/// [2.2.1.10] Client Security Exchange PDU: SEC_EXCHANGE_PKT, the length and
/// the encrypted client random, on the I/O channel.
pub fn encode_security_exchange(user_id: u16, io_channel: u16, encrypted_random: &[u8]) -> Vec<u8> {
    let mut d = Vec::with_capacity(encrypted_random.len().saturating_add(8));
    d.extend_from_slice(&sec_flags::SEC_EXCHANGE_PKT.to_le_bytes());
    d.extend_from_slice(&[0, 0]); // flagsHi
    d.extend_from_slice(
        &u32::try_from(encrypted_random.len())
            .unwrap_or(0)
            .to_le_bytes(),
    );
    d.extend_from_slice(encrypted_random);
    mcs::encode_send_data_request(user_id, io_channel, &d)
}

/// Server side of [`encode_security_exchange`]: the encrypted client random.
pub fn decode_security_exchange(frame: &[u8]) -> Result<Vec<u8>, WireError> {
    let sd = mcs::decode_send_data_request(frame)?;
    let mut r = Reader::new(sd.data);
    let flags = r.u16_le("TS_SECURITY_PACKET flags")?;
    if flags & sec_flags::SEC_EXCHANGE_PKT == 0 {
        return Err(WireError::invalid(
            "TS_SECURITY_PACKET flags",
            format!("{flags:#06x} lack SEC_EXCHANGE_PKT"),
        ));
    }
    let _flags_hi = r.u16_le("TS_SECURITY_PACKET flagsHi")?;
    let len = crate::reader::len_from_u32(r.u32_le("TS_SECURITY_PACKET length")?);
    Ok(r.take(len, "TS_SECURITY_PACKET encryptedClientRandom")?
        .to_vec())
}

mod keys;
mod session;

pub use keys::SessionKeys;
pub(crate) use keys::triple_salted_hash;
pub use session::{Role, Session};

#[cfg(test)]
mod tests;
