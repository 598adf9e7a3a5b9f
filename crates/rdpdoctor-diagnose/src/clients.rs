//! Client predictions: which common RDP clients will connect to the probed
//! server, which will fail, why, and what each one needs.
//!
//! Each profile states what the client can do by default (TLS versions,
//! security layers, CredSSP patch level, FIPS). The prediction compares that
//! with what the server showed. Facts with a source: Windows 7 RDP needs
//! KB3080079 for TLS 1.1/1.2; the CredSSP update (CVE-2018-0886, May 2018)
//! makes patched clients refuse unpatched servers by default ("Mitigated");
//! Schannel has TLS 1.3 from Windows 11 / Server 2022 only; OpenSSL 3 (FreeRDP
//! on current Linux) refuses TLS 1.0/1.1 at its default security level.

use crate::finding::{Finding, FindingId};
use crate::paths::{MODES, SecurityPath};
use crate::posture::{NlaPolicy, SecurityPosture};
use crate::server::ServerIdentity;
use rdpdoctor_evidence::{DeepOutcome, NegotiationOutcome, ProbeReport, Protocol, TlsVersion};
use serde::Serialize;
use std::collections::BTreeMap;

/// What a client can do by default.
#[derive(Debug, Clone, Copy)]
pub struct ClientProfile {
    /// Stable id.
    pub id: &'static str,
    /// Who it is.
    pub name: &'static str,
    /// TLS versions it offers by default.
    pub tls: &'static [TlsVersion],
    /// Speaks Standard RDP Security.
    pub rdp_security: bool,
    /// Can do FIPS encryption in Standard RDP Security.
    pub fips: bool,
    /// Has the CredSSP update, so refuses servers without it.
    pub credssp_patched: bool,
    /// The smallest RSA key it accepts in a server certificate (Windows blocks
    /// keys under 1024 bits; FreeRDP's default TLS security level 1 allows
    /// 1024; Apple platforms require 2048 for TLS server certificates).
    pub min_rsa_bits: u32,
    /// An unsupported, unpatched legacy client: predicted only when the user
    /// names it with `--client`, so it does not decide every host's verdict.
    pub legacy: bool,
}

use TlsVersion::*;

/// The certificate findings a client prompts on before it connects (mstsc's
/// "The identity of the remote computer cannot be verified"): a connection
/// that gets through after one works with warnings, on the wire and in a
/// capture alike.
pub(crate) const CERTIFICATE_PROMPTS: [FindingId; 6] = [
    FindingId::CertExpired,
    FindingId::CertNotYetValid,
    FindingId::CertNameMismatch,
    FindingId::CertWeakKey,
    FindingId::CertWeakSignature,
    FindingId::CertSelfSigned,
];

/// A client with today's defaults: both security layers, FIPS, the CredSSP
/// update, RSA keys from 1024 bits, not legacy; `tls` is what it offers.
const fn current(
    id: &'static str,
    name: &'static str,
    tls: &'static [TlsVersion],
) -> ClientProfile {
    ClientProfile {
        id,
        name,
        tls,
        rdp_security: true,
        fips: true,
        credssp_patched: true,
        min_rsa_bits: 1024,
        legacy: false,
    }
}

/// The clients users ask about.
pub const PROFILES: &[ClientProfile] = &[
    ClientProfile {
        credssp_patched: false,
        legacy: true,
        ..current(
            "mstsc-win7",
            "mstsc on Windows 7 SP1 without the 2016–2018 updates",
            &[Tls10],
        )
    },
    current(
        "mstsc-win10",
        "mstsc on Windows 10 / Server 2016–2019 (updated)",
        &[Tls10, Tls11, Tls12],
    ),
    current(
        "mstsc-win11",
        "mstsc or Windows App on Windows 11 / Server 2022+",
        &[Tls12, Tls13],
    ),
    ClientProfile {
        fips: false,
        min_rsa_bits: 2048,
        ..current(
            "macos",
            "Windows App / Microsoft Remote Desktop on macOS",
            &[Tls12, Tls13],
        )
    },
    current(
        "xfreerdp2",
        "xfreerdp 2.x with defaults (OpenSSL 3)",
        &[Tls12, Tls13],
    ),
    current("xfreerdp3", "xfreerdp 3.x with defaults", &[Tls12, Tls13]),
];

/// What a client will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Connects without a prompt.
    Connects,
    /// Connects after the user accepts a certificate warning.
    Warns,
    /// Fails.
    Fails,
    /// The evidence does not say.
    Unknown,
}

/// The prediction for one client.
#[derive(Debug, Clone, Serialize)]
pub struct ClientPrediction {
    /// What this client does when forced to each mode (`rdp`, `ssl`,
    /// `hybrid`, i.e. `/sec:rdp|tls|nla`): the protocol path, plus the known
    /// interoperability facts for this client and server (KB `interop.toml`).
    pub modes: BTreeMap<Protocol, Option<bool>>,
    /// The interop facts that apply, by id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub interop: Vec<String>,
    /// Profile id.
    pub client: String,
    /// Profile name.
    pub name: String,
    /// What it will do.
    pub verdict: Verdict,
    /// Why.
    pub reason: String,
    /// What it needs, when it fails or warns.
    pub fix: Option<String>,
    /// Where it fails because it offers no TLS version the server accepts
    /// (the engine turns that into the `client-tls-version-unsupported` finding).
    #[serde(skip)]
    pub no_common_tls: bool,
}

fn gets(paths: &[SecurityPath], which: Protocol) -> Option<bool> {
    paths
        .iter()
        .find(|p| p.protocol == which)
        .and_then(|p| p.gets_through)
}

/// What the predictions read besides the report.
pub struct Facts<'a> {
    /// The probe report.
    pub report: &'a ProbeReport,
    /// The security posture, when the negotiation ran.
    pub posture: Option<&'a SecurityPosture>,
    /// The protocol-level paths.
    pub paths: &'a [SecurityPath],
    /// The findings.
    pub findings: &'a [Finding],
    /// The server implementation.
    pub server: &'a ServerIdentity,
}

impl Facts<'_> {
    fn has(&self, id: FindingId) -> bool {
        self.findings.iter().any(|f| f.id == id)
    }
}

/// Predicts every profile against a report.
pub fn predict(f: &Facts<'_>) -> Vec<ClientPrediction> {
    PROFILES.iter().map(|p| predict_one(p, f)).collect()
}

/// The situations a prediction can find that have a sentence in the KB
/// (`[[advice]]` in `kb/interop.toml`): what the client needs.
pub const ADVICE_CASES: &[&str] = &[
    CREDSSP_UNPATCHED,
    SERVER_TLS_LEGACY_ONLY,
    CLIENT_LACKS_TLS12,
    SERVER_TLS13_ONLY,
    FIPS_REQUIRED,
    WEAK_RSA_KEY,
    CERTIFICATE_WARNING,
    STANDARD_RDP_SECURITY_PROMPT,
];
const CREDSSP_UNPATCHED: &str = "credssp-unpatched-server";
const SERVER_TLS_LEGACY_ONLY: &str = "server-tls-legacy-only";
const CLIENT_LACKS_TLS12: &str = "client-lacks-tls12";
const SERVER_TLS13_ONLY: &str = "server-tls13-only";
const FIPS_REQUIRED: &str = "fips-required";
const WEAK_RSA_KEY: &str = "weak-rsa-key";
const CERTIFICATE_WARNING: &str = "certificate-warning";
const STANDARD_RDP_SECURITY_PROMPT: &str = "standard-rdp-security-prompt";

/// The implementation's id, as `kb/interop.toml` names it.
fn server_id(f: &Facts<'_>) -> String {
    serde_json::to_value(f.server.implementation)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The interop facts for this client against this server, at the server's
/// encryption level.
fn interop_for(p: &ClientProfile, f: &Facts<'_>) -> Vec<&'static rdpdoctor_kb::InteropFact> {
    let server = server_id(f);
    let level = f
        .report
        .rdp_security
        .as_ref()
        .and_then(|s| s.encryption_level)
        .and_then(|l| serde_json::to_value(l).ok())
        .and_then(|v| v.as_str().map(str::to_owned));
    rdpdoctor_kb::interop()
        .iter()
        .filter(|i| i.server == server && i.clients.iter().any(|c| c == p.id))
        .filter(|i| {
            i.encryption_levels.is_empty()
                || level
                    .as_deref()
                    .is_some_and(|l| i.encryption_levels.iter().any(|x| x == l))
        })
        .collect()
}

fn predict_one(p: &ClientProfile, f: &Facts<'_>) -> ClientPrediction {
    let facts = interop_for(p, f);
    let blocked = |m: Protocol| {
        facts
            .iter()
            .any(|i| i.protocol == m.name() && i.effect == "fails")
    };
    let modes: BTreeMap<Protocol, Option<bool>> = MODES
        .iter()
        .map(|m| {
            let g = gets(f.paths, *m);
            (*m, if blocked(*m) { g.map(|_| false) } else { g })
        })
        .collect();
    let interop: Vec<String> = facts.iter().map(|i| i.id.clone()).collect();
    let server = server_id(f);
    let advise = |case: &str| rdpdoctor_kb::client_advice(case, p.id, &server).map(str::to_owned);
    let out = |verdict, reason: String, fix: Option<String>| ClientPrediction {
        client: p.id.to_owned(),
        name: p.name.to_owned(),
        verdict,
        reason,
        fix,
        no_common_tls: false,
        modes: modes.clone(),
        interop: interop.clone(),
    };
    // `--user`: a refused logon fails every client with those credentials.
    if let Some(refusal) = f.findings.iter().find(|x| x.id.is_logon_refusal()) {
        return out(
            Verdict::Fails,
            format!("the server refuses these credentials ({})", refusal.id),
            None,
        );
    }
    let r = f.report;
    let (Some(_neg), Some(posture)) = (&r.negotiation, f.posture) else {
        return if r.timings.ceiling_hit {
            out(
                Verdict::Unknown,
                "the probe ran out of time (--ceiling) before the RDP handshake".into(),
                None,
            )
        } else {
            out(
                Verdict::Fails,
                "the connection does not reach the RDP handshake".into(),
                None,
            )
        };
    };
    if posture.refuses_everything() {
        return out(
            Verdict::Fails,
            "the server refuses every security protocol, NLA included".into(),
            None,
        );
    }
    let rdp = modes.get(&Protocol::Rdp).copied().flatten() == Some(true);
    let tls_path = gets(f.paths, Protocol::Ssl) == Some(true);
    let nla_path = gets(f.paths, Protocol::Hybrid) == Some(true);
    let hybrid = posture.nla_selectable();

    // TLS versions in common.
    let server_tls: Vec<TlsVersion> = match &r.tls {
        Some(t) if t.versions.iter().any(|v| v.accepted.is_some()) => t.accepted_versions(),
        Some(t) => t.version.into_iter().collect(),
        None => Vec::new(),
    };
    let common = server_tls.iter().any(|v| p.tls.contains(v));
    // A mode the probe saw fail (CredSSP that never answers, say) is no way
    // in, whatever the negotiation selected.
    let nla_failed = gets(f.paths, Protocol::Hybrid) == Some(false);
    let hybrid = hybrid && !nla_failed;
    let tls_usable = (tls_path || nla_path || hybrid) && common;

    // CredSSP: a patched client refuses an unpatched server.
    let credssp_blocks = p.credssp_patched && f.has(FindingId::CredsspUnpatched);
    let nla_usable = (nla_path || hybrid) && common && !credssp_blocks;
    let fips_blocks = f.has(FindingId::FipsRequired) && !p.fips;
    // A client asks for SSL|HYBRID; once the server selects TLS for that,
    // the client does not fall back to Standard RDP Security when the
    // handshake fails (mstsc shows "An internal error has occurred"): only a
    // server that answers that request with PROTOCOL_RDP leaves it that path.
    let server_picks_rdp = match f
        .report
        .negotiation
        .as_ref()
        .and_then(|n| n.outcome_for(Some(3)))
    {
        Some(NegotiationOutcome::Selected { protocol, .. }) => {
            protocol.single() == Some(Protocol::Rdp)
        }
        Some(NegotiationOutcome::NoNegotiationData) => true,
        _ => !hybrid && !posture.can_select(Protocol::Ssl),
    };
    let rdp_usable =
        rdp && p.rdp_security && !fips_blocks && (server_picks_rdp || p.id.starts_with("xfreerdp"));

    let connects = if posture.nla == NlaPolicy::Required {
        nla_usable
    } else {
        nla_usable || (tls_path && common) || rdp_usable
    };
    if !connects {
        if credssp_blocks && posture.nla == NlaPolicy::Required {
            return out(
                Verdict::Fails,
                "the server's CredSSP is unpatched (CVE-2018-0886) and this client refuses it: \"CredSSP encryption oracle remediation\"".into(),
                advise(CREDSSP_UNPATCHED),
            );
        }
        if !server_tls.is_empty() && !common {
            let names: Vec<&str> = server_tls.iter().map(|v| v.name()).collect();
            let mine: Vec<&str> = p.tls.iter().map(|v| v.name()).collect();
            // Which side must change: a server with only legacy TLS, a
            // client without TLS 1.2, or a server with TLS 1.3 alone.
            let case = if server_tls.iter().all(|v| v.is_legacy()) {
                SERVER_TLS_LEGACY_ONLY
            } else if !p.tls.contains(&Tls12) {
                CLIENT_LACKS_TLS12
            } else {
                SERVER_TLS13_ONLY
            };
            let fix = advise(case);
            let mut o = out(
                Verdict::Fails,
                format!(
                    "no TLS version in common: the server accepts {}, this client offers {}",
                    names.join(", "),
                    mine.join(", ")
                ),
                fix,
            );
            o.no_common_tls = true;
            return o;
        }
        if fips_blocks && !tls_usable {
            return out(
                Verdict::Fails,
                "the server requires FIPS encryption for Standard RDP Security, which this client lacks".into(),
                advise(FIPS_REQUIRED),
            );
        }
        if let Some(i) = facts.first() {
            return out(
                Verdict::Fails,
                format!(
                    "a known {} interop failure: {}",
                    f.server.implementation.label(),
                    i.why
                ),
                None,
            );
        }
        return out(
            Verdict::Fails,
            "no security layer this client speaks gets through".into(),
            None,
        );
    }

    // Past security, the server may stop every connection with no reason
    // given (silence, garbage, a disconnect before the Client Info).
    if let Some(stop) = f
        .findings
        .iter()
        .find(|x| x.id == FindingId::ConnectionSequenceFailed)
    {
        return out(Verdict::Fails, stop.summary.clone(), None);
    }
    // Past security, the server itself may end every connection (the deep
    // probe saw a Set Error Info before the logon screen).
    if let Some(DeepOutcome::ErrorInfo { code, name }) = r.deep.as_ref().map(|d| &d.outcome) {
        return out(
            Verdict::Fails,
            format!(
                "the server ends the connection with {} (0x{code:X}) before the logon screen",
                name.as_deref().unwrap_or("an error")
            ),
            None,
        );
    }

    // A TLS client with a higher bar than the server's key refuses it.
    let key_bits = r
        .certificate
        .as_ref()
        .filter(|c| c.key_type == "RSA")
        .and_then(|c| c.key_bits);
    if let Some(bits) = key_bits.filter(|b| *b < p.min_rsa_bits) {
        // Only a client that can fall back to Standard RDP Security avoids TLS.
        let can_avoid_tls = rdp_usable && posture.nla != NlaPolicy::Required;
        if !can_avoid_tls {
            return out(
                Verdict::Fails,
                format!(
                    "refuses the server certificate's {bits}-bit RSA key (it needs {})",
                    p.min_rsa_bits
                ),
                advise(WEAK_RSA_KEY),
            );
        }
    }

    // It connects; does the certificate make it warn?
    let cert_warn = CERTIFICATE_PROMPTS.into_iter().find(|id| f.has(*id));
    let uses_tls = tls_usable && (nla_usable || tls_path);
    match cert_warn {
        Some(id) if uses_tls => out(
            Verdict::Warns,
            format!("connects after a certificate warning ({id})"),
            advise(CERTIFICATE_WARNING),
        ),
        _ => {
            let how = if nla_usable {
                "NLA"
            } else if tls_path && common {
                "TLS"
            } else {
                "Standard RDP Security"
            };
            // mstsc and the macOS client cannot authenticate a server over
            // Standard RDP Security and ask the user first ("Remote Desktop
            // cannot verify the identity of the remote computer"); FreeRDP
            // does not ask.
            let prompts = how == "Standard RDP Security" && !p.id.starts_with("xfreerdp");
            if prompts {
                out(
                    Verdict::Warns,
                    "connects with Standard RDP Security after a prompt: the server's identity cannot be verified".into(),
                    advise(STANDARD_RDP_SECURITY_PROMPT),
                )
            } else {
                out(Verdict::Connects, format!("connects with {how}"), None)
            }
        }
    }
}
