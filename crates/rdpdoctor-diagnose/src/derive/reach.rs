//! Whether the host can be reached, and how well: the port, name resolution,
//! and the path's quality (stalled connects and exchanges, a slow server).

use super::*;
use crate::facts::reach::*;

pub(super) fn reachability(r: &ProbeReport, out: &mut Out) {
    if let Some(err) = &r.addresses.error {
        out.add(
            FindingId::DnsFailure,
            Severity::Fail,
            format!("The name {} does not resolve: {err}", r.target.host),
            &DnsFailureFacts {
                host: &r.target.host,
                error: err,
            },
        );
    }
    let Some(tcp) = &r.tcp else { return };
    let step = r.limits.step_secs();
    let addr = r.addresses.used.map(|a| a.to_string()).unwrap_or_default();
    let port = r.target.port;
    let ev = PortFacts {
        address: &addr,
        port,
        state: &tcp.state,
    };
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
            &ClosedWithoutAnswerFacts {
                address: &addr,
                port,
                first_response: tcp.first_response.as_deref(),
            },
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
            &OtherProtocolFacts {
                address: &addr,
                port,
                protocol: proto,
                first_response: tcp.first_response.as_deref(),
            },
        );
    }
}

/// Loss and instability, judged from every stage: failed connects among
/// good ones, and exchanges that stalled (took a retransmission's worth
/// longer than the fastest of their kind), in the TCP samples, the X.224
/// answers and the TLS version handshakes. One stalled exchange alone can be
/// a busy server; a failure among successes, or stalls in two stages, is the
/// path.
pub(super) fn network(r: &ProbeReport, out: &mut Out) {
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
            &UnstableNetworkFacts {
                signs: &signs,
                failures: tcp.failures,
                rtt_ms: tcp.rtt_ms.as_ref(),
            },
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
