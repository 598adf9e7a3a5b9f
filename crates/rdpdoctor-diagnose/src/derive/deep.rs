//! The connection sequence after the negotiation → findings: the server's
//! Set Error Info, and ([`after_security`]) the exchanges and sequences that
//! fail with no reason given.

use super::*;
use crate::facts::deep::*;

/// ERRINFO_SERVER_DENIED_CONNECTION ([MS-RDPBCGR 2.2.5.1.1]).
pub const ERRINFO_SERVER_DENIED_CONNECTION: u32 = 0x0000_0007;
/// ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES: the user may not log on remotely.
pub const ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES: u32 = 0x0000_0009;
/// The licensing ERRINFO range (ERRINFO_LICENSE_INTERNAL .. ERRINFO_LICENSE_CANT_UPGRADE_LICENSE).
pub const ERRINFO_LICENSE_RANGE: std::ops::RangeInclusive<u32> = 0x0000_0100..=0x0000_010A;

pub(super) fn deep(r: &ProbeReport, out: &mut Out) {
    let Some(d) = &r.deep else { return };
    let DeepOutcome::ErrorInfo { code, name } = &d.outcome else {
        return;
    };
    let label = name.clone().unwrap_or_else(|| format!("0x{code:08X}"));
    let ev = ErrorInfoFacts {
        error_info: *code,
        error_info_name: name.as_deref(),
        phase_reached: d.phase_reached,
    };
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

/// Findings about what happens after the negotiation, which need the paths:
/// a server that selects a protocol and then fails every security exchange,
/// and a connection sequence that stops before the logon screen with no
/// reason given. Each only where no more specific finding already says it.
pub fn after_security(
    r: &ProbeReport,
    posture: Option<&SecurityPosture>,
    paths: &[crate::SecurityPath],
    findings: &mut Vec<Finding>,
) {
    let mut out = Out(Vec::new());
    let specific = [
        FindingId::TlsHandshakeFailed,
        FindingId::SslCertNotOnServer,
        FindingId::NoProtocolAccepted,
        FindingId::RdpProtocolViolation,
        FindingId::CredsspUnpatched,
    ];
    let said = |id: FindingId| findings.iter().any(|f| f.id == id);
    if let Some(p) = posture
        && !p.selectable.is_empty()
        && paths.iter().all(|x| x.gets_through == Some(false))
        && !specific.iter().any(|id| said(*id))
    {
        let reasons: Vec<String> = paths
            .iter()
            .filter(|x| {
                p.can_select(x.protocol)
                    || (x.protocol == rdpdoctor_evidence::Protocol::Hybrid && p.nla_selectable())
            })
            .map(|x| format!("{}: {}", crate::paths::client_switch(x.protocol), x.reason))
            .collect();
        out.add(
            FindingId::SecurityExchangeFailed,
            Severity::Fail,
            format!(
                "The server selects a security protocol, then the exchange that follows fails for every mode ({})",
                reasons.join("; ")
            ),
            &SecurityExchangeFacts { reasons },
        );
    }
    // Without credentials a server may close the connection once it has the
    // Client Info (IronRDP checks them there): a clean disconnect after it is
    // not the server failing. Silence or garbage is, and so is any stop
    // before it.
    // The deep probe's own TLS handshake failing is for the TLS findings to
    // judge; and a deep probe that ran into the ceiling (a slow server still
    // answering, step after step) knows no reason either.
    // (`phase_reached` stays `security` until the MCS exchange completes, so
    // whether TLS itself failed is read from the modern handshake.)
    let tls_failed = |d: &rdpdoctor_evidence::DeepEvidence| {
        d.via == rdpdoctor_evidence::Protocol::Ssl
            && d.phase_reached == rdpdoctor_evidence::DeepPhase::Security
            && r.tls.as_ref().is_none_or(|t| t.version.is_none())
    };
    let ran_into_ceiling = |d: &rdpdoctor_evidence::DeepEvidence| {
        r.timings.ceiling_hit
            && d.elapsed_ms + r.limits.step_timeout_ms + 500.0 >= r.limits.ceiling_ms
    };
    if let Some(d) = &r.deep
        && !tls_failed(d)
        && !ran_into_ceiling(d)
        && match d.outcome {
            DeepOutcome::LogonScreen | DeepOutcome::ErrorInfo { .. } => false,
            DeepOutcome::Timeout | DeepOutcome::Failed { .. } => true,
            DeepOutcome::Disconnected { .. } => {
                d.phase_reached < rdpdoctor_evidence::DeepPhase::ClientInfo
            }
        }
        && !said(FindingId::SecurityExchangeFailed)
    {
        let how = match &d.outcome {
            DeepOutcome::Timeout => format!("no answer within {}", r.limits.step_secs()),
            DeepOutcome::Disconnected { detail } | DeepOutcome::Failed { detail, .. } => {
                detail.clone()
            }
            _ => String::new(),
        };
        out.add(
            FindingId::ConnectionSequenceFailed,
            Severity::Fail,
            format!(
                "The server stops the connection sequence after {} with no reason given: {how}",
                serde_json::to_value(d.phase_reached)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ),
            &SequenceFailedFacts {
                phase_reached: d.phase_reached,
                outcome: &d.outcome,
            },
        );
    }
    findings.extend(out.0);
}
