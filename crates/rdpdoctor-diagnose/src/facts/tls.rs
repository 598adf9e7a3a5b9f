//! Facts of the TLS findings: the handshake, the versions, and the served
//! certificate (X.509, RFC 5280).

use super::{facts, shared_facts};
use rdpdoctor_evidence::{HandshakeFailure, Protocol, TlsVersion};

facts! {
    /// A TLS handshake that did not complete (`tls-handshake-failed`).
    pub struct TlsHandshakeFacts<'a> for [TlsHandshakeFailed] {
        /// The protocol the server selected (SSL or HYBRID).
        pub via: Protocol,
        /// How the handshake failed.
        pub failure: Option<HandshakeFailure>,
        /// The TLS library's error.
        pub error: Option<&'a str>,
    }

    /// The TLS versions the server accepts (`tls-legacy-only`,
    /// `tls-legacy-enabled`, `tls13-only`).
    pub struct TlsVersionsFacts for [TlsLegacyOnly, TlsLegacyEnabled, Tls13Only] {
        /// The versions accepted.
        pub accepted: Vec<TlsVersion>,
    }

    /// An expired certificate (`cert-expired`).
    pub struct ExpiredCertificateFacts<'a> for [CertExpired]
        + CertificateIdentity<'a> as certificate {
        /// Days until notAfter: negative.
        pub days_left: i64,
        /// Whether it is self-signed.
        pub self_signed: bool,
    }

    /// A certificate not valid yet (`cert-not-yet-valid`).
    pub struct NotYetValidCertificateFacts<'a> for [CertNotYetValid]
        + CertificateIdentity<'a> as certificate {
    }

    /// A certificate that expires soon (`cert-expires-soon`).
    pub struct ExpiringCertificateFacts<'a> for [CertExpiresSoon]
        + CertificateIdentity<'a> as certificate {
        /// Days until notAfter.
        pub days_left: i64,
    }

    /// The names a certificate holds against the target (`cert-name-mismatch`).
    pub struct CertificateNamesFacts<'a> for [CertNameMismatch]
        + CertificateIdentity<'a> as certificate {
        /// The host the user typed.
        pub target: &'a str,
        /// The subject's CN, or null.
        pub common_name: Option<&'a str>,
        /// The subjectAltName DNS names.
        pub subject_alt_names: &'a [String],
    }

    /// A self-signed certificate's issuer (`cert-self-signed`).
    pub struct CertificateIssuerFacts<'a> for [CertSelfSigned]
        + CertificateIdentity<'a> as certificate {
        /// The issuer's distinguished name: the subject's.
        pub issuer: &'a str,
    }

    /// A certificate's signature algorithm (`cert-weak-signature`).
    pub struct CertificateSignatureFacts<'a> for [CertWeakSignature]
        + CertificateIdentity<'a> as certificate {
        /// The signature algorithm.
        pub signature_algorithm: &'a str,
    }

    /// A certificate's key (`cert-weak-key`).
    pub struct CertificateKeyFacts<'a> for [CertWeakKey]
        + CertificateIdentity<'a> as certificate {
        /// The key's type.
        pub key_type: &'a str,
        /// Its size in bits, or null.
        pub key_bits: Option<u32>,
    }

    /// The clients that share no TLS version with the server
    /// (`client-tls-version-unsupported`).
    pub struct ClientTlsFacts<'a> for [ClientTlsVersionUnsupported] {
        /// Their ids, as in `diagnosis.clients`.
        pub clients: Vec<&'a str>,
    }
}

shared_facts! {
    /// The four facts that name the served certificate in each `cert-*`
    /// finding (X.509, RFC 5280 4.1).
    pub struct CertificateIdentity<'a> {
        /// The subject's distinguished name.
        pub subject: &'a str,
        /// notBefore.
        pub not_before: &'a str,
        /// notAfter.
        pub not_after: &'a str,
        /// The SHA-1 thumbprint, as Windows shows it.
        pub sha1_thumbprint: &'a str,
    }
}

impl<'a> CertificateIdentity<'a> {
    /// The certificate's four facts.
    pub fn of(c: &'a rdpdoctor_evidence::CertificateFacts) -> Self {
        CertificateIdentity {
            subject: &c.subject,
            not_before: &c.not_before,
            not_after: &c.not_after,
            sha1_thumbprint: &c.sha1_thumbprint,
        }
    }
}
