//! The terminal report of `rdpdoctor inspect CAPTURE`: the file, one line
//! per RDP connection (the one the findings are about marked), that
//! connection's conversation as the capture shows it, and what a capture
//! cannot show. Everything read from the file (cookies, SNI, certificate
//! names, the file name itself) is as untrusted as server text: it goes
//! through [`crate::safe`].

use std::fmt::Write;

use crate::Style;
use crate::safe::term_max;
use rdpdoctor_diagnose::Judgement;
use rdpdoctor_evidence::CaptureEvidence;
use rdpdoctor_evidence::capture::{CaptureConnection, Side};

/// What an inspect report of a capture is called: the file's name.
pub fn subject(cap: &CaptureEvidence) -> String {
    let name = std::path::Path::new(&cap.file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| cap.file.clone());
    term_max(&name, 64)
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
    if let Some(r) = &c.request {
        parts.push(format!("requested {}", r.requested.label()));
    }
    match &c.confirm {
        Some(cc) => match (&cc.failure, &cc.selected) {
            (Some(f), _) => parts.push(term_max(f, 40)),
            (None, Some(s)) => parts.push(format!("selected {}", s.label())),
            _ => {}
        },
        None if c.tcp.syns > 0 && !c.tcp.syn_ack => parts.push("SYN unanswered".into()),
        None => {}
    }
    if let Some(t) = &c.tls {
        if let Some(a) = t.alerts.iter().find(|a| a.level == "fatal") {
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
            x.kind.to_uppercase(),
            side(x.by),
            x.after.as_deref().unwrap_or("nothing")
        ));
    }
    format!(
        "{} → {}: {}",
        term_max(&c.client, 48),
        term_max(&c.server, 48),
        parts.join(", ")
    )
}

/// The capture part of a report, without the head and the diagnosis; the
/// findings too unless another part lists them (`with_findings`).
pub fn capture_report(
    cap: &CaptureEvidence,
    j: &Judgement,
    with_findings: bool,
    style: &Style,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({}, {} packets, {} RDP connection(s))",
        style.bold("rdpdoctor inspect"),
        subject(cap),
        cap.format,
        cap.packets,
        cap.connections.len()
    );
    if let Some(note) = &cap.note {
        let _ = writeln!(out, "  note: {}", crate::safe::line(note, 200));
    }
    if cap.connections_not_tracked > 0 {
        let _ = writeln!(
            out,
            "  {} more connection(s) not tracked (the table was full)",
            cap.connections_not_tracked
        );
    }
    let _ = writeln!(out);
    let focus = cap.focus();
    let _ = writeln!(out, "{}", style.bold("Connections"));
    for (i, c) in cap.connections.iter().enumerate() {
        let mark = if focus.is_some_and(|f| std::ptr::eq(f, c)) {
            "▶"
        } else {
            " "
        };
        let _ = writeln!(out, "  {mark} {:>2}. {}", i + 1, one_line(c));
    }
    for u in &cap.udp {
        let _ = writeln!(
            out,
            "    RDP-UDP {} → {}: {} SYN(s), {}",
            term_max(&u.client, 48),
            term_max(&u.server, 48),
            u.syns,
            if u.syn_ack { "answered" } else { "no answer" }
        );
    }
    if let Some(c) = focus {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            style.bold("The connection the findings are about")
        );
        details(&mut out, c);
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  A capture shows what crossed the wire in the clear: inside TLS (CredSSP, the logon, the session) it shows sizes and who closed, never why."
    );
    if !with_findings {
        return out;
    }
    let _ = writeln!(out);
    let rows: Vec<_> = j.findings.iter().map(crate::doc::FindingRow::of).collect();
    crate::text::findings_into(&mut out, &rows, style);
    out
}

fn details(out: &mut String, c: &CaptureConnection) {
    let t = &c.tcp;
    let rtt = t
        .rtt_ms
        .map(|r| format!(", RTT {r:.1} ms"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  TCP: {} SYN(s), {}{rtt}; {} segments, {} retransmitted, {} gap(s){}",
        t.syns,
        if t.syn_ack { "answered" } else { "no SYN+ACK" },
        t.segments,
        t.retransmissions,
        t.gaps,
        if t.truncated { ", kept in part" } else { "" }
    );
    if let Some(r) = &c.request {
        let user = r
            .mstshash
            .as_deref()
            .map(|u| format!(", mstshash {}", term_max(u, 64)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  Client asked: {} (flags {:#04x}){user}",
            r.requested.label(),
            r.flags
        );
    }
    if let Some(tls) = &c.tls {
        if !tls.client_versions.is_empty() {
            let sni = tls
                .server_name
                .as_deref()
                .map(|s| format!(", SNI {}", term_max(s, 64)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  ClientHello: {}; {} cipher suites{sni}",
                tls.client_versions.join(", "),
                tls.client_cipher_suites.len()
            );
        }
        if let Some(v) = &tls.server_version {
            let _ = writeln!(
                out,
                "  ServerHello: {v}, suite {}{}",
                tls.cipher_suite.as_deref().unwrap_or("?"),
                match tls.secure_renegotiation {
                    Some(false) => ", no renegotiation_info",
                    _ => "",
                }
            );
        }
        if let Some(leaf) = tls.certificates.first() {
            let _ = writeln!(
                out,
                "  Certificate: {} (issuer {}), until {}{}",
                term_max(&leaf.subject, 80),
                term_max(&leaf.issuer, 80),
                leaf.not_after,
                if leaf.expired { ", expired then" } else { "" }
            );
        }
    }
    if let Some(s) = &c.standard_security {
        let _ = writeln!(
            out,
            "  Standard RDP Security: level {}, method {}, {} certificate{}",
            s.encryption_level.as_deref().unwrap_or("?"),
            s.encryption_method.as_deref().unwrap_or("?"),
            s.certificate_type.as_deref().unwrap_or("no"),
            s.key_bits
                .map(|b| format!(" ({b}-bit)"))
                .unwrap_or_default()
        );
    }
    for x in &t.closes {
        let _ = writeln!(
            out,
            "  {} by the {} at {:.1} ms, after {}",
            x.kind.to_uppercase(),
            side(x.by),
            x.at_ms,
            x.after.as_deref().unwrap_or("nothing")
        );
    }
    for i in &t.icmp {
        let _ = writeln!(out, "  ICMP: {i}");
    }
}
