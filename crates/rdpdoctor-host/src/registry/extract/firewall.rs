//! Windows Firewall: each profile's switch, the rules that bear on Remote
//! Desktop, and the known networks' categories.
//!
//! Local policy is under `SYSTEM\…\Services\SharedAccess\Parameters\FirewallPolicy`;
//! Group Policy's under `SOFTWARE\Policies\Microsoft\WindowsFirewall` wins
//! ([MS-GPFAS 2.2.1], <https://learn.microsoft.com/openspecs/windows_protocols/ms-gpfas/>).

use super::number;
use crate::registry::Hives;
use crate::registry::firewall_rule;
use crate::registry::view::{Data, Root};
use rdpdoctor_evidence::host::{
    FirewallEvidence, FirewallProfile, FirewallProfileName, FirewallRule, NetworkCategory,
    NetworkProfile,
};

const LOCAL: &str = "CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy";
const POLICY: &str = "Policies\\Microsoft\\WindowsFirewall";
const NETWORKS: &str = "Microsoft\\Windows NT\\CurrentVersion\\NetworkList\\Profiles";

/// The "Remote Desktop" rule group's name as the built-in rules write it in
/// `EmbedCtxt` (a string resource of FirewallAPI.dll).
const RDP_GROUP: &str = "@FirewallAPI.dll,-28752";

/// The firewall evidence; `None` when no source holds SYSTEM or SOFTWARE.
pub fn firewall(hives: &mut Hives, port: Option<u32>) -> Option<FirewallEvidence> {
    if !hives.covers(Root::System) && !hives.covers(Root::Software) {
        return None;
    }
    let mut fw = FirewallEvidence::default();
    for (name, key) in [
        (FirewallProfileName::Domain, "DomainProfile"),
        (FirewallProfileName::Private, "StandardProfile"),
        (FirewallProfileName::Public, "PublicProfile"),
    ] {
        let local = format!("{LOCAL}\\{key}");
        let policy = format!("{POLICY}\\{key}");
        fw.profiles.push(FirewallProfile {
            name,
            enabled: number(
                hives,
                &[
                    (Root::Software, &policy, "EnableFirewall"),
                    (Root::System, &local, "EnableFirewall"),
                ],
            ),
        });
    }
    let rule_keys = [
        (Root::Software, format!("{POLICY}\\FirewallRules")),
        (Root::System, format!("{LOCAL}\\FirewallRules")),
    ];
    for (root, path) in rule_keys {
        for key in hives.keys(root, &path) {
            for v in &key.values {
                let Some(s) = v.data.as_str() else { continue };
                let Ok(rule) = firewall_rule::parse(s) else {
                    continue;
                };
                let group = rule.get("EmbedCtxt").map(str::to_owned);
                let rule = to_rule(&v.name, &rule, key.origin(&v.name));
                if bears_on_rdp(&rule, group.as_deref(), port) {
                    fw.rules.push(rule);
                }
            }
        }
    }
    fw.networks = networks(hives);
    Some(fw)
}

fn to_rule(
    id: &str,
    r: &firewall_rule::RuleString,
    origin: rdpdoctor_evidence::host::Origin,
) -> FirewallRule {
    let own = |k: &str| r.get(k).map(str::to_owned);
    let profiles = r
        .all("Profile")
        .filter_map(|p| match p.to_ascii_lowercase().as_str() {
            "domain" => Some(FirewallProfileName::Domain),
            "private" => Some(FirewallProfileName::Private),
            "public" => Some(FirewallProfileName::Public),
            _ => None,
        })
        .collect();
    FirewallRule {
        id: id.to_owned(),
        name: own("Name"),
        action: own("Action"),
        active: r
            .get("Active")
            .is_some_and(|a| a.eq_ignore_ascii_case("TRUE")),
        direction: own("Dir"),
        protocol: r.get("Protocol").and_then(|p| p.parse().ok()),
        profiles,
        local_ports: r.all("LPort").map(str::to_owned).collect(),
        origin,
    }
}

/// A Remote Desktop rule (its id, name or group says so) or one for the
/// configured port.
fn bears_on_rdp(rule: &FirewallRule, group: Option<&str>, port: Option<u32>) -> bool {
    let says_rdp = |s: &str| {
        let l = s.to_ascii_lowercase();
        l.contains("remotedesktop")
            || l.contains("remote desktop")
            || s.eq_ignore_ascii_case(RDP_GROUP)
    };
    let port_named = port.is_some_and(|p| {
        rule.local_ports.iter().any(|lp| {
            lp.parse::<u32>().is_ok_and(|n| n == p)
                || lp.split_once('-').is_some_and(|(a, b)| {
                    matches!((a.parse::<u32>(), b.parse::<u32>()), (Ok(a), Ok(b)) if a <= p && p <= b)
                })
        })
    });
    says_rdp(&rule.id)
        || group.is_some_and(says_rdp)
        || rule.name.as_deref().is_some_and(says_rdp)
        || port_named
}

/// `SOFTWARE\Microsoft\Windows NT\CurrentVersion\NetworkList\Profiles\{guid}`:
/// `ProfileName` and `Category` (0 Public, 1 Private, 2 Domain).
fn networks(hives: &mut Hives) -> Vec<NetworkProfile> {
    let mut out = Vec::new();
    for guid in hives.subkeys(Root::Software, NETWORKS) {
        let path = format!("{NETWORKS}\\{guid}");
        let Some(key) = hives.keys(Root::Software, &path).into_iter().next() else {
            continue;
        };
        let Some(category) = key.value("Category").and_then(Data::as_u32) else {
            continue;
        };
        out.push(NetworkProfile {
            name: key
                .value("ProfileName")
                .and_then(Data::as_str)
                .unwrap_or(&guid)
                .to_owned(),
            category: match category {
                0 => NetworkCategory::Public,
                1 => NetworkCategory::Private,
                2 => NetworkCategory::Domain,
                n => NetworkCategory::Other(n),
            },
            origin: key.origin("Category"),
        });
    }
    out
}
