//! The judgement engine: evidence → findings → causes → verdict.
//!
//! One pure function, [`judge`], turns whatever [`Evidence`] a run has (the
//! wire probe's [`ProbeReport`], the host's state and logs, the codes the
//! user gave; each optional) and what the user told us ([`Context`]) into a
//! [`Judgement`]: the security posture, the
//! server implementation, the findings, which client modes get through, what
//! each client profile will do, the ranked causes with the evidence for and
//! against each (with weights), and one verdict that the exit status follows.
//! No clock, no I/O. The finding → cause relation is KB data
//! (`rdpdoctor-kb/kb/causes.toml`), and the scoring constants are in
//! [`scoring`].
//!
//! Invariant: the report never contradicts itself. The verdict is derived
//! from the client predictions ([`verdict`]); a `fail` finding on which no
//! modelled client fails is a warning; a healthy host gets no "most likely
//! cause".

#![forbid(unsafe_code)]

mod agreement;
pub mod capture;
mod certificate;
mod client_file;
pub mod clients;
pub mod codes;
pub mod context;
pub mod derive;
pub mod facts;
pub mod finding;
pub mod fixes;
mod gateway;
mod headline;
pub mod host;
mod judge;
mod krb;
mod pair;
pub mod paths;
pub mod posture;
pub mod rank;
pub mod scoring;
pub mod section;
pub mod server;
pub mod verdict;

use rdpdoctor_evidence::ProbeReport;
use rdpdoctor_evidence::host::HostEvidence;
use serde::Serialize;

pub use clients::{ClientPrediction, Verdict as ClientVerdict};
pub use codes::CodeShare;
pub use context::{ClientId, Context, Environment};
pub use finding::{Finding, FindingId, Qualifier, Section, Severity};
pub use paths::SecurityPath;
pub use posture::{NlaBasis, NlaPolicy, SecurityLayer, SecurityPosture};
pub use rank::{Basis, RankedCause};
pub use server::{Implementation, ServerIdentity};
pub use verdict::Verdict;

/// How well the evidence supports a cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Some evidence, or only the error code.
    Low,
    /// Several indications, or one strong one with something against it.
    Medium,
    /// The evidence shows this cause directly and nothing close competes.
    High,
}

impl Confidence {
    /// `low`, `medium` or `high`.
    pub fn name(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// The error the user saw, as decoded.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorContext {
    /// What the user gave.
    pub input: String,
    /// The codes recognised in it: the same objects `rdpdoctor explain` lists.
    pub codes: Vec<rdpdoctor_kb::ExplainedCode>,
}

/// The one thing to try first.
#[derive(Debug, Clone, Serialize)]
pub struct FirstFix {
    /// The cause it fixes.
    pub cause: String,
    /// The fix.
    pub fix: rdpdoctor_kb::Fix,
}

/// The diagnosis: why, and what to do.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    /// One sentence: the most likely cause, or that nothing is wrong.
    pub headline: String,
    /// The fix to try first, for this server and client; `None` when there
    /// is nothing to fix (or nothing the evidence supports).
    pub first_fix: Option<FirstFix>,
    /// The error the user saw, when given.
    pub error: Option<ErrorContext>,
    /// When the error the user gave does not fit what the probe saw: why,
    /// and what to check next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_check: Option<String>,
    /// Causes, most likely first.
    pub causes: Vec<RankedCause>,
    /// What common clients will do against this host (only the ones the user
    /// named with `--client`, when they did).
    pub clients: Vec<ClientPrediction>,
}

/// Everything the engine concluded.
#[derive(Debug, Clone, Serialize)]
pub struct Judgement {
    /// The security posture, when the negotiation ran.
    pub security: Option<SecurityPosture>,
    /// The server implementation.
    pub server: ServerIdentity,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Which client security modes get through the security exchange.
    pub security_paths: Vec<SecurityPath>,
    /// The verdict; the exit status follows it.
    pub verdict: Verdict,
    /// Why, and what to do.
    pub diagnosis: Diagnosis,
}

impl Judgement {
    /// True when a finding with this id is present.
    pub fn has(&self, id: FindingId) -> bool {
        self.findings.iter().any(|f| f.id == id)
    }

    /// The most likely cause of a failure, as every summary of many hosts
    /// shows it: none for a healthy host (invariant 9), whatever causes its
    /// warnings rank; otherwise the first ranked cause.
    pub fn top_cause(&self) -> Option<&RankedCause> {
        self.diagnosis
            .causes
            .first()
            .filter(|_| self.verdict != Verdict::Healthy)
    }
}

/// Why the error hint could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadErrorHint(pub String);

impl std::fmt::Display for BadErrorHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Splits `--error` text (`0x904:0x7`, `0x904 0x7`, pasted text) into the
/// words `rdpdoctor explain` takes.
pub fn error_words(s: &str) -> Vec<String> {
    let looks_like_pair = !s.contains(' ') && s.matches(':').count() == 1;
    if looks_like_pair {
        s.split(':').map(str::to_owned).collect()
    } else {
        vec![s.to_owned()]
    }
}

/// Reads the error the user saw (`--error`, or what `explain` was given)
/// into the codes it holds: the source "codes the user gave". An input with
/// nothing known in it is the user's mistake (exit 2), never evidence.
pub fn read_codes(text: &str) -> Result<rdpdoctor_kb::Explanation, BadErrorHint> {
    rdpdoctor_kb::explain(&error_words(text)).map_err(|e| BadErrorHint(e.to_string()))
}

/// The host side of the evidence: what `rdpdoctor inspect` read, and "now"
/// for the certificate dates and the event window (the engine has no clock).
#[derive(Debug, Clone, Copy)]
pub struct HostInput<'a> {
    /// The host evidence.
    pub evidence: &'a HostEvidence,
    /// Unix seconds.
    pub now_unix: i64,
}

/// The codes the user gave: what they typed, and what the knowledge base
/// read in it ([`read_codes`]).
#[derive(Debug, Clone, Copy)]
pub struct UserCodes<'a> {
    /// What the user gave, verbatim (shown as "the error you saw").
    pub input: &'a str,
    /// The codes read from it.
    pub explanation: &'a rdpdoctor_kb::Explanation,
}

/// Everything a run observed or was told, each source optional: the set
/// [`judge`] takes. A new source is a new optional field here, collected
/// by its own crate and turned into findings by its own module of this one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Evidence<'a> {
    /// The wire probe of the server (`probe`, `scan`, the exporter).
    pub wire: Option<&'a ProbeReport>,
    /// The host's state and logs (`inspect`, `probe --host-evidence`).
    pub host: Option<HostInput<'a>>,
    /// The codes the user gave (`explain`, `--error`).
    pub codes: Option<UserCodes<'a>>,
    /// The user's client machine's own state (`--client-evidence`), paired
    /// with the server's where a failure needs both ends (`pair`).
    pub client: Option<HostInput<'a>>,
    /// The client's connection file (`probe --rdp-file`): what the client
    /// offers, judged against the wire (`client_file`).
    pub rdp_file: Option<&'a rdpdoctor_evidence::RdpFile>,
    /// A packet capture of the user's own connections (`inspect CAPTURE`).
    pub capture: Option<&'a rdpdoctor_evidence::CaptureEvidence>,
}

impl<'a> Evidence<'a> {
    /// The wire probe alone.
    pub fn wire(report: &'a ProbeReport) -> Self {
        Evidence {
            wire: Some(report),
            ..Evidence::default()
        }
    }

    /// The host's state alone.
    pub fn host(host: HostInput<'a>) -> Self {
        Evidence {
            host: Some(host),
            ..Evidence::default()
        }
    }

    /// The user's codes alone (`explain`).
    pub fn codes(input: &'a str, explanation: &'a rdpdoctor_kb::Explanation) -> Self {
        Evidence::default().with_codes(Some(UserCodes { input, explanation }))
    }

    /// Adds (or leaves out) the host's state.
    pub fn with_host(mut self, host: Option<HostInput<'a>>) -> Self {
        self.host = host;
        self
    }

    /// Adds (or leaves out) the user's client machine's state.
    pub fn with_client(mut self, client: Option<HostInput<'a>>) -> Self {
        self.client = client;
        self
    }

    /// Adds (or leaves out) the user's codes.
    pub fn with_codes(mut self, codes: Option<UserCodes<'a>>) -> Self {
        self.codes = codes;
        self
    }
}

/// Judges whatever evidence a run has. The verdict comes from the wire's
/// client predictions when there is a probe; from what the host's state
/// blocks when the host alone was read; and is "can't tell" from codes
/// alone, whose causes are then ranked by what the codes point to. The
/// ranking, the scoring constants and the confidence rules are the same
/// for every combination of sources.
pub fn judge(evidence: &Evidence<'_>, ctx: &Context) -> Judgement {
    judge::judge(evidence, ctx)
}

/// Ranks the causes of a set of findings alone (no report: nothing is known
/// about how far a connection gets), with the user's error if given: the KB
/// relations' view, through the same ranking as [`judge`], for their tests.
pub fn rank_findings(
    findings: &[Finding],
    error: Option<&str>,
) -> Result<Vec<RankedCause>, BadErrorHint> {
    let explanation = error.map(read_codes).transpose()?;
    let codes = error
        .zip(explanation.as_ref())
        .map(|(input, explanation)| UserCodes { input, explanation });
    Ok(judge::rank_findings(findings, codes))
}
