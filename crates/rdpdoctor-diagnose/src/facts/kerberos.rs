//! Facts of the domain's Kerberos (`probe --realm`): the KDC's reach
//! ([RFC 4120 7.2]), its clock ([RFC 4120 5.9.1] stime) and its answers
//! (KRB-ERROR, [RFC 4120 5.9.1]; AS-REP, [RFC 4120 5.4.2]).

use super::facts;
use rdpdoctor_evidence::{KdcReach, KdcReplyFacts};

facts! {
    /// A target named by address (`kerberos-target-is-address`).
    pub struct AddressTargetFacts<'a> for [KerberosTargetIsAddress] {
        /// The address.
        pub target: &'a str,
    }

    /// The KDC's reach over TCP and UDP (`kerberos-kdc-reachable`,
    /// `kerberos-kdc-unreachable`, `kerberos-kdc-partly-reachable`, and
    /// `kerberos-kdc-error` when it answered what is not Kerberos).
    pub struct KdcReachFacts<'a> for [
        KerberosKdcReachable,
        KerberosKdcUnreachable,
        KerberosKdcPartlyReachable,
        KerberosKdcError,
    ] {
        /// The KDC, `host:port`.
        pub kdc: &'a str,
        /// Over TCP.
        pub tcp: &'a KdcReach,
        /// Over UDP.
        pub udp: &'a KdcReach,
    }

    /// The domain controller's clock against ours (`kerberos-dc-clock-skew`,
    /// `kerberos-dc-clock-in-sync`).
    pub struct KdcClockFacts<'a> for [KerberosDcClockSkew, KerberosDcClockInSync] {
        /// The KDC's stime.
        pub kdc_time: Option<&'a str>,
        /// The KDC's clock minus ours, in milliseconds.
        pub clock_offset_ms: i64,
        /// Kerberos' tolerance: 300 s.
        pub tolerance_seconds: i64,
        /// The RDP server's own offset from its NTLM challenge, or null.
        pub rdp_server_clock_skew_seconds: Option<i64>,
    }

    /// The KDC's answer to the AS-REQ for the user (`kerberos-wrong-realm`,
    /// `kerberos-user-unknown`, `kerberos-user-revoked`,
    /// `kerberos-password-expired`, `kerberos-kdc-error`).
    pub struct UserReplyFacts<'a> for [
        KerberosWrongRealm,
        KerberosUserUnknown,
        KerberosUserRevoked,
        KerberosPasswordExpired,
        KerberosKdcError,
    ] {
        /// The principal asked for.
        pub client_principal: &'a str,
        /// The KDC's answer.
        pub as_reply: &'a KdcReplyFacts,
    }

    /// The KDC's answer to the AS-REQ with the user's password
    /// (PA-ENC-TIMESTAMP, [RFC 4120 5.2.7.2]): `kerberos-password-accepted`,
    /// `kerberos-password-wrong`, and expired, revoked or another error.
    pub struct PasswordReplyFacts<'a> for [
        KerberosPasswordAccepted,
        KerberosPasswordWrong,
        KerberosPasswordExpired,
        KerberosUserRevoked,
        KerberosKdcError,
    ] {
        /// The principal whose password was tried.
        pub client_principal: &'a str,
        /// The KDC's answer.
        pub password_reply: &'a KdcReplyFacts,
    }

    /// The KDC's answer for `TERMSRV/target` (`kerberos-spn-missing`).
    pub struct SpnReplyFacts<'a> for [KerberosSpnMissing] {
        /// The SPN asked for.
        pub service_principal: &'a str,
        /// The KDC's answer.
        pub service_reply: Option<&'a KdcReplyFacts>,
    }
}
