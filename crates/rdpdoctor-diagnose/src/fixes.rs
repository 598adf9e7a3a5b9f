//! Orders a cause's fixes for what is known about the server and the user,
//! and chooses the one fix to try first ([`first`]).
//!
//! What counts: the server's implementation, its certificate, where it runs
//! (`--on`) and the user's client (`--client`), the findings (a fix written
//! for one of the findings present, `for_findings` in the KB, goes first:
//! unlock for a locked account, a new password for an expired one; a fix
//! whose `not_for_findings` are present is for the other side), and the
//! client predictions (a switch that forces a mode the prediction says fails
//! is no fix). Fixes and confirm steps for another platform are dropped (a
//! Windows `reg add` is no fix for xrdp); a fix that weakens security never
//! goes before a safe one that resolves the same evidence; the rest keep the
//! KB's order within the same fit.

use crate::clients::ClientPrediction;
use crate::context::{ClientId, Environment};
use crate::finding::Finding;
use crate::rank::RankedCause;
use crate::server::Implementation;
use crate::{FirstFix, Verdict};
use rdpdoctor_evidence::Protocol;
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
    /// The client predictions (empty for host evidence alone).
    pub predictions: &'a [ClientPrediction],
}

fn present(ids: &[String], findings: &[Finding]) -> bool {
    ids.iter()
        .any(|want| findings.iter().any(|x| x.id.name() == want))
}

/// The KB platform of a server implementation; `None` when unknown.
pub fn platform_of(i: Implementation) -> Option<Platform> {
    match i {
        Implementation::Windows => Some(Platform::Windows),
        Implementation::Xrdp => Some(Platform::Xrdp),
        Implementation::Freerdp => Some(Platform::Freerdp),
        Implementation::Ironrdp => Some(Platform::Ironrdp),
        Implementation::Unknown => None,
    }
}

fn client_kind(c: ClientId) -> Client {
    match c {
        ClientId::MstscWin7 | ClientId::MstscWin10 | ClientId::MstscWin11 => Client::Mstsc,
        ClientId::Macos => Client::Macos,
        ClientId::Xfreerdp2 | ClientId::Xfreerdp3 => Client::Xfreerdp,
    }
}

fn profile_kind(id: &str) -> Option<Client> {
    ClientId::from_id(id).map(client_kind)
}

/// Whether the client predictions say the clients this switch is for fail
/// in the mode it forces (`/sec:rdp` where the prediction says RDP fails).
fn forces_failing_mode(f: &Fix, facts: &FitFacts<'_>) -> bool {
    let (Some(mode), Some(client)) = (f.forces_protocol.as_deref(), f.client) else {
        return false;
    };
    let Some(mode) = [Protocol::Rdp, Protocol::Ssl, Protocol::Hybrid]
        .into_iter()
        .find(|p| p.name() == mode)
    else {
        return false;
    };
    let asked = |p: &&ClientPrediction| {
        facts.clients.is_empty() || facts.clients.iter().any(|c| c.id() == p.client)
    };
    let mut of_kind = facts
        .predictions
        .iter()
        .filter(|p| profile_kind(&p.client) == Some(client))
        .filter(asked)
        .peekable();
    of_kind.peek().is_some()
        && of_kind.all(|p| p.modes.get(&mode).copied().flatten() == Some(false))
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
    if let Some(want) = f.on {
        match facts.environment {
            Some(env) if env.name() == want.name() => rank = 0,
            Some(_) => return None,
            None => rank += 1,
        }
    }
    if f.kind == FixKind::GroupPolicy && facts.environment == Some(Environment::DomainMember) {
        rank = rank.saturating_sub(1);
    }
    if forces_failing_mode(f, facts) {
        return None;
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

/// How well a fix answers the evidence seen: 0 written for a finding
/// present, 1 written for no finding in particular, 2 written for another
/// case, 3 for the other side (its `not_for_findings` are present).
fn case(f: &Fix, facts: &FitFacts<'_>, any_for_present: bool) -> u8 {
    if present(&f.not_for_findings, facts.findings) {
        3
    } else if !any_for_present || present(&f.for_findings, facts.findings) {
        0
    } else if f.for_findings.is_empty() {
        1
    } else {
        2
    }
}

/// The fixes that fit, best first (stable within a rank).
pub fn order(fixes: &[Fix], facts: &FitFacts<'_>) -> Vec<Fix> {
    let v: Vec<(u8, usize, &Fix)> = fixes
        .iter()
        .enumerate()
        .filter_map(|(i, f)| fit(f, facts).map(|r| (r, i, f)))
        .collect();
    let any_for_present = v
        .iter()
        .any(|(_, _, f)| present(&f.for_findings, facts.findings));
    let mut v: Vec<(u8, u8, usize, &Fix)> = v
        .into_iter()
        .map(|(r, i, f)| (case(f, facts, any_for_present), r, i, f))
        .collect();
    // Fixes that answer the evidence (cases 0 and 1) first, and among them
    // the ones that keep security before any that weaken it; then the fit.
    v.sort_by_key(|(c, r, i, f)| (*c >= 2, f.weakens_security, *c, *r, *i));
    v.into_iter().map(|(_, _, _, f)| f.clone()).collect()
}

/// The sentence for a cause the KB has no fix for on this server's platform.
fn no_fix_known(platform: Platform, c: &RankedCause) -> Fix {
    Fix {
        id: "no-fix-known".to_owned(),
        title: format!(
            "no fix known for {}: {} (see the findings)",
            platform.label(),
            c.title
        ),
        applies_to: AppliesTo::Server,
        side: AppliesTo::Server,
        client: None,
        kind: FixKind::Gui,
        path: None,
        command: None,
        steps: Vec::new(),
        weakens_security: false,
        undo: None,
        platform: Some(platform),
        cert: None,
        on: None,
        for_findings: Vec::new(),
        forces_protocol: None,
        not_for_findings: Vec::new(),
    }
}

/// Orders every cause's fixes and confirm steps for this server and user
/// (dropping those for another platform), and chooses the fix to try
/// first: the top cause's best fix, when the verdict has something to fix.
/// For a server known not to be Windows whose cause the KB has no fix for on
/// that platform, the fix to try first says so instead of offering Windows'.
pub fn first(
    causes: &mut [RankedCause],
    facts: &FitFacts<'_>,
    verdict: Verdict,
) -> Option<FirstFix> {
    let known = platform_of(facts.server);
    for c in causes.iter_mut() {
        c.fixes = order(&c.fixes, facts);
        if let Some(p) = known {
            c.confirm
                .retain(|s| s.server_platform().is_none_or(|want| want == p));
        }
    }
    if !(verdict.is_failing() || verdict == Verdict::WorksWithWarnings) {
        return None;
    }
    let top = causes.first()?;
    let fix = match (top.fixes.first(), known) {
        (Some(f), _) => f.clone(),
        (None, Some(p)) if p != Platform::Windows => no_fix_known(p, top),
        (None, _) => return None,
    };
    Some(FirstFix {
        cause: top.id.clone(),
        fix,
    })
}
