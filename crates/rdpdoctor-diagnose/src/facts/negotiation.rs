//! Facts of the X.224 security negotiation's findings
//! ([MS-RDPBCGR 2.2.1.1–2.2.1.2]: RDP_NEG_REQ, RDP_NEG_RSP, RDP_NEG_FAILURE).

use super::facts;
use crate::posture::{NlaPolicy, SecurityLayer};
use rdpdoctor_evidence::{NegotiationOutcome, Protocol, Stats};

facts! {
    /// RDP_NEG_FAILURE SSL_CERT_NOT_ON_SERVER ([MS-RDPBCGR 2.2.1.2.2])
    /// (`ssl-cert-not-on-server`).
    pub struct SslCertNotOnServerFacts for [SslCertNotOnServer] {
        /// The failureCode: 3.
        pub failure_code: u32,
    }

    /// Answers that break the specification (`rdp-protocol-violation`).
    pub struct ProtocolViolationFacts<'a> for [RdpProtocolViolation] {
        /// Each violation as a sentence.
        pub violations: &'a [String],
    }

    /// The RDP_NEG_FAILURE codes seen ([MS-RDPBCGR 2.2.1.2.2])
    /// (`no-protocol-accepted`).
    pub struct RefusedEverythingFacts for [NoProtocolAccepted] {
        /// The failureCodes of every refusal.
        pub failure_codes: Vec<u32>,
    }

    /// A server that refuses Standard RDP Security (`tls-required`).
    pub struct TlsRequiredFacts<'a> for [TlsRequired] {
        /// The security layer the server requires.
        pub security_layer: SecurityLayer,
        /// The outcome of the request for PROTOCOL_RDP alone, if one was made.
        pub rdp_request: Option<&'a NegotiationOutcome>,
    }

    /// A server that selects only Standard RDP Security (`rdp-security-only`).
    pub struct RdpSecurityOnlyFacts<'a> for [RdpSecurityOnly] {
        /// The security layer the server requires.
        pub security_layer: SecurityLayer,
        /// The protocols the server selects.
        pub selectable: &'a [Protocol],
    }

    /// NLA required (`nla-required`).
    pub struct NlaRequiredFacts for [NlaRequired] {
        /// The NLA policy read from the answers.
        pub nla: NlaPolicy,
        /// The RDP_NEG_FAILURE codes seen.
        pub failure_codes: Vec<u32>,
    }

    /// NLA offered, not required (`nla-optional`).
    pub struct NlaOptionalFacts<'a> for [NlaOptional] {
        /// The NLA policy read from the answers.
        pub nla: NlaPolicy,
        /// The protocols the server selects.
        pub selectable: &'a [Protocol],
    }

    /// NLA never selected (`nla-not-offered`).
    pub struct NlaNotOfferedFacts<'a> for [NlaNotOffered] {
        /// The NLA policy read from the answers.
        pub nla: NlaPolicy,
        /// The outcome of the request for PROTOCOL_HYBRID, if one was made.
        pub hybrid_request: Option<&'a NegotiationOutcome>,
    }

    /// The X.224 answer times (`slow-server`).
    pub struct SlowServerFacts for [SlowServer] {
        /// Statistics over the answers, timed from the established connection.
        pub answer_ms: Stats,
    }

    /// An answer that is not RDP (`not-rdp`, from the negotiation).
    pub struct NotRdpAnswerFacts<'a> for [NotRdp] {
        /// The first negotiation attempt's outcome.
        pub outcome: Option<&'a NegotiationOutcome>,
    }
}
