//! The JSON contract: the real output of every command validates against
//! docs/rdpdoctor.schema.json (JSON Schema draft 2020-12), and the schema is
//! strict enough to notice a renamed field.
//!
//! - `probe` against every emulated fault (`rdpdoctor lab serve`, loopback
//!   only), with `--error`/`--client`/`--on`, and against a closed port;
//! - `explain` with several kinds of input; `demo --format json` once;
//! - copies of real output with one field renamed (or an enum value, or a
//!   field left out) must fail;
//! - the schema's enums are the code's, and docs/json-schema.md names every
//!   field and every enum value the schema has;
//! - (lab, `#[ignore]`d) `probe` of every scenario in lab/scenarios.tsv.

mod common;
use common::*;
use rdpdoctor_diagnose::{FindingId, Qualifier};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

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

/// `rdpdoctor lab serve` playing every fault on 127.0.0.1 (a free port
/// each); killed when dropped.
struct LabServe {
    child: Child,
    /// (fault name, address)
    listeners: Vec<(String, String)>,
}

impl LabServe {
    fn start(faults: &[&str]) -> LabServe {
        let mut cmd = Command::new(bin());
        cmd.args(["lab", "serve"]);
        for f in faults {
            cmd.args(["--fault", f]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rdpdoctor lab serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut listeners = Vec::new();
        for _ in faults {
            // `fault NAME listening on ADDR`
            let line = lines.next().expect("a listener line").unwrap();
            let words: Vec<&str> = line.split(' ').collect();
            assert!(
                words.len() == 5 && words[0] == "fault" && words[3] == "on",
                "{line}"
            );
            listeners.push((words[1].to_owned(), words[4].to_owned()));
        }
        LabServe { child, listeners }
    }
}

impl Drop for LabServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
            "#/$defs/DemoOutput"
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
                    let extra: &[&str] = if name == "silent" {
                        &["--timeout", "2"]
                    } else {
                        &[]
                    };
                    (name.clone(), probe_target(false, addr, extra))
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
