//! The judgement engine: evidence → findings → causes → verdict.
//!
//! One pure function, [`judge`], turns a [`ProbeReport`] (and what the user
//! told us, [`Context`]) into a [`Judgement`]: the security posture, the
//! server implementation, the findings, which client modes get through, what
//! each client profile will do, the ranked causes with the evidence for and
//! against each (with weights), and one verdict that the exit status follows.
//! No clock, no I/O. The finding → cause relation is KB data
//! (`rdpdoctor-kb/kb/causes.toml`), and the scoring constants are in
//! [`scoring`].
//!
//! Invariant: the report never contradicts itself. The verdict is derived
//! from the client predictions ([`verdict`]); a `fail` finding on which no
//! modelled client fails is a warning; a healthy host gets no "most likely
//! cause".

#![forbid(unsafe_code)]

pub mod clients;
pub mod context;
pub mod derive;
pub mod finding;
pub mod fixes;
pub mod host;
pub mod paths;
pub mod posture;
pub mod rank;
pub mod scoring;
pub mod server;
pub mod verdict;

use rdpdoctor_evidence::host::HostEvidence;
use rdpdoctor_evidence::{DeepOutcome, PortState, ProbeReport};
use serde::Serialize;

pub use clients::{ClientPrediction, Verdict as ClientVerdict};
pub use context::{ClientId, Context, Environment};
pub use finding::{Finding, FindingId, Qualifier, Severity};
pub use paths::SecurityPath;
pub use posture::{NlaBasis, NlaPolicy, SecurityLayer, SecurityPosture};
pub use rank::RankedCause;
pub use server::{Implementation, ServerIdentity};
pub use verdict::Verdict;

/// How well the evidence supports a cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Some evidence, or only the error code.
    Low,
    /// Several indications, or one strong one with something against it.
    Medium,
    /// The evidence shows this cause directly and nothing close competes.
    High,
}

impl Confidence {
    /// `low`, `medium` or `high`.
    pub fn name(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// The error the user saw, as decoded.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorContext {
    /// What the user gave.
    pub input: String,
    /// The codes recognised in it: the same objects `rdpdoctor explain` lists.
    pub codes: Vec<rdpdoctor_kb::ExplainedCode>,
}

/// The one thing to try first.
#[derive(Debug, Clone, Serialize)]
pub struct FirstFix {
    /// The cause it fixes.
    pub cause: String,
    /// The fix.
    pub fix: rdpdoctor_kb::Fix,
}

/// The diagnosis: why, and what to do.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    /// One sentence: the most likely cause, or that nothing is wrong.
    pub headline: String,
    /// The fix to try first, for this server and client; `None` when there
    /// is nothing to fix (or nothing the evidence supports).
    pub first_fix: Option<FirstFix>,
    /// The error the user saw, when given.
    pub error: Option<ErrorContext>,
    /// Causes, most likely first.
    pub causes: Vec<RankedCause>,
    /// What common clients will do against this host (only the ones the user
    /// named with `--client`, when they did).
    pub clients: Vec<ClientPrediction>,
}

/// Everything the engine concluded.
#[derive(Debug, Clone, Serialize)]
pub struct Judgement {
    /// The security posture, when the negotiation ran.
    pub security: Option<SecurityPosture>,
    /// The server implementation.
    pub server: ServerIdentity,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Which client security modes get through the security exchange.
    pub security_paths: Vec<SecurityPath>,
    /// The verdict; the exit status follows it.
    pub verdict: Verdict,
    /// Why, and what to do.
    pub diagnosis: Diagnosis,
}

impl Judgement {
    /// True when a finding with this id is present.
    pub fn has(&self, id: FindingId) -> bool {
        self.findings.iter().any(|f| f.id == id)
    }
}

/// Why the error hint could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadErrorHint(pub String);

impl std::fmt::Display for BadErrorHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Splits `--error` text (`0x904:0x7`, `0x904 0x7`, pasted text) into the
/// words `rdpdoctor explain` takes.
pub fn error_words(s: &str) -> Vec<String> {
    let looks_like_pair = !s.contains(' ') && s.matches(':').count() == 1;
    if looks_like_pair {
        s.split(':').map(str::to_owned).collect()
    } else {
        vec![s.to_owned()]
    }
}

/// Ranks the causes of a set of findings alone (no report: nothing is known
/// about how far a connection gets), with the user's error if given.
pub fn rank_findings(
    findings: &[Finding],
    error: Option<&str>,
) -> Result<Vec<RankedCause>, BadErrorHint> {
    let error = error
        .map(|text| {
            let ex = rdpdoctor_kb::explain(&error_words(text))
                .map_err(|e| BadErrorHint(e.to_string()))?;
            let ec = ErrorContext {
                input: text.to_owned(),
                codes: Vec::new(),
            };
            Ok::<_, BadErrorHint>((ec, ex))
        })
        .transpose()?;
    let reached = rank::Reached {
        furthest: None,
        logon_screen: false,
    };
    Ok(rank::rank(
        findings,
        error.as_ref().map(|(c, e)| (c, e)),
        &reached,
    ))
}

/// Judges a probe report.
pub fn judge(report: &ProbeReport, ctx: &Context) -> Result<Judgement, BadErrorHint> {
    judge_with_host(report, None, ctx)
}

/// The host side of the evidence: what `rdpdoctor inspect` read, and "now"
/// for the certificate dates and the event window (the engine has no clock).
#[derive(Debug, Clone, Copy)]
pub struct HostInput<'a> {
    /// The host evidence.
    pub evidence: &'a HostEvidence,
    /// Unix seconds.
    pub now_unix: i64,
}

/// Judges a probe report together with host evidence of the same machine
/// (`probe --host-evidence`): the verdict stays the wire's (what clients
/// do), and the host findings join the ranking of causes.
pub fn judge_with_host(
    report: &ProbeReport,
    host: Option<HostInput<'_>>,
    ctx: &Context,
) -> Result<Judgement, BadErrorHint> {
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
    let focus: Vec<ClientPrediction> = if ctx.clients.is_empty() {
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
    // A client that fails for lack of a common TLS version is evidence of its
    // own: the server-side TLS findings cannot say which client it hits.
    let no_tls: Vec<&ClientPrediction> = focus.iter().filter(|c| c.no_common_tls).collect();
    if !no_tls.is_empty() {
        let names: Vec<&str> = no_tls.iter().map(|c| c.name.as_str()).collect();
        let reason = no_tls[0].reason.clone();
        findings.push(Finding {
            id: FindingId::ClientTlsVersionUnsupported,
            severity: Severity::Fail,
            summary: format!("{} cannot connect: {reason}", names.join("; ")),
            qualifier: None,
            evidence: [(
                "clients".to_owned(),
                serde_json::json!(no_tls.iter().map(|c| &c.client).collect::<Vec<_>>()),
            )]
            .into_iter()
            .collect(),
        });
    }
    if let Some(h) = host {
        findings.extend(host::derive(h.evidence, Some(report), h.now_unix));
    }
    let verdict = verdict::derive(report, &focus);
    verdict::reconcile(&mut findings, verdict);

    let error = parse_error(ctx)?;
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
    let headline = |verdict: Verdict, causes: &[RankedCause], findings: &[Finding]| {
        wire_headline(verdict, causes.first(), findings, report)
    };
    Ok(finish(
        Parts {
            security: posture,
            server,
            findings,
            security_paths,
            verdict,
            clients: focus,
            cert,
            reached,
            error,
        },
        ctx,
        headline,
    ))
}

/// Judges host evidence alone (`rdpdoctor inspect`): no client was watched
/// connecting, so the verdict comes from what the host's state blocks.
pub fn judge_host(host: HostInput<'_>, ctx: &Context) -> Result<Judgement, BadErrorHint> {
    let h = host.evidence;
    let mut findings = host::derive(h, None, host.now_unix);
    let verdict = verdict::from_host(h, &findings);
    verdict::reconcile(&mut findings, verdict);
    let error = parse_error(ctx)?;
    let server = ServerIdentity {
        implementation: Implementation::Windows,
        version: h.identity.build.as_ref().map(|b| b.value.clone()),
        basis: vec!["host evidence: a Windows registry or event log".to_owned()],
    };
    let headline = |verdict: Verdict, causes: &[RankedCause], findings: &[Finding]| {
        host_headline(verdict, causes.first(), findings, h)
    };
    let mut j = finish(
        Parts {
            security: None,
            server,
            findings,
            security_paths: Vec::new(),
            verdict,
            clients: Vec::new(),
            cert: None,
            reached: rank::Reached {
                furthest: None,
                logon_screen: false,
            },
            error,
        },
        ctx,
        headline,
    );
    // Without the settings that say whether RDP is on, no fix is the one
    // to try first.
    if j.verdict == Verdict::Inconclusive {
        j.diagnosis.first_fix = None;
    }
    Ok(j)
}

type ParsedError = Option<(ErrorContext, rdpdoctor_kb::Explanation)>;

fn parse_error(ctx: &Context) -> Result<ParsedError, BadErrorHint> {
    match &ctx.error {
        None => Ok(None),
        Some(text) => {
            let ex = rdpdoctor_kb::explain(&error_words(text))
                .map_err(|e| BadErrorHint(e.to_string()))?;
            let ec = ErrorContext {
                input: text.clone(),
                codes: ex.codes.clone(),
            };
            Ok(Some((ec, ex)))
        }
    }
}

/// What [`finish`] needs from either kind of judgement.
struct Parts {
    security: Option<SecurityPosture>,
    server: ServerIdentity,
    findings: Vec<Finding>,
    security_paths: Vec<SecurityPath>,
    verdict: Verdict,
    clients: Vec<ClientPrediction>,
    cert: Option<rdpdoctor_kb::CertKind>,
    reached: rank::Reached,
    error: ParsedError,
}

/// Ranks the causes, orders their fixes, and writes the headline.
fn finish(
    p: Parts,
    ctx: &Context,
    headline: impl Fn(Verdict, &[RankedCause], &[Finding]) -> String,
) -> Judgement {
    let mut causes = rank::rank(
        &p.findings,
        p.error.as_ref().map(|(c, e)| (c, e)),
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
    let first_fix = fixes::first(&mut causes, &fit, verdict);
    Judgement {
        security: p.security,
        server: p.server,
        diagnosis: Diagnosis {
            headline: headline(verdict, &causes, &p.findings),
            first_fix,
            error: p.error.map(|(c, _)| c),
            causes,
            clients: p.clients,
        },
        findings: p.findings,
        security_paths: p.security_paths,
        verdict,
    }
}

fn wire_headline(
    verdict: Verdict,
    top: Option<&RankedCause>,
    findings: &[Finding],
    report: &ProbeReport,
) -> String {
    match (verdict, top) {
        (Verdict::Healthy, _) => match warnings(findings) {
            0 => "Healthy: every client connects; nothing wrong found from here.".to_owned(),
            n => format!(
                "Healthy: every client connects ({} to read).",
                plural(n, "warning")
            ),
        },
        (Verdict::WorksWithWarnings, Some(c)) => format!(
            "Clients connect after a prompt. Most likely: {} ({} confidence).",
            c.title,
            c.confidence.name()
        ),
        (Verdict::WorksWithWarnings, None) => format!(
            "Works, with warnings: every client connects, some only after a certificate prompt ({}).",
            plural(warnings(findings), "warning")
        ),
        (Verdict::Inconclusive, _) => format!(
            "Can't tell: the probe stopped at its {} ceiling before it learned enough (raise --ceiling).",
            report.limits.ceiling_secs()
        ),
        (_, Some(c)) => format!(
            "Most likely: {} ({} confidence).",
            c.title,
            c.confidence.name()
        ),
        (_, None) => "No known cause matches the evidence: see the findings.".to_owned(),
    }
}

fn host_headline(
    verdict: Verdict,
    top: Option<&RankedCause>,
    findings: &[Finding],
    h: &HostEvidence,
) -> String {
    match (verdict, top) {
        (Verdict::Inconclusive, _) => {
            "Can't tell: no Terminal Server settings were read (give the SYSTEM hive or a reg export of it); the findings show what the sources hold.".to_owned()
        }
        (Verdict::Healthy | Verdict::WorksWithWarnings, _) => {
            let read = verdict::host_coverage_text(h);
            match warnings(findings) {
                0 => format!("Nothing in the host's {read} stops RDP."),
                n => format!(
                    "Nothing in the host's {read} stops RDP ({} to read).",
                    plural(n, "warning")
                ),
            }
        }
        (_, Some(c)) => format!(
            "Most likely: {} ({} confidence).",
            c.title,
            c.confidence.name()
        ),
        (_, None) => "No known cause matches the host evidence: see the findings.".to_owned(),
    }
}

fn warnings(findings: &[Finding]) -> usize {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Warn)
        .count()
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
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
