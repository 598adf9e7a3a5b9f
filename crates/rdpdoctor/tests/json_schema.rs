//! The JSON contract: the real output of every command validates against
//! docs/rdpdoctor.schema.json (JSON Schema draft 2020-12), and the schema is
//! strict enough to notice a renamed field.
//!
//! - `probe` against every emulated fault (`rdpdoctor lab serve`, loopback
//!   only), with `--error`/`--client`/`--on`, and against a closed port;
//! - `explain` with several kinds of input; `demo --format json` once;
//! - `inspect` of the real hive fixtures (alone, damaged, and with `.reg`
//!   exports, a mounted-volume folder and the real event logs), and
//!   `probe --host-evidence` against an emulated fault; every host finding id
//!   (the event ones the fixtures lack from hand-built event groups);
//! - copies of real output with one field renamed (or an enum value, or a
//!   field left out) must fail;
//! - the schema's enums are the code's, and docs/json-schema.md names every
//!   field and every enum value the schema has;
//! - (lab, `#[ignore]`d) `probe` of every scenario in lab/scenarios.tsv.

use rdpdoctor_diagnose::{FindingId, Qualifier};
use rdpdoctor_testkit::cli::*;
use rdpdoctor_testkit::host as hostkit;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn schema() -> Value {
    let path = repo_root().join("docs/rdpdoctor.schema.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("docs/rdpdoctor.schema.json is JSON")
}

/// The whole schema (`oneOf` the commands), or only `$defs/<kind>` (the same
/// definitions, so that an error names the field rather than the `oneOf`).
fn validator(kind: Option<&str>) -> jsonschema::Validator {
    let mut s = schema();
    if let Some(kind) = kind {
        let obj = s.as_object_mut().unwrap();
        obj.remove("oneOf");
        obj.insert("$ref".into(), Value::from(format!("#/$defs/{kind}")));
    }
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&s)
        .expect("the schema compiles")
}

fn errors(kind: Option<&str>, doc: &Value) -> Vec<String> {
    let v = validator(kind);
    v.iter_errors(doc)
        .map(|e| {
            let msg = e.to_string();
            let msg: String = msg.chars().take(300).collect();
            format!("at {:?}: {msg}", e.instance_path().to_string())
        })
        .collect()
}

/// `doc` is valid against the whole schema and against `$defs/<kind>`.
#[track_caller]
fn assert_valid(kind: &str, doc: &Value, what: &str) {
    let errs = errors(Some(kind), doc);
    assert!(
        errs.is_empty(),
        "{what}: {} errors against {kind}:\n{}",
        errs.len(),
        errs.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(
        errors(None, doc).is_empty(),
        "{what}: valid as {kind} but not against the schema's oneOf"
    );
}

#[track_caller]
fn assert_invalid(kind: &str, doc: &Value, what: &str) {
    assert!(
        !errors(Some(kind), doc).is_empty(),
        "{what}: a broken copy still validates as {kind}"
    );
    assert!(
        !errors(None, doc).is_empty(),
        "{what}: a broken copy still validates against the schema"
    );
}

/// A copy of `doc` with the field at JSON pointer `at` renamed to `to`.
fn renamed(doc: &Value, at: &str, to: &str) -> Value {
    let mut d = doc.clone();
    let (parent, key) = at.rsplit_once('/').unwrap();
    let obj = d
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {parent}"));
    let v = obj
        .remove(key)
        .unwrap_or_else(|| panic!("no field {at} to rename"));
    obj.insert(to.to_owned(), v);
    d
}

/// A copy of `doc` with the value at `at` replaced.
fn replaced(doc: &Value, at: &str, with: Value) -> Value {
    let mut d = doc.clone();
    *d.pointer_mut(at).unwrap_or_else(|| panic!("no {at}")) = with;
    d
}

fn json_of(out: &std::process::Output, what: &str) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn explain(args: &[&str]) -> Value {
    let mut a = vec!["explain", "--format", "json"];
    a.extend_from_slice(args);
    let (out, _) = run(false, &a);
    assert_eq!(out.status.code(), Some(0), "explain {args:?}");
    json_of(&out, &format!("explain {args:?}"))
}

fn fault_names() -> Vec<&'static str> {
    rdpdoctor_emulator::Fault::ALL
        .iter()
        .map(|f| f.name())
        .collect()
}

fn finding_ids(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

// ------------------------------------------------------------------ the schema

/// Every object the schema describes lists its fields and allows no others,
/// and every required field is described.
fn check_strict(s: &Value, at: &str, objects: &mut usize) {
    match s {
        Value::Object(m) => {
            if let Some(Value::Object(props)) = m.get("properties") {
                // `if` looks at one field and `then` narrows one field of an
                // object that is closed where it is described.
                if !at.ends_with("/if") && !at.ends_with("/then") {
                    *objects += 1;
                    assert_eq!(
                        m.get("additionalProperties"),
                        Some(&Value::Bool(false)),
                        "{at}: an object without additionalProperties: false"
                    );
                    for r in m
                        .get("required")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let r = r.as_str().unwrap();
                        assert!(
                            props.contains_key(r),
                            "{at}: required {r} is not a property"
                        );
                    }
                }
            }
            for (k, v) in m {
                check_strict(v, &format!("{at}/{k}"), objects);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                check_strict(v, &format!("{at}/{i}"), objects);
            }
        }
        _ => {}
    }
}

#[test]
fn the_schema_is_draft_2020_12_and_closed() {
    let s = schema();
    jsonschema::draft202012::meta::validate(&s).expect("a valid draft 2020-12 schema");
    assert_eq!(
        s["$defs"]["SchemaVersion"]["const"],
        rdpdoctor_evidence::SCHEMA_VERSION,
        "the schema is for another schema_version"
    );
    let mut objects = 0;
    check_strict(&s, "", &mut objects);
    assert!(objects > 50, "only {objects} objects described");
    let one_of: Vec<&str> = s["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["$ref"].as_str().unwrap())
        .collect();
    assert_eq!(
        one_of,
        [
            "#/$defs/ProbeOutput",
            "#/$defs/ExplainOutput",
            "#/$defs/DemoOutput",
            "#/$defs/InspectOutput"
        ]
    );
}

fn schema_enum(s: &Value, def: &str) -> BTreeSet<String> {
    s["$defs"][def]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("$defs/{def} is no enum"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn json_names<T: serde::Serialize>(items: impl IntoIterator<Item = T>) -> BTreeSet<String> {
    items
        .into_iter()
        .map(|i| {
            serde_json::to_value(i)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn the_schema_enums_are_the_codes() {
    let s = schema();
    assert_eq!(
        schema_enum(&s, "FindingId"),
        json_names(FindingId::ALL),
        "$defs/FindingId"
    );
    assert_eq!(
        schema_enum(&s, "Qualifier"),
        json_names(Qualifier::ALL),
        "$defs/Qualifier"
    );
    assert_eq!(
        schema_enum(&s, "Family"),
        json_names(rdpdoctor_kb::Family::ALL),
        "$defs/Family"
    );
    assert_eq!(
        schema_enum(&s, "TlsVersion"),
        json_names(rdpdoctor_evidence::TlsVersion::ALL),
        "$defs/TlsVersion"
    );
    assert_eq!(
        schema_enum(&s, "StepFailure"),
        json_names(rdpdoctor_evidence::StepFailure::ALL),
        "$defs/StepFailure"
    );
    let protocols = rdpdoctor_evidence::Protocol::FLAGS
        .iter()
        .map(|(_, p)| *p)
        .chain([rdpdoctor_evidence::Protocol::Rdp]);
    assert_eq!(
        schema_enum(&s, "Protocol"),
        json_names(protocols),
        "$defs/Protocol"
    );
    let profiles = rdpdoctor_diagnose::clients::PROFILES.iter().map(|p| p.id);
    assert_eq!(
        schema_enum(&s, "ClientId"),
        json_names(profiles),
        "$defs/ClientId"
    );
    // The evidence of every finding id is described.
    let described: BTreeSet<String> = s["$defs"]["Finding"]["allOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["if"]["properties"]["id"]["const"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(described, json_names(FindingId::ALL), "Finding evidence");
}

/// Every field and every enum value of the schema is named in the doc (in
/// backticks), so the page cannot fall behind the contract.
#[test]
fn the_doc_names_every_field_and_value() {
    let s = schema();
    let doc = std::fs::read_to_string(repo_root().join("docs/json-schema.md")).unwrap();
    let mut names = BTreeSet::new();
    fn walk(v: &Value, names: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Object(p)) = m.get("properties") {
                    names.extend(p.keys().cloned());
                }
                for key in ["enum", "const"] {
                    match m.get(key) {
                        Some(Value::Array(a)) => {
                            names.extend(a.iter().filter_map(Value::as_str).map(str::to_owned))
                        }
                        Some(Value::String(c)) => {
                            names.insert(c.clone());
                        }
                        _ => {}
                    }
                }
                m.values().for_each(|v| walk(v, names));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, names)),
            _ => {}
        }
    }
    walk(&s["$defs"], &mut names);
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !doc.contains(&format!("`{n}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/json-schema.md does not name {missing:?}"
    );
}

// ------------------------------------------------------------------ real output

#[test]
fn probe_json_of_every_emulated_fault_matches_the_schema() {
    let faults = fault_names();
    let serve = LabServe::start(&faults);
    let docs: Vec<(String, Probe)> = std::thread::scope(|s| {
        let handles: Vec<_> = serve
            .listeners
            .iter()
            .map(|(name, addr)| {
                s.spawn(move || {
                    // A silent server costs a step timeout per stage: keep it short.
                    let mut extra: Vec<String> = if name == "silent" {
                        vec!["--timeout".into(), "2".into()]
                    } else {
                        Vec::new()
                    };
                    // The logon faults answer one logon attempt.
                    let fault = rdpdoctor_emulator::Fault::ALL
                        .iter()
                        .find(|f| f.name() == name)
                        .copied();
                    let mut _pw = None;
                    if fault.is_some_and(|f| f.needs_credentials()) {
                        let (args, file) = demo_logon_args(&format!("schema-{name}"));
                        extra.extend(args);
                        _pw = Some(file);
                    }
                    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
                    let p = probe_target(false, addr, &extra);
                    (name.clone(), p)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut seen = BTreeSet::new();
    for (name, p) in &docs {
        assert_valid("ProbeOutput", &p.json, &format!("probe of fault {name}"));
        assert_eq!(p.json["schema_version"], 2);
        seen.extend(finding_ids(&p.json));
    }
    // The faults cover most of the finding vocabulary (20 of its ids), so
    // the per-id evidence shapes are held to real output.
    let expected: BTreeSet<String> = rdpdoctor_emulator::Fault::ALL
        .iter()
        .flat_map(|f| f.expected_findings())
        .map(|id| id.name().to_owned())
        .collect();
    let unseen: Vec<&String> = expected.difference(&seen).collect();
    assert!(unseen.is_empty(), "no real output for {unseen:?}");

    // What the user told us shows in the JSON too: the decoded error (the
    // same objects `explain` lists), a first fix, one client.
    let (_, addr) = serve
        .listeners
        .iter()
        .find(|(n, _)| n == "server-denied")
        .unwrap();
    let p = probe_target(
        false,
        addr,
        &[
            "--error",
            "0x904:0x7",
            "--client",
            "mstsc-win10",
            "--on",
            "azure",
        ],
    );
    assert_valid("ProbeOutput", &p.json, "probe with --error --client --on");
    let d = &p.json["diagnosis"];
    assert_eq!(d["error"]["input"], "0x904:0x7");
    let ex = explain(&["0x904", "0x7"]);
    assert_eq!(
        d["error"]["codes"], ex["codes"],
        "diagnosis.error.codes are explain's codes"
    );
    assert!(d["first_fix"].is_object(), "{d}");
    let clients: Vec<&Value> = d["clients"].as_array().unwrap().iter().collect();
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0]["client"], "mstsc-win10");
}

#[test]
fn probe_json_of_a_closed_port_matches_the_schema() {
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = probe_target(false, &format!("127.0.0.1:{port}"), &[]);
    assert_valid("ProbeOutput", &p.json, "probe of a closed port");
    assert_eq!(p.json["verdict"], "unreachable");
    assert_eq!(p.json["tcp"]["state"], "refused");
    assert_eq!(
        p.json["negotiation"],
        Value::Null,
        "a stage that did not run is null"
    );
    assert_eq!(p.code, 1);
    p.assert_has("port-closed");
}

#[test]
fn explain_json_matches_the_schema() {
    for input in [
        &["0x904", "0x7"][..],
        &["An authentication error has occurred. The function requested is not supported"],
        &["event", "1058"],
        &["7"],
        &["ERRCONNECT_TLS_CONNECT_FAILED [0x00020008]"],
        &["exit", "147"],
        &["0xC000015B"],
    ] {
        let doc = explain(input);
        assert_valid("ExplainOutput", &doc, &format!("explain {input:?}"));
        assert_eq!(doc["schema_version"], 2);
        assert_eq!(doc["tool_version"], env!("CARGO_PKG_VERSION"));
        let shares: f64 = doc["causes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["share"].as_f64().unwrap())
            .sum();
        assert!(
            (shares - 1.0).abs() < 0.02,
            "{input:?}: shares add up to {shares}"
        );
    }
    // Pasted dialog text is recognised as a message.
    let doc =
        explain(&["An authentication error has occurred. The function requested is not supported"]);
    assert!(!doc["messages"].as_array().unwrap().is_empty(), "{doc}");
}

#[test]
fn demo_json_matches_the_schema() {
    let (out, _) = run(false, &["demo", "--format", "json"]);
    let doc = json_of(&out, "demo");
    assert_valid("DemoOutput", &doc, "demo");
    assert_eq!(doc["schema_version"], 2);
    assert_eq!(doc["total"], rdpdoctor_emulator::Fault::ALL.len());
    // The exit status is 0 exactly when every fault is diagnosed right.
    assert_eq!(
        out.status.code(),
        Some(i32::from(doc["correct"] != doc["total"]))
    );
    assert_invalid(
        "DemoOutput",
        &renamed(&doc, "/rows/0/probe_ms", "elapsed_ms"),
        "demo rows[0].probe_ms renamed",
    );
}

/// The schema catches a renamed field, a missing null, a changed enum value.
#[test]
fn renamed_fields_fail_validation() {
    let serve = LabServe::start(&["healthy-nla", "expired-cert"]);
    let addr = |name: &str| {
        let (_, a) = serve.listeners.iter().find(|(n, _)| n == name).unwrap();
        a.clone()
    };
    let healthy = probe_target(false, &addr("healthy-nla"), &[]).json;
    let expired = probe_target(false, &addr("expired-cert"), &[]).json;
    assert_valid("ProbeOutput", &healthy, "healthy-nla");
    assert_valid("ProbeOutput", &expired, "expired-cert");
    let cert_expired = finding_ids(&expired)
        .iter()
        .position(|i| i == "cert-expired")
        .expect("cert-expired");
    let broken = [
        (renamed(&healthy, "/verdict", "verdicts"), "verdict renamed"),
        (
            renamed(&healthy, "/timings/stages_ms", "stages"),
            "timings.stages_ms renamed",
        ),
        (
            renamed(&healthy, "/tls/versions/0/version", "tls_version"),
            "tls.versions[].version renamed",
        ),
        (
            renamed(&healthy, "/ntlm/clock_skew_seconds", "clock_skew"),
            "ntlm.clock_skew_seconds renamed",
        ),
        (
            renamed(&healthy, "/security_paths/0/protocol", "security"),
            "security_paths[].protocol renamed (the version 1 name)",
        ),
        (
            renamed(&healthy, "/diagnosis/causes/0/score", "share"),
            "diagnosis.causes[].score renamed",
        ),
        (
            renamed(&healthy, "/diagnosis/clients/0/modes/ssl", "tls"),
            "clients[].modes.ssl renamed",
        ),
        (
            renamed(
                &expired,
                &format!("/findings/{cert_expired}/evidence/days_left"),
                "days",
            ),
            "cert-expired evidence days_left renamed",
        ),
        (
            {
                let mut d = healthy.clone();
                d["certificate"]
                    .as_object_mut()
                    .unwrap()
                    .remove("matches_server_dns_name");
                d
            },
            "a null field left out",
        ),
        (
            replaced(&healthy, "/security/layer", Value::from("Negotiate")),
            "an enum value not in kebab-case",
        ),
        (
            replaced(&healthy, "/tls/versions/0/version", Value::from("TLSv1.0")),
            "a TLS version in the version 1 spelling",
        ),
    ];
    for (doc, what) in &broken {
        assert_invalid("ProbeOutput", doc, what);
    }
    let ex = explain(&["0x904", "0x7"]);
    assert_valid("ExplainOutput", &ex, "explain 0x904 0x7");
    assert_invalid(
        "ExplainOutput",
        &renamed(&ex, "/causes/0/share", "score"),
        "explain causes[].share renamed",
    );
    assert_invalid(
        "ExplainOutput",
        &renamed(&ex, "/codes/0/family", "family_id"),
        "explain codes[].family renamed",
    );
}

// ------------------------------------------------------------------ host evidence

/// `rdpdoctor inspect --format json --since all SOURCES...`: the document and
/// the exit status.
fn inspect(sources: &[&Path]) -> (Value, i32) {
    inspect_with(sources, &[])
}

fn inspect_with(sources: &[&Path], extra: &[&str]) -> (Value, i32) {
    let mut cmd = Command::new(bin());
    cmd.args(["inspect", "--format", "json", "--since", "all"])
        .args(sources)
        .args(extra);
    let out = cmd.output().expect("rdpdoctor inspect runs");
    let code = out.status.code().unwrap_or(-1);
    assert_ne!(code, 101, "{}", String::from_utf8_lossy(&out.stderr));
    (json_of(&out, &format!("inspect {sources:?}")), code)
}

/// A self-signed certificate that expired on 2020-12-31 (made by openssl
/// under faketime, as lab/up.sh makes its expired one), as DER, with the
/// SHA-1 thumbprint openssl computes.
fn expired_certificate(dir: &Path) -> (Vec<u8>, String) {
    let der = dir.join("cert.der");
    let out = Command::new("faketime")
        .args(["2020-01-01 00:00:00", "openssl", "req", "-x509"])
        .args(["-newkey", "rsa:2048", "-nodes", "-days", "365"])
        .args(["-subj", "/CN=WKS-WIN732BITA"])
        .args(["-addext", "subjectAltName=DNS:wks-win732bita"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .args(["-outform", "DER", "-out"])
        .arg(&der)
        .output()
        .expect("faketime and openssl run (lab/install.sh installs faketime)");
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let thumb = hostkit::openssl_sha1(&der);
    (std::fs::read(&der).unwrap(), thumb)
}

const HKLM: &str = "HKEY_LOCAL_MACHINE";

/// A `reg export` of SYSTEM values that each trip a host check; the listener
/// names `thumbprint`.
fn system_reg(path: &Path, thumbprint: &str) {
    let scc = format!("{HKLM}\\SYSTEM\\CurrentControlSet");
    let schannel = format!("{scc}\\Control\\SecurityProviders\\SCHANNEL\\Protocols");
    hostkit::write_reg_utf16(
        path,
        &format!(
            "Windows Registry Editor Version 5.00\n\n\
             [{scc}\\Control\\Terminal Server]\n\"MaxOutstandingConnections\"=dword:00000002\n\n\
             [{scc}\\Control\\Terminal Server\\WinStations\\RDP-Tcp]\n\
             \"PortNumber\"=dword:00000d3e\n\"MinEncryptionLevel\"=dword:00000004\n{}\n\n\
             [{scc}\\Services\\TermService]\n\"Start\"=dword:00000004\n\n\
             [{scc}\\Services\\SessionEnv]\n\"Start\"=dword:00000007\n\n\
             [{scc}\\Services\\W32Time]\n\"Start\"=dword:00000004\n\n\
             [{scc}\\Services\\W32Time\\Parameters]\n\"Type\"=\"NoSync\"\n\n\
             [{schannel}\\TLS 1.2\\Server]\n\"Enabled\"=dword:00000000\n\n\
             [{schannel}\\TLS 1.2\\Client]\n\"DisabledByDefault\"=dword:00000001\n\n\
             [{schannel}\\TLS 1.0\\Server]\n\"Enabled\"=dword:00000000\n\"DisabledByDefault\"=dword:00000001\n\n\
             [{scc}\\Control\\Lsa]\n\"LmCompatibilityLevel\"=dword:00000005\n\n\
             [{scc}\\Control\\Lsa\\FipsAlgorithmPolicy]\n\"Enabled\"=dword:00000001\n\n",
            hostkit::reg_hex(
                "\"SSLCertificateSHA1Hash\"",
                &hostkit::hex_bytes(thumbprint)
            )
        ),
    );
}

/// A `reg export` of SOFTWARE: a Group Policy security layer, the identity,
/// a Public network and one of a category Windows does not define, CredSSP
/// `AllowEncryptionOracle` = `oracle`, and the "Remote Desktop" store with
/// `cert` (DER and thumbprint) and a blob that does not decode.
fn software_reg(path: &Path, oracle: u32, cert: Option<(&[u8], &str)>) {
    let sw = format!("{HKLM}\\SOFTWARE");
    let nl = format!("{sw}\\Microsoft\\Windows NT\\CurrentVersion\\NetworkList\\Profiles");
    let store = format!("{sw}\\Microsoft\\SystemCertificates\\Remote Desktop\\Certificates");
    let mut text = format!(
        "Windows Registry Editor Version 5.00\n\n\
         [{sw}\\Policies\\Microsoft\\Windows NT\\Terminal Services]\n\"SecurityLayer\"=dword:00000000\n\n\
         [{sw}\\Microsoft\\Windows NT\\CurrentVersion]\n\
         \"ProductName\"=\"Windows Server 2019 Datacenter\"\n\"CurrentBuild\"=\"17763\"\n\"DisplayVersion\"=\"1809\"\n\n\
         [{sw}\\Microsoft\\Cryptography]\n\"MachineGuid\"=\"3f1c2b4a-5d6e-4f70-8192-a3b4c5d6e7f8\"\n\n\
         [{nl}\\{{6B1A2C3D-0000-4000-8000-000000000001}}]\n\"ProfileName\"=\"Network 2\"\n\"Category\"=dword:00000000\n\n\
         [{nl}\\{{6B1A2C3D-0000-4000-8000-000000000002}}]\n\"ProfileName\"=\"Lab\"\n\"Category\"=dword:00000005\n\n\
         [{sw}\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\CredSSP\\Parameters]\n\
         \"AllowEncryptionOracle\"=dword:{oracle:08x}\n\n\
         [{store}\\0000000000000000000000000000000000000000]\n{}\n\n",
        hostkit::reg_hex("\"Blob\"", b"not a blob")
    );
    if let Some((der, thumb)) = cert {
        let blob = rdpdoctor_host::registry::certblob::serialize(&[
            (3, &hostkit::hex_bytes(thumb)),
            (32, der),
        ]);
        text.push_str(&format!(
            "[{store}\\{thumb}]\n{}\n\n",
            hostkit::reg_hex("\"Blob\"", &blob)
        ));
    }
    hostkit::write_reg_utf16(path, &text);
}

/// A folder laid out as a mounted Windows volume: the real SYSTEM hive, and
/// a MachineKeys folder without the RDP certificate's key.
fn volume(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("volume");
    let config = root.join("Windows/System32/config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::copy(hostkit::hive("SYSTEM"), config.join("SYSTEM")).unwrap();
    let keys = root.join("ProgramData/Microsoft/Crypto/RSA/MachineKeys");
    std::fs::create_dir_all(&keys).unwrap();
    std::fs::write(keys.join("6de9cb26d2b98c01ec4e9e8b34824aa2_other"), b"key").unwrap();
    root
}

#[test]
fn inspect_json_of_the_real_fixtures_matches_the_schema() {
    let dir = hostkit::scratch("json-schema-inspect");
    let mut seen = BTreeSet::new();

    // The real hive alone: healthy, exit 0.
    let system = hostkit::hive("SYSTEM");
    let (doc, code) = inspect(&[&system]);
    assert_valid("InspectOutput", &doc, "inspect SYSTEM");
    assert_eq!((doc["verdict"].as_str(), code), (Some("healthy"), 0));
    assert_eq!(doc["host"]["sources"][0]["status"]["state"], "read");
    assert_eq!(doc["security"], Value::Null);
    seen.extend(finding_ids(&doc));

    // The damaged hive: a partial source, no verdict it cannot back.
    let damaged = hostkit::hive("corrupted_system_hive");
    let (doc, code) = inspect(&[&damaged]);
    assert_valid("InspectOutput", &doc, "inspect corrupted_system_hive");
    assert_eq!(doc["host"]["sources"][0]["status"]["state"], "partial");
    assert_eq!((doc["verdict"].as_str(), code), (Some("inconclusive"), 1));

    // Exports first (the first source of a value wins), then the hive and
    // every real event log: nearly every branch of the host evidence.
    let (der, thumb) = expired_certificate(&dir);
    let sys_reg = dir.join("system.reg");
    system_reg(&sys_reg, &thumb);
    let sw_reg = dir.join("software.reg");
    software_reg(&sw_reg, 2, Some((&der, &thumb)));
    let evtx = hostkit::evtx_fixtures();
    let (all, code) = inspect(&[&sys_reg, &sw_reg, &system, &evtx]);
    assert_valid("InspectOutput", &all, "inspect .reg + hive + evtx");
    assert_eq!(code, 1);
    let h = &all["host"];
    assert_eq!(h["coverage"]["events"], true);
    assert!(
        h["events"]["groups"].as_array().unwrap().len() > 5,
        "{}",
        h["events"]
    );
    assert_eq!(h["identity"]["build"]["value"], "17763");
    // What serde writes for a value Windows gives no name.
    let session_env = &h["services"][1]["start"];
    assert_eq!(session_env["value"]["other"], 7, "{session_env}");
    let networks = h["firewall"]["networks"].as_array().unwrap();
    assert!(
        networks.iter().any(|n| n["category"]["other"] == 5),
        "{networks:?}"
    );
    let certs = h["certificates"].as_array().unwrap();
    assert!(
        certs.iter().any(|c| c["decode_error"].is_string()),
        "{certs:?}"
    );
    assert!(
        certs.iter().any(|c| c["not_after_unix"].is_i64()),
        "{certs:?}"
    );
    // The exports' values override the hive's, and say so.
    let port = &h["terminal_server"]["port_number"];
    assert_eq!(
        (&port["value"], &port["shadowed"][0]["value"]),
        (&3390.into(), &3389.into())
    );
    seen.extend(finding_ids(&all));
    // The hive above is of another machine than the logs: their records
    // are kept, each with its computer, and judged only for that computer.
    assert!(
        h["events"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["computer"].is_string()),
        "{}",
        h["events"]
    );
    for computer in ["fs02.offsec.lan", "FS03.offsec.lan", "DESKTOP-1N4R894"] {
        let (doc, _) = inspect_with(&[&evtx], &["--computer", computer]);
        assert_valid(
            "InspectOutput",
            &doc,
            &format!("inspect evtx --computer {computer}"),
        );
        seen.extend(finding_ids(&doc));
    }

    // A volume folder (MachineKeys without the RDP key), with a listener
    // naming a certificate no store holds and CredSSP forcing updated peers.
    let sys_reg2 = dir.join("system-missing-cert.reg");
    system_reg(&sys_reg2, "DEADBEEF00112233445566778899AABBCCDDEEFF");
    let sw_reg2 = dir.join("software-oracle0.reg");
    software_reg(&sw_reg2, 0, None);
    let vol = volume(&dir);
    let (doc, _) = inspect(&[&sys_reg2, &sw_reg2, &vol]);
    assert_valid("InspectOutput", &doc, "inspect .reg + volume");
    assert_eq!(doc["host"]["machine_keys"]["rdp_key_present"], false);
    seen.extend(finding_ids(&doc));

    // Remote Desktop switched off.
    let (doc, code) = inspect(&[&hostkit::hive("SYSTEM_WIN_10_1709")]);
    assert_valid("InspectOutput", &doc, "inspect SYSTEM_WIN_10_1709");
    assert_eq!(
        (doc["verdict"].as_str(), code),
        (Some("no-client-connects"), 1)
    );
    seen.extend(finding_ids(&doc));

    for id in [
        "rdp-disabled",
        "rdp-service-disabled",
        "listener-port-differs",
        "firewall-blocks-rdp",
        "firewall-rule-inactive",
        "host-security-layer-rdp",
        "host-nla-off",
        "host-fips-required",
        "max-outstanding-low",
        "time-sync-off",
        "configured-cert-missing",
        "stored-cert-expired",
        "machinekeys-key-missing",
        "schannel-tls12-disabled",
        "schannel-tls10-disabled",
        "credssp-oracle-force-updated",
        "credssp-oracle-vulnerable",
        "event-not-allowed-rdp",
        "event-bad-credentials",
        "event-account-problem",
    ] {
        assert!(
            seen.contains(id),
            "no real inspect output for {id}: {seen:?}"
        );
    }

    // A renamed host field, a status tag, a setting's origin, an enum value
    // in another spelling: each fails.
    let broken = [
        (
            renamed(&all, "/host/terminal_server/port_number", "port"),
            "terminal_server.port_number renamed",
        ),
        (
            renamed(&all, "/host/sources/0/status/state", "status"),
            "sources[].status.state renamed",
        ),
        (
            renamed(&all, "/host/terminal_server/port_number/origin", "from"),
            "a setting's origin renamed",
        ),
        (
            renamed(&all, "/host/events/records_scanned", "scanned"),
            "events.records_scanned renamed",
        ),
        (
            renamed(&all, "/inspected_at", "started_at"),
            "inspected_at renamed",
        ),
        (
            replaced(
                &all,
                "/host/firewall/profiles/0/name",
                Value::from("Domain"),
            ),
            "a profile name not in kebab-case",
        ),
        (
            replaced(
                &all,
                "/security_paths",
                serde_json::json!([{"protocol": "rdp", "gets_through": null, "reason": "-"}]),
            ),
            "security_paths for host evidence",
        ),
        (
            replaced(&all, "/verdict", Value::from("unreachable")),
            "a verdict inspect never gives",
        ),
    ];
    for (doc, what) in &broken {
        assert_invalid("InspectOutput", doc, what);
    }
    let i = finding_ids(&all)
        .iter()
        .position(|i| i == "host-security-layer-rdp")
        .unwrap();
    assert_invalid(
        "InspectOutput",
        &renamed(
            &all,
            &format!("/findings/{i}/evidence/SecurityLayer/overrides"),
            "shadowed",
        ),
        "a setting's overrides renamed in a finding's evidence",
    );
}

#[test]
fn probe_json_with_host_evidence_matches_the_schema() {
    let dir = hostkit::scratch("json-schema-probe-host");
    let serve = LabServe::start(&["healthy-nla"]);
    let (_, addr) = &serve.listeners[0];
    // Remote Desktop off in the hive, another port and certificate in the
    // export: the wire and the host disagree.
    let sys_reg = dir.join("system.reg");
    system_reg(&sys_reg, "DEADBEEF00112233445566778899AABBCCDDEEFF");
    // The real hive with RDP off, as the machine that answers names itself
    // (host evidence of another machine is refused).
    let hive = dir.join("SYSTEM_WIN_10_1709");
    std::fs::copy(hostkit::hive("SYSTEM_WIN_10_1709"), &hive).unwrap();
    hostkit::hivex_merge(
        &hive,
        "REGEDIT4\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\ComputerName\\ComputerName]\n\"ComputerName\"=\"WIN-RDP01\"\n\n",
    );
    let (h, r) = (hive.display().to_string(), sys_reg.display().to_string());
    let p = probe_target(false, addr, &["--host-evidence", &h, "--host-evidence", &r]);
    assert_valid("ProbeOutput", &p.json, "probe --host-evidence");
    assert!(
        p.json["host"]["coverage"]["system"] == true,
        "{}",
        p.json["host"]
    );
    for id in [
        "served-cert-not-configured",
        "host-wire-disagree",
        "rdp-disabled",
        "listener-port-differs",
    ] {
        p.assert_has(id);
    }
    let i = finding_ids(&p.json)
        .iter()
        .position(|i| i == "listener-port-differs")
        .unwrap();
    assert!(p.json["findings"][i]["evidence"]["probed_port"].is_u64());
    assert_invalid(
        "ProbeOutput",
        &renamed(&p.json, "/host/identity/computer_name", "computer"),
        "host.identity.computer_name renamed",
    );
    // Without --host-evidence there is no `host` at all.
    let plain = probe_target(false, addr, &[]);
    assert!(plain.json.get("host").is_none());
}

/// The event findings the real logs lack, from the engine on hand-built
/// event groups, against `$defs/Finding`.
#[test]
fn every_event_finding_matches_the_schema() {
    use rdpdoctor_evidence::host::HostEvidence;
    let group = rdpdoctor_testkit::reports::event_group;
    let mut h = HostEvidence::default();
    h.events.groups = vec![
        group("System", "Schannel", 36870, &[]),
        group(
            "System",
            "Microsoft-Windows-TerminalServices-RemoteConnectionManager",
            1058,
            &[],
        ),
        group(
            "System",
            "Microsoft-Windows-TerminalServices-RemoteConnectionManager",
            1059,
            &[],
        ),
        group("System", "Schannel", 36874, &[("AlertDesc", "40")]),
        group(
            "Security",
            "Microsoft-Windows-Security-Auditing",
            4625,
            &[
                ("Status", "0xC000006D"),
                ("SubStatus", "0xC0000071"),
                ("LogonType", "10"),
            ],
        ),
        group(
            "Microsoft-Windows-TerminalServices-RDPClient/Operational",
            "Microsoft-Windows-TerminalServices-ClientActiveXCore",
            1026,
            &[("Reason", "2308")],
        ),
        group(
            "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",
            "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS",
            139,
            &[],
        ),
    ];
    // The RD Gateway's log, one group per finding.
    for (id, key) in [
        (
            201,
            &[("Username", "CORP\\bob"), ("ErrorCode", "23003")][..],
        ),
        (
            301,
            &[
                ("Username", "CORP\\bob"),
                ("Resource", "rdp01.corp.example"),
            ][..],
        ),
        (
            304,
            &[
                ("Username", "CORP\\ann"),
                ("Resource", "rdp02"),
                ("ErrorCode", "10060"),
            ][..],
        ),
        (203, &[("Username", "CORP\\cy")][..]),
        (306, &[("Username", "CORP\\dee")][..]),
    ] {
        h.events.groups.push(group(
            "Microsoft-Windows-TerminalServices-Gateway/Operational",
            "Microsoft-Windows-TerminalServices-Gateway",
            id,
            key,
        ));
    }
    let findings = rdpdoctor_diagnose::host::derive(&h, None, 1_900_000_000);
    let ids: BTreeSet<String> = findings.iter().map(|f| f.id.name().to_owned()).collect();
    for id in [
        "event-cert-private-key",
        "event-cert-renewal-failed",
        "event-cert-config-reset",
        "event-tls-mismatch",
        "event-password-expired",
        "event-client-disconnect",
        "event-security-layer-error",
        "event-gateway-cap-denied",
        "event-gateway-rap-denied",
        "event-gateway-target-unreachable",
        "event-gateway-connection-limit",
        "event-gateway-tunnel-failed",
    ] {
        assert!(ids.contains(id), "{id} not derived: {ids:?}");
    }
    for f in &findings {
        let v = serde_json::to_value(f).unwrap();
        assert_valid_def("Finding", &v, &format!("finding {}", f.id));
    }
}

/// `doc` is valid against `$defs/<def>` (a part of a document).
#[track_caller]
fn assert_valid_def(def: &str, doc: &Value, what: &str) {
    let errs = errors(Some(def), doc);
    assert!(errs.is_empty(), "{what}: {}", errs.join("\n"));
}

// ------------------------------------------------------------------ the lab

#[test]
#[ignore = "needs the lab: run lab/test.sh"]
fn lab_probe_json_of_every_scenario_matches_the_schema() {
    let mut all: Vec<Scenario> = scenarios().into_values().collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(all.len() >= 20, "{} scenarios", all.len());
    for s in &all {
        let p = probe(&s.name, &[]);
        assert_valid("ProbeOutput", &p.json, &format!("lab scenario {}", s.name));
    }
}

/// `probe --rdp-file`: the `.rdp` findings and their evidence match the schema.
#[test]
fn probe_json_with_an_rdp_file_matches_the_schema() {
    let serve = LabServe::start(&["nla-required"]);
    let (_, addr) = &serve.listeners[0];
    let dir = rdpdoctor_testkit::fixtures::scratch("schema-rdp-file");
    // A gateway on a closed loopback port: the file's gateway is probed
    // (and fails at its TCP hop), never a name a resolver would be asked.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for (name, extra, want) in [
        ("c.rdp", String::new(), "rdp-file-nla-off"),
        (
            "g.rdp",
            format!("gatewayhostname:s:127.0.0.1:{closed}\ngatewayusagemethod:i:1\n"),
            "gateway-unreachable",
        ),
    ] {
        let path = dir.join(name);
        rdpdoctor_testkit::fixtures::write_reg_utf16(
            &path,
            &format!("full address:s:{addr}\nenablecredsspsupport:i:0\n{extra}"),
        );
        let (out, _) = run(
            false,
            &[
                "probe",
                "--rdp-file",
                path.to_str().unwrap(),
                "--format",
                "json",
                "--no-reverse-dns",
                "--samples",
                "1",
            ],
        );
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        let ids = finding_ids(&json);
        assert!(ids.iter().any(|i| i == want), "{want}: {ids:?}");
        assert_valid("ProbeOutput", &json, "probe --rdp-file");
    }
}

// ------------------------------------------------------------------ captures

/// `inspect CAPTURE` of each of Zeek's captures, alone and beside the
/// SYSTEM hive: the inspect document with its `capture`.
#[test]
fn inspect_json_of_every_zeek_capture_matches_the_schema() {
    let dir = rdpdoctor_testkit::fixtures::fixtures().join("pcap");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "pcap") {
            continue;
        }
        let (doc, _) = inspect(&[&path]);
        assert!(doc["capture"].is_object(), "{}", path.display());
        assert_valid("InspectOutput", &doc, &path.display().to_string());
        seen += 1;
    }
    assert_eq!(seen, 8, "Zeek's eight captures");
    let hive = rdpdoctor_testkit::fixtures::hive("SYSTEM");
    let (doc, _) = inspect(&[&dir.join("zeek-rdp-to-ssl.pcap"), &hive]);
    assert_eq!(
        doc["capture"]["connections"].as_array().map(Vec::len),
        Some(2)
    );
    assert_valid("InspectOutput", &doc, "a capture beside the SYSTEM hive");
}
