//! How the Kerberos section's realm and KDC were found, and whether the
//! stage started on its own (`ProbeReport::kerberos_start`): detail lines
//! under the section, or the section itself when the stage did not start.
//! The NTLM domain is server-controlled, paths and notes are the user's
//! files: all through `safe::term`.

use super::Builder;
use crate::safe::{sentence, term};
use rdpdoctor_diagnose::Section as Sec;
use rdpdoctor_evidence::{KdcSource, KerberosStart, ProbeReport, RealmFrom, StartReason};

fn realm_from(s: &KerberosStart) -> String {
    let domain = s.ntlm_dns_domain.as_deref().map(term).unwrap_or_default();
    match s.realm_from {
        Some(RealmFrom::DomainRealm) => {
            format!("the target's NTLM domain {domain}, mapped by krb5.conf [domain_realm]")
        }
        Some(RealmFrom::DnsDomain) => format!("the target's NTLM domain {domain}, upper-cased"),
        Some(RealmFrom::DefaultRealm) => "krb5.conf's default_realm".into(),
        Some(RealmFrom::Flag) | None => "--realm".into(),
    }
}

/// Detail lines under a Kerberos section that ran.
pub(super) fn details(d: &mut Builder<'_>, r: &ProbeReport) {
    let Some(s) = &r.kerberos_start else { return };
    if s.reason == StartReason::NtlmDomain {
        d.detail(&format!(
            "Started on its own (no --realm): realm from {}",
            realm_from(s)
        ));
    }
    let from = match (s.kdc_source, &s.kdc_config) {
        (Some(KdcSource::Krb5Conf), Some(p)) => format!("KDC from {}", term(p)),
        (Some(KdcSource::Flag), _) => "KDC from --kdc".into(),
        (Some(KdcSource::Env), _) => "KDC from SSPI_KDC_URL".into(),
        (Some(KdcSource::DnsSrv), _) => format!(
            "KDC from DNS SRV {}",
            term(s.kdc_srv_name.as_deref().unwrap_or_default())
        ),
        (Some(KdcSource::Realm), _) => {
            "KDC by the realm's own name (none in krb5.conf, no --kdc)".into()
        }
        _ => return,
    };
    d.detail(&from);
    if let Some(why) = &s.srv_not_found {
        d.detail(&format!("No KDC from DNS SRV: {}", sentence(why)));
    }
    if !s.kdcs_not_answering.is_empty() {
        let list: Vec<String> = s.kdcs_not_answering.iter().map(|k| term(k)).collect();
        d.detail(&format!(
            "No Kerberos answer first from {}",
            list.join(", ")
        ));
    }
}

/// The section when the stage did not start: one line of what to pass.
pub(super) fn not_started(d: &mut Builder<'_>, r: &ProbeReport) {
    let Some(s) = &r.kerberos_start else { return };
    let Some(why) = &s.not_started else { return };
    d.stage(
        Sec::Kerberos,
        false,
        &format!("not checked: {}", sentence(why)),
    );
}
