//! rdpdoctor's knowledge base: what RDP error codes and Windows events mean,
//! which causes they point to, how to confirm each cause and how to fix it.
//!
//! The data lives in TOML files under `kb/` and is embedded in the binary:
//!
//! * `kb/codes/<family>.toml`: one file per code family (mstsc error codes,
//!   ERRINFO, FreeRDP ERRCONNECT, SSPI, NTSTATUS, TLS alerts, Windows events …).
//!   Every code has a meaning, a source and weighted candidate causes.
//! * `kb/causes.toml`: the causes, each with symptoms, confirm steps (naming the
//!   rdpdoctor probe finding that shows it) and fixes.
//! * `kb/messages.toml`: error texts users paste (mstsc dialogs, FreeRDP output).
//!
//! Nothing here does I/O at run time.
//!
//! ```
//! let e = rdpdoctor_kb::explain(&["0x904".into(), "0x7".into()]).unwrap();
//! assert_eq!(e.codes[0].name, "disconnectReasonAtClientWinsockFDCLOSE");
//! assert_eq!(e.causes[0].id, "user-not-allowed");
//! ```

mod explain;
mod interop;
mod load;
mod model;

use std::sync::OnceLock;

pub use explain::{
    ACCEPTED_FORMS, ExplainError, ExplainedCode, Explanation, MatchedMessage, RankedCause, explain,
    explain_with,
};
pub use interop::{InteropFact, interop};
pub use load::{Kb, LoadError};
pub use model::{
    AppliesTo, Cause, CauseCode, CauseWeight, CertKind, Check, Client, Code, CodeRef, ConfirmStep,
    Family, FamilyInfo, Fix, FixKind, Message, Platform, Reach, Relation, Shell, Side,
    normalize_text,
};

/// The embedded knowledge base, parsed on first use.
pub fn kb() -> &'static Kb {
    static KB: OnceLock<Kb> = OnceLock::new();
    KB.get_or_init(|| {
        Kb::load_embedded().expect("the embedded knowledge base (crates/rdpdoctor-kb/kb) must parse; run `cargo test -p rdpdoctor-kb`")
    })
}
