//! The domain's Kerberos (`probe --realm`) → findings: the KDC's reach over
//! TCP and UDP, the domain controller's clock against this machine's (the
//! 5-minute rule where it applies: Kerberos, [RFC 4120 5.9.1] stime;
//! Windows' default "Maximum tolerance for computer clock synchronization"),
//! the KDC's answer for the user and for `TERMSRV/target`, and which
//! authentication mstsc uses for the target name.
//!
//! [RFC 4120 5.9.1]: https://www.rfc-editor.org/rfc/rfc4120#section-5.9.1

use super::{CLOCK_SKEW_TOLERANCE_SECS, Out, human_duration};
use crate::facts::kerberos::*;
use crate::finding::{FindingId, Severity};
use rdpdoctor_evidence::{KdcOutcome, KdcReplyFacts, ProbeReport};

use crate::krb::*;

fn code(r: &Option<KdcReplyFacts>) -> Option<u32> {
    r.as_ref().and_then(|r| r.error_code)
}

fn named(r: &KdcReplyFacts) -> String {
    match (r.error_code, &r.error_name) {
        (Some(c), Some(n)) => format!("{n} ({c})"),
        (Some(c), None) => format!("error {c}"),
        _ => "an AS-REP".into(),
    }
}

/// Only with `--realm` (`ProbeReport::kerberos`): a probe that was not asked
/// about the domain says nothing of it, not even for an address target.
pub(super) fn derive(r: &ProbeReport, out: &mut Out) {
    let Some(k) = &r.kerberos else { return };
    if r.target.host_is_ip {
        out.add(
            FindingId::KerberosTargetIsAddress,
            Severity::Info,
            format!(
                "The target is an IP address ({}): no SPN names an address, so mstsc authenticates with NTLM, not Kerberos; connect by the host name that has the TERMSRV SPN",
                r.target.host
            ),
            &AddressTargetFacts {
                target: &r.target.host,
            },
        );
    }
    let ok = |o: KdcOutcome| o == KdcOutcome::Answered;
    let reach_ev = KdcReachFacts {
        kdc: &k.kdc,
        tcp: &k.tcp,
        udp: &k.udp,
    };
    match (ok(k.tcp.outcome), ok(k.udp.outcome)) {
        (false, false) => {
            let why = |x: &rdpdoctor_evidence::KdcReach| {
                x.detail
                    .clone()
                    .unwrap_or_else(|| format!("{:?}", x.outcome))
            };
            let malformed = [k.tcp.outcome, k.udp.outcome].contains(&KdcOutcome::Malformed);
            // The realm's KDCs tried before this one gave no answer either.
            let before = r
                .kerberos_start
                .as_ref()
                .map(|s| s.kdcs_not_answering.as_slice())
                .filter(|b| !b.is_empty())
                .map(|b| format!(", nor did {} before it", b.join(", ")))
                .unwrap_or_default();
            out.add(
                if malformed { FindingId::KerberosKdcError } else { FindingId::KerberosKdcUnreachable },
                Severity::Warn,
                format!(
                    "The KDC {} of {} did not answer Kerberos (TCP: {}; UDP: {}){before}: Kerberos fails (SEC_E_NO_AUTHENTICATING_AUTHORITY) and Windows falls back to NTLM, or the logon fails where NTLM is restricted",
                    k.kdc, k.realm, why(&k.tcp), why(&k.udp)
                ),
                &reach_ev,
            );
        }
        (tcp, _udp) if tcp != _udp => out.add(
            FindingId::KerberosKdcPartlyReachable,
            Severity::Info,
            format!(
                "The KDC {} answers over {} only: {} to port {} is blocked or not served",
                k.kdc,
                if tcp { "TCP" } else { "UDP" },
                if tcp { "UDP" } else { "TCP" },
                k.kdc.rsplit(':').next().unwrap_or("88")
            ),
            &reach_ev,
        ),
        _ => out.add(
            FindingId::KerberosKdcReachable,
            Severity::Info,
            format!("The KDC {} of {} answers over TCP and UDP", k.kdc, k.realm),
            &reach_ev,
        ),
    }
    clock(r, out);
    password(k, out);
    let Some(reply) = &k.as_reply else { return };
    let user_ev = UserReplyFacts {
        client_principal: &k.client_principal,
        as_reply: reply,
    };
    match code(&k.as_reply) {
        Some(KDC_ERR_WRONG_REALM) => out.add(
            FindingId::KerberosWrongRealm,
            Severity::Warn,
            format!(
                "The KDC {} does not serve the realm {} (KDC_ERR_WRONG_REALM, 68): the user's domain or the KDC is the wrong one",
                k.kdc, k.realm
            ),
            &user_ev,
        ),
        Some(KDC_ERR_C_PRINCIPAL_UNKNOWN) if k.client_is_user => out.add(
            FindingId::KerberosUserUnknown,
            Severity::Fail,
            format!(
                "The domain does not know the user {} (KDC_ERR_C_PRINCIPAL_UNKNOWN, 6)",
                k.client_principal
            ),
            &user_ev,
        ),
        Some(KDC_ERR_CLIENT_REVOKED) if k.client_is_user => out.add(
            FindingId::KerberosUserRevoked,
            Severity::Fail,
            revoked(&k.client_principal),
            &user_ev,
        ),
        Some(KDC_ERR_KEY_EXPIRED) if k.client_is_user => out.add(
            FindingId::KerberosPasswordExpired,
            Severity::Fail,
            expired(&k.client_principal),
            &user_ev,
        ),
        // What an AS-REQ without pre-auth gets for an account that exists
        // (or, for the probe's own name, for one that does not).
        Some(KDC_ERR_PREAUTH_REQUIRED | KDC_ERR_C_PRINCIPAL_UNKNOWN) | None => {}
        Some(_) => out.add(
            FindingId::KerberosKdcError,
            Severity::Warn,
            format!(
                "The KDC refused the request for {} with {}",
                k.client_principal,
                named_with_text(reply)
            ),
            &user_ev,
        ),
    }
    if let (Some(spn), Some(KDC_ERR_S_PRINCIPAL_UNKNOWN)) =
        (&k.service_principal, code(&k.service_reply))
    {
        out.add(
            FindingId::KerberosSpnMissing,
            Severity::Warn,
            format!(
                "No account holds the SPN {spn} (KDC_ERR_S_PRINCIPAL_UNKNOWN, 7): mstsc cannot use Kerberos for {} and falls back to NTLM, or fails where NTLM is restricted",
                r.target.host
            ),
            &SpnReplyFacts {
                service_principal: spn,
                service_reply: k.service_reply.as_ref(),
            },
        );
    }
}

/// The domain controller's clock against this machine's, with the RDP
/// server's own (from its NTLM challenge) as a separate fact.
fn clock(r: &ProbeReport, out: &mut Out) {
    let Some(k) = &r.kerberos else { return };
    let Some(offset_ms) = k.clock_offset_ms else {
        return;
    };
    // To the nearest second: the KDC's stime is whole seconds (its susec
    // is not always filled), so the offset is known to about one second.
    let secs = (offset_ms + offset_ms.signum() * 500) / 1000;
    let rdp = r.ntlm.as_ref().and_then(|n| n.clock_skew_seconds);
    let ev = KdcClockFacts {
        kdc_time: k.kdc_time.as_deref(),
        clock_offset_ms: offset_ms,
        tolerance_seconds: CLOCK_SKEW_TOLERANCE_SECS,
        rdp_server_clock_skew_seconds: rdp,
    };
    let rdp_text = match rdp {
        Some(s) => {
            format!("; the RDP server's own clock is {s:+} s from ours (its NTLM challenge)")
        }
        None => String::new(),
    };
    if secs.abs() > CLOCK_SKEW_TOLERANCE_SECS {
        out.add(
            FindingId::KerberosDcClockSkew,
            Severity::Warn,
            format!(
                "The domain controller's clock is {} {} this machine's ({}), past Kerberos' 5 minutes: tickets are refused with KRB_AP_ERR_SKEW (SEC_E_TIME_SKEW 0x80090324){rdp_text}",
                human_duration(secs.unsigned_abs()),
                if secs > 0 { "ahead of" } else { "behind" },
                k.kdc_time.as_deref().unwrap_or("?")
            ),
            &ev,
        );
    } else {
        out.add(
            FindingId::KerberosDcClockInSync,
            Severity::Info,
            format!(
                "The domain controller's clock agrees with this machine's within 5 minutes ({secs:+} s){rdp_text}"
            ),
            &ev,
        );
    }
}

/// The KDC's answer to the user's password (`--realm --user`, the AS-REQ
/// with PA-ENC-TIMESTAMP, [RFC 4120 5.2.7.2]): what mstsc's Kerberos meets.
fn password(k: &rdpdoctor_evidence::KerberosEvidence, out: &mut Out) {
    let Some(reply) = &k.password_reply else {
        return;
    };
    let ev = PasswordReplyFacts {
        client_principal: &k.client_principal,
        password_reply: reply,
    };
    let who = &k.client_principal;
    let (id, severity, summary) = match reply.error_code {
        None => (
            FindingId::KerberosPasswordAccepted,
            Severity::Info,
            format!(
                "The KDC accepted the password of {who} (an AS-REP): Kerberos can authenticate this user"
            ),
        ),
        Some(KDC_ERR_PREAUTH_FAILED) => (
            FindingId::KerberosPasswordWrong,
            Severity::Fail,
            format!(
                "The KDC refused the password of {who} (KDC_ERR_PREAUTH_FAILED, 24): it is wrong for this account"
            ),
        ),
        Some(KDC_ERR_KEY_EXPIRED) => (
            FindingId::KerberosPasswordExpired,
            Severity::Fail,
            expired(who),
        ),
        Some(KDC_ERR_CLIENT_REVOKED) => {
            (FindingId::KerberosUserRevoked, Severity::Fail, revoked(who))
        }
        Some(_) => (
            FindingId::KerberosKdcError,
            Severity::Warn,
            format!(
                "The KDC refused the password of {who} with {}",
                named_with_text(reply)
            ),
        ),
    };
    out.add(id, severity, summary, &ev);
}

/// The account may not get tickets (KDC_ERR_CLIENT_REVOKED).
fn revoked(who: &str) -> String {
    format!(
        "The account {who} may not get tickets: it is disabled or locked out (KDC_ERR_CLIENT_REVOKED, 18)"
    )
}

/// The account's password expired (KDC_ERR_KEY_EXPIRED).
fn expired(who: &str) -> String {
    format!(
        "The password of {who} expired (KDC_ERR_KEY_EXPIRED, 23): it must be changed before NLA accepts it"
    )
}

/// The error's name, then the KDC's own words when it sent some.
fn named_with_text(r: &KdcReplyFacts) -> String {
    let text = r
        .e_text
        .as_deref()
        .map(|t| format!(": \"{t}\""))
        .unwrap_or_default();
    format!("{}{text}", named(r))
}
