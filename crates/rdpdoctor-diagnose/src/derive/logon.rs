//! The credentialed check (`probe --user`) → findings. The server's own
//! status decides: an NTSTATUS from CredSSP's `errorCode` ([MS-CSSP 2.2.1]),
//! the Early User Authorization Result ([MS-RDPBCGR 2.2.10.2]), or Logon
//! Error Info ([MS-RDPBCGR 2.2.10.1.1.4.1.1]). Names come from the KB.

use super::Out;
use crate::facts::logon::{KerberosApFacts, LogonFacts};
use crate::finding::{FindingId, Severity};
use crate::krb::*;
use rdpdoctor_evidence::{
    DeepOutcome, DeepPhase, LogonErrorInfo, LogonEvidence, LogonMechanism, LogonMethod,
    LogonOutcome, LogonPhase, ProbeReport,
};

/// NTSTATUS values ([MS-ERREF 2.3.1]) and what each one means for the logon.
const BAD_CREDENTIALS: [u32; 5] = [
    0xC000_006D, // STATUS_LOGON_FAILURE
    0xC000_006A, // STATUS_WRONG_PASSWORD
    0xC000_0064, // STATUS_NO_SUCH_USER
    0xC007_030C, // sspi-rs servers (IronRDP): SEC_E_LOGON_DENIED in an NTSTATUS shell
    0x8009_030C, // SEC_E_LOGON_DENIED as an HRESULT
];
const PASSWORD_EXPIRED: [u32; 2] = [0xC000_0071, 0xC000_0224];
const ACCOUNT_LOCKED: u32 = 0xC000_0234;
const ACCOUNT_DISABLED: u32 = 0xC000_0072;
const ACCOUNT_EXPIRED: u32 = 0xC000_0193;
/// STATUS_ACCOUNT_RESTRICTION, STATUS_INVALID_LOGON_HOURS, STATUS_INVALID_WORKSTATION.
const ACCOUNT_RESTRICTED: [u32; 3] = [0xC000_006E, 0xC000_006F, 0xC000_0070];
const LOGON_TYPE_NOT_GRANTED: u32 = 0xC000_015B;
const TIME_DIFFERENCE_AT_DC: u32 = 0xC000_0133;
/// STATUS_NO_LOGON_SERVERS, STATUS_TRUSTED_DOMAIN_FAILURE,
/// STATUS_TRUSTED_RELATIONSHIP_FAILURE, STATUS_NETLOGON_NOT_STARTED.
const LOGON_SERVER_UNAVAILABLE: [u32; 4] = [0xC000_005E, 0xC000_018C, 0xC000_018D, 0xC000_0192];
/// [MS-RDPBCGR 2.2.10.2] AUTHZ_ACCESS_DENIED.
const AUTHZ_ACCESS_DENIED: u32 = 5;

/// [MS-RDPBCGR 2.2.10.1.1.4.1.1] `ErrorNotificationData`: LOGON_FAILED_BAD_PASSWORD,
/// LOGON_FAILED_UPDATE_PASSWORD, LOGON_FAILED_OTHER; `ErrorNotificationType`
/// ERROR_CODE_ACCESS_DENIED.
const LOGON_FAILED_BAD_PASSWORD: u32 = 0;
const LOGON_FAILED_UPDATE_PASSWORD: u32 = 1;
const ERROR_CODE_ACCESS_DENIED: u32 = 0xFFFF_FFFF;

/// The finding Logon Errors Info gives (a refusal: not a LOGON_MSG_*
/// notification): the NTSTATUS in `ErrorNotificationType` when it names the
/// reason, else `ErrorNotificationData`'s LOGON_FAILED_* code.
pub fn finding_for_logon_error(e: &LogonErrorInfo) -> FindingId {
    let by_status = (e.notification_type != ERROR_CODE_ACCESS_DENIED
        && e.notification_type >= 0xC000_0000)
        .then(|| finding_for_ntstatus(e.notification_type))
        .filter(|id| *id != FindingId::LogonFailedOther);
    by_status.unwrap_or(match e.notification_data {
        LOGON_FAILED_BAD_PASSWORD => FindingId::BadCredentials,
        LOGON_FAILED_UPDATE_PASSWORD => FindingId::PasswordExpired,
        _ => FindingId::LogonFailedOther,
    })
}

/// The finding an NTSTATUS gives.
pub fn finding_for_ntstatus(code: u32) -> FindingId {
    use FindingId::*;
    match code {
        c if BAD_CREDENTIALS.contains(&c) => BadCredentials,
        c if PASSWORD_EXPIRED.contains(&c) => PasswordExpired,
        ACCOUNT_LOCKED => AccountLocked,
        ACCOUNT_DISABLED => AccountDisabled,
        ACCOUNT_EXPIRED => AccountExpired,
        c if ACCOUNT_RESTRICTED.contains(&c) => AccountRestricted,
        LOGON_TYPE_NOT_GRANTED => LogonTypeNotGranted,
        TIME_DIFFERENCE_AT_DC => DcTimeSkew,
        c if LOGON_SERVER_UNAVAILABLE.contains(&c) => LogonServerUnavailable,
        _ => LogonFailedOther,
    }
}

/// The KB's name of an NTSTATUS, e.g. `STATUS_LOGON_FAILURE`.
pub fn ntstatus_name(code: u32) -> Option<String> {
    rdpdoctor_kb::kb()
        .lookup(rdpdoctor_kb::Family::Ntstatus, code)
        .map(|c| c.name.clone())
}

/// What to do, for the user, per finding (the KB's causes carry the full fixes).
fn action(id: FindingId, user: &str) -> String {
    use FindingId::*;
    match id {
        BadCredentials | LogonRefusedWithoutStatus => format!(
            "check the password and the account form (DOMAIN\\user, .\\user for a local account) of {user}"
        ),
        PasswordExpired => format!(
            "set a new password for {user} (with NLA it cannot be changed during the RDP logon)"
        ),
        AccountLocked => {
            format!("unlock {user} (Unlock-ADAccount, or lusrmgr.msc for a local account)")
        }
        AccountDisabled => format!("enable {user} (Enable-ADAccount, or lusrmgr.msc)"),
        AccountExpired => {
            format!("extend or clear the expiry date of {user} (Clear-ADAccountExpiration)")
        }
        AccountRestricted => format!(
            "check the logon hours, allowed workstations and blank-password policy of {user}"
        ),
        LogonTypeNotGranted => format!(
            "add {user} to Remote Desktop Users (Add-LocalGroupMember -SID S-1-5-32-555 -Member '{user}') and check the user rights Allow / Deny log on through Remote Desktop Services"
        ),
        DcTimeSkew => {
            "resynchronise the clocks of the server and its domain controller (w32tm /resync)"
                .to_owned()
        }
        LogonServerUnavailable => {
            "check that the server reaches a domain controller (Test-ComputerSecureChannel)"
                .to_owned()
        }
        _ => String::new(),
    }
}

pub(super) fn derive(r: &ProbeReport, out: &mut Out) {
    let Some(l) = &r.logon else { return };
    if let Some(m) = &l.mechanism
        && let Some(code) = m.ap_error
    {
        return ap_exchange(l, m, code, out);
    }
    let mut ev = LogonFacts::of(l);
    if let Some(m) = &l.mechanism
        && let (Some(code), LogonOutcome::Rejected) = (m.kdc_error, l.outcome)
    {
        return by_kdc_error(l, code, m.kdc_error_name.as_deref(), ev, out);
    }
    if let Some(code) = l.ntstatus {
        return by_status(l, code, ev, out);
    }
    if let Some(v) = l.early_user_auth.filter(|v| *v != 0) {
        ev.early_user_auth = Some(v);
        ev.early_user_auth_name = Some(l.early_user_auth_name.as_deref());
        let id = if v == AUTHZ_ACCESS_DENIED {
            FindingId::LogonTypeNotGranted
        } else {
            FindingId::LogonFailedOther
        };
        let label = l
            .early_user_auth_name
            .clone()
            .unwrap_or_else(|| format!("0x{v:08X}"));
        let summary = if id == FindingId::LogonTypeNotGranted {
            format!(
                "{} authenticated, but the server does not allow this user to log on through Remote Desktop ({label}; mstsc shows 0x904 / extended 0x7): {}",
                l.user,
                action(id, &l.user)
            )
        } else {
            format!(
                "The server answered the logon of {} with Early User Authorization Result {label}",
                l.user
            )
        };
        return out.add(id, Severity::Fail, summary, &ev);
    }
    if let Some(e) = &l.logon_error {
        ev.logon_error_type = Some(e.notification_type);
        ev.logon_error_type_name = Some(
            e.notification_type_name
                .clone()
                .or_else(|| ntstatus_name(e.notification_type)),
        );
        ev.logon_error_data = Some(e.notification_data);
        ev.logon_error_data_name = Some(e.notification_data_name.as_deref());
        if l.outcome == LogonOutcome::Rejected {
            return by_logon_error(l, e, ev, out);
        }
    }
    if let Some(t) = l.logon_notification {
        ev.logon_notification = Some(t);
    }
    if let Some(code) = l.error_info {
        ev.error_info = Some(code);
        ev.error_info_name = Some(l.error_info_name.as_deref());
    }
    if let Some(d) = &l.detail {
        ev.detail = Some(d.as_str());
    }
    if l.method == LogonMethod::ClientInfo
        && let Some(found) = client_info_by_contrast(r, l)
    {
        let (id, severity, summary) = found;
        return out.add(id, severity, summary, &ev);
    }
    match l.outcome {
        LogonOutcome::Authenticated => out.add(
            FindingId::LogonSucceeded,
            Severity::Info,
            format!(
                "The server accepted the password of {} ({})",
                l.user,
                match l.phase_reached {
                    LogonPhase::EarlyUserAuthorization => "NLA, and AUTHZ_SUCCESS: allowed to log on through Remote Desktop",
                    _ if l.logon_error.is_some() => "the server's Save Session Info went on to session arbitration",
                    _ if l.logon_notification.is_some() => "the server's Save Session Info said the user logged on",
                    LogonPhase::DemandActive => "the session started",
                    _ => "NLA: its public-key echo proved it checked the password",
                }
            ),
            &ev,
        ),
        LogonOutcome::Closed if l.phase_reached == LogonPhase::NtlmAuthenticate => out.add(
            FindingId::LogonRefusedWithoutStatus,
            Severity::Fail,
            format!(
                "The server closed the connection right after the NTLM AUTHENTICATE of {}, with no status code: it refused the user name or password (FreeRDP-based servers answer a bad password this way); {}",
                l.user,
                action(FindingId::LogonRefusedWithoutStatus, &l.user)
            ),
            &ev,
        ),
        LogonOutcome::Rejected => out.add(
            FindingId::LogonFailedOther,
            Severity::Fail,
            match (l.error_info, &l.error_info_name) {
                (Some(code), name) => format!(
                    "The server refused the logon of {} with Set Error Info {} (0x{code:X})",
                    l.user,
                    name.as_deref().unwrap_or("(unnamed)")
                ),
                _ => format!("The server refused the logon of {}", l.user),
            },
            &ev,
        ),
        _ => out.add(
            FindingId::LogonNotChecked,
            Severity::Warn,
            format!(
                "The credentials of {} could not be checked: {}",
                l.user,
                l.detail.as_deref().unwrap_or("the server did not say whether they are right")
            ),
            &ev,
        ),
    }
}

fn by_status(l: &LogonEvidence, code: u32, mut ev: LogonFacts<'_>, out: &mut Out) {
    let name = ntstatus_name(code);
    ev.ntstatus = Some(code);
    ev.ntstatus_name = Some(name.clone());
    let id = finding_for_ntstatus(code);
    let label = match &name {
        Some(n) => format!("{n} (0x{code:08X})"),
        None => format!("0x{code:08X}"),
    };
    let what = match id {
        FindingId::BadCredentials => "wrong user name or password",
        FindingId::PasswordExpired => "the password expired or must be changed",
        FindingId::AccountLocked => "the account is locked out",
        FindingId::AccountDisabled => "the account is disabled",
        FindingId::AccountExpired => "the account expired",
        FindingId::AccountRestricted => "an account restriction forbids this logon",
        FindingId::LogonTypeNotGranted => "the user may not log on through Remote Desktop",
        FindingId::DcTimeSkew => "the server's and its domain controller's clocks disagree",
        FindingId::LogonServerUnavailable => "no domain controller could check the logon",
        _ => "the server refused the logon",
    };
    let summary = refused(
        &format!("The server refused the logon of {}", l.user),
        &label,
        what,
        &action(id, &l.user),
    );
    out.add(id, Severity::Fail, summary, &ev);
}

/// `{who} with {label}: {what}`, then `; {act}` when there is an action.
fn refused(who: &str, label: &str, what: &str, act: &str) -> String {
    if act.is_empty() {
        format!("{who} with {label}: {what}")
    } else {
        format!("{who} with {label}: {what}; {act}")
    }
}

/// Without NLA, a server that says nothing about the logon still answers
/// the Client Info PDU: what it did with the credentials, weighed against
/// what it did with the deep probe's Client Info without them.
fn client_info_by_contrast(
    r: &ProbeReport,
    l: &LogonEvidence,
) -> Option<(FindingId, Severity, String)> {
    let anonymous_refused = r.deep.as_ref().is_some_and(|d| {
        d.phase_reached >= DeepPhase::ClientInfo
            && d.phase_reached < DeepPhase::DemandActive
            && matches!(
                d.outcome,
                DeepOutcome::Disconnected { .. } | DeepOutcome::ErrorInfo { .. }
            )
    });
    let anonymous_went_on = r
        .deep
        .as_ref()
        .is_some_and(|d| d.outcome == DeepOutcome::LogonScreen);
    match (l.outcome, l.phase_reached) {
        (LogonOutcome::NotVerified, LogonPhase::DemandActive) if anonymous_refused => Some((
            FindingId::LogonSucceeded,
            Severity::Info,
            format!(
                "The server accepted the password of {}: with it the server went on to Demand Active, while it ended the same sequence without credentials right after the Client Info PDU (it checks the Client Info credentials, as IronRDP's server does)",
                l.user
            ),
        )),
        (LogonOutcome::Closed, LogonPhase::ClientInfo) => Some((
            FindingId::LogonRefusedWithoutStatus,
            Severity::Fail,
            format!(
                "The server closed the connection right after the Client Info PDU with the credentials of {}, with no status code: {}; {}",
                l.user,
                if anonymous_went_on {
                    "the same sequence without credentials reached the logon screen, so it refused these credentials"
                } else if anonymous_refused {
                    "it ends the sequence without credentials the same way, so it refused these credentials (or refuses every logon this way)"
                } else {
                    "it refused the user name or password"
                },
                action(FindingId::LogonRefusedWithoutStatus, &l.user)
            ),
        )),
        _ => None,
    }
}

fn by_logon_error(l: &LogonEvidence, e: &LogonErrorInfo, ev: LogonFacts<'_>, out: &mut Out) {
    let id = finding_for_logon_error(e);
    let ty = e
        .notification_type_name
        .clone()
        .or_else(|| ntstatus_name(e.notification_type))
        .map_or(format!("0x{:08X}", e.notification_type), |n| {
            format!("{n} (0x{:08X})", e.notification_type)
        });
    let data = e
        .notification_data_name
        .clone()
        .unwrap_or_else(|| format!("0x{:08X}", e.notification_data));
    let act = action(id, &l.user);
    let mut summary = format!(
        "The server refused the logon of {} in its Logon Errors Info: {data}, {ty}",
        l.user
    );
    if !act.is_empty() {
        summary.push_str("; ");
        summary.push_str(&act);
    }
    out.add(id, Severity::Fail, summary, &ev);
}

/// The server refused the Kerberos AP-REQ ([RFC 4120 3.2.3]): the ticket
/// the KDC issued is undecryptable for it, or its clock is off.
fn ap_exchange(l: &LogonEvidence, m: &LogonMechanism, code: u32, out: &mut Out) {
    let spn = m.service_principal.as_deref().unwrap_or("TERMSRV/<target>");
    let (id, summary) = if code == KRB_AP_ERR_SKEW {
        (
            FindingId::KerberosApSkew,
            format!(
                "The server refused the Kerberos ticket of {} for {spn}: KRB_AP_ERR_SKEW, its clock and this machine's differ by more than 5 minutes; resynchronise the wrong clock (w32tm /resync)",
                l.user
            ),
        )
    } else {
        (
            FindingId::KerberosApKeyMismatch,
            format!(
                "The server could not decrypt the KDC's ticket of {} for {spn} (KRB_AP_ERR_MODIFIED): its key for the SPN is not the domain's (a stale computer password, a rotated keytab, or the SPN on another account); check setspn -Q {}, then Test-ComputerSecureChannel -Repair on the server",
                l.user,
                spn.split('@').next().unwrap_or(spn)
            ),
        )
    };
    let facts = KerberosApFacts {
        user: &l.user,
        service_principal: m.service_principal.as_deref(),
        kdc: m.kdc.as_deref(),
        ap_error: code,
        ap_error_name: m.ap_error_name.as_deref(),
        ntstatus: l.ntstatus,
    };
    out.add(id, Severity::Fail, summary, &facts);
}

/// The KDC refused the Kerberos logon inside CredSSP ([RFC 4120 7.5.9]
/// codes): the same findings as the server's NTSTATUS for the same reason.
fn by_kdc_error<'a>(
    l: &'a LogonEvidence,
    code: u32,
    name: Option<&str>,
    mut ev: LogonFacts<'a>,
    out: &mut Out,
) {
    let (id, what) = match code {
        KDC_ERR_PREAUTH_FAILED => (FindingId::BadCredentials, "wrong password"),
        KDC_ERR_C_PRINCIPAL_UNKNOWN => (
            FindingId::BadCredentials,
            "the domain does not know the user",
        ),
        KDC_ERR_CLIENT_REVOKED => (
            FindingId::AccountDisabled,
            "the account is disabled or locked out",
        ),
        KDC_ERR_KEY_EXPIRED => (FindingId::PasswordExpired, "the password expired"),
        _ => (FindingId::LogonFailedOther, "the domain refused the logon"),
    };
    if let Some(d) = &l.detail {
        ev.detail = Some(d.as_str());
    }
    let label = name.map_or_else(|| format!("error {code}"), |n| format!("{n} ({code})"));
    let summary = refused(
        &format!("The KDC refused the Kerberos logon of {}", l.user),
        &label,
        what,
        &action(id, &l.user),
    );
    out.add(id, Severity::Fail, summary, &ev);
}
