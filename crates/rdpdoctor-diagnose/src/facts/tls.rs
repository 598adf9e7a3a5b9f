//! Facts of the TLS findings: the handshake, the versions, and the served
//! certificate (X.509, RFC 5280).

use super::facts;
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

    /// The served certificate (the `cert-*` findings): the four facts every
    /// one carries, and the one its finding is about.
    pub struct ServedCertificateFacts<'a> for [
        CertExpired,
        CertNotYetValid,
        CertExpiresSoon,
        CertNameMismatch,
        CertSelfSigned,
        CertWeakSignature,
        CertWeakKey,
    ] {
        /// The subject's distinguished name.
        pub subject: &'a str,
        /// notBefore.
        pub not_before: &'a str,
        /// notAfter.
        pub not_after: &'a str,
        /// The SHA-1 thumbprint, as Windows shows it.
        pub sha1_thumbprint: &'a str,
        /// Days until notAfter, negative once expired (`cert-expired`,
        /// `cert-expires-soon`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub days_left: Option<i64>,
        /// Whether it is self-signed (`cert-expired`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub self_signed: Option<bool>,
        /// The host the user typed (`cert-name-mismatch`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub target: Option<&'a str>,
        /// The subject's CN, or null (`cert-name-mismatch`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub common_name: Option<Option<&'a str>>,
        /// The subjectAltName DNS names (`cert-name-mismatch`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub subject_alt_names: Option<&'a [String]>,
        /// The issuer's distinguished name (`cert-self-signed`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub issuer: Option<&'a str>,
        /// The signature algorithm (`cert-weak-signature`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub signature_algorithm: Option<&'a str>,
        /// The key's type (`cert-weak-key`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub key_type: Option<&'a str>,
        /// The key's size in bits, or null (`cert-weak-key`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub key_bits: Option<Option<u32>>,
    }

    /// The clients that share no TLS version with the server
    /// (`client-tls-version-unsupported`).
    pub struct ClientTlsFacts<'a> for [ClientTlsVersionUnsupported] {
        /// Their ids, as in `diagnosis.clients`.
        pub clients: Vec<&'a str>,
    }
}

impl<'a> ServedCertificateFacts<'a> {
    /// The four facts every certificate finding carries, and no other.
    pub fn of(c: &'a rdpdoctor_evidence::CertificateFacts) -> Self {
        ServedCertificateFacts {
            subject: &c.subject,
            not_before: &c.not_before,
            not_after: &c.not_after,
            sha1_thumbprint: &c.sha1_thumbprint,
            days_left: None,
            self_signed: None,
            target: None,
            common_name: None,
            subject_alt_names: None,
            issuer: None,
            signature_algorithm: None,
            key_type: None,
            key_bits: None,
        }
    }
}
