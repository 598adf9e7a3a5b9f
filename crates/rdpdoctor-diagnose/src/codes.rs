//! The codes the user gave (`rdpdoctor explain`, `probe --error`) as
//! evidence: the knowledge base reads each piece of the input and says what
//! it points to ([`rdpdoctor_kb::Pointers`]); here the pieces are combined
//! into one share per cause. `explain` and `probe --error` both go through
//! [`crate::judge`], so a code means the same in either.
//!
//! The combination treats the pieces as independent: each cause's share is
//! the product over the pieces of (its likelihood + [`CODE_FLOOR`]), less
//! the product of the floors alone, normalised over the causes. The floor
//! keeps a cause that one piece does not name from being ruled out by that
//! silence (a code table lists the usual causes, not every possible one). A
//! combination the field reports as a whole (`kb/priors.toml`) arrives as
//! one piece, already in place of its parts.

use crate::scoring::CODE_FLOOR;
use rdpdoctor_kb::{Explanation, Pointers};

/// One cause's share of what the user's codes point to.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeShare {
    /// The cause id.
    pub cause: String,
    /// Its share (0..1; the shares add up to about 1), rounded to 3 decimals.
    pub share: f64,
    /// Which pieces of the input point here, and how strongly.
    pub why: Vec<String>,
}

/// The shares of every cause the codes point to, largest first (ties in
/// the knowledge base's order of causes).
pub fn shares(ex: &Explanation) -> Vec<CodeShare> {
    let specific: Vec<&Pointers> = ex.pointers.iter().filter(|p| !p.fallback).collect();
    // Generic text counts only when nothing more specific was found.
    let pieces: Vec<&Pointers> = if specific.is_empty() {
        ex.pointers.iter().collect()
    } else {
        specific
    };
    if pieces.is_empty() {
        return Vec::new();
    }
    let kb = rdpdoctor_kb::kb();
    let n = i32::try_from(pieces.len()).unwrap_or(i32::MAX);
    let base = CODE_FLOOR.powi(n);
    let mut raw: Vec<(usize, f64)> = Vec::new();
    for (ci, cause) in kb.causes().iter().enumerate() {
        let product: f64 = pieces
            .iter()
            .map(|p| p.causes.get(&cause.id).copied().unwrap_or(0.0) + CODE_FLOOR)
            .product();
        let r = product - base;
        if r > 1e-12 {
            raw.push((ci, r));
        }
    }
    let total: f64 = raw.iter().map(|(_, r)| r).sum();
    raw.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    raw.into_iter()
        .filter_map(|(ci, r)| {
            let share = (r / total * 1000.0).round() / 1000.0;
            if share <= 0.0 {
                return None;
            }
            let id = &kb.causes()[ci].id;
            let mut why: Vec<String> = Vec::new();
            for p in &pieces {
                for line in p.lines.iter().filter(|l| &l.cause == id) {
                    let text = format!("{} → {:.2}", line.label, line.weight);
                    if !why.contains(&text) {
                        why.push(text);
                    }
                }
            }
            if pieces.len() > 1 {
                let covered = pieces.iter().filter(|p| p.causes.contains_key(id)).count();
                why.push(format!(
                    "fits {covered} of the {} pieces of evidence",
                    pieces.len()
                ));
            }
            Some(CodeShare {
                cause: id.clone(),
                share,
                why,
            })
        })
        .collect()
}
