//! Evidence → findings. Pure: no clock, no I/O; every threshold is a named
//! constant here or in [`crate::scoring`].

use crate::finding::{Finding, FindingId, Qualifier, Severity};
use crate::posture::{NlaBasis, NlaPolicy, SSL_CERT_NOT_ON_SERVER, SecurityLayer, SecurityPosture};
use rdpdoctor_evidence::{
    DeepOutcome, EncryptionLevel, HandshakeFailure, NegotiationOutcome, PortState, ProbeReport,
    RdpSecurityOutcome, Stats, TlsVersion,
};
use serde_json::{Value, json};

mod logon;

/// Certificates expiring within this many days get `cert-expires-soon`.
pub const EXPIRES_SOON_DAYS: i64 = 30;
/// When even the *fastest* X.224 answer (timed from the established
/// connection, so neither connection set-up nor the probe's own queueing is
/// in it) is slower than this, the server gets `slow-server`. Healthy lab
/// servers answer in 1–100 ms, but on a loaded 2-core machine FreeRDP's
/// server took up to 1.3 s: 2 s leaves that margin (mstsc itself waits far
/// longer before giving up).
pub const SLOW_SERVER_MS: f64 = 2000.0;
/// A TCP connect that takes this much longer than the fastest one stalled:
/// a lost SYN costs a 1 s retransmission timeout.
pub const CONNECT_STALL_EXTRA_MS: f64 = 400.0;
/// An exchange on an established connection (an X.224 answer, a TLS
/// handshake) that takes this much longer than the fastest of its kind
/// stalled. Loss costs retransmission timeouts that add up to seconds (1–3.6 s
/// measured under 10 % loss); a busy server on a loaded 2-core machine was
/// measured varying by up to 650 ms, which must not pass for loss.
pub const EXCHANGE_STALL_EXTRA_MS: f64 = 800.0;
/// … and at least this many times as long as the fastest of its kind.
pub const STALL_FACTOR: f64 = 3.0;
/// Clock skew past this many seconds gets `clock-skew` (Kerberos' default tolerance).
pub const CLOCK_SKEW_TOLERANCE_SECS: i64 = 300;
/// The first CredSSP TSRequest version with the CVE-2018-0886 fix
/// ([MS-CSSP 2.2.1](https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-cssp/6aac4dea-08ef-47a6-8747-22ea7f6d8685)).
pub const CREDSSP_PATCHED_VERSION: u32 = 5;

struct Out(Vec<Finding>);

impl Out {
    fn add(
        &mut self,
        id: FindingId,
        severity: Severity,
        summary: String,
        evidence: &[(&str, Value)],
    ) {
        self.add_q(id, severity, None, summary, evidence);
    }

    fn add_q(
        &mut self,
        id: FindingId,
        severity: Severity,
        qualifier: Option<Qualifier>,
        summary: String,
        evidence: &[(&str, Value)],
    ) {
        self.0.push(Finding {
            id,
            severity,
            summary,
            qualifier,
            evidence: evidence
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        });
    }
}

/// Derives the findings from a report, most severe first (stable within a severity).
pub fn derive(report: &ProbeReport, posture: Option<&SecurityPosture>) -> Vec<Finding> {
    let mut out = Out(Vec::new());
    reachability(report, &mut out);
    network(report, &mut out);
    if let Some(p) = posture {
        negotiation(report, p, &mut out);
    }
    tls_and_certificate(report, &mut out);
    credssp_and_ntlm(report, &mut out);
    rdp_security(report, &mut out);
    deep(report, &mut out);
    logon::derive(report, &mut out);
    let mut findings = out.0;
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

fn reachability(r: &ProbeReport, out: &mut Out) {
    if let Some(err) = &r.addresses.error {
        out.add(
            FindingId::DnsFailure,
            Severity::Fail,
            format!("The name {} does not resolve: {err}", r.target.host),
            &[("host", json!(r.target.host)), ("error", json!(err))],
        );
    }
    let Some(tcp) = &r.tcp else { return };
    let step = r.limits.step_secs();
    let addr = r.addresses.used.map(|a| a.to_string()).unwrap_or_default();
    let port = r.target.port;
    let ev = [
        ("address", json!(addr)),
        ("port", json!(port)),
        ("state", json!(tcp.state)),
    ];
    match tcp.state {
        PortState::Refused => out.add(
            FindingId::PortClosed,
            Severity::Fail,
            format!("{addr} refused TCP port {port}: nothing listens there, or a firewall rejects it"),
            &ev,
        ),
        PortState::Filtered => out.add(
            FindingId::PortFiltered,
            Severity::Fail,
            format!("No answer from {addr} on TCP port {port} within {step} (--timeout): a firewall drops the packets, or the host is down"),
            &ev,
        ),
        PortState::Unreachable => {
            // An ICMP error within 500 ms is a router or firewall rejecting on
            // purpose; one after 2 s or more is ARP giving up on a missing host.
            let fastest = tcp.samples.iter().map(|s| s.elapsed_ms).fold(f64::INFINITY, f64::min);
            let q = match fastest {
                f if f < 500.0 => Some(Qualifier::Fast),
                f if f >= 2000.0 && f.is_finite() => Some(Qualifier::Slow),
                _ => None,
            };
            out.add_q(
                FindingId::HostUnreachable,
                Severity::Fail,
                q,
                format!("{addr} is unreachable on port {port}: an ICMP error came back (no route, or administratively prohibited)"),
                &ev,
            )
        }
        PortState::AcceptedThenClosed if tcp.other_protocol.is_none() => out.add(
            FindingId::ConnectionClosedByServer,
            Severity::Fail,
            format!("{addr}:{port} accepted the connection and closed it without an RDP answer"),
            &[
                ev[0].clone(),
                ev[1].clone(),
                ("first_response", json!(tcp.first_response)),
            ],
        ),
        PortState::AcceptedAndSilent => out.add(
            FindingId::ServerSilent,
            Severity::Fail,
            format!("{addr}:{port} accepted the connection, but the RDP request got no answer within {step} (--timeout; raise it if the server may just be slow)"),
            &ev,
        ),
        _ => {}
    }
    if let Some(proto) = &tcp.other_protocol {
        out.add(
            FindingId::NotRdp,
            Severity::Fail,
            format!("Something other than RDP answers on {addr}:{port} (looks like {proto})"),
            &[
                ev[0].clone(),
                ev[1].clone(),
                ("protocol", json!(proto)),
                ("first_response", json!(tcp.first_response)),
            ],
        );
    }
}

fn negotiation(r: &ProbeReport, p: &SecurityPosture, out: &mut Out) {
    let Some(neg) = &r.negotiation else { return };
    let selectable = json!(p.selectable);
    if neg.failure_codes().contains(&SSL_CERT_NOT_ON_SERVER) {
        out.add(
            FindingId::SslCertNotOnServer,
            Severity::Fail,
            "The server has no usable TLS certificate (RDP_NEG_FAILURE SSL_CERT_NOT_ON_SERVER)"
                .into(),
            &[("failure_code", json!(SSL_CERT_NOT_ON_SERVER))],
        );
    }
    if !p.violations.is_empty() {
        out.add(
            FindingId::RdpProtocolViolation,
            Severity::Fail,
            format!(
                "The server's negotiation answers break the RDP specification ({}): no client can rely on them",
                p.violations.join("; ")
            ),
            &[("violations", json!(p.violations))],
        );
    }
    // A server without a certificate refuses everything too; that finding
    // already says why, so this one is for refusals nothing else explains.
    if p.refuses_everything() && !neg.failure_codes().contains(&SSL_CERT_NOT_ON_SERVER) {
        let claim = if p.nla_basis == Some(NlaBasis::ClaimedByServer) {
            " It says HYBRID_REQUIRED_BY_SERVER, yet refuses the HYBRID requests too: the claim contradicts its own answers."
        } else {
            ""
        };
        out.add(
            FindingId::NoProtocolAccepted,
            Severity::Fail,
            format!("The server refused every security protocol the probe asked for, NLA included: no client gets past the security negotiation.{claim}"),
            &[("failure_codes", json!(neg.failure_codes()))],
        );
    }
    match p.layer {
        // With NLA required, `nla-required` already says who is refused.
        SecurityLayer::Tls if p.nla != NlaPolicy::Required => out.add(
            FindingId::TlsRequired,
            Severity::Info,
            "The server refuses Standard RDP Security: clients must use TLS or NLA".into(),
            &[
                ("security_layer", json!(p.layer)),
                ("rdp_request", json!(neg.outcome_for(Some(0)))),
            ],
        ),
        SecurityLayer::Rdp => out.add(
            FindingId::RdpSecurityOnly,
            Severity::Warn,
            "The server only speaks Standard RDP Security: clients that require TLS or NLA fail, and the link is weakly protected".into(),
            &[("security_layer", json!(p.layer)), ("selectable", selectable.clone())],
        ),
        _ => {}
    }
    match (p.nla, p.nla_basis) {
        // Said by `no-protocol-accepted`, which names the contradiction.
        (NlaPolicy::Required, Some(NlaBasis::ClaimedByServer)) => {}
        (NlaPolicy::Required, _) => out.add(
            FindingId::NlaRequired,
            Severity::Info,
            "The server requires Network Level Authentication (CredSSP): clients without NLA are refused".into(),
            &[("nla", json!(p.nla)), ("failure_codes", json!(neg.failure_codes()))],
        ),
        (NlaPolicy::Optional, _) => out.add(
            FindingId::NlaOptional,
            Severity::Warn,
            "The server offers NLA but does not require it: clients can reach the logon screen without authenticating first".into(),
            &[("nla", json!(p.nla)), ("selectable", selectable.clone())],
        ),
        (NlaPolicy::Absent, _) => out.add(
            FindingId::NlaNotOffered,
            Severity::Warn,
            "The server never selects NLA (CredSSP): clients that insist on NLA fail".into(),
            &[
                ("nla", json!(p.nla)),
                ("hybrid_request", json!(neg.outcome_for(Some(2)))),
            ],
        ),
        (NlaPolicy::Unknown, _) => {}
    }
    // The answer time is measured from the established connection, so
    // neither TCP set-up nor the probe's own concurrent connections are in
    // it; the *fastest* answer is the server's best, so queueing behind our
    // other requests cannot make a healthy server look slow.
    let answers: Vec<f64> = neg
        .attempts
        .iter()
        .filter(|a| {
            matches!(
                a.outcome,
                NegotiationOutcome::Selected { .. }
                    | NegotiationOutcome::Failure { .. }
                    | NegotiationOutcome::NoNegotiationData
            )
        })
        .map(|a| a.answer_ms)
        .collect();
    if let Some(answer) = Stats::of(&answers).filter(|s| s.min > SLOW_SERVER_MS) {
        out.add(
            FindingId::SlowServer,
            Severity::Warn,
            format!(
                "The RDP service takes at least {:.1} s to answer a connection request on an established connection: the server is slow (busy listener, overload, or an inspecting filter)",
                answer.min / 1000.0,
            ),
            &[("answer_ms", json!(answer))],
        );
    }
    let all_garbage = !neg.attempts.is_empty()
        && neg
            .attempts
            .iter()
            .all(|a| matches!(a.outcome, NegotiationOutcome::Garbage { .. }));
    let tcp_says_other = r.tcp.as_ref().is_some_and(|t| t.other_protocol.is_some());
    if all_garbage && !tcp_says_other {
        let first = neg.attempts.first().map(|a| json!(a.outcome));
        out.add(
            FindingId::NotRdp,
            Severity::Fail,
            "The server answers, but not with RDP".into(),
            &[("outcome", first.unwrap_or(Value::Null))],
        );
    }
}

/// Loss and instability, judged from every stage: failed connects among
/// good ones, and exchanges that stalled (took a retransmission's worth
/// longer than the fastest of their kind), in the TCP samples, the X.224
/// answers and the TLS version handshakes. One stalled exchange alone can be
/// a busy server; a failure among successes, or stalls in two stages, is the
/// path.
fn network(r: &ProbeReport, out: &mut Out) {
    let Some(tcp) = &r.tcp else { return };
    let ok = tcp.samples.iter().filter(|s| s.connected).count();
    if ok == 0 {
        return;
    }
    let connects: Vec<f64> = tcp
        .samples
        .iter()
        .filter(|s| s.connected)
        .map(|s| s.elapsed_ms)
        .collect();
    let mut signs: Vec<String> = Vec::new();
    if tcp.failures > 0 {
        signs.push(format!(
            "{} of {} TCP connects failed",
            tcp.failures,
            tcp.samples.len()
        ));
    }
    let mut stalled_stages = 0;
    let mut lost_syns = 0;
    let mut burst_syns = 0;
    let mut unanswered = false;
    let mut stall = |what: &str, times: &[f64], connect: bool, signs: &mut Vec<String>| {
        let n = if connect {
            connect_stalls(times)
        } else {
            exchange_stalls(times)
        };
        if n > 0 {
            stalled_stages += 1;
            signs.push(format!("{n} of {} {what} stalled", times.len()));
        }
        n
    };
    lost_syns += stall("TCP connects", &connects, true, &mut signs);
    if let Some(neg) = &r.negotiation {
        let answered: Vec<f64> = neg
            .attempts
            .iter()
            .filter(|a| !matches!(a.outcome, NegotiationOutcome::ConnectFailed { .. }))
            .map(|a| a.answer_ms)
            .collect();
        stall("X.224 answers", &answered, false, &mut signs);
        let connects: Vec<f64> = neg
            .attempts
            .iter()
            .filter(|a| !matches!(a.outcome, NegotiationOutcome::ConnectFailed { .. }))
            .map(|a| a.connect_ms)
            .collect();
        burst_syns = stall("X.224 connects", &connects, true, &mut signs);
        let lost = neg
            .attempts
            .iter()
            .filter(|a| {
                matches!(
                    a.outcome,
                    NegotiationOutcome::Silent | NegotiationOutcome::ConnectFailed { .. }
                )
            })
            .count();
        let got = neg.attempts.len() - lost;
        if lost > 0 && got > 0 {
            unanswered = true;
            signs.push(format!(
                "{lost} of {} X.224 requests got no answer while the others did",
                neg.attempts.len()
            ));
        }
    }
    if let Some(tls) = &r.tls {
        let times: Vec<f64> = tls
            .versions
            .iter()
            .filter(|v| v.accepted == Some(true))
            .filter_map(|v| v.elapsed_ms)
            .collect();
        stall("TLS handshakes", &times, false, &mut signs);
    }
    // A listener with a full backlog drops SYNs too (xrdp's backlog is 2):
    // the negotiation's burst of connects stalls on a busy xrdp without any
    // loss, the spaced, sequential TCP samples only rarely. So: a sample's
    // SYN retransmit counts beside another sign; connect stalls in the burst
    // alone never do; data stalls in two stages do.
    let data_stalls = stalled_stages - usize::from(lost_syns > 0) - usize::from(burst_syns > 0);
    let strong = tcp.failures > 0 || unanswered;
    let samples_and_more = lost_syns > 0 && (burst_syns > 0 || data_stalls > 0);
    if strong || samples_and_more || data_stalls >= 2 {
        out.add(
            FindingId::UnstableNetwork,
            Severity::Warn,
            format!("Packet loss or an unstable path: {}", signs.join("; ")),
            &[
                ("signs", json!(signs)),
                ("failures", json!(tcp.failures)),
                ("rtt_ms", json!(tcp.rtt_ms)),
            ],
        );
    }
}

/// How many connects took a SYN retransmission longer than the fastest.
fn connect_stalls(times: &[f64]) -> usize {
    let Some(min) = times.iter().copied().reduce(f64::min) else {
        return 0;
    };
    times
        .iter()
        .filter(|t| **t > min + CONNECT_STALL_EXTRA_MS && **t > STALL_FACTOR * min.max(1.0))
        .count()
}

/// How many exchanges stand out from the *median* of their kind by a
/// retransmission's worth. Measured against the median, not the fastest: a
/// busy server makes every exchange slow alike, loss makes a few stall.
fn exchange_stalls(times: &[f64]) -> usize {
    let Some(median) = Stats::of(times).map(|s| s.median) else {
        return 0;
    };
    times
        .iter()
        .filter(|t| **t > median + EXCHANGE_STALL_EXTRA_MS && **t > 2.0 * median.max(1.0))
        .count()
}

fn tls_and_certificate(r: &ProbeReport, out: &mut Out) {
    let step = r.limits.step_secs();
    if let Some(tls) = &r.tls {
        if tls.version.is_none() && tls.accepted_versions().is_empty() {
            let why = match tls.failure {
                Some(HandshakeFailure::NoAnswer) => format!("the ClientHello got no answer within {step}: something on the path (a filtering firewall, an antivirus or TLS-inspecting proxy, a VPN with a broken MTU) swallows the handshake"),
                Some(HandshakeFailure::Reset) => "the handshake was reset: the server could not use its certificate or key, or something cut it".to_owned(),
                Some(HandshakeFailure::Closed) => "the server closed the connection during the handshake".to_owned(),
                Some(HandshakeFailure::Alert) => format!(
                    "the server refused it with a TLS alert ({})",
                    tls.error.as_deref().unwrap_or("?")
                ),
                _ => tls.error.clone().unwrap_or_else(|| "unknown error".into()),
            };
            let q = match tls.failure {
                Some(HandshakeFailure::NoAnswer) => Some(Qualifier::NoAnswer),
                Some(HandshakeFailure::Reset) => Some(Qualifier::Reset),
                Some(HandshakeFailure::Closed) => Some(Qualifier::Closed),
                Some(HandshakeFailure::Alert) => Some(Qualifier::Alert),
                _ => None,
            };
            out.add_q(
                FindingId::TlsHandshakeFailed,
                Severity::Fail,
                q,
                format!("The server selected TLS but no TLS handshake completed: {why}"),
                &[
                    ("via", json!(tls.via)),
                    ("failure", json!(tls.failure)),
                    ("error", json!(tls.error)),
                ],
            );
        }
        let accepted = tls.accepted_versions();
        let legacy: Vec<_> = accepted
            .iter()
            .filter(|v| v.is_legacy())
            .map(|v| v.name())
            .collect();
        let modern: Vec<_> = accepted
            .iter()
            .filter(|v| !v.is_legacy())
            .map(|v| v.name())
            .collect();
        if !legacy.is_empty() && modern.is_empty() {
            out.add(
                FindingId::TlsLegacyOnly,
                Severity::Fail,
                format!(
                    "The server only accepts {}: clients with TLS 1.0/1.1 disabled (current Windows, macOS, FreeRDP) cannot connect",
                    legacy.join(" and ")
                ),
                &[("accepted", json!(accepted))],
            );
        } else if accepted == [TlsVersion::Tls13]
            // Only when TLS 1.2 was tried and refused: untested (the fast
            // profile, a busy server) is not "1.3 only".
            && tls
                .versions
                .iter()
                .any(|v| v.version == TlsVersion::Tls12 && v.accepted == Some(false))
        {
            out.add(
                FindingId::Tls13Only,
                Severity::Warn,
                "The server accepts only TLS 1.3: mstsc on Windows 10 / Server 2019 and older (no TLS 1.3 in their Schannel) cannot connect".into(),
                &[("accepted", json!(accepted))],
            );
        } else if !legacy.is_empty() {
            out.add(
                FindingId::TlsLegacyEnabled,
                Severity::Warn,
                format!(
                    "The server still accepts {} beside {}",
                    legacy.join(" and "),
                    modern.join(" and ")
                ),
                &[("accepted", json!(accepted))],
            );
        }
    }
    let Some(c) = &r.certificate else { return };
    let cert_ev = |extra: &[(&'static str, Value)]| -> Vec<(&'static str, Value)> {
        let mut v = vec![
            ("subject", json!(c.subject)),
            ("not_before", json!(c.not_before)),
            ("not_after", json!(c.not_after)),
            ("sha1_thumbprint", json!(c.sha1_thumbprint)),
        ];
        v.extend_from_slice(extra);
        v
    };
    if c.expired {
        out.add(
            FindingId::CertExpired,
            Severity::Warn,
            format!(
                "The server's certificate expired on {} ({} days ago): clients warn, and those that refuse untrusted certificates fail",
                c.not_after, -c.days_left
            ),
            &cert_ev(&[
                ("days_left", json!(c.days_left)),
                ("self_signed", json!(c.self_signed)),
            ]),
        );
    } else if c.not_yet_valid {
        out.add(
            FindingId::CertNotYetValid,
            Severity::Warn,
            format!("The server's certificate is not valid until {}: clients warn, and those that refuse untrusted certificates fail. Either it was issued with a future start date, or a clock is wrong{}", c.not_before, match r.ntlm.as_ref().and_then(|n| n.clock_skew_seconds) {
                Some(s) if s.abs() <= CLOCK_SKEW_TOLERANCE_SECS => " (the server's clock is right: it is the certificate)",
                Some(_) => " (the server's clock is off: see clock-skew)",
                None => " (the probe could not read the server's clock)",
            }),
            &cert_ev(&[]),
        );
    } else if c.days_left < EXPIRES_SOON_DAYS {
        out.add(
            FindingId::CertExpiresSoon,
            Severity::Warn,
            format!(
                "The server's certificate expires in {} days, on {}",
                c.days_left, c.not_after
            ),
            &cert_ev(&[("days_left", json!(c.days_left))]),
        );
    }
    if c.matches_target == Some(false) {
        out.add(
            FindingId::CertNameMismatch,
            Severity::Warn,
            format!(
                "The certificate is for {} but you connected to {}: clients warn, or refuse when they enforce the name",
                cert_names(c),
                r.target.host
            ),
            &cert_ev(&[
                ("target", json!(r.target.host)),
                ("common_name", json!(c.common_name)),
                ("subject_alt_names", json!(c.subject_alt_names)),
            ]),
        );
    }
    if c.self_signed {
        out.add(
            FindingId::CertSelfSigned,
            Severity::Info,
            "The certificate is self-signed (the Windows default): clients cannot verify it and ask the user to trust it".into(),
            &cert_ev(&[("issuer", json!(c.issuer))]),
        );
    }
    // Weak crypto is a warning: mstsc and FreeRDP (OpenSSL at its level 1)
    // still connect to an RSA-1024/SHA-1 certificate; strict stacks (rustls,
    // Apple's) refuse it, and the client predictions say which.
    let weak_severity = Severity::Warn;
    let refused = if r.tls.as_ref().is_some_and(|t| t.version.is_none()) {
        ": strict TLS clients refuse the handshake (rustls did here)"
    } else {
        ""
    };
    let sig = c.signature_algorithm.to_ascii_lowercase();
    if sig.contains("md5") || sig.contains("sha1") || sig.contains("sha-1") {
        out.add(
            FindingId::CertWeakSignature,
            weak_severity,
            format!(
                "The certificate is signed with {}, which current clients distrust",
                c.signature_algorithm
            ),
            &cert_ev(&[("signature_algorithm", json!(c.signature_algorithm))]),
        );
    }
    if c.key_type == "RSA" && c.key_bits.is_some_and(|b| b < 2048) {
        out.add(
            FindingId::CertWeakKey,
            weak_severity,
            format!(
                "The certificate's RSA key has only {} bits (2048 is the minimum current TLS stacks accept){refused}",
                c.key_bits.unwrap_or(0)
            ),
            &cert_ev(&[
                ("key_type", json!(c.key_type)),
                ("key_bits", json!(c.key_bits)),
            ]),
        );
    }
}

fn cert_names(c: &rdpdoctor_evidence::CertificateFacts) -> String {
    if !c.subject_alt_names.is_empty() {
        c.subject_alt_names.join(", ")
    } else {
        c.common_name.clone().unwrap_or_else(|| c.subject.clone())
    }
}

fn credssp_and_ntlm(r: &ProbeReport, out: &mut Out) {
    if let Some(n) = &r.ntlm
        && let Some(skew) = n
            .clock_skew_seconds
            .filter(|s| s.abs() <= CLOCK_SKEW_TOLERANCE_SECS)
    {
        out.add(
            FindingId::ClockInSync,
            Severity::Info,
            format!(
                "The server's clock agrees with ours within {skew} s (read from its NTLM challenge)"
            ),
            &[
                ("server_time", json!(n.server_time)),
                ("clock_skew_seconds", json!(skew)),
            ],
        );
    }
    if let Some(cs) = &r.credssp
        && let Some(v) = cs.server_version.filter(|v| *v < CREDSSP_PATCHED_VERSION)
    {
        out.add(
                FindingId::CredsspUnpatched,
                Severity::Fail,
                format!(
                    "The server speaks CredSSP version {v}, older than the CVE-2018-0886 fix (version 5): updated clients refuse it with \"CredSSP encryption oracle remediation\""
                ),
                &[("server_version", json!(v)), ("patched_version", json!(CREDSSP_PATCHED_VERSION))],
            );
    }
    if let Some(n) = &r.ntlm
        && let Some(skew) = n
            .clock_skew_seconds
            .filter(|s| s.abs() > CLOCK_SKEW_TOLERANCE_SECS)
    {
        out.add(
                FindingId::ClockSkew,
                Severity::Warn,
                format!(
                    "The server's clock is {} {} ours ({}): Kerberos fails past 5 minutes, and certificates look expired or not yet valid",
                    human_duration(skew.unsigned_abs()),
                    if skew > 0 { "ahead of" } else { "behind" },
                    n.server_time.as_deref().unwrap_or("?")
                ),
                &[("server_time", json!(n.server_time)), ("clock_skew_seconds", json!(skew))],
            );
    }
}

fn rdp_security(r: &ProbeReport, out: &mut Out) {
    let Some(rs) = &r.rdp_security else { return };
    if rs.encryption_level == Some(EncryptionLevel::Fips) {
        out.add(
            FindingId::FipsRequired,
            Severity::Warn,
            "The server requires FIPS 140 encryption for Standard RDP Security: clients without FIPS support fail".into(),
            &[("encryption_level", json!(rs.encryption_level))],
        );
    }
    let weak: Vec<&str> = rs
        .offers
        .iter()
        .filter_map(|o| match &o.outcome {
            RdpSecurityOutcome::Accepted {
                encryption_method, ..
            } if encryption_method.is_weak() => Some(encryption_method.label()),
            _ => None,
        })
        .collect();
    let weak_level = matches!(
        rs.encryption_level,
        Some(EncryptionLevel::None | EncryptionLevel::Low)
    );
    if !weak.is_empty() || weak_level {
        let mut weak = weak;
        weak.dedup();
        out.add(
            FindingId::RdpEncryptionWeak,
            Severity::Warn,
            format!(
                "Standard RDP Security accepts weak encryption (level {}{})",
                rs.encryption_level.map_or("?", |l| l.label()),
                if weak.is_empty() {
                    String::new()
                } else {
                    format!(", methods {}", weak.join(", "))
                }
            ),
            &[
                ("encryption_level", json!(rs.encryption_level)),
                ("weak_methods", json!(weak)),
            ],
        );
    }
}

/// ERRINFO_SERVER_DENIED_CONNECTION ([MS-RDPBCGR 2.2.5.1.1]).
pub const ERRINFO_SERVER_DENIED_CONNECTION: u32 = 0x0000_0007;
/// ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES: the user may not log on remotely.
pub const ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES: u32 = 0x0000_0009;
/// The licensing ERRINFO range (ERRINFO_LICENSE_INTERNAL .. ERRINFO_LICENSE_CANT_UPGRADE_LICENSE).
pub const ERRINFO_LICENSE_RANGE: std::ops::RangeInclusive<u32> = 0x0000_0100..=0x0000_010A;

fn deep(r: &ProbeReport, out: &mut Out) {
    let Some(d) = &r.deep else { return };
    let DeepOutcome::ErrorInfo { code, name } = &d.outcome else {
        return;
    };
    let label = name.clone().unwrap_or_else(|| format!("0x{code:08X}"));
    let ev = [
        ("error_info", json!(code)),
        ("error_info_name", json!(name)),
        ("phase_reached", json!(d.phase_reached)),
    ];
    if matches!(
        *code,
        ERRINFO_SERVER_DENIED_CONNECTION | ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES
    ) {
        out.add(
            FindingId::ServerDeniedConnection,
            Severity::Fail,
            format!("The server denied the connection ({label}): mstsc shows this as error 0x904, extended error 0x{code:x}"),
            &ev,
        );
    } else if ERRINFO_LICENSE_RANGE.contains(code) {
        out.add(
            FindingId::LicensingError,
            Severity::Fail,
            format!("Remote Desktop licensing failed ({label}): the server found no usable license for this client"),
            &ev,
        );
    } else {
        out.add(
            FindingId::ServerErrorInfo,
            Severity::Fail,
            format!("The server ended the connection with {label} before the logon screen"),
            &ev,
        );
    }
}

/// `90 s`, `12 min`, `3 h 5 min`, `2 days`.
pub fn human_duration(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs} s"),
        120..=3599 => format!("{} min", secs / 60),
        3600..=172_799 => {
            let m = (secs % 3600) / 60;
            if m == 0 {
                format!("{} h", secs / 3600)
            } else {
                format!("{} h {} min", secs / 3600, m)
            }
        }
        _ => format!("{} days", secs / 86_400),
    }
}

/// Findings about what happens after the negotiation, which need the paths:
/// a server that selects a protocol and then fails every security exchange,
/// and a connection sequence that stops before the logon screen with no
/// reason given. Each only where no more specific finding already says it.
pub fn after_security(
    r: &ProbeReport,
    posture: Option<&SecurityPosture>,
    paths: &[crate::SecurityPath],
    findings: &mut Vec<Finding>,
) {
    let mut out = Out(Vec::new());
    let specific = [
        FindingId::TlsHandshakeFailed,
        FindingId::SslCertNotOnServer,
        FindingId::NoProtocolAccepted,
        FindingId::RdpProtocolViolation,
        FindingId::CredsspUnpatched,
    ];
    let said = |id: FindingId| findings.iter().any(|f| f.id == id);
    if let Some(p) = posture
        && !p.selectable.is_empty()
        && paths.iter().all(|x| x.gets_through == Some(false))
        && !specific.iter().any(|id| said(*id))
    {
        let reasons: Vec<String> = paths
            .iter()
            .filter(|x| {
                p.can_select(x.protocol)
                    || (x.protocol == rdpdoctor_evidence::Protocol::Hybrid && p.nla_selectable())
            })
            .map(|x| format!("{}: {}", crate::paths::client_switch(x.protocol), x.reason))
            .collect();
        out.add(
            FindingId::SecurityExchangeFailed,
            Severity::Fail,
            format!(
                "The server selects a security protocol, then the exchange that follows fails for every mode ({})",
                reasons.join("; ")
            ),
            &[("reasons", json!(reasons))],
        );
    }
    // Without credentials a server may close the connection once it has the
    // Client Info (IronRDP checks them there): a clean disconnect after it is
    // not the server failing. Silence or garbage is, and so is any stop
    // before it.
    // The deep probe's own TLS handshake failing is for the TLS findings to
    // judge; and a deep probe that ran into the ceiling (a slow server still
    // answering, step after step) knows no reason either.
    // (`phase_reached` stays `security` until the MCS exchange completes, so
    // whether TLS itself failed is read from the modern handshake.)
    let tls_failed = |d: &rdpdoctor_evidence::DeepEvidence| {
        d.via == rdpdoctor_evidence::Protocol::Ssl
            && d.phase_reached == rdpdoctor_evidence::DeepPhase::Security
            && r.tls.as_ref().is_none_or(|t| t.version.is_none())
    };
    let ran_into_ceiling = |d: &rdpdoctor_evidence::DeepEvidence| {
        r.timings.ceiling_hit
            && d.elapsed_ms + r.limits.step_timeout_ms + 500.0 >= r.limits.ceiling_ms
    };
    if let Some(d) = &r.deep
        && !tls_failed(d)
        && !ran_into_ceiling(d)
        && match d.outcome {
            DeepOutcome::LogonScreen | DeepOutcome::ErrorInfo { .. } => false,
            DeepOutcome::Timeout | DeepOutcome::Failed { .. } => true,
            DeepOutcome::Disconnected { .. } => {
                d.phase_reached < rdpdoctor_evidence::DeepPhase::ClientInfo
            }
        }
        && !said(FindingId::SecurityExchangeFailed)
    {
        let how = match &d.outcome {
            DeepOutcome::Timeout => format!("no answer within {}", r.limits.step_secs()),
            DeepOutcome::Disconnected { detail } | DeepOutcome::Failed { detail } => detail.clone(),
            _ => String::new(),
        };
        out.add(
            FindingId::ConnectionSequenceFailed,
            Severity::Fail,
            format!(
                "The server stops the connection sequence after {} with no reason given: {how}",
                serde_json::to_value(d.phase_reached)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ),
            &[
                ("phase_reached", json!(d.phase_reached)),
                ("outcome", json!(d.outcome)),
            ],
        );
    }
    findings.extend(out.0);
}
