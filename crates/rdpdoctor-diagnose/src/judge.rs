//! [`crate::judge`]: one judgement over whatever evidence a run has. Each
//! source adds its findings; the verdict comes from the strongest source
//! present (the wire's client predictions, else what the host's state
//! blocks, else "can't tell" from codes alone); then one ranking, one set of
//! fixes, one head line.

use crate::codes::{self, CodeShare};
use crate::finding::{Finding, FindingId, Severity};
use crate::headline::{codes_headline, host_headline, wire_headline};
use crate::posture::SecurityPosture;
use crate::rank::{self, RankedCause};
use crate::server::{Implementation, ServerIdentity};
use crate::{
    ClientPrediction, Context, Diagnosis, ErrorContext, Evidence, Judgement, SecurityPath,
    UserCodes, Verdict, clients, derive, fixes, host, pair, paths, posture, server, verdict,
};
use rdpdoctor_evidence::host::HostEvidence;
use rdpdoctor_evidence::{DeepOutcome, PortState, ProbeReport};

/// The user's codes as the ranking takes them.
struct Codes {
    context: ErrorContext,
    shares: Vec<CodeShare>,
}

fn codes(c: Option<UserCodes<'_>>) -> Option<Codes> {
    c.map(|c| Codes {
        context: ErrorContext {
            input: c.input.to_owned(),
            codes: c.explanation.codes.clone(),
        },
        shares: codes::shares(c.explanation),
    })
}

pub(crate) fn judge(ev: &Evidence<'_>, ctx: &Context) -> Judgement {
    let user = codes(ev.codes);
    let client = ev.client.map(|c| c.evidence);
    if let (None, Some(cap)) = (ev.wire, ev.capture) {
        return capture(cap, ev.host, user, ctx);
    }
    match (ev.wire, ev.host) {
        (Some(report), host) => wire(report, host, client, user, ctx, ev.rdp_file),
        (None, Some(host)) => host_only(host, client, user, ctx),
        (None, None) => codes_only(user, ctx),
    }
}

pub(crate) fn rank_findings(findings: &[Finding], c: Option<UserCodes<'_>>) -> Vec<RankedCause> {
    let user = codes(c);
    rank::rank(
        findings,
        user.as_ref().map(|c| (&c.context, c.shares.as_slice())),
        &NOWHERE,
    )
}

/// Nothing is known about how far a connection gets.
const NOWHERE: rank::Reached = rank::Reached {
    furthest: None,
    logon_screen: false,
};

fn wire(
    report: &ProbeReport,
    host: Option<crate::HostInput<'_>>,
    client: Option<&HostEvidence>,
    user: Option<Codes>,
    ctx: &Context,
    rdp_file: Option<&rdpdoctor_evidence::RdpFile>,
) -> Judgement {
    let posture = report.negotiation.as_ref().map(posture::judge);
    let server = server::identify(report, posture.as_ref());
    let mut findings = derive::derive(report, posture.as_ref());
    let security_paths = paths::predict(report, posture.as_ref());
    derive::after_security(report, posture.as_ref(), &security_paths, &mut findings);
    let all_clients = clients::predict(&clients::Facts {
        report,
        posture: posture.as_ref(),
        paths: &security_paths,
        findings: &findings,
        server: &server,
    });
    let mut focus: Vec<ClientPrediction> = if ctx.clients.is_empty() {
        let legacy = |id: &str| clients::PROFILES.iter().any(|p| p.id == id && p.legacy);
        all_clients
            .into_iter()
            .filter(|c| !legacy(&c.client))
            .collect()
    } else {
        all_clients
            .into_iter()
            .filter(|c| ctx.clients.iter().any(|u| u.id() == c.client))
            .collect()
    };
    // The .rdp file says what the client offers: its client is the one predicted.
    if let Some(file) = rdp_file {
        let probed = report.gateway.is_some();
        crate::client_file::apply(file, &security_paths, &mut findings, &mut focus, probed);
    }
    // A client that fails for lack of a common TLS version is evidence of its
    // own: the server-side TLS findings cannot say which client it hits.
    let no_tls: Vec<&ClientPrediction> = focus.iter().filter(|c| c.no_common_tls).collect();
    if !no_tls.is_empty() {
        let names: Vec<&str> = no_tls.iter().map(|c| c.name.as_str()).collect();
        let reason = no_tls[0].reason.clone();
        findings.push(Finding::new(
            FindingId::ClientTlsVersionUnsupported,
            Severity::Fail,
            format!("{} cannot connect: {reason}", names.join("; ")),
            &crate::facts::tls::ClientTlsFacts {
                clients: no_tls.iter().map(|c| c.client.as_str()).collect(),
            },
        ));
    }
    if let Some(h) = host {
        findings.extend(host::derive(h.evidence, Some(report), h.now_unix));
    }
    if let Some(c) = client {
        findings.extend(pair::derive(c, Some(report), host.map(|h| h.evidence)));
    }
    if let Some(g) = &report.gateway {
        findings.extend(crate::gateway::derive(g));
        findings.extend(crate::gateway::derive_through(g, report));
    }
    let verdict = match &report.gateway {
        Some(g) => crate::gateway::verdict_through(g, report, &findings, &focus),
        None => verdict::derive(report, &focus),
    };
    // Through a gateway that did not reach the target: no client prediction
    // or security path rests on it.
    let (focus, security_paths) = match &report.gateway {
        Some(g) if !g.target_probed => {
            (Vec::new(), crate::gateway::paths_not_probed(security_paths))
        }
        _ => (focus, security_paths),
    };
    verdict::reconcile(&mut findings, verdict);

    let reached = rank::Reached {
        furthest: furthest_stage(report, posture.as_ref(), &security_paths),
        logon_screen: report
            .deep
            .as_ref()
            .is_some_and(|d| matches!(d.outcome, DeepOutcome::LogonScreen)),
    };
    let cert = report.certificate.as_ref().map(|c| {
        if c.self_signed {
            rdpdoctor_kb::CertKind::SelfSigned
        } else {
            rdpdoctor_kb::CertKind::CaIssued
        }
    });
    let headline = |verdict: Verdict, causes: &[RankedCause], findings: &[Finding]| match &report
        .gateway
    {
        Some(g) => crate::gateway::headline_through(g, verdict, causes.first(), findings, report),
        None => wire_headline(verdict, causes.first(), findings, report),
    };
    finish(
        Parts {
            security: posture,
            server,
            findings,
            security_paths,
            verdict,
            clients: focus,
            cert,
            reached,
            user,
            wire: Some(report),
        },
        ctx,
        headline,
    )
}

/// Host evidence alone (`rdpdoctor inspect`): no client was watched
/// connecting, so the verdict comes from what the host's state blocks.
fn host_only(
    host: crate::HostInput<'_>,
    client: Option<&HostEvidence>,
    user: Option<Codes>,
    ctx: &Context,
) -> Judgement {
    let h = host.evidence;
    let mut findings = host::derive(h, None, host.now_unix);
    if let Some(c) = client {
        findings.extend(pair::derive(c, None, Some(h)));
    }
    let verdict = verdict::from_host(h, &findings);
    verdict::reconcile(&mut findings, verdict);
    let server = ServerIdentity {
        implementation: Implementation::Windows,
        version: h.identity.build.as_ref().map(|b| b.value.clone()),
        basis: vec!["host evidence: a Windows registry or event log".to_owned()],
    };
    let headline = |verdict: Verdict, causes: &[RankedCause], findings: &[Finding]| {
        let line = host_headline(verdict, causes.first(), findings, h);
        match host::window_note(h, findings).filter(|_| verdict != Verdict::Inconclusive) {
            Some(note) => format!("{line} {note}"),
            None => line,
        }
    };
    let mut j = finish(
        Parts::unprobed(server, findings, verdict, user),
        ctx,
        headline,
    );
    // Without the settings that say whether RDP is on, no fix is the one
    // to try first.
    if j.verdict == Verdict::Inconclusive {
        j.diagnosis.first_fix = None;
    }
    j
}

/// The user's codes alone (`rdpdoctor explain`): nothing was observed, so
/// the verdict can't tell and no fix is the one to try first; the causes
/// are ranked by what the codes point to, through the same ranking.
fn codes_only(user: Option<Codes>, ctx: &Context) -> Judgement {
    let server = ServerIdentity {
        implementation: Implementation::Unknown,
        version: None,
        basis: vec!["nothing was probed or read".to_owned()],
    };
    let mut j = finish(
        Parts {
            security: None,
            server,
            findings: Vec::new(),
            security_paths: Vec::new(),
            verdict: Verdict::Inconclusive,
            clients: Vec::new(),
            cert: None,
            reached: NOWHERE,
            user,
            wire: None,
        },
        ctx,
        |_, causes: &[RankedCause], _: &[Finding]| codes_headline(causes.first()),
    );
    j.diagnosis.first_fix = None;
    j
}

/// What [`finish`] needs from every kind of judgement.
struct Parts<'a> {
    security: Option<SecurityPosture>,
    server: ServerIdentity,
    findings: Vec<Finding>,
    security_paths: Vec<SecurityPath>,
    verdict: Verdict,
    clients: Vec<ClientPrediction>,
    cert: Option<rdpdoctor_kb::CertKind>,
    reached: rank::Reached,
    user: Option<Codes>,
    /// The wire probe, when there was one.
    wire: Option<&'a ProbeReport>,
}

impl Parts<'_> {
    /// A judgement without a probe: no posture, no paths, no client
    /// predictions, nothing known about how far a connection gets.
    fn unprobed(
        server: ServerIdentity,
        findings: Vec<Finding>,
        verdict: Verdict,
        user: Option<Codes>,
    ) -> Self {
        Parts {
            security: None,
            server,
            findings,
            security_paths: Vec::new(),
            verdict,
            clients: Vec::new(),
            cert: None,
            reached: NOWHERE,
            user,
            wire: None,
        }
    }
}

/// Ranks the causes, orders their fixes, and writes the headline.
fn finish(
    p: Parts<'_>,
    ctx: &Context,
    headline: impl Fn(Verdict, &[RankedCause], &[Finding]) -> String,
) -> Judgement {
    // An error the port contradicts came from somewhere else: shown, not ranked.
    let contradicted = match (&p.wire, &p.user) {
        (Some(report), Some(user)) => crate::agreement::port_contradicts(report, &user.context),
        _ => None,
    };
    let ranked_codes = p.user.as_ref().filter(|_| contradicted.is_none());
    let mut causes = rank::rank(
        &p.findings,
        ranked_codes.map(|c| (&c.context, c.shares.as_slice())),
        &p.reached,
    );
    let fit = fixes::FitFacts {
        server: p.server.implementation,
        cert: p.cert,
        environment: ctx.environment,
        clients: &ctx.clients,
        findings: &p.findings,
        predictions: &p.clients,
    };
    let verdict = p.verdict;
    let error_check = contradicted.or_else(|| match (&p.wire, &p.user) {
        (Some(report), Some(user)) => {
            crate::agreement::check(report, verdict, &user.context, &causes)
        }
        _ => None,
    });
    let first_fix = fixes::first(&mut causes, &fit, verdict);
    Judgement {
        security: p.security,
        server: p.server,
        diagnosis: Diagnosis {
            headline: headline(verdict, &causes, &p.findings),
            first_fix,
            error: p.user.map(|c| c.context),
            error_check,
            causes,
            clients: p.clients,
        },
        findings: p.findings,
        security_paths: p.security_paths,
        verdict,
    }
}

/// How far any client gets, when the evidence says.
fn furthest_stage(
    r: &ProbeReport,
    posture: Option<&SecurityPosture>,
    paths: &[SecurityPath],
) -> Option<rank::Stage> {
    use rank::Stage;
    if r.timings.ceiling_hit && r.negotiation.is_none() {
        return None;
    }
    let Some(p) = posture else {
        return r.tcp.as_ref().map(|t| match t.state {
            PortState::Open => Stage::Security,
            _ => Stage::Nothing,
        });
    };
    if p.selectable.is_empty() {
        // Refused everything: nobody gets anywhere. Some requests without an
        // answer: the evidence does not say.
        return if p.refuses_everything() {
            Some(Stage::Nothing)
        } else {
            None
        };
    }
    if paths.iter().any(|x| x.gets_through == Some(true)) {
        Some(Stage::Logon)
    } else if paths.iter().all(|x| x.gets_through == Some(false)) {
        Some(Stage::Security)
    } else {
        None
    }
}

/// A packet capture (`inspect CAPTURE`), with the host's state when it was
/// given too: the verdict is about the captured client's connection.
fn capture(
    cap: &rdpdoctor_evidence::CaptureEvidence,
    host: Option<crate::HostInput<'_>>,
    user: Option<Codes>,
    ctx: &Context,
) -> Judgement {
    let mut findings = crate::capture::derive(cap);
    if let Some(h) = host {
        findings.extend(host::derive(h.evidence, None, h.now_unix));
    }
    let verdict = crate::capture::verdict(cap, &findings);
    verdict::reconcile(&mut findings, verdict);
    let server = ServerIdentity {
        implementation: Implementation::Unknown,
        version: None,
        basis: vec!["a packet capture: the server is known by its answers only".to_owned()],
    };
    let headline = |verdict: Verdict, causes: &[RankedCause], _: &[Finding]| {
        crate::capture::headline(verdict, causes.first(), cap)
    };
    let mut j = finish(
        Parts::unprobed(server, findings, verdict, user),
        ctx,
        headline,
    );
    // A fix to try first where something is wrong: a failure, or the
    // warnings of a connection that got through (its certificate).
    if matches!(j.verdict, Verdict::Healthy | Verdict::Inconclusive) {
        j.diagnosis.first_fix = None;
    }
    j
}
