//! Field priors (`kb/priors.toml`): how often each cause produces a
//! combination of codes in practice, with the source that says so. The
//! protocol meaning of each code is in the code tables; a prior says what the
//! combination means in the field, where the codes are not independent.

use serde::{Deserialize, Serialize};

use crate::load::{Kb, LoadError};
use crate::model::{CauseWeight, CodeRef};

/// The embedded priors file: (path inside the crate, contents).
pub(crate) const PRIORS_FILE: (&str, &str) = ("kb/priors.toml", include_str!("../kb/priors.toml"));

/// The causes of one combination of codes, as the field reports them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prior {
    /// The codes that must all be in the input.
    pub codes: Vec<CodeRef>,
    /// What the combination is, in a few words.
    pub title: String,
    /// Where the ranking comes from.
    pub source: String,
    /// What to check to tell the causes apart.
    #[serde(default)]
    pub how_to_tell: Vec<String>,
    /// The causes, weights adding up to at most 1.
    pub causes: Vec<CauseWeight>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriorsFile {
    #[serde(default)]
    prior: Vec<Prior>,
}

impl Kb {
    /// Reads a priors file; every code and cause it names must exist.
    pub(crate) fn add_priors(&mut self, (file, text): (&str, &str)) -> Result<(), LoadError> {
        let parsed: PriorsFile = toml::from_str(text).map_err(|source| LoadError::Toml {
            file: file.to_string(),
            source,
        })?;
        let invalid = |message: String| LoadError::Invalid {
            file: file.to_string(),
            message,
        };
        for p in &parsed.prior {
            if p.codes.len() < 2 {
                return Err(invalid(format!(
                    "{}: a prior needs two codes or more",
                    p.title
                )));
            }
            for c in &p.codes {
                if self.lookup_ref(*c).is_none() {
                    return Err(invalid(format!("{}: no code {c}", p.title)));
                }
            }
            for w in &p.causes {
                if self.cause(&w.cause).is_none() {
                    return Err(invalid(format!("{}: no cause {}", p.title, w.cause)));
                }
            }
            let sum: f64 = p.causes.iter().map(|w| w.weight).sum();
            if sum > 1.0 + 1e-9 {
                return Err(invalid(format!("{}: weights add up to {sum}", p.title)));
            }
        }
        self.set_priors(parsed.prior);
        Ok(())
    }
}
