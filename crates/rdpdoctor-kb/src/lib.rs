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
//! // What each piece points to; the judgement engine ranks them.
//! assert!(!e.pointers.is_empty());
//! ```

mod explain;
mod fix;
mod interop;
mod load;
mod model;
mod priors;

use std::sync::OnceLock;

pub use explain::{
    ACCEPTED_FORMS, ExplainError, ExplainedCode, Explanation, MatchedMessage, Pointer, Pointers,
    explain, explain_with,
};
pub use interop::{ClientAdvice, InteropFact, client_advice, client_advice_rows, interop};
pub use load::{Kb, LoadError};
pub use model::{
    AppliesTo, Cause, CauseCode, CauseWeight, CertKind, Check, Client, Code, CodeRef, ConfirmStep,
    Family, FamilyInfo, Fix, FixKind, Message, Platform, Reach, Relation, Shell, Side, VmHost,
    normalize_text,
};
pub use priors::Prior;

/// The knowledge base's version: the date of its last change, `YYYY-MM-DD`
/// (`kb/kb.toml`, read at compile time; no parsing at run time).
pub const VERSION: &str = kb_version(include_str!("../kb/kb.toml"));

/// The `version = "…"` line of `kb/kb.toml`, in a const context.
/// `tests/integrity.rs` checks the file with the TOML parser and the date's form.
const fn kb_version(text: &str) -> &str {
    const KEY: &[u8] = b"version = \"";
    let b = text.as_bytes();
    let mut i = 0;
    while i + KEY.len() + 11 <= b.len() {
        let mut j = 0;
        while j < KEY.len() && b[i + j] == KEY[j] {
            j += 1;
        }
        if j == KEY.len() && b[i + KEY.len() + 10] == b'"' {
            let (_, rest) = b.split_at(i + KEY.len());
            let (date, _) = rest.split_at(10);
            match std::str::from_utf8(date) {
                Ok(s) => return s,
                Err(_) => panic!("kb/kb.toml: version is not UTF-8"),
            }
        }
        i += 1;
    }
    panic!("kb/kb.toml needs a line version = \"YYYY-MM-DD\"")
}

/// The embedded knowledge base, parsed on first use.
pub fn kb() -> &'static Kb {
    static KB: OnceLock<Kb> = OnceLock::new();
    KB.get_or_init(|| {
        Kb::load_embedded().expect("the embedded knowledge base (crates/rdpdoctor-kb/kb) must parse; run `cargo test -p rdpdoctor-kb`")
    })
}
