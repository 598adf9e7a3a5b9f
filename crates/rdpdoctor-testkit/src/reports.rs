//! Fixed evidence for the renderers' and the engine's tests: the real report
//! of an emulated Windows host (`data/probe-nla-optional.json`, recorded) and
//! the host evidence of the real SYSTEM hive with event logs
//! (`data/host-system.json`), and reports varied from them field by field or
//! built by hand. Nothing in them depends on the clock or the tool's version.

use rdpdoctor_evidence::host::HostEvidence;
use rdpdoctor_evidence::*;
use serde_json::{Value, json};

/// The recorded report as JSON, to vary before it is read.
pub fn recorded_probe_json() -> Value {
    serde_json::from_str(include_str!("../data/probe-nla-optional.json")).expect("probe JSON")
}

/// The host evidence of the real SYSTEM hive and eleven real event logs, as
/// JSON (as `inspect --format json` wrote its `host`).
pub fn host_system_json() -> Value {
    serde_json::from_str(include_str!("../data/host-system.json")).expect("host JSON")
}

/// [`host_system_json`], read.
pub fn host_system() -> HostEvidence {
    serde_json::from_value(host_system_json()).expect("a HostEvidence")
}

/// The recorded report with its target renamed and `change` applied.
pub fn variant(input: &str, change: impl FnOnce(&mut Value)) -> ProbeReport {
    let mut v = recorded_probe_json();
    let (host, port) = input.rsplit_once(':').expect("HOST:PORT");
    v["target"] = json!({
        "input": input, "host": host, "port": port.parse::<u16>().unwrap(), "host_is_ip": false,
    });
    change(&mut v);
    serde_json::from_value(v).expect("still a ProbeReport")
}

/// A Windows host as the emulator served it (recorded): every protocol
/// selected (NLA optional), a self-signed certificate.
pub fn nla_optional() -> ProbeReport {
    serde_json::from_value(recorded_probe_json()).expect("a ProbeReport")
}

/// A healthy Windows host: NLA required (every request without HYBRID gets
/// HYBRID_REQUIRED_BY_SERVER), a certificate from the domain's CA.
pub fn healthy_nla() -> ProbeReport {
    variant("win-rdp01.corp.example:3389", |v| {
        for a in v["negotiation"]["attempts"].as_array_mut().unwrap() {
            let bits = a["requested"]["bits"].as_u64();
            if bits.is_none_or(|b| b & 2 == 0) {
                a["outcome"] =
                    json!({ "kind": "failure", "code": 5, "name": "HYBRID_REQUIRED_BY_SERVER" });
            }
        }
        let c = &mut v["certificate"];
        c["issuer"] = json!("CN=corp-CA, DC=corp, DC=example");
        c["self_signed"] = json!(false);
        c["subject_alt_names"] = json!(["WIN-RDP01.corp.example", "win-rdp01.corp.example"]);
        c["matches_target"] = json!(true);
        // No Standard RDP Security and no logon screen without NLA.
        v["rdp_security"] = Value::Null;
        v["deep"] = Value::Null;
        let t = v["timings"]["stages_ms"].as_object_mut().unwrap();
        t.remove("rdp-security");
        t.remove("deep");
    })
}

/// The recorded host with its self-signed certificate expired 41 days ago.
pub fn expired_self_signed() -> ProbeReport {
    variant("win-expired.corp.example:3389", |v| {
        let c = &mut v["certificate"];
        c["not_before"] = json!("2025-10-16T06:42:37Z");
        c["not_after"] = json!("2026-10-16T06:42:37Z");
        c["not_before_unix"] = json!(1_760_596_957);
        c["not_after_unix"] = json!(1_792_132_957);
        c["days_left"] = json!(-41);
        c["expired"] = json!(true);
        c["self_signed"] = json!(true);
    })
}

/// Nothing listens: every connect refused.
pub fn closed_port() -> ProbeReport {
    let mut r = ProbeReport::new(
        Target {
            input: "rdp-closed.example.com".into(),
            host: "rdp-closed.example.com".into(),
            port: 3389,
            host_is_ip: false,
        },
        "test",
        "2026-11-26T00:00:00Z".into(),
    );
    r.addresses.resolved = vec!["192.0.2.7".parse().unwrap()];
    r.addresses.used = Some("192.0.2.7".parse().unwrap());
    r.tcp = Some(TcpEvidence {
        state: PortState::Refused,
        samples: vec![ConnectSample {
            connected: false,
            elapsed_ms: 0.4,
            error: Some("refused".into()),
            failure_kind: Some(rdpdoctor_evidence::StepFailure::Refused),
        }],
        rtt_ms: None,
        failures: 1,
        first_response: None,
        other_protocol: None,
    });
    r.timings.total_ms = 3.0;
    r.timings.stages_ms.insert(Stage::Dns, 1.0);
    r.timings.stages_ms.insert(Stage::Tcp, 0.4);
    r
}

/// xrdp with `security_layer=rdp` and `crypt_level=fips`: RDP selected for
/// every request, only the FIPS method accepted; no TLS, no CredSSP.
pub fn rdp_security_fips() -> ProbeReport {
    variant("xrdp-fips.example.com:3389", |v| {
        for a in v["negotiation"]["attempts"].as_array_mut().unwrap() {
            if a["requested"]["bits"].is_null() {
                continue;
            }
            a["outcome"] = json!({
                "kind": "selected",
                "protocol": { "bits": 0, "protocols": ["rdp"] },
                "flags": 0,
                "flag_names": [],
            });
        }
        for k in ["tls", "certificate", "credssp", "ntlm", "deep"] {
            v[k] = Value::Null;
        }
        let refused = |name: &str, bits: u32| {
            json!({ "offered": [name], "offered_bits": bits,
                    "outcome": { "kind": "refused", "detail": "the server closed the connection" } })
        };
        let fips =
            json!({ "kind": "accepted", "encryption_method": "fips", "encryption_level": "fips" });
        let s = &mut v["rdp_security"];
        s["offers"] = json!([
            refused("40-bit", 1),
            refused("56-bit", 8),
            refused("128-bit", 2),
            { "offered": ["fips"], "offered_bits": 16, "outcome": fips },
            { "offered": ["40-bit", "128-bit", "56-bit", "fips"], "offered_bits": 27, "outcome": fips },
        ]);
        s["encryption_level"] = json!("fips");
        s["server_rdp_version"] = json!(524292);
        s["server_rdp_version_name"] = json!("RDP 5.0");
        let t = v["timings"]["stages_ms"].as_object_mut().unwrap();
        for k in ["tls", "credssp", "deep"] {
            t.remove(k);
        }
    })
}

/// An event group as `rdpdoctor-host`'s event reader gives it: `count`
/// records of one computer (`WIN-RDP01`), channel, provider and id, with
/// the key fields `key` (also the newest record's data).
pub fn event_group(
    channel: &str,
    provider: &str,
    id: u32,
    key: &[(&str, &str)],
) -> rdpdoctor_evidence::host::EventGroup {
    use rdpdoctor_evidence::host::{EventGroup, EventRecord};
    let fields: std::collections::BTreeMap<String, String> = key
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    EventGroup {
        computer: Some("WIN-RDP01".into()),
        channel: channel.into(),
        provider: provider.into(),
        event_id: id,
        key: fields.clone(),
        count: 3,
        first: "2024-05-01T10:00:00Z".into(),
        newest: EventRecord {
            time: "2024-05-02T10:00:00.1234567Z".into(),
            record_id: 42,
            source: "System.evtx".into(),
            computer: Some("WIN-RDP01".into()),
            data: fields,
        },
    }
}
