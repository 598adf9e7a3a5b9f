//! A certificate's facts from the wire crate's reading of it
//! (`rdpdoctor_wire::cert::CertificateInfo`), judged at a given time: one
//! conversion for every source that sees a certificate (the probe, a
//! capture). Only with the `wire` feature, so the evidence model itself
//! stays plain data.

use rdpdoctor_wire::cert::CertificateInfo;

use crate::CertificateFacts;

/// RFC 3339 UTC, seconds precision, for Unix seconds (the number itself
/// when out of range).
fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

impl CertificateFacts {
    /// The facts of `info` at `now` (Unix seconds), with whether it names
    /// the target the user typed and the server's own DNS name, where known.
    pub fn from_wire(
        info: &CertificateInfo,
        now: i64,
        matches_target: Option<bool>,
        matches_server_dns_name: Option<bool>,
    ) -> CertificateFacts {
        CertificateFacts {
            subject: info.subject.clone(),
            common_name: info.common_name.clone(),
            subject_alt_names: info
                .dns_names
                .iter()
                .cloned()
                .chain(info.ip_addresses.iter().map(|a| a.to_string()))
                .collect(),
            issuer: info.issuer.clone(),
            self_signed: info.self_signed,
            not_before: rfc3339(info.not_before),
            not_after: rfc3339(info.not_after),
            not_before_unix: info.not_before,
            not_after_unix: info.not_after,
            days_left: info.not_after.saturating_sub(now).div_euclid(86_400),
            expired: now > info.not_after,
            not_yet_valid: now < info.not_before,
            key_type: info.key_type.clone(),
            key_bits: info.key_bits,
            signature_algorithm: info.signature_algorithm.clone(),
            extended_key_usage: info.extended_key_usage.clone(),
            server_auth: info.server_auth,
            remote_desktop_auth: info.remote_desktop_auth,
            matches_target,
            matches_server_dns_name,
            sha1_thumbprint: info.sha1_thumbprint.clone(),
            sha256_fingerprint: info.sha256_fingerprint.clone(),
        }
    }
}
