//! Diagnosis: evidence → rules → a ranked list of causes.
//!
//! Each cause comes with the evidence for it and against it, how to confirm
//! it, and the fixes from the knowledge base. The error the user saw (an mstsc
//! code pair, a FreeRDP line, pasted dialog text) focuses the ranking on the
//! causes that produce that error.
//!
//! Pure: no clock, no I/O. The rules are in [`rules`]; the client profiles in
//! [`clients`].

#![forbid(unsafe_code)]

pub mod clients;
pub mod rules;

use rdpdoctor_evidence::{PortState, ProbeReport, Severity};
use rdpdoctor_kb::{ConfirmStep, Fix, kb};
use serde::Serialize;
use std::collections::BTreeMap;

pub use clients::{ClientPrediction, Verdict as ClientVerdict};

/// How well the evidence supports a cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Some evidence, or only the error code.
    Low,
    /// Several indications, or one strong one with something against it.
    Medium,
    /// The evidence shows this cause directly.
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

/// One candidate cause, ranked.
#[derive(Debug, Clone, Serialize)]
pub struct RankedCause {
    /// Cause id in the knowledge base.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// A few sentences on what is going on.
    pub summary: String,
    /// The combined weight of the evidence (for ordering; not a probability).
    pub score: f64,
    /// How sure the diagnosis is.
    pub confidence: Confidence,
    /// What points here.
    pub evidence_for: Vec<String>,
    /// What argues against it.
    pub evidence_against: Vec<String>,
    /// How to confirm it.
    pub confirm: Vec<ConfirmStep>,
    /// How to fix it.
    pub fixes: Vec<Fix>,
}

/// The overall state of the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Connections fail (a `fail` finding).
    Failing,
    /// The host works for some clients and not others, or has weaknesses.
    SomeClientsFail,
    /// Nothing wrong found from here.
    Healthy,
}

/// The error the user saw, as decoded.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorContext {
    /// What the user gave.
    pub input: String,
    /// The codes recognised in it (`display: meaning`).
    pub codes: Vec<String>,
}

/// The diagnosis of one probe.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    /// The overall state.
    pub verdict: Verdict,
    /// One sentence: the most likely cause, or that nothing is wrong.
    pub headline: String,
    /// The error the user saw, when given.
    pub error: Option<ErrorContext>,
    /// Causes, most likely first.
    pub causes: Vec<RankedCause>,
    /// What common clients will do against this host.
    pub clients: Vec<ClientPrediction>,
}

/// Why the error hint could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadErrorHint(pub String);

impl std::fmt::Display for BadErrorHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How much the user's error weighs against the probe's evidence.
const ERROR_HINT_WEIGHT: f64 = 1.5;
/// What a cause keeps of its score when a finding rules it out.
const RULED_OUT_FACTOR: f64 = 0.1;
/// What a cause keeps when the user's error does not point to it at all.
const NOT_IN_ERROR_FACTOR: f64 = 0.6;
/// Causes below this score are not listed.
const MIN_SCORE: f64 = 0.05;

#[derive(Default)]
struct Tally {
    score: f64,
    for_: Vec<String>,
    against: Vec<String>,
    in_error: bool,
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

/// Diagnoses a probe report; `error` is what the user saw, if given.
pub fn diagnose(report: &ProbeReport, error: Option<&str>) -> Result<Diagnosis, BadErrorHint> {
    let kb = kb();
    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();

    for f in &report.findings {
        let keys = rule_keys(report, f.id);
        // One line per finding and cause, however many of its rules apply.
        let mut per_cause: BTreeMap<&str, (f64, Vec<&str>)> = BTreeMap::new();
        for rule in rules::RULES
            .iter()
            .filter(|r| keys.iter().any(|k| k == r.finding))
        {
            let e = per_cause.entry(rule.cause).or_default();
            e.0 += rule.weight;
            e.1.push(rule.why);
        }
        for (cause, (weight, whys)) in per_cause {
            let t = tally.entry(cause.to_owned()).or_default();
            t.score += weight;
            t.for_
                .push(format!("{} ({}): {}", f.id, whys.join("; "), f.summary));
        }
    }

    let error_ctx = match error {
        None => None,
        Some(text) => {
            let words = error_words(text);
            let ex = rdpdoctor_kb::explain(&words).map_err(|e| BadErrorHint(e.to_string()))?;
            for c in &ex.causes {
                let t = tally.entry(c.id.clone()).or_default();
                t.score += ERROR_HINT_WEIGHT * c.score;
                t.in_error = true;
                t.for_.push(format!(
                    "the error you saw ({}) points here ({:.0}% of its causes)",
                    text.trim(),
                    c.score * 100.0
                ));
            }
            Some(ErrorContext {
                input: text.to_owned(),
                codes: ex
                    .codes
                    .iter()
                    .map(|c| format!("{}: {}", c.display, c.meaning))
                    .collect(),
            })
        }
    };

    let present: Vec<&str> = report.findings.iter().map(|f| f.id.name()).collect();
    for (id, t) in tally.iter_mut() {
        let Some(cause) = kb.cause(id) else { continue };
        for ruling in &cause.ruled_out_by {
            if let Some(f) = report.findings.iter().find(|f| f.id.name() == ruling) {
                t.score *= RULED_OUT_FACTOR;
                t.against.push(format!("{}: {}", f.id, f.summary));
            }
        }
        if error_ctx.is_some() && !t.in_error {
            t.score *= NOT_IN_ERROR_FACTOR;
            t.against
                .push("the error you saw is not one this cause usually produces".into());
        }
        // A cause the deep probe saw get past (the logon screen was reached)
        // cannot be what stops every client at the door.
        if reached_logon(report)
            && present
                .iter()
                .all(|p| !cause.findings.iter().any(|f| f == p))
        {
            t.against
                .push("rdpdoctor reached the logon screen without credentials".into());
            t.score *= 0.5;
        }
    }

    let mut causes: Vec<RankedCause> = tally
        .into_iter()
        .filter(|(_, t)| t.score >= MIN_SCORE)
        .filter_map(|(id, t)| {
            let c = kb.cause(&id)?;
            let confidence = match (t.score, t.against.is_empty()) {
                (s, true) if s >= 0.9 => Confidence::High,
                (s, _) if s >= 0.45 => Confidence::Medium,
                _ => Confidence::Low,
            };
            Some(RankedCause {
                id,
                title: c.title.clone(),
                summary: c.summary.clone(),
                score: (t.score * 1000.0).round() / 1000.0,
                confidence,
                evidence_for: t.for_,
                evidence_against: t.against,
                confirm: c.confirm.clone(),
                fixes: c.fixes.clone(),
            })
        })
        .collect();
    causes.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));

    let verdict = match report.worst() {
        Some(Severity::Fail) => Verdict::Failing,
        Some(Severity::Warn) => Verdict::SomeClientsFail,
        _ if report
            .security_paths
            .iter()
            .any(|p| p.gets_through == Some(false)) =>
        {
            Verdict::SomeClientsFail
        }
        _ => Verdict::Healthy,
    };
    let headline = match (verdict, causes.first()) {
        (Verdict::Healthy, _) if error_ctx.is_none() => {
            "Nothing wrong found from here: the server answers like a healthy RDP host.".to_owned()
        }
        (_, Some(c)) => format!(
            "Most likely: {} ({} confidence).",
            c.title,
            c.confidence.name()
        ),
        (_, None) => "No known cause matches the evidence; see the findings.".to_owned(),
    };
    Ok(Diagnosis {
        verdict,
        headline,
        error: error_ctx,
        causes,
        clients: clients::predict(report),
    })
}

/// True when the deep probe got Demand Active.
fn reached_logon(r: &ProbeReport) -> bool {
    r.deep
        .as_ref()
        .is_some_and(|d| matches!(d.outcome, rdpdoctor_evidence::DeepOutcome::LogonScreen))
}

/// The keys a finding matches in the rule table: its id, plus
/// `id/qualifier` where the evidence says more than the id.
///
/// - `host-unreachable/fast` and `/slow`: an ICMP error within 500 ms is a
///   router or firewall rejecting on purpose; one after 2 s or more is ARP
///   giving up on a host that is not there.
/// - `tls-handshake-failed/no-answer`, `/reset`, `/closed`, `/alert`: silence
///   after the ClientHello is the path swallowing it; a reset or close is the
///   server giving up; an alert is a refusal over versions or ciphers.
pub fn rule_keys(r: &ProbeReport, id: rdpdoctor_evidence::FindingId) -> Vec<String> {
    use rdpdoctor_evidence::FindingId;
    let mut keys = vec![id.name().to_owned()];
    let qualifier = match id {
        FindingId::HostUnreachable => r
            .tcp
            .as_ref()
            .filter(|t| t.state == PortState::Unreachable)
            .map(|t| {
                t.samples
                    .iter()
                    .map(|s| s.elapsed_ms)
                    .fold(f64::INFINITY, f64::min)
            })
            .and_then(|fastest| match fastest {
                f if f < 500.0 => Some("fast".to_owned()),
                f if f >= 2000.0 => Some("slow".to_owned()),
                _ => None,
            }),
        FindingId::TlsHandshakeFailed => r
            .tls
            .as_ref()
            .and_then(|t| t.failure)
            .map(|f| f.name().to_owned()),
        _ => None,
    };
    if let Some(q) = qualifier {
        keys.push(format!("{}/{q}", id.name()));
    }
    keys
}
