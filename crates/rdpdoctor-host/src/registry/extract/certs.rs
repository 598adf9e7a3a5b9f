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
        let mut e =
            CertificateStoreEntry::new(store, thumb.to_ascii_uppercase(), key.origin("Blob"));
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
    // The probe's decoder: the store's certificate is the same model as a
    // TLS server's.
    match cert::analyze(der) {
        Ok(info) => e.certificate = Some(info),
        Err(err) => {
            e.decode_error = Some(format!(
                "the certificate in the blob is not valid DER X.509: {err}"
            ))
        }
    }
}
