//! The stages of a probe report.

use super::{Builder, Section};
use crate::safe::{sentence, term};
use crate::text::kebab;
use rdpdoctor_diagnose::Judgement;
use rdpdoctor_diagnose::Section as Sec;
use rdpdoctor_evidence::{NegotiationOutcome, PortState, ProbeReport, RdpSecurityOutcome, Stage};

/// What a probe report is about: `host:port` as the user named it (a
/// validated host name or address; `term` for names read from a file).
pub fn probe_title(r: &ProbeReport) -> String {
    term(&format!("{}:{}", r.target.host, r.target.port))
}

/// One section per stage: DNS, TCP, Negotiation, TLS, Certificate,
/// CredSSP, RDP security, Logon screen.
pub fn probe_sections(report: &ProbeReport, judgement: &Judgement) -> Vec<Section> {
    let mut d = Builder::new(judgement);
    let r = report;
    if let Some(g) = &r.gateway {
        super::gateway::section(&mut d, g);
        super::gateway::target_logon(&mut d, r);
        if !g.target_probed {
            super::gateway::target_not_probed(&mut d);
            return d.finish();
        }
        // The target through the gateway's channel (`gateway::through`).
        super::gateway::through_before(&mut d);
        negotiation_to_certificate(&mut d, r, judgement);
        super::gateway::through_after(&mut d, r, judgement);
        return d.finish();
    }
    // DNS
    let a = &r.addresses;
    if r.target.host_is_ip {
        d.stage(
            Sec::Dns,
            true,
            &format!("{} (an address; no lookup needed)", r.target.host),
        );
    } else if let Some(err) = &a.error {
        d.stage(
            Sec::Dns,
            true,
            &format!("{} does not resolve: {}", r.target.host, term(err)),
        );
    } else {
        let list: Vec<String> = a.resolved.iter().map(|i| i.to_string()).collect();
        d.stage(
            Sec::Dns,
            true,
            &format!("{} → {}", r.target.host, list.join(", ")),
        );
    }
    if let Some(used) = a.used
        && (a.resolved.len() > 1 || a.resolved.first() != Some(&used))
    {
        d.detail(&format!("using {used}"));
    }
    if let Some(ptr) = &a.reverse_name {
        d.detail(&format!("reverse name {}", term(ptr)));
    }

    // TCP
    match &r.tcp {
        None => d.stage(Sec::Tcp, false, "not tried"),
        Some(t) => {
            let state = match t.state {
                PortState::Open => "open".to_owned(),
                PortState::Refused => {
                    "refused (RST): nothing listens, or a firewall rejects".to_owned()
                }
                PortState::Filtered => {
                    format!("filtered: no answer within {}", r.limits.step_secs())
                }
                PortState::Unreachable => "unreachable (ICMP error)".to_owned(),
                PortState::AcceptedThenClosed => {
                    "accepted the connection, then closed it".to_owned()
                }
                PortState::AcceptedAndSilent => format!(
                    "accepted the connection, then no answer within {}",
                    r.limits.step_secs()
                ),
            };
            let rtt = t
                .rtt_ms
                .map(|s| {
                    format!(
                        " · connect {:.1}/{:.1}/{:.1} ms (min/median/max)",
                        s.min, s.median, s.max
                    )
                })
                .unwrap_or_default();
            d.stage(Sec::Tcp, true, &format!("{state}{rtt}"));
            d.detail(&format!(
                "{} samples, {} failed",
                t.samples.len(),
                t.failures
            ));
            if let Some(p) = &t.other_protocol {
                d.detail(&format!("answered like {}: {}", term(p), first_bytes(t)));
            }
        }
    }

    negotiation_to_certificate(&mut d, r, judgement);
    after_certificate(d, r, judgement)
}

/// The X.224 negotiation, TLS and the certificate: measured directly, or
/// through the RD Gateway's channel.
pub(super) fn negotiation_to_certificate(
    d: &mut Builder<'_>,
    r: &ProbeReport,
    judgement: &Judgement,
) {
    // Negotiation
    match (&r.negotiation, &judgement.security) {
        (Some(n), Some(p)) => {
            let claimed = if p.nla_basis == Some(rdpdoctor_diagnose::NlaBasis::ClaimedByServer) {
                " (claimed by the server)"
            } else {
                ""
            };
            let sel: Vec<&str> = p.selectable.iter().map(|x| x.name()).collect();
            // A server that answered none of the requests (closed, silent,
            // could not connect) was never negotiated with: "ok" would claim
            // a negotiation that did not happen. The TCP section says why.
            let answered = n.attempts.iter().any(|a| a.outcome.answered());
            let summary = if answered {
                format!(
                    "layer {} · NLA {}{claimed} · selectable: {}",
                    kebab(&p.layer),
                    kebab(&p.nla),
                    if sel.is_empty() {
                        "none".to_owned()
                    } else {
                        sel.join(", ")
                    }
                )
            } else {
                format!("no RDP answer to any of {} requests", n.attempts.len())
            };
            d.stage(Sec::Negotiation, answered, &summary);
            for a in &n.attempts {
                let req = a.requested.label();
                let got = match &a.outcome {
                    NegotiationOutcome::Selected { protocol, .. } => {
                        format!("selected {}", protocol.label())
                    }
                    NegotiationOutcome::Failure { code, name } => format!(
                        "refused: {} ({code})",
                        term(name.as_deref().unwrap_or("unknown failure code"))
                    ),
                    NegotiationOutcome::NoNegotiationData => {
                        "answered without negotiation data (RDP)".to_owned()
                    }
                    NegotiationOutcome::Closed => "closed without answering".to_owned(),
                    NegotiationOutcome::Silent => {
                        format!("no answer within {}", r.limits.step_secs())
                    }
                    NegotiationOutcome::Disconnected { reason } => {
                        format!("MCS Disconnect Provider Ultimatum ({reason})")
                    }
                    NegotiationOutcome::Garbage { error, .. } => {
                        format!("answered, but {}", term(error))
                    }
                    NegotiationOutcome::ConnectFailed { error, .. } => {
                        format!("connect failed: {}", term(error))
                    }
                };
                d.detail(&format!("{req:<24} {got}"));
            }
        }
        _ => d.stage(Sec::Negotiation, false, "not reached"),
    }

    // TLS
    match &r.tls {
        None => d.stage(Sec::Tls, false, "not offered"),
        Some(t) => {
            let accepted: Vec<&str> = t.accepted_versions().iter().map(|v| v.name()).collect();
            let modern = match (&t.version, &t.cipher_suite) {
                (Some(v), Some(c)) => format!("{} {}", v.name(), term(c)),
                _ => format!(
                    "modern handshake failed: {}",
                    term(t.error.as_deref().unwrap_or("?"))
                ),
            };
            d.stage(
                Sec::Tls,
                true,
                &format!(
                    "{modern} · accepts {}",
                    if accepted.is_empty() {
                        "no version".to_owned()
                    } else {
                        accepted.join(", ")
                    }
                ),
            );
            for v in &t.versions {
                let s = match v.accepted {
                    Some(true) => format!(
                        "accepted ({}){}",
                        term(v.cipher_suite.as_deref().unwrap_or("")),
                        if v.secure_renegotiation == Some(false) {
                            " · no secure renegotiation (RFC 5746)"
                        } else {
                            ""
                        }
                    ),
                    Some(false) => format!("refused: {}", term(v.detail.as_deref().unwrap_or(""))),
                    None => format!("not tested: {}", term(v.detail.as_deref().unwrap_or(""))),
                };
                d.detail(&format!("{:<8} {s}", v.version.name()));
            }
        }
    }

    // Certificate
    match &r.certificate {
        None => d.stage(Sec::Certificate, false, "none seen"),
        Some(c) => {
            let when = if c.expired {
                format!("EXPIRED {} ({} days ago)", c.not_after, -c.days_left)
            } else if c.not_yet_valid {
                format!("not valid until {}", c.not_before)
            } else {
                format!("valid until {} ({} days left)", c.not_after, c.days_left)
            };
            let who = term(c.common_name.as_deref().unwrap_or(&c.subject));
            d.stage(
                Sec::Certificate,
                true,
                &format!(
                    "{who} · {when} · {}",
                    if c.self_signed {
                        "self-signed"
                    } else {
                        "CA-issued"
                    }
                ),
            );
            if !c.subject_alt_names.is_empty() {
                d.detail(&format!(
                    "names {}",
                    sentence(&c.subject_alt_names.join(", "))
                ));
            }
            d.detail(&format!("issuer {}", term(&c.issuer)));
            d.detail(&format!(
                "key {} {} · signature {}",
                term(&c.key_type),
                c.key_bits.map(|b| format!("{b} bits")).unwrap_or_default(),
                term(&c.signature_algorithm)
            ));
            if !c.extended_key_usage.is_empty() {
                d.detail(&format!(
                    "EKU {}",
                    sentence(&c.extended_key_usage.join(", "))
                ));
            }
            d.detail(&format!("SHA-1 thumbprint {}", term(&c.sha1_thumbprint)));
        }
    }
}

/// CredSSP, RDP security, the logon screen and what follows.
fn after_certificate(mut d: Builder<'_>, r: &ProbeReport, judgement: &Judgement) -> Vec<Section> {
    credssp(&mut d, r, judgement);
    rdp_security(&mut d, r);
    after_rdp_security(d, r, judgement)
}

/// CredSSP / NTLM: the TSRequest version and what the NTLM CHALLENGE says.
pub(super) fn credssp(d: &mut Builder<'_>, r: &ProbeReport, judgement: &Judgement) {
    match &r.credssp {
        None => d.stage(Sec::Credssp, false, "not offered (no NLA)"),
        Some(c) => {
            let v = c
                .server_version
                .map(|v| format!("TSRequest version {v}"))
                .unwrap_or_else(|| format!("failed: {}", term(c.error.as_deref().unwrap_or("?"))));
            d.stage(Sec::Credssp, true, &v);
            if let Some(n) = &r.ntlm {
                let name = term(
                    n.dns_computer_name
                        .as_deref()
                        .or(n.netbios_computer_name.as_deref())
                        .unwrap_or_default(),
                );
                let domain = n
                    .dns_domain_name
                    .as_deref()
                    .or(n.netbios_domain_name.as_deref())
                    .map(term);
                d.detail(&format!(
                    "computer {name}{}",
                    domain
                        .map(|dm| format!(" · domain {dm}"))
                        .unwrap_or_default()
                ));
                if let Some(os) = &n.os_version {
                    d.detail(&format!(
                        "OS version {}{}",
                        term(os),
                        // Only a Windows server's NTLM version names its
                        // release: winpr (FreeRDP) always says 6.1.7601.
                        match judgement.server.implementation {
                            rdpdoctor_diagnose::Implementation::Windows
                            | rdpdoctor_diagnose::Implementation::Unknown => n
                                .windows_release
                                .as_ref()
                                .map(|w| format!(" (as Windows: {})", term(w)))
                                .unwrap_or_default(),
                            other => format!(
                                " (a fixed value of {}, not a Windows release)",
                                other.label()
                            ),
                        }
                    ));
                }
                if let (Some(t), Some(skew)) = (&n.server_time, n.clock_skew_seconds) {
                    d.detail(&format!("server clock {} (skew {skew:+} s)", term(t)));
                }
            }
        }
    }
}

/// Standard RDP Security: each encryption-method offer and what it got.
pub(super) fn rdp_security(d: &mut Builder<'_>, r: &ProbeReport) {
    match &r.rdp_security {
        None if r.not_checked.contains(&Stage::RdpSecurity) => d.stage(
            Sec::RdpSecurity,
            false,
            "not checked (fast profile: TLS got through)",
        ),
        None => d.stage(Sec::RdpSecurity, false, "not accepted by the server"),
        Some(s) => {
            d.stage(
                Sec::RdpSecurity,
                true,
                &format!(
                    "{}{}",
                    s.encryption_level
                        .map(|l| l.label())
                        .map_or("every offer refused".to_owned(), |l| format!(
                            "encryption level {l}"
                        )),
                    s.server_rdp_version_name
                        .as_ref()
                        .map(|v| format!(" · server {}", term(v)))
                        .unwrap_or_default()
                ),
            );
            for o in &s.offers {
                let got = match &o.outcome {
                    RdpSecurityOutcome::Accepted {
                        encryption_method, ..
                    } => {
                        format!("chose {}", encryption_method.label())
                    }
                    RdpSecurityOutcome::Refused { detail, .. } => {
                        format!("refused: {}", term(detail))
                    }
                };
                let offered: Vec<&str> = o.offered.iter().map(|m| m.label()).collect();
                d.detail(&format!("offer {:<26} {got}", offered.join("|")));
            }
            if let Some(kind) = &s.server_certificate {
                let kind = if kind == "x509" {
                    "X.509 chain"
                } else {
                    "proprietary"
                };
                d.detail(&format!(
                    "certificate {kind}{}{}",
                    s.server_key_bits
                        .map(|b| format!(" · RSA {b} bits"))
                        .unwrap_or_default(),
                    match s.server_certificate_permanent {
                        Some(true) => " · permanent",
                        Some(false) => " · temporary",
                        None => "",
                    }
                ));
            }
        }
    }
}

/// The logon screen and what follows.
fn after_rdp_security(mut d: Builder<'_>, r: &ProbeReport, judgement: &Judgement) -> Vec<Section> {
    logon_screen(&mut d, r);
    super::kerberos::section(&mut d, r);
    // The client's connection file (`probe --rdp-file`): its findings,
    // worded from file-controlled text, so neutralised.
    let file: Vec<&str> = judgement
        .findings
        .iter()
        .filter(|f| f.id.section() == Sec::ClientFile)
        .map(|f| f.summary.as_str())
        .collect();
    if let Some((first, rest)) = file.split_first() {
        d.stage(Sec::ClientFile, true, &sentence(first));
        for s in rest {
            d.detail(&sentence(s));
        }
    }

    d.finish()
}

/// The first bytes another protocol answered with, as text when they are
/// printable ASCII (`"<!DOCTYPE HTML>"`: a web server), else as the
/// evidence's hex; neutralised either way.
fn first_bytes(t: &rdpdoctor_evidence::TcpEvidence) -> String {
    match t.first_bytes() {
        Some(b)
            if !b.is_empty()
                && b.iter().all(|&c| {
                    c == b'\t' || c == b'\n' || c == b'\r' || (0x20..0x7f).contains(&c)
                }) =>
        {
            let text = String::from_utf8_lossy(&b);
            let one_line: Vec<&str> = text.split_whitespace().collect();
            format!("\"{}\"", term(&one_line.join(" ")))
        }
        _ => term(t.first_response.as_deref().unwrap_or("")),
    }
}

/// The deep probe: how far the connection sequence got.
pub(super) fn logon_screen(d: &mut Builder<'_>, r: &ProbeReport) {
    match &r.deep {
        None if r.not_checked.contains(&Stage::Deep) => {
            d.stage(Sec::LogonScreen, false, "not checked (fast profile)")
        }
        None => d.stage(
            Sec::LogonScreen,
            false,
            "not tried (NLA required, or no security layer got through)",
        ),
        Some(dp) => {
            use rdpdoctor_evidence::DeepOutcome;
            let summary = match &dp.outcome {
                DeepOutcome::LogonScreen => format!(
                    "reached over {}: a client would see the logon screen",
                    dp.via.spec_name()
                ),
                DeepOutcome::ErrorInfo { code, name } => format!(
                    "the server ended it with {} (0x{code:08X}) after {}",
                    term(name.as_deref().unwrap_or("an error")),
                    kebab(&dp.phase_reached)
                ),
                DeepOutcome::Disconnected { detail } => {
                    format!(
                        "disconnected after {}: {}",
                        kebab(&dp.phase_reached),
                        term(detail)
                    )
                }
                DeepOutcome::Timeout => format!("no answer after {}", kebab(&dp.phase_reached)),
                DeepOutcome::Failed { detail, .. } => {
                    format!(
                        "stopped after {}: {}",
                        kebab(&dp.phase_reached),
                        term(detail)
                    )
                }
            };
            // Stopped by an earlier stage's failure: nothing to judge here.
            let ran = !matches!(dp.outcome, DeepOutcome::Failed { .. });
            d.stage(Sec::LogonScreen, ran, &summary);
            if let Some(l) = &dp.licensing {
                d.detail(&format!("licensing {}", term(l)));
            }
            if !dp.channels.is_empty() {
                d.detail(&format!("channels {}", sentence(&dp.channels.join(", "))));
            }
        }
    }
}
