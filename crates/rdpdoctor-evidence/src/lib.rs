//! The evidence model: what rdpdoctor observed, as plain data.
//!
//! Every source of evidence (the wire probe today; event logs and host
//! configuration later) fills these types, and everything downstream (the
//! findings, the diagnosis rules, the renderers) reads only these types. They
//! hold no I/O handles and no clocks: a report can be built by hand in a test,
//! serialised, and read back.
//!
//! The JSON form of [`ProbeReport`] is a public interface, versioned by
//! [`SCHEMA_VERSION`] and documented in `docs/json-schema.md`. Field names are
//! `snake_case`; enumerated values are `kebab-case` strings.
//!
//! One module per probe stage (`net` for the target, DNS and TCP,
//! `negotiation`, `tls`, `credssp`, `rdp_security`, `deep`, `logon`), `host`
//! for a host's own state, `protocol` for the protocol vocabulary; this file
//! holds the report that gathers them. Every type is re-exported here, so
//! its path is `rdpdoctor_evidence::Name` whichever file holds it.

#![forbid(unsafe_code)]

pub mod capture;
mod certificate;
mod credssp;
mod deep;
mod failure;
mod gateway;
pub mod host;
pub mod kerberos;
pub mod kerberos_start;
pub mod krb;
pub mod logon;
mod negotiation;
mod net;
mod protocol;
pub mod rdp_file;
mod rdp_security;
mod tls;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use capture::CaptureEvidence;
pub use certificate::{Certificate, CertificateFacts, SignatureHash};
pub use credssp::{CredSspEvidence, NtlmFacts};
pub use deep::{DeepEvidence, DeepOutcome, DeepPhase};
pub use failure::StepFailure;
pub use gateway::{
    GatewayAuth, GatewayEvidence, GatewayHop, GatewayHopKind, HopOutcome, HttpAuthScheme,
    RpcOverHttp, UdpOutcome, UdpSideChannel,
};
pub use host::HostEvidence;
pub use kerberos::{KdcOutcome, KdcReach, KdcReplyFacts, KerberosEvidence};
pub use kerberos_start::{KdcSource, KerberosStart, Krb5ConfRead, RealmFrom, StartReason};
pub use logon::{
    AuthPackage, KdcTransport, LogonErrorInfo, LogonEvidence, LogonMechanism, LogonMethod,
    LogonOutcome, LogonPhase, MechanismReason,
};
pub use negotiation::{NegotiationAttempt, NegotiationEvidence, NegotiationOutcome};
pub use net::{Addresses, ConnectSample, PortState, Stats, Target, TcpEvidence};
pub use protocol::{EncryptionLevel, EncryptionMethod, Protocol, ProtocolSet};
pub use rdp_file::{GatewayTarget, GatewayUsage, RdpFile, RdpFileEncoding, RdpSetting};
pub use rdp_security::{RdpSecurityEvidence, RdpSecurityOffer, RdpSecurityOutcome};
pub use tls::{HandshakeFailure, TlsEvidence, TlsVersion, TlsVersionResult};

/// Version of the JSON schema of every command's output. Bump on any change
/// that removes or renames a field or changes a field's meaning; adding a
/// field is not a breaking change. Version 2: one kebab-case vocabulary
/// (protocols, encryption, TLS versions), judgement moved out of the evidence
/// (`security`, `server`, `verdict`), `timings.stages_ms`.
pub const SCHEMA_VERSION: u32 = 2;

/// Everything one `rdpdoctor probe` learned about one host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeReport {
    /// Always [`SCHEMA_VERSION`] when produced by this version.
    pub schema_version: u32,
    /// The rdpdoctor version that produced the report.
    pub tool_version: String,
    /// What the user asked to probe.
    pub target: Target,
    /// When the probe started (RFC 3339, UTC).
    pub started_at: String,
    /// Name resolution.
    pub addresses: Addresses,
    /// TCP reachability; `None` when no address could be tried.
    pub tcp: Option<TcpEvidence>,
    /// The X.224 security negotiation matrix; `None` when TCP was not open.
    pub negotiation: Option<NegotiationEvidence>,
    /// TLS, where the server can select SSL or HYBRID.
    pub tls: Option<TlsEvidence>,
    /// The server's TLS certificate, where TLS completed.
    pub certificate: Option<CertificateFacts>,
    /// CredSSP without credentials, where the server can select HYBRID.
    pub credssp: Option<CredSspEvidence>,
    /// Facts from the server's NTLM CHALLENGE message.
    pub ntlm: Option<NtlmFacts>,
    /// Standard RDP Security, where the server accepts PROTOCOL_RDP.
    pub rdp_security: Option<RdpSecurityEvidence>,
    /// The deep probe: the connection sequence past security, towards the
    /// logon screen, where the server does not require NLA.
    pub deep: Option<DeepEvidence>,
    /// The credentialed check (`--user`): one logon attempt; never the password.
    pub logon: Option<LogonEvidence>,
    /// Wall time of each stage.
    pub timings: Timings,
    /// The deadlines the probe ran under: a step that got no answer got none
    /// *within these*, which is all a probe can say.
    pub limits: Limits,
    /// Stages this probe's profile left out that a full probe would have
    /// run (`scan --profile fast`): *not checked*, which says nothing of
    /// the server either way. Empty (and left out of the JSON) for a full probe.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<Stage>,
    /// How many times `scan` probed this host for this report: 1, or more
    /// when the first probe timed out after the host had answered TCP
    /// ([`ProbeReport::timed_out_after_answer`]) and `scan --retries` probed
    /// it again, this report replacing the earlier one. Left out of the JSON
    /// when 1.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub attempts: u32,
    /// The domain's Kerberos (`probe --realm`): the KDC's reach, its answer
    /// and its clock. Left out of the JSON when not asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kerberos: Option<KerberosEvidence>,
    /// The RD Gateway path (`probe --gateway`), hop by hop; left out of the
    /// JSON when the probe went direct.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<GatewayEvidence>,
    /// How the Kerberos stage found its realm and KDC, and whether it
    /// started on its own from the target's NTLM domain (or why not);
    /// left out when Kerberos was neither asked for nor considered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kerberos_start: Option<KerberosStart>,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

/// The deadlines a probe ran under (`--timeout`, `--ceiling`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Limits {
    /// Per network step (connect, one answer, one handshake), milliseconds.
    pub step_timeout_ms: f64,
    /// For the whole probe, milliseconds.
    pub ceiling_ms: f64,
}

impl Limits {
    /// The step timeout in seconds, for sentences (`5 s`).
    pub fn step_secs(&self) -> String {
        secs(self.step_timeout_ms)
    }
    /// The ceiling in seconds, for sentences.
    pub fn ceiling_secs(&self) -> String {
        secs(self.ceiling_ms)
    }
}

fn secs(ms: f64) -> String {
    let s = ms / 1000.0;
    if (s - s.round()).abs() < 0.05 {
        format!("{:.0} s", s)
    } else {
        format!("{s:.1} s")
    }
}

/// A stage of the probe, as named in `timings.stages_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Name resolution.
    Dns,
    /// TCP connect samples.
    Tcp,
    /// The X.224 negotiation matrix.
    Negotiation,
    /// TLS and the version matrix.
    Tls,
    /// CredSSP without credentials.
    Credssp,
    /// Standard RDP Security offers.
    RdpSecurity,
    /// The deep probe to the logon screen.
    Deep,
}

/// Wall time of the probe and of each stage, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Timings {
    /// The whole probe.
    pub total_ms: f64,
    /// Per stage, in milliseconds.
    pub stages_ms: BTreeMap<Stage, f64>,
    /// True when the overall ceiling cut the probe short.
    pub ceiling_hit: bool,
    /// Server round trips the deep probe's answer (Demand Active, Set Error
    /// Info, or where it stopped) waited for one after another, from the
    /// start of the probe: the TCP samples, the deep probe's own, and the
    /// X.224 matrix when it had to wait for it. `None` when no deep probe ran.
    #[serde(default)]
    pub critical_path_round_trips: Option<u32>,
    /// The deep probe's own round trips: its TCP connect, X.224 exchange, and
    /// each turn of the conversation after it (TLS flights included).
    #[serde(default)]
    pub deep_round_trips: Option<u32>,
}

impl ProbeReport {
    /// An empty report for `target`, to be filled stage by stage.
    pub fn new(target: Target, tool_version: &str, started_at: String) -> Self {
        ProbeReport {
            schema_version: SCHEMA_VERSION,
            tool_version: tool_version.to_owned(),
            target,
            started_at,
            addresses: Addresses::default(),
            tcp: None,
            negotiation: None,
            tls: None,
            certificate: None,
            credssp: None,
            ntlm: None,
            rdp_security: None,
            deep: None,
            logon: None,
            timings: Timings::default(),
            limits: Limits::default(),
            not_checked: Vec::new(),
            attempts: 1,
            kerberos: None,
            gateway: None,
            kerberos_start: None,
        }
    }

    /// True when the host answered TCP (a connect completed) and then a
    /// later step got no answer within its step timeout, or when the probe's
    /// ceiling cut it short: a result that says as much about the prober's
    /// deadlines (and its load) as about the server, worth one more look.
    /// A host silent at TCP (filtered, down) is not one: nothing answered.
    ///
    /// Decided on the kinds the probe typed where each step failed
    /// ([`StepFailure::Timeout`], [`NegotiationOutcome::Silent`],
    /// [`HandshakeFailure::NoAnswer`], [`DeepOutcome::Timeout`],
    /// [`LogonOutcome::NoAnswer`]), never on the words of a step's text. A
    /// report from before the kinds (no `failure_kind`) reads as no timeout
    /// where only its text said so.
    pub fn timed_out_after_answer(&self) -> bool {
        if self.timings.ceiling_hit {
            return true;
        }
        let answered = self
            .tcp
            .as_ref()
            .is_some_and(|t| t.samples.iter().any(|s| s.connected));
        if !answered {
            return false;
        }
        let timed_out = failure::timed_out;
        let tcp = self
            .tcp
            .as_ref()
            .is_some_and(|t| t.samples.iter().any(|s| timed_out(s.failure_kind)));
        let negotiation = self.negotiation.as_ref().is_some_and(|n| {
            n.attempts
                .iter()
                .any(|a| timed_out(a.outcome.failure_kind()))
        });
        let tls = self.tls.as_ref().is_some_and(|t| {
            t.failure == Some(HandshakeFailure::NoAnswer)
                || timed_out(t.failure_kind)
                || t.versions.iter().any(|v| timed_out(v.failure_kind))
        });
        let credssp = self
            .credssp
            .as_ref()
            .is_some_and(|c| timed_out(c.failure_kind));
        let rdp_security = self.rdp_security.as_ref().is_some_and(|r| {
            r.offers.iter().any(|o| match &o.outcome {
                RdpSecurityOutcome::Refused { failure_kind, .. } => timed_out(*failure_kind),
                _ => false,
            })
        });
        let deep = self.deep.as_ref().is_some_and(|d| match &d.outcome {
            DeepOutcome::Timeout => true,
            DeepOutcome::Failed { failure_kind, .. } => timed_out(*failure_kind),
            _ => false,
        });
        let logon = self
            .logon
            .as_ref()
            .is_some_and(|l| l.outcome == LogonOutcome::NoAnswer);
        tcp || negotiation || tls || credssp || rdp_security || deep || logon
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_median_of_even_and_odd() {
        assert_eq!(Stats::of(&[3.0, 1.0, 2.0]).unwrap().median, 2.0);
        let s = Stats::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((s.min, s.median, s.max), (1.0, 2.5, 4.0));
        assert!(Stats::of(&[]).is_none());
    }

    /// A report whose host answered TCP (`connected`) or was silent at it.
    pub(super) fn report(connected: bool) -> ProbeReport {
        let target = Target {
            input: "h".into(),
            host: "h".into(),
            port: 3389,
            host_is_ip: false,
        };
        let mut r = ProbeReport::new(target, "0", String::new());
        r.tcp = Some(TcpEvidence {
            state: if connected {
                PortState::Open
            } else {
                PortState::Filtered
            },
            samples: vec![ConnectSample {
                connected,
                elapsed_ms: 1.0,
                error: (!connected).then(|| "timeout".to_owned()),
                failure_kind: (!connected).then_some(StepFailure::Timeout),
            }],
            rtt_ms: None,
            failures: u32::from(!connected),
            first_response: None,
            other_protocol: None,
        });
        r
    }

    fn row(outcome: NegotiationOutcome) -> NegotiationEvidence {
        NegotiationEvidence {
            attempts: vec![NegotiationAttempt {
                requested: ProtocolSet::from_bits(Some(3)),
                outcome,
                connect_ms: 1.0,
                answer_ms: 1.0,
            }],
        }
    }

    #[test]
    fn a_timeout_after_tcp_answered_is_one_and_silence_at_tcp_is_not() {
        // Silent at TCP (filtered or down): nothing answered, nothing to re-check.
        assert!(!report(false).timed_out_after_answer());
        // Answered, and every step answered.
        let mut r = report(true);
        r.negotiation = Some(row(NegotiationOutcome::NoNegotiationData));
        assert!(!r.timed_out_after_answer());
        // The X.224 request got no answer.
        r.negotiation = Some(row(NegotiationOutcome::Silent));
        assert!(r.timed_out_after_answer());
        // A later connect timed out.
        let failed = |e: &str, k: StepFailure| NegotiationOutcome::ConnectFailed {
            error: e.into(),
            failure_kind: Some(k),
        };
        r.negotiation = Some(row(failed("timeout", StepFailure::Timeout)));
        assert!(r.timed_out_after_answer());
        // A refusal is an answer.
        r.negotiation = Some(row(failed("refused", StepFailure::Refused)));
        assert!(!r.timed_out_after_answer());
        // CredSSP's read got no answer: the kind says so, whatever the words.
        r.credssp = Some(CredSspEvidence {
            server_version: None,
            client_version: 6,
            error_code: None,
            ntlm_challenge: false,
            error: Some("no TSRequest from the server: no answer before the deadline".into()),
            failure_kind: Some(StepFailure::Timeout),
        });
        assert!(r.timed_out_after_answer());
        // Its connect timed out (seen under load: the X.224 exchange that
        // opens CredSSP's connection, named as the probe names it, with the
        // kind of that exchange's outcome).
        let x224 = |r: &mut ProbeReport, o: NegotiationOutcome| {
            let c = r.credssp.as_mut().unwrap();
            c.failure_kind = o.failure_kind();
            c.error = Some(format!("the X.224 exchange did not lead to TLS: {o}"));
        };
        x224(&mut r, failed("timeout", StepFailure::Timeout));
        assert!(r.timed_out_after_answer());
        x224(&mut r, NegotiationOutcome::Silent);
        assert!(r.timed_out_after_answer());
        r.credssp.as_mut().unwrap().error = Some("the server reset the connection".into());
        r.credssp.as_mut().unwrap().failure_kind = Some(StepFailure::Reset);
        assert!(!r.timed_out_after_answer());
        x224(&mut r, failed("refused", StepFailure::Refused));
        assert!(!r.timed_out_after_answer());
        x224(&mut r, NegotiationOutcome::Closed);
        assert!(!r.timed_out_after_answer());
        // The words alone decide nothing: a text that says "deadline" with
        // another kind is not a timeout, and an older report without a kind
        // is not one either.
        r.credssp.as_mut().unwrap().error =
            Some("no TSRequest from the server: no answer before the deadline".into());
        r.credssp.as_mut().unwrap().failure_kind = Some(StepFailure::Closed);
        assert!(!r.timed_out_after_answer());
        r.credssp.as_mut().unwrap().failure_kind = None;
        assert!(!r.timed_out_after_answer());
        r.credssp = None;
        // The ceiling, whatever TCP did (the scheduler's own net leaves no TCP evidence).
        let mut r = report(false);
        r.tcp = None;
        r.timings.ceiling_hit = true;
        assert!(r.timed_out_after_answer());
    }

    #[test]
    fn attempts_is_in_the_json_only_for_a_recheck() {
        let mut r = report(true);
        let v = serde_json::to_value(&r).unwrap();
        assert!(v.get("attempts").is_none());
        r.attempts = 2;
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["attempts"], 2);
        let mut v = serde_json::to_value(&r).unwrap();
        v.as_object_mut().unwrap().remove("attempts");
        let back: ProbeReport = serde_json::from_value(v).unwrap();
        assert_eq!(back.attempts, 1, "an older report reads as one attempt");
    }
}
