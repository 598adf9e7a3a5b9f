//! [RFC 4120 7.5.9] The Kerberos error codes the probe acts on and the
//! engine judges, by the RFC's names: the probe's KDC answers and its
//! logon's (`stage::kerberos`, `stage::logon_kerberos`), the engine's
//! `derive::kerberos`, `derive::logon` and the domain controller's events
//! (`host::kerberos_events`) read the same numbers.
//!
//! [RFC 4120 7.5.9]: https://www.rfc-editor.org/rfc/rfc4120#section-7.5.9

/// The client (user) is not in the KDC's database.
pub const KDC_ERR_C_PRINCIPAL_UNKNOWN: u32 = 6;
/// The server principal (the SPN) is not in the KDC's database.
pub const KDC_ERR_S_PRINCIPAL_UNKNOWN: u32 = 7;
/// The client's credentials are revoked: disabled, locked out or expired.
pub const KDC_ERR_CLIENT_REVOKED: u32 = 18;
/// The password expired.
pub const KDC_ERR_KEY_EXPIRED: u32 = 23;
/// Pre-authentication failed: a wrong password.
pub const KDC_ERR_PREAUTH_FAILED: u32 = 24;
/// Pre-authentication required: the normal answer for an existing account.
pub const KDC_ERR_PREAUTH_REQUIRED: u32 = 25;
/// Clock skew too great.
pub const KRB_AP_ERR_SKEW: u32 = 37;
/// The message was modified: the service could not decrypt the ticket.
pub const KRB_AP_ERR_MODIFIED: u32 = 41;
/// The reply does not fit a UDP datagram: the client retries over TCP
/// ([RFC 4120 7.2.1]).
pub const KRB_ERR_RESPONSE_TOO_BIG: u32 = 52;
/// The realm is not the KDC's.
pub const KDC_ERR_WRONG_REALM: u32 = 68;
