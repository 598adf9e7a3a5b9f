//! The machine certificate stores that hold a Remote Desktop listener's
//! certificate: "Remote Desktop"
//! (`SOFTWARE\Microsoft\SystemCertificates\Remote Desktop\Certificates\<thumbprint>`),
//! where Remote Desktop Services keeps its self-signed listener certificate,
//! and Personal (`…\SystemCertificates\MY\Certificates\<thumbprint>`),
//! where a certificate that `SSLCertificateSHA1Hash` names usually is
//! (<https://learn.microsoft.com/troubleshoot/windows-server/remote/remote-desktop-listener-certificate-configurations>).

use crate::registry::Hives;
use crate::registry::certblob;
use crate::registry::view::{Data, Root};
use rdpdoctor_evidence::host::{CertificateStore, CertificateStoreEntry};
use rdpdoctor_wire::cert;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The stores read, and where each is below `HKLM\SOFTWARE`.
const STORES: [(CertificateStore, &str); 2] = [
    (
        CertificateStore::RemoteDesktop,
        "Microsoft\\SystemCertificates\\Remote Desktop\\Certificates",
    ),
    (
        CertificateStore::My,
        "Microsoft\\SystemCertificates\\MY\\Certificates",
    ),
];

/// Every certificate in the stores, decoded from its `Blob`.
pub fn machine_stores(hives: &mut Hives) -> Vec<CertificateStoreEntry> {
    let mut out = Vec::new();
    for (store, at) in STORES {
        read_store(hives, store, at, &mut out);
    }
    out
}

fn read_store(
    hives: &mut Hives,
    store: CertificateStore,
    at: &str,
    out: &mut Vec<CertificateStoreEntry>,
) {
    for thumb in hives.subkeys(Root::Software, at) {
        let path = format!("{at}\\{thumb}");
        let Some(key) = hives.keys(Root::Software, &path).into_iter().next() else {
            continue;
        };
        let mut e = CertificateStoreEntry {
            store,
            thumbprint: thumb.to_ascii_uppercase(),
            computed_thumbprint: None,
            subject: None,
            issuer: None,
            dns_names: Vec::new(),
            not_before: None,
            not_before_unix: None,
            not_after: None,
            not_after_unix: None,
            self_signed: None,
            key: None,
            key_container: None,
            key_provider: None,
            decode_error: None,
            origin: key.origin("Blob"),
        };
        match key.value("Blob").and_then(Data::as_bytes) {
            None => e.decode_error = Some("the key has no binary Blob value".to_owned()),
            Some(blob) => fill(&mut e, blob),
        }
        out.push(e);
    }
}

fn fill(e: &mut CertificateStoreEntry, blob: &[u8]) {
    match certblob::key_link(blob) {
        Ok(Some(link)) => {
            e.key_container = link.container;
            e.key_provider = link.provider;
        }
        Ok(None) => {}
        // The certificate itself may still decode: say why the link did not.
        Err(err) => e.decode_error = Some(err),
    }
    let der = match certblob::certificate(blob) {
        Ok(der) => der,
        Err(err) => {
            e.decode_error = Some(err.to_string());
            return;
        }
    };
    let info = match cert::analyze(der) {
        Ok(i) => i,
        Err(err) => {
            e.decode_error = Some(format!(
                "the certificate in the blob is not valid DER X.509: {err}"
            ));
            return;
        }
    };
    e.computed_thumbprint = Some(info.sha1_thumbprint);
    e.subject = Some(info.subject);
    e.issuer = Some(info.issuer);
    e.dns_names = info.dns_names;
    e.not_before = rfc3339(info.not_before);
    e.not_before_unix = Some(info.not_before);
    e.not_after = rfc3339(info.not_after);
    e.not_after_unix = Some(info.not_after);
    e.self_signed = Some(info.self_signed);
    e.key = Some(match info.key_bits {
        Some(bits) => format!("{}-{bits}", info.key_type.to_ascii_lowercase()),
        None => info.key_type.to_ascii_lowercase(),
    });
}

fn rfc3339(unix: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()?
        .format(&Rfc3339)
        .ok()
}
