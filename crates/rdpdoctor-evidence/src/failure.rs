//! How a step of the probe failed, as a kind set where it failed: the
//! judgement and the fleet's re-check decide on it, never on the words of
//! the human text recorded next to it.

use serde::{Deserialize, Serialize};

use crate::HandshakeFailure;

/// How one network step failed (a connect, an X.224 exchange, a TLS
/// handshake, a CredSSP or MCS read), typed by the probe where it saw the
/// failure. In the JSON as `failure_kind` next to the step's text.
///
/// An absent kind (`null` or no field) means the step did not fail, or the
/// report comes from a version that did not type its failures: it is read as
/// "not known", never as a timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepFailure {
    /// No answer (or no complete answer) within the step timeout.
    Timeout,
    /// The TCP connect was refused (a RST answered the SYN).
    Refused,
    /// An ICMP error (host or network unreachable, administratively
    /// prohibited) or a local firewall refused the connect.
    Unreachable,
    /// The server (or something on the path) reset the connection.
    Reset,
    /// The server closed the connection (FIN) before the answer was whole.
    Closed,
    /// The server answered with a TLS alert (RFC 8446 6).
    Alert,
    /// An answer came, but not the message the step expects (it did not
    /// decode, or it is another message or another protocol).
    Invalid,
    /// Anything else (a local error, a certificate the client could not process).
    Other,
}

impl StepFailure {
    /// Every kind, in the order of the schema's enum.
    pub const ALL: [StepFailure; 8] = [
        Self::Timeout,
        Self::Refused,
        Self::Unreachable,
        Self::Reset,
        Self::Closed,
        Self::Alert,
        Self::Invalid,
        Self::Other,
    ];

    /// The kebab-case name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Refused => "refused",
            Self::Unreachable => "unreachable",
            Self::Reset => "reset",
            Self::Closed => "closed",
            Self::Alert => "alert",
            Self::Invalid => "invalid",
            Self::Other => "other",
        }
    }

    /// True for [`StepFailure::Timeout`].
    pub fn is_timeout(self) -> bool {
        self == Self::Timeout
    }
}

/// A TLS handshake's failure as a step's: the same kinds, named once.
impl From<HandshakeFailure> for StepFailure {
    fn from(h: HandshakeFailure) -> Self {
        match h {
            HandshakeFailure::NoAnswer => Self::Timeout,
            HandshakeFailure::Reset => Self::Reset,
            HandshakeFailure::Closed => Self::Closed,
            HandshakeFailure::Alert => Self::Alert,
            HandshakeFailure::Other => Self::Other,
        }
    }
}

/// True when an optional kind is a timeout (an absent kind is not).
pub fn timed_out(kind: Option<StepFailure>) -> bool {
    kind.is_some_and(StepFailure::is_timeout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::*;

    /// A report whose host answered TCP, every later step still to fill.
    fn answered() -> ProbeReport {
        crate::tests::report(true)
    }

    fn tls(kind: Option<StepFailure>, row: Option<StepFailure>) -> TlsEvidence {
        TlsEvidence {
            via: Protocol::Ssl,
            version: None,
            cipher_suite: None,
            error: Some("words that decide nothing".into()),
            failure: None,
            failure_kind: kind,
            versions: vec![TlsVersionResult {
                version: TlsVersion::Tls12,
                accepted: Some(false),
                elapsed_ms: None,
                cipher_suite: None,
                detail: Some("no complete handshake before the deadline".into()),
                secure_renegotiation: None,
                failure_kind: row,
            }],
        }
    }

    #[test]
    fn each_stage_times_out_by_its_kind_and_not_by_its_words() {
        let timeout = Some(StepFailure::Timeout);
        let closed = Some(StepFailure::Closed);
        // A later TCP sample: a timeout after another sample connected.
        let mut r = answered();
        let t = r.tcp.as_mut().unwrap();
        t.samples.push(ConnectSample {
            connected: false,
            elapsed_ms: 5.0,
            error: Some("timeout".into()),
            failure_kind: timeout,
        });
        assert!(r.timed_out_after_answer());
        r.tcp.as_mut().unwrap().samples[1].failure_kind = Some(StepFailure::Refused);
        assert!(!r.timed_out_after_answer());

        // TLS: the modern client before the handshake (X.224), and a version row.
        for (kind, row, want) in [
            (timeout, None, true),
            (None, timeout, true),
            (closed, None, false),
            (None, Some(StepFailure::Alert), false),
            (None, None, false),
        ] {
            let mut r = answered();
            r.tls = Some(tls(kind, row));
            assert_eq!(r.timed_out_after_answer(), want, "{kind:?} {row:?}");
        }

        // Standard RDP Security: an offer refused for want of an answer.
        // As the JSON has it (the options of the evidence left out).
        let offer = |k: &str| -> RdpSecurityEvidence {
            serde_json::from_value(serde_json::json!({"offers": [{
                "offered": [], "offered_bits": 2,
                "outcome": {"kind": "refused", "failure_kind": k,
                    "detail": "no MCS Connect Response before the deadline"}
            }]}))
            .unwrap()
        };
        let mut r = answered();
        r.rdp_security = Some(offer("timeout"));
        assert!(r.timed_out_after_answer());
        r.rdp_security = Some(offer("invalid"));
        assert!(!r.timed_out_after_answer());

        // The deep probe stopped by a TLS handshake that did not finish.
        let deep = |k: Option<StepFailure>| DeepEvidence {
            via: Protocol::Ssl,
            phase_reached: DeepPhase::Security,
            outcome: DeepOutcome::Failed {
                detail: "the TLS handshake did not finish before the deadline".into(),
                failure_kind: k,
            },
            licensing: None,
            channels: vec![],
            elapsed_ms: 1.0,
        };
        let mut r = answered();
        r.deep = Some(deep(timeout));
        assert!(r.timed_out_after_answer());
        r.deep = Some(deep(Some(StepFailure::Reset)));
        assert!(!r.timed_out_after_answer());
        r.deep = Some(deep(None));
        assert!(!r.timed_out_after_answer());
    }

    #[test]
    fn the_kind_is_kebab_case_in_the_json_and_absent_reads_as_unknown() {
        let sample = ConnectSample {
            connected: false,
            elapsed_ms: 1.0,
            error: Some("timeout".into()),
            failure_kind: Some(StepFailure::Timeout),
        };
        let v = serde_json::to_value(&sample).unwrap();
        assert_eq!(v["failure_kind"], "timeout");
        // An older report, without the field, still reads.
        let old = serde_json::json!({"connected": false, "elapsed_ms": 1.0, "error": "timeout"});
        let back: ConnectSample = serde_json::from_value(old).unwrap();
        assert_eq!(back.failure_kind, None);
        let old = serde_json::json!({"kind": "connect-failed", "error": "timeout"});
        let back: NegotiationOutcome = serde_json::from_value(old).unwrap();
        assert_eq!(back.failure_kind(), None);
        assert_eq!(
            NegotiationOutcome::Silent.failure_kind(),
            Some(StepFailure::Timeout)
        );
        assert_eq!(
            StepFailure::from(HandshakeFailure::NoAnswer),
            StepFailure::Timeout
        );
    }
}
