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

#[derive(Deserialize)]
struct File {
    interop: Vec<InteropFact>,
}

/// Every interop fact, parsed on first use.
pub fn interop() -> &'static [InteropFact] {
    static FACTS: OnceLock<Vec<InteropFact>> = OnceLock::new();
    FACTS.get_or_init(|| {
        toml::from_str::<File>(include_str!("../kb/interop.toml"))
            .map(|f| f.interop)
            .expect("kb/interop.toml must parse; run `cargo test -p rdpdoctor-kb`")
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn interop_facts_parse() {
        assert!(!super::interop().is_empty());
    }
}
