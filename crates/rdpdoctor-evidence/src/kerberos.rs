//! The domain's Kerberos, as `probe --realm` observed it: whether the KDC
//! answers over TCP and UDP, what it answered to an AS-REQ without
//! pre-authentication ([RFC 4120 5.4.1]: no password is tried, nothing counts
//! against an account's lockout), with `--user` what it answered to the
//! password (the one attempt of the run), and the KDC's clock read from the
//! KRB-ERROR's `stime`/`susec` ([RFC 4120 5.9.1]). Plain data: whether a
//! clock is too far off, or an SPN missing, is judged in
//! `rdpdoctor-diagnose`.
//!
//! [RFC 4120 5.4.1]: https://www.rfc-editor.org/rfc/rfc4120#section-5.4.1
//! [RFC 4120 5.9.1]: https://www.rfc-editor.org/rfc/rfc4120#section-5.9.1

use serde::{Deserialize, Serialize};

/// What the Kerberos stage observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KerberosEvidence {
    /// The realm asked about (`--realm`), upper-cased as AD spells it.
    pub realm: String,
    /// The KDC tried, `host:port`.
    pub kdc: String,
    /// Where the KDC's address came from: `flag` (`--kdc`), `env`
    /// (`SSPI_KDC_URL`), `krb5-conf`, `dns-srv` (the realm's SRV records), or
    /// `realm` (the realm's name as a host).
    pub kdc_source: crate::KdcSource,
    /// The KDC over TCP ([RFC 4120 7.2.2]).
    pub tcp: KdcReach,
    /// The KDC over UDP ([RFC 4120 7.2.1]).
    pub udp: KdcReach,
    /// The client principal of the AS-REQ: the `--user`, or a name of the
    /// probe's own when none was given (the KDC answers either way, with its
    /// clock).
    pub client_principal: String,
    /// True when `client_principal` is the user's (`--user`), so that its
    /// answer says something of that account.
    pub client_is_user: bool,
    /// The KDC's answer to the AS-REQ for `krbtgt/REALM`.
    pub as_reply: Option<KdcReplyFacts>,
    /// The service principal asked for in a second AS-REQ, `TERMSRV/target`
    /// (only with `--user`: an unknown client is refused before the service
    /// is looked up).
    pub service_principal: Option<String>,
    /// The KDC's answer to the AS-REQ for `service_principal`.
    pub service_reply: Option<KdcReplyFacts>,
    /// The KDC's clock from its KRB-ERROR (RFC 3339, UTC).
    pub kdc_time: Option<String>,
    /// The KDC's clock minus this machine's, milliseconds (this machine's
    /// taken halfway between sending the request and receiving the answer).
    pub clock_offset_ms: Option<i64>,
    /// The KDC's answer to the AS-REQ with the user's password
    /// (PA-ENC-TIMESTAMP, [RFC 4120 5.2.7.2]): an AS-REP when it is right,
    /// KDC_ERR_PREAUTH_FAILED (24) when wrong, KDC_ERR_KEY_EXPIRED (23)
    /// when it has expired. Left out when not tried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_reply: Option<KdcReplyFacts>,
    /// With `--user`, why the password was not tried against the KDC: the
    /// RDP logon already refused it (one failed attempt per run), the KDC
    /// offers no AES key, or it did not ask for pre-authentication. Left
    /// out when tried, or without `--user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_not_tried: Option<String>,
}

/// How the KDC answered on one transport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KdcReach {
    /// What happened.
    pub outcome: KdcOutcome,
    /// Time from the connect (TCP) or the datagram sent (UDP) to the answer
    /// or to giving up, milliseconds.
    pub elapsed_ms: u64,
    /// The error or the decoder's refusal, when there was one.
    pub detail: Option<String>,
}

/// The outcome of one request to the KDC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KdcOutcome {
    /// A Kerberos message came back.
    Answered,
    /// The connection was refused (TCP RST, or ICMP port unreachable for UDP).
    Refused,
    /// No answer within the step timeout.
    NoAnswer,
    /// Something answered that is not a KDC's reply (or it was cut short).
    Malformed,
    /// Another network error (no route, …).
    Error,
}

/// [RFC 4120 5.9.1, 5.4.2] What one KDC reply said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdcReplyFacts {
    /// `krb-error` or `as-rep`.
    pub message: String,
    /// [RFC 4120 7.5.9] error-code of a KRB-ERROR.
    pub error_code: Option<u32>,
    /// Its RFC name (`KDC_ERR_PREAUTH_REQUIRED`).
    pub error_name: Option<String>,
    /// e-text: the KDC's own words (server-controlled text).
    pub e_text: Option<String>,
    /// The realm the KDC answered for.
    pub realm: String,
}
