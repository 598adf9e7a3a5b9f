//! What each piece of the input points to: the causes its codes (or its
//! text) name, with the knowledge base's weights; and where `kb/priors.toml`
//! holds a field prior for a combination of codes, the combination's causes in
//! place of its parts'. Nothing here ranks: combining the pieces into one
//! ranking is the judgement engine's (`rdpdoctor-diagnose`, module `codes`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::read::Slot;
use crate::load::Kb;
use crate::priors::Prior;

/// What one piece of the input (a code, a text, a combination with a field
/// prior) points to.
#[derive(Debug, Clone, Serialize)]
pub struct Pointers {
    /// What in the input this is: `Error code 0x904`, `the text "…"`.
    pub label: String,
    /// Cause id → this piece's likelihood for it (0..1, adding up to at most 1).
    pub causes: BTreeMap<String, f64>,
    /// Each reading that points somewhere, for the "why" of a ranking.
    pub lines: Vec<Pointer>,
    /// Generic text: it counts only when nothing more specific was found.
    pub fallback: bool,
    /// Where the weights come from, for a field prior.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// What to check to tell its causes apart, for a field prior.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub how_to_tell: Vec<String>,
}

/// One reading of a piece that points at a cause.
#[derive(Debug, Clone, Serialize)]
pub struct Pointer {
    /// The cause id.
    pub cause: String,
    /// The reading, e.g. `Error code 0x904 disconnectReasonAtClientWinsockFDCLOSE (mstsc-disconnect)`.
    pub label: String,
    /// The knowledge base's weight for it.
    pub weight: f64,
}

/// Each slot's pointers, with the slots a field prior covers replaced by the prior.
pub(super) fn pointers(kb: &Kb, slots: &[Slot]) -> Vec<Pointers> {
    let mut covered = vec![false; slots.len()];
    let mut out = Vec::new();
    for p in kb.priors() {
        let Some(which) = cover(kb, p, slots) else {
            continue;
        };
        if which.iter().any(|&i| covered[i]) {
            continue;
        }
        for &i in &which {
            covered[i] = true;
        }
        out.push(prior_pointers(p));
    }
    for (i, s) in slots.iter().enumerate() {
        if !covered[i] {
            out.push(slot_pointers(kb, s));
        }
    }
    out.retain(|p| !p.causes.is_empty());
    out
}

/// The slots holding each of the prior's codes, read without doubt (one
/// reading, no text around it), or `None` when one is missing.
fn cover(kb: &Kb, p: &Prior, slots: &[Slot]) -> Option<Vec<usize>> {
    p.codes
        .iter()
        .map(|code| {
            slots.iter().position(|s| {
                s.message.is_none()
                    && s.interps.len() == 1
                    && kb.code_at(s.interps[0].code).code_ref() == *code
            })
        })
        .collect()
}

fn prior_pointers(p: &Prior) -> Pointers {
    Pointers {
        label: p.title.clone(),
        causes: p
            .causes
            .iter()
            .map(|w| (w.cause.clone(), w.weight))
            .collect(),
        lines: p
            .causes
            .iter()
            .map(|w| Pointer {
                cause: w.cause.clone(),
                label: p.title.clone(),
                weight: w.weight,
            })
            .collect(),
        fallback: false,
        source: Some(p.source.clone()),
        how_to_tell: p.how_to_tell.clone(),
    }
}

/// Cause likelihoods from one slot: a prior-weighted mix over its readings.
fn slot_pointers(kb: &Kb, s: &Slot) -> Pointers {
    let mut out = Pointers {
        label: s.label.clone(),
        causes: BTreeMap::new(),
        lines: Vec::new(),
        fallback: s.message.is_some_and(|mi| kb.messages()[mi].fallback),
        source: None,
        how_to_tell: Vec::new(),
    };
    if let Some(mi) = s.message {
        let m = &kb.messages()[mi];
        if !m.causes.is_empty() {
            for w in &m.causes {
                *out.causes.entry(w.cause.clone()).or_default() += w.weight;
                out.lines.push(Pointer {
                    cause: w.cause.clone(),
                    label: s.label.clone(),
                    weight: w.weight,
                });
            }
            return out;
        }
    }
    let total: f64 = s.interps.iter().map(|i| i.prior).sum();
    if total <= 0.0 {
        return out;
    }
    let many = s.interps.len() > 1;
    for i in &s.interps {
        let c = kb.code_at(i.code);
        for w in &c.causes {
            *out.causes.entry(w.cause.clone()).or_default() += i.prior * w.weight / total;
            let label = if s.message.is_some() {
                format!("{} (as {} {})", s.label, c.hex(), c.name)
            } else if many {
                format!("{} read as {} {} ({})", s.label, c.hex(), c.name, c.family)
            } else {
                format!("{} {} ({})", s.label, c.name, c.family)
            };
            out.lines.push(Pointer {
                cause: w.cause.clone(),
                label,
                weight: w.weight,
            });
        }
    }
    out
}
