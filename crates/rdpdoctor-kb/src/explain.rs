//! `rdpdoctor explain`: turn whatever the user pasted (codes, names, FreeRDP
//! output, event IDs, dialog text) into known codes and ranked causes.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::load::Kb;
use crate::model::{Code, ConfirmStep, Family, Fix, normalize_text};

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
    /// Candidate causes, best first; their shares add up to about 1.
    pub causes: Vec<RankedCause>,
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
}

/// A known error text found in the input.
#[derive(Debug, Clone, Serialize)]
pub struct MatchedMessage {
    pub id: String,
    pub client: String,
    pub text: String,
    pub source: String,
}

/// A candidate cause with its score and what to do about it.
#[derive(Debug, Clone, Serialize)]
pub struct RankedCause {
    pub id: String,
    pub title: String,
    pub summary: String,
    /// This cause's share of the causes the input points to (0..1, the
    /// shares add up to about 1), rounded to 3 decimals. In JSON `share`: a
    /// probe's `diagnosis.causes[].score` is a different measure (a sum of
    /// evidence weights).
    #[serde(rename = "share")]
    pub score: f64,
    /// Which parts of the input point here, and how strongly.
    pub why: Vec<String>,
    pub confirm: Vec<ConfirmStep>,
    pub fixes: Vec<Fix>,
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

const DELTA: f64 = 0.05;

struct Interp {
    code: usize,
    prior: f64,
    how: String,
}

struct Slot {
    label: String,
    interps: Vec<Interp>,
    message: Option<usize>,
}

impl Slot {
    fn code_set(&self) -> HashSet<usize> {
        self.interps.iter().map(|i| i.code).collect()
    }
}

#[derive(Clone, Copy, Debug)]
struct Num {
    dec: Option<u32>,
    hex: Option<u32>,
    explicit_hex: bool,
}

fn parse_num(tok: &str) -> Option<Num> {
    let t = tok.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if t.is_empty() {
        return None;
    }
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        if h.is_empty() || h.len() > 8 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        return Some(Num {
            dec: None,
            hex: u32::from_str_radix(h, 16).ok(),
            explicit_hex: true,
        });
    }
    if t.chars().all(|c| c.is_ascii_digit()) {
        let dec = t.parse::<u32>().ok();
        let hex = if t.len() <= 8 {
            u32::from_str_radix(t, 16).ok()
        } else {
            None
        };
        if dec.is_none() && hex.is_none() {
            return None;
        }
        return Some(Num {
            dec,
            hex,
            explicit_hex: false,
        });
    }
    let all_hex = t.chars().all(|c| c.is_ascii_hexdigit());
    let has_digit = t.chars().any(|c| c.is_ascii_digit());
    if all_hex && has_digit && (5..=8).contains(&t.len()) {
        return Some(Num {
            dec: None,
            hex: u32::from_str_radix(t, 16).ok(),
            explicit_hex: true,
        });
    }
    None
}

struct Tok {
    text: String,
    lower: String,
}

fn tokenize(s: &str) -> Vec<Tok> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
        .map(|t| Tok {
            text: t.to_string(),
            lower: t.to_lowercase(),
        })
        .collect()
}

enum Label {
    Families(Vec<Family>, String),
    Skip(String),
}

const EVENT_PROVIDERS: &[(&str, Family)] = &[
    ("schannel", Family::EventSchannel),
    ("security", Family::EventSecurity),
    ("auditing", Family::EventSecurity),
    ("rdpclient", Family::EventRdpClient),
    ("clientactivexcore", Family::EventRdpClient),
    ("remoteconnectionmanager", Family::EventRcm),
    ("termservice", Family::EventRcm),
    ("rcm", Family::EventRcm),
    ("localsessionmanager", Family::EventLsm),
    ("lsm", Family::EventLsm),
    ("rdpcorets", Family::EventRdpcorets),
    ("sessionbroker", Family::EventSessionBroker),
];

const ALL_EVENTS: [Family; 7] = [
    Family::EventRdpClient,
    Family::EventRcm,
    Family::EventLsm,
    Family::EventRdpcorets,
    Family::EventSchannel,
    Family::EventSecurity,
    Family::EventSessionBroker,
];

fn provider_of(word: &str) -> Option<Family> {
    EVENT_PROVIDERS
        .iter()
        .find(|(k, _)| *k == word)
        .map(|(_, f)| *f)
}

/// Decide what a number at `i` is, from the words before it.
fn label_for(toks: &[Tok], i: usize, text: &str) -> Option<Label> {
    let p = |k: usize| -> &str {
        if i >= k {
            toks[i - k].lower.as_str()
        } else {
            ""
        }
    };
    let (p1, p2, p3, p4) = (p(1), p(2), p(3), p(4));
    let fams = |f: &[Family], how: &str| Some(Label::Families(f.to_vec(), how.to_string()));
    if p1 == "code" && p2 == "error" && p3 == "extended" {
        return fams(&[Family::MstscExtended], "mstsc Extended error code");
    }
    if p1 == "code" && p2 == "error" {
        return fams(&[Family::MstscDisconnect], "mstsc Error code");
    }
    if p1 == "code" && (p2 == "client" || text.contains("protocol error")) {
        return fams(&[Family::MstscProtocolError], "mstsc protocol-error code");
    }
    if p1 == "reason" {
        return fams(&[Family::MstscDisconnect], "disconnect Reason (event 1026)");
    }
    let is_event_word = matches!(p1, "event" | "eventid" | "evt")
        || (p1 == "id" && matches!(p2, "event" | "eventid"));
    let direct_provider = provider_of(p1);
    if is_event_word || direct_provider.is_some() {
        let lo = i.saturating_sub(8);
        let hi = (i + 8).min(toks.len());
        let mut provs: Vec<Family> = direct_provider.into_iter().collect();
        for t in &toks[lo..hi] {
            if let Some(f) = provider_of(&t.lower)
                && !provs.contains(&f)
            {
                provs.push(f);
            }
        }
        if provs.is_empty() {
            provs = ALL_EVENTS.to_vec();
        }
        return Some(Label::Families(provs, "Windows event ID".to_string()));
    }
    if (p1 == "status" && p2 == "exit" && p3 == "only" && p4 == "authentication")
        || (p1 == "status" && p2 == "exit" && text.contains("authentication only"))
    {
        return Some(Label::Skip(
            "\"Authentication only, exit status N\" is xfreerdp's +auth-only summary (1 = failed), not its process exit code; the ERRCONNECT/ERRINFO lines around it say why."
                .to_string(),
        ));
    }
    if p1 == "exit"
        || p1 == "rc"
        || (matches!(p1, "code" | "status") && p2 == "exit")
        || (p1 == "code" && p2 == "return")
    {
        return fams(&[Family::XfreerdpExit], "xfreerdp exit code");
    }
    if p1 == "alert"
        || (p1 == "is" && p2 == "code" && p3 == "alert")
        || (matches!(p1, "code" | "description") && p2 == "alert")
    {
        return fams(&[Family::TlsAlert], "TLS alert");
    }
    if p1 == "allowencryptionoracle" {
        return fams(
            &[Family::CredsspOraclePolicy],
            "AllowEncryptionOracle value",
        );
    }
    if p1 == "version" && matches!(p2, "tsrequest" | "credssp") {
        return fams(&[Family::CredsspVersion], "CredSSP version");
    }
    if (p1 == "type" && p2 == "logon") || p1 == "logontype" {
        return fams(&[Family::LogonType], "Logon Type");
    }
    if p1 == "failurecode"
        || (p1 == "code" && p2 == "failure")
        || (p1 == "error" && p2 == "security" && p3 == "protocol")
    {
        return fams(&[Family::RdpNegFailure], "RDP_NEG_FAILURE code");
    }
    if matches!(p1, "status" | "substatus" | "ntstatus") {
        return fams(&[Family::Ntstatus], "NTSTATUS");
    }
    None
}

fn interp(kb: &Kb, code: &Code, prior: f64, how: String) -> Interp {
    Interp {
        code: kb.code_index(code),
        prior,
        how,
    }
}

/// Read a number without any label.
fn generic(
    kb: &Kb,
    tok: &str,
    num: Num,
    bare_decimal: bool,
    notes: &mut Vec<String>,
) -> Vec<Interp> {
    let mut out = Vec::new();
    if !num.explicit_hex
        && let Some(d) = num.dec
    {
        for c in kb.lookup_value(d) {
            out.push(interp(
                kb,
                c,
                kb.family(c.family).prior,
                format!("number {d}"),
            ));
        }
        if bare_decimal {
            for c in kb.lookup_event(d) {
                let prior = if d >= 20 { 0.9 } else { 0.2 };
                out.push(interp(kb, c, prior, format!("event ID {d}")));
            }
            if (128..=255).contains(&d)
                && let Some(c) = kb.lookup(Family::XfreerdpExit, d)
            {
                out.push(interp(
                    kb,
                    c,
                    kb.family(c.family).prior,
                    format!("xfreerdp exit code {d}"),
                ));
            }
        }
        if !out.is_empty() {
            sort_interps(&mut out);
            return out;
        }
    }
    let Some(h) = num.hex else {
        return out;
    };
    if !num.explicit_hex {
        if num.dec == Some(h) {
            return out;
        }
        notes.push(format!(
            "{tok} matches nothing as a decimal number, so it was read as hexadecimal 0x{h:X}."
        ));
    }
    for c in kb.lookup_value(h) {
        out.push(interp(kb, c, kb.family(c.family).prior, format!("0x{h:X}")));
    }
    if h > 0xFFFF
        && let Some(c) = kb.lookup_freerdp(h)
    {
        out.push(interp(
            kb,
            c,
            1.0,
            format!(
                "FreeRDP code 0x{h:08X} (class {} = {}, value 0x{:X})",
                h >> 16,
                c.family,
                c.value
            ),
        ));
    }
    sort_interps(&mut out);
    out
}

fn sort_interps(v: &mut [Interp]) {
    v.sort_by(|a, b| b.prior.total_cmp(&a.prior));
}

/// Read a number the text labels as belonging to `fams`.
fn labelled(kb: &Kb, fams: &[Family], num: Num, how: &str) -> Vec<Interp> {
    let mut out = Vec::new();
    for &f in fams {
        let candidates: Vec<u32> = if num.explicit_hex {
            num.hex.into_iter().collect()
        } else if f.is_decimal() {
            num.dec.into_iter().collect()
        } else {
            num.dec.into_iter().chain(num.hex).collect()
        };
        for v in candidates {
            if let Some(c) = kb.lookup(f, v) {
                out.push(interp(kb, c, 1.0, how.to_string()));
                break;
            }
            if v > 0xFFFF
                && let Some(c) = kb.lookup_freerdp(v)
                && c.family == f
            {
                out.push(interp(
                    kb,
                    c,
                    1.0,
                    format!("{how} (FreeRDP code 0x{v:08X})"),
                ));
                break;
            }
        }
    }
    out
}

fn has_hex_prefix(tok: &str) -> bool {
    let l = tok.to_ascii_lowercase();
    l.starts_with("0x")
}

/// An 8-digit SSPI/NTSTATUS-shaped value written without `0x` (`80090302`,
/// `C000015B`); other bare hex words in free text (GUID parts …) are ignored.
fn looks_like_status(tok: &str) -> bool {
    let l = tok.to_ascii_lowercase();
    l.len() == 8 && (l.starts_with("8009") || l.starts_with("c00"))
}

fn is_symbol_candidate(t: &Tok, single: bool) -> bool {
    t.text.contains('_')
        || t.lower.starts_with("disconnectreason")
        || t.lower.starts_with("exdiscreason")
        || (single && t.text.chars().any(|c| c.is_alphabetic()))
}

fn push_slot(slots: &mut Vec<Slot>, new: Slot) {
    if new.interps.is_empty() && new.message.is_none() {
        return;
    }
    if new.message.is_none() {
        let ns = new.code_set();
        for s in slots.iter_mut().filter(|s| s.message.is_none()) {
            let es = s.code_set();
            if ns.is_subset(&es) {
                if ns.len() < es.len() {
                    *s = new;
                }
                return;
            }
            if es.is_subset(&ns) {
                return;
            }
        }
    }
    slots.push(new);
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
                slots.push(Slot {
                    label: format!("Error code {}", a.hex()),
                    interps: vec![interp(kb, a, 1.0, "mstsc Error code".to_string())],
                    message: None,
                });
                slots.push(Slot {
                    label: format!("Extended error code {}", b.hex()),
                    interps: vec![interp(kb, b, 1.0, "mstsc Extended error code".to_string())],
                    message: None,
                });
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
                push_slot(
                    &mut slots,
                    Slot {
                        label: piece.to_string(),
                        interps,
                        message: None,
                    },
                );
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
                        push_slot(
                            &mut slots,
                            Slot {
                                label: format!("{how} {}", t.text),
                                interps,
                                message: None,
                            },
                        );
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
                            push_slot(
                                &mut slots,
                                Slot {
                                    label: t.text.clone(),
                                    interps,
                                    message: None,
                                },
                            );
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
                push_slot(
                    &mut slots,
                    Slot {
                        label: t.text.clone(),
                        interps,
                        message: None,
                    },
                );
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

    let causes = rank(kb, &slots);
    Ok(Explanation {
        input,
        codes,
        messages,
        causes,
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
    }
}

/// What one piece of evidence says: cause likelihoods, and lines explaining them.
#[derive(Default)]
struct Evidence {
    dist: BTreeMap<String, f64>,
    /// (cause id, what in the input, weight)
    why: Vec<(String, String, f64)>,
}

/// Cause likelihoods from one slot: a prior-weighted mix over its readings.
fn slot_dist(kb: &Kb, s: &Slot) -> Evidence {
    let mut dist: BTreeMap<String, f64> = BTreeMap::new();
    let mut why: Vec<(String, String, f64)> = Vec::new();
    if let Some(mi) = s.message {
        let m = &kb.messages()[mi];
        if !m.causes.is_empty() {
            for w in &m.causes {
                *dist.entry(w.cause.clone()).or_default() += w.weight;
                why.push((w.cause.clone(), s.label.clone(), w.weight));
            }
            return Evidence { dist, why };
        }
    }
    let total: f64 = s.interps.iter().map(|i| i.prior).sum();
    if total <= 0.0 {
        return Evidence { dist, why };
    }
    let many = s.interps.len() > 1;
    for i in &s.interps {
        let c = kb.code_at(i.code);
        for w in &c.causes {
            let share = i.prior * w.weight / total;
            *dist.entry(w.cause.clone()).or_default() += share;
            let label = if s.message.is_some() {
                format!("{} (as {} {})", s.label, c.hex(), c.name)
            } else if many {
                format!("{} read as {} {} ({})", s.label, c.hex(), c.name, c.family)
            } else {
                format!("{} {} ({})", s.label, c.name, c.family)
            };
            why.push((w.cause.clone(), label, w.weight));
        }
    }
    Evidence { dist, why }
}

fn rank(kb: &Kb, slots: &[Slot]) -> Vec<RankedCause> {
    let mut dists = Vec::new();
    let mut fallback = Vec::new();
    for s in slots {
        let ev = slot_dist(kb, s);
        if ev.dist.is_empty() {
            continue;
        }
        let is_fallback = s
            .message
            .map(|mi| kb.messages()[mi].fallback)
            .unwrap_or(false);
        if is_fallback {
            fallback.push(ev);
        } else {
            dists.push(ev);
        }
    }
    if dists.is_empty() {
        dists = fallback;
    }
    if dists.is_empty() {
        return Vec::new();
    }
    let ids: Vec<&str> = kb.causes().iter().map(|c| c.id.as_str()).collect();
    let n = dists.len() as i32;
    let base = DELTA.powi(n);
    let mut raw: Vec<(usize, f64)> = Vec::new();
    for (ci, id) in ids.iter().enumerate() {
        let prod: f64 = dists
            .iter()
            .map(|ev| ev.dist.get(*id).copied().unwrap_or(0.0) + DELTA)
            .product();
        let r = prod - base;
        if r > 1e-12 {
            raw.push((ci, r));
        }
    }
    let total: f64 = raw.iter().map(|(_, r)| r).sum();
    raw.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    raw.into_iter()
        .filter_map(|(ci, r)| {
            let score = (r / total * 1000.0).round() / 1000.0;
            if score <= 0.0 {
                return None;
            }
            let c = &kb.causes()[ci];
            let mut why: Vec<String> = Vec::new();
            for ev in &dists {
                for (cause, label, weight) in &ev.why {
                    if cause == &c.id {
                        let line = format!("{label} → {weight:.2}");
                        if !why.contains(&line) {
                            why.push(line);
                        }
                    }
                }
            }
            let covered = dists
                .iter()
                .filter(|ev| ev.dist.contains_key(&c.id))
                .count();
            if dists.len() > 1 {
                why.push(format!(
                    "fits {covered} of the {} pieces of evidence",
                    dists.len()
                ));
            }
            Some(RankedCause {
                id: c.id.clone(),
                title: c.title.clone(),
                summary: c.summary.clone(),
                score,
                why,
                confirm: c.confirm.clone(),
                fixes: c.fixes.clone(),
            })
        })
        .collect()
}
