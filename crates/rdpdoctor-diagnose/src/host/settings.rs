//! Registry-derived findings: Remote Desktop switches, the listener, the
//! firewall, the certificate store and MachineKeys, crypto and time policy.

use super::{DEFAULT_RDP_PORT, Out, SettingFacts, by_policy, origin_text};
use crate::facts::host::*;
use crate::finding::{FindingId as F, Severity};
use rdpdoctor_evidence::ProbeReport;
use rdpdoctor_evidence::host::{
    CertificateStore, CertificateStoreEntry, FirewallEvidence, FirewallProfileName, FirewallRule,
    HostEvidence, NetworkCategory, SchannelSide, ServiceStart,
};

/// `MaxOutstandingConnections` at or below this lets a handful of scanners
/// hold every slot (Windows Server's default is 3000).
pub const MAX_OUTSTANDING_LOW: u32 = 50;
/// The RDP self-signed certificate's key container name (the MachineKeys
/// file is `<this>_<MachineGuid>`).
pub const RDP_KEY_CONTAINER: &str = "f686aace6942fb7f7ceb231212eef4a4";

pub(super) fn derive(h: &HostEvidence, wire: Option<&ProbeReport>, now: i64, out: &mut Out) {
    switches(h, out);
    let port = h
        .terminal_server
        .port_number
        .as_ref()
        .map_or(DEFAULT_RDP_PORT, |s| s.value);
    listener_port(h, wire, out);
    if let Some(fw) = h.firewall.as_ref().filter(|fw| fw.holds_policy()) {
        firewall(fw, port, out);
    }
    certificates(h, now, out);
    crypto(h, out);
}

fn switches(h: &HostEvidence, out: &mut Out) {
    let ts = &h.terminal_server;
    if let Some(s) = ts.deny_ts_connections.as_ref().filter(|s| s.value == 1) {
        out.add(
            F::RdpDisabled,
            Severity::Fail,
            format!(
                "Remote Desktop is switched off: fDenyTSConnections = 1{} in {}",
                by_policy(s),
                origin_text(&s.origin)
            ),
            &RdpDisabledFacts {
                fDenyTSConnections: SettingFacts::of(s),
            },
        );
    }
    for svc in &h.services {
        let Some(start) = &svc.start else { continue };
        if svc.name.eq_ignore_ascii_case("TermService") && start.value == ServiceStart::Disabled {
            out.add(
                F::RdpServiceDisabled,
                Severity::Fail,
                format!(
                    "Remote Desktop Services (TermService) is disabled (Start = 4 in {}): nothing listens for RDP",
                    origin_text(&start.origin)
                ),
                &RdpServiceDisabledFacts {
                    TermService: SettingFacts::of(start),
                },
            );
        }
    }
    if let Some(s) = ts.security_layer.as_ref().filter(|s| s.value == 0) {
        // Azure's ResetRDPCert Run Command leaves exactly this behind.
        let reset = ts
            .min_encryption_level
            .as_ref()
            .is_some_and(|m| m.value == 1)
            && ts.ssl_certificate_sha1_hash.is_none();
        out.add(
            F::HostSecurityLayerRdp,
            Severity::Warn,
            format!(
                "SecurityLayer = 0{}: the server forces Standard RDP Security (no TLS, no server authentication); clients that require TLS or NLA fail{}",
                by_policy(s),
                if reset {
                    ". With MinEncryptionLevel = 1 and no certificate bound, these are the values Azure's ResetRDPCert leaves behind: set them back"
                } else {
                    ""
                }
            ),
            &SecurityLayerFacts {
                SecurityLayer: SettingFacts::of(s),
            },
        );
    }
    if let Some(s) = ts.user_authentication.as_ref().filter(|s| s.value == 0) {
        out.add(
            F::HostNlaOff,
            Severity::Info,
            format!(
                "UserAuthentication = 0{}: Network Level Authentication is not required",
                by_policy(s)
            ),
            &HostNlaOffFacts {
                UserAuthentication: SettingFacts::of(s),
            },
        );
    }
    let fips_level = ts.min_encryption_level.as_ref().filter(|s| s.value == 4);
    let fips_policy = h
        .crypto
        .fips_algorithm_policy
        .as_ref()
        .filter(|s| s.value == 1);
    if fips_level.is_some() || fips_policy.is_some() {
        let ev = HostFipsFacts {
            MinEncryptionLevel: fips_level.map(SettingFacts::of),
            FIPSAlgorithmPolicy: fips_policy.map(SettingFacts::of),
        };
        let mut why = Vec::new();
        if let Some(s) = fips_level {
            why.push(format!("MinEncryptionLevel = 4{}", by_policy(s)));
        }
        if fips_policy.is_some() {
            why.push("FIPSAlgorithmPolicy = 1".to_owned());
        }
        out.add(
            F::HostFipsRequired,
            Severity::Warn,
            format!(
                "FIPS is required ({}): clients without FIPS-compliant RDP encryption fail",
                why.join(", ")
            ),
            &ev,
        );
    }
    if let Some(s) = ts
        .max_outstanding_connections
        .as_ref()
        .filter(|s| s.value <= MAX_OUTSTANDING_LOW)
    {
        out.add(
            F::MaxOutstandingLow,
            Severity::Warn,
            format!(
                "MaxOutstandingConnections = {}: a few scanners or stuck handshakes fill it and the server stops accepting connections",
                s.value
            ),
            &MaxOutstandingFacts {
                MaxOutstandingConnections: SettingFacts::of(s),
            },
        );
    }
    let nosync = h
        .time
        .sync_type
        .as_ref()
        .filter(|s| s.value.eq_ignore_ascii_case("NoSync"));
    let w32_off = h
        .time
        .service_start
        .as_ref()
        .filter(|s| s.value == ServiceStart::Disabled);
    if nosync.is_some() || w32_off.is_some() {
        let ev = TimeSyncFacts {
            Type: nosync.map(SettingFacts::of),
            W32Time: w32_off.map(SettingFacts::of),
        };
        out.add(
            F::TimeSyncOff,
            Severity::Warn,
            "Windows Time does not synchronise this clock (W32Time disabled or Type = NoSync): it drifts until Kerberos and certificate checks fail".to_owned(),
            &ev,
        );
    }
}

fn listener_port(h: &HostEvidence, wire: Option<&ProbeReport>, out: &mut Out) {
    let Some(s) = &h.terminal_server.port_number else {
        return;
    };
    match wire {
        Some(r) if u32::from(r.target.port) != s.value => out.add(
            F::ListenerPortDiffers,
            Severity::Fail,
            format!(
                "The RDP listener is configured for port {}, but clients connect to port {}",
                s.value, r.target.port
            ),
            &ListenerPortFacts {
                PortNumber: SettingFacts::of(s),
                probed_port: Some(r.target.port),
            },
        ),
        None if s.value != DEFAULT_RDP_PORT => out.add(
            F::ListenerPortDiffers,
            Severity::Warn,
            format!(
                "The RDP listener is configured for port {}, not 3389: clients must connect to HOST:{}",
                s.value, s.value
            ),
            &ListenerPortFacts {
                PortNumber: SettingFacts::of(s),
                probed_port: None,
            },
        ),
        _ => {}
    }
}

/// True when `rule` lets TCP `port` in on `profile`.
fn admits(rule: &FirewallRule, profile: FirewallProfileName, port: u32) -> bool {
    let allow = rule
        .action
        .as_deref()
        .is_some_and(|a| a.eq_ignore_ascii_case("allow"));
    let inbound = rule
        .direction
        .as_deref()
        .is_none_or(|d| d.eq_ignore_ascii_case("in"));
    let tcp = rule.protocol.is_none_or(|p| p == 6);
    let on_profile = rule.profiles.is_empty() || rule.profiles.contains(&profile);
    let on_port =
        rule.local_ports.is_empty() || rule.local_ports.iter().any(|p| port_matches(p, port));
    rule.active && allow && inbound && tcp && on_profile && on_port
}

/// `3389`, `3000-4000` or `Any` against a port.
fn port_matches(spec: &str, port: u32) -> bool {
    let spec = spec.trim();
    if spec.eq_ignore_ascii_case("any") || spec == "*" {
        return true;
    }
    match spec.split_once('-') {
        Some((a, b)) => match (a.trim().parse::<u32>(), b.trim().parse::<u32>()) {
            (Ok(a), Ok(b)) => (a..=b).contains(&port),
            _ => false,
        },
        None => spec.parse::<u32>() == Ok(port),
    }
}

fn profile_name(p: FirewallProfileName) -> &'static str {
    match p {
        FirewallProfileName::Domain => "Domain",
        FirewallProfileName::Private => "Private",
        FirewallProfileName::Public => "Public",
    }
}

fn firewall(fw: &FirewallEvidence, port: u32, out: &mut Out) {
    let blocked: Vec<FirewallProfileName> = fw
        .profiles
        .iter()
        // A profile whose EnableFirewall was not read is not judged: on a
        // whole hive Windows' default is on, but a damaged hive or a partial
        // export may simply not hold it.
        .filter(|p| p.enabled.as_ref().is_some_and(|s| s.value != 0))
        .filter(|p| !fw.rules.iter().any(|r| admits(r, p.name, port)))
        .map(|p| p.name)
        .collect();
    if blocked.is_empty() {
        return;
    }
    let names: Vec<&str> = blocked.iter().map(|p| profile_name(*p)).collect();
    let inactive: Vec<&str> = fw
        .rules
        .iter()
        .filter(|r| !r.active)
        .map(|r| r.id.as_str())
        .collect();
    let on_blocked: Vec<_> = fw
        .networks
        .iter()
        .filter(|n| {
            let p = match n.category {
                NetworkCategory::Public => FirewallProfileName::Public,
                NetworkCategory::Private => FirewallProfileName::Private,
                NetworkCategory::Domain => FirewallProfileName::Domain,
                NetworkCategory::Other(_) => return false,
            };
            blocked.contains(&p)
        })
        .collect();
    let evidence = FirewallFacts {
        blocked_profiles: blocked.clone(),
        port,
        inactive_rules: inactive,
        networks: on_blocked
            .iter()
            .map(|n| NetworkFacts {
                name: &n.name,
                category: n.category,
                from: origin_text(&n.origin),
            })
            .collect(),
    };
    if on_blocked.is_empty() {
        out.add(
            F::FirewallRuleInactive,
            Severity::Warn,
            format!(
                "The firewall is on for the {} profile{} with no active rule letting TCP {port} in: RDP is blocked whenever the network is {}",
                names.join("/"),
                if names.len() == 1 { "" } else { "s" },
                names.join(" or ")
            ),
            &evidence,
        );
    } else {
        let nets: Vec<String> = on_blocked
            .iter()
            .map(|n| format!("\"{}\" ({})", n.name, kebab_category(n.category)))
            .collect();
        out.add(
            F::FirewallBlocksRdp,
            Severity::Fail,
            format!(
                "The firewall blocks RDP (TCP {port}) on the {} profile, and this machine's network {} set to that category: {}",
                names.join("/"),
                if nets.len() == 1 { "is" } else { "are" },
                nets.join(", ")
            ),
            &evidence,
        );
    }
}

fn kebab_category(c: NetworkCategory) -> String {
    match c {
        NetworkCategory::Public => "Public".into(),
        NetworkCategory::Private => "Private".into(),
        NetworkCategory::Domain => "Domain".into(),
        NetworkCategory::Other(n) => format!("category {n}"),
    }
}

/// The certificate the listener uses: the configured one, or (none
/// configured) the self-signed ones in the "Remote Desktop" store.
fn listener_certs(h: &HostEvidence) -> Vec<&CertificateStoreEntry> {
    match &h.terminal_server.ssl_certificate_sha1_hash {
        Some(s) => h
            .certificates
            .iter()
            .filter(|c| c.thumbprint.eq_ignore_ascii_case(&s.value))
            .collect(),
        // The self-signed listener certificate lives in the "Remote
        // Desktop" store; the Personal store holds every other certificate
        // the machine has.
        None => h
            .certificates
            .iter()
            .filter(|c| c.store == CertificateStore::RemoteDesktop)
            .collect(),
    }
}

fn certificates(h: &HostEvidence, now: i64, out: &mut Out) {
    if let Some(s) = &h.terminal_server.ssl_certificate_sha1_hash
        && h.coverage.software
        && !h
            .certificates
            .iter()
            .any(|c| c.thumbprint.eq_ignore_ascii_case(&s.value))
    {
        out.add(
            F::ConfiguredCertMissing,
            Severity::Warn,
            format!(
                "SSLCertificateSHA1Hash names certificate {} but no certificate store read holds it: the listener cannot use it",
                s.value
            ),
            &ConfiguredCertMissingFacts {
                SSLCertificateSHA1Hash: SettingFacts::of(s),
                stored: h.certificates.iter().map(|c| c.thumbprint.as_str()).collect(),
            },
        );
    }
    let listener = listener_certs(h);
    let expired: Vec<&CertificateStoreEntry> = listener
        .iter()
        .copied()
        .filter(|c| c.not_after_unix().is_some_and(|t| t < now))
        .collect();
    // With several self-signed certificates, only all of them expired says
    // the listener's is (Windows keeps the old one beside a renewed one).
    let all_expired = !expired.is_empty() && expired.len() == listener.len();
    if all_expired && let Some(c) = expired.first() {
        let days = (now - c.not_after_unix().unwrap_or(now)) / 86_400;
        out.add(
            F::StoredCertExpired,
            Severity::Warn,
            format!(
                "The listener's certificate {} expired on {} ({days} days ago){}",
                c.thumbprint,
                c.not_after().unwrap_or("?"),
                if h.terminal_server.ssl_certificate_sha1_hash.is_none() {
                    " and Windows did not replace it"
                } else {
                    ""
                }
            ),
            &StoredCertExpiredFacts {
                thumbprint: &c.thumbprint,
                not_after: c.not_after(),
                subject: c.subject(),
                from: origin_text(&c.origin),
            },
        );
    }
    if let Some(mk) = &h.machine_keys {
        let missing = mk.rdp_key_present == Some(false) || mk.rdp_key_bytes == Some(0);
        if missing {
            out.add(
                F::MachineKeysKeyMissing,
                Severity::Warn,
                format!(
                    "The RDP self-signed certificate's private key file {} is {} in {}: TLS cannot start with that certificate",
                    mk.rdp_key_file.as_deref().unwrap_or(RDP_KEY_CONTAINER),
                    if mk.rdp_key_present == Some(false) { "missing" } else { "empty" },
                    mk.path
                ),
                &MachineKeysFacts {
                    path: &mk.path,
                    key_file: mk.rdp_key_file.as_deref(),
                    files: mk.files,
                },
            );
        }
    }
}

fn crypto(h: &HostEvidence, out: &mut Out) {
    for p in &h.crypto.schannel {
        let off = p.enabled == Some(0) || p.disabled_by_default == Some(1);
        if !off {
            continue;
        }
        let side = match p.side {
            SchannelSide::Server => "server",
            SchannelSide::Client => "client",
        };
        let from = origin_text(&p.origin);
        let ev = SchannelFacts {
            protocol: &p.protocol,
            side,
            enabled: p.enabled,
            disabled_by_default: p.disabled_by_default,
            from,
        };
        match p.protocol.as_str() {
            "tls1.2" => out.add(
                F::SchannelTls12Disabled,
                Severity::Warn,
                format!(
                    "TLS 1.2 is switched off for the {side} side in SCHANNEL: {}",
                    if p.side == SchannelSide::Server {
                        "clients that need TLS 1.2 cannot connect over TLS or NLA"
                    } else {
                        "this machine cannot connect to servers that need TLS 1.2"
                    }
                ),
                &ev,
            ),
            "tls1.0" if p.side == SchannelSide::Server => out.add(
                F::SchannelTls10Disabled,
                Severity::Info,
                "TLS 1.0 is switched off for the server side in SCHANNEL: clients that speak only TLS 1.0 (Windows 7 without its 2016–2018 updates) cannot connect".to_owned(),
                &ev,
            ),
            _ => {}
        }
    }
    if let Some(s) = &h.crypto.allow_encryption_oracle {
        match s.value {
            0 => out.add(
                F::CredsspOracleForceUpdated,
                Severity::Info,
                "CredSSP AllowEncryptionOracle = 0 (Force Updated Clients): NLA with a peer that lacks the May 2018 CredSSP update fails (\"CredSSP encryption oracle remediation\")".to_owned(),
                &OracleFacts {
                    AllowEncryptionOracle: SettingFacts::of(s),
                },
            ),
            2 => out.add(
                F::CredsspOracleVulnerable,
                Severity::Warn,
                "CredSSP AllowEncryptionOracle = 2 (Vulnerable): NLA accepts unpatched peers, exposing CVE-2018-0886; set it back to 1 or 0 once every peer is updated".to_owned(),
                &OracleFacts {
                    AllowEncryptionOracle: SettingFacts::of(s),
                },
            ),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::port_matches;

    #[test]
    fn ports_match_numbers_ranges_and_any() {
        assert!(port_matches("3389", 3389));
        assert!(port_matches("3000-4000", 3389));
        assert!(port_matches("Any", 3389));
        assert!(!port_matches("3390", 3389));
        assert!(!port_matches("RPC", 3389));
    }
}
