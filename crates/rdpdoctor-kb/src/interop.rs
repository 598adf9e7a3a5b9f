//! Known interoperability facts (`kb/interop.toml`): client × server pairs
//! that fail although each follows the protocol well enough on its own.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// One fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteropFact {
    /// Stable id.
    pub id: String,
    /// The server implementation (`xrdp`, `freerdp`, `ironrdp`, `windows`).
    pub server: String,
    /// Client profile ids it affects.
    pub clients: Vec<String>,
    /// The security protocol it happens on (`rdp`, `ssl`, `hybrid`).
    pub protocol: String,
    /// Only at these Standard RDP Security encryption levels (empty = any).
    #[serde(default)]
    pub encryption_levels: Vec<String>,
    /// What the client does (`fails`).
    pub effect: String,
    /// Why, with the spec section.
    pub why: String,
    /// Where the fact comes from.
    pub source: String,
}

/// What a client needs in one situation the client predictions find.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientAdvice {
    /// The situation (`server-tls13-only`, `certificate-warning` …).
    pub case: String,
    /// Client profile ids it is for (empty = any).
    #[serde(default)]
    pub clients: Vec<String>,
    /// The server implementation it is for (`None` = any).
    #[serde(default)]
    pub server: Option<String>,
    /// The sentence.
    pub fix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    interop: Vec<InteropFact>,
    advice: Vec<ClientAdvice>,
}

fn file() -> &'static File {
    static FILE: OnceLock<File> = OnceLock::new();
    FILE.get_or_init(|| {
        toml::from_str::<File>(include_str!("../kb/interop.toml"))
            .expect("kb/interop.toml must parse; run `cargo test -p rdpdoctor-kb`")
    })
}

/// Every interop fact, parsed on first use.
pub fn interop() -> &'static [InteropFact] {
    &file().interop
}

/// Every advice row, in the file's order.
pub fn client_advice_rows() -> &'static [ClientAdvice] {
    &file().advice
}

/// What `client` needs in `case` against `server`: the first row that fits
/// (rows for a client or a server come before their case's default).
pub fn client_advice(case: &str, client: &str, server: &str) -> Option<&'static str> {
    file()
        .advice
        .iter()
        .filter(|a| a.case == case)
        .filter(|a| a.clients.is_empty() || a.clients.iter().any(|c| c == client))
        .find(|a| a.server.as_deref().is_none_or(|s| s == server))
        .map(|a| a.fix.as_str())
}

#[cfg(test)]
mod tests {
    #[test]
    fn interop_facts_parse() {
        assert!(!super::interop().is_empty());
    }

    /// Every case has a default row (any client, any server), and no row
    /// hides behind an earlier one that fits whenever it does.
    #[test]
    fn every_advice_case_has_a_default_after_its_specific_rows() {
        let rows = super::client_advice_rows();
        let mut cases: Vec<&str> = rows.iter().map(|a| a.case.as_str()).collect();
        cases.dedup();
        for case in cases {
            let of: Vec<_> = rows.iter().filter(|a| a.case == case).collect();
            let last = of.last().unwrap();
            assert!(
                last.clients.is_empty() && last.server.is_none(),
                "case {case}: its last row must be the default"
            );
            assert_eq!(
                of.iter()
                    .filter(|a| a.clients.is_empty() && a.server.is_none())
                    .count(),
                1,
                "case {case}: one default row"
            );
        }
        assert_eq!(
            super::client_advice("server-tls13-only", "mstsc-win10", "xrdp"),
            Some(
                "enable TLS 1.2 on the server beside TLS 1.3 (xrdp.ini: ssl_protocols=TLSv1.2, TLSv1.3)"
            )
        );
        assert_eq!(
            super::client_advice("server-tls13-only", "mstsc-win10", "windows"),
            Some("enable TLS 1.2 on the server beside TLS 1.3")
        );
        assert_eq!(
            super::client_advice("no-such-case", "macos", "windows"),
            None
        );
    }
}
