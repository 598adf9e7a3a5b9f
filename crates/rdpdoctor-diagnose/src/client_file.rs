//! The client's connection file (`probe --rdp-file`) judged against the
//! wire: the security modes the file lets its client offer
//! ([MS-RDPBCGR 2.2.1.1.1] requestedProtocols), whether the server takes
//! one of them, and the gateway the file names. The predictions of the
//! clients the report is for become those of the file's client.

use crate::clients::{ClientPrediction, Verdict};
use crate::facts::client_file::{RdpFileGatewayFacts, RdpFileSettingFacts};
use crate::finding::{Finding, FindingId, Severity};
use crate::paths::SecurityPath;
use rdpdoctor_evidence::{GatewayUsage, Protocol, RdpFile};

/// The modes a client with this file offers, and the setting that limits
/// them: `None` when the file leaves the client's defaults alone.
fn limited(file: &RdpFile) -> Option<(FindingId, &'static [Protocol], String)> {
    if file.negotiation_disabled() {
        // No RDP_NEG_REQ at all: Standard RDP Security only.
        return Some((
            FindingId::RdpFileNegotiationOff,
            &[Protocol::Rdp],
            "negotiate security layer:i:0".to_owned(),
        ));
    }
    if file.credssp_disabled() {
        // mstsc then requests PROTOCOL_SSL (and accepts PROTOCOL_RDP).
        return Some((
            FindingId::RdpFileNlaOff,
            &[Protocol::Ssl, Protocol::Rdp],
            "enablecredsspsupport:i:0".to_owned(),
        ));
    }
    None
}

fn usage_name(u: GatewayUsage) -> &'static str {
    match u {
        GatewayUsage::Never => "never",
        GatewayUsage::Always => "always",
        GatewayUsage::WhenDirectFails => "when the direct connection fails",
        GatewayUsage::ClientDefault => "the client's default",
        GatewayUsage::Bypass => "bypassed",
    }
}

/// Adds the file's findings and turns the predictions into those of the
/// file's client.
pub(crate) fn apply(
    file: &RdpFile,
    paths: &[SecurityPath],
    findings: &mut Vec<Finding>,
    clients: &mut [ClientPrediction],
    gateway_probed: bool,
) {
    if let Some((id, offered, setting)) = limited(file) {
        let name = setting.split(':').next().unwrap_or_default().to_owned();
        let line = file.get(&name).map(|s| s.line);
        let each: Vec<Option<bool>> = offered
            .iter()
            .map(|m| {
                paths
                    .iter()
                    .find(|p| p.protocol == *m)
                    .and_then(|p| p.gets_through)
            })
            .collect();
        let gets = if each.contains(&Some(true)) {
            Some(true)
        } else if each.iter().all(|g| *g == Some(false)) {
            Some(false)
        } else {
            None
        };
        let what = match id {
            FindingId::RdpFileNegotiationOff => "uses Standard RDP Security only",
            _ => "offers no NLA (TLS or Standard RDP Security only)",
        };
        let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
        let (severity, summary) = match gets {
            Some(false) => (
                Severity::Fail,
                format!(
                    "The .rdp file's {setting}{at}: its client {what}, and the server accepts none of these: it fails"
                ),
            ),
            Some(true) => (
                Severity::Info,
                format!(
                    "The .rdp file's {setting}{at}: its client {what}; the server accepts that, with less protection than NLA"
                ),
            ),
            None => (
                Severity::Warn,
                format!(
                    "The .rdp file's {setting}{at}: its client {what}; whether the server accepts that was not measured"
                ),
            ),
        };
        if gets == Some(false) {
            for c in clients.iter_mut() {
                c.verdict = Verdict::Fails;
                c.reason =
                    format!("with this .rdp file ({setting}) it {what}, which the server refuses");
                c.fix = Some(format!(
                    "remove {setting} from the .rdp file (or set it to 1), so the client offers NLA again"
                ));
            }
        }
        let offered: Vec<&str> = offered.iter().map(|p| p.name()).collect();
        findings.push(Finding::new(
            id,
            severity,
            summary,
            &RdpFileSettingFacts {
                setting: &setting,
                line,
                offered,
                gets_through: gets,
            },
        ));
    }
    // `probe --rdp-file` follows a gateway the file says to use (always, or
    // when the direct path fails); one left to the client's own default
    // settings (3) is not probed, since which gateway that is is the
    // client's, not the file's.
    if let Some(g) = file.gateway().filter(|g| {
        (g.usage.uses_gateway() || g.usage == GatewayUsage::ClientDefault) && !gateway_probed
    }) {
        findings.push(Finding::new(
            FindingId::RdpFileGatewayNotProbed,
            Severity::Info,
            if g.usage == GatewayUsage::ClientDefault {
                format!(
                    "The .rdp file leaves the RD Gateway to the client's own default settings (gatewayusagemethod: {}); no gateway was probed: this report is for a direct connection to the target (--gateway {}:{} probes through the gateway the file names)",
                    usage_name(g.usage),
                    g.host,
                    g.port
                )
            } else {
                format!(
                    "The .rdp file connects through the RD Gateway {}:{} (gatewayusagemethod: {}); the gateway was not probed: this report is for a direct connection to the target (--gateway {}:{} probes through it)",
                    g.host,
                    g.port,
                    usage_name(g.usage),
                    g.host,
                    g.port
                )
            },
            &RdpFileGatewayFacts {
                host: &g.host,
                port: g.port,
                usage: g.usage,
                credentials_source: g.credentials_source,
            },
        ));
    }
}
