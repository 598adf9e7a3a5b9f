//! Certificates made on the fly (rcgen), in memory only: the TLS certificate
//! with the validity and names a fault needs, and the RSA key of the
//! Standard RDP Security proprietary certificate.
//!
//! Windows makes a self-signed RSA 2048 certificate named after the
//! computer's FQDN, valid six months; the emulator does the same, and adds
//! `localhost` and the listening IP as subject alternative names so that the
//! only certificate problem a probe of 127.0.0.1 sees is the injected one.
//! With an issuer (e.g. the lab CA), the leaf is signed by it instead, so that
//! a client trusting that CA reports expiry rather than "self-signed".

use crate::fault::Fault;
use crate::{Error, FaultConfig};
use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use std::net::IpAddr;
use time::{Duration, OffsetDateTime};

/// A certificate authority to sign leaves with, as PEM text.
#[derive(Clone)]
pub struct CaPem {
    /// The CA certificate (PEM).
    pub cert_pem: String,
    /// Its private key (PKCS#8 PEM).
    pub key_pem: String,
}

impl std::fmt::Debug for CaPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is never printed.
        f.debug_struct("CaPem").finish_non_exhaustive()
    }
}

/// The TLS identity of a listener.
pub(crate) struct TlsIdentity {
    /// DER certificates, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// PKCS#8 DER private key of the leaf.
    pub key_pkcs8: Vec<u8>,
}

/// A fresh leaf key: RSA 2048 like Windows when OpenSSL is there, else ECDSA P-256.
fn leaf_key() -> Result<KeyPair, Error> {
    #[cfg(feature = "openssl")]
    {
        let rsa =
            openssl::rsa::Rsa::generate(2048).map_err(|e| Error::Certificate(e.to_string()))?;
        let pkey =
            openssl::pkey::PKey::from_rsa(rsa).map_err(|e| Error::Certificate(e.to_string()))?;
        let der = pkey
            .private_key_to_pkcs8()
            .map_err(|e| Error::Certificate(e.to_string()))?;
        KeyPair::from_pkcs8_der_and_sign_algo(&der.as_slice().into(), &rcgen::PKCS_RSA_SHA256)
            .map_err(|e| Error::Certificate(e.to_string()))
    }
    #[cfg(not(feature = "openssl"))]
    {
        KeyPair::generate().map_err(|e| Error::Certificate(e.to_string()))
    }
}

/// Builds the TLS certificate for `cfg.fault`, listening on `ip`.
pub(crate) fn tls_identity(cfg: &FaultConfig, ip: IpAddr) -> Result<TlsIdentity, Error> {
    let cert_err = |e: rcgen::Error| Error::Certificate(e.to_string());
    let now = OffsetDateTime::now_utc();
    let fqdn = cfg.fqdn();
    let (not_before, not_after) = match cfg.fault {
        Fault::ExpiredCert => (now - Duration::days(210), now - Duration::days(30)),
        Fault::NotYetValidCert => (now + Duration::days(365), now + Duration::days(545)),
        _ => (now - Duration::days(10), now + Duration::days(170)),
    };
    let (cn, dns, ips): (String, Vec<String>, Vec<IpAddr>) = match cfg.fault {
        Fault::WrongNameCert => (
            "wrong-name.example".into(),
            vec!["wrong-name.example".into()],
            vec![],
        ),
        _ => {
            let mut dns = vec![fqdn.clone(), "localhost".into()];
            dns.extend(cfg.extra_cert_names.iter().cloned());
            let mut ips = vec![IpAddr::from([127, 0, 0, 1])];
            if !ip.is_unspecified() && !ips.contains(&ip) {
                ips.push(ip);
            }
            (fqdn.clone(), dns, ips)
        }
    };
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.subject_alt_names = dns
        .into_iter()
        .filter_map(|d| d.try_into().ok().map(SanType::DnsName))
        .chain(ips.into_iter().map(SanType::IpAddress))
        .collect();
    params.not_before = not_before;
    params.not_after = not_after;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = leaf_key()?;
    let (leaf, mut chain_rest) = match &cfg.issuer {
        None => (params.self_signed(&key).map_err(cert_err)?, Vec::new()),
        Some(ca) => {
            let ca_key = KeyPair::from_pem(&ca.key_pem).map_err(|e| {
                Error::Certificate(format!(
                    "the CA key does not load (PKCS#8 PEM expected): {e}"
                ))
            })?;
            let issuer = Issuer::from_ca_cert_pem(&ca.cert_pem, ca_key).map_err(|e| {
                Error::Certificate(format!(
                    "the CA certificate does not load (PEM expected): {e}"
                ))
            })?;
            let ca_der = pem_to_der(&ca.cert_pem)
                .ok_or_else(|| Error::Certificate("the CA certificate is not PEM".into()))?;
            (
                params.signed_by(&key, &issuer).map_err(cert_err)?,
                vec![ca_der],
            )
        }
    };
    let mut chain = vec![leaf.der().to_vec()];
    chain.append(&mut chain_rest);
    Ok(TlsIdentity {
        chain,
        key_pkcs8: key.serialize_der(),
    })
}

/// The first certificate of a PEM text, as DER.
fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    CertificateDer::from_pem_slice(pem.as_bytes())
        .ok()
        .map(|c| c.as_ref().to_vec())
}

/// The RSA public key of the proprietary certificate ([MS-RDPBCGR
/// 2.2.1.4.3.1.1.1] RSA_PUBLIC_KEY): 512 bits, as Windows uses for clients
/// that do not announce strong asymmetric keys.
pub(crate) struct ProprietaryKey {
    /// Modulus, little-endian, 64 bytes.
    pub modulus_le: Vec<u8>,
}

pub(crate) fn proprietary_key() -> ProprietaryKey {
    #[cfg(feature = "openssl")]
    {
        // 512-bit RSA: what the proprietary certificate carries. The private
        // half is dropped: the emulator never decrypts the client random.
        if let Ok(rsa) = openssl::rsa::Rsa::generate(512) {
            let mut m = rsa.n().to_vec();
            m.reverse();
            m.resize(64, 0);
            return ProprietaryKey { modulus_le: m };
        }
    }
    ProprietaryKey {
        modulus_le: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_say_what_the_fault_needs() {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        for (fault, check) in [
            (Fault::ExpiredCert, 0),
            (Fault::NotYetValidCert, 1),
            (Fault::WrongNameCert, 2),
            (Fault::HealthyTls, 3),
        ] {
            let cfg = FaultConfig::new(fault);
            let id = tls_identity(&cfg, IpAddr::from([127, 0, 0, 1])).unwrap();
            let info = rdpdoctor_wire::cert::analyze(&id.chain[0]).unwrap();
            match check {
                0 => assert!(info.not_after_unix < now),
                1 => assert!(info.not_before_unix > now),
                2 => assert!(!info.matches_host("127.0.0.1") && !info.matches_host("localhost")),
                _ => {
                    assert!(info.not_before_unix < now && info.not_after_unix > now);
                    assert!(info.matches_host("127.0.0.1") && info.matches_host("localhost"));
                    assert!(info.matches_host("WIN-RDP01.corp.example"));
                    assert!(info.self_signed);
                }
            }
        }
    }
}
