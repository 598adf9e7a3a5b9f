//! The security exchanges without credentials → findings: CredSSP and NTLM
//! ([MS-CSSP 2.2.1], [MS-NLMP 2.2.1.2]: patch level, clock skew) and Standard
//! RDP Security ([MS-RDPBCGR 5.3]: encryption levels and methods).

use super::*;
use crate::facts::security::*;

pub(super) fn credssp_and_ntlm(r: &ProbeReport, out: &mut Out) {
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
            &ServerClockFacts {
                server_time: n.server_time.as_deref(),
                clock_skew_seconds: skew,
            },
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
                &CredsspVersionFacts {
                    server_version: v,
                    patched_version: CREDSSP_PATCHED_VERSION,
                },
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
                &ServerClockFacts {
                    server_time: n.server_time.as_deref(),
                    clock_skew_seconds: skew,
                },
            );
    }
}

pub(super) fn rdp_security(r: &ProbeReport, out: &mut Out) {
    let Some(rs) = &r.rdp_security else { return };
    if rs.encryption_level == Some(EncryptionLevel::Fips) {
        out.add(
            FindingId::FipsRequired,
            Severity::Warn,
            "The server requires FIPS 140 encryption for Standard RDP Security: clients without FIPS support fail".into(),
            &EncryptionLevelFacts {
                encryption_level: rs.encryption_level,
            },
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
            &WeakEncryptionFacts {
                encryption_level: rs.encryption_level,
                weak_methods: weak,
            },
        );
    }
}
