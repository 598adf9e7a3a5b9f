//! deploy/: the Grafana dashboard and the alert rules query only metrics the
//! exporter writes, and Prometheus's own tool accepts the rules, their unit
//! tests and the example configuration.
//!
//! The metrics come from the renderer itself, on probe reports recorded from
//! the lab's servers (tests/fixtures: `rdpdoctor probe --format json` of
//! xrdp-expired, shadow-skew, closed, xrdp-rdp, judgement left out), and from
//! the exporter's own registry.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every metric name the exporter can write: `/probe` for the recorded
/// reports, `/metrics` for itself.
fn exported() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut text = String::new();
    for name in ["xrdp-expired", "shadow-skew", "closed", "xrdp-rdp"] {
        let json = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
        let report: rdpdoctor_evidence::ProbeReport = serde_json::from_str(&json).unwrap();
        let j = rdpdoctor_diagnose::judge(
            &rdpdoctor_diagnose::Evidence::wire(&report),
            &Default::default(),
        );
        text.push_str(&rdpdoctor_render::metrics::probe_metrics(&report, &j));
    }
    let stats = rdpdoctor_exporter::stats::Stats::new(4);
    stats
        .probe_duration
        .with_label_values(&["fast"])
        .observe(1.0);
    stats.probes.with_label_values(&["fast", "1"]).inc();
    stats.requests.with_label_values(&["/probe", "200"]).inc();
    text.push_str(&stats.render());
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

/// Identifiers in a PromQL expression that name our metrics (label names,
/// functions and keywords are not prefixed so), and Prometheus's own `up`.
fn metric_names(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_string = false;
    for c in expr.chars().chain([' ']) {
        if c == '"' {
            in_string = !in_string;
            word.clear();
            continue;
        }
        if in_string {
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            if ["rdp_", "probe_", "rdpdoctor_", "process_"]
                .iter()
                .any(|p| word.starts_with(p))
                || word == "up"
            {
                out.push(word.clone());
            }
            word.clear();
        }
    }
    out
}

fn check(what: &str, exprs: &[String], at_least: usize) {
    let exported = exported();
    // Sanity: the certificate's end date is there, and so are the exporter's own.
    assert!(exported.contains("rdp_cert_not_after_timestamp_seconds"));
    assert!(exported.contains("rdpdoctor_exporter_probes_in_flight"));
    assert!(
        exported.contains("rdp_logon_screen_reached"),
        "{exported:?}"
    );
    let mut used = 0;
    for e in exprs {
        for name in metric_names(e) {
            used += 1;
            assert!(
                name == "up" || exported.contains(&name),
                "{what}: {name} (in {e}) is not a metric the exporter writes"
            );
        }
    }
    assert!(
        used >= at_least,
        "{what}: only {used} metric references found"
    );
}

#[test]
fn the_dashboard_queries_only_exported_metrics() {
    let text = std::fs::read_to_string(root().join("deploy/grafana-dashboard.json")).unwrap();
    let dash: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let panels = dash["panels"].as_array().expect("panels");
    assert!(panels.len() >= 10);
    let mut exprs = Vec::new();
    for p in panels {
        let targets = p["targets"].as_array().expect("every panel has queries");
        assert!(!targets.is_empty(), "panel {} has no query", p["title"]);
        for t in targets {
            exprs.push(t["expr"].as_str().expect("expr").to_owned());
        }
    }
    for v in dash["templating"]["list"].as_array().unwrap() {
        if let Some(q) = v["query"].as_str() {
            exprs.push(q.to_owned());
        }
    }
    check("grafana-dashboard.json", &exprs, 20);
}

#[test]
fn the_alert_rules_query_only_exported_metrics() {
    let text = std::fs::read_to_string(root().join("deploy/alerts.yml")).unwrap();
    let exprs: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("expr:"))
        .map(|e| e.trim().to_owned())
        .collect();
    assert!(exprs.len() >= 6);
    check("alerts.yml", &exprs, 8);
}

#[test]
fn a_misspelt_metric_is_caught() {
    let result = std::panic::catch_unwind(|| {
        check(
            "test",
            &["rdp_cert_expired == 1 and rdp_cert_not_after_timestamp_seconds and probe_success and rdp_nla_required and rdp_finding and rdp_verdict and rdp_clock_skew_seconds and rdp_credssp_version and probe_duration_seconds and rdp_cert_expiry_seconds".to_owned()],
            1,
        )
    });
    assert!(result.is_err());
}

fn promtool(args: &[&str]) {
    let out = Command::new("promtool")
        .args(args)
        .current_dir(root().join("deploy"))
        .output()
        .expect("promtool (apt-get install prometheus)");
    assert!(
        out.status.success(),
        "promtool {args:?}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "needs promtool (Debian package prometheus): run lab/test.sh"]
fn promtool_accepts_the_rules_their_tests_and_the_config() {
    promtool(&["check", "rules", "alerts.yml"]);
    promtool(&["test", "rules", "alerts.test.yml"]);
    promtool(&["check", "config", "prometheus.yml"]);
    promtool(&["check", "config", "prometheus-sharded.yml"]);
}

#[test]
fn the_example_exporter_toml_loads_and_its_web_example_has_the_right_keys() {
    let path = root().join("deploy/exporter.toml");
    let c = rdpdoctor_exporter::Config::load(&path).unwrap();
    assert!(c.modules.contains_key("fast_3390"));
    assert!(c.web.tls.is_none() && c.web.users.is_empty());
    // Uncommented, the [web] example is read as far as its first file: the
    // keys and the hash are accepted, the certificate is not there.
    let text = std::fs::read_to_string(&path).unwrap();
    let web = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if rest.starts_with('[') || rest.contains(" = ") => rest,
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(web.contains("\n[web.basic_auth_users]\n"), "{web}");
    let e = rdpdoctor_exporter::Config::parse(&web).unwrap_err();
    assert!(e.starts_with("/etc/rdpdoctor/"), "{e}");
}
