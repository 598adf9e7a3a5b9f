//! Findings (+ the user's error) → ranked causes, through the KB relations.

use crate::finding::Finding;
use crate::scoring::*;
use crate::{Confidence, ErrorContext};
use rdpdoctor_kb::{Cause, Reach, kb};
use serde::Serialize;
use std::collections::BTreeMap;

/// One piece of evidence for a cause, and what it weighs.
#[derive(Debug, Clone, Serialize)]
pub struct Support {
    /// The finding id, or `error` for the user's error hint.
    pub finding: String,
    /// The finding's qualifier, when the relation needs one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    /// What it added to the score.
    pub weight: f64,
    /// Why it points here (the KB relation's words).
    pub why: String,
    /// The finding's own sentence.
    pub summary: String,
}

/// One piece of evidence against a cause, and the factor it applied.
#[derive(Debug, Clone, Serialize)]
pub struct Against {
    /// The finding id, or a rule name (`unreachable-stage`, `error-mismatch`,
    /// `reached-logon`).
    pub finding: String,
    /// The factor the score was multiplied by.
    pub factor: f64,
    /// Why.
    pub why: String,
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
    /// The combined weight of the evidence (orders causes; not a probability).
    pub score: f64,
    /// How sure the diagnosis is.
    pub confidence: Confidence,
    /// What points here, with weights.
    pub evidence_for: Vec<Support>,
    /// What argues against it, with factors.
    pub evidence_against: Vec<Against>,
    /// How to confirm it.
    pub confirm: Vec<rdpdoctor_kb::ConfirmStep>,
    /// How to fix it, the best fit for this server and client first.
    pub fixes: Vec<rdpdoctor_kb::Fix>,
}

#[derive(Default)]
struct Tally {
    score: f64,
    for_: Vec<Support>,
    against: Vec<Against>,
    in_error: bool,
}

/// What the ranking needs to know about the connection.
pub struct Reached {
    /// The furthest stage any client gets to, when the evidence says.
    pub furthest: Option<Stage>,
    /// The deep probe got Demand Active.
    pub logon_screen: bool,
}

/// How far a connection gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Not past the X.224 negotiation.
    Nothing,
    /// A protocol was selected, but no security exchange completes.
    Security,
    /// Some security exchange completes.
    Logon,
}

/// Ranks the causes.
pub fn rank(
    findings: &[Finding],
    error: Option<(&ErrorContext, &rdpdoctor_kb::Explanation)>,
    reached: &Reached,
) -> Vec<RankedCause> {
    let kb = kb();
    let mut tally: BTreeMap<&str, Tally> = BTreeMap::new();
    for cause in kb.causes() {
        for f in findings {
            // A finding adds every relation of this cause it matches: the
            // plain one, plus the qualified refinement where its qualifier
            // says more (e.g. `tls-handshake-failed` + `/reset`).
            let matching: Vec<_> = cause
                .evidence
                .iter()
                .filter(|r| r.finding == f.id.name())
                .filter(|r| match (&r.qualifier, f.qualifier) {
                    (None, _) => true,
                    (Some(q), Some(fq)) => q == fq.name(),
                    (Some(_), None) => false,
                })
                .collect();
            if matching.is_empty() {
                continue;
            }
            let t = tally.entry(cause.id.as_str()).or_default();
            for rel in matching {
                t.score += rel.weight;
                t.for_.push(Support {
                    finding: f.id.name().to_owned(),
                    qualifier: rel.qualifier.clone(),
                    weight: rel.weight,
                    why: rel.why.clone(),
                    summary: f.summary.clone(),
                });
            }
        }
    }
    if let Some((ctx, ex)) = error {
        for c in &ex.causes {
            let Some(cause) = kb.cause(&c.id) else {
                continue;
            };
            let t = tally.entry(cause.id.as_str()).or_default();
            let w = ERROR_HINT_WEIGHT * c.score;
            t.score += w;
            t.in_error = true;
            t.for_.push(Support {
                finding: "error".into(),
                qualifier: None,
                weight: round(w),
                why: format!("{:.0}% of this error's known causes", c.score * 100.0),
                summary: format!("the error you saw: {}", ctx.input.trim()),
            });
        }
    }
    for (id, t) in tally.iter_mut() {
        let Some(cause) = kb.cause(id) else { continue };
        against(cause, t, findings, error.is_some(), reached);
    }
    let mut causes: Vec<RankedCause> = tally
        .into_iter()
        .filter(|(_, t)| t.score >= MIN_SCORE)
        .filter_map(|(id, t)| {
            let c = kb.cause(id)?;
            Some(RankedCause {
                id: id.to_owned(),
                title: c.title.clone(),
                summary: c.summary.clone(),
                score: round(t.score),
                confidence: Confidence::Low,
                evidence_for: t.for_,
                evidence_against: t.against,
                confirm: c.confirm.clone(),
                fixes: c.fixes.clone(),
            })
        })
        .collect();
    causes.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    let scores: Vec<f64> = causes.iter().map(|c| c.score).collect();
    for (i, c) in causes.iter_mut().enumerate() {
        let next = scores.get(i + 1).copied().unwrap_or(0.0);
        let only_error = c.evidence_for.iter().all(|s| s.finding == "error");
        c.confidence = if only_error {
            Confidence::Low
        } else if c.score >= HIGH_SCORE
            && c.evidence_against.is_empty()
            && c.score - next >= HIGH_MARGIN
        {
            Confidence::High
        } else if c.score >= MEDIUM_SCORE {
            Confidence::Medium
        } else {
            Confidence::Low
        };
    }
    causes
}

fn against(cause: &Cause, t: &mut Tally, findings: &[Finding], has_error: bool, reached: &Reached) {
    for ruling in &cause.ruled_out_by {
        if let Some(f) = findings.iter().find(|f| f.id.name() == ruling) {
            t.score *= RULED_OUT_FACTOR;
            t.against.push(Against {
                finding: f.id.name().to_owned(),
                factor: RULED_OUT_FACTOR,
                why: f.summary.clone(),
            });
        }
    }
    if let (Some(need), Some(got)) = (cause.reach, reached.furthest) {
        let need = match need {
            Reach::Security => Stage::Security,
            Reach::Logon => Stage::Logon,
        };
        if got < need {
            t.score *= UNREACHABLE_STAGE_FACTOR;
            t.against.push(Against {
                finding: "unreachable-stage".into(),
                factor: UNREACHABLE_STAGE_FACTOR,
                why: match got {
                    Stage::Nothing => "no client gets past the security negotiation, so the connection never gets far enough for this cause to stop it".into(),
                    _ => "no security exchange completes, so the server never sees who connects".into(),
                },
            });
        }
    }
    if has_error && !t.in_error {
        t.score *= NOT_IN_ERROR_FACTOR;
        t.against.push(Against {
            finding: "error-mismatch".into(),
            factor: NOT_IN_ERROR_FACTOR,
            why: "the error you saw is not one this cause usually produces".into(),
        });
    }
    // A cause the deep probe saw get past (the logon screen was reached)
    // cannot be what stops every client at the door.
    let present = |name: &str| findings.iter().any(|f| f.id.name() == name);
    if reached.logon_screen && !cause.evidence.iter().any(|r| present(&r.finding)) {
        t.score *= REACHED_LOGON_FACTOR;
        t.against.push(Against {
            finding: "reached-logon".into(),
            factor: REACHED_LOGON_FACTOR,
            why: "rdpdoctor reached the logon screen without credentials".into(),
        });
    }
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
