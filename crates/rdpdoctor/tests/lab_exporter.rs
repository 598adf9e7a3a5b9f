//! `rdpdoctor exporter` against the lab's real servers, scraped by a real
//! Prometheus (Debian's `prometheus`, started here on 127.0.0.1 with its own
//! config and storage in a temporary directory): the metrics of an expired
//! certificate, an NLA server, a closed port; the shipped alert rule firing
//! for the expired certificate, read back from Prometheus's HTTP API; and
//! the shipped sharded configuration spreading targets over two exporters,
//! each target scraped by exactly one. Run by lab/test.sh.

use rdpdoctor_testkit::exporter as exporter_util;

use exporter_util::{Exporter, WebDir, request, sample_value};
use rdpdoctor_testkit::cli::*;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn target(name: &str) -> String {
    scenario(name).target()
}

#[test]
#[ignore = "needs the lab: run lab/test.sh"]
fn expired_certificate_nla_and_closed_port_as_metrics() {
    let e = Exporter::start(&["--allow", "127.0.0.1/32"]);

    let (s, m) = e.probe(&target("xrdp-expired"), "fast", "10");
    assert_eq!(s, 200, "{m}");
    assert_eq!(sample_value(&m, "probe_success"), Some(1.0), "{m}");
    assert_eq!(sample_value(&m, "rdp_cert_expired"), Some(1.0), "{m}");
    // The end date as openssl reads it from the lab's certificate file: still
    // exported after expiry.
    let (not_after, sha1) = lab_cert("expired.crt");
    assert_eq!(
        sample_value(&m, "rdp_cert_not_after_timestamp_seconds"),
        Some(not_after as f64),
        "{m}"
    );
    assert!(m.contains(&format!("sha1_thumbprint=\"{sha1}\"")), "{m}");
    assert_eq!(
        sample_value(&m, "rdp_finding{id=\"cert-expired\",severity=\"warn\"}"),
        Some(1.0),
        "{m}"
    );
    assert_eq!(sample_value(&m, "rdp_nla_required"), Some(0.0), "{m}");
    assert_eq!(
        sample_value(&m, "rdp_verdict{verdict=\"works-with-warnings\"}"),
        Some(1.0)
    );

    let (s, m) = e.probe(&target("shadow-nla"), "fast", "10");
    assert_eq!(s, 200, "{m}");
    assert_eq!(sample_value(&m, "probe_success"), Some(1.0), "{m}");
    assert_eq!(sample_value(&m, "rdp_nla_required"), Some(1.0), "{m}");
    assert_eq!(
        sample_value(&m, "rdp_security_protocol_info{protocol=\"hybrid\"}"),
        Some(1.0)
    );
    assert_eq!(sample_value(&m, "rdp_credssp_version"), Some(6.0), "{m}");
    let skew = sample_value(&m, "rdp_clock_skew_seconds").expect("the NTLM clock");
    assert!(skew.abs() < 60.0, "{skew}");
    assert_eq!(sample_value(&m, "rdp_cert_expired"), Some(0.0));

    // The server clock in 2035: the skew is years.
    let (_, m) = e.probe(&target("shadow-skew"), "fast", "10");
    let skew = sample_value(&m, "rdp_clock_skew_seconds").expect("the NTLM clock");
    assert!(skew > 5.0 * 365.0 * 86400.0, "{skew}\n{m}");

    let (s, m) = e.probe(&target("closed"), "fast", "10");
    assert_eq!(s, 200, "{m}");
    assert_eq!(sample_value(&m, "probe_success"), Some(0.0), "{m}");
    assert_eq!(
        sample_value(&m, "rdp_port_state{state=\"refused\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample_value(&m, "rdp_finding{id=\"port-closed\",severity=\"fail\"}"),
        Some(1.0)
    );
    assert!(
        !m.contains("rdp_cert_") && !m.contains("rdp_nla_required"),
        "{m}"
    );

    // The full module reaches the logon screen where NLA is not required.
    let (s, m) = e.probe(&target("xrdp-rdp"), "full", "20");
    assert_eq!(s, 200, "{m}");
    assert_eq!(
        sample_value(&m, "rdp_logon_screen_reached"),
        Some(1.0),
        "{m}"
    );

    // The exporter's own metrics parse and lint clean with promtool.
    let own = e.get("/metrics", &[]).1;
    assert_eq!(
        sample_value(
            &own,
            "rdpdoctor_exporter_probes_total{module=\"fast\",success=\"1\"}"
        ),
        Some(3.0),
        "{own}"
    );
    promtool_check_metrics(&own);
    promtool_check_metrics(&m);
}

fn promtool_check_metrics(text: &str) {
    use std::io::Write;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (lab/install.sh installs prometheus)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool: {said}\n{text}"
    );
}

/// The end date (Unix seconds) and SHA-1 thumbprint of a lab certificate, as openssl reads them.
fn lab_cert(file: &str) -> (i64, String) {
    let dir = lab_env()["RDPDOCTOR_LAB_CERTS"].clone();
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-enddate", "-fingerprint", "-sha1", "-in"])
        .arg(Path::new(&dir).join(file))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let end = text
        .lines()
        .find_map(|l| l.strip_prefix("notAfter="))
        .unwrap()
        .to_owned();
    let sha1 = text
        .lines()
        .find_map(|l| {
            l.split_once("Fingerprint=")
                .map(|(_, f)| f.replace(':', ""))
        })
        .unwrap();
    let date = Command::new("date")
        .args(["-u", "-d", &end, "+%s"])
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&date.stdout)
            .trim()
            .parse()
            .unwrap(),
        sha1,
    )
}

/// A Prometheus of our own: config, rules and storage in a temporary
/// directory, the web API on a free 127.0.0.1 port. Killed and removed on drop.
struct Prometheus {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
}

impl Prometheus {
    fn start(name: &str, config: &str) -> Prometheus {
        let dir =
            std::env::temp_dir().join(format!("rdpdoctor-prom-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).unwrap();
        std::fs::copy(
            repo_root().join("deploy/alerts.yml"),
            dir.join("alerts.yml"),
        )
        .unwrap();
        std::fs::write(dir.join("prometheus.yml"), config).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
        let child = Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("prometheus (lab/install.sh installs it)");
        let p = Prometheus { child, addr, dir };
        p.wait_for("ready", Duration::from_secs(30), || {
            std::net::TcpStream::connect(addr).is_ok()
                && request(addr, "GET", "/-/ready", &[], "").0 == 200
        });
        p
    }

    /// GET an API path; the JSON's `data`.
    fn api(&self, path: &str) -> Value {
        let (s, body) = request(self.addr, "GET", path, &[], "");
        assert_eq!(s, 200, "{path}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["status"], "success", "{body}");
        v["data"].clone()
    }

    /// An instant query's result vector.
    fn query(&self, promql: &str) -> Vec<Value> {
        let q: String = promql
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        self.api(&format!("/api/v1/query?query={q}"))["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn wait_for(&self, what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
        let t = Instant::now();
        while !ok() {
            if t.elapsed() > limit {
                let log =
                    std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(15).collect();
                panic!(
                    "Prometheus: no {what} within {limit:?}; its log ends:\n{}",
                    tail.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// deploy/prometheus.yml (or a variant of it) for the lab: seconds instead
/// of minutes, this exporter, and `targets` instead of the example hosts.
fn for_the_lab(shipped: &str, exporter: SocketAddr, targets: &[&str]) -> String {
    let example = "          - rdp01.corp.example          # port 3389, or the module's port\n          - rdp02.corp.example:3390\n          - 10.20.0.15\n";
    assert!(
        shipped.contains(example),
        "deploy/prometheus.yml changed: update this test"
    );
    let lab: String = targets
        .iter()
        .map(|t| format!("          - {t}\n"))
        .collect();
    shipped
        .replace("scrape_interval: 1m", "scrape_interval: 2s")
        .replace("scrape_timeout: 20s", "scrape_timeout: 2s")
        .replace("evaluation_interval: 1m", "evaluation_interval: 1s")
        .replace("127.0.0.1:9389", &exporter.to_string())
        .replace(example, &lab)
}

/// The one value of a single-series query result, by instance.
fn value_of(result: &[Value], instance: &str) -> Option<f64> {
    result
        .iter()
        .find(|r| r["metric"]["instance"] == instance)
        .and_then(|r| r["value"][1].as_str())
        .and_then(|v| v.parse().ok())
}

#[test]
#[ignore = "needs the lab: run lab/test.sh"]
fn prometheus_scrapes_the_exporter_and_the_expired_certificate_alert_fires() {
    let e = Exporter::start(&["--allow", "127.0.0.1/32"]);
    let expired = target("xrdp-expired");
    let nla = target("shadow-nla");
    let closed = target("closed");
    // Outside the allowlist: Prometheus gets 403, up = 0, nothing is probed.
    let outside = "127.0.0.2:33904";
    // deploy/prometheus.yml with the lab's targets, this exporter, and
    // seconds instead of minutes.
    let config = for_the_lab(
        &std::fs::read_to_string(repo_root().join("deploy/prometheus.yml")).unwrap(),
        e.addr,
        &[&expired, &nla, &closed, outside],
    );
    assert!(
        config.contains(&expired),
        "deploy/prometheus.yml changed: update this test\n{config}"
    );
    let p = Prometheus::start("scrape", &config);

    p.wait_for(
        "firing RdpCertificateExpired",
        Duration::from_secs(60),
        || {
            p.api("/api/v1/alerts")["alerts"]
                .as_array()
                .is_some_and(|a| {
                    a.iter().any(|x| {
                        x["labels"]["alertname"] == "RdpCertificateExpired"
                            && x["state"] == "firing"
                    })
                })
        },
    );
    let alerts = p.api("/api/v1/alerts")["alerts"]
        .as_array()
        .cloned()
        .unwrap();
    let expired_alerts: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["labels"]["alertname"] == "RdpCertificateExpired")
        .collect();
    assert_eq!(expired_alerts.len(), 1, "{alerts:?}");
    assert_eq!(expired_alerts[0]["labels"]["instance"], expired.as_str());
    assert_eq!(expired_alerts[0]["labels"]["severity"], "critical");
    // The NLA alert waits 30 min before firing: pending for the xrdp host only.
    let nla_alerts: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["labels"]["alertname"] == "RdpNlaNotRequired")
        .collect();
    assert_eq!(nla_alerts.len(), 1, "{alerts:?}");
    assert_eq!(nla_alerts[0]["labels"]["instance"], expired.as_str());
    assert_eq!(nla_alerts[0]["state"], "pending");

    // The series, through the query API.
    // Each target is scraped on its own schedule: wait for all four.
    p.wait_for("every target scraped", Duration::from_secs(30), || {
        p.query("up{job=\"rdp\"}").len() == 4
    });
    let (not_after, _) = lab_cert("expired.crt");
    assert_eq!(
        value_of(&p.query("rdp_cert_not_after_timestamp_seconds"), &expired),
        Some(not_after as f64)
    );
    assert_eq!(value_of(&p.query("rdp_nla_required"), &nla), Some(1.0));
    let success = p.query("probe_success");
    assert_eq!(value_of(&success, &expired), Some(1.0), "{success:?}");
    assert_eq!(value_of(&success, &closed), Some(0.0), "{success:?}");
    assert_eq!(
        value_of(&success, outside),
        None,
        "a refused target has no probe metrics"
    );
    let up = p.query("up{job=\"rdp\"}");
    assert_eq!(value_of(&up, outside), Some(0.0), "{up:?}");
    assert_eq!(value_of(&up, &closed), Some(1.0), "{up:?}");
    let targets = p.api("/api/v1/targets?state=active");
    let refused = targets["activeTargets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["labels"]["instance"] == outside)
        .unwrap()
        .clone();
    assert!(
        refused["lastError"].as_str().unwrap_or("").contains("403"),
        "{refused}"
    );
    // The exporter's own job, scraped on its own schedule: its first scrapes
    // may come before the first refusal, so wait for one that counts it.
    let refusals = || {
        p.query("rdpdoctor_exporter_allowlist_refusals_total")
            .first()
            .and_then(|r| r["value"][1].as_str())
            .and_then(|v| v.parse::<f64>().ok())
    };
    p.wait_for(
        "scrape of the exporter's own job counting a refusal",
        Duration::from_secs(30),
        || refusals().is_some_and(|v| v > 0.0),
    );
}

#[test]
#[ignore = "needs the lab: run lab/test.sh"]
fn two_exporters_share_the_targets_by_hashmod_each_scraped_once() {
    let e0 = Exporter::start(&["--allow", "127.0.0.1/32"]);
    let e1 = Exporter::start(&["--allow", "127.0.0.1/32"]);
    let names = [
        "xrdp-negotiate",
        "xrdp-rdp",
        "xrdp-tls",
        "xrdp-expired",
        "xrdp-wrongname",
        "xrdp-tls12",
        "shadow-nla",
        "shadow-default",
        "closed",
        "accept-close",
        "http",
        "refuse-all",
    ];
    let targets: Vec<String> = names.iter().map(|n| target(n)).collect();
    let dir = std::env::temp_dir().join(format!("rdpdoctor-sd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Service discovery: a file_sd target file, as a CMDB export would write it.
    std::fs::write(
        dir.join("lab.json"),
        serde_json::json!([{ "targets": targets, "labels": { "site": "lab" } }]).to_string(),
    )
    .unwrap();
    let config = std::fs::read_to_string(repo_root().join("deploy/prometheus-sharded.yml"))
        .unwrap()
        .replace("scrape_interval: 1m", "scrape_interval: 3s")
        .replace("scrape_timeout: 20s", "scrape_timeout: 3s")
        .replace("evaluation_interval: 1m", "evaluation_interval: 1s")
        .replace(
            "/etc/prometheus/rdp-targets/*.json",
            &format!("{}/*.json", dir.display()),
        )
        .replace("rdp-exporter-0:9389", &e0.addr.to_string())
        .replace("rdp-exporter-1:9389", &e1.addr.to_string());
    let p = Prometheus::start("shards", &config);
    p.wait_for("a scrape of every target", Duration::from_secs(60), || {
        p.query("count by (instance) (probe_success)").len() == targets.len()
    });
    std::fs::remove_dir_all(&dir).unwrap();

    // Each target in exactly one shard, probed by that shard's exporter.
    let active = p.api("/api/v1/targets?state=active")["activeTargets"]
        .as_array()
        .cloned()
        .unwrap();
    let mut per_shard = [0usize; 2];
    for t in &targets {
        let scrapes: Vec<&Value> = active
            .iter()
            .filter(|a| a["labels"]["instance"] == t.as_str())
            .collect();
        assert_eq!(scrapes.len(), 1, "{t} is scraped {} times", scrapes.len());
        let job = scrapes[0]["labels"]["job"].as_str().unwrap();
        let shard: usize = job.trim_start_matches("rdp-shard-").parse().unwrap();
        let exporter = [e0.addr, e1.addr][shard].to_string();
        assert!(
            scrapes[0]["scrapeUrl"]
                .as_str()
                .unwrap()
                .contains(&exporter),
            "{t}: {}",
            scrapes[0]["scrapeUrl"]
        );
        assert_eq!(scrapes[0]["labels"]["exporter"], exporter.as_str());
        per_shard[shard] += 1;
    }
    assert!(
        per_shard[0] > 0 && per_shard[1] > 0,
        "one exporter got nothing: {per_shard:?}"
    );
    // One series per target, and each exporter probed what its shard holds.
    for r in p.query("count by (instance) (probe_success)") {
        assert_eq!(r["value"][1], "1", "{r}");
    }
    for (i, e) in [&e0, &e1].into_iter().enumerate() {
        let probed = e
            .metric("rdpdoctor_exporter_probes_in_flight_max")
            .unwrap_or(0.0);
        assert!(probed >= 1.0, "exporter {i} never probed");
    }
    let series = p.query("count by (exporter) (probe_success)");
    let counted: Vec<usize> = [e0.addr, e1.addr]
        .iter()
        .map(|a| {
            series
                .iter()
                .find(|r| r["metric"]["exporter"] == a.to_string().as_str())
                .and_then(|r| r["value"][1].as_str())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        })
        .collect();
    assert_eq!(counted, per_shard.to_vec());
    eprintln!("shards: {per_shard:?} of {} targets", targets.len());
}

#[test]
#[ignore = "needs the lab: run lab/test.sh"]
fn prometheus_scrapes_over_https_with_basic_auth_and_a_wrong_password_is_401() {
    let w = WebDir::new("lab-prom", "");
    let e = Exporter::start(&["--allow", "127.0.0.1/32", "--config", &w.config()]);
    let expired = target("xrdp-expired");
    std::fs::write(w.dir.join("wrong-password"), "not-the-password").unwrap();
    // deploy/prometheus.yml with its commented [web] lines in force, in both
    // jobs: https, the CA of the exporter's certificate, the user and the
    // file holding the password.
    let commented = "    # scheme: https\n    # tls_config:\n    #   ca_file: /etc/prometheus/rdpdoctor-ca.crt       # the CA of the exporter's cert_file\n    # basic_auth:\n    #   username: prometheus\n    #   password_file: /etc/prometheus/rdpdoctor.password   # the password; the exporter holds its bcrypt hash\n";
    // Only each line's leading "# ": the comments after the values stay.
    let uncommented: String = commented
        .lines()
        .map(|l| format!("    {}\n", l.trim_start().trim_start_matches("# ")))
        .collect();
    let shipped = std::fs::read_to_string(repo_root().join("deploy/prometheus.yml")).unwrap();
    assert_eq!(
        shipped.matches(commented).count(),
        2,
        "deploy/prometheus.yml changed: update this test"
    );
    let mut config = for_the_lab(
        &shipped
            .replace(commented, &uncommented)
            .replace("/etc/prometheus/rdpdoctor-ca.crt", &w.path("ca.crt"))
            .replace("/etc/prometheus/rdpdoctor.password", &w.path("password")),
        e.addr,
        &[&expired],
    );
    assert!(config.contains(&expired) && config.contains("scheme: https\n"));
    // A third job: the right exporter, the wrong password.
    config.push_str(&format!(
        "\n  - job_name: wrong_password\n    scheme: https\n    tls_config:\n      ca_file: {}\n    basic_auth:\n      username: prometheus\n      password_file: {}\n    static_configs:\n      - targets: ['{}']\n",
        w.path("ca.crt"),
        w.path("wrong-password"),
        e.addr
    ));
    let p = Prometheus::start("https", &config);
    p.wait_for("a scrape of every job", Duration::from_secs(30), || {
        p.query("up").len() == 3
    });
    let up = p.query("up");
    let job = |name: &str| {
        up.iter()
            .find(|r| r["metric"]["job"] == name)
            .and_then(|r| r["value"][1].as_str())
            .map(str::to_owned)
    };
    assert_eq!(job("rdp").as_deref(), Some("1"), "{up:?}");
    assert_eq!(job("rdpdoctor_exporter").as_deref(), Some("1"), "{up:?}");
    assert_eq!(job("wrong_password").as_deref(), Some("0"), "{up:?}");
    assert_eq!(
        value_of(&p.query("probe_success"), &expired),
        Some(1.0),
        "the probe over https"
    );
    let targets = p.api("/api/v1/targets?state=active");
    let wrong = targets["activeTargets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["labels"]["job"] == "wrong_password")
        .unwrap()
        .clone();
    assert!(
        wrong["lastError"].as_str().unwrap_or("").contains("401"),
        "{wrong}"
    );
    assert!(
        wrong["scrapeUrl"]
            .as_str()
            .unwrap_or("")
            .starts_with("https://"),
        "{wrong}"
    );
    // The exporter counted the wrong password, and its log never shows one.
    p.wait_for(
        "the exporter's job counting a 401",
        Duration::from_secs(30),
        || {
            p.query("rdpdoctor_exporter_auth_failures_total")
                .first()
                .and_then(|r| r["value"][1].as_str())
                .and_then(|v| v.parse::<f64>().ok())
                .is_some_and(|v| v > 0.0)
        },
    );
    let log = e.stderr.lock().unwrap().clone();
    assert!(
        !log.contains(&w.password) && !log.contains("not-the-password"),
        "{log}"
    );
}
