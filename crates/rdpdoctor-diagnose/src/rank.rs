//! Findings (+ the user's error) → ranked causes, through the KB relations.

use crate::codes::CodeShare;
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
    /// What this piece of evidence rests on.
    pub basis: Basis,
}

/// What a piece of evidence for a cause rests on: it bounds how sure a cause
/// can be ([`Basis::max_confidence`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// Only what the user reported (the error code they saw).
    Reported,
    /// The finding was observed, but that it stops a client rests on
    /// documented client behaviour no test here measured (KB relation
    /// `basis = 'documented'`).
    Documented,
    /// Read from the host's own state: registry, certificate store, logs.
    Read,
    /// Measured on the wire by the probe.
    Measured,
}

impl Basis {
    /// The most confidence a cause resting on this basis alone may claim.
    pub fn max_confidence(self) -> Confidence {
        match self {
            Basis::Reported => Confidence::Low,
            Basis::Documented => Confidence::Medium,
            Basis::Read | Basis::Measured => Confidence::High,
        }
    }

    /// The basis of a finding matched by a KB relation.
    fn of(finding: &Finding, relation: &rdpdoctor_kb::Relation) -> Basis {
        if relation.documented {
            Basis::Documented
        } else if finding.id.is_host() {
            Basis::Read
        } else {
            Basis::Measured
        }
    }
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
    /// The strongest basis among the evidence for it: confidence never
    /// exceeds what it allows.
    pub basis: Basis,
    /// The cause's share of what the user's codes point to (0..1), when the
    /// user gave codes (`explain`, `--error`) and they point here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// Which pieces of the user's codes point here, and how strongly.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub from_codes: Vec<String>,
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
    share: Option<f64>,
    from_codes: Vec<String>,
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
    error: Option<(&ErrorContext, &[CodeShare])>,
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
                    basis: Basis::of(f, rel),
                });
            }
        }
    }
    if let Some((ctx, shares)) = error {
        for c in shares {
            let Some(cause) = kb.cause(&c.cause) else {
                continue;
            };
            let t = tally.entry(cause.id.as_str()).or_default();
            let w = ERROR_HINT_WEIGHT * c.share;
            t.score += w;
            t.in_error = true;
            t.share = Some(c.share);
            t.from_codes.clone_from(&c.why);
            t.for_.push(Support {
                finding: "error".into(),
                qualifier: None,
                weight: round(w),
                why: format!("{:.0}% of this error's known causes", c.share * 100.0),
                summary: format!("the error you saw: {}", ctx.input.trim()),
                basis: Basis::Reported,
            });
        }
    }
    for (id, t) in tally.iter_mut() {
        let Some(cause) = kb.cause(id) else { continue };
        against(cause, t, findings, error.is_some(), reached);
    }
    let mut causes: Vec<RankedCause> = tally
        .into_iter()
        // A cause the user's codes point to stays listed however low, with
        // what argues against it: the user asked about those codes.
        .filter(|(_, t)| t.score >= MIN_SCORE || t.share.is_some())
        .filter_map(|(id, t)| {
            let c = kb.cause(id)?;
            Some(RankedCause {
                id: id.to_owned(),
                title: c.title.clone(),
                summary: c.summary.clone(),
                score: round(t.score),
                confidence: Confidence::Low,
                basis: t
                    .for_
                    .iter()
                    .map(|s| s.basis)
                    .max()
                    .unwrap_or(Basis::Reported),
                share: t.share,
                from_codes: t.from_codes,
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
        let by_score = if c.score >= HIGH_SCORE
            && c.evidence_against.is_empty()
            && c.score - next >= HIGH_MARGIN
        {
            Confidence::High
        } else if c.score >= MEDIUM_SCORE {
            Confidence::Medium
        } else {
            Confidence::Low
        };
        // Only the user's error: low. Resting on documentation: medium at most.
        c.confidence = by_score.min(c.basis.max_confidence());
    }
    // A top cause the same evidence supports about as well as its runner-up
    // is a "can't tell": then no cause is more than low (one below the top
    // must not read surer than it). Two causes resting on different findings
    // are not rivals: each has its own evidence.
    if let [top, second, ..] = causes.as_slice() {
        let shared = top.evidence_for.iter().any(|a| {
            a.finding != "error" && second.evidence_for.iter().any(|b| b.finding == a.finding)
        });
        if shared && top.score - second.score < MEDIUM_MARGIN {
            for c in causes.iter_mut() {
                c.confidence = Confidence::Low;
            }
        }
    }
    explained_below(&mut causes);
    causes
}

/// A cause is never ranked below one it explains (KB `explains`) that it is
/// surer of: RDP switched off (read on the host, high) explains the closed
/// port (medium), so it comes first and its fix is the one to try. Equally
/// sure, the scores decide.
fn explained_below(causes: &mut Vec<RankedCause>) {
    let kb = kb();
    // Each move puts a cause above one it explains, so no pair moves twice:
    // at most one pass per cause.
    for _ in 0..causes.len() {
        let mv = causes.iter().enumerate().find_map(|(i, c)| {
            let explains = &kb.cause(&c.id)?.explains;
            causes[..i]
                .iter()
                .position(|b| explains.contains(&b.id) && c.confidence > b.confidence)
                .map(|j| (i, j))
        });
        let Some((i, j)) = mv else { break };
        let c = causes.remove(i);
        causes.insert(j, c);
    }
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
