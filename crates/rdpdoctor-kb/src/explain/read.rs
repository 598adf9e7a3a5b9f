//! Reading what the user pasted: numbers in their possible bases, words,
//! labels such as "Error code" or "event", symbolic names, and the slots
//! (one per piece of evidence) that each hold the codes a piece may be.

use std::collections::HashSet;

use crate::load::Kb;
use crate::model::{Code, Family};
pub(super) struct Interp {
    pub(super) code: usize,
    pub(super) prior: f64,
    pub(super) how: String,
}

pub(super) struct Slot {
    pub(super) label: String,
    pub(super) interps: Vec<Interp>,
    pub(super) message: Option<usize>,
}

impl Slot {
    /// What the user wrote as `label`, read as `interps` (no message).
    pub(super) fn new(label: String, interps: Vec<Interp>) -> Slot {
        Slot {
            label,
            interps,
            message: None,
        }
    }

    pub(super) fn code_set(&self) -> HashSet<usize> {
        self.interps.iter().map(|i| i.code).collect()
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Num {
    pub(super) dec: Option<u32>,
    pub(super) hex: Option<u32>,
    pub(super) explicit_hex: bool,
}

pub(super) fn parse_num(tok: &str) -> Option<Num> {
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

pub(super) struct Tok {
    pub(super) text: String,
    pub(super) lower: String,
}

pub(super) fn tokenize(s: &str) -> Vec<Tok> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
        .map(|t| Tok {
            text: t.to_string(),
            lower: t.to_lowercase(),
        })
        .collect()
}

pub(super) enum Label {
    Families(Vec<Family>, String),
    Skip(String),
}

pub(super) const EVENT_PROVIDERS: &[(&str, Family)] = &[
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
    ("gateway", Family::EventGateway),
    ("rdgateway", Family::EventGateway),
    ("tsgateway", Family::EventGateway),
];

pub(super) fn provider_of(word: &str) -> Option<Family> {
    EVENT_PROVIDERS
        .iter()
        .find(|(k, _)| *k == word)
        .map(|(_, f)| *f)
}

/// Decide what a number at `i` is, from the words before it.
pub(super) fn label_for(toks: &[Tok], i: usize, text: &str) -> Option<Label> {
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
            provs = Family::ALL.into_iter().filter(|f| f.is_event()).collect();
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
    // A domain controller's Kerberos events (4768, 4769, 4771) give the
    // KRB-ERROR code as "Failure Code" or "Result Code": not RDP_NEG_FAILURE.
    if (p1 == "failurecode"
        || p1 == "resultcode"
        || (p1 == "code" && matches!(p2, "failure" | "result")))
        && kerberos_context(text)
    {
        return fams(
            &[Family::Kerberos],
            "Kerberos error code (event 4768/4769/4771)",
        );
    }
    if p1 == "failurecode"
        || (p1 == "code" && p2 == "failure")
        || (p1 == "error" && p2 == "security" && p3 == "protocol")
    {
        return fams(&[Family::RdpNegFailure], "RDP_NEG_FAILURE code");
    }
    if matches!(p1, "kerberos" | "krb" | "krb5") {
        return fams(&[Family::Kerberos], "Kerberos error code");
    }
    if matches!(p1, "status" | "substatus" | "ntstatus") {
        return fams(&[Family::Ntstatus], "NTSTATUS");
    }
    None
}

/// The pasted text is about Kerberos on a domain controller.
fn kerberos_context(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    [
        "4768",
        "4769",
        "4771",
        "kerberos",
        "pre-authentication",
        "ticket",
    ]
    .iter()
    .any(|w| t.contains(w))
}

pub(super) fn interp(kb: &Kb, code: &Code, prior: f64, how: String) -> Interp {
    Interp {
        code: kb.code_index(code),
        prior,
        how,
    }
}

/// Read a number without any label.
pub(super) fn generic(
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

pub(super) fn sort_interps(v: &mut [Interp]) {
    v.sort_by(|a, b| b.prior.total_cmp(&a.prior));
}

/// Read a number the text labels as belonging to `fams`.
pub(super) fn labelled(kb: &Kb, fams: &[Family], num: Num, how: &str) -> Vec<Interp> {
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

pub(super) fn has_hex_prefix(tok: &str) -> bool {
    let l = tok.to_ascii_lowercase();
    l.starts_with("0x")
}

/// An 8-digit SSPI/NTSTATUS-shaped value written without `0x` (`80090302`,
/// `C000015B`); other bare hex words in free text (GUID parts …) are ignored.
pub(super) fn looks_like_status(tok: &str) -> bool {
    let l = tok.to_ascii_lowercase();
    l.len() == 8 && (l.starts_with("8009") || l.starts_with("c00"))
}

pub(super) fn is_symbol_candidate(t: &Tok, single: bool) -> bool {
    t.text.contains('_')
        || t.lower.starts_with("disconnectreason")
        || t.lower.starts_with("exdiscreason")
        || (single && t.text.chars().any(|c| c.is_alphabetic()))
}

pub(super) fn push_slot(slots: &mut Vec<Slot>, new: Slot) {
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
