//! The terminal report of `rdpdoctor inspect` (and the host section of
//! `probe --host-evidence`): what each source gave, the effective settings
//! with where they came from, and the event groups.
//!
//! Everything read from a hive, an export or an event log is as untrusted as
//! server text (a disk image can hold anything): it goes through
//! [`crate::safe`].

use crate::Style;
use crate::safe::{line, term_max};
use crate::text::kebab;
use rdpdoctor_diagnose::{Judgement, Severity};
use rdpdoctor_evidence::host::{
    FirewallProfileName, HostEvidence, ServiceStart, Setting, SourceStatus,
};
use std::fmt::Write;

/// What went wrong with a source, without the path the source's own
/// message may start with (the report names the path already).
pub fn problem(s: &rdpdoctor_evidence::host::HostSource) -> String {
    let p = match &s.status {
        SourceStatus::Read => return String::new(),
        SourceStatus::Partial { problem } | SourceStatus::Unusable { problem } => problem,
    };
    p.strip_prefix(&format!("{}: ", s.path))
        .unwrap_or(p)
        .to_owned()
}

/// How many event groups the text lists (JSON has them all).
const MAX_EVENT_GROUPS: usize = 12;

/// What the subject of an inspect report is called: the computer name, or
/// "this host" when no source named it.
pub fn subject(h: &HostEvidence) -> String {
    match &h.identity.computer_name {
        Some(n) => term_max(&n.value, 64),
        None => "host evidence".to_owned(),
    }
}

struct Doc<'a> {
    out: String,
    style: &'a Style,
    j: &'a Judgement,
}

impl Doc<'_> {
    fn section(&mut self, name: &str, summary: &str) {
        let worst = self
            .j
            .findings
            .iter()
            .filter(|f| f.id.stage() == name && f.severity > Severity::Info)
            .map(|f| f.severity)
            .max();
        let tag = match worst {
            Some(Severity::Fail) => self.style.severity(Severity::Fail, "[FAIL]"),
            Some(Severity::Warn) => self.style.severity(Severity::Warn, "[warn]"),
            _ => self.style.good("[ ok ]"),
        };
        let label = name.trim_start_matches("Host ");
        let _ = writeln!(
            self.out,
            "{tag} {}{summary}",
            self.style.bold(&format!("{label:<13}"))
        );
    }

    fn skipped(&mut self, name: &str, why: &str) {
        let label = name.trim_start_matches("Host ");
        let _ = writeln!(
            self.out,
            "{} {}{}",
            self.style.dim("[ -- ]"),
            self.style.bold(&format!("{label:<13}")),
            why
        );
    }

    fn detail(&mut self, text: &str) {
        let _ = writeln!(self.out, "       {}", self.style.dim(text));
    }
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

/// The host part of a report, without the head and the diagnosis.
pub fn host_report(h: &HostEvidence, j: &Judgement, style: &Style) -> String {
    let mut d = Doc {
        out: String::new(),
        style,
        j,
    };
    let id = &h.identity;
    let mut who = vec![subject(h)];
    if let Some(p) = &id.product_name {
        who.push(term_max(&p.value, 80));
    }
    if let Some(b) = &id.build {
        who.push(format!("build {}", term_max(&b.value, 20)));
    }
    let _ = writeln!(
        d.out,
        "{} {}",
        style.bold("rdpdoctor inspect"),
        who.join(" · ")
    );
    let _ = writeln!(d.out);

    // Sources.
    let _ = writeln!(d.out, "{}", style.bold("Sources"));
    for s in &h.sources {
        let (tag, note) = match &s.status {
            SourceStatus::Read => (style.good("read   "), String::new()),
            SourceStatus::Partial { .. } => (
                style.severity(Severity::Warn, "partial"),
                format!(": {}", line(&problem(s), 200)),
            ),
            SourceStatus::Unusable { .. } => (
                style.severity(Severity::Fail, "unread "),
                format!(": {}", line(&problem(s), 200)),
            ),
        };
        let _ = writeln!(
            d.out,
            "  {tag} {:<14} {}{note}",
            kebab(&s.kind),
            line(&s.path, 120)
        );
    }
    let _ = writeln!(d.out);

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
        d.section("Host settings", &summary);
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
        d.skipped("Host settings", "no SYSTEM hive or export read");
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
            d.section("Host firewall", &profiles.join(" · "));
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
        None => d.skipped("Host firewall", "no firewall policy in the sources"),
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
        d.section("Host certificate", &summary);
        for c in h.certificates.iter().take(6) {
            d.detail(&format!(
                "{} {} until {}{}",
                term_max(&c.thumbprint, 40),
                term_max(c.subject.as_deref().unwrap_or("?"), 60),
                term_max(c.not_after.as_deref().unwrap_or("?"), 30),
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
        d.skipped("Host certificate", "no SOFTWARE hive or export read");
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
        d.skipped("Host policy", "no registry read");
    } else if pol.is_empty() {
        d.section("Host policy", "no SCHANNEL, CredSSP or FIPS values found (Windows defaults, if the sources hold those keys)");
    } else {
        d.section("Host policy", &pol.join(" · "));
    }

    // Events.
    let ev = &h.events;
    if h.coverage.events {
        let since = ev
            .window
            .as_ref()
            .map(|w| format!(" since {}", term_max(&w.since, 40)))
            .unwrap_or_default();
        d.section(
            "Host events",
            &format!(
                "{} records read, {} about RDP{since}{}",
                ev.records_scanned,
                ev.records_matched,
                if ev.records_unreadable > 0 {
                    format!(", {} unreadable", ev.records_unreadable)
                } else {
                    String::new()
                }
            ),
        );
        let mut groups: Vec<_> = ev.groups.iter().collect();
        groups.sort_by_key(|g| std::cmp::Reverse(g.count));
        for g in groups.iter().take(MAX_EVENT_GROUPS) {
            let key: Vec<String> = g
                .key
                .iter()
                .map(|(k, v)| format!("{}={}", term_max(k, 24), term_max(v, 40)))
                .collect();
            d.detail(&format!(
                "{:>6} × {} {} {} newest {}",
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
        d.skipped("Host events", "no event log read");
    }
    let _ = writeln!(d.out);
    d.out.push_str(&crate::text::findings(&j.findings, style));
    d.out
}

/// `RdpCoreTS/Operational` for `Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational`.
fn short_channel(c: &str) -> &str {
    let tail = c.rsplit_once('-').map_or(c, |(_, t)| t);
    if c.contains('/') { tail } else { c }
}
