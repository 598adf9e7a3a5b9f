//! The RD Gateway path (`probe --gateway`) → findings in the section
//! [`Section::Gateway`](crate::finding::Section::Gateway), the verdict when
//! the path goes through a gateway, and the head line that names the hop
//! that fails. The gateway's certificate is judged apart from the target's.

use crate::facts::gateway::*;
use crate::finding::{Finding, FindingId, Severity};
use crate::rank::RankedCause;
use crate::verdict::Verdict;
use rdpdoctor_evidence::{GatewayEvidence, GatewayHop, GatewayHopKind, HopOutcome, ProbeReport};

/// [MS-TSGU 2.2.6] The statuses with a finding of their own, and what each says.
const STATUS_FINDINGS: [(&str, FindingId, &str); 4] = [
    (
        "E_PROXY_NAP_ACCESSDENIED",
        FindingId::GatewayCapDenied,
        "denies the user by its connection authorization policy (CAP)",
    ),
    (
        "E_PROXY_RAP_ACCESSDENIED",
        FindingId::GatewayRapDenied,
        "denies the target by its resource authorization policy (RAP)",
    ),
    (
        "E_PROXY_TS_CONNECTFAILED",
        FindingId::GatewayTargetUnreachable,
        "cannot connect to the target",
    ),
    (
        "E_PROXY_MAXCONNECTIONSREACHED",
        FindingId::GatewayMaxConnections,
        "has reached its connection limit",
    ),
];

/// The finding of the hop where the path stopped.
fn hop_finding(g: &GatewayEvidence, h: &GatewayHop) -> Finding {
    let at = format!("{}:{}", g.host, g.port);
    let scheme = g.auth.as_ref().map_or("NTLM", |a| a.scheme.header_name());
    let mut f = hop_finding_at(&at, scheme, h);
    if f.id == FindingId::GatewayHttpTransportAbsent {
        transport_fallback(&mut f, &at, g);
    }
    f
}

/// The HTTP transport is absent: what RPC over HTTP, the transport clients
/// fall back to, answered decides whether some clients still connect or
/// none does (neither of a gateway's transports is there).
fn transport_fallback(f: &mut Finding, at: &str, g: &GatewayEvidence) {
    let http = g.http_status.map(|s| s.to_string()).unwrap_or_default();
    match &g.rpc_over_http {
        Some(rpc) if rpc.answers() => {
            let schemes = if rpc.auth_schemes.is_empty() {
                String::new()
            } else {
                format!(", offering {}", rpc.auth_schemes.join(", "))
            };
            f.summary = format!(
                "The RD Gateway {at} answers RDG_OUT_DATA with {http}: it has no HTTP transport; \
                 RPC over HTTP answers ({}{schemes}): clients that fall back to it (mstsc) \
                 connect, clients held to the HTTP transport (FreeRDP /gt:http) fail",
                rpc.status.unwrap_or_default()
            );
        }
        Some(rpc) => {
            let rpc_said = match (rpc.status, &rpc.detail) {
                (Some(s), _) => s.to_string(),
                (None, Some(d)) => d.clone(),
                (None, None) => "nothing".into(),
            };
            f.id = FindingId::GatewayNoTransport;
            f.summary = format!(
                "The RD Gateway {at} answers RDG_OUT_DATA with {http} and RPC over HTTP with \
                 {rpc_said}: neither transport of an RD Gateway answers there (not a gateway, \
                 or its service is stopped or not published on this address)"
            );
        }
        None => {
            f.summary = format!(
                "The RD Gateway {at} answers RDG_OUT_DATA with {http}: it has no HTTP transport \
                 (whether RPC over HTTP, the transport clients fall back to, answers was not \
                 checked)"
            );
        }
    }
}

/// The finding of a hop to the gateway at `at` (`host:port`), from the
/// probe or from a capture of the user's own connection.
/// `scheme`: the HTTP authentication scheme the credentials went in.
pub(crate) fn hop_finding_at(at: &str, scheme: &str, h: &GatewayHop) -> Finding {
    use FindingId::*;
    let status = h.status_name.clone().unwrap_or_default();
    let detail = h.detail.clone().unwrap_or_default();
    let facts = GatewayHopFacts {
        hop: h.hop.name(),
        outcome: h.outcome,
        status: h.status.map(|s| format!("{s:#X}")),
        status_name: h.status.map(|_| status.clone()),
    };
    let fail = Severity::Fail;
    // The probe names each HRESULT by [MS-TSGU 2.2.6] (`E_PROXY_*`).
    let code = h.status_name.as_deref();
    match (h.hop, h.outcome) {
        (GatewayHopKind::Dns | GatewayHopKind::Tcp, _) => Finding::new(
            GatewayUnreachable,
            fail,
            format!("The RD Gateway {at} cannot be reached: {detail}"),
            &facts,
        ),
        (_, HopOutcome::NoAnswer) => Finding::new(
            GatewayNoAnswer,
            fail,
            format!(
                "The RD Gateway {at} gave no answer at {}: {detail}",
                h.hop.title()
            ),
            &facts,
        ),
        (GatewayHopKind::Tls, _) => Finding::new(
            GatewayTlsFailed,
            fail,
            format!("TLS with the RD Gateway {at} failed: {detail}"),
            &facts,
        ),
        (GatewayHopKind::Http, HopOutcome::Refused)
            if matches!(h.status, Some(403 | 404 | 410)) =>
        {
            Finding::new(
                GatewayHttpTransportAbsent,
                fail,
                format!(
                    "The RD Gateway {at} answers RDG_OUT_DATA with {status}: it has no HTTP \
                     transport, only RPC over HTTP"
                ),
                &facts,
            )
        }
        (GatewayHopKind::HttpAuth, HopOutcome::Refused) if h.status == Some(401) => Finding::new(
            GatewayAuthRefused,
            fail,
            format!("The RD Gateway {at} refuses the credentials (401 after {scheme})"),
            &facts,
        ),
        (_, HopOutcome::Refused) => {
            match STATUS_FINDINGS
                .iter()
                .find(|(name, _, _)| Some(*name) == code)
            {
                Some((_, id, what)) => Finding::new(
                    *id,
                    fail,
                    format!("The RD Gateway {at} {what} ({status})"),
                    &facts,
                ),
                None => Finding::new(
                    GatewayRefused,
                    fail,
                    format!(
                        "The RD Gateway {at} refused {} with {status}",
                        h.hop.title()
                    ),
                    &facts,
                ),
            }
        }
        _ => Finding::new(
            GatewayRefused,
            fail,
            format!("{} failed at the RD Gateway {at}: {detail}", h.hop.title()),
            &facts,
        ),
    }
}

/// The findings of an RD Gateway's certificate `c`, the gateway reached at
/// `at` by the name `name` (which `c` names or not, `name_matches`): its own
/// findings, never the session host's (mstsc offers no way past a bad
/// gateway certificate). The probe's gateway hop and a capture's use it.
pub(crate) fn certificate(
    at: &str,
    name: &str,
    c: &rdpdoctor_evidence::CertificateFacts,
    name_matches: Option<bool>,
    out: &mut Vec<Finding>,
) {
    let facts = || GatewayCertificateFacts {
        subject: &c.subject,
        not_after: &c.not_after,
        sha256_fingerprint: &c.sha256_fingerprint,
    };
    if c.expired || c.not_yet_valid {
        let when = if c.expired {
            format!("expired on {}", c.not_after)
        } else {
            format!("is not valid before {}", c.not_before)
        };
        out.push(Finding::new(
            FindingId::GatewayCertExpired,
            Severity::Fail,
            format!("The RD Gateway {at}'s certificate {when}: clients refuse the gateway"),
            &facts(),
        ));
    }
    if name_matches == Some(false) {
        out.push(Finding::new(
            FindingId::GatewayCertNameMismatch,
            Severity::Fail,
            format!("The RD Gateway's certificate does not name {name}"),
            &facts(),
        ));
    }
    if c.self_signed {
        out.push(Finding::new(
            FindingId::GatewayCertSelfSigned,
            Severity::Warn,
            format!(
                "The RD Gateway {at}'s certificate is self-signed: clients that do not trust \
                 it refuse the gateway"
            ),
            &facts(),
        ));
    }
}

/// Findings from the gateway path.
pub(crate) fn derive(g: &GatewayEvidence) -> Vec<Finding> {
    let mut out = Vec::new();
    let at = format!("{}:{}", g.host, g.port);
    if let Some(c) = &g.certificate {
        certificate(&at, &g.host, c, c.matches_target, &mut out);
    }
    if let Some(h) = g.failed_hop() {
        out.push(hop_finding(g, h));
    }
    if let Some(f) = negotiate_only(g, &at) {
        out.push(f);
    }
    if g.websocket == Some(false) {
        // A warning, not a failure: clients fall back to the legacy
        // transport ([MS-TSGU 3.3.5.1]; mstsc and FreeRDP do), which the
        // probe follows too; whether it carried the tunnel is said.
        let legacy = if g.channel_opened {
            "the legacy HTTP transport (RDG_OUT_DATA and RDG_IN_DATA) carried the tunnel"
        } else {
            "only the legacy HTTP transport (RDG_OUT_DATA and RDG_IN_DATA) is left"
        };
        out.push(Finding::new(
            FindingId::GatewayWebsocketRefused,
            Severity::Warn,
            format!("The RD Gateway {at} refuses the WebSocket transport: {legacy}"),
            &WebsocketRefusedFacts { websocket: false },
        ));
    }
    if let Some(u) = &g.udp {
        udp(&at, u, &mut out);
    }
    if g.channel_opened {
        out.push(Finding::new(
            FindingId::GatewayChannelOpened,
            Severity::Info,
            if g.target_probed {
                format!("The RD Gateway {at} opened a channel to the target")
            } else {
                format!(
                    "The RD Gateway {at} opened a channel to the target; the target itself was \
                     not probed through the gateway"
                )
            },
            &ChannelOpenedFacts {
                target_probed: g.target_probed,
            },
        ));
    }
    out
}

/// The UDP side channel ([MS-TSGU 1.3.3]): a warning at most, since a
/// session without it runs over the TCP path (mstsc falls back to it).
fn udp(at: &str, u: &rdpdoctor_evidence::UdpSideChannel, out: &mut Vec<Finding>) {
    use rdpdoctor_evidence::UdpOutcome;
    let facts = UdpSideChannelFacts {
        port: u.port,
        outcome: u.outcome,
        datagrams: u.datagrams,
        dtls_version: u.dtls_version.as_deref(),
    };
    let host = at.rsplit_once(':').map_or(at, |(h, _)| h);
    let why = match u.outcome {
        UdpOutcome::Reachable => {
            out.push(Finding::new(
                FindingId::GatewayUdpReachable,
                Severity::Info,
                format!(
                    "The RD Gateway's UDP side channel {host}:{} answers DTLS",
                    u.port
                ),
                &facts,
            ));
            return;
        }
        UdpOutcome::NotChecked => return,
        UdpOutcome::Refused => "the port is closed (ICMP port unreachable)".to_owned(),
        UdpOutcome::NotDtls => "what answers is not DTLS".to_owned(),
        UdpOutcome::NoAnswer => u.detail.clone().unwrap_or_else(|| "no answer".into()),
    };
    out.push(Finding::new(
        FindingId::GatewayUdpUnreachable,
        Severity::Warn,
        format!(
            "The RD Gateway {at} announces a UDP side channel on port {}, and no DTLS \
             answer comes from it: {why}. Sessions work over TCP without the UDP transport, slower on lossy links",
            u.port
        ),
        &facts,
    ));
}

/// `gateway-negotiate-only`: the 401 offers Negotiate ([RFC 4559]) and not
/// NTLM. mstsc authenticates with Negotiate (Kerberos, or NTLM inside
/// SPNEGO); FreeRDP 2 speaks only the `NTLM` scheme to a gateway (FreeRDP
/// issue 4881; Negotiate came with FreeRDP 3) and fails there.
fn negotiate_only(g: &GatewayEvidence, at: &str) -> Option<Finding> {
    let has = |s: &str| g.auth_schemes.iter().any(|o| o.eq_ignore_ascii_case(s));
    if !has("Negotiate") || has("NTLM") {
        return None;
    }
    let through = g.channel_opened || g.auth.is_some() && g.failed_hop().is_none();
    Some(Finding::new(
        FindingId::GatewayNegotiateOnly,
        Severity::Warn,
        format!(
            "The RD Gateway {at} offers only Negotiate, not NTLM: clients that speak only NTLM \
             to a gateway (FreeRDP 2.x) fail at its authentication{}",
            if through {
                "; the probe got through with Negotiate, as mstsc does"
            } else {
                ""
            }
        ),
        &NegotiateOnlyFacts {
            auth_schemes: &g.auth_schemes,
            scheme: g.auth.as_ref().map(|a| a.scheme),
        },
    ))
}

/// The head line's words for `gateway-negotiate-only`, short enough for
/// the head's width.
const NEGOTIATE_ONLY_HEAD: &str = "some clients fail at authentication at the gateway: it offers only Negotiate, which FreeRDP \
     2.x lacks.";

/// The verdict of a path through a gateway: the gateway decides first.
pub(crate) fn verdict(g: &GatewayEvidence, findings: &[Finding]) -> Verdict {
    let mine = |f: &&Finding| f.id.section() == crate::finding::Section::Gateway;
    let fails: Vec<&Finding> = findings
        .iter()
        .filter(mine)
        .filter(|f| f.severity == Severity::Fail)
        .collect();
    if fails.iter().any(|f| {
        matches!(
            f.id,
            FindingId::GatewayUnreachable | FindingId::GatewayNoAnswer
        )
    }) {
        return Verdict::Unreachable;
    }
    if fails
        .iter()
        .any(|f| f.id == FindingId::GatewayHttpTransportAbsent)
        && fails.len() == 1
    {
        // Clients that fall back to RPC over HTTP (mstsc by default) still connect.
        return Verdict::SomeClientsFail;
    }
    if !fails.is_empty() {
        return Verdict::NoClientConnects;
    }
    if g.channel_opened {
        // mstsc gets through; FreeRDP 2 does not (NTLM only to a gateway).
        if findings
            .iter()
            .any(|f| f.id == FindingId::GatewayNegotiateOnly)
        {
            return Verdict::SomeClientsFail;
        }
        let warns = findings
            .iter()
            .filter(mine)
            .any(|f| f.severity == Severity::Warn);
        return if warns {
            Verdict::WorksWithWarnings
        } else {
            Verdict::Healthy
        };
    }
    Verdict::Inconclusive
}

/// The head line: which hop fails, or how far the path got.
pub(crate) fn headline(
    g: &GatewayEvidence,
    verdict: Verdict,
    top: Option<&RankedCause>,
    findings: &[Finding],
) -> String {
    let at = format!("{}:{}", g.host, g.port);
    let cause = top
        .map(|c| format!(" Most likely cause: {}.", c.title))
        .unwrap_or_default();
    let cert = findings.iter().find(|f| {
        matches!(
            f.id,
            FindingId::GatewayCertExpired | FindingId::GatewayCertNameMismatch
        )
    });
    if let Some(h) = g.failed_hop() {
        let word = match h.outcome {
            HopOutcome::NoAnswer => "gets no answer",
            HopOutcome::Refused => "is refused",
            _ => "fails",
        };
        let status = h
            .status_name
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        return format!(
            "Through the RD Gateway {at}, the hop that fails is {}: it {word}{status}.{cause}",
            h.hop.title()
        );
    }
    if let Some(f) = cert {
        return format!(
            "Through the RD Gateway {at}, the hop that fails is the gateway's certificate: {}.{cause}",
            f.summary
        );
    }
    if g.channel_opened
        && findings
            .iter()
            .any(|f| f.id == FindingId::GatewayNegotiateOnly)
    {
        return format!(
            "Through the RD Gateway {at}, {NEGOTIATE_ONLY_HEAD} The target itself was not probed \
             through the gateway."
        );
    }
    match verdict {
        Verdict::Healthy | Verdict::WorksWithWarnings => format!(
            "The RD Gateway {at} lets you through: it opened a channel to the target. The target \
             itself was not probed through the gateway."
        ),
        _ if g.websocket == Some(false) => format!(
            "The RD Gateway {at} authenticates you but offers only the legacy HTTP transport, \
             and no channel to the target opened over it; the target was not checked."
        ),
        _ => format!(
            "The RD Gateway {at} answers and offers {}; give --user to follow the tunnel to the \
             target.",
            if g.auth_schemes.is_empty() {
                "no authentication scheme".to_owned()
            } else {
                g.auth_schemes.join(", ")
            }
        ),
    }
}

/// The target's security paths when it was reached only through a gateway:
/// unknown, each saying why.
pub(crate) fn paths_not_probed(paths: Vec<crate::SecurityPath>) -> Vec<crate::SecurityPath> {
    paths
        .into_iter()
        .map(|p| crate::SecurityPath {
            gets_through: None,
            reason: "not probed: the target was reached only through the RD Gateway".to_owned(),
            ..p
        })
        .collect()
}

/// Through the channel ([MS-TSGU 2.2.10.6]): the target's own answers to
/// the X.224 requests sent through the gateway. None was RDP: the gateway
/// lets the user through, and the target (or the gateway's relay) does not
/// answer.
pub(crate) fn derive_through(g: &GatewayEvidence, report: &ProbeReport) -> Vec<Finding> {
    let Some(neg) = report.negotiation.as_ref().filter(|_| g.target_probed) else {
        return Vec::new();
    };
    let rdp = neg.attempts.iter().any(|a| a.outcome.is_rdp_answer());
    if rdp || neg.attempts.is_empty() {
        return Vec::new();
    }
    let at = format!("{}:{}", g.host, g.port);
    let why = g
        .channel_end
        .clone()
        .or_else(|| neg.attempts.first().map(|a| a.outcome.to_string()))
        .unwrap_or_default();
    let facts = TargetNoRdpFacts {
        target_probed: true,
        channel_end: g.channel_end.as_deref(),
    };
    vec![Finding::new(
        FindingId::GatewayTargetNoRdp,
        Severity::Fail,
        format!(
            "The RD Gateway {at} opened a channel to the target, but no RDP answer came back \
             through it: {why}"
        ),
        &facts,
    )]
}

/// The verdict of a path through a gateway that reached the target: the
/// gateway's, unless it let the user through; then the target's own, as a
/// direct probe would judge it, or worse.
pub(crate) fn verdict_through(
    g: &GatewayEvidence,
    report: &ProbeReport,
    findings: &[Finding],
    clients: &[crate::clients::ClientPrediction],
) -> Verdict {
    // No RDP answer through an open channel: as a direct probe of a port
    // that answers nothing RDP, unreachable.
    if findings
        .iter()
        .any(|f| f.id == FindingId::GatewayTargetNoRdp)
    {
        return Verdict::Unreachable;
    }
    let gateway = verdict(g, findings);
    let lets_through = matches!(
        gateway,
        Verdict::Healthy | Verdict::WorksWithWarnings | Verdict::SomeClientsFail
    ) && g.channel_opened;
    if !g.target_probed || !lets_through {
        return gateway;
    }
    match crate::verdict::derive(report, clients) {
        Verdict::Healthy => gateway,
        // Some clients fail at the gateway (Negotiate only): the target's
        // own verdict only when it is worse.
        Verdict::WorksWithWarnings if gateway == Verdict::SomeClientsFail => gateway,
        target => target,
    }
}

/// The head line once the target was probed through the gateway and the
/// gateway let the user through: the target's, said to be through it.
pub(crate) fn headline_through(
    g: &GatewayEvidence,
    verdict: Verdict,
    top: Option<&RankedCause>,
    findings: &[Finding],
    report: &ProbeReport,
) -> String {
    let gateway_fails = g.failed_hop().is_some()
        || findings.iter().any(|f| {
            f.id.section() == crate::finding::Section::Gateway
                && f.severity == Severity::Fail
                && f.id != FindingId::GatewayTargetNoRdp
        });
    if !g.target_probed || gateway_fails {
        return headline(g, verdict, top, findings);
    }
    let at = format!("{}:{}", g.host, g.port);
    if let Some(f) = findings
        .iter()
        .find(|f| f.id == FindingId::GatewayTargetNoRdp)
    {
        let cause = top
            .map(|c| format!(" Most likely cause: {}.", c.title))
            .unwrap_or_default();
        return format!(
            "Through the RD Gateway {at}, the hop that fails is the target itself: {}.{cause}",
            f.summary
        );
    }
    if verdict == Verdict::SomeClientsFail
        && findings
            .iter()
            .any(|f| f.id == FindingId::GatewayNegotiateOnly)
    {
        return format!("Through the RD Gateway {at}, {NEGOTIATE_ONLY_HEAD}");
    }
    let target = crate::headline::wire_headline(verdict, top, findings, report);
    // The gateway let the user through: a failure now is the target's own
    // (its logon refusal included: the gateway accepted the same credentials).
    if verdict.is_failing() {
        return format!(
            "Through the RD Gateway {at}, the hop that fails is the target itself: {target}"
        );
    }
    format!("Through the RD Gateway {at} (it opened a channel to the target): {target}")
}
