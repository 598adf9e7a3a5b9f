//! The Kerberos section of a probe report (`probe --realm`): the KDC's
//! reach, its clock, its answers. Every value the KDC sent (realm, e-text)
//! goes through `safe::term`.

use super::Builder;
use crate::safe::term;
use rdpdoctor_diagnose::Section as Sec;
use rdpdoctor_evidence::{
    AuthPackage, KdcOutcome, KdcReach, KdcReplyFacts, KdcTransport, LogonMechanism,
    MechanismReason, ProbeReport, StartReason,
};

fn reach(r: &KdcReach) -> String {
    let what = match r.outcome {
        KdcOutcome::Answered => format!("answered in {} ms", r.elapsed_ms),
        KdcOutcome::Refused => "refused".into(),
        KdcOutcome::NoAnswer => "no answer".into(),
        KdcOutcome::Malformed => "not a KDC's answer".into(),
        KdcOutcome::Error => "error".into(),
    };
    match (&r.detail, r.outcome) {
        (Some(d), o) if o != KdcOutcome::Answered => format!("{what} ({})", term(d)),
        _ => what,
    }
}

fn reply(r: &KdcReplyFacts) -> String {
    match (r.error_code, &r.error_name) {
        (Some(c), Some(n)) => format!("{n} ({c})"),
        (Some(c), None) => format!("error {c}"),
        _ => "a ticket (AS-REP)".into(),
    }
}

pub(super) fn section(d: &mut Builder<'_>, r: &ProbeReport) {
    let Some(k) = &r.kerberos else {
        return super::kerberos_start::not_started(d, r);
    };
    let answered = [k.tcp.outcome, k.udp.outcome].contains(&KdcOutcome::Answered);
    let summary = match k.clock_offset_ms {
        Some(ms) => format!(
            "KDC {} of {}: clock {:+.1} s from ours",
            term(&k.kdc),
            term(&k.realm),
            ms as f64 / 1000.0
        ),
        None if answered => format!("KDC {} of {} answered", term(&k.kdc), term(&k.realm)),
        None => format!(
            "KDC {} of {}: no Kerberos answer",
            term(&k.kdc),
            term(&k.realm)
        ),
    };
    d.stage(Sec::Kerberos, true, &summary);
    d.detail(&format!("TCP {}", reach(&k.tcp)));
    d.detail(&format!("UDP {}", reach(&k.udp)));
    if let Some(a) = &k.as_reply {
        d.detail(&format!("{}: {}", term(&k.client_principal), reply(a)));
    }
    if let (Some(spn), Some(s)) = (&k.service_principal, &k.service_reply) {
        d.detail(&format!("{}: {}", term(spn), reply(s)));
    }
    if let Some(t) = &k.kdc_time {
        d.detail(&format!("KDC time {}", term(t)));
    }
    if let Some(m) = r.logon.as_ref().and_then(|l| l.mechanism.as_ref()) {
        d.detail(&logon_package(m));
    }
    super::kerberos_start::details(d, r);
}

/// Which package the logon inside CredSSP used, and why ([MS-CSSP 3.1.5]).
fn logon_package(m: &LogonMechanism) -> String {
    let (package, why) = package_and_why(m, "TERMSRV/<target>");
    match (&m.ap_error_name, m.ap_error) {
        (Some(n), Some(c)) => format!(
            "logon: {package} ({why}); the server refused the AP-REQ: {} ({c})",
            term(n)
        ),
        _ => format!("logon: {package} ({why})"),
    }
}

/// A mechanism's package and why it was chosen, in words; `spn` stands for
/// the service principal when the evidence names none.
pub(super) fn package_and_why(m: &LogonMechanism, spn: &str) -> (&'static str, String) {
    let spn = m
        .service_principal
        .as_deref()
        .map_or_else(|| spn.to_owned(), term);
    let why = match m.reason {
        MechanismReason::KdcAndSpn => match m.kdc_known_by {
            Some(StartReason::NtlmDomain) => format!(
                "the KDC of the target's NTLM domain, as krb5.conf or --kdc names it, knows {spn}"
            ),
            _ => format!("the KDC knows {spn}"),
        },
        MechanismReason::NoKdcKnown => "no KDC known for the run".to_owned(),
        MechanismReason::TargetIsAddress => "an IP address has no SPN".to_owned(),
        MechanismReason::NoSpn => format!("the KDC knows no {spn}, as mstsc falls back"),
        MechanismReason::KdcUnreachable => "the KDC did not answer, as mstsc falls back".to_owned(),
        MechanismReason::NegotiateNotOffered => "the gateway does not offer Negotiate".to_owned(),
    };
    // The fallback Windows makes too (TCP first, then UDP): said, since a
    // ticket too big for a datagram would need the blocked TCP.
    let why = match m.kdc_transport {
        Some(KdcTransport::Udp) => format!("{why}; the KDC over UDP, TCP gave no answer"),
        _ => why,
    };
    let package = match m.package {
        AuthPackage::Kerberos => "Kerberos",
        AuthPackage::Ntlm => "NTLM",
    };
    (package, why)
}
