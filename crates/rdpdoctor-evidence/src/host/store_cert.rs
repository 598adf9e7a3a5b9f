//! A certificate in a machine store: the same [`Certificate`] the probe
//! reports for a TLS server (decoded by the same `rdpdoctor_wire::cert`),
//! plus what only the store knows (which store, the key name, the private
//! key's container and provider, where it is).

use super::{CertificateStore, Origin};
use crate::Certificate;
use serde::{Deserialize, Serialize};

/// One certificate in a machine store ("Remote Desktop" or Personal),
/// decoded from its `Blob` (a serialized certificate store element whose
/// `CERT_CERT_PROP_ID` property holds the DER certificate).
///
/// Its JSON keeps the fields it had before the one model (`subject`,
/// `issuer`, `dns_names`, validity, `self_signed`, `key`,
/// `computed_thumbprint`: views of `certificate`, `null` when it did not
/// decode) and adds `certificate`, the whole model. An older report's entry,
/// without `certificate`, reads with none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "StoreEntryJson", from = "StoreEntryJson")]
pub struct CertificateStoreEntry {
    /// The store it is in.
    pub store: CertificateStore,
    /// The key name: the SHA-1 thumbprint, upper-case hex.
    pub thumbprint: String,
    /// What the certificate says; `None` when the blob did not decode
    /// (`decode_error` says why).
    pub certificate: Option<Certificate>,
    /// The private key's container name from the blob's
    /// `CERT_KEY_PROV_INFO_PROP_ID` property (for a CryptoAPI key, the
    /// `MachineKeys` file is named after it); `None` when the blob links no
    /// private key (the certificate cannot serve TLS from this store).
    pub key_container: Option<String>,
    /// The key's provider from the same property, e.g. `Microsoft
    /// Enhanced RSA and AES Cryptographic Provider` (a CNG key storage
    /// provider keeps its keys under `Crypto\Keys`, not `Crypto\RSA`).
    pub key_provider: Option<String>,
    /// Why the blob could not be decoded, when it could not.
    pub decode_error: Option<String>,
    /// Where it is.
    pub origin: Origin,
}

impl CertificateStoreEntry {
    /// An entry of `store` under the key `thumbprint`, nothing decoded yet.
    pub fn new(store: CertificateStore, thumbprint: String, origin: Origin) -> Self {
        CertificateStoreEntry {
            store,
            thumbprint,
            certificate: None,
            key_container: None,
            key_provider: None,
            decode_error: None,
            origin,
        }
    }

    /// SHA-1 of the DER certificate as decoded (should equal `thumbprint`).
    pub fn computed_thumbprint(&self) -> Option<&str> {
        self.certificate
            .as_ref()
            .map(|c| c.sha1_thumbprint.as_str())
    }

    /// Subject distinguished name.
    pub fn subject(&self) -> Option<&str> {
        self.certificate.as_ref().map(|c| c.subject.as_str())
    }

    /// End of validity (RFC 3339).
    pub fn not_after(&self) -> Option<&str> {
        self.certificate.as_ref().map(|c| c.not_after.as_str())
    }

    /// End of validity, Unix seconds.
    pub fn not_after_unix(&self) -> Option<i64> {
        self.certificate.as_ref().map(|c| c.not_after_unix)
    }

    /// The key, e.g. `rsa-2048`.
    pub fn key(&self) -> Option<String> {
        self.certificate.as_ref().map(Certificate::key_label)
    }
}

/// The entry's JSON: today's fields as views of the one model, and the
/// model itself.
#[derive(Serialize, Deserialize)]
struct StoreEntryJson {
    #[serde(default)]
    store: CertificateStore,
    thumbprint: String,
    computed_thumbprint: Option<String>,
    subject: Option<String>,
    issuer: Option<String>,
    dns_names: Vec<String>,
    not_before: Option<String>,
    not_before_unix: Option<i64>,
    not_after: Option<String>,
    not_after_unix: Option<i64>,
    self_signed: Option<bool>,
    key: Option<String>,
    #[serde(default)]
    key_container: Option<String>,
    #[serde(default)]
    key_provider: Option<String>,
    decode_error: Option<String>,
    origin: Origin,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    certificate: Option<Certificate>,
}

impl From<CertificateStoreEntry> for StoreEntryJson {
    fn from(e: CertificateStoreEntry) -> Self {
        let c = e.certificate.as_ref();
        StoreEntryJson {
            computed_thumbprint: e.computed_thumbprint().map(str::to_owned),
            key: e.key(),
            subject: c.map(|c| c.subject.clone()),
            issuer: c.map(|c| c.issuer.clone()),
            dns_names: c.map(|c| c.dns_names.clone()).unwrap_or_default(),
            not_before: c.map(|c| c.not_before.clone()),
            not_before_unix: c.map(|c| c.not_before_unix),
            not_after: c.map(|c| c.not_after.clone()),
            not_after_unix: c.map(|c| c.not_after_unix),
            self_signed: c.map(|c| c.self_signed),
            store: e.store,
            thumbprint: e.thumbprint,
            key_container: e.key_container,
            key_provider: e.key_provider,
            decode_error: e.decode_error,
            origin: e.origin,
            certificate: e.certificate,
        }
    }
}

impl From<StoreEntryJson> for CertificateStoreEntry {
    fn from(j: StoreEntryJson) -> Self {
        CertificateStoreEntry {
            store: j.store,
            thumbprint: j.thumbprint,
            certificate: j.certificate,
            key_container: j.key_container,
            key_provider: j.key_provider,
            decode_error: j.decode_error,
            origin: j.origin,
        }
    }
}
