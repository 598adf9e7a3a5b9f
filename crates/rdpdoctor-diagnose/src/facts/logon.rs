//! Facts of the credentialed check (`probe --user`): the server's own
//! status, from CredSSP's `errorCode` ([MS-CSSP 2.2.1]), the Early User
//! Authorization Result ([MS-RDPBCGR 2.2.10.2]) or Logon Error Info
//! ([MS-RDPBCGR 2.2.10.1.1.4.1.1]).

use super::facts;
use rdpdoctor_evidence::{LogonMethod, LogonOutcome, LogonPhase, Protocol};

facts! {
    /// The logon attempt (the `--user` findings): always who, how, how far
    /// and how it ended; then the status that decided, where there was one.
    pub struct LogonFacts<'a> for [
        LogonSucceeded,
        BadCredentials,
        LogonRefusedWithoutStatus,
        PasswordExpired,
        AccountLocked,
        AccountDisabled,
        AccountExpired,
        AccountRestricted,
        LogonTypeNotGranted,
        DcTimeSkew,
        LogonServerUnavailable,
        LogonFailedOther,
        LogonNotChecked,
    ] {
        /// The user name as given.
        pub user: &'a str,
        /// CredSSP, or a Client Info PDU.
        pub method: LogonMethod,
        /// How far the attempt got.
        pub phase_reached: LogonPhase,
        /// How it ended.
        pub outcome: LogonOutcome,
        /// The protocol the credentials went over.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub via: Option<Protocol>,
        /// The NTSTATUS in the TSRequest's errorCode ([MS-CSSP 2.2.1]).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub ntstatus: Option<u32>,
        /// Its name from the knowledge base, or null (with `ntstatus`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub ntstatus_name: Option<Option<String>>,
        /// The Early User Authorization Result ([MS-RDPBCGR 2.2.10.2]), when not AUTHZ_SUCCESS.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub early_user_auth: Option<u32>,
        /// Its name, or null (with `early_user_auth`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub early_user_auth_name: Option<Option<&'a str>>,
        /// Logon Errors Info's ErrorNotificationType ([MS-RDPBCGR 2.2.10.1.1.4.1.1]).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub logon_error_type: Option<u32>,
        /// Its name (an NTSTATUS named from the knowledge base), or null.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub logon_error_type_name: Option<Option<String>>,
        /// Logon Errors Info's ErrorNotificationData.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub logon_error_data: Option<u32>,
        /// Its name, or null.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub logon_error_data_name: Option<Option<&'a str>>,
        /// A Save Session Info notification type ([MS-RDPBCGR 2.2.10.1.1]).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub logon_notification: Option<u32>,
        /// A Set Error Info code ([MS-RDPBCGR 2.2.5.1.1]).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub error_info: Option<u32>,
        /// Its name, or null (with `error_info`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub error_info_name: Option<Option<&'a str>>,
        /// What the probe saw, in words.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub detail: Option<&'a str>,
    }

    /// The AP exchange inside CredSSP that the server refused
    /// (`kerberos-ap-key-mismatch`, `kerberos-ap-skew`; [RFC 4120 3.2.3]).
    pub struct KerberosApFacts<'a> for [KerberosApKeyMismatch, KerberosApSkew] {
        /// The user name as given.
        pub user: &'a str,
        /// The service the ticket was for, `TERMSRV/<target>@REALM`.
        pub service_principal: Option<&'a str>,
        /// The KDC that issued it.
        pub kdc: Option<&'a str>,
        /// The KRB error code the server's answer stands for (41, 37).
        pub ap_error: u32,
        /// Its name (KRB_AP_ERR_MODIFIED, KRB_AP_ERR_SKEW).
        pub ap_error_name: Option<&'a str>,
        /// The server's errorCode as sent ([MS-CSSP 2.2.1]).
        pub ntstatus: Option<u32>,
    }
}

impl<'a> LogonFacts<'a> {
    /// Who, how, how far and how it ended; no status yet.
    pub fn of(l: &'a rdpdoctor_evidence::LogonEvidence) -> Self {
        LogonFacts {
            user: &l.user,
            method: l.method,
            phase_reached: l.phase_reached,
            outcome: l.outcome,
            via: l.via,
            ntstatus: None,
            ntstatus_name: None,
            early_user_auth: None,
            early_user_auth_name: None,
            logon_error_type: None,
            logon_error_type_name: None,
            logon_error_data: None,
            logon_error_data_name: None,
            logon_notification: None,
            error_info: None,
            error_info_name: None,
            detail: None,
        }
    }
}
