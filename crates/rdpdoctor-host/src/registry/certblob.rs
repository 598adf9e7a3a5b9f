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
