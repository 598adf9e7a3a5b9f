//! Findings: judgements on the evidence, each with a stable id.
//!
//! A finding says one thing a user would act on ("the certificate expired
//! 41 days ago") and carries the evidence it rests on. Finding ids are a
//! public interface: users grep and alert on them, so an id is never renamed
//! or reused for another meaning.
//!
//! [`derive`] is a pure function of a [`ProbeReport`]: no clock, no I/O.

use crate::{
    NegotiationOutcome, NlaPolicy, PortState, ProbeReport, RdpSecurityOutcome, SecurityLayer,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// How bad a finding is. Ordered: `Info < Warn < Fail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing; not a problem by itself.
    Info,
    /// Some clients fail, or security is weaker than it should be.
    Warn,
    /// Connections fail (for most clients) because of this.
    Fail,
}

impl Severity {
    /// `info`, `warn` or `fail`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Fail => "fail",
        }
    }
}

macro_rules! finding_ids {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// The stable id of a finding (serialised as its kebab-case name).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum FindingId {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
        }

        impl FindingId {
            /// Every finding id, in declaration order.
            pub const ALL: &'static [FindingId] = &[$(FindingId::$variant,)*];

            /// The kebab-case id, e.g. `cert-expired`.
            pub fn name(self) -> &'static str {
                match self { $(FindingId::$variant => $name,)* }
            }

            /// Looks an id up by its kebab-case name.
            pub fn from_name(name: &str) -> Option<FindingId> {
                match name { $($name => Some(FindingId::$variant),)* _ => None }
            }
        }
    };
}

finding_ids! {
    /// The name did not resolve.
    DnsFailure = "dns-failure",
    /// The port refused the connection (RST).
    PortClosed = "port-closed",
    /// Nothing answered the connection attempt before the deadline.
    PortFiltered = "port-filtered",
    /// An ICMP error came back: host or network unreachable, or administratively prohibited.
    HostUnreachable = "host-unreachable",
    /// The server accepted TCP, then closed without an RDP answer.
    ConnectionClosedByServer = "connection-closed-by-server",
    /// The server accepted TCP, then never answered.
    ServerSilent = "server-silent",
    /// Something other than an RDP server answers on the port.
    NotRdp = "not-rdp",
    /// The server refuses Standard RDP Security: it requires TLS or CredSSP.
    TlsRequired = "tls-required",
    /// The server only speaks Standard RDP Security: no TLS, no NLA.
    RdpSecurityOnly = "rdp-security-only",
    /// The server requires Network Level Authentication (CredSSP).
    NlaRequired = "nla-required",
    /// The server never selects CredSSP.
    NlaNotOffered = "nla-not-offered",
    /// The server offers NLA but lets clients in without it.
    NlaOptional = "nla-optional",
    /// RDP_NEG_FAILURE SSL_CERT_NOT_ON_SERVER: the server has no usable certificate.
    SslCertNotOnServer = "ssl-cert-not-on-server",
    /// The modern-client TLS handshake failed although the server selected TLS.
    TlsHandshakeFailed = "tls-handshake-failed",
    /// The certificate has expired.
    CertExpired = "cert-expired",
    /// The certificate is not valid yet.
    CertNotYetValid = "cert-not-yet-valid",
    /// The certificate expires within 30 days.
    CertExpiresSoon = "cert-expires-soon",
    /// The certificate does not name the host the user typed.
    CertNameMismatch = "cert-name-mismatch",
    /// The certificate is self-signed.
    CertSelfSigned = "cert-self-signed",
    /// The certificate is signed with MD5 or SHA-1.
    CertWeakSignature = "cert-weak-signature",
    /// The certificate's key is too small (RSA under 2048 bits).
    CertWeakKey = "cert-weak-key",
    /// The server only accepts TLS 1.0 or 1.1.
    TlsLegacyOnly = "tls-legacy-only",
    /// The server still accepts TLS 1.0 or 1.1 beside newer versions.
    TlsLegacyEnabled = "tls-legacy-enabled",
    /// The server accepts only TLS 1.3, which Windows 10 / Server 2019 and older cannot speak.
    Tls13Only = "tls13-only",
    /// The server's CredSSP version predates the CVE-2018-0886 fix.
    CredsspUnpatched = "credssp-unpatched",
    /// The server's clock differs from ours by more than 5 minutes.
    ClockSkew = "clock-skew",
    /// Standard RDP Security with 40/56-bit or no encryption is accepted.
    RdpEncryptionWeak = "rdp-encryption-weak",
    /// The server requires FIPS encryption for Standard RDP Security.
    FipsRequired = "fips-required",
    /// Connection attempts fail or stall intermittently.
    UnstableNetwork = "unstable-network",
    /// TCP connects fast but the RDP service takes long to answer.
    SlowServer = "slow-server",
    /// The server sent ERRINFO_SERVER_DENIED_CONNECTION (mstsc 0x904 / extended 0x7).
    ServerDeniedConnection = "server-denied-connection",
    /// The server sent a licensing ERRINFO (0x100–0x10A) or licensing failed.
    LicensingError = "licensing-error",
    /// The server ended the connection sequence with another ERRINFO code.
    ServerErrorInfo = "server-error-info",
}

impl std::fmt::Display for FindingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One judgement on the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id.
    pub id: FindingId,
    /// How bad it is.
    pub severity: Severity,
    /// One sentence a person reads.
    pub summary: String,
    /// The facts it rests on (field name → value).
    pub evidence: BTreeMap<String, Value>,
}

/// Certificates expiring within this many days get `cert-expires-soon`.
pub const EXPIRES_SOON_DAYS: i64 = 30;
/// An X.224 answer slower than this (median) gets `slow-server`.
pub const SLOW_SERVER_MS: f64 = 1000.0;
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
        self.0.push(Finding {
            id,
            severity,
            summary,
            evidence: evidence
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        });
    }
}

/// Derives the findings from a report, most severe first (stable within a severity).
pub fn derive(report: &ProbeReport) -> Vec<Finding> {
    let mut out = Out(Vec::new());
    reachability(report, &mut out);
    negotiation(report, &mut out);
    tls_and_certificate(report, &mut out);
    credssp_and_ntlm(report, &mut out);
    rdp_security(report, &mut out);
    deep(report, &mut out);
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
            format!("No answer from {addr} on TCP port {port}: a firewall drops the packets, or the host is down"),
            &ev,
        ),
        PortState::Unreachable => out.add(
            FindingId::HostUnreachable,
            Severity::Fail,
            format!("{addr} is unreachable on port {port}: an ICMP error came back (no route, or administratively prohibited)"),
            &ev,
        ),
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
            format!("{addr}:{port} accepted the connection and never answered the RDP request"),
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
    let ok = tcp.samples.iter().filter(|s| s.connected).count();
    let stalled = tcp
        .rtt_ms
        .is_some_and(|s| s.max > 900.0 && s.max > 5.0 * s.median.max(1.0));
    if ok > 0 && (tcp.failures > 0 || stalled) {
        out.add(
            FindingId::UnstableNetwork,
            Severity::Warn,
            format!(
                "{} of {} TCP connects failed and the slowest took {:.0} ms: packet loss or an unstable path",
                tcp.failures,
                tcp.samples.len(),
                tcp.rtt_ms.map(|s| s.max).unwrap_or(0.0)
            ),
            &[
                ("failures", json!(tcp.failures)),
                ("samples", json!(tcp.samples.len())),
                ("rtt_ms", json!(tcp.rtt_ms)),
            ],
        );
    }
}

fn negotiation(r: &ProbeReport, out: &mut Out) {
    let Some(neg) = &r.negotiation else { return };
    let selectable = json!(neg.selectable);
    if neg.failure_codes().contains(&3) {
        out.add(
            FindingId::SslCertNotOnServer,
            Severity::Fail,
            "The server has no usable TLS certificate (RDP_NEG_FAILURE SSL_CERT_NOT_ON_SERVER)"
                .into(),
            &[("failure_code", json!(3))],
        );
    }
    match neg.security_layer {
        // With NLA required, `nla-required` already says who is refused.
        SecurityLayer::Tls if neg.nla != NlaPolicy::Required => out.add(
            FindingId::TlsRequired,
            Severity::Info,
            "The server refuses Standard RDP Security: clients must use TLS or NLA".into(),
            &[
                ("security_layer", json!(neg.security_layer)),
                ("rdp_request", json!(neg.outcome_for(Some(0)))),
            ],
        ),
        SecurityLayer::Rdp => out.add(
            FindingId::RdpSecurityOnly,
            Severity::Warn,
            "The server only speaks Standard RDP Security: clients that require TLS or NLA fail, and the link is weakly protected".into(),
            &[("security_layer", json!(neg.security_layer)), ("selectable", selectable.clone())],
        ),
        _ => {}
    }
    match neg.nla {
        NlaPolicy::Required => out.add(
            FindingId::NlaRequired,
            Severity::Info,
            "The server requires Network Level Authentication (CredSSP): clients without NLA are refused".into(),
            &[("nla", json!(neg.nla)), ("failure_codes", json!(neg.failure_codes()))],
        ),
        NlaPolicy::Optional => out.add(
            FindingId::NlaOptional,
            Severity::Warn,
            "The server offers NLA but does not require it: clients can reach the logon screen without authenticating first".into(),
            &[("nla", json!(neg.nla)), ("selectable", selectable.clone())],
        ),
        NlaPolicy::Absent => out.add(
            FindingId::NlaNotOffered,
            Severity::Warn,
            "The server never selects NLA (CredSSP): clients that insist on NLA fail".into(),
            &[
                ("nla", json!(neg.nla)),
                ("hybrid_request", json!(neg.outcome_for(Some(2)))),
            ],
        ),
        NlaPolicy::Unknown => {}
    }
    // TCP is answered by the kernel, X.224 by the RDP service: a fast connect
    // with a slow answer puts the delay in the server, not on the path.
    let answer_ms: Vec<f64> = neg
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
        .map(|a| a.elapsed_ms)
        .collect();
    let connect_ms = r
        .tcp
        .as_ref()
        .and_then(|t| t.rtt_ms)
        .map_or(0.0, |s| s.median);
    if let Some(answer) = crate::Stats::of(&answer_ms)
        .filter(|s| s.median > SLOW_SERVER_MS && s.median > 10.0 * connect_ms)
    {
        out.add(
            FindingId::SlowServer,
            Severity::Warn,
            format!(
                "The RDP service takes {:.1} s to answer although TCP connects in {:.1} ms: the server is slow (busy listener, overload, or an inspecting filter), not the network",
                answer.median / 1000.0,
                connect_ms
            ),
            &[("answer_ms", json!(answer)), ("connect_median_ms", json!(connect_ms))],
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

fn tls_and_certificate(r: &ProbeReport, out: &mut Out) {
    if let Some(tls) = &r.tls {
        if tls.version.is_none() && tls.accepted_versions().is_empty() {
            let why = match tls.failure {
                Some(crate::HandshakeFailure::NoAnswer) => "the ClientHello was never answered: something on the path (a filtering firewall, an antivirus or TLS-inspecting proxy, a VPN with a broken MTU) swallows the handshake".to_owned(),
                Some(crate::HandshakeFailure::Reset) => "the handshake was reset: the server could not use its certificate or key, or something cut it".to_owned(),
                Some(crate::HandshakeFailure::Closed) => "the server closed the connection during the handshake".to_owned(),
                Some(crate::HandshakeFailure::Alert) => format!(
                    "the server refused it with a TLS alert ({})",
                    tls.error.as_deref().unwrap_or("?")
                ),
                _ => tls.error.clone().unwrap_or_else(|| "unknown error".into()),
            };
            out.add(
                FindingId::TlsHandshakeFailed,
                Severity::Fail,
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
        } else if accepted == [crate::TlsVersion::Tls13] {
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
            Severity::Fail,
            format!(
                "The server's certificate expired on {} ({} days ago)",
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
            Severity::Fail,
            format!("The server's certificate is not valid until {}: a clock is wrong on the server or here", c.not_before),
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

fn cert_names(c: &crate::CertificateFacts) -> String {
    if !c.subject_alt_names.is_empty() {
        c.subject_alt_names.join(", ")
    } else {
        c.common_name.clone().unwrap_or_else(|| c.subject.clone())
    }
}

fn credssp_and_ntlm(r: &ProbeReport, out: &mut Out) {
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
    if rs.encryption_level.as_deref() == Some("FIPS") {
        out.add(
            FindingId::FipsRequired,
            Severity::Warn,
            "The server requires FIPS 140 encryption for Standard RDP Security: clients without FIPS support fail".into(),
            &[("encryption_level", json!(rs.encryption_level))],
        );
    }
    let weak: Vec<String> = rs
        .offers
        .iter()
        .filter_map(|o| match &o.outcome {
            RdpSecurityOutcome::Accepted {
                encryption_method, ..
            } if matches!(encryption_method.as_str(), "NONE" | "40BIT" | "56BIT") => {
                Some(encryption_method.clone())
            }
            _ => None,
        })
        .collect();
    let weak_level = matches!(rs.encryption_level.as_deref(), Some("NONE" | "LOW"));
    if !weak.is_empty() || weak_level {
        let mut weak = weak;
        weak.dedup();
        out.add(
            FindingId::RdpEncryptionWeak,
            Severity::Warn,
            format!(
                "Standard RDP Security accepts weak encryption (level {}{})",
                rs.encryption_level.as_deref().unwrap_or("?"),
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
    let crate::DeepOutcome::ErrorInfo { code, name } = &d.outcome else {
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
