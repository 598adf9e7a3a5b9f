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

use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyInit, KeyIvInit, StreamCipher};
use hmac::Mac;
use md5::Md5;
use num_bigint::BigUint;
use sha1::{Digest, Sha1};

use crate::error::WireError;
use crate::mcs::{self, RsaPublicKey};
use crate::reader::Reader;
use crate::spec::{encryption_method as em, sec_flags};

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

/// Which of the two ends a [`Session`] plays: the keys swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The client: encrypts with the client encryption key.
    Client,
    /// The server (test doubles).
    Server,
}

/// One direction's RC4 cipher, its key history and use count.
enum Rc4State {
    K8(rc4::Rc4<rc4::consts::U8>),
    K16(rc4::Rc4<rc4::consts::U16>),
}

impl Rc4State {
    fn new(key: &[u8]) -> Result<Self, WireError> {
        let bad = |_| WireError::invalid("RC4 key", "wrong length");
        Ok(match key.len() {
            8 => Rc4State::K8(rc4::Rc4::new_from_slice(key).map_err(bad)?),
            _ => Rc4State::K16(rc4::Rc4::new_from_slice(key).map_err(bad)?),
        })
    }
    fn apply(&mut self, data: &mut [u8]) {
        match self {
            Rc4State::K8(c) => c.apply_keystream(data),
            Rc4State::K16(c) => c.apply_keystream(data),
        }
    }
}

struct Rc4Direction {
    initial_key: Vec<u8>,
    key: Vec<u8>,
    cipher: Rc4State,
    uses: u32,
}

impl Rc4Direction {
    fn new(key: Vec<u8>) -> Result<Self, WireError> {
        Ok(Rc4Direction {
            cipher: Rc4State::new(&key)?,
            initial_key: key.clone(),
            key,
            uses: 0,
        })
    }

    /// [5.3.7.1] after 4096 PDUs the key is updated and RC4 restarts.
    fn apply(&mut self, method: u32, data: &mut [u8]) -> Result<(), WireError> {
        if self.uses == KEY_UPDATE_INTERVAL {
            self.key = update_key(method, &self.initial_key, &self.key)?;
            self.cipher = Rc4State::new(&self.key)?;
            self.uses = 0;
        }
        self.cipher.apply(data);
        self.uses = self.uses.saturating_add(1);
        Ok(())
    }
}

/// [5.3.7.1] Non-FIPS key update.
fn update_key(method: u32, initial: &[u8], current: &[u8]) -> Result<Vec<u8>, WireError> {
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

type TdesCbcEnc = cbc::Encryptor<des::TdesEde3>;
type TdesCbcDec = cbc::Decryptor<des::TdesEde3>;
type HmacSha1 = hmac::Hmac<Sha1>;

enum Ciphers {
    Rc4 {
        encrypt: Box<Rc4Direction>,
        decrypt: Box<Rc4Direction>,
    },
    Fips {
        encrypt: Box<TdesCbcEnc>,
        decrypt: Box<TdesCbcDec>,
    },
}

/// A Standard RDP Security session: encrypts and signs outgoing PDUs,
/// decrypts and checks incoming ones, counting both directions.
pub struct Session {
    keys: SessionKeys,
    ciphers: Ciphers,
    encrypt_count: u32,
    decrypt_count: u32,
    salted_mac: bool,
    license_encrypt: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys are secrets: only the shape is shown.
        f.debug_struct("Session")
            .field("method", &self.keys.method)
            .field("encrypt_count", &self.encrypt_count)
            .field("decrypt_count", &self.decrypt_count)
            .field("salted_mac", &self.salted_mac)
            .finish()
    }
}

impl Session {
    /// A session for `role` from keys derived by [`SessionKeys::derive`].
    pub fn new(keys: SessionKeys, role: Role) -> Result<Self, WireError> {
        let (enc, dec) = match role {
            Role::Client => (&keys.client_encrypt_key, &keys.client_decrypt_key),
            Role::Server => (&keys.client_decrypt_key, &keys.client_encrypt_key),
        };
        let ciphers = if keys.method == em::FIPS {
            let bad = |_| WireError::invalid("3DES key", "wrong length");
            Ciphers::Fips {
                encrypt: Box::new(TdesCbcEnc::new_from_slices(enc, &FIPS_IV).map_err(bad)?),
                decrypt: Box::new(TdesCbcDec::new_from_slices(dec, &FIPS_IV).map_err(bad)?),
            }
        } else {
            Ciphers::Rc4 {
                encrypt: Box::new(Rc4Direction::new(enc.clone())?),
                decrypt: Box::new(Rc4Direction::new(dec.clone())?),
            }
        };
        Ok(Session {
            keys,
            ciphers,
            encrypt_count: 0,
            decrypt_count: 0,
            salted_mac: false,
            license_encrypt: false,
        })
    }

    /// Sign outgoing non-FIPS PDUs with the salted MAC ([5.3.6.1.1]) and set
    /// SEC_SECURE_CHECKSUM, instead of the plain MAC of [5.3.6.1].
    pub fn set_salted_mac(&mut self, on: bool) {
        self.salted_mac = on;
    }

    /// Whether the server's licensing PDUs asked for encrypted licensing
    /// replies (SEC_LICENSE_ENCRYPT_SC); set by [`crate::rdp::decode_server_pdu_with`].
    pub fn license_encrypt(&self) -> bool {
        self.license_encrypt
    }

    pub(crate) fn set_license_encrypt(&mut self, on: bool) {
        self.license_encrypt = on;
    }

    /// The negotiated method.
    pub fn method(&self) -> u32 {
        self.keys.method
    }

    /// [5.3.6.1] MAC of a non-FIPS PDU, salted with `count` when given ([5.3.6.1.1]).
    fn rc4_mac(&self, data: &[u8], count: Option<u32>) -> [u8; 8] {
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes();
        let mut sha = Sha1::new()
            .chain_update(&self.keys.mac_key)
            .chain_update(PAD1)
            .chain_update(len)
            .chain_update(data);
        if let Some(c) = count {
            sha.update(c.to_le_bytes());
        }
        let md = Md5::new()
            .chain_update(&self.keys.mac_key)
            .chain_update(PAD2)
            .chain_update(sha.finalize())
            .finalize();
        first8(&md)
    }

    /// [5.3.6.2] MAC of a FIPS PDU: HMAC-SHA1 over the data and the count.
    fn fips_mac(&self, data: &[u8], count: u32) -> [u8; 8] {
        let mut mac = match <HmacSha1 as Mac>::new_from_slice(&self.keys.mac_key) {
            Ok(m) => m,
            Err(_) => return [0; 8],
        };
        mac.update(data);
        mac.update(&count.to_le_bytes());
        first8(&mac.finalize().into_bytes())
    }

    /// The security header (non-FIPS [2.2.8.1.1.2.2] or FIPS
    /// [2.2.8.1.1.2.3]) with `flags | SEC_ENCRYPT`, followed by `data`
    /// encrypted: what goes after the MCS header of an outgoing PDU.
    pub fn encrypt(&mut self, flags: u16, data: &[u8]) -> Vec<u8> {
        let count = self.encrypt_count;
        self.encrypt_count = self.encrypt_count.wrapping_add(1);
        let mut flags = flags | sec_flags::SEC_ENCRYPT;
        match self.ciphers {
            Ciphers::Rc4 { .. } => {
                let salted = self.salted_mac;
                if salted {
                    flags |= sec_flags::SEC_SECURE_CHECKSUM;
                }
                let signature = self.rc4_mac(data, salted.then_some(count));
                let mut body = data.to_vec();
                let method = self.keys.method;
                if let Ciphers::Rc4 { encrypt, .. } = &mut self.ciphers {
                    // An error here needs a key of a wrong length, which
                    // derive() cannot produce.
                    let _ = encrypt.apply(method, &mut body);
                }
                let mut out = Vec::with_capacity(body.len().saturating_add(12));
                out.extend_from_slice(&flags.to_le_bytes());
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(&signature);
                out.extend_from_slice(&body);
                out
            }
            Ciphers::Fips { .. } => {
                let signature = self.fips_mac(data, count);
                let pad = (8usize.saturating_sub(data.len() % 8)) % 8;
                let mut body = data.to_vec();
                body.resize(data.len().saturating_add(pad), 0);
                if let Ciphers::Fips { encrypt, .. } = &mut self.ciphers {
                    for block in body.chunks_exact_mut(8) {
                        encrypt.encrypt_block_mut(block.into());
                    }
                }
                let mut out = Vec::with_capacity(body.len().saturating_add(16));
                out.extend_from_slice(&flags.to_le_bytes());
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(&0x10u16.to_le_bytes()); // length of the FIPS header
                out.push(1); // TSFIPS_VERSION1
                out.push(u8::try_from(pad).unwrap_or(0)); // padlen
                out.extend_from_slice(&signature);
                out.extend_from_slice(&body);
                out
            }
        }
    }

    /// Decrypt what follows a Basic Security Header whose `flags` carry
    /// SEC_ENCRYPT: the rest of the non-FIPS or FIPS header, then the data.
    /// The MAC is checked; a mismatch is an error naming both values.
    pub fn decrypt(&mut self, flags: u16, rest: &[u8]) -> Result<Vec<u8>, WireError> {
        let count = self.decrypt_count;
        self.decrypt_count = self.decrypt_count.wrapping_add(1);
        let mut r = Reader::new(rest);
        let method = self.keys.method;
        match &mut self.ciphers {
            Ciphers::Rc4 { decrypt, .. } => {
                let signature = r.array::<8>("TS_SECURITY_HEADER1 dataSignature")?;
                let mut data = r.rest().to_vec();
                decrypt.apply(method, &mut data)?;
                let salted = flags & sec_flags::SEC_SECURE_CHECKSUM != 0;
                let expected = self.rc4_mac(&data, salted.then_some(count));
                check_mac(&signature, &expected, "non-FIPS")?;
                Ok(data)
            }
            Ciphers::Fips { decrypt, .. } => {
                let _len = r.u16_le("TS_SECURITY_HEADER2 length")?;
                let _version = r.u8("TS_SECURITY_HEADER2 version")?;
                let pad = usize::from(r.u8("TS_SECURITY_HEADER2 padlen")?);
                let signature = r.array::<8>("TS_SECURITY_HEADER2 dataSignature")?;
                let mut data = r.rest().to_vec();
                if !data.len().is_multiple_of(8) || pad > 7 || pad > data.len() {
                    return Err(WireError::invalid(
                        "FIPS-encrypted data",
                        format!(
                            "{} bytes with padlen {pad}: not whole 3DES blocks",
                            data.len()
                        ),
                    ));
                }
                for block in data.chunks_exact_mut(8) {
                    decrypt.decrypt_block_mut(block.into());
                }
                data.truncate(data.len().saturating_sub(pad));
                let expected = self.fips_mac(&data, count);
                check_mac(&signature, &expected, "FIPS")?;
                Ok(data)
            }
        }
    }
}

fn first8(bytes: &[u8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = *b;
    }
    out
}

fn check_mac(got: &[u8; 8], expected: &[u8; 8], kind: &str) -> Result<(), WireError> {
    if got == expected {
        return Ok(());
    }
    Err(WireError::invalid(
        "dataSignature",
        format!(
            "MAC mismatch for a {kind} PDU: received {}, computed {} (wrong session keys?)",
            crate::cert::hex_upper(got),
            crate::cert::hex_upper(expected)
        ),
    ))
}

#[cfg(test)]
mod tests;
