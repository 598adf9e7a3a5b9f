//! The capture part of an `inspect CAPTURE` report, as sections every
//! format lays out (text, Markdown, HTML): the connections found (the one
//! the findings are about marked), that connection's conversation as the
//! capture shows it. Everything read from the file (cookies, SNI,
//! certificate names, addresses, the file's name) is as untrusted as server
//! text: it goes through [`crate::safe`] here, and the markup layouts
//! escape their own syntax on top.

use super::{Builder, Section};
use crate::safe::term_max;
use rdpdoctor_diagnose::Judgement;
use rdpdoctor_diagnose::Section as Sec;
use rdpdoctor_evidence::CaptureEvidence;
use rdpdoctor_evidence::capture::{AlertLevel, CaptureConnection, DetectedBy, Side};

/// What a capture cannot show, said under every capture report.
pub const CAPTURE_LIMITS: &str = "A capture shows what crossed the wire in the clear: inside TLS (CredSSP, the logon, the session) it shows sizes and who closed, never why.";

/// What a capture of the hop to an RD Gateway cannot show.
const GATEWAY_HOP_LIMITS: &str = "RD Gateway hop: HTTPS to the gateway. The gateway's HTTP answers (401, 403, the E_PROXY_* codes), the tunnel and the RDP connection to the target all run inside this TLS: the capture shows the handshake, the certificate, sizes and who closed, never the gateway's reason.";

/// The file's name, neutralised: what a capture report is about.
pub fn capture_subject(cap: &CaptureEvidence) -> String {
    let name = std::path::Path::new(&cap.file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| cap.file.clone());
    term_max(&name, 64)
}

/// `name (pcap, 658 packets, 2 RDP connection(s))`.
pub fn capture_title(cap: &CaptureEvidence) -> String {
    format!(
        "{} ({}, {} packets, {} RDP connection(s))",
        capture_subject(cap),
        term_max(&cap.format, 16),
        cap.packets,
        cap.connections.len()
    )
}

/// Notes about reading the file: where it was cut, connections not tracked.
pub fn capture_notes(cap: &CaptureEvidence) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(note) = &cap.note {
        notes.push(format!("note: {}", term_max(note, 200)));
    }
    if cap.connections_not_tracked > 0 {
        notes.push(format!(
            "{} more connection(s) not tracked (the table was full)",
            cap.connections_not_tracked
        ));
    }
    let hops = cap
        .connections
        .iter()
        .filter(|c| c.detected_by.is_some_and(|d| d.is_gateway()))
        .count();
    match &cap.gateway {
        Some(g) if hops == 0 => notes.push(format!(
            "no TLS connection to the RD Gateway {} (by its SNI or certificate) in the capture",
            term_max(g, 64)
        )),
        None if !cap.other_tls_server_names.is_empty() => {
            let names: Vec<String> = cap
                .other_tls_server_names
                .iter()
                .map(|n| term_max(n, 64))
                .collect();
            notes.push(format!(
                "TLS to port 443 (SNI {}): if one is your RD Gateway, run again with --gateway NAME",
                names.join(", ")
            ));
        }
        _ => {}
    }
    notes
}

/// The sections: `Connections` (one line per connection and RDP-UDP flow),
/// then the connection the findings are about with its conversation. Their
/// mark is the worst `capture-*` finding's.
pub fn capture_sections(cap: &CaptureEvidence, j: &Judgement) -> Vec<Section> {
    let mut d = Builder::new(j);
    let focus = cap.focus();
    let summary = format!(
        "{} RDP connection(s){}",
        cap.connections.len(),
        if cap.udp.is_empty() {
            String::new()
        } else {
            format!(", {} RDP-UDP flow(s)", cap.udp.len())
        }
    );
    // A gateway hop's findings are the RD Gateway section's: they mark
    // the connection they came from too.
    let gateway = if cap
        .connections
        .iter()
        .any(|c| c.detected_by.is_some_and(|d| d.is_gateway()))
    {
        &[Sec::Gateway][..]
    } else {
        &[]
    };
    d.stage_also(
        Sec::Capture,
        gateway,
        !cap.connections.is_empty() || !cap.udp.is_empty(),
        &summary,
    );
    rename_last(&mut d, "Connections");
    for (i, c) in cap.connections.iter().enumerate() {
        // The focus marked first, so that no layout takes the line for a
        // numbered list.
        let mark = if focus.is_some_and(|f| std::ptr::eq(f, c)) {
            "▶"
        } else {
            "·"
        };
        d.detail(&format!("{mark} #{} {}", i + 1, one_line(c)));
    }
    for u in &cap.udp {
        d.detail(&format!(
            "· RDP-UDP {} → {}: {} SYN(s), {}",
            term_max(&u.client, 48),
            term_max(&u.server, 48),
            u.syns,
            if u.syn_ack { "answered" } else { "no answer" }
        ));
    }
    if let Some((i, c)) = cap
        .connections
        .iter()
        .enumerate()
        .find(|(_, c)| focus.is_some_and(|f| std::ptr::eq(f, *c)))
    {
        d.stage_also(
            Sec::Capture,
            gateway,
            true,
            &format!(
                "{} → {}, the one the findings are about",
                term_max(&c.client, 48),
                term_max(&c.server, 48)
            ),
        );
        rename_last(&mut d, &format!("Focus #{}", i + 1));
        for line in details(c) {
            d.detail(&line);
        }
    }
    d.finish()
}

fn rename_last(d: &mut Builder<'_>, name: &str) {
    if let Some(s) = d.sections.last_mut() {
        s.name = name.to_owned();
    }
}

fn side(s: Side) -> &'static str {
    match s {
        Side::Client => "client",
        Side::Server => "server",
    }
}

/// One line about a connection: endpoints and how far it got.
fn one_line(c: &CaptureConnection) -> String {
    let mut parts = Vec::new();
    if let Some(d) = c.detected_by.filter(|d| d.is_gateway()) {
        parts.push(
            match (d, c.tls.as_ref().and_then(|t| t.server_name.as_deref())) {
                (DetectedBy::GatewaySni, Some(sni)) => {
                    format!("RD Gateway hop (SNI {})", term_max(sni, 64))
                }
                (DetectedBy::GatewayAddress, _) => "RD Gateway hop (by its address)".to_owned(),
                _ => "RD Gateway hop (by its certificate)".to_owned(),
            },
        );
    }
    if let Some(r) = &c.request {
        parts.push(format!("requested {}", r.requested.label()));
    }
    match &c.confirm {
        Some(cc) => match (&cc.failure, &cc.selected) {
            (Some(f), _) => parts.push(term_max(f, 40)),
            (None, Some(s)) => parts.push(format!("selected {}", s.label())),
            _ => {}
        },
        None if c.syn_refused() => parts.push("SYN refused".into()),
        None if c.tcp.syns > 0 && !c.tcp.syn_ack => parts.push("SYN unanswered".into()),
        None => {}
    }
    if let Some(t) = &c.tls {
        if let Some(a) = t.alerts.iter().find(|a| a.level == AlertLevel::Fatal) {
            parts.push(format!(
                "{} alert {}",
                side(a.from),
                term_max(&a.description, 32)
            ));
        } else if t.handshake_finished {
            parts.push("TLS done".into());
        }
    }
    if let Some(x) = c.tcp.closes.first() {
        parts.push(format!(
            "{} by {} after {}",
            x.kind.segment(),
            side(x.by),
            x.after.map_or("nothing", |m| m.name())
        ));
    }
    format!(
        "{} → {}: {}",
        term_max(&c.client, 48),
        term_max(&c.server, 48),
        parts.join(", ")
    )
}

/// The conversation of one connection, a line per fact.
fn details(c: &CaptureConnection) -> Vec<String> {
    let mut out = Vec::new();
    let t = &c.tcp;
    let rtt = t
        .rtt_ms
        .map(|r| format!(", RTT {r:.1} ms"))
        .unwrap_or_default();
    out.push(format!(
        "TCP: {} SYN(s), {}{rtt}; {} segments, {} retransmitted, {} gap(s){}",
        t.syns,
        if t.syn_ack { "answered" } else { "no SYN+ACK" },
        t.segments,
        t.retransmissions,
        t.gaps,
        if t.truncated { ", kept in part" } else { "" }
    ));
    if let Some(r) = &c.request {
        let user = r
            .mstshash
            .as_deref()
            .map(|u| format!(", mstshash {}", term_max(u, 64)))
            .unwrap_or_default();
        let cookie = match (&r.cookie, &r.mstshash) {
            (Some(k), None) => format!(", cookie {}", term_max(k, 80)),
            _ => String::new(),
        };
        out.push(format!(
            "Client asked: {} (flags {:#04x}){user}{cookie}",
            r.requested.label(),
            r.flags
        ));
    }
    if c.detected_by.is_some_and(|d| d.is_gateway()) {
        out.push(GATEWAY_HOP_LIMITS.to_owned());
    }
    if let Some(tls) = &c.tls {
        if !tls.client_versions.is_empty() {
            let sni = tls
                .server_name
                .as_deref()
                .map(|s| format!(", SNI {}", term_max(s, 64)))
                .unwrap_or_default();
            out.push(format!(
                "ClientHello: {}; {} cipher suites{sni}",
                term_max(&tls.client_versions.join(", "), 80),
                tls.client_cipher_suites.len()
            ));
        }
        if let Some(v) = &tls.server_version {
            out.push(format!(
                "ServerHello: {}, suite {}{}",
                term_max(v, 16),
                term_max(tls.cipher_suite.as_deref().unwrap_or("?"), 16),
                match tls.secure_renegotiation {
                    Some(false) => ", no renegotiation_info",
                    _ => "",
                }
            ));
        }
        if let Some(leaf) = tls.certificates.first() {
            out.push(format!(
                "Certificate: {} (issuer {}), until {}{}",
                term_max(&leaf.subject, 80),
                term_max(&leaf.issuer, 80),
                term_max(&leaf.not_after, 32),
                if leaf.expired { ", expired then" } else { "" }
            ));
        }
    }
    if let Some(s) = &c.standard_security {
        out.push(format!(
            "Standard RDP Security: level {}, method {}, {} certificate{}",
            term_max(s.encryption_level.as_deref().unwrap_or("?"), 32),
            term_max(s.encryption_method.as_deref().unwrap_or("?"), 32),
            term_max(s.certificate_type.as_deref().unwrap_or("no"), 16),
            s.key_bits
                .map(|b| format!(" ({b}-bit)"))
                .unwrap_or_default()
        ));
    }
    if let Some(s) = &c.standard_security
        && let Some(core) = &s.client_core
    {
        out.push(client_line(core, &s.client_encryption_methods));
    }
    for x in &t.closes {
        out.push(format!(
            "{} by the {} at {:.1} ms, after {}",
            x.kind.segment(),
            side(x.by),
            x.at_ms,
            x.after.map_or("nothing", |m| m.name())
        ));
    }
    for i in &t.icmp {
        out.push(format!("ICMP: {}", term_max(i, 80)));
    }
    out
}

/// The client as its Core Data names it: `Client: FROG-POND, build 6000
/// (Windows Vista), 1152×864, 32-bit colour, channels …, offers 128bit/…`.
fn client_line(
    core: &rdpdoctor_evidence::capture::CaptureClientCore,
    methods: &[String],
) -> String {
    let mut parts = Vec::new();
    if let Some(n) = &core.client_name {
        parts.push(term_max(n, 32));
    }
    match (core.client_build, &core.windows_release) {
        (Some(b), Some(r)) => parts.push(format!("build {b} ({})", term_max(r, 64))),
        (Some(b), None) => parts.push(format!("build {b} (not a Windows build we know)")),
        _ => {}
    }
    parts.push(format!("{}×{}", core.desktop_width, core.desktop_height));
    if let Some(d) = core.color_depth {
        parts.push(format!("{d}-bit colour"));
    }
    if !core.channels.is_empty() {
        let names: Vec<String> = core.channels.iter().map(|c| term_max(c, 8)).collect();
        parts.push(format!("channels {}", names.join(",")));
    }
    if !methods.is_empty() {
        let names: Vec<String> = methods.iter().map(|m| term_max(m, 8)).collect();
        parts.push(format!("offers {}", names.join("/")));
    }
    format!("Client (Core Data): {}", parts.join(", "))
}
