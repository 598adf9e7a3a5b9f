//! The credentialed check (`rdpdoctor probe HOST --user [DOMAIN\]USER`): how
//! far one logon attempt got and what the server said about it, with the raw
//! codes. Never the password.

use crate::Protocol;
use serde::{Deserialize, Serialize};

/// One logon attempt (there is never more than one per probe: a probe must
/// not lock an account).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogonEvidence {
    /// The user name as sent: `DOMAIN\user`, `user@domain` or `user`.
    pub user: String,
    /// How the credentials reached the server.
    pub method: LogonMethod,
    /// The security protocol the server selected for the attempt.
    pub via: Option<Protocol>,
    /// The last phase completed.
    pub phase_reached: LogonPhase,
    /// How it ended.
    pub outcome: LogonOutcome,
    /// The TSRequest version the server answered with (CredSSP).
    pub credssp_version: Option<u32>,
    /// `errorCode` of the server's TSRequest, an NTSTATUS ([MS-CSSP 2.2.1],
    /// version 3 and later), e.g. 0xC000006D (STATUS_LOGON_FAILURE; the
    /// knowledge base names it).
    pub ntstatus: Option<u32>,
    /// The Early User Authorization Result under HYBRID_EX
    /// ([MS-RDPBCGR 2.2.10.2]): 0 AUTHZ_SUCCESS, 5 AUTHZ_ACCESS_DENIED.
    pub early_user_auth: Option<u32>,
    /// Its name in the specification, when it has one.
    pub early_user_auth_name: Option<String>,
    /// Logon Error Info from a Save Session Info PDU ([MS-RDPBCGR 2.2.10.1.1.4.1.1]).
    pub logon_error: Option<LogonErrorInfo>,
    /// The `infoType` of a Save Session Info PDU that said the user logged
    /// on ([MS-RDPBCGR 2.2.10.1.1]: 0 INFOTYPE_LOGON, 1 INFOTYPE_LOGON_LONG,
    /// 2 INFOTYPE_LOGON_PLAINNOTIFY).
    #[serde(default)]
    pub logon_notification: Option<u32>,
    /// A Set Error Info PDU's code (ERRINFO) that ended the attempt.
    pub error_info: Option<u32>,
    /// Its name, when known.
    pub error_info_name: Option<String>,
    /// Why the attempt stopped, in one line, when it did not get a verdict
    /// from the server (a closed connection, no answer, a local failure).
    pub detail: Option<String>,
    /// Wall time of the attempt, in milliseconds.
    pub elapsed_ms: f64,
    /// Inside CredSSP: which authentication package carried the
    /// credentials, and why (absent for a Client Info logon and in reports
    /// of earlier versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<LogonMechanism>,
}

/// The package CredSSP's SPNEGO carried ([MS-CSSP 3.1.5]) and why, as
/// mstsc chooses: Kerberos where a KDC of the realm is known and the KDC
/// knows `TERMSRV/<target name>`, else NTLM ([MS-SPNG], [MS-KILE 3.1.5]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogonMechanism {
    /// The package used.
    pub package: AuthPackage,
    /// Why this one.
    pub reason: MechanismReason,
    /// The realm asked (Kerberos, or the KDC check before falling back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    /// The KDC asked, `HOST:PORT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdc: Option<String>,
    /// `TERMSRV/<target name>@REALM`, the service the ticket is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal: Option<String>,
    /// The KDC's KRB-ERROR code that stopped the Kerberos logon (AS or TGS
    /// exchange, [RFC 4120 7.5.9]), raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdc_error: Option<u32>,
    /// Its name (KDC_ERR_*).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdc_error_name: Option<String>,
    /// The AP exchange's failure inside CredSSP ([RFC 4120 3.2.3]) as its
    /// KRB error code, read from the server's answer to the AP-REQ: 41
    /// KRB_AP_ERR_MODIFIED (the service cannot decrypt its ticket: its key
    /// is not the KDC's), 37 KRB_AP_ERR_SKEW.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ap_error: Option<u32>,
    /// Its name (KRB_AP_ERR_*).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ap_error_name: Option<String>,
    /// How the run knew the realm's KDC the package was chosen with:
    /// `--realm` before the probe, or the target's NTLM domain
    /// ([MS-NLMP 2.2.2.1] MsvAvDnsDomainName, read from the CredSSP stage's
    /// CHALLENGE, which carries no password) whose KDC krb5.conf or `--kdc`
    /// names. Absent when no KDC was known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdc_known_by: Option<crate::StartReason>,
    /// The KDC's answer to the SPN check the choice rests on (an AS-REQ
    /// naming the user as client and `TERMSRV/<target name>` as service,
    /// without pre-authentication, [RFC 4120 5.4.1]); the Kerberos stage of
    /// the same run reports it as its `service_reply` instead of asking
    /// again. Absent when no KDC was asked or none answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spn_reply: Option<crate::KdcReplyFacts>,
    /// How the logon's KDC requests travelled: TCP, or UDP where the KDC
    /// gave no answer over TCP ([RFC 4120 7.2.1, 7.2.2]). Absent when no
    /// KDC answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdc_transport: Option<KdcTransport>,
}

/// The transport of the logon's KDC requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KdcTransport {
    /// TCP with the 4-byte length prefix ([RFC 4120 7.2.2]); Windows' first
    /// choice since Vista (KB 244474: MaxPacketSize 0).
    Tcp,
    /// One datagram each way ([RFC 4120 7.2.1]).
    Udp,
}

/// An authentication package inside CredSSP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthPackage {
    /// Kerberos in SPNEGO ([RFC 4121], [MS-KILE]).
    Kerberos,
    /// NTLM ([MS-NLMP]).
    Ntlm,
}

/// Why the package was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MechanismReason {
    /// A KDC of the realm is known and knows `TERMSRV/<target name>`:
    /// Kerberos, as mstsc in a domain.
    KdcAndSpn,
    /// No KDC known for the run (no `--realm`, and none in krb5.conf or
    /// `--kdc` for the target's NTLM domain, or `--user` names another
    /// domain): NTLM.
    NoKdcKnown,
    /// The target is an IP address, which has no SPN: NTLM, as mstsc falls back.
    TargetIsAddress,
    /// The KDC knows no `TERMSRV/<target name>` (KDC_ERR_S_PRINCIPAL_UNKNOWN):
    /// NTLM, as mstsc falls back.
    NoSpn,
    /// The KDC did not answer: NTLM, as mstsc falls back.
    KdcUnreachable,
    /// The RD Gateway does not offer `Negotiate`, only `NTLM`: NTLM, the
    /// only scheme left (schema 2 addition; the gateway's authentication only).
    NegotiateNotOffered,
}

/// How the credentials went to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogonMethod {
    /// CredSSP with NTLM (Network Level Authentication, [MS-CSSP]).
    Credssp,
    /// A Client Info PDU over TLS or Standard RDP Security ([MS-RDPBCGR 2.2.1.11]).
    ClientInfo,
    /// The server selected nothing credentials can be sent over.
    None,
}

/// How far one attempt got, in protocol order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogonPhase {
    /// Nothing completed (no connection, or the server selected no usable protocol).
    None,
    /// The X.224 negotiation selected a protocol.
    Negotiated,
    /// The TLS handshake completed.
    Tls,
    /// Kerberos: the KDC issued the ticket for `TERMSRV/<target>` and the
    /// AP-REQ with it went out in SPNEGO ([RFC 4120 3.2], [MS-CSSP 3.1.5]).
    KerberosApRequest,
    /// The NTLM NEGOTIATE went out.
    NtlmNegotiate,
    /// The server's NTLM CHALLENGE arrived.
    NtlmChallenge,
    /// The NTLM AUTHENTICATE (with the public-key proof) went out.
    NtlmAuthenticate,
    /// The server's public-key echo verified: it checked the password.
    PublicKeyEcho,
    /// The credentials (TSCredentials) were delegated.
    CredentialsDelegated,
    /// The Early User Authorization Result arrived (HYBRID_EX).
    EarlyUserAuthorization,
    /// The Client Info PDU with the credentials went out.
    ClientInfo,
    /// The server sent Demand Active (the session starts).
    DemandActive,
}

/// How the attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogonOutcome {
    /// The server accepted the credentials (NLA: its public-key echo
    /// verified, and AUTHZ_SUCCESS where HYBRID_EX was selected).
    Authenticated,
    /// The credentials are right but the user may not log on through Remote
    /// Desktop (AUTHZ_ACCESS_DENIED).
    AccessDenied,
    /// The server refused the logon with a code (NTSTATUS, Logon Error Info or ERRINFO).
    Rejected,
    /// The server closed the connection after the credentials, without a code.
    Closed,
    /// No answer within the step timeout after the credentials went out.
    NoAnswer,
    /// The server went on towards a session (Demand Active) without saying
    /// whether the credentials were right: without NLA, a wrong password is
    /// often only shown on the logon screen.
    NotVerified,
    /// The credentials never reached the server (connection, negotiation or
    /// TLS failed, or the server offers no way to send them).
    NotAttempted,
    /// Something on our side or a malformed answer stopped the exchange.
    Error,
}

/// [MS-RDPBCGR 2.2.10.1.1.4.1.1] Logon Errors Info: `ErrorNotificationType`
/// and `ErrorNotificationData`, raw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogonErrorInfo {
    /// ErrorNotificationType: an NTSTATUS (e.g. 0xC000006D
    /// STATUS_LOGON_FAILURE), a LOGON_MSG_* code, or 0xFFFFFFFF
    /// ERROR_CODE_ACCESS_DENIED.
    pub notification_type: u32,
    /// Its name in the specification (LOGON_MSG_*, ERROR_CODE_ACCESS_DENIED);
    /// an NTSTATUS is named by the findings, from the knowledge base.
    pub notification_type_name: Option<String>,
    /// ErrorNotificationData: 0 LOGON_FAILED_BAD_PASSWORD, 1
    /// LOGON_FAILED_UPDATE_PASSWORD, 2 LOGON_FAILED_OTHER, 3 LOGON_WARNING,
    /// or a session id under a LOGON_MSG_* type.
    pub notification_data: u32,
    /// Its name in the specification, when it is not a session id.
    #[serde(default)]
    pub notification_data_name: Option<String>,
}
