//! [MS-RDPBCGR 2.2.1.4.3.1] the server certificate of the Server Security
//! Data — a proprietary certificate ([2.2.1.4.3.1.1]) or an X.509 chain
//! ([MS-RDPELE 2.2.1.4.2]) — and the RSA public key in it that Standard RDP
//! Security encrypts the client random with ([5.3.4.1]).
//!
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/54e72cc6-3422-404c-a6b4-2486db125342>

use serde::Serialize;

use super::gcc::{push_u16, push_u32};
use crate::error::WireError;
use crate::reader::{Reader, len_from_u32};

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

impl ServerCertificate {
    /// The size in bits of the RSA key that Standard RDP Security encrypts
    /// the client random with ([5.3.4.1]): the proprietary certificate's
    /// `bitlen`, or the modulus of the X.509 chain's last certificate (the
    /// server's own, [5.3.3.2]) under any PKCS#1 label (see
    /// `cert::rsa_public_key`). `None` when there is no such key.
    pub fn public_key_bits(&self) -> Option<u32> {
        match self {
            Self::Proprietary {
                public_key_bits, ..
            } => Some(*public_key_bits),
            Self::X509 { chain } => {
                let (_, leaf) = x509_parser::parse_x509_certificate(chain.last()?).ok()?;
                crate::cert::rsa_public_key(&leaf.tbs_certificate.subject_pki)
                    .map(|k| crate::cert::rsa_bits(k.modulus))
            }
            Self::Unknown { .. } => None,
        }
    }
}

/// The `t` bit of `dwVersion` (its bit 31: the high bit of the last byte
/// on the wire), set when the certificate is temporary ([2.2.1.4.3.1]).
pub(super) const TEMPORARY: u8 = 0x80;
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

pub(super) fn server_certificate(cert: &[u8]) -> Result<ServerCertificate, WireError> {
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

/// [2.2.1.4.3.1] whether the certificate was permanently issued to the
/// server: `dwVersion`'s `t` bit is 0 (1 is "temporarily"); `None` when
/// `dwVersion` is not all there.
pub(super) fn certificate_permanent(cert: &[u8]) -> Option<bool> {
    cert.get(3).map(|t| t & TEMPORARY == 0)
}

pub(super) fn encode_server_certificate(c: &ServerCertificate) -> Vec<u8> {
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

/// The RSA key of a SERVER_CERTIFICATE ([2.2.1.4.3.1]), also found in the
/// licensing protocol's License Request.
pub(crate) fn certificate_public_key(cert: &[u8]) -> Result<Option<RsaPublicKey>, WireError> {
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
            // Under any PKCS#1 label, as mstsc reads it (see `cert::rsa_public_key`).
            match crate::cert::rsa_public_key(&x509.tbs_certificate.subject_pki) {
                Some(k) => Ok(Some(RsaPublicKey {
                    modulus: trim_be(k.modulus.to_vec()),
                    exponent: trim_be(k.exponent.to_vec()),
                })),
                None => Err(WireError::invalid(
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
