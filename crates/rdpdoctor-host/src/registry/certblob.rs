//! The `Blob` value of a certificate in a registry certificate store
//! (`SOFTWARE\Microsoft\SystemCertificates\<store>\Certificates\<thumbprint>`),
//! decoded without I/O.
//!
//! A blob is a serialized store element: a sequence of properties, each
//! `{ id: u32 LE, reserved: u32 LE (1), length: u32 LE, data[length] }`
//! (the layout `CertSerializeCertificateStoreElement` writes; the
//! certificate itself is property `CERT_CERT_PROP_ID` = 32, its DER). See
//! <https://learn.microsoft.com/windows/win32/api/wincrypt/nf-wincrypt-certserializecertificatestoreelement>
//! and the property ids in `wincrypt.h` (`CERT_SHA1_HASH_PROP_ID` = 3,
//! `CERT_FRIENDLY_NAME_PROP_ID` = 11, `CERT_KEY_PROV_INFO_PROP_ID` = 2).

/// `CERT_CERT_PROP_ID`: the DER certificate.
pub const CERT_CERT_PROP_ID: u32 = 32;
/// `CERT_SHA1_HASH_PROP_ID`: the thumbprint Windows computed.
pub const CERT_SHA1_HASH_PROP_ID: u32 = 3;

/// `CERT_KEY_PROV_INFO_PROP_ID`: where the private key is (container and
/// provider names); absent when no private key is linked.
pub const CERT_KEY_PROV_INFO_PROP_ID: u32 = 2;

/// The private key link of a certificate: `CERT_KEY_PROV_INFO_PROP_ID` as
/// serialized, [MS-GPEF 2.2.1.1.1.1.1] KEY_PROV_INFO
/// (<https://learn.microsoft.com/openspecs/windows_protocols/ms-gpef/e051aba9-c9df-4f82-a42a-c13012c9d381>):
/// the `CRYPT_KEY_PROV_INFO` structure with its two string pointers turned
/// into offsets from the structure's start (container name at 0, provider
/// name at 4, provider type at 8, flags at 12, 8 reserved bytes, key spec at
/// 24), the UTF-16LE NUL-terminated names after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyProvInfo {
    /// The key container name (for a CryptoAPI machine key, the
    /// `MachineKeys` file is `<MD5 of the lower-case name>_<MachineGuid>`).
    pub container: Option<String>,
    /// The provider name.
    pub provider: Option<String>,
    /// The provider type (0 = a CNG key storage provider).
    pub provider_type: u32,
}

/// Why the key link could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyProvError {
    /// The fixed part is shorter than 28 bytes.
    #[error("the private key link (property 2) is {0} bytes, shorter than its 28-byte header")]
    Short(usize),
    /// A name offset points outside the property.
    #[error(
        "the private key link (property 2) names a string at offset {0}, outside its {1} bytes"
    )]
    BadOffset(u32, usize),
}

/// The fixed part of a serialized `CRYPT_KEY_PROV_INFO`.
const KEY_PROV_INFO_HEADER: usize = 28;

/// Decodes a `CERT_KEY_PROV_INFO_PROP_ID` property.
pub fn key_prov_info(data: &[u8]) -> Result<KeyProvInfo, KeyProvError> {
    if data.len() < KEY_PROV_INFO_HEADER {
        return Err(KeyProvError::Short(data.len()));
    }
    let u32_at = |i: usize| {
        let mut a = [0u8; 4];
        if let Some(b) = data.get(i..i + 4) {
            a.copy_from_slice(b);
        }
        u32::from_le_bytes(a)
    };
    let name = |offset: u32| -> Result<Option<String>, KeyProvError> {
        // Offset 0 is a NULL pointer: no name.
        if offset == 0 {
            return Ok(None);
        }
        let rest = usize::try_from(offset)
            .ok()
            .and_then(|o| data.get(o..))
            .ok_or(KeyProvError::BadOffset(offset, data.len()))?;
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| {
                u16::from_le_bytes([
                    c.first().copied().unwrap_or(0),
                    c.last().copied().unwrap_or(0),
                ])
            })
            .take_while(|&u| u != 0)
            .collect();
        Ok(Some(String::from_utf16_lossy(&units)))
    };
    Ok(KeyProvInfo {
        container: name(u32_at(0))?,
        provider: name(u32_at(4))?,
        provider_type: u32_at(8),
    })
}

/// The private key link of a blob: `Ok(None)` when the blob has none.
pub fn key_link(blob: &[u8]) -> Result<Option<KeyProvInfo>, String> {
    let props = properties(blob).map_err(|e| e.to_string())?;
    match props.iter().find(|p| p.id == CERT_KEY_PROV_INFO_PROP_ID) {
        None => Ok(None),
        Some(p) => key_prov_info(p.data).map(Some).map_err(|e| e.to_string()),
    }
}

/// Serializes a key link as Windows stores it (for tests and the fuzz
/// target's seeds): header, then the container and provider names.
pub fn serialize_key_prov_info(container: &str, provider: &str, provider_type: u32) -> Vec<u8> {
    let utf16 = |s: &str| -> Vec<u8> {
        s.encode_utf16()
            .chain(std::iter::once(0))
            .flat_map(u16::to_le_bytes)
            .collect()
    };
    let (c, p) = (utf16(container), utf16(provider));
    let mut out = Vec::new();
    out.extend_from_slice(&(KEY_PROV_INFO_HEADER as u32).to_le_bytes());
    out.extend_from_slice(&((KEY_PROV_INFO_HEADER + c.len()) as u32).to_le_bytes());
    out.extend_from_slice(&provider_type.to_le_bytes());
    out.extend_from_slice(&0x20u32.to_le_bytes()); // CRYPT_MACHINE_KEYSET
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&1u32.to_le_bytes()); // AT_KEYEXCHANGE
    out.extend_from_slice(&c);
    out.extend_from_slice(&p);
    out
}

/// One property of a serialized element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Property<'a> {
    /// The property id.
    pub id: u32,
    /// Its bytes.
    pub data: &'a [u8],
}

/// Why a blob could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// A property header or body runs past the end of the blob.
    #[error("the certificate blob is cut short at byte {0}")]
    Truncated(usize),
    /// No `CERT_CERT_PROP_ID` property.
    #[error("the certificate blob holds no certificate (no property 32)")]
    NoCertificate,
}

/// Splits a blob into its properties.
pub fn properties(blob: &[u8]) -> Result<Vec<Property<'_>>, BlobError> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < blob.len() {
        let u32_at = |i: usize| -> Result<u32, BlobError> {
            let b = blob
                .get(i..i.checked_add(4).ok_or(BlobError::Truncated(i))?)
                .ok_or(BlobError::Truncated(i))?;
            let mut a = [0u8; 4];
            a.copy_from_slice(b);
            Ok(u32::from_le_bytes(a))
        };
        let id = u32_at(at)?;
        // The reserved field (at + 4) is 1 in every blob Windows writes;
        // nothing depends on it, so another value is not refused.
        let len = u32_at(at + 8)? as usize;
        let start = at + 12;
        let end = start.checked_add(len).ok_or(BlobError::Truncated(start))?;
        let data = blob.get(start..end).ok_or(BlobError::Truncated(start))?;
        out.push(Property { id, data });
        at = end;
    }
    Ok(out)
}

/// The DER certificate in a blob.
pub fn certificate(blob: &[u8]) -> Result<&[u8], BlobError> {
    properties(blob)?
        .into_iter()
        .find(|p| p.id == CERT_CERT_PROP_ID)
        .map(|p| p.data)
        .ok_or(BlobError::NoCertificate)
}

/// Builds a blob (for tests and the fuzz target's seeds): the properties in
/// order, reserved = 1.
pub fn serialize(props: &[(u32, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (id, data) in props {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_is_found_among_other_properties() {
        let blob = serialize(&[(3, &[0xAA; 20]), (32, b"DER"), (11, b"n\0")]);
        assert_eq!(certificate(&blob), Ok(&b"DER"[..]));
        assert_eq!(properties(&blob).unwrap().len(), 3);
    }

    #[test]
    fn the_key_link_gives_container_and_provider() {
        let info = serialize_key_prov_info(
            "TSSecKeySet1",
            "Microsoft Enhanced Cryptographic Provider v1.0",
            1,
        );
        let blob = serialize(&[(2, &info), (32, b"DER")]);
        let link = key_link(&blob).unwrap().unwrap();
        assert_eq!(link.container.as_deref(), Some("TSSecKeySet1"));
        assert_eq!(
            link.provider.as_deref(),
            Some("Microsoft Enhanced Cryptographic Provider v1.0")
        );
        assert_eq!(link.provider_type, 1);
        assert_eq!(key_link(&serialize(&[(32, b"DER")])), Ok(None));
        for n in 0..info.len() {
            let _ = key_prov_info(&info[..n]);
        }
        assert_eq!(key_prov_info(&info[..27]), Err(KeyProvError::Short(27)));
        let mut bad = info.clone();
        bad[0] = 0xFF;
        assert!(matches!(
            key_prov_info(&bad),
            Err(KeyProvError::BadOffset(..))
        ));
    }

    #[test]
    fn every_cut_is_an_error_not_a_panic() {
        let blob = serialize(&[(3, &[0xAA; 20]), (32, b"DER")]);
        for n in 0..blob.len() {
            let r = certificate(&blob[..n]);
            assert!(r.is_err() || n == blob.len(), "cut at {n}: {r:?}");
        }
        assert_eq!(
            certificate(&serialize(&[(3, b"x")])),
            Err(BlobError::NoCertificate)
        );
    }
}
