//! The I/O tier: probes one RDP host over the wire, stage by stage, as a real
//! client would, and fills the evidence model.
//!
//! ```text
//! dns → tcp samples → X.224 negotiation matrix ─┬→ TLS + version matrix → certificate
//!                                               ├→ CredSSP/NTLM (server facts, clock)
//!                                               ├→ Standard RDP Security offers
//!                                               └→ deep probe: MCS … Client Info → Demand Active / ERRINFO
//! ```
//! The four branches after the negotiation run concurrently; the deep probe
//! over TLS starts even earlier, beside the matrix, and only waits for it
//! when the server does not select SSL (`stage::deep::start_early`).
//! Every network
//! step is bounded by [`ProbeOptions::step_timeout`], and the whole probe by
//! [`ProbeOptions::ceiling`]; every read is bounded in size (see [`io`]).
//! The codecs are in `rdpdoctor-wire`; this crate only moves bytes and keeps time.

#![forbid(unsafe_code)]

pub mod credentials;
pub mod io;
pub mod stage;
pub mod target;

use io::Deadline;
use rdpdoctor_evidence::{CertificateFacts, ProbeReport, Protocol, Stage, Target};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use credentials::{Credentials, KerberosLogon};
pub use stage::gateway::{GatewayTarget, parse_gateway};
pub use target::{DEFAULT_PORT, TargetError, parse_target};

/// How to probe.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Budget of one network step (connect, one request/answer, one handshake).
    pub step_timeout: Duration,
    /// Budget of the whole probe.
    pub ceiling: Duration,
    /// TCP connect samples.
    pub samples: u32,
    /// Connect to this address instead of the resolved one (the name is still resolved and checked);
    /// through a gateway, the gateway's address.
    pub address: Option<IpAddr>,
    /// Do a reverse (PTR) lookup of the address used.
    pub reverse_dns: bool,
    /// Credentials for one logon attempt after the other stages (`--user`).
    pub credentials: Option<Credentials>,
    /// How much to probe.
    pub profile: Profile,
    /// The RD Gateway the connection goes through (`--gateway`, an `.rdp`
    /// file's gateway, a scan's or an exporter module's): [`probe`] then
    /// follows the path through it ([`probe_via_gateway`]).
    pub gateway: Option<GatewayTarget>,
    /// Without a realm known before the probe: where the logon's Kerberos
    /// goes once the target's NTLM facts are known (the automatic start).
    /// Asked once, on a direct probe with credentials that name no KDC yet.
    pub kerberos_after_ntlm: Option<KerberosAfterNtlm>,
}

/// The caller's plan for the logon's Kerberos from what the probe learned
/// before the logon: the CredSSP stage's NTLM CHALLENGE ([MS-NLMP 2.2.1.2],
/// asked without credentials, so no password has gone out yet) names the
/// target's DNS domain, whose realm and KDC the caller's krb5.conf (or
/// `--kdc`) may know. `None`: no KDC is known, the logon uses NTLM. It may
/// block (a KDC's name from krb5.conf is resolved), so [`probe`] runs it on
/// a blocking thread within one step timeout.
#[derive(Clone)]
pub struct KerberosAfterNtlm(pub std::sync::Arc<KerberosPlanner>);

/// The function of a [`KerberosAfterNtlm`].
pub type KerberosPlanner = dyn Fn(&ProbeReport) -> Option<KerberosLogon> + Send + Sync;

impl std::fmt::Debug for KerberosAfterNtlm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KerberosAfterNtlm")
    }
}

/// How much of the probe to run: everything (`probe`), or what matters
/// fleet-wide (`scan --profile fast`, an exporter module).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// What matters fleet-wide, cheaply: TCP (one sample is enough, see
    /// `ProbeOptions::samples`), the X.224 negotiation matrix (the NLA
    /// verdict rests on what the server *selects*), one modern TLS handshake
    /// and its certificate, the NTLM facts (CredSSP). The TLS version matrix
    /// runs only when the modern handshake fails (then it is what says why),
    /// and the Standard RDP Security offers only when no TLS handshake got
    /// through (then they decide whether any client connects). No deep probe
    /// (MCS … Demand Active), no logon. What was left out is listed in
    /// `ProbeReport::not_checked`, and reads as "not checked". Connections
    /// (counted with an nft SYN counter on the lab's servers): a TLS host 11
    /// (1 TCP sample, 8 X.224 requests, the modern handshake, the TLS 1.2
    /// check after 1.3), 12 with NLA (CredSSP), 14 for a host with Standard
    /// RDP Security only (5 offers, no TLS); `Full` costs 20 to 24.
    Fast,
    /// Every stage.
    #[default]
    Full,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            step_timeout: Duration::from_secs(5),
            ceiling: Duration::from_secs(60),
            samples: 5,
            address: None,
            reverse_dns: true,
            credentials: None,
            profile: Profile::Full,
            gateway: None,
            kerberos_after_ntlm: None,
        }
    }
}

/// Something the caller can show while the probe runs.
pub trait Progress: Send + Sync {
    /// A stage starts.
    fn stage(&self, name: &str);
}

/// Shows nothing.
pub struct NoProgress;
impl Progress for NoProgress {
    fn stage(&self, _: &str) {}
}

/// Milliseconds since the Unix epoch, by the local clock.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// RFC 3339 UTC, seconds precision, for Unix milliseconds.
pub fn rfc3339_millis(ms: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()?;
    let t = t.replace_nanosecond(0).ok()?;
    t.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// Probes `target`, directly or through [`ProbeOptions::gateway`]. Never
/// fails: what went wrong is evidence.
pub async fn probe(target: Target, opts: &ProbeOptions, progress: &dyn Progress) -> ProbeReport {
    if let Some(gw) = &opts.gateway {
        return probe_via_gateway(target, gw, opts, progress).await;
    }
    let started = Instant::now();
    let deadline = Deadline::new(opts.step_timeout, opts.ceiling);
    let mut report = empty_report(&target, opts);
    let stage_time = |report: &mut ProbeReport, stage: Stage, t: Instant| {
        report.timings.stages_ms.insert(stage, io::elapsed_ms(t));
    };

    progress.stage("resolving");
    let t = Instant::now();
    report.addresses =
        stage::dns::resolve(&target, opts.address, opts.reverse_dns, &deadline).await;
    stage_time(&mut report, Stage::Dns, t);
    let Some(ip) = report.addresses.used else {
        return finish(report, started, &deadline);
    };
    let addr = SocketAddr::new(ip, target.port);

    progress.stage("connecting");
    let t = Instant::now();
    let mut tcp = stage::tcp::sample(addr, opts.samples, deadline.step()).await;
    stage_time(&mut report, Stage::Tcp, t);
    if tcp.state != rdpdoctor_evidence::PortState::Open {
        report.tcp = Some(tcp);
        return finish(report, started, &deadline);
    }

    // The deep probe over TLS starts now, beside the X.224 matrix: on a slow
    // link its round trips are the probe's critical path. Not earlier: beside
    // the TCP samples, one more connection to a server with a tiny listen
    // backlog (xrdp: 2) can cost a sample a 1 s SYN retransmit, which reads
    // as an unstable network.
    let full = opts.profile == Profile::Full;
    let early_deep = full.then(|| stage::deep::start_early(addr, &target.host, &deadline));

    progress.stage("negotiating security");
    let t = Instant::now();
    let neg = stage::negotiation::run(addr, &deadline).await;
    stage_time(&mut report, Stage::Negotiation, t);
    stage::tcp::settle(&mut tcp, &neg);
    report.tcp = Some(tcp);

    progress.stage("TLS, CredSSP, RDP security and the logon screen");
    let host = target.host.as_str();
    let wants_credssp = neg.can_select(Protocol::Hybrid) || neg.can_select(Protocol::HybridEx);
    let tls_fut = async {
        let t = Instant::now();
        (
            stage::tls::run(addr, host, &neg, &deadline, full).await,
            io::elapsed_ms(t),
        )
    };
    let credssp_fut = async {
        let t = Instant::now();
        let r = if wants_credssp {
            Some(stage::credssp::run(addr, host, &deadline, now_millis).await)
        } else {
            None
        };
        (r, io::elapsed_ms(t))
    };
    let rdp_fut = async {
        let t = Instant::now();
        let r = if full {
            stage::rdp_security::run(addr, &neg, &deadline).await
        } else {
            None
        };
        (r, io::elapsed_ms(t))
    };
    let deep_fut = async {
        match early_deep {
            Some(early) => stage::deep::finish(early, addr, host, &neg, &deadline).await,
            None => None,
        }
    };
    let ((tls, tls_ms), (cs, cs_ms), (rdp, rdp_ms), deep) =
        tokio::join!(tls_fut, credssp_fut, rdp_fut, deep_fut);
    let matrix_round_trips = stage::deep::matrix_round_trips(&neg);
    let tls_got_through = tls.as_ref().is_some_and(|t| t.evidence.version.is_some());
    let rdp = match (rdp, full) {
        // Fast: the offers only when no modern TLS handshake got through,
        // where they decide whether any client connects at all.
        (None, false) if !tls_got_through => {
            let t = Instant::now();
            let r = stage::rdp_security::run(addr, &neg, &deadline).await;
            (r, io::elapsed_ms(t))
        }
        (r, _) => (r, rdp_ms),
    };
    let (rdp, rdp_ms) = rdp;
    if !full {
        if rdp.is_none() && stage::rdp_security::rdp_request(&neg).is_some() {
            report.not_checked.push(Stage::RdpSecurity);
        }
        if stage::deep::choose(&neg).is_some() {
            report.not_checked.push(Stage::Deep);
        }
    }
    report.negotiation = Some(neg);
    let mut cert_info = None;
    if let Some(tls) = tls {
        report.timings.stages_ms.insert(Stage::Tls, tls_ms);
        cert_info = tls
            .leaf_der
            .as_deref()
            .and_then(|der| rdpdoctor_wire::cert::analyze(der).ok());
        report.tls = Some(tls.evidence);
    }
    if let Some((cs, ntlm)) = cs {
        report.timings.stages_ms.insert(Stage::Credssp, cs_ms);
        report.credssp = Some(cs);
        report.ntlm = ntlm;
    }
    if let Some(rdp) = rdp {
        report.timings.stages_ms.insert(Stage::RdpSecurity, rdp_ms);
        report.rdp_security = Some(rdp);
    }
    if let Some(run) = deep {
        report
            .timings
            .stages_ms
            .insert(Stage::Deep, run.evidence.elapsed_ms);
        // Before the deep probe: the TCP samples (one round of concurrent
        // connects) and, unless it ran beside it, the X.224 matrix.
        let waited = if run.started_early {
            1
        } else {
            1 + matrix_round_trips
        };
        report.timings.deep_round_trips = Some(run.round_trips);
        report.timings.critical_path_round_trips = Some(waited + run.round_trips);
        report.deep = Some(run.evidence);
    }
    if let (Some(creds), true) = (&opts.credentials, full) {
        let creds = with_kerberos_after_ntlm(creds, opts, &report, &deadline).await;
        progress.stage("logging on (one attempt)");
        report.logon = Some(logon(addr, host, &report, &creds, &deadline).await);
    }
    if let Some(info) = cert_info {
        report.certificate = Some(target_certificate(info, &target, &report));
    }
    finish(report, started, &deadline)
}

/// `probe TARGET --gateway GW`: the path through the RD Gateway, hop by hop
/// ([`stage::gateway`]), and once a channel is open the target's X.224
/// negotiation, TLS handshake and certificate through it
/// ([`stage::gateway::target`]), Standard RDP Security's offers where it
/// selects PROTOCOL_RDP, then CredSSP and (full profile) the one logon
/// attempt where it selected NLA, filling the same fields as a direct probe.
/// The stages that need a connection of their own to the target are listed
/// in `not_checked`; without an open channel, all of them.
async fn probe_via_gateway(
    target: Target,
    gateway: &GatewayTarget,
    opts: &ProbeOptions,
    progress: &dyn Progress,
) -> ProbeReport {
    let started = Instant::now();
    let deadline = Deadline::new(opts.step_timeout, opts.ceiling);
    let mut report = empty_report(&target, opts);
    progress.stage("through the RD Gateway");
    let ceiling = opts.ceiling;
    let run = stage::gateway::run_through(
        gateway,
        &target,
        opts.credentials.as_ref(),
        opts.address,
        opts.profile == Profile::Full,
        &deadline,
    );
    let (gw, through) = match tokio::time::timeout(ceiling, run).await {
        Ok((gw, through)) => (Some(gw), through),
        Err(_) => (None, None),
    };
    report.gateway = gw;
    report.not_checked = vec![Stage::Tcp, Stage::Credssp, Stage::RdpSecurity, Stage::Deep];
    let Some(through) = through else {
        report.not_checked = vec![
            Stage::Tcp,
            Stage::Negotiation,
            Stage::Tls,
            Stage::Credssp,
            Stage::RdpSecurity,
            Stage::Deep,
        ];
        return finish(report, started, &deadline);
    };
    let t = &mut report.timings.stages_ms;
    t.insert(Stage::Negotiation, through.negotiation_ms);
    if let Some(ms) = through.tls_ms {
        t.insert(Stage::Tls, ms);
    }
    // As directly, a stage the target's answers leave nothing to check for
    // is not "not checked" (no NLA: no CredSSP; no PROTOCOL_RDP: no offers).
    let neg = &through.negotiation;
    let nla = neg.can_select(Protocol::Hybrid) || neg.can_select(Protocol::HybridEx);
    report.not_checked.retain(|s| match s {
        Stage::Credssp => nla,
        Stage::RdpSecurity => stage::rdp_security::rdp_request(neg).is_some(),
        Stage::Deep => stage::deep::choose(neg).is_some(),
        _ => true,
    });
    report.negotiation = Some(through.negotiation);
    report.tls = through.tls;
    let nla = through.nla;
    if let Some((cs, ntlm)) = nla.credssp {
        if let Some(ms) = nla.credssp_ms {
            report.timings.stages_ms.insert(Stage::Credssp, ms);
        }
        report.credssp = Some(cs);
        report.ntlm = ntlm;
        report.not_checked.retain(|s| *s != Stage::Credssp);
    }
    report.logon = nla.logon;
    if let Some(run) = through.deep {
        report
            .timings
            .stages_ms
            .insert(Stage::Deep, run.evidence.elapsed_ms);
        report.deep = Some(run.evidence);
        report.not_checked.retain(|s| *s != Stage::Deep);
    }
    if let Some((rdp, ms)) = through.rdp_security {
        report.timings.stages_ms.insert(Stage::RdpSecurity, ms);
        report.rdp_security = Some(rdp);
        report.not_checked.retain(|s| *s != Stage::RdpSecurity);
    }
    if let Some(info) = through
        .leaf_der
        .as_deref()
        .and_then(|der| rdpdoctor_wire::cert::analyze(der).ok())
    {
        report.certificate = Some(target_certificate(info, &target, &report));
    }
    if let Some(g) = report.gateway.as_mut() {
        g.channel_end = through.channel_end;
    }
    finish(report, started, &deadline)
}

/// `creds` with the KDC [`ProbeOptions::kerberos_after_ntlm`] gives from
/// the NTLM facts just read, when they name none yet: the logon then
/// chooses its package as mstsc in that domain would. The planner gets one
/// step timeout; past it, or when it panics, the logon goes on as planned
/// before (NTLM).
async fn with_kerberos_after_ntlm(
    creds: &Credentials,
    opts: &ProbeOptions,
    report: &ProbeReport,
    deadline: &Deadline,
) -> Credentials {
    let (Some(planner), None) = (&opts.kerberos_after_ntlm, creds.kerberos()) else {
        return creds.clone();
    };
    if report.ntlm.is_none() {
        return creds.clone();
    }
    let planner = planner.0.clone();
    let seen = report.clone();
    let planned = tokio::task::spawn_blocking(move || planner(&seen));
    match tokio::time::timeout(deadline.step(), planned).await {
        Ok(Ok(Some(kdc))) => creds.clone().with_kerberos(kdc),
        _ => creds.clone(),
    }
}

/// The one logon attempt: CredSSP where the server can select it, else a
/// Client Info PDU over the path the deep probe took. After every other
/// stage, so nothing else runs beside the one connection that carries the
/// password.
async fn logon(
    addr: SocketAddr,
    host: &str,
    report: &ProbeReport,
    creds: &Credentials,
    deadline: &Deadline,
) -> rdpdoctor_evidence::LogonEvidence {
    let Some(neg) = report.negotiation.as_ref() else {
        let mut ev = stage::logon::evidence(creds, rdpdoctor_evidence::LogonMethod::None);
        ev.detail = Some("no security negotiation completed".into());
        return ev;
    };
    if neg.can_select(Protocol::Hybrid) || neg.can_select(Protocol::HybridEx) {
        return stage::logon::nla(addr, host, creds, deadline).await;
    }
    if let Some(via) = stage::deep::choose(neg) {
        return stage::deep::logon::run(addr, host, via, creds, deadline).await;
    }
    let mut ev = stage::logon::evidence(creds, rdpdoctor_evidence::LogonMethod::None);
    ev.detail =
        Some("the server selected no security protocol the credentials can be sent over".into());
    ev
}

/// The report a probe starts from: the target, the tool, the limits.
fn empty_report(target: &Target, opts: &ProbeOptions) -> ProbeReport {
    let mut report = ProbeReport::new(
        target.clone(),
        env!("CARGO_PKG_VERSION"),
        rfc3339_millis(now_millis()).unwrap_or_default(),
    );
    report.limits = rdpdoctor_evidence::Limits {
        step_timeout_ms: opts.step_timeout.as_secs_f64() * 1000.0,
        ceiling_ms: opts.ceiling.as_secs_f64() * 1000.0,
    };
    report
}

fn finish(mut report: ProbeReport, started: Instant, deadline: &Deadline) -> ProbeReport {
    report.timings.total_ms = io::elapsed_ms(started);
    report.timings.ceiling_hit = deadline.expired();
    report
}

/// The target's certificate judged now, against the name the user typed and
/// the DNS name its NTLM CHALLENGE gave, when the probe read one.
fn target_certificate(
    info: rdpdoctor_evidence::Certificate,
    target: &Target,
    report: &ProbeReport,
) -> CertificateFacts {
    let server_dns = report
        .ntlm
        .as_ref()
        .and_then(|n| n.dns_computer_name.as_deref());
    certificate_facts(info, target, server_dns, now_millis() / 1000)
}

/// Certificate evidence, judged at `now` (Unix seconds) against the name the
/// user typed and, when known, the server's own DNS name.
pub fn certificate_facts(
    info: rdpdoctor_evidence::Certificate,
    target: &Target,
    server_dns_name: Option<&str>,
    now: i64,
) -> CertificateFacts {
    let matches_target = Some(info.matches_host(&target.host));
    let matches_server = server_dns_name.map(|n| info.matches_host(n));
    CertificateFacts::at(info, now, matches_target, matches_server)
}
