//! [MS-RDPBCGR 5.3.6] the encryption and MAC of each PDU under Standard RDP
//! Security: RC4 with plain or salted MD5/SHA-1 MACs, or FIPS 3DES-CBC with
//! HMAC-SHA1, each direction counting its PDUs ([5.3.7] key updates).
//!
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/9791c9e2-e5be-462f-8c23-3404c4af63b3>

use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyInit, KeyIvInit, StreamCipher};
use hmac::Mac;
use md5::Md5;
use sha1::{Digest, Sha1};

use super::keys::{SessionKeys, update_key};
use super::{FIPS_IV, KEY_UPDATE_INTERVAL, PAD1, PAD2};
use crate::error::WireError;
use crate::reader::Reader;
use crate::spec::{encryption_method as em, sec_flags};

/// Which of the two ends a [`Session`] plays: the keys swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The client: encrypts with the client encryption key.
    Client,
    /// The server (test doubles).
    Server,
}

/// One direction's RC4 cipher, its key history and use count.
pub(super) enum Rc4State {
    K8(rc4::Rc4<rc4::consts::U8>),
    K16(rc4::Rc4<rc4::consts::U16>),
}

impl Rc4State {
    pub(super) fn new(key: &[u8]) -> Result<Self, WireError> {
        let bad = |_| WireError::invalid("RC4 key", "wrong length");
        Ok(match key.len() {
            8 => Rc4State::K8(rc4::Rc4::new_from_slice(key).map_err(bad)?),
            _ => Rc4State::K16(rc4::Rc4::new_from_slice(key).map_err(bad)?),
        })
    }
    pub(super) fn apply(&mut self, data: &mut [u8]) {
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
