//! The parts of a host's state (`inspect`, `probe --host-evidence`).
//!
//! Everything read from a hive, an export or an event log is as untrusted as
//! server text (a disk image can hold anything): it goes through
//! [`crate::safe`].

use super::{Builder, Section};
use crate::safe::{line, term_max};
use crate::text::kebab;
use rdpdoctor_diagnose::Judgement;
use rdpdoctor_diagnose::Section as Sec;
use rdpdoctor_evidence::host::{
    FirewallProfileName, HostEvidence, ServiceStart, Setting, SourceStatus,
};

/// How many event groups are listed (JSON has them all).
const MAX_EVENT_GROUPS: usize = 12;

/// How a source was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceMark {
    /// Whole.
    Read,
    /// In part.
    Partial,
    /// Not at all.
    Unread,
}

/// One source of host evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRow {
    /// How it was read.
    pub mark: SourceMark,
    /// `hive-system`, `reg-export`, `evtx`, ….
    pub kind: String,
    /// The path as given (neutralised).
    pub path: String,
    /// What went wrong, empty when nothing did (neutralised).
    pub problem: String,
}

/// The sources, as read.
pub fn sources(h: &HostEvidence) -> Vec<SourceRow> {
    h.sources
        .iter()
        .map(|s| {
            let (mark, problem) = match &s.status {
                SourceStatus::Read => (SourceMark::Read, String::new()),
                SourceStatus::Partial { .. } => {
                    (SourceMark::Partial, line(&crate::host::problem(s), 200))
                }
                SourceStatus::Unusable { .. } => {
                    (SourceMark::Unread, line(&crate::host::problem(s), 200))
                }
            };
            SourceRow {
                mark,
                kind: kebab(&s.kind),
                path: line(&s.path, 120),
                problem,
            }
        })
        .collect()
}

/// What an inspect report is about: the computer's name, product and build.
pub fn host_title(h: &HostEvidence) -> String {
    let id = &h.identity;
    let mut who = vec![crate::host::subject(h)];
    if let Some(p) = &id.product_name {
        who.push(term_max(&p.value, 80));
    }
    if let Some(b) = &id.build {
        who.push(format!("build {}", term_max(&b.value, 20)));
    }
    who.join(" · ")
}

fn val<T: std::fmt::Display>(name: &str, s: &Option<Setting<T>>) -> Option<String> {
    s.as_ref().map(|s| {
        let gp = if s.origin.key.to_ascii_lowercase().contains("\\policies\\") {
            " (policy)"
        } else {
            ""
        };
        format!("{name} {}{gp}", term_max(&s.value.to_string(), 80))
    })
}

fn start_name(s: ServiceStart) -> String {
    match s {
        ServiceStart::Other(n) => format!("start type {n}"),
        other => kebab(&other),
    }
}

/// One section per part of the host's state: settings, firewall,
/// certificate, policy, events.
pub fn host_sections(h: &HostEvidence, j: &Judgement) -> Vec<Section> {
    let mut d = Builder::new(j);
    // Remote Desktop settings.
    let ts = &h.terminal_server;
    if h.coverage.system {
        let parts: Vec<String> = [
            val("fDenyTSConnections", &ts.deny_ts_connections),
            val("port", &ts.port_number),
            val("SecurityLayer", &ts.security_layer),
            val("UserAuthentication", &ts.user_authentication),
            val("MinEncryptionLevel", &ts.min_encryption_level),
            val("MaxOutstandingConnections", &ts.max_outstanding_connections),
        ]
        .into_iter()
        .flatten()
        .collect();
        let summary = if parts.is_empty() {
            "the Terminal Server settings could not be read".to_owned()
        } else {
            parts.join(" · ")
        };
        d.section(Sec::HostSettings, &summary);
        let svcs: Vec<String> = h
            .services
            .iter()
            .map(|s| match &s.start {
                Some(st) => format!("{} {}", term_max(&s.name, 40), start_name(st.value)),
                None => format!("{} not found", term_max(&s.name, 40)),
            })
            .collect();
        if h.services.iter().all(|s| s.start.is_none()) {
            d.detail("services: none found in the sources");
        } else if !svcs.is_empty() {
            d.detail(&format!("services: {}", svcs.join(" · ")));
        }
    } else {
        d.skipped(Sec::HostSettings, "no SYSTEM hive or export read");
    }

    // Firewall.
    match h.firewall.as_ref().filter(|fw| fw.holds_policy()) {
        Some(fw) => {
            let profiles: Vec<String> = fw
                .profiles
                .iter()
                .map(|p| {
                    let name = match p.name {
                        FirewallProfileName::Domain => "Domain",
                        FirewallProfileName::Private => "Private",
                        FirewallProfileName::Public => "Public",
                    };
                    let on = match p.enabled.as_ref().map(|s| s.value) {
                        Some(0) => "off",
                        Some(_) => "on",
                        None => "on (default)",
                    };
                    format!("{name} {on}")
                })
                .collect();
            d.section(Sec::HostFirewall, &profiles.join(" · "));
            for r in fw.rules.iter().take(8) {
                let profiles: Vec<String> = r.profiles.iter().map(kebab).collect();
                d.detail(&format!(
                    "rule {}: {} {} {} port {} on {}",
                    term_max(&r.id, 60),
                    if r.active { "active" } else { "inactive" },
                    term_max(r.action.as_deref().unwrap_or("?"), 10),
                    term_max(r.direction.as_deref().unwrap_or("?"), 10),
                    term_max(&r.local_ports.join(","), 40),
                    if profiles.is_empty() {
                        "all profiles".to_owned()
                    } else {
                        profiles.join("/")
                    }
                ));
            }
            for n in fw.networks.iter().take(8) {
                d.detail(&format!(
                    "network {}: {}",
                    term_max(&n.name, 60),
                    kebab(&n.category)
                ));
            }
        }
        None => d.skipped(Sec::HostFirewall, "no firewall policy in the sources"),
    }

    // Certificate.
    if h.coverage.software || ts.ssl_certificate_sha1_hash.is_some() || h.machine_keys.is_some() {
        let configured = match &ts.ssl_certificate_sha1_hash {
            Some(s) => format!("configured {}", term_max(&s.value, 40)),
            None => "self-signed (none configured)".to_owned(),
        };
        let summary = format!(
            "{configured} · {} in the Remote Desktop store",
            h.certificates.len()
        );
        d.section(Sec::HostCertificate, &summary);
        for c in h.certificates.iter().take(6) {
            d.detail(&format!(
                "{} {} until {}{}",
                term_max(&c.thumbprint, 40),
                term_max(c.subject().unwrap_or("?"), 60),
                term_max(c.not_after().unwrap_or("?"), 30),
                c.decode_error
                    .as_deref()
                    .map(|e| format!(" (not decoded: {})", term_max(e, 80)))
                    .unwrap_or_default()
            ));
        }
        if let Some(mk) = &h.machine_keys {
            d.detail(&format!(
                "MachineKeys: {} files; RDP key {}",
                mk.files,
                match (mk.rdp_key_present, mk.rdp_key_bytes) {
                    (Some(true), Some(b)) => format!("present ({b} bytes)"),
                    (Some(true), None) => "present".to_owned(),
                    (Some(false), _) => "missing".to_owned(),
                    (None, _) => "unknown (no MachineGuid)".to_owned(),
                }
            ));
        }
    } else {
        d.skipped(Sec::HostCertificate, "no SOFTWARE hive or export read");
    }

    // Policy.
    let c = &h.crypto;
    let mut pol: Vec<String> = c
        .schannel
        .iter()
        .filter(|p| p.enabled.is_some() || p.disabled_by_default.is_some())
        .map(|p| {
            let on = if p.enabled == Some(0) || p.disabled_by_default == Some(1) {
                "off"
            } else {
                "on"
            };
            format!("{} {} {on}", term_max(&p.protocol, 12), kebab(&p.side))
        })
        .collect();
    pol.extend(val("AllowEncryptionOracle", &c.allow_encryption_oracle));
    pol.extend(val("FIPS", &c.fips_algorithm_policy));
    pol.extend(val("LmCompatibilityLevel", &c.lm_compatibility_level));
    pol.extend(val("time sync", &h.time.sync_type));
    if pol.is_empty() && !h.coverage.system {
        d.skipped(Sec::HostPolicy, "no registry read");
    } else if pol.is_empty() {
        d.section(Sec::HostPolicy, "no SCHANNEL, CredSSP or FIPS values found (Windows defaults, if the sources hold those keys)");
    } else {
        d.section(Sec::HostPolicy, &pol.join(" · "));
    }

    // Events.
    let ev = &h.events;
    if h.coverage.events {
        let per_computer = ev.machines.len() > 1;
        let since = match ev.window.as_ref() {
            Some(w) if per_computer && w.default_days.is_some() => format!(
                " in each computer's last {} days",
                w.default_days.unwrap_or_default()
            ),
            Some(w) => format!(" since {}", term_max(&w.since, 40)),
            None => String::new(),
        };
        let left_out = if ev.records_left_out > 0 {
            format!(
                ", {} older left out (--since all includes them)",
                ev.records_left_out
            )
        } else {
            String::new()
        };
        d.section(
            Sec::HostEvents,
            &format!(
                "{} records read, {} about RDP{since}{left_out}{}",
                ev.records_scanned,
                ev.records_matched,
                if ev.records_unreadable > 0 {
                    format!(", {} unreadable", ev.records_unreadable)
                } else {
                    String::new()
                }
            ),
        );
        // This host's records first; another machine's are named as such.
        let mut groups: Vec<_> = ev.groups.iter().collect();
        groups.sort_by_key(|g| {
            (
                h.is_other_machine(g.computer.as_deref()),
                std::cmp::Reverse(g.count),
            )
        });
        for g in groups.iter().take(MAX_EVENT_GROUPS) {
            let key: Vec<String> = g
                .key
                .iter()
                .map(|(k, v)| format!("{}={}", term_max(k, 24), term_max(v, 40)))
                .collect();
            let on = match g.computer.as_deref() {
                Some(c) if h.is_other_machine(Some(c)) => {
                    format!(" · recorded on {}, not on this host", term_max(c, 64))
                }
                Some(c) if per_computer => format!(" · on {}", term_max(c, 64)),
                _ => String::new(),
            };
            d.detail(&format!(
                "{:>6} × {} {} {} newest {}{on}",
                g.count,
                term_max(short_channel(&g.channel), 40),
                g.event_id,
                key.join(" "),
                term_max(&g.newest.time, 30)
            ));
        }
        if groups.len() > MAX_EVENT_GROUPS {
            d.detail(&format!(
                "… {} more groups (--format json lists them all)",
                groups.len() - MAX_EVENT_GROUPS
            ));
        }
    } else {
        d.skipped(Sec::HostEvents, "no event log read");
    }
    d.finish()
}

/// `RdpCoreTS/Operational` for `Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational`.
fn short_channel(c: &str) -> &str {
    let tail = c.rsplit_once('-').map_or(c, |(_, t)| t);
    if c.contains('/') { tail } else { c }
}
