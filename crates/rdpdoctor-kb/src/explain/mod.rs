//! `rdpdoctor explain`: turn whatever the user pasted (codes, names, FreeRDP
//! output, event IDs, dialog text) into known codes, and what each points to.

mod pointers;
mod read;

use std::collections::HashSet;

use serde::Serialize;

use crate::load::Kb;
use crate::model::{Code, Family, normalize_text};
pub use pointers::{Pointer, Pointers};
use read::*;

/// The result of [`explain`].
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// What the user typed (arguments joined by spaces).
    pub input: String,
    /// Codes found in the input, in the order they appear. An ambiguous bare
    /// number yields one entry per family it is valid in, most likely first.
    pub codes: Vec<ExplainedCode>,
    /// Known error texts found in the input.
    pub messages: Vec<MatchedMessage>,
    /// What each piece of the input points to. The judgement engine
    /// (`rdpdoctor-diagnose`) combines them into one ranking, the same for
    /// `rdpdoctor explain` and `probe --error`; `explain`'s JSON lists that
    /// ranking as `causes`.
    #[serde(skip)]
    pub pointers: Vec<Pointers>,
    /// Remarks about how the input was read.
    pub notes: Vec<String>,
}

/// A code recognised in the input.
#[derive(Debug, Clone, Serialize)]
pub struct ExplainedCode {
    pub family: Family,
    pub family_title: String,
    pub value: u32,
    /// `0x…` form of the value.
    pub hex: String,
    /// How the code is usually printed (`0x904`, `ERRINFO_LOGOFF_BY_USER [0x0001000C]`, `Event 1058 …`).
    pub display: String,
    pub name: String,
    pub meaning: String,
    pub source: String,
    /// How the input was read to get this code.
    pub matched_as: String,
    /// The same value in other families.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub same_as: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Only ever seen after a TCP connection was made (see the code table).
    #[serde(skip)]
    pub after_connect: bool,
}

/// A known error text found in the input.
#[derive(Debug, Clone, Serialize)]
pub struct MatchedMessage {
    pub id: String,
    pub client: String,
    pub text: String,
    pub source: String,
}

/// Why [`explain`] could not help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    /// Nothing in the input was recognised; the message lists the accepted forms.
    #[error("{0}")]
    Unknown(String),
}

/// The forms `explain` accepts, for error messages and `--help`.
pub const ACCEPTED_FORMS: &str = "rdpdoctor explain accepts:\n  \
  - mstsc codes: 0x904, or the pair `0x904 0x7` (Error code + Extended error code), also in decimal: `2308 7`\n  \
  - symbolic names: ERRINFO_SERVER_DENIED_CONNECTION, SERVER_DENIED_CONNECTION, SEC_E_UNSUPPORTED_FUNCTION, HYBRID_REQUIRED_BY_SERVER, STATUS_LOGON_TYPE_NOT_GRANTED …\n  \
  - FreeRDP output: `ERRCONNECT_TLS_CONNECT_FAILED [0x00020008]`, `[0x0002000D]`, `0x0001000C`\n  \
  - SSPI / NTSTATUS values: 0x80090302, 0xC000015B\n  \
  - Windows events: `event 1058`, `schannel 36870`, `event 4625`\n  \
  - xfreerdp exit codes and TLS alerts: `exit 147`, `alert 70`\n  \
  - error text pasted from the mstsc dialog, FreeRDP or an event (quote it)";

/// Explain what the user typed after `rdpdoctor explain`, using the embedded knowledge base.
pub fn explain(args: &[String]) -> Result<Explanation, ExplainError> {
    explain_with(crate::kb(), args)
}

/// [`explain`] against a given knowledge base.
pub fn explain_with(kb: &Kb, args: &[String]) -> Result<Explanation, ExplainError> {
    let input = args
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if input.is_empty() {
        return Err(ExplainError::Unknown(format!(
            "nothing to explain.\n{ACCEPTED_FORMS}"
        )));
    }
    let norm = normalize_text(&input);
    let mut notes: Vec<String> = Vec::new();
    let mut slots: Vec<Slot> = Vec::new();

    // 1. Only numbers: a bare code, or the mstsc pair "Error code, Extended error code".
    let pieces: Vec<&str> = input.split_whitespace().collect();
    let nums: Vec<Option<Num>> = pieces.iter().map(|p| parse_num(p)).collect();
    let numeric_only = nums.iter().all(Option::is_some) && !pieces.is_empty();
    if numeric_only {
        let nums: Vec<Num> = nums.into_iter().flatten().collect();
        let mut paired = false;
        if nums.len() == 2 {
            let pick = |n: Num, f: Family| -> Option<&Code> {
                let vals: Vec<u32> = if n.explicit_hex {
                    n.hex.into_iter().collect()
                } else {
                    n.dec.into_iter().chain(n.hex).collect()
                };
                vals.into_iter().find_map(|v| kb.lookup(f, v))
            };
            if let (Some(a), Some(b)) = (
                pick(nums[0], Family::MstscDisconnect),
                pick(nums[1], Family::MstscExtended),
            ) {
                paired = true;
                notes.push(format!(
                    "Read as an mstsc pair: Error code {} and Extended error code {}.",
                    a.hex(),
                    b.hex()
                ));
                slots.push(Slot::new(
                    format!("Error code {}", a.hex()),
                    vec![interp(kb, a, 1.0, "mstsc Error code".to_string())],
                ));
                slots.push(Slot::new(
                    format!("Extended error code {}", b.hex()),
                    vec![interp(kb, b, 1.0, "mstsc Extended error code".to_string())],
                ));
            }
        }
        if !paired {
            for (piece, n) in pieces.iter().zip(nums) {
                let interps = generic(kb, piece, n, true, &mut notes);
                if interps.is_empty() {
                    notes.push(format!("{piece} is not a code rdpdoctor knows."));
                    continue;
                }
                let families: HashSet<Family> =
                    interps.iter().map(|i| kb.code_at(i.code).family).collect();
                if families.len() > 1 {
                    notes.push(format!(
                        "{piece} is valid in {} tables; they are listed most likely first.",
                        families.len()
                    ));
                }
                push_slot(&mut slots, Slot::new(piece.to_string(), interps));
            }
        }
    } else {
        // 2. Free text: labelled numbers, hex numbers, symbolic names.
        let toks = tokenize(&input);
        let single = toks.len() == 1;
        for i in 0..toks.len() {
            let t = &toks[i];
            if let Some(num) = parse_num(&t.text) {
                match label_for(&toks, i, &norm) {
                    Some(Label::Skip(note)) => {
                        if !notes.contains(&note) {
                            notes.push(note);
                        }
                    }
                    Some(Label::Families(fams, how)) => {
                        let mut interps = labelled(kb, &fams, num, &how);
                        if interps.is_empty() && (num.explicit_hex || looks_like_status(&t.text)) {
                            let as_hex = Num {
                                dec: None,
                                hex: num.hex,
                                explicit_hex: true,
                            };
                            interps = generic(kb, &t.text, as_hex, false, &mut notes);
                        }
                        if interps.is_empty() {
                            notes.push(format!("{} ({how}) is not in the knowledge base.", t.text));
                            continue;
                        }
                        push_slot(&mut slots, Slot::new(format!("{how} {}", t.text), interps));
                    }
                    None => {
                        let num = if looks_like_status(&t.text) {
                            Num {
                                dec: None,
                                hex: u32::from_str_radix(&t.text, 16).ok(),
                                explicit_hex: true,
                            }
                        } else {
                            num
                        };
                        if num.explicit_hex
                            && (has_hex_prefix(&t.text) || looks_like_status(&t.text))
                        {
                            let interps = generic(kb, &t.text, num, false, &mut notes);
                            if interps.is_empty() {
                                notes.push(format!("{} is not a code rdpdoctor knows.", t.text));
                            }
                            push_slot(&mut slots, Slot::new(t.text.clone(), interps));
                        }
                    }
                }
            } else if is_symbol_candidate(t, single) {
                let codes = kb.lookup_name(&t.text);
                if codes.is_empty() {
                    continue;
                }
                let interps = codes
                    .into_iter()
                    .map(|c| {
                        let how = if c.names().any(|n| n.eq_ignore_ascii_case(&t.text)) {
                            format!("symbolic name {}", t.text)
                        } else {
                            format!("name {} (prefix or spelling left out)", t.text)
                        };
                        interp(kb, c, kb.family(c.family).prior, how)
                    })
                    .collect();
                push_slot(&mut slots, Slot::new(t.text.clone(), interps));
            }
        }
    }

    // 3. Known error texts.
    let mut messages = Vec::new();
    for (mi, m) in kb.messages().iter().enumerate() {
        if !m.matches(&norm) {
            continue;
        }
        messages.push(MatchedMessage {
            id: m.id.clone(),
            client: m.client.clone(),
            text: m.text.clone(),
            source: m.source.clone(),
        });
        let implied: Vec<Interp> = m
            .implies
            .iter()
            .filter_map(|r| kb.lookup_ref(*r))
            .map(|c| {
                interp(
                    kb,
                    c,
                    1.0,
                    format!("implied by the text \"{}\"", short(&m.text)),
                )
            })
            .collect();
        let present: HashSet<usize> = slots.iter().flat_map(|s| s.code_set()).collect();
        let all_present = !implied.is_empty() && implied.iter().all(|i| present.contains(&i.code));
        if m.causes.is_empty() && all_present {
            continue;
        }
        slots.push(Slot {
            label: format!("the text \"{}\"", short(&m.text)),
            interps: implied,
            message: Some(mi),
        });
    }

    if slots.is_empty() {
        let mut msg = format!("could not recognise \"{input}\".");
        for n in &notes {
            msg.push_str("\n  ");
            msg.push_str(n);
        }
        msg.push('\n');
        msg.push_str(ACCEPTED_FORMS);
        return Err(ExplainError::Unknown(msg));
    }

    // Codes, in input order.
    let mut codes = Vec::new();
    let mut seen = HashSet::new();
    for s in &slots {
        for i in &s.interps {
            if seen.insert(i.code) {
                codes.push(explained(kb, kb.code_at(i.code), &i.how));
            }
        }
    }

    Ok(Explanation {
        input,
        codes,
        messages,
        pointers: pointers::pointers(kb, &slots),
        notes,
    })
}

fn short(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= 70 {
        s.to_string()
    } else {
        let cut: String = s.chars().take(67).collect();
        format!("{}…", cut.trim_end())
    }
}

fn explained(kb: &Kb, c: &Code, how: &str) -> ExplainedCode {
    let fam = kb.family(c.family);
    let display = if c.family.is_event() {
        format!(
            "Event {} ({}, {})",
            c.value,
            c.provider.as_deref().unwrap_or("?"),
            c.channel.as_deref().unwrap_or("?")
        )
    } else if let (Family::Errconnect, Some(class)) = (c.family, fam.freerdp_class) {
        // ERRCONNECT values mean nothing bare: show them as FreeRDP prints them.
        format!("{} [0x{:08X}]", c.name, (u32::from(class) << 16) | c.value)
    } else if let Some(class) = fam.freerdp_class {
        format!(
            "{} (FreeRDP prints {} [0x{:08X}])",
            c.hex(),
            c.name,
            (u32::from(class) << 16) | c.value
        )
    } else if c.family.is_decimal() {
        format!("{} ({})", c.value, c.name)
    } else {
        format!("{} ({})", c.hex(), c.name)
    };
    ExplainedCode {
        family: c.family,
        family_title: fam.title.clone(),
        value: c.value,
        hex: c.hex(),
        display,
        name: c.name.clone(),
        meaning: c.meaning.clone(),
        source: c.source.clone(),
        matched_as: how.to_string(),
        same_as: c
            .same_as
            .iter()
            .map(|r| match kb.lookup_ref(*r) {
                Some(o) => format!("{} ({r})", o.name),
                None => r.to_string(),
            })
            .collect(),
        note: c.note.clone(),
        after_connect: c.after_connect,
    }
}
