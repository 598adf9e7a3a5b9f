//! `rdpdoctor explain` as data: each code recognised, the text recognised,
//! notes on the input, and the causes the codes point at with how to
//! confirm and fix the first ones.

use super::{Confirm, FULL_CAUSES, Fix, Quoted, confirm, fix};
use rdpdoctor_diagnose::RankedCause;
use rdpdoctor_kb::Explanation;

/// An explanation of what the user pasted.
#[derive(Debug, Clone)]
pub struct Explained {
    /// The codes recognised.
    pub codes: Vec<Code>,
    /// The messages recognised, as the knowledge base writes them.
    pub messages: Vec<String>,
    /// Notes on the input (they quote it).
    pub notes: Vec<Quoted>,
    /// Combinations of codes ranked as a whole, as the field reports them
    /// (`kb/priors.toml`): their labels.
    pub field: Vec<String>,
    /// The causes, most likely first.
    pub causes: Vec<ExplainedCause>,
    /// What to check to tell the causes apart (from the field priors).
    pub how_to_tell: Vec<String>,
    /// Where the field's ranking comes from.
    pub sources: Vec<String>,
}

/// One code: its name and meaning in the knowledge base.
#[derive(Debug, Clone)]
pub struct Code {
    /// The code as recognised ([`crate::safe::term`]).
    pub display: String,
    /// The family it belongs to: `mstsc disconnect reason`.
    pub family: String,
    /// Its name.
    pub name: String,
    /// What it means.
    pub meaning: String,
    /// Other codes with the same value.
    pub same_as: Vec<String>,
    /// A note.
    pub note: Option<String>,
    /// Where the knowledge base has it from.
    pub source: String,
}

/// A cause the codes point at.
#[derive(Debug, Clone)]
pub struct ExplainedCause {
    /// Its title.
    pub title: String,
    /// Its id.
    pub id: String,
    /// Its share of the weight, from 0 to 1.
    pub score: f64,
    /// Why the codes point at it.
    pub why: Vec<Quoted>,
    /// Its summary, how to confirm it and how to fix it (the first causes).
    pub detail: Option<ExplainedDetail>,
}

/// What a cause is, and how to confirm and fix it.
#[derive(Debug, Clone)]
pub struct ExplainedDetail {
    /// What the cause is.
    pub summary: String,
    /// How to confirm it.
    pub confirm: Vec<Confirm>,
    /// How to fix it.
    pub fixes: Vec<Fix>,
}

/// The model of an explanation: the codes as the knowledge base reads them,
/// and `causes`, the judgement engine's ranking of what they point to.
pub fn explain(e: &Explanation, causes: &[RankedCause]) -> Explained {
    let priors = || e.pointers.iter().filter(|p| p.source.is_some());
    Explained {
        codes: e
            .codes
            .iter()
            .map(|c| Code {
                display: crate::safe::term(&c.display),
                family: c.family_title.clone(),
                name: c.name.clone(),
                meaning: c.meaning.clone(),
                same_as: c.same_as.clone(),
                note: c.note.clone(),
                source: c.source.clone(),
            })
            .collect(),
        messages: e.messages.iter().map(|m| m.text.clone()).collect(),
        notes: e.notes.iter().map(|n| Quoted::sentence(n)).collect(),
        field: priors().map(|p| p.label.clone()).collect(),
        how_to_tell: priors().flat_map(|p| p.how_to_tell.clone()).collect(),
        sources: priors().filter_map(|p| p.source.clone()).collect(),
        causes: causes
            .iter()
            .enumerate()
            .map(|(i, c)| ExplainedCause {
                title: c.title.clone(),
                id: c.id.clone(),
                score: c.share.unwrap_or(0.0),
                why: c.from_codes.iter().map(|w| Quoted::sentence(w)).collect(),
                detail: (i < FULL_CAUSES).then(|| ExplainedDetail {
                    summary: c.summary.clone(),
                    confirm: confirm(&c.confirm),
                    fixes: c.fixes.iter().map(fix).collect(),
                }),
            })
            .collect(),
    }
}
