//! Network Level Authentication with the target through the gateway's
//! channel: the direct probe's own CredSSP stages ([MS-CSSP 3.1.5], NTLM
//! or Kerberos through `sspi`, [`crate::stage::logon`], the package chosen
//! as directly) over the TLS stream the channel
//! already carries, as mstsc continues on the one connection after TLS.
//!
//! With the full profile and `--user`, this is the run's one logon attempt
//! at the target ([MS-CSSP 3.1.5] NEGOTIATE → CHALLENGE → AUTHENTICATE with
//! the public-key proof → the echo → TSCredentials, then under HYBRID_EX
//! the Early User Authorization Result, [MS-RDPBCGR 2.2.10.2]); the
//! target's first TSRequest, its NTLM CHALLENGE ([MS-NLMP 2.2.1.2]), is also
//! the CredSSP stage's evidence (version, names, build, clock). The fast
//! profile never logs on, nor do credentials for the gateway only (`scan`,
//! the exporter): they send only the NEGOTIATE of the CredSSP stage.
//! The credentials reach the target only here, after the gateway accepted
//! them (no channel opens otherwise), and only once.

use crate::credentials::Credentials;
use crate::io::{self, Deadline};
use crate::stage::{credssp, logon};
use rdpdoctor_evidence::{
    CredSspEvidence, LogonEvidence, LogonMethod, LogonPhase, NtlmFacts, Protocol,
};
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite};

/// What CredSSP through the channel measured.
#[derive(Default)]
pub struct Nla {
    /// The CredSSP stage: the target's TSRequest version and NTLM facts.
    pub credssp: Option<(CredSspEvidence, Option<NtlmFacts>)>,
    /// Milliseconds of the CredSSP exchange.
    pub credssp_ms: Option<f64>,
    /// The logon attempt (full profile only).
    pub logon: Option<LogonEvidence>,
}

/// CredSSP over `tls`, a stream whose target selected `selected` (HYBRID or
/// HYBRID_EX) and presented `leaf`; the logon only when `logon` (the full
/// profile, with credentials not kept for the gateway only).
pub(crate) async fn run<S: AsyncRead + AsyncWrite + Unpin>(
    tls: S,
    leaf: Option<&[u8]>,
    selected: Protocol,
    host: &str,
    creds: &Credentials,
    logon: bool,
    deadline: &Deadline,
) -> Nla {
    let t = Instant::now();
    if !logon {
        let r = credssp::exchange(tls, deadline, crate::now_millis).await;
        return Nla {
            credssp: Some(r),
            credssp_ms: Some(io::elapsed_ms(t)),
            logon: None,
        };
    }
    let hybrid_ex = selected == Protocol::HybridEx;
    let mut ev = logon::evidence(creds, LogonMethod::Credssp);
    // The package as the direct logon chooses it: Kerberos for
    // TERMSRV/<target> where the run knows the realm's KDC and the KDC the
    // SPN, as mstsc in a domain through a gateway; NTLM otherwise.
    ev.mechanism = Some(crate::stage::logon_kerberos::choose(host, creds, deadline.step()).await);
    ev.via = Some(if hybrid_ex {
        Protocol::HybridEx
    } else {
        Protocol::Hybrid
    });
    ev.phase_reached = LogonPhase::Negotiated;
    let mut first = None;
    logon::after_tls(
        tls,
        leaf,
        host,
        creds,
        hybrid_ex,
        deadline,
        &mut ev,
        Some(&mut first),
    )
    .await;
    ev.elapsed_ms = io::elapsed_ms(t);
    Nla {
        credssp: first.map(|f| credssp::from_answer(&f.frame, f.sent_at, f.received_at)),
        credssp_ms: Some(ev.elapsed_ms),
        logon: Some(ev),
    }
}
