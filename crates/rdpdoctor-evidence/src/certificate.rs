//! One model of what an X.509 certificate says, for every source that sees
//! one: the probe's TLS server, the RD Gateway's, a capture's Certificate
//! message and the host's certificate stores. `rdpdoctor_wire::cert::analyze`
//! fills it from the DER (RFC 5280); [`CertificateFacts`] adds what depends
//! on when and from where it is looked at, and the host store entry
//! (`host::CertificateStoreEntry`) adds where the store keeps it.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// What a certificate says, independent of when it is looked at.
///
/// The JSON names are those of the probe's `certificate` object, which
/// flattens this; `dns_names`, `ip_addresses` and `signature_oid` were
/// added later (absent in older reports: empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Certificate {
    /// Subject distinguished name (RFC 4514 form).
    pub subject: String,
    /// The subject's first common name, when present.
    pub common_name: Option<String>,
    /// DNS and IP subject alternative names, DNS names first.
    pub subject_alt_names: Vec<String>,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Subject equals issuer and the signature verifies with its own key.
    pub self_signed: bool,
    /// Start of validity (RFC 3339).
    pub not_before: String,
    /// End of validity (RFC 3339).
    pub not_after: String,
    /// Start of validity, Unix seconds.
    pub not_before_unix: i64,
    /// End of validity, Unix seconds.
    pub not_after_unix: i64,
    /// Public key algorithm: `RSA`, `EC`, `DSA`, `GOST`, `Ed25519`, `Ed448`, or the OID.
    pub key_type: String,
    /// Public key size in bits, where known.
    pub key_bits: Option<u32>,
    /// Signature algorithm by name, e.g. `sha256WithRSAEncryption`, or its OID.
    pub signature_algorithm: String,
    /// Extended key usages, by name or OID; empty without the extension.
    pub extended_key_usage: Vec<String>,
    /// The EKU allows TLS server authentication (or there is no EKU extension).
    pub server_auth: bool,
    /// The EKU has Remote Desktop Authentication (1.3.6.1.4.1.311.54.1.2).
    pub remote_desktop_auth: bool,
    /// SHA-1 of the DER, upper-case hex without separators: the thumbprint
    /// Windows shows and stores in `SSLCertificateSHA1Hash`.
    pub sha1_thumbprint: String,
    /// SHA-256 of the DER, upper-case hex.
    pub sha256_fingerprint: String,
    /// The DNS names of the subjectAltName extension.
    #[serde(default)]
    pub dns_names: Vec<String>,
    /// The IP addresses of the subjectAltName extension.
    #[serde(default)]
    pub ip_addresses: Vec<IpAddr>,
    /// The signature algorithm's OID (RFC 5280 4.1.1.2), dotted; empty in
    /// an older report. What [`Certificate::signature_hash`] decides on.
    #[serde(default)]
    pub signature_oid: String,
}

/// The hash a certificate's signature is made with, from the signature
/// algorithm's OID (RFC 3279 2.2, RFC 4055 5, RFC 5758 3): what decides
/// whether clients still accept it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureHash {
    /// MD2 (md2WithRSAEncryption).
    Md2,
    /// MD5 (md5WithRSAEncryption).
    Md5,
    /// SHA-1 (sha1WithRSAEncryption, ecdsa-with-SHA1, dsa-with-sha1, the OIW forms).
    Sha1,
    /// SHA-2 or anything newer, RSASSA-PSS and EdDSA included (their hash is
    /// in the parameters or the algorithm itself: none of them is weak).
    Strong,
    /// An OID this table does not know (or none, in an older report).
    Unknown,
}

impl SignatureHash {
    /// MD2, MD5 or SHA-1: collisions are practical, and current clients
    /// (and Windows' own TLS stack for server certificates) refuse them.
    pub fn is_weak(self) -> bool {
        matches!(self, Self::Md2 | Self::Md5 | Self::Sha1)
    }

    /// The hash's name, for sentences.
    pub fn name(self) -> &'static str {
        match self {
            Self::Md2 => "MD2",
            Self::Md5 => "MD5",
            Self::Sha1 => "SHA-1",
            Self::Strong => "SHA-2 or newer",
            Self::Unknown => "unknown",
        }
    }

    /// The hash of the signature algorithm `oid` (dotted).
    pub fn of_oid(oid: &str) -> SignatureHash {
        match oid {
            // PKCS #1 (RFC 8017 A.2.4): md2, md5, sha1 with RSA.
            "1.2.840.113549.1.1.2" => Self::Md2,
            "1.2.840.113549.1.1.4" => Self::Md5,
            "1.2.840.113549.1.1.5"
            // OIW sha1WithRSASignature, dsaWithSHA1; ANSI X9.62 ecdsa-with-SHA1;
            // X9.57 dsa-with-sha1.
            | "1.3.14.3.2.29"
            | "1.3.14.3.2.27"
            | "1.2.840.10045.4.1"
            | "1.2.840.10040.4.3" => Self::Sha1,
            // sha224/256/384/512WithRSAEncryption, RSASSA-PSS, ecdsa-with-SHA2,
            // dsa-with-sha224/256, Ed25519, Ed448.
            "1.2.840.113549.1.1.10"
            | "1.2.840.113549.1.1.11"
            | "1.2.840.113549.1.1.12"
            | "1.2.840.113549.1.1.13"
            | "1.2.840.113549.1.1.14"
            | "1.2.840.10045.4.3.1"
            | "1.2.840.10045.4.3.2"
            | "1.2.840.10045.4.3.3"
            | "1.2.840.10045.4.3.4"
            | "2.16.840.1.101.3.4.3.1"
            | "2.16.840.1.101.3.4.3.2"
            | "1.3.101.112"
            | "1.3.101.113" => Self::Strong,
            _ => Self::Unknown,
        }
    }
}

impl Certificate {
    /// The hash its signature is made with, from [`Certificate::signature_oid`];
    /// a report written before the OID was recorded has only the algorithm's
    /// name, which is the OID itself when the name was not known, else one
    /// of the weak algorithms' registry names checked here.
    pub fn signature_hash(&self) -> SignatureHash {
        if !self.signature_oid.is_empty() {
            return SignatureHash::of_oid(&self.signature_oid);
        }
        match self.signature_algorithm.as_str() {
            "md2WithRSAEncryption" => SignatureHash::Md2,
            "md5WithRSAEncryption" => SignatureHash::Md5,
            "sha1WithRSAEncryption" | "ecdsa-with-SHA1" | "dsaWithSHA1" | "dsa-with-sha1" => {
                SignatureHash::Sha1
            }
            other => SignatureHash::of_oid(other),
        }
    }

    /// The key as Windows' certificate tools name it: `rsa-2048`, `ec-256`,
    /// or the algorithm alone where the size is not known.
    pub fn key_label(&self) -> String {
        match self.key_bits {
            Some(bits) => format!("{}-{bits}", self.key_type.to_ascii_lowercase()),
            None => self.key_type.to_ascii_lowercase(),
        }
    }

    /// Whether `host` (a DNS name or an IP literal) is named by this certificate,
    /// by the RFC 6125 rules clients apply: SANs when present (CN otherwise),
    /// case-insensitive, a `*.` wildcard covering exactly one left-most label.
    pub fn matches_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        if let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            // Windows clients also accept an IP in the CN; FreeRDP only checks names.
            return self.ip_addresses.contains(&ip)
                || self
                    .common_name
                    .as_deref()
                    .is_some_and(|cn| cn.parse::<IpAddr>().ok() == Some(ip));
        }
        let names: Vec<&str> = if self.dns_names.is_empty() {
            self.common_name.iter().map(String::as_str).collect()
        } else {
            self.dns_names.iter().map(String::as_str).collect()
        };
        names.iter().any(|pattern| dns_name_matches(pattern, host))
    }
}

fn dns_name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.');
    if let Some(suffix) = pattern.strip_prefix("*.") {
        match host.split_once('.') {
            Some((label, rest)) => !label.is_empty() && rest.eq_ignore_ascii_case(suffix),
            None => false,
        }
    } else {
        pattern.eq_ignore_ascii_case(host)
    }
}

/// A certificate as one source saw it: what it says, judged at the time of
/// the source (the probe's clock, a capture's packet time) and against the
/// names the source knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CertificateFacts {
    /// What the certificate says (its fields are this object's in the JSON).
    #[serde(flatten)]
    pub certificate: Certificate,
    /// Whole days left until `not_after`, negative once expired, as of the probe.
    pub days_left: i64,
    /// `not_after` is in the past.
    pub expired: bool,
    /// `not_before` is in the future.
    pub not_yet_valid: bool,
    /// Whether the name the user typed matches the CN or a SAN.
    pub matches_target: Option<bool>,
    /// Whether the server's own DNS name (from NTLM) matches.
    pub matches_server_dns_name: Option<bool>,
}

impl CertificateFacts {
    /// `certificate` at `now` (Unix seconds), with whether it names the
    /// target the user typed and the server's own DNS name, where known.
    pub fn at(
        certificate: Certificate,
        now: i64,
        matches_target: Option<bool>,
        matches_server_dns_name: Option<bool>,
    ) -> CertificateFacts {
        CertificateFacts {
            days_left: certificate
                .not_after_unix
                .saturating_sub(now)
                .div_euclid(86_400),
            expired: now > certificate.not_after_unix,
            not_yet_valid: now < certificate.not_before_unix,
            certificate,
            matches_target,
            matches_server_dns_name,
        }
    }
}

/// The facts read as the certificate's: `facts.subject`, `facts.key_bits`.
impl std::ops::Deref for CertificateFacts {
    type Target = Certificate;
    fn deref(&self) -> &Certificate {
        &self.certificate
    }
}

impl std::ops::DerefMut for CertificateFacts {
    fn deref_mut(&mut self) -> &mut Certificate {
        &mut self.certificate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_covers_one_label_only() {
        assert!(dns_name_matches("*.example.com", "rdp.example.com"));
        assert!(dns_name_matches("*.EXAMPLE.com", "rdp.example.COM"));
        assert!(!dns_name_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_name_matches("*.example.com", "example.com"));
        assert!(dns_name_matches("host.example.com.", "host.example.com"));
    }

    #[test]
    fn weak_hashes_come_from_the_oid_not_the_name() {
        assert!(SignatureHash::of_oid("1.2.840.113549.1.1.5").is_weak());
        assert!(SignatureHash::of_oid("1.2.840.113549.1.1.4").is_weak());
        assert!(SignatureHash::of_oid("1.2.840.10045.4.1").is_weak());
        assert!(!SignatureHash::of_oid("1.2.840.113549.1.1.11").is_weak());
        // RSASSA-PSS names no hash in its name: not weak for want of "sha1".
        assert!(!SignatureHash::of_oid("1.2.840.113549.1.1.10").is_weak());
        assert_eq!(SignatureHash::of_oid(""), SignatureHash::Unknown);
    }

    #[test]
    fn the_facts_json_is_flat_and_an_older_one_reads() {
        let c = Certificate {
            subject: "CN=a".into(),
            not_after_unix: 100,
            not_before_unix: 0,
            ..Default::default()
        };
        let f = CertificateFacts::at(c, 200, Some(true), None);
        assert!(f.expired && !f.not_yet_valid && f.days_left == -1);
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["subject"], "CN=a");
        assert_eq!(v["expired"], true);
        assert!(v.get("certificate").is_none());
        let mut old = v.clone();
        for added in ["dns_names", "ip_addresses", "signature_oid"] {
            old.as_object_mut().unwrap().remove(added);
        }
        let back: CertificateFacts = serde_json::from_value(old).unwrap();
        assert_eq!(back.subject, "CN=a");
        assert_eq!(back.signature_hash(), SignatureHash::Unknown);
    }
}
