//! Both ends: the user's client (its own registry, `--client-evidence`)
//! paired with the server (the wire probe, the server's own registry), where
//! a failure needs both to happen.
//!
//! The CredSSP update for CVE-2018-0886 (March 2018, enforced by default in
//! May 2018) is the case the field meets most: Microsoft's interoperability
//! matrix (KB4093492, "CredSSP updates for CVE-2018-0886") blocks exactly
//! three pairs, and which side has to change follows from the pair:
//!
//! | server \ client      | updated, Force Updated (0) | updated, Mitigated (1, default) | updated, Vulnerable (2) | not updated |
//! |----------------------|----------------------------|---------------------------------|-------------------------|-------------|
//! | updated, Force (0)   | allowed                    | allowed                         | allowed                 | **blocked** |
//! | updated, 1 or 2      | allowed                    | allowed                         | allowed                 | exposed     |
//! | not updated          | **blocked**                | **blocked**                     | exposed                 | exposed     |
//!
//! Whether a side is updated comes from the wire first (a server that
//! answers CredSSP below version 5 predates the fix, [MS-CSSP 2.2.1]), else
//! from its Windows build (1809, build 17763, and later shipped with it);
//! an older build alone can't tell, and neither can the registry.
//!
//! [MS-CSSP 2.2.1]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-cssp/6aac4dea-08ef-47a6-8747-22ea7f6d8685

use crate::facts::pair::{CredsspPairFacts, Side};
use crate::finding::{Finding, FindingId, Severity};
use crate::host::{Out, SettingFacts};
use rdpdoctor_evidence::ProbeReport;
use rdpdoctor_evidence::host::HostEvidence;

/// The first Windows build released with the CredSSP update (1809).
const FIRST_UPDATED_BUILD: u32 = 17763;
/// The first CredSSP (TSRequest) version with the CVE-2018-0886 fix.
const FIRST_FIXED_CREDSSP: u32 = 5;

/// Whether one side has the CredSSP update, and what says so.
#[derive(Debug, Clone, PartialEq)]
enum Updated {
    Yes(String),
    No(String),
    Unknown(String),
}

/// `AllowEncryptionOracle` as it applies: the value, or the default 1
/// (Mitigated) when the SOFTWARE hive was read and holds none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Oracle {
    value: u32,
    set: bool,
}

fn oracle(h: &HostEvidence) -> Option<Oracle> {
    match &h.crypto.allow_encryption_oracle {
        Some(s) => Some(Oracle {
            value: s.value,
            set: true,
        }),
        None if h.coverage.software => Some(Oracle {
            value: 1,
            set: false,
        }),
        None => None,
    }
}

fn by_build(h: &HostEvidence) -> Updated {
    match h
        .identity
        .build
        .as_ref()
        .map(|b| (b.value.parse::<u32>().ok(), &b.value))
    {
        Some((Some(n), _)) if n >= FIRST_UPDATED_BUILD => {
            Updated::Yes(format!("Windows build {n} shipped with the CredSSP update"))
        }
        Some((_, b)) => Updated::Unknown(format!(
            "Windows build {b}: whether the May 2018 CredSSP update is installed is not in the registry"
        )),
        None => Updated::Unknown("no Windows build in the sources".to_owned()),
    }
}

fn server_updated(credssp_version: Option<u32>, host: Option<&HostEvidence>) -> Updated {
    if let Some(v) = credssp_version {
        return if v >= FIRST_FIXED_CREDSSP {
            Updated::Yes(format!("it answers CredSSP version {v}"))
        } else {
            Updated::No(format!(
                "it answers CredSSP version {v}, older than the fix (version {FIRST_FIXED_CREDSSP})"
            ))
        };
    }
    match host {
        Some(h) => by_build(h),
        None => Updated::Unknown("no CredSSP answer and no registry of the server".to_owned()),
    }
}

fn name(o: Oracle) -> String {
    let word = match o.value {
        0 => "Force Updated Clients",
        1 => "Mitigated",
        2 => "Vulnerable",
        _ => "not a defined value",
    };
    let how = if o.set {
        ""
    } else {
        ", the default: no value set"
    };
    format!("AllowEncryptionOracle = {} ({word}{how})", o.value)
}

/// The findings of the pair; none when the client's policy was not read.
/// `wire` is the probe of the server, `server_host` its own state.
pub(crate) fn derive(
    client: &HostEvidence,
    wire: Option<&ProbeReport>,
    server_host: Option<&HostEvidence>,
) -> Vec<Finding> {
    let version = wire
        .and_then(|r| r.credssp.as_ref())
        .and_then(|c| c.server_version);
    pair(client, version, server_host)
}

fn pair(
    client: &HostEvidence,
    credssp_version: Option<u32>,
    server_host: Option<&HostEvidence>,
) -> Vec<Finding> {
    let mut out = Out(Vec::new());
    let Some(c_oracle) = oracle(client) else {
        return out.0;
    };
    let s_oracle = server_host.and_then(oracle);
    let server = server_updated(credssp_version, server_host);
    let client_up = by_build(client);
    let why = |u: &Updated| match u {
        Updated::Yes(s) | Updated::No(s) | Updated::Unknown(s) => s.clone(),
    };
    let ev = CredsspPairFacts {
        client_allow_encryption_oracle: c_oracle.value,
        client_policy_set: c_oracle.set,
        server_updated: why(&server),
        client_updated: why(&client_up),
        client_setting: client
            .crypto
            .allow_encryption_oracle
            .as_ref()
            .map(SettingFacts::of),
        server_allow_encryption_oracle: s_oracle.map(|o| o.value),
        change: None,
    };
    match (&server, c_oracle.value) {
        (Updated::No(s), 0 | 1) => out.add(
            FindingId::CredsspPairBlocked,
            Severity::Fail,
            format!(
                "This client refuses this server: its {} meets a server without the CredSSP update ({s}). Change the server: install its updates; setting the client to 2 (Vulnerable) is the stopgap",
                name(c_oracle)
            ),
            &with_side(ev, Side::Server),
        ),
        (Updated::No(s), 2) => out.add(
            FindingId::CredsspPairExposed,
            Severity::Warn,
            format!(
                "This client connects to a server without the CredSSP update ({s}) only because its {} accepts it, exposing CVE-2018-0886: update the server, then set the client back to 1",
                name(c_oracle)
            ),
            &with_side(ev, Side::Server),
        ),
        (Updated::Yes(s), _) => match (s_oracle, &client_up) {
            (Some(o), Updated::Unknown(c)) if o.value == 0 => out.add(
                FindingId::CredsspPairBlocked,
                Severity::Warn,
                format!(
                    "The server ({s}) has {}: it refuses this client if the client lacks the May 2018 CredSSP update ({c}). Update the client",
                    name(o)
                ),
                &with_side(ev, Side::Client),
            ),
            (_, Updated::Yes(c)) => out.add(
                FindingId::CredsspPairAllowed,
                Severity::Info,
                format!(
                    "Both ends have the CredSSP update (server: {s}; client: {c}): every AllowEncryptionOracle value connects; the client's is {}",
                    name(c_oracle)
                ),
                &ev,
            ),
            _ => {}
        },
        _ => {}
    }
    out.0
}

fn with_side(ev: CredsspPairFacts<'_>, side: Side) -> CredsspPairFacts<'_> {
    CredsspPairFacts {
        change: Some(side),
        ..ev
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The side a pair finding says to change, read back from its JSON.
    fn change_of(f: &Finding) -> Option<Side> {
        match f.evidence.get("change")?.as_str()? {
            "server" => Some(Side::Server),
            "client" => Some(Side::Client),
            _ => None,
        }
    }
    use rdpdoctor_evidence::host::{Origin, Setting};

    fn machine(build: Option<&str>, oracle: Option<u32>) -> HostEvidence {
        let mut h = HostEvidence::default();
        h.coverage.software = true;
        let origin = Origin {
            source: "SOFTWARE".to_owned(),
            key: "Microsoft\\Windows\\CurrentVersion\\Policies\\System\\CredSSP\\Parameters"
                .to_owned(),
            value: Some("AllowEncryptionOracle".to_owned()),
        };
        let setting = |value| Setting {
            value,
            origin: origin.clone(),
            shadowed: Vec::new(),
        };
        h.identity.build = build.map(|b| Setting {
            value: b.to_owned(),
            origin: origin.clone(),
            shadowed: Vec::new(),
        });
        h.crypto.allow_encryption_oracle = oracle.map(setting);
        h
    }

    fn ids(f: &[Finding]) -> Vec<(&'static str, Severity)> {
        f.iter().map(|f| (f.id.name(), f.severity)).collect()
    }

    #[test]
    fn the_three_blocked_cells_of_the_matrix_and_which_side_changes() {
        assert!(matches!(server_updated(None, None), Updated::Unknown(_)));
        // An unpatched server (seen on the wire) and a default client: blocked, change the server.
        for value in [None, Some(0), Some(1)] {
            let f = pair(&machine(Some("19045"), value), Some(2), None);
            assert_eq!(
                ids(&f),
                vec![("credssp-pair-blocked", Severity::Fail)],
                "{value:?}"
            );
            assert_eq!(change_of(&f[0]), Some(Side::Server));
        }
        let f = pair(&machine(Some("19045"), Some(2)), Some(2), None);
        assert_eq!(ids(&f), vec![("credssp-pair-exposed", Severity::Warn)]);
        // A Force Updated server and a client whose update can't be seen.
        let server = machine(Some("20348"), Some(0));
        let f = pair(&machine(Some("7601"), None), None, Some(&server));
        assert_eq!(ids(&f), vec![("credssp-pair-blocked", Severity::Warn)]);
        assert_eq!(change_of(&f[0]), Some(Side::Client));
        // Both updated: allowed, said as a fact.
        let f = pair(&machine(Some("22631"), None), None, Some(&server));
        assert_eq!(ids(&f), vec![("credssp-pair-allowed", Severity::Info)]);
    }

    #[test]
    fn nothing_is_said_without_the_clients_policy_or_the_servers_state() {
        let mut client = machine(Some("19045"), None);
        client.coverage.software = false;
        assert!(pair(&client, None, None).is_empty());
        // The server's state unknown: no pair finding, rather than a guess.
        assert!(pair(&machine(Some("19045"), Some(1)), None, None).is_empty());
    }
}
