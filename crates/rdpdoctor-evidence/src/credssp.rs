//! CredSSP without credentials ([MS-CSSP 2.2.1]) and the facts the NTLM
//! CHALLENGE reveals ([MS-NLMP 2.2.1.2]): OS build, names, server clock.

use serde::{Deserialize, Serialize};

/// CredSSP ([MS-CSSP]) without credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredSspEvidence {
    /// The TSRequest version the server answered with (2–6).
    pub server_version: Option<u32>,
    /// The version rdpdoctor sent.
    pub client_version: u32,
    /// `errorCode` in the server's TSRequest, when present (an NTSTATUS / HRESULT).
    pub error_code: Option<u32>,
    /// The server's TSRequest carried an NTLM CHALLENGE.
    pub ntlm_challenge: bool,
    /// Why the exchange stopped, when it failed.
    pub error: Option<String>,
    /// How it stopped, typed (`timeout`, `reset`, `closed`, `invalid`, …);
    /// absent when it did not fail, or in an older report
    /// ([`crate::StepFailure`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_kind: Option<crate::StepFailure>,
}

/// Facts from the server's NTLM CHALLENGE message ([MS-NLMP 2.2.1.2]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NtlmFacts {
    /// TargetName.
    pub target_name: Option<String>,
    /// MsvAvNbComputerName.
    pub netbios_computer_name: Option<String>,
    /// MsvAvNbDomainName.
    pub netbios_domain_name: Option<String>,
    /// MsvAvDnsComputerName.
    pub dns_computer_name: Option<String>,
    /// MsvAvDnsDomainName.
    pub dns_domain_name: Option<String>,
    /// MsvAvDnsTreeName.
    pub dns_tree_name: Option<String>,
    /// major.minor.build from the VERSION field.
    pub os_version: Option<String>,
    /// The Windows release the version would be, *if* the server is Windows
    /// (winpr-based servers always report 6.1.7601: see `server` in the
    /// judgement before believing it).
    pub windows_release: Option<String>,
    /// MsvAvTimestamp as RFC 3339 UTC.
    pub server_time: Option<String>,
    /// Server clock minus local clock, in seconds (positive: server ahead).
    pub clock_skew_seconds: Option<i64>,
}
