//! X.509 certificate facts, as an RDP admin needs them.
//!
//! x509-parser does the DER decoding; this module turns its output into the
//! handful of facts that decide whether a client will accept the certificate
//! an RDP server presents (RFC 5280 validity, names, key, signature, EKU), plus
//! the SHA-1 thumbprint Windows uses to select the RDP certificate
//! (`SSLCertificateSHA1Hash` under `…\WinStations\RDP-Tcp`).
//!
//! Nothing here reads a clock: validity is reported as Unix seconds and judged
//! by the caller against its own "now".

use crate::error::WireError;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::net::IpAddr;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::{PublicKey, RSAPublicKey};
use x509_parser::x509::SubjectPublicKeyInfo;

/// The arc of the PKCS#1 algorithm identifiers (RFC 8017 A.1, A.2):
/// rsaEncryption is `.1`, md5WithRSAEncryption `.4`, sha1WithRSAEncryption `.5`.
const OID_PKCS1_ARC: &str = "1.2.840.113549.1.1.";

/// The RSA public key of a SubjectPublicKeyInfo labelled with **any** PKCS#1
/// algorithm identifier.
///
/// x509-parser's `SubjectPublicKeyInfo::parsed` reads the key bits as an
/// RSAPublicKey only under rsaEncryption (1.2.840.113549.1.1.1) and calls
/// every other label `Unknown`, which is what RFC 3279 asks of a certificate.
/// It is not enough for Windows: the Terminal Services licensing
/// certificates that a Standard RDP Security server sends as its X.509 chain
/// ([MS-RDPBCGR 2.2.1.4.3.1], [MS-RDPELE 2.2.1.4.2]), and that licensing
/// sends again in its License Request, label the leaf's key
/// md5WithRSAEncryption (1.2.840.113549.1.1.4) (Zeek's `rdp-x509.pcap`,
/// from a real server), and mstsc reads the bits as a PKCS#1 RSAPublicKey
/// under any PKCS#1 label. Refusing them made such a server look broken.
pub(crate) fn rsa_public_key<'a>(spki: &'a SubjectPublicKeyInfo<'a>) -> Option<RSAPublicKey<'a>> {
    if let Ok(PublicKey::RSA(key)) = spki.parsed() {
        return Some(key);
    }
    if !spki
        .algorithm
        .algorithm
        .to_id_string()
        .starts_with(OID_PKCS1_ARC)
    {
        return None;
    }
    RSAPublicKey::from_der(&spki.subject_public_key.data)
        .ok()
        .map(|(_, key)| key)
}

/// OID of the Remote Desktop Authentication EKU (used by certificates issued
/// from the "Remote Desktop Authentication" template).
pub const OID_REMOTE_DESKTOP_AUTH: &str = "1.3.6.1.4.1.311.54.1.2";

/// What a certificate says: the one model every source shares, defined with
/// the evidence (`rdpdoctor_evidence::Certificate`) and filled only here.
pub use rdpdoctor_evidence::Certificate;

/// The `subjectPublicKey` of a DER certificate: the contents of the BIT
/// STRING in its SubjectPublicKeyInfo (for RSA, the RSAPublicKey DER). CredSSP
/// binds the authentication to exactly these bytes of the TLS server's
/// certificate ([MS-CSSP 3.1.5](https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-cssp/385a7489-d46b-464c-b224-f7340e308a5c), `pubKeyAuth`).
pub fn subject_public_key(der: &[u8]) -> Result<Vec<u8>, WireError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| WireError::Invalid {
        what: "X.509 certificate",
        detail: e.to_string(),
    })?;
    Ok(cert
        .tbs_certificate
        .subject_pki
        .subject_public_key
        .data
        .to_vec())
}

/// Decodes one DER certificate.
pub fn analyze(der: &[u8]) -> Result<Certificate, WireError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| WireError::Invalid {
        what: "X.509 certificate",
        detail: e.to_string(),
    })?;
    let tbs = &cert.tbs_certificate;
    let subject = tbs.subject.to_string();
    let common_name = tbs
        .subject
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned);

    let mut dns_names = Vec::new();
    let mut ip_addresses = Vec::new();
    let mut extended_key_usage = Vec::new();
    let mut has_eku = false;
    let mut server_auth = false;
    let mut remote_desktop_auth = false;
    for ext in tbs.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(d) => dns_names.push((*d).to_owned()),
                        GeneralName::IPAddress(bytes) => {
                            if let Some(ip) = ip_from_bytes(bytes) {
                                ip_addresses.push(ip);
                            }
                        }
                        _ => {}
                    }
                }
            }
            ParsedExtension::ExtendedKeyUsage(eku) => {
                has_eku = true;
                if eku.any {
                    extended_key_usage.push("anyExtendedKeyUsage".to_owned());
                    server_auth = true;
                }
                if eku.server_auth {
                    extended_key_usage.push("serverAuth".to_owned());
                    server_auth = true;
                }
                if eku.client_auth {
                    extended_key_usage.push("clientAuth".to_owned());
                }
                if eku.code_signing {
                    extended_key_usage.push("codeSigning".to_owned());
                }
                if eku.email_protection {
                    extended_key_usage.push("emailProtection".to_owned());
                }
                if eku.time_stamping {
                    extended_key_usage.push("timeStamping".to_owned());
                }
                if eku.ocsp_signing {
                    extended_key_usage.push("OCSPSigning".to_owned());
                }
                for oid in &eku.other {
                    let s = oid.to_id_string();
                    if s == OID_REMOTE_DESKTOP_AUTH {
                        remote_desktop_auth = true;
                        extended_key_usage.push("Remote Desktop Authentication".to_owned());
                    } else {
                        extended_key_usage.push(s);
                    }
                }
            }
            _ => {}
        }
    }
    if !has_eku {
        server_auth = true;
    }

    // RSA under any PKCS#1 label (see `rsa_public_key`).
    let rsa = rsa_public_key(&tbs.subject_pki).map(|k| rsa_bits(k.modulus));
    let (key_type, key_bits) = match tbs.subject_pki.parsed() {
        _ if rsa.is_some() => ("RSA".to_owned(), rsa),
        Ok(PublicKey::RSA(rsa)) => ("RSA".to_owned(), Some(rsa_bits(rsa.modulus))),
        Ok(PublicKey::EC(point)) => ("EC".to_owned(), Some(ec_bits(point.key_size()))),
        Ok(PublicKey::DSA(_)) => ("DSA".to_owned(), None),
        Ok(PublicKey::GostR3410(_)) | Ok(PublicKey::GostR3410_2012(_)) => ("GOST".to_owned(), None),
        Ok(PublicKey::Unknown(_)) | Err(_) => {
            let oid = tbs.subject_pki.algorithm.algorithm.to_id_string();
            let name = match oid.as_str() {
                "1.3.101.112" => "Ed25519".to_owned(),
                "1.3.101.113" => "Ed448".to_owned(),
                _ => oid,
            };
            (name, None)
        }
    };

    let signature_oid = cert.signature_algorithm.algorithm.to_id_string();
    let signature_algorithm =
        signature_name(&signature_oid).map_or_else(|| signature_oid.clone(), str::to_owned);

    // Self-signed: same name on both sides and the signature checks out with
    // the certificate's own key. A CA-issued certificate whose issuer happens to
    // equal its subject fails the signature check and is not called self-signed.
    let self_signed = tbs.subject == tbs.issuer && cert.verify_signature(None).is_ok();

    let not_before = tbs.validity.not_before.timestamp();
    let not_after = tbs.validity.not_after.timestamp();
    let subject_alt_names = dns_names
        .iter()
        .cloned()
        .chain(ip_addresses.iter().map(IpAddr::to_string))
        .collect();
    Ok(Certificate {
        subject,
        common_name,
        subject_alt_names,
        issuer: tbs.issuer.to_string(),
        self_signed,
        not_before: rfc3339(not_before),
        not_after: rfc3339(not_after),
        not_before_unix: not_before,
        not_after_unix: not_after,
        key_type,
        key_bits,
        signature_algorithm,
        extended_key_usage,
        server_auth,
        remote_desktop_auth,
        sha1_thumbprint: hex_upper(&Sha1::digest(der)),
        sha256_fingerprint: hex_upper(&Sha256::digest(der)),
        dns_names,
        ip_addresses,
        signature_oid,
    })
}

/// RFC 3339 UTC, seconds precision, for Unix seconds (the number itself
/// when out of range).
fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

fn ip_from_bytes(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => <[u8; 4]>::try_from(b).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(b).ok().map(IpAddr::from),
        _ => None,
    }
}

pub(crate) fn rsa_bits(modulus: &[u8]) -> u32 {
    // The DER INTEGER may carry a leading zero byte to keep it positive.
    let significant = match modulus.iter().position(|&b| b != 0) {
        Some(i) => modulus.get(i..).unwrap_or_default(),
        None => return 0,
    };
    let lead = significant
        .first()
        .map_or(0, |b| 8u32.saturating_sub(b.leading_zeros()));
    let rest = u32::try_from(significant.len().saturating_sub(1)).unwrap_or(u32::MAX);
    rest.saturating_mul(8).saturating_add(lead)
}

fn ec_bits(key_size: usize) -> u32 {
    // x509-parser reports the uncompressed point size in bits (2 × field + 8);
    // admins know EC keys by their field size (256, 384, 521).
    let field = if key_size > 8 {
        key_size.saturating_sub(8) / 2
    } else {
        key_size
    };
    u32::try_from(field).unwrap_or(u32::MAX)
}

fn signature_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        "1.2.840.10040.4.3" => "dsa-with-sha1",
        _ => return None,
    })
}

/// Upper-case hex without separators.
pub fn hex_upper(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len().saturating_mul(2));
    for b in bytes {
        let _ = write!(s, "{b:02X}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_bits_ignores_sign_byte() {
        let mut m = vec![0u8];
        m.push(0xC0);
        m.extend(std::iter::repeat_n(0xFF, 255));
        assert_eq!(rsa_bits(&m), 2048);
        assert_eq!(rsa_bits(&[0x01, 0, 0]), 17);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for len in 0..64 {
            let junk: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert!(analyze(&junk).is_err());
        }
    }
}
