//! Orders a cause's fixes for what is known about the server and the user:
//! the server's implementation, its certificate, where it runs (`--on`) and
//! the user's client (`--client`), and the findings (a fix written for one
//! of the findings present, `for_findings` in the KB, goes first: unlock for
//! a locked account, a new password for an expired one). Fixes for another
//! platform are dropped (a Windows `reg add` is no fix for xrdp); the rest
//! keep the KB's order within the same fit.

use crate::context::{ClientId, Environment};
use crate::finding::Finding;
use crate::server::Implementation;
use rdpdoctor_kb::{AppliesTo, CertKind, Client, Fix, FixKind, Platform};

/// What the ordering knows.
pub struct FitFacts<'a> {
    /// The server implementation, when known.
    pub server: Implementation,
    /// The listener certificate's kind, when a certificate was seen.
    pub cert: Option<CertKind>,
    /// Where the server runs, when the user said.
    pub environment: Option<Environment>,
    /// The user's clients, when they said.
    pub clients: &'a [ClientId],
    /// The findings of the judgement.
    pub findings: &'a [Finding],
}

/// Whether `f` is written for one of the findings present.
fn for_present_finding(f: &Fix, findings: &[Finding]) -> bool {
    f.for_findings
        .iter()
        .any(|want| findings.iter().any(|x| x.id.name() == want))
}

fn platform_of(i: Implementation) -> Option<Platform> {
    match i {
        Implementation::Windows => Some(Platform::Windows),
        Implementation::Xrdp => Some(Platform::Xrdp),
        Implementation::Freerdp => Some(Platform::Freerdp),
        Implementation::Ironrdp | Implementation::Unknown => None,
    }
}

fn client_kind(c: ClientId) -> Client {
    match c {
        ClientId::MstscWin7 | ClientId::MstscWin10 | ClientId::MstscWin11 => Client::Mstsc,
        ClientId::Macos => Client::Macos,
        ClientId::Xfreerdp2 | ClientId::Xfreerdp3 => Client::Xfreerdp,
    }
}

/// `None`: the fix does not fit at all; otherwise a rank, lower first.
fn fit(f: &Fix, facts: &FitFacts<'_>) -> Option<u8> {
    let mut rank = 4u8;
    if let (Some(p), Some(known)) = (f.server_platform(), platform_of(facts.server)) {
        if p != known {
            return None;
        }
        rank -= 1;
    }
    if let (Some(want), Some(have)) = (f.cert, facts.cert) {
        if want != have {
            return None;
        }
        rank -= 1;
    }
    if f.kind == FixKind::Azure {
        match facts.environment {
            Some(Environment::Azure) => rank = 0,
            Some(_) => return None,
            None => rank += 1,
        }
    }
    if f.kind == FixKind::GroupPolicy && facts.environment == Some(Environment::DomainMember) {
        rank = rank.saturating_sub(1);
    }
    if f.applies_to == AppliesTo::Client && !facts.clients.is_empty() {
        match f.client {
            Some(c) if facts.clients.iter().any(|u| client_kind(*u) == c) => {
                rank = rank.saturating_sub(2)
            }
            Some(_) => return None,
            None => {}
        }
    }
    Some(rank)
}

/// The fixes that fit, best first (stable within a rank).
pub fn order(fixes: &[Fix], facts: &FitFacts<'_>) -> Vec<Fix> {
    let mut v: Vec<(u8, usize, &Fix)> = fixes
        .iter()
        .enumerate()
        .filter_map(|(i, f)| fit(f, facts).map(|r| (r, i, f)))
        .collect();
    // When some fix is written for a finding present: those first, fixes
    // written for no finding in particular next, fixes for another case last.
    let any_for_present = v
        .iter()
        .any(|(_, _, f)| for_present_finding(f, facts.findings));
    let case = |f: &Fix| -> u8 {
        if !any_for_present || for_present_finding(f, facts.findings) {
            0
        } else if f.for_findings.is_empty() {
            1
        } else {
            2
        }
    };
    // Weakening fixes go after the ones that keep security, within a rank.
    v.sort_by_key(|(r, i, f)| (case(f), *r, f.weakens_security, *i));
    v.into_iter().map(|(_, _, f)| f.clone()).collect()
}
