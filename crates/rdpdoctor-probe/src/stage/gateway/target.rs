//! The target itself, through the gateway's channels: the X.224 security
//! negotiation ([MS-RDPBCGR 1.3.1.1]) and the TLS handshake with the
//! target's certificate, run by the direct probe's own stages over the
//! channel's byte stream (`super::channel`).
//!
//! Three requests, each in a channel of its own (a channel carries one RDP
//! connection, [MS-TSGU 3.2.5]): mstsc's (SSL|HYBRID|HYBRID_EX) on the
//! channel the path opened, and, at once, RDP and SSL alone. Those three
//! are enough to tell the security layer (RDP, TLS, or both) and whether
//! NLA is required, optional or absent, without the eight connections of
//! the direct matrix each costing an authentication at the gateway. The
//! TLS handshake then continues on a channel whose request led to TLS, as
//! a client's would; the TLS version matrix is not run through a gateway.

use super::channel::{self, ChannelEnd};
use super::spare::Spare;
use super::tunnel::Tunnel;
use crate::io::{self, Deadline, FramedStream};
use crate::stage::negotiation;
use crate::stage::tls;
use rdpdoctor_evidence::{
    NegotiationAttempt, NegotiationEvidence, NegotiationOutcome, Protocol, TlsEvidence, TlsVersion,
    TlsVersionResult,
};
use rdpdoctor_wire::x224::protocol::{HYBRID, HYBRID_EX, RDP, SSL};
use std::future::Future;
use std::time::Instant;
use tokio::io::DuplexStream;

/// The requests sent through the gateway, mstsc's first.
const REQUESTS: [u32; 3] = [SSL | HYBRID | HYBRID_EX, RDP, SSL];

/// What the target answered through the gateway.
pub struct Through {
    /// The X.224 requests and their answers.
    pub negotiation: NegotiationEvidence,
    /// The TLS handshake, when a request led to TLS.
    pub tls: Option<TlsEvidence>,
    /// The target's leaf certificate (DER), when a handshake got that far.
    pub leaf_der: Option<Vec<u8>>,
    /// Why the gateway ended a channel before the target's answer, when it did.
    pub channel_end: Option<String>,
    /// Milliseconds of the X.224 negotiation through the channel.
    pub negotiation_ms: f64,
    /// Milliseconds of the TLS handshake.
    pub tls_ms: Option<f64>,
    /// CredSSP and the logon, on the channel whose TLS led to NLA.
    pub nla: super::nla::Nla,
    /// Standard RDP Security's offers and their milliseconds, when the
    /// target selects PROTOCOL_RDP (full profile; fast: only when no TLS
    /// handshake got through, as directly).
    pub rdp_security: Option<(rdpdoctor_evidence::RdpSecurityEvidence, f64)>,
    /// The deep probe (full profile).
    pub deep: Option<crate::stage::deep::DeepRun>,
}

pub(super) type Answer = (
    NegotiationAttempt,
    Option<FramedStream<DuplexStream>>,
    Option<ChannelEnd>,
);

/// One request through `tunnel` (or the reason no channel opened).
pub(super) async fn ask(
    tunnel: Result<Tunnel, String>,
    requested: u32,
    opened_ms: f64,
    deadline: &Deadline,
) -> Answer {
    let (outcome, framed, end, answer_ms) = match tunnel {
        // No channel: the gateway's own hop says why; the kind is not the target's.
        Err(error) => (
            NegotiationOutcome::ConnectFailed {
                error,
                failure_kind: None,
            },
            None,
            None,
            0.0,
        ),
        Ok(tunnel) => {
            let (stream, end) = channel::stream(tunnel, deadline);
            let t = Instant::now();
            let (outcome, framed) =
                negotiation::exchange(FramedStream::new(stream), Some(requested), deadline).await;
            (outcome, framed, Some(end), io::elapsed_ms(t))
        }
    };
    let attempt = NegotiationAttempt {
        requested: negotiation::protocol_set(Some(requested)),
        outcome,
        connect_ms: opened_ms,
        answer_ms,
    };
    (attempt, framed, end)
}

fn leads_to_tls(a: &NegotiationAttempt) -> Option<Protocol> {
    match NegotiationEvidence::selected(a)? {
        Protocol::Ssl => Some(Protocol::Ssl),
        p if p.is_nla() => Some(Protocol::Hybrid),
        _ => None,
    }
}

/// The NLA protocol the target selected (HYBRID or HYBRID_EX), if it did.
fn nla_selected(a: &NegotiationAttempt) -> Option<Protocol> {
    NegotiationEvidence::selected(a).filter(|p| p.is_nla())
}

/// Runs the target's negotiation and TLS through `first` (the channel the
/// path opened) and channels from `more` (each a new path through the
/// gateway, or why it did not open); then, where the TLS channel's target
/// selected NLA, CredSSP on it with `creds` (the logon only when `full`,
/// [`super::nla`]).
pub(super) async fn probe<F, Fut>(
    first: Tunnel,
    first_ms: f64,
    more: F,
    host: &str,
    creds: &crate::Credentials,
    full: bool,
    deadline: &Deadline,
) -> Through
where
    F: Fn() -> Fut,
    Fut: Future<Output = (Result<Tunnel, String>, f64)>,
{
    let t = Instant::now();
    let [mstsc, rdp, ssl] = REQUESTS;
    let other = |requested: u32| {
        let open = more();
        async move {
            let (tunnel, ms) = open.await;
            ask(tunnel, requested, ms, deadline).await
        }
    };
    // The deep probe's channel, opened beside the negotiation's (`spare`).
    // Boxed, as the other channels' paths are not: beside them on the stack
    // the joined futures overflow a scan worker's (debug builds).
    let ahead = Box::pin(async {
        match full {
            true => Some(more().await),
            false => None,
        }
    });
    let (a, b, c, ahead) = tokio::join!(
        ask(Ok(first), mstsc, first_ms, deadline),
        other(rdp),
        other(ssl),
        ahead
    );
    let negotiation_ms = io::elapsed_ms(t);
    let deep_spare = Spare::new(ahead);
    let mut answers = [a, b, c];
    let channel_end = |answers: &[Answer]| {
        answers.iter().find_map(|(_, _, end)| {
            end.as_ref()
                .and_then(|e| e.lock().ok().and_then(|s| s.clone()))
        })
    };
    // TLS on the first channel whose request led to TLS, mstsc's first.
    let mut tls_on = None;
    for (attempt, framed, _) in answers.iter_mut() {
        if let (Some(via), Some(f)) = (leads_to_tls(attempt), framed.take()) {
            tls_on = Some((via, nla_selected(attempt), f.into_parts().0));
            break;
        }
    }
    let mut through = Through {
        negotiation: NegotiationEvidence {
            attempts: Vec::new(),
        },
        tls: None,
        leaf_der: None,
        channel_end: None,
        negotiation_ms,
        tls_ms: None,
        nla: Default::default(),
        rdp_security: None,
        deep: None,
    };
    // The TLS stream kept for CredSSP, with the NLA protocol selected on it.
    let mut kept = None;
    if let Some((via, nla, stream)) = tls_on {
        let t = Instant::now();
        let (config, seen) =
            tls::client_config_recording(&[&rustls::version::TLS12, &rustls::version::TLS13]);
        let r = tls::rustls_handshake(stream, host, config, deadline).await;
        through.tls_ms = Some(io::elapsed_ms(t));
        let (evidence, leaf) = match r {
            Ok((version, suite, leaf, stream)) => {
                kept = nla.map(|p| (p, stream));
                (
                    TlsEvidence {
                        via,
                        version: Some(version),
                        cipher_suite: Some(suite.clone()),
                        error: None,
                        failure: None,
                        failure_kind: None,
                        versions: versions(Some((version, suite))),
                    },
                    leaf,
                )
            }
            Err(e) => (
                TlsEvidence {
                    via,
                    version: None,
                    cipher_suite: None,
                    error: Some(e.message),
                    failure: e.failure,
                    failure_kind: e.kind,
                    versions: versions(None),
                },
                seen.lock().ok().and_then(|mut s| s.take()),
            ),
        };
        through.tls = Some(evidence);
        through.leaf_der = leaf;
    }
    // After TLS 1.3, whether TLS 1.2 is accepted too decides whether
    // clients without TLS 1.3 connect (as the direct fast profile asks):
    // one more handshake, on a spare channel or a new one.
    if let Some(tls) = through.tls.as_mut()
        && tls.version == Some(TlsVersion::Tls13)
    {
        let spare = answers.iter_mut().find_map(|(a, framed, _)| {
            leads_to_tls(a)?;
            framed.take()
        });
        let spare = match spare {
            Some(f) => Some(f),
            None => {
                let (tunnel, ms) = more().await;
                ask(tunnel, mstsc, ms, deadline).await.1
            }
        };
        if let Some(f) = spare {
            let r = tls::rustls_handshake(
                f.into_parts().0,
                host,
                tls::client_config(&[&rustls::version::TLS12]),
                deadline,
            )
            .await;
            if let Some(row) = tls
                .versions
                .iter_mut()
                .find(|v| v.version == TlsVersion::Tls12)
            {
                *row = tls12_row(r.map(|(_, suite, _, _)| suite));
            }
        }
    }
    // Standard RDP Security where the target selects it: the first offer on
    // the channel whose RDP request it selected.
    let asked = NegotiationEvidence {
        attempts: answers.iter().map(|(a, _, _)| a.clone()).collect(),
    };
    let tls_got_through = through.tls.as_ref().is_some_and(|t| t.version.is_some());
    let rdp_offers = async {
        // Fast: only when no TLS handshake got through, as directly.
        let wanted = full || !tls_got_through;
        if crate::stage::rdp_security::rdp_request(&asked).is_none() || !wanted {
            return None;
        }
        let t = Instant::now();
        let first = answers
            .iter_mut()
            .find(|(a, _, _)| a.requested == negotiation::protocol_set(Some(RDP)))
            .and_then(|(_, framed, _)| framed.take());
        let ev = super::rdp_security::run(first, &more, deadline).await;
        Some((ev, io::elapsed_ms(t)))
    };
    // Beside it, as directly, the deep probe on a channel of its own; then,
    // for a target without NLA, the logon in a Client Info PDU (after the
    // deep probe, whose answer without credentials it is weighed against)
    // on a channel opened beside the deep probe: both while the offers run.
    let nla_anywhere = asked.can_select(Protocol::Hybrid) || asked.can_select(Protocol::HybridEx);
    let client_info_logon = full && !nla_anywhere && !creds.gateway_only();
    let deep_more = || deep_spare.or_more(&more);
    let deep_then_logon = Box::pin(async {
        if !full {
            return (None, None);
        }
        let logon_ahead = async {
            match client_info_logon && crate::stage::deep::choose(&asked).is_some() {
                true => Some(more().await),
                false => None,
            }
        };
        let (deep, logon_ahead) = tokio::join!(
            super::deep::run(&asked, &deep_more, host, deadline),
            logon_ahead
        );
        let logon_spare = Spare::new(logon_ahead);
        let logon_more = || logon_spare.or_more(&more);
        let logon = match client_info_logon {
            true => super::deep::logon(&asked, &logon_more, host, creds, deadline).await,
            false => None,
        };
        logon_spare.close(deadline).await;
        (deep, logon)
    });
    let (rdp_security, (deep, logon)) = tokio::join!(rdp_offers, deep_then_logon);
    (through.rdp_security, through.deep, through.nla.logon) = (rdp_security, deep, logon);
    deep_spare.close(deadline).await;
    // Last, as directly: CredSSP (and the one logon attempt) on the kept stream.
    if let Some((selected, stream)) = kept {
        let leaf = through.leaf_der.as_deref();
        let logon = full && !creds.gateway_only();
        through.nla = super::nla::run(stream, leaf, selected, host, creds, logon, deadline).await;
    }
    through.channel_end = channel_end(&answers);
    through.negotiation.attempts = answers.into_iter().map(|(a, _, _)| a).collect();
    through
}

/// The version row: the version the handshake got is accepted; the others
/// are not tested through a gateway (`accepted: null`).
fn versions(got: Option<(TlsVersion, String)>) -> Vec<TlsVersionResult> {
    TlsVersion::ALL
        .into_iter()
        .map(|v| {
            let accepted = got.as_ref().filter(|(g, _)| *g == v);
            TlsVersionResult {
                elapsed_ms: None,
                version: v,
                accepted: accepted.map(|_| true),
                cipher_suite: accepted.map(|(_, s)| s.clone()),
                detail: Some(if accepted.is_some() {
                    "the handshake through the RD Gateway".into()
                } else {
                    "not tested through the RD Gateway".into()
                }),
                secure_renegotiation: None,
                failure_kind: None,
            }
        })
        .collect()
}

/// The TLS 1.2 row from a TLS 1.2-only handshake: refused only when the
/// target answered and failed it; no answer in time is "not tested".
fn tls12_row(r: Result<String, tls::TlsConnectError>) -> TlsVersionResult {
    let (accepted, cipher_suite, detail, failure_kind) = match r {
        Ok(suite) => (Some(true), Some(suite), None, None),
        Err(e) => match e.failure {
            Some(f) if f != rdpdoctor_evidence::HandshakeFailure::NoAnswer => {
                (Some(false), None, Some(e.message), e.kind)
            }
            _ => (None, None, Some(e.message), e.kind),
        },
    };
    TlsVersionResult {
        elapsed_ms: None,
        version: TlsVersion::Tls12,
        accepted,
        cipher_suite,
        detail: detail.or_else(|| Some("the handshake through the RD Gateway".into())),
        secure_renegotiation: None,
        failure_kind,
    }
}
