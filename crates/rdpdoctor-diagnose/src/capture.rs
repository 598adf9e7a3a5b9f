//! A packet capture's connections (`inspect CAPTURE`) → findings, in the
//! Capture section. The findings are about one connection: the first that
//! failed, else the first ([`CaptureEvidence::focus`]); the others are
//! counted in the headline. A capture shows only what crossed the wire in the
//! clear: inside TLS (CredSSP, the logon) it shows sizes and who closed,
//! never why, and the findings say so.

mod gateway_hop;

use crate::derive::SLOW_SERVER_MS;
use crate::facts::capture::*;
use crate::posture::SSL_CERT_NOT_ON_SERVER;
use rdpdoctor_evidence::CaptureEvidence;
use rdpdoctor_evidence::Protocol;
use rdpdoctor_evidence::capture::{AlertLevel, CaptureConnection, CloseKind, MessageKind, Side};

use crate::finding::{Finding, FindingId, Severity};
use crate::rank::RankedCause;
use crate::verdict::Verdict;

/// [MS-RDPBCGR 2.2.1.2.2] failureCode SSL_REQUIRED_BY_SERVER.
const SSL_REQUIRED_BY_SERVER: u32 = 1;
/// HYBRID_REQUIRED_BY_SERVER.
const HYBRID_REQUIRED_BY_SERVER: u32 = 5;
/// Retransmitted segments above this share of all are worth a warning.
const RETRANSMISSION_WARN: f64 = 0.05;
/// ... counted only over at least this many segments,
const RETRANSMISSION_MIN_SEGMENTS: u64 = 20;
/// ... and only from this many retransmitted segments: a short connection's
/// two or three tail-loss probes (RFC 8985 7) are a busy receiver, not a
/// lossy path (measured: 3 of 40 on loopback under load).
const RETRANSMISSION_MIN_COUNT: u64 = 5;

/// Every finding of a capture: its focus connection's, and RDP-UDP's.
pub fn derive(cap: &CaptureEvidence) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(c) = cap.focus() {
        connection(c, &mut out);
    }
    for u in cap.udp.iter().filter(|u| !u.syn_ack) {
        out.push(Finding::new(
            FindingId::CaptureUdpUnanswered,
            Severity::Warn,
            format!(
                "The client's {} RDP-UDP SYN datagram(s) to {} got no answer: the UDP transport is blocked or off, and the session stays on TCP",
                u.syns, u.server
            ),
            &UdpUnansweredFacts {
                connection: ConnectionEndpoints {
                    client: &u.client,
                    server: &u.server,
                },
            },
        ));
    }
    out
}

/// The first close by the server (or by either side) and what it followed.
fn server_close(c: &CaptureConnection) -> Option<&rdpdoctor_evidence::capture::CaptureClose> {
    c.tcp.closes.iter().find(|x| x.by == Side::Server)
}

fn connection(c: &CaptureConnection, out: &mut Vec<Finding>) {
    if c.detected_by.is_some_and(|d| d.is_gateway()) {
        gateway_hop::findings(c, out);
        return;
    }
    let t = &c.tcp;
    // A reset instead of a SYN+ACK is an answer: the probe's port-closed
    // ("connection refused"), not silence.
    if c.syn_refused() {
        out.push(Finding::new(
            FindingId::CaptureSynRefused,
            Severity::Fail,
            format!(
                "The client's SYN to {} was answered with a reset: nothing listens on that port (the service is stopped or listens elsewhere), or a firewall set to reject refuses it",
                c.server
            ),
            &SynRefusedFacts {
                connection: ConnectionEndpoints::of(c),
                syns: t.syns,
            },
        ));
    } else if t.syns > 0 && !t.syn_ack {
        out.push(Finding::new(
            FindingId::CaptureSynUnanswered,
            Severity::Fail,
            format!(
                "The client sent {} SYN(s) to {} and got no answer in the capture: something on the path drops them (a firewall), or the host is off",
                t.syns, c.server
            ),
            &SynUnansweredFacts {
                connection: ConnectionEndpoints::of(c),
                syns: t.syns,
            },
        ));
    }
    if let Some(icmp) = t.icmp.first() {
        out.push(Finding::new(
            FindingId::CaptureIcmpError,
            Severity::Fail,
            format!(
                "An ICMP error came back for the connection to {}: {icmp}",
                c.server
            ),
            &IcmpErrorFacts {
                connection: ConnectionEndpoints::of(c),
                icmp: &t.icmp,
            },
        ));
    }
    if let Some(waited) = c.request_unanswered_ms() {
        let first = c.tcp.closes.first();
        out.push(Finding::new(
            FindingId::CaptureRequestUnanswered,
            Severity::Fail,
            format!(
                "The server accepted the connection and sent nothing for {:.1} s after the client's Connection Request, until the {} closed it: the listener takes connections it never serves (saturated, hung, or held by a filter)",
                waited / 1000.0,
                if first.is_some_and(|x| x.by == Side::Server) { "server" } else { "client" }
            ),
            &RequestUnansweredFacts {
                connection: ConnectionEndpoints::of(c),
                waited_ms: waited,
                close: first,
            },
        ));
    } else if c.confirm.is_none()
        && c.request.is_some()
        && let Some(x) = server_close(c)
    {
        out.push(Finding::new(
            FindingId::CaptureResetBeforeConfirm,
            Severity::Fail,
            format!(
                "The server {} the connection after the client's Connection Request, before any RDP answer",
                if x.kind == CloseKind::Rst { "reset" } else { "closed" }
            ),
            &CaptureCloseFacts {
                connection: ConnectionEndpoints::of(c),
                close: x,
            },
        ));
    }
    negotiation(c, out);
    slow_answer(c, out);
    client_refusal(c, out);
    tls(c, out);
    certificate(c, out);
    if c.closed_after_credssp() {
        let tls = c.tls.as_ref();
        out.push(Finding::new(
            FindingId::CaptureClosedAfterCredssp,
            Severity::Fail,
            "The server closed the connection right after the CredSSP exchange inside TLS: the logon was refused (wrong user name or password, or an account or policy refusal; the reason is encrypted and not in the capture)".into(),
            &ClosedAfterCredsspFacts {
                connection: ConnectionEndpoints::of(c),
                client_records: tls.map(|t| t.client_application_records),
                server_records: tls.map(|t| t.server_application_records),
            },
        ));
    }
    retransmissions(c, out);
}

/// Many segments sent again on a path that can lose them.
fn retransmissions(c: &CaptureConnection, out: &mut Vec<Finding>) {
    let t = &c.tcp;
    if t.segments >= RETRANSMISSION_MIN_SEGMENTS
        && t.retransmissions >= RETRANSMISSION_MIN_COUNT
        && !on_loopback(c)
    {
        let rate = t.retransmissions as f64 / t.segments as f64;
        if rate > RETRANSMISSION_WARN {
            out.push(Finding::new(
                FindingId::CaptureRetransmissions,
                Severity::Warn,
                format!(
                    "{:.0}% of the segments were sent again ({} of {}): the path loses packets",
                    rate * 100.0,
                    t.retransmissions,
                    t.segments
                ),
                &RetransmissionFacts {
                    connection: ConnectionEndpoints::of(c),
                    retransmissions: t.retransmissions,
                    segments: t.segments,
                },
            ));
        }
    }
}

fn negotiation(c: &CaptureConnection, out: &mut Vec<Finding>) {
    let Some(cc) = &c.confirm else { return };
    let Some(code) = cc.failure_code else { return };
    let requested = c
        .request
        .as_ref()
        .map(|r| r.requested.label())
        .unwrap_or_else(|| "?".into());
    let name = cc.failure.clone().unwrap_or_else(|| format!("{code:#x}"));
    let facts = NegotiationRefusalFacts {
        connection: ConnectionEndpoints::of(c),
        requested: requested.clone(),
        failure: name.clone(),
    };
    let (id, summary) = match code {
        HYBRID_REQUIRED_BY_SERVER => (
            FindingId::CaptureNlaRequired,
            format!(
                "The client requested {requested} without NLA and the server answered HYBRID_REQUIRED_BY_SERVER: it requires Network Level Authentication, which this client has switched off (.rdp enablecredsspsupport:i:0, FreeRDP /sec:rdp or /sec:tls)"
            ),
        ),
        SSL_CERT_NOT_ON_SERVER => (
            FindingId::CaptureSslCertNotOnServer,
            format!(
                "The client requested {requested} and the server answered SSL_CERT_NOT_ON_SERVER: it has no usable certificate for TLS (missing, or its private key unreadable)"
            ),
        ),
        SSL_REQUIRED_BY_SERVER => (
            FindingId::CaptureSslRequired,
            format!(
                "The client requested {requested} and the server answered SSL_REQUIRED_BY_SERVER: it requires TLS, which this client did not offer (FreeRDP /sec:rdp)"
            ),
        ),
        _ => (
            FindingId::CaptureNegotiationRefused,
            format!("The client requested {requested} and the server refused it with {name}"),
        ),
    };
    out.push(Finding::new(id, Severity::Fail, summary, &facts));
}

/// The server's Connection Confirm came more than [`SLOW_SERVER_MS`] after
/// the client's request: the probe's `slow-server` bar, timed the same way
/// (one round trip and the server's time).
fn slow_answer(c: &CaptureConnection, out: &mut Vec<Finding>) {
    let at = |from: Side, name: MessageKind| {
        c.messages
            .iter()
            .find(|m| m.from == from && m.name == name)
            .map(|m| m.at_ms)
    };
    let (Some(asked), Some(answered)) = (
        at(Side::Client, MessageKind::X224ConnectionRequest),
        at(Side::Server, MessageKind::X224ConnectionConfirm),
    ) else {
        return;
    };
    let answer_ms = answered - asked;
    if answer_ms > SLOW_SERVER_MS {
        out.push(Finding::new(
            FindingId::CaptureSlowAnswer,
            Severity::Warn,
            format!(
                "The server took {:.1} s to answer the client's Connection Request (round trip {}): the RDP service is slow (busy listener, overload, or an inspecting filter)",
                answer_ms / 1000.0,
                c.tcp
                    .rtt_ms
                    .map_or("unknown".to_owned(), |r| format!("{r:.1} ms"))
            ),
            &SlowAnswerFacts {
                connection: ConnectionEndpoints::of(c),
                answer_ms,
                rtt_ms: c.tcp.rtt_ms,
            },
        ));
    }
}

/// Both ends on the loopback interface: no network path to lose packets.
fn on_loopback(c: &CaptureConnection) -> bool {
    let lo = |a: &str| {
        a.parse::<std::net::SocketAddr>()
            .is_ok_and(|a| a.ip().is_loopback())
    };
    lo(&c.client) && lo(&c.server)
}

/// The client closed right after the server's Connection Confirm, before
/// any byte of the protocol selected ([`CaptureConnection::client_closed_after_confirm`]):
/// it refused the selection. Standard RDP Security for a client that asked
/// for TLS or NLA, or TLS for one that asked for NLA ([MS-RDPBCGR 3.3.5.3.1]:
/// the server picks one of the requested protocols, or PROTOCOL_RDP).
fn client_refusal(c: &CaptureConnection, out: &mut Vec<Finding>) {
    let Some(close) = c.client_closed_after_confirm() else {
        return;
    };
    let (Some(request), Some(selected)) = (
        c.request.as_ref(),
        c.confirm
            .as_ref()
            .and_then(|cc| cc.selected.as_ref())
            .and_then(|s| s.single()),
    ) else {
        return;
    };
    let asked = &request.requested;
    let wanted_nla = asked.contains(Protocol::Hybrid) || asked.contains(Protocol::HybridEx);
    let wanted_tls = wanted_nla || asked.contains(Protocol::Ssl);
    let (id, summary) = match selected {
        Protocol::Rdp if wanted_tls => (
            FindingId::CaptureClientRefusedRdpSecurity,
            format!(
                "The client requested {} and the server selected Standard RDP Security (PROTOCOL_RDP); the client closed the connection at once: it will not use the old RDP security layer, and the server offers nothing else",
                asked.label()
            ),
        ),
        Protocol::Ssl if wanted_nla => (
            FindingId::CaptureClientInsistsOnNla,
            format!(
                "The client requested {} and the server selected TLS without NLA (PROTOCOL_SSL); the client closed the connection at once: it insists on Network Level Authentication (FreeRDP /sec:nla, a client policy), which the server does not offer",
                asked.label()
            ),
        ),
        _ => return,
    };
    out.push(Finding::new(
        id,
        Severity::Fail,
        summary,
        &ClientRefusalFacts {
            connection: ConnectionEndpoints::of(c),
            requested: asked.label(),
            selected: selected
                .spec_name()
                .trim_start_matches("PROTOCOL_")
                .to_owned(),
            close,
        },
    ));
}

fn tls(c: &CaptureConnection, out: &mut Vec<Finding>) {
    let Some(tls) = &c.tls else { return };
    if c.hello_unanswered()
        && let Some(x) = c
            .tcp
            .closes
            .iter()
            .find(|x| x.kind == CloseKind::Rst && x.after == Some(MessageKind::TlsClientHello))
    {
        out.push(Finding::new(
            FindingId::CaptureResetAfterClientHello,
            Severity::Fail,
            format!(
                "The connection was reset (by the {}) right after the client's TLS ClientHello, with no ServerHello: something between or on the machines (endpoint protection, TLS inspection) kills the handshake",
                if x.by == Side::Server { "server's side" } else { "client's side" }
            ),
            &CaptureCloseFacts {
                connection: ConnectionEndpoints::of(c),
                close: x,
            },
        ));
    }
    let fatal = tls.alerts.iter().find(|a| a.level == AlertLevel::Fatal);
    if let Some(a) = fatal {
        let legacy_only = !tls.client_versions.is_empty()
            && tls
                .client_versions
                .iter()
                .all(|v| matches!(v.as_str(), "ssl3" | "tls1.0" | "tls1.1"));
        let who = if a.from == Side::Server {
            "server"
        } else {
            "client"
        };
        // The server chose a legacy version the client offered but will not
        // use (OpenSSL 3 at its default level: xfreerdp aborts after the
        // ServerHello with internal_error or protocol_version).
        let server_legacy = a.from == Side::Client
            && matches!(
                tls.server_version.as_deref(),
                Some("tls1.0" | "tls1.1" | "ssl3")
            )
            && tls
                .client_versions
                .iter()
                .any(|v| v == "tls1.2" || v == "tls1.3");
        if server_legacy {
            let chosen = tls.server_version.clone().unwrap_or_default();
            out.push(Finding::new(
                FindingId::CaptureServerTlsLegacy,
                Severity::Fail,
                format!(
                    "The server chose {chosen} and the client ended the handshake with the alert {}: the client refuses legacy TLS and the server offers nothing newer (enable TLS 1.2 on the server)",
                    a.description
                ),
                &TlsVersionRefusalFacts {
                    connection: ConnectionEndpoints::of(c),
                    client_versions: &tls.client_versions,
                    alert: &a.description,
                    alert_from: a.from,
                },
            ));
        } else if a.description == "protocol_version" || (legacy_only && a.from == Side::Server) {
            let offered = tls.client_versions.join(", ");
            out.push(Finding::new(
                FindingId::CaptureTlsVersionMismatch,
                Severity::Fail,
                format!(
                    "The client offered TLS versions {offered} and the {who} ended the handshake with the alert {}: no TLS version in common{}",
                    a.description,
                    if legacy_only {
                        " (the client offers only legacy TLS: update it so it offers TLS 1.2)"
                    } else {
                        ""
                    }
                ),
                &TlsVersionRefusalFacts {
                    connection: ConnectionEndpoints::of(c),
                    client_versions: &tls.client_versions,
                    alert: &a.description,
                    alert_from: a.from,
                },
            ));
        } else {
            out.push(Finding::new(
                FindingId::CaptureTlsAlert,
                Severity::Fail,
                format!(
                    "The {who} ended the TLS handshake with the alert {}",
                    a.description
                ),
                &TlsAlertFacts {
                    connection: ConnectionEndpoints::of(c),
                    alert: &a.description,
                    alert_from: a.from,
                },
            ));
        }
    }
}

/// The server's certificate in the clear (its leaf), judged by the same
/// function as the probe's: the same findings with the same evidence (about
/// the focus connection, which the report names), hence the same causes;
/// the name the client asked for is its SNI.
/// On the hop to an RD Gateway the certificate is the gateway's, judged as
/// the probe's gateway hop judges it (its own findings and cause).
fn certificate(c: &CaptureConnection, out: &mut Vec<Finding>) {
    let Some(tls) = &c.tls else { return };
    let Some(leaf) = tls.certificates.first() else {
        return;
    };
    if c.detected_by.is_some_and(|d| d.is_gateway()) {
        let name = tls.server_name.as_deref().unwrap_or(&c.server);
        let matches = tls.server_name.as_deref().map(|n| leaf.matches_host(n));
        crate::gateway::certificate(&c.server, name, leaf, matches, out);
        return;
    }
    let seen = crate::certificate::Seen {
        target: tls
            .server_name
            .as_deref()
            .map(|name| (name, leaf.matches_host(name))),
        clock_skew_seconds: None,
        by: "the capture",
        strict_client_refused: false,
    };
    crate::certificate::findings(leaf, seen, out);
}

/// The verdict of a capture: about the client that was captured.
pub fn verdict(cap: &CaptureEvidence, findings: &[Finding]) -> Verdict {
    let Some(c) = cap.focus() else {
        return Verdict::Inconclusive;
    };
    let fails = findings.iter().any(|f| f.severity == Severity::Fail);
    if c.tcp.syns > 0 && !c.tcp.syn_ack {
        // Nothing gets through the path the client took (`unreachable` is the
        // probe's word for a server it could not reach itself).
        Verdict::NoClientConnects
    } else if fails {
        Verdict::SomeClientsFail
    } else if c.went_on() {
        // Through, after a certificate prompt: as the probe says of such a
        // server (clients connect after a prompt), with the cause to read,
        // never "healthy" beside it; so too through a slow or lossy
        // connection. RDP-UDP unanswered leaves the session on TCP: healthy.
        let warned =
            |f: &Finding| f.severity == Severity::Warn && f.id != FindingId::CaptureUdpUnanswered;
        if findings
            .iter()
            .any(|f| crate::clients::CERTIFICATE_PROMPTS.contains(&f.id) || warned(f))
        {
            Verdict::WorksWithWarnings
        } else {
            Verdict::Healthy
        }
    } else {
        Verdict::Inconclusive
    }
}

/// The head line: which connection, then the answer.
pub fn headline(verdict: Verdict, top: Option<&RankedCause>, cap: &CaptureEvidence) -> String {
    let n = cap.connections.len();
    let Some(c) = cap.focus() else {
        let unanswered = cap.udp.iter().filter(|u| !u.syn_ack).count();
        return match cap.udp.len() {
            0 => "No RDP connection in the capture: nothing to judge.".to_owned(),
            n => format!(
                "No RDP connection over TCP in the capture; {n} RDP-UDP flow(s), {unanswered} unanswered."
            ),
        };
    };
    let which = if n > 1 {
        format!(
            "{} → {} ({} of {n} connections)",
            c.client,
            c.server,
            cap.connections
                .iter()
                .position(|x| std::ptr::eq(x, c))
                .map_or(1, |i| i + 1)
        )
    } else {
        format!("{} → {}", c.client, c.server)
    };
    match (verdict, top) {
        (Verdict::WorksWithWarnings, Some(cause)) => format!(
            "{which}: got through as far as a capture shows, with warnings. Most likely: {} ({} confidence).",
            cause.title,
            cause.confidence.name()
        ),
        (Verdict::Healthy | Verdict::WorksWithWarnings, _) => {
            format!("{which}: got through as far as a capture shows (inside TLS is not visible).")
        }
        (Verdict::Inconclusive, _) => {
            format!("{which}: the capture does not show why (inside TLS is not visible).")
        }
        (_, Some(cause)) => format!(
            "{which} failed. Most likely: {} ({} confidence).",
            cause.title,
            cause.confidence.name()
        ),
        (_, None) => format!("{which} failed: no known cause matches, see the findings."),
    }
}
