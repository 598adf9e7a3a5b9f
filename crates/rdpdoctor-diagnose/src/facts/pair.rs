//! Facts of both ends (`--client-evidence`): the CredSSP update matrix of
//! CVE-2018-0886 ([MS-CSSP 2.2.1] version 5 and later), with the side to change.

use super::facts;
use super::host::SettingFacts;

/// The side a pair finding shows must change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// The server.
    Server,
    /// The client.
    Client,
}

facts! {
    /// The pair's CredSSP policy and updates (`credssp-pair-blocked`,
    /// `credssp-pair-exposed`, `credssp-pair-allowed`).
    pub struct CredsspPairFacts<'a> for [CredsspPairBlocked, CredsspPairExposed, CredsspPairAllowed] {
        /// The client's `AllowEncryptionOracle` as it applies (1 when none is set).
        pub client_allow_encryption_oracle: u32,
        /// Whether the client's value is set.
        pub client_policy_set: bool,
        /// What says whether the server has the update, or that it can't be told.
        pub server_updated: String,
        /// The same for the client.
        pub client_updated: String,
        /// The client's setting, where read.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub client_setting: Option<SettingFacts<'a, u32>>,
        /// The server's `AllowEncryptionOracle` as it applies, where its state was read.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub server_allow_encryption_oracle: Option<u32>,
        /// The side to change.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub change: Option<Side>,
    }
}
