//! [MS-RDPBCGR 5.3.5] the session keys derived from the client and server
//! randoms (salted hashes of MD5 and SHA-1, the 40- and 56-bit salt, the
//! FIPS 3DES and HMAC keys), and [5.3.7.1] the RC4 key update.
//!
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/705f2f62-4c89-40bc-8a6e-3ad6bbe2b5ac>

use md5::Md5;
use sha1::{Digest, Sha1};

use super::session::Rc4State;
use super::{PAD1, PAD2, RANDOM_LEN, SALT};
use crate::error::WireError;
use crate::spec::encryption_method as em;

/// [5.3.7.1] Non-FIPS key update.
pub(super) fn update_key(
    method: u32,
    initial: &[u8],
    current: &[u8],
) -> Result<Vec<u8>, WireError> {
    let sha = Sha1::new()
        .chain_update(initial)
        .chain_update(PAD1)
        .chain_update(current)
        .finalize();
    let md = Md5::new()
        .chain_update(initial)
        .chain_update(PAD2)
        .chain_update(sha)
        .finalize();
    let mut key: Vec<u8> = md.iter().copied().take(current.len()).collect();
    let mut rc4 = Rc4State::new(&key)?;
    rc4.apply(&mut key);
    salt(method, &mut key);
    Ok(key)
}

/// [5.3.5.1] 40-bit keys start with D1 26 9E, 56-bit keys with D1.
fn salt(method: u32, key: &mut [u8]) {
    let n = match method {
        em::BIT_40 => 3,
        em::BIT_56 => 1,
        _ => 0,
    };
    for (k, s) in key.iter_mut().zip(SALT.iter().take(n)) {
        *k = *s;
    }
}

/// [5.3.5.1] SaltedHash(S, I) = MD5(S + SHA(I + S + R1 + R2)).
fn salted_hash(s: &[u8], i: &[u8], r1: &[u8], r2: &[u8]) -> [u8; 16] {
    let sha = Sha1::new()
        .chain_update(i)
        .chain_update(s)
        .chain_update(r1)
        .chain_update(r2)
        .finalize();
    Md5::new()
        .chain_update(s)
        .chain_update(sha)
        .finalize()
        .into()
}

/// The 48-byte blob of three salted hashes with the labels `A`, `BB`, `CCC`
/// (or `X`, `YY`, `ZZZ`).
pub(crate) fn triple_salted_hash(s: &[u8], labels: [&[u8]; 3], r1: &[u8], r2: &[u8]) -> Vec<u8> {
    labels
        .iter()
        .flat_map(|l| salted_hash(s, l, r1, r2))
        .collect()
}

/// The session keys of [5.3.5], from the client's point of view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKeys {
    /// `encryptionMethod` ([`em`]).
    pub method: u32,
    /// MACKeyN (8 bytes for 40/56-bit, 16 for 128-bit); for FIPS the
    /// 20-byte HMAC key.
    pub mac_key: Vec<u8>,
    /// InitialClientEncryptKeyN (FIPS: the 24-byte 3DES key).
    pub client_encrypt_key: Vec<u8>,
    /// InitialClientDecryptKeyN (= the server's encryption key).
    pub client_decrypt_key: Vec<u8>,
}

impl SessionKeys {
    /// Derive the keys for `method` (one of [`em::BIT_40`], [`em::BIT_56`],
    /// [`em::BIT_128`], [`em::FIPS`]) from the two 32-byte randoms.
    pub fn derive(
        method: u32,
        client_random: &[u8],
        server_random: &[u8],
    ) -> Result<Self, WireError> {
        if client_random.len() != RANDOM_LEN || server_random.len() != RANDOM_LEN {
            return Err(WireError::invalid(
                "security randoms",
                format!(
                    "client {} and server {} bytes; both must be {RANDOM_LEN}",
                    client_random.len(),
                    server_random.len()
                ),
            ));
        }
        let (cr, sr) = (client_random, server_random);
        if method == em::FIPS {
            return Ok(fips_keys(cr, sr));
        }
        let key_len = match method {
            em::BIT_40 | em::BIT_56 => 8,
            em::BIT_128 => 16,
            other => {
                return Err(WireError::invalid(
                    "encryptionMethod",
                    format!("{other:#x} is not one Standard RDP Security method"),
                ));
            }
        };
        // PreMasterSecret = First192Bits(ClientRandom) + First192Bits(ServerRandom)
        let mut pre_master = Vec::with_capacity(48);
        pre_master.extend(cr.iter().take(24));
        pre_master.extend(sr.iter().take(24));
        let master = triple_salted_hash(&pre_master, [b"A", b"BB", b"CCC"], cr, sr);
        // MasterHash(I) = SaltedHash(MasterSecret, I): the randoms in the same
        // order, client first (unlike the licensing protocol's SaltedHash2).
        let blob = triple_salted_hash(&master, [b"X", b"YY", b"ZZZ"], cr, sr);
        // FinalHash(K) = MD5(K + ClientRandom + ServerRandom)
        let final_hash = |k: &[u8]| -> Vec<u8> {
            Md5::new()
                .chain_update(k)
                .chain_update(cr)
                .chain_update(sr)
                .finalize()
                .to_vec()
        };
        let part = |i: usize| blob.get(i..i.saturating_add(16)).unwrap_or(&[]);
        let mut mac_key = part(0).to_vec();
        // The server encrypts with Second128Bits, decrypts with Third128Bits.
        let mut client_decrypt_key = final_hash(part(16));
        let mut client_encrypt_key = final_hash(part(32));
        for k in [
            &mut mac_key,
            &mut client_decrypt_key,
            &mut client_encrypt_key,
        ] {
            k.truncate(key_len);
            salt(method, k);
        }
        Ok(SessionKeys {
            method,
            mac_key,
            client_encrypt_key,
            client_decrypt_key,
        })
    }
}

/// [5.3.5.2] FIPS: SHA-1 of halves of the randoms, stretched to 3DES keys.
fn fips_keys(cr: &[u8], sr: &[u8]) -> SessionKeys {
    let half = |r: &[u8], second: bool| -> Vec<u8> {
        let range = if second { 16..32 } else { 0..16 };
        r.get(range).unwrap_or(&[]).to_vec()
    };
    // ClientEncryptKeyT = SHA(Last128Bits(ClientRandom) + Last128Bits(ServerRandom))
    let enc_t: [u8; 20] = Sha1::new()
        .chain_update(half(cr, true))
        .chain_update(half(sr, true))
        .finalize()
        .into();
    // ClientDecryptKeyT = SHA(First128Bits(ClientRandom) + First128Bits(ServerRandom))
    let dec_t: [u8; 20] = Sha1::new()
        .chain_update(half(cr, false))
        .chain_update(half(sr, false))
        .finalize()
        .into();
    // HMACKey = SHA(ClientDecryptKeyT + ClientEncryptKeyT)
    let mac_key = Sha1::new()
        .chain_update(dec_t)
        .chain_update(enc_t)
        .finalize()
        .to_vec();
    SessionKeys {
        method: em::FIPS,
        mac_key,
        client_encrypt_key: des3_key(&enc_t),
        client_decrypt_key: des3_key(&dec_t),
    }
}

/// [5.3.5.2] The 160-bit key T is extended to 168 bits by repeating its first
/// byte; the 168 bits, read least significant bit of each byte first, are cut
/// into 24 groups of 7, each of which fills bits 0–6 of one key byte, and
/// bit 0 is then replaced by DES odd parity. This is bit for bit what
/// Windows, xrdp and FreeRDP compute (the table-driven code of the latter two
/// reverses the bytes, shifts 7-bit groups and reverses them back).
fn des3_key(t: &[u8; 20]) -> Vec<u8> {
    let mut k21 = t.to_vec();
    k21.push(t[0]);
    let bit = |n: usize| -> u8 { k21.get(n / 8).map_or(0, |b| (b >> (n % 8)) & 1) };
    (0..24usize)
        .map(|i| {
            let mut byte = 0u8;
            for k in 0..7usize {
                byte |= bit(i.saturating_mul(7).saturating_add(k)) << k;
            }
            // Odd parity over bits 1..7, in bit 0.
            let ones = (byte & 0xFE).count_ones();
            (byte & 0xFE) | u8::from(ones.is_multiple_of(2))
        })
        .collect()
}
