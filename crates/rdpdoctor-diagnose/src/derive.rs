//! Evidence → findings. Pure: no clock, no I/O; every threshold is a named
//! constant here or in [`crate::scoring`].

use crate::facts::Facts;
use crate::finding::{Finding, FindingId, Qualifier, Severity};
use crate::posture::{NlaBasis, NlaPolicy, SSL_CERT_NOT_ON_SERVER, SecurityLayer, SecurityPosture};
use rdpdoctor_evidence::{
    DeepOutcome, EncryptionLevel, HandshakeFailure, NegotiationOutcome, PortState, ProbeReport,
    RdpSecurityOutcome, Stats, TlsVersion,
};

mod deep;
mod kerberos;
mod logon;
mod negotiation;
mod reach;
mod security;
mod tls;

pub use deep::{
    ERRINFO_LICENSE_RANGE, ERRINFO_SERVER_DENIED_CONNECTION,
    ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES, after_security,
};

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
    fn add<F: Facts>(&mut self, id: FindingId, severity: Severity, summary: String, facts: &F) {
        self.0.push(Finding::new(id, severity, summary, facts));
    }

    fn add_q<F: Facts>(
        &mut self,
        id: FindingId,
        severity: Severity,
        qualifier: Option<Qualifier>,
        summary: String,
        facts: &F,
    ) {
        self.0
            .push(Finding::new(id, severity, summary, facts).qualified(qualifier));
    }
}

/// Derives the findings from a report, most severe first (stable within a severity).
pub fn derive(report: &ProbeReport, posture: Option<&SecurityPosture>) -> Vec<Finding> {
    let mut out = Out(Vec::new());
    reach::reachability(report, &mut out);
    reach::network(report, &mut out);
    if let Some(p) = posture {
        negotiation::negotiation(report, p, &mut out);
    }
    tls::tls_and_certificate(report, &mut out);
    security::credssp_and_ntlm(report, &mut out);
    security::rdp_security(report, &mut out);
    deep::deep(report, &mut out);
    logon::derive(report, &mut out);
    kerberos::derive(report, &mut out);
    let mut findings = out.0;
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
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
