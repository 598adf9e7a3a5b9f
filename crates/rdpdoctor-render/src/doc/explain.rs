//! `rdpdoctor explain` as data: each code recognised, the text recognised,
//! notes on the input, and the causes the codes point at with how to
//! confirm and fix the first ones.

use super::{Confirm, FULL_CAUSES, Fix, Inline, Item, Markup, Quoted, confirm, fix, fix_body};
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

/// A cause's share of what the user's codes point to, as the answer says
/// it in every format: `25% of what the codes point to`.
pub(crate) fn share(score: f64) -> String {
    format!("{:.0}% of what the codes point to", score * 100.0)
}

impl Explained {
    /// The explanation in markup `M`, the answer first: `input` (what the
    /// user pasted, neutralised) as the heading, the most likely cause with
    /// its share, then the codes, the causes with how to confirm and fix the
    /// first ones, and how to tell them apart. `brief`: the heading, the
    /// codes and the causes' titles only.
    pub(crate) fn lay_out<M: Markup>(&self, input: &str, brief: bool) -> String {
        let mut out = String::new();
        M::heading(
            &mut out,
            1,
            &[
                Inline::Lit("rdpdoctor explain: ".to_owned()),
                Inline::Value(input.to_owned()),
            ],
        );
        match self.causes.first() {
            Some(c) => M::para(
                &mut out,
                false,
                &[
                    Inline::Strong("Most likely:"),
                    Inline::Lit(" ".to_owned()),
                    Inline::Text(c.title.clone()),
                    Inline::Lit(format!(" ({}).", share(c.score))),
                ],
            ),
            None => M::para(&mut out, false, &[Inline::Lit(NO_CAUSE.to_owned())]),
        }
        self.codes_and_notes::<M>(&mut out);
        if !self.causes.is_empty() {
            self.causes_part::<M>(&mut out, brief);
        }
        if !brief && !self.how_to_tell.is_empty() {
            M::open(&mut out, "id=\"tell-apart\"", 2, "To tell them apart");
            let items: Vec<Item> = self.how_to_tell.iter().map(|t| Item::text(t)).collect();
            M::list(&mut out, &items);
            for s in &self.sources {
                M::para(
                    &mut out,
                    true,
                    &[
                        Inline::Lit("Source of the ranking: ".to_owned()),
                        Inline::Text(s.clone()),
                    ],
                );
            }
            M::close(&mut out);
        }
        M::para(
            &mut out,
            true,
            &[
                Inline::Lit("To see which of these it is, probe the host: ".to_owned()),
                Inline::Code(PROBE_HINT.to_owned()),
            ],
        );
        out
    }

    fn codes_and_notes<M: Markup>(&self, out: &mut String) {
        M::open(out, "id=\"codes\"", 2, "What was recognised");
        let mut items: Vec<Item> = self
            .codes
            .iter()
            .map(|c| {
                // `display` names the code already: `0x7 (exDiscReason…)`.
                let mut line = vec![
                    Inline::Value(c.display.clone()),
                    Inline::Lit(" (".to_owned()),
                    Inline::Text(c.family.clone()),
                    Inline::Lit("): ".to_owned()),
                    Inline::Text(c.meaning.clone()),
                ];
                if !c.same_as.is_empty() {
                    line.push(Inline::Lit(" Same value as: ".to_owned()));
                    line.push(Inline::Text(c.same_as.join(", ")));
                    line.push(Inline::Lit(".".to_owned()));
                }
                Item::line(line)
            })
            .collect();
        items.extend(self.messages.iter().map(|m| {
            Item::line(vec![
                Inline::Lit("Recognised text: ".to_owned()),
                Inline::Text(m.clone()),
            ])
        }));
        if !items.is_empty() {
            M::list(out, &items);
        }
        for n in &self.notes {
            M::para(
                out,
                true,
                &[
                    Inline::Lit("Note: ".to_owned()),
                    Inline::Text(n.line.clone()),
                ],
            );
        }
        for f in &self.field {
            M::para(
                out,
                true,
                &[
                    Inline::Lit("Note: ".to_owned()),
                    Inline::Text(f.clone()),
                    Inline::Lit(
                        " ranked as a whole, as the field reports this combination.".to_owned(),
                    ),
                ],
            );
        }
        M::close(out);
    }

    fn causes_part<M: Markup>(&self, out: &mut String, brief: bool) {
        M::open(out, "id=\"causes\"", 2, "Likely causes, most likely first");
        for (i, c) in self.causes.iter().enumerate() {
            M::heading(
                out,
                3,
                &[
                    Inline::Lit(format!("{}. ", i + 1)),
                    Inline::Text(c.title.clone()),
                ],
            );
            M::para(
                out,
                true,
                &[
                    Inline::Lit(format!("{:.0} % · ", c.score * 100.0)),
                    Inline::Code(c.id.clone()),
                ],
            );
            if brief {
                continue;
            }
            let why: Vec<Item> = c.why.iter().map(|w| Item::text(&w.line)).collect();
            if !why.is_empty() {
                M::list(out, &why);
            }
            let Some(d) = &c.detail else { continue };
            M::para(out, false, &[Inline::Text(d.summary.clone())]);
            if !d.confirm.is_empty() {
                M::para(out, false, &[Inline::Strong("Confirm:")]);
                let steps: Vec<Item> = d
                    .confirm
                    .iter()
                    .map(|s| Item {
                        line: vec![Inline::Text(s.how.clone())],
                        command: s.command.clone(),
                    })
                    .collect();
                M::list(out, &steps);
            }
            if !d.fixes.is_empty() {
                M::para(out, false, &[Inline::Strong("Fixes:")]);
                for f in &d.fixes {
                    M::para(out, false, &[Inline::Raw(M::fix_title(f))]);
                    fix_body::<M>(out, f);
                }
            }
        }
        M::close(out);
    }
}

/// What every format says when the codes point at no cause.
pub(crate) const NO_CAUSE: &str = "No cause is known for this code.";

/// The command that tells the causes apart.
pub(crate) const PROBE_HINT: &str = "rdpdoctor probe HOST --error '<the codes>'";
