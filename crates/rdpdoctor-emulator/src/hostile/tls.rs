//! The TLS side of the hostile servers: OpenSSL at security level 0 (so that
//! it serves what a modern library refuses to make: an RSA-512 key, dates in
//! year 1 or 9999, a certificate of 60 KB, a chain of hundreds), made in
//! memory with the `openssl` crate.

use crate::Error;
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::ssl::{SslAcceptor, SslMethod, SslVerifyMode, SslVersion};
use openssl::x509::extension::SubjectAlternativeName;
use openssl::x509::{X509, X509NameBuilder};

/// The server certificate a hostile TLS server presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cert {
    /// RSA 2048, SHA-256, valid from 10 days ago for 180 days: nothing wrong.
    Good,
    /// An RSA-512 key, served over TLS 1.0 only, as a Windows Server 2003
    /// era host does: a modern client gets no certificate at all.
    Rsa512,
    /// 3000 subject alternative names: a 60 KB certificate.
    HugeSan,
    /// The good leaf followed by 300 intermediates: a 250 KB chain.
    HugeChain,
    /// notBefore 0001-01-01.
    Year1,
    /// notBefore 9999-01-01, notAfter 9999-12-31.
    Year9999,
}

/// Whether the server insists on a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientAuth {
    /// No CertificateRequest.
    None,
    /// A CertificateRequest, and a handshake failure without a certificate.
    Required,
}

fn e(e: openssl::error::ErrorStack) -> Error {
    Error::Tls(e.to_string())
}

fn rsa(bits: u32) -> Result<PKey<Private>, Error> {
    PKey::from_rsa(Rsa::generate(bits).map_err(e)?).map_err(e)
}

fn days_from_now(days: i64) -> Result<Asn1Time, Error> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    Asn1Time::from_unix(now.saturating_add(days.saturating_mul(86_400))).map_err(e)
}

/// A certificate for `cn` with `key`, signed by `issuer` (`None`: self-signed).
fn certificate(
    cn: &str,
    key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
    validity: (Asn1Time, Asn1Time),
    san_names: &[String],
) -> Result<X509, Error> {
    let mut name = X509NameBuilder::new().map_err(e)?;
    name.append_entry_by_text("CN", cn).map_err(e)?;
    let name = name.build();
    let mut b = X509::builder().map_err(e)?;
    b.set_version(2).map_err(e)?;
    let mut serial = BigNum::new().map_err(e)?;
    serial.rand(64, MsbOption::MAYBE_ZERO, false).map_err(e)?;
    let serial = serial.to_asn1_integer().map_err(e)?;
    b.set_serial_number(&serial).map_err(e)?;
    b.set_subject_name(&name).map_err(e)?;
    match issuer {
        Some((ca, _)) => b.set_issuer_name(ca.subject_name()).map_err(e)?,
        None => b.set_issuer_name(&name).map_err(e)?,
    }
    b.set_not_before(&validity.0).map_err(e)?;
    b.set_not_after(&validity.1).map_err(e)?;
    b.set_pubkey(key).map_err(e)?;
    if !san_names.is_empty() {
        let mut san = SubjectAlternativeName::new();
        for n in san_names {
            san.dns(n);
        }
        san.ip("127.0.0.1");
        let ext = san.build(&b.x509v3_context(None, None)).map_err(e)?;
        b.append_extension(ext).map_err(e)?;
    }
    let signer = issuer.map_or(key, |(_, k)| k);
    b.sign(signer, MessageDigest::sha256()).map_err(e)?;
    Ok(b.build())
}

/// The leaf (and chain) and key of `cert`.
fn identity(cert: Cert) -> Result<(Vec<X509>, PKey<Private>), Error> {
    let normal = || Ok::<_, Error>((days_from_now(-10)?, days_from_now(170)?));
    let names = vec!["hostile.corp.example".to_owned(), "localhost".to_owned()];
    let key = rsa(if cert == Cert::Rsa512 { 512 } else { 2048 })?;
    let (validity, names) = match cert {
        Cert::Good | Cert::Rsa512 | Cert::HugeChain => (normal()?, names),
        Cert::HugeSan => (
            normal()?,
            (0..3000)
                .map(|i| format!("name-{i:04}.hostile.corp.example"))
                .collect(),
        ),
        Cert::Year1 => (
            (
                Asn1Time::from_str("00010101000000Z").map_err(e)?,
                days_from_now(170)?,
            ),
            names,
        ),
        Cert::Year9999 => (
            (
                Asn1Time::from_str("99990101000000Z").map_err(e)?,
                Asn1Time::from_str("99991231235959Z").map_err(e)?,
            ),
            names,
        ),
    };
    if cert != Cert::HugeChain {
        let leaf = certificate("hostile.corp.example", &key, None, validity, &names)?;
        return Ok((vec![leaf], key));
    }
    // Each intermediate signed by the next, the last self-signed; one key
    // for all of them keeps this fast.
    let mut chain: Vec<X509> = Vec::new();
    let mut issuer = certificate("Hostile CA 300", &key, None, normal()?, &[])?;
    for i in (1..300).rev() {
        chain.push(issuer.clone());
        issuer = certificate(
            &format!("Hostile CA {i}"),
            &key,
            Some((&issuer, &key)),
            normal()?,
            &[],
        )?;
    }
    chain.push(issuer.clone());
    let leaf = certificate(
        "hostile.corp.example",
        &key,
        Some((&issuer, &key)),
        validity,
        &names,
    )?;
    chain.push(leaf);
    chain.reverse();
    Ok((chain, key))
}

/// An OpenSSL TLS server at security level 0 presenting `cert`.
pub(crate) fn acceptor(cert: Cert, auth: ClientAuth) -> Result<SslAcceptor, Error> {
    let (chain, key) = identity(cert)?;
    let mut b = SslAcceptor::mozilla_intermediate(SslMethod::tls_server()).map_err(e)?;
    b.set_security_level(0);
    b.set_cipher_list("ALL:@SECLEVEL=0").map_err(e)?;
    b.set_min_proto_version(Some(SslVersion::TLS1)).map_err(e)?;
    let max = if cert == Cert::Rsa512 {
        SslVersion::TLS1
    } else {
        SslVersion::TLS1_3
    };
    b.set_max_proto_version(Some(max)).map_err(e)?;
    let mut chain = chain.into_iter();
    if let Some(leaf) = chain.next() {
        b.set_certificate(&leaf).map_err(e)?;
    }
    for extra in chain {
        b.add_extra_chain_cert(extra).map_err(e)?;
    }
    b.set_private_key(&key).map_err(e)?;
    if auth == ClientAuth::Required {
        b.set_verify_callback(
            SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT,
            |_, _| true,
        );
    }
    Ok(b.build())
}

/// A certificate chain for Standard RDP Security ([MS-RDPBCGR 5.3.3.2],
/// root first, server last) with an ordinary RSA 2048 server key.
pub(crate) fn rsa2048_chain() -> Result<Vec<Vec<u8>>, Error> {
    let key = rsa(2048)?;
    let validity = || Ok::<_, Error>((days_from_now(-10)?, days_from_now(170)?));
    let root = certificate("Hostile Root", &key, None, validity()?, &[])?;
    let server = certificate(
        "hostile.corp.example",
        &key,
        Some((&root, &key)),
        validity()?,
        &[],
    )?;
    Ok(vec![root.to_der().map_err(e)?, server.to_der().map_err(e)?])
}

/// A certificate chain for Standard RDP Security ([MS-RDPBCGR 5.3.3.2],
/// root first, server last) whose server key has a 16384-bit modulus and a
/// 16383-bit public exponent: raising the client random to that power is
/// the most expensive thing a server can ask of a client.
pub(crate) fn huge_exponent_chain() -> Result<Vec<Vec<u8>>, Error> {
    let signer = rsa(2048)?;
    let mut n = BigNum::new().map_err(e)?;
    n.rand(16384, MsbOption::ONE, true).map_err(e)?;
    let mut exp = BigNum::new().map_err(e)?;
    exp.rand(16383, MsbOption::ONE, true).map_err(e)?;
    let public = PKey::from_rsa(Rsa::from_public_components(n, exp).map_err(e)?).map_err(e)?;
    let root = certificate(
        "Hostile Root",
        &signer,
        None,
        (days_from_now(-10)?, days_from_now(170)?),
        &[],
    )?;
    // The server certificate: the huge key, signed by the root's key.
    let mut name = X509NameBuilder::new().map_err(e)?;
    name.append_entry_by_text("CN", "hostile.corp.example")
        .map_err(e)?;
    let name = name.build();
    let mut b = X509::builder().map_err(e)?;
    b.set_version(2).map_err(e)?;
    b.set_subject_name(&name).map_err(e)?;
    b.set_issuer_name(root.subject_name()).map_err(e)?;
    let (not_before, not_after) = (days_from_now(-10)?, days_from_now(170)?);
    b.set_not_before(&not_before).map_err(e)?;
    b.set_not_after(&not_after).map_err(e)?;
    b.set_pubkey(&public).map_err(e)?;
    b.sign(&signer, MessageDigest::sha256()).map_err(e)?;
    let server = b.build();
    Ok(vec![root.to_der().map_err(e)?, server.to_der().map_err(e)?])
}
