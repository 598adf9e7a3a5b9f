//! Facts of the connection sequence's findings after the negotiation:
//! Set Error Info ([MS-RDPBCGR 2.2.5.1.1]) and sequences that fail with no
//! reason.

use super::facts;
use rdpdoctor_evidence::{DeepOutcome, DeepPhase};

facts! {
    /// The server's Set Error Info PDU ([MS-RDPBCGR 2.2.5.1.1]
    /// errorInfo) (`server-denied-connection`, `licensing-error`,
    /// `server-error-info`).
    pub struct ErrorInfoFacts<'a> for [ServerDeniedConnection, LicensingError, ServerErrorInfo] {
        /// The ERRINFO code.
        pub error_info: u32,
        /// Its name, when known.
        pub error_info_name: Option<&'a str>,
        /// How far the sequence got.
        pub phase_reached: DeepPhase,
    }

    /// Every mode's security exchange failing (`security-exchange-failed`).
    pub struct SecurityExchangeFacts for [SecurityExchangeFailed] {
        /// Per mode the server can select: the client switch and why it fails.
        pub reasons: Vec<String>,
    }

    /// A sequence that stops with no reason (`connection-sequence-failed`).
    pub struct SequenceFailedFacts<'a> for [ConnectionSequenceFailed] {
        /// How far it got.
        pub phase_reached: DeepPhase,
        /// How it ended (as in `deep`).
        pub outcome: &'a DeepOutcome,
    }
}
