//! Kerberos and secure-channel events → findings, judged with the same
//! causes as `probe --realm`: the domain controller's Security 4768 (TGT),
//! 4769 (service ticket) and 4771 (pre-authentication failed) with their
//! RFC 4120 7.5.9 code in `Status`; a member's System Kerberos 3 (an error
//! with its code) and 4 (KRB_AP_ERR_MODIFIED); NETLOGON 3210 and 5719 (the
//! secure channel). Codes are named from the KB's `kerberos` family.

use super::Out;
use super::events::{Bucket, code_name, field, is, number, this_host};
use crate::finding::{FindingId as F, Severity};
use crate::krb::*;
use rdpdoctor_evidence::host::HostEvidence;
use rdpdoctor_kb::Family;

/// `0x18 KDC_ERR_PREAUTH_FAILED`.
fn code_text(c: u32) -> String {
    match code_name(Family::Kerberos, c) {
        Some(n) => format!("0x{c:X} {n}"),
        None => format!("0x{c:X}"),
    }
}

pub(super) fn derive(h: &HostEvidence, out: &mut Out) {
    let mut skew = Bucket::default();
    let mut account = Bucket::default();
    let mut password = Bucket::default();
    let mut spn = Bucket::default();
    let mut modified = Bucket::default();
    let mut channel = Bucket::default();
    for g in this_host(h) {
        let id = g.event_id;
        let kerberos_system = is(g, "kerberos", &[3, 4]);
        if is(g, "netlogon", &[3210, 5719]) {
            channel.push(g, format!("NETLOGON {id}"));
            continue;
        }
        if kerberos_system && id == 4 {
            modified.push(g, "Kerberos 4: KRB_AP_ERR_MODIFIED".into());
            continue;
        }
        if !(is(g, "security", &[4768, 4769, 4771]) || kerberos_system) {
            continue;
        }
        let Some(code) = field(g, "Status")
            .or_else(|| field(g, "ErrorCode"))
            .and_then(number)
        else {
            continue;
        };
        let who = field(g, "TargetUserName")
            .map(|u| format!(" for {u}"))
            .unwrap_or_default();
        let part = format!("{id} {}{who}", code_text(code));
        match code {
            KRB_AP_ERR_SKEW => skew.push(g, part),
            KDC_ERR_C_PRINCIPAL_UNKNOWN | KDC_ERR_CLIENT_REVOKED | KDC_ERR_KEY_EXPIRED => {
                account.push(g, part)
            }
            KDC_ERR_PREAUTH_FAILED => password.push(g, part),
            KDC_ERR_S_PRINCIPAL_UNKNOWN => spn.push(g, part),
            KRB_AP_ERR_MODIFIED => modified.push(g, part),
            _ => {}
        }
    }
    skew.emit(
        out,
        F::EventKerberosClockSkew,
        Severity::Warn,
        "Kerberos refused tickets for clock skew (KRB_AP_ERR_SKEW)",
    );
    account.emit(
        out,
        F::EventKerberosAccount,
        Severity::Warn,
        "The domain controller refused accounts (unknown, disabled or locked, password expired)",
    );
    password.emit(
        out,
        F::EventKerberosBadPassword,
        Severity::Warn,
        "Kerberos pre-authentication failed: wrong passwords",
    );
    spn.emit(
        out,
        F::EventKerberosSpnUnknown,
        Severity::Warn,
        "Service tickets were refused for an unknown SPN",
    );
    modified.emit(
        out,
        F::EventKerberosModified,
        Severity::Warn,
        "Tickets could not be decrypted by the service (duplicate SPN or a stale machine password)",
    );
    channel.emit(
        out,
        F::EventSecureChannel,
        Severity::Warn,
        "The secure channel to the domain failed (NETLOGON)",
    );
}
