//! The binary run as a user runs it: its path, a run with arguments and
//! environment (inside the lab's client namespace when asked), `lab serve`
//! with its listeners, the demo account's logon arguments, and small helpers
//! for what the runs print.

use serde_json::Value;
use std::io::BufRead as _;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The `rdpdoctor` binary cargo built for these tests: beside the test
/// binary's `deps` folder (`target/PROFILE/rdpdoctor`), where
/// `CARGO_BIN_EXE_rdpdoctor` points at build time.
pub fn bin() -> &'static str {
    static BIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test binary's path");
        let path = exe
            .parent()
            .and_then(Path::parent)
            .map(|dir| dir.join(format!("rdpdoctor{}", std::env::consts::EXE_SUFFIX)))
            .filter(|p| p.is_file())
            .unwrap_or_else(|| {
                panic!(
                    "no rdpdoctor binary beside {}: run the tests of the rdpdoctor crate",
                    exe.display()
                )
            });
        path.to_string_lossy().into_owned()
    })
}

/// An empty krb5.conf (`KRB5_CONFIG`) for the runs of the binary: a probe
/// of an NLA server may start Kerberos on its own from the server's NTLM
/// domain when krb5.conf knows a KDC for it, so that the tests never depend
/// on (or send anything to a KDC of) this machine's /etc/krb5.conf.
pub fn no_krb5_conf() -> &'static str {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let dir = crate::fixtures::target_tmp();
        std::fs::create_dir_all(&dir).expect("target/tmp");
        let path = dir.join("no-krb5.conf");
        std::fs::write(&path, "# no realm: the tests' krb5.conf\n").expect("write no-krb5.conf");
        path.display().to_string()
    })
}

/// docs/rdpdoctor.schema.json rooted at `ProbeOutput`: what a probe's JSON
/// is validated against.
pub fn probe_output_schema() -> Value {
    let path = crate::fixtures::repo_root().join("docs/rdpdoctor.schema.json");
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let obj = doc.as_object_mut().unwrap();
    obj.remove("oneOf");
    obj.insert("$ref".into(), Value::from("#/$defs/ProbeOutput"));
    doc
}

/// Runs the binary; inside rdplab-c when `netns` is true.
pub fn run(netns: bool, args: &[&str]) -> (Output, Duration) {
    run_env(netns, args, &[])
}

/// The binary's JSON document for `args` (outside the lab's namespace).
pub fn json(args: &[&str]) -> Value {
    let (out, _) = run(false, args);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The ids of a report's findings, in order.
pub fn finding_ids(doc: &Value) -> Vec<&str> {
    doc["findings"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["id"].as_str()).collect())
        .unwrap_or_default()
}

/// The id of the cause a report ranks first, `-` for none.
pub fn top_cause(doc: &Value) -> String {
    doc["diagnosis"]["causes"][0]["id"]
        .as_str()
        .unwrap_or("-")
        .to_owned()
}

/// `probe TARGET` the quick way (one TCP sample, no reverse DNS lookup), then
/// `extra`; outside the lab's namespace.
pub fn probe_once(target: &str, extra: &[&str]) -> (Output, Duration) {
    let mut args = vec!["probe", target, "--no-reverse-dns", "--samples", "1"];
    args.extend_from_slice(extra);
    run(false, &args)
}

/// Runs the binary with extra environment variables; inside rdplab-c when
/// `netns` is true (`ip netns exec` keeps the environment).
pub fn run_env(netns: bool, args: &[&str], env: &[(&str, &str)]) -> (Output, Duration) {
    let start = Instant::now();
    let mut cmd = if netns {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", "rdplab-c", bin()]);
        c
    } else {
        Command::new(bin())
    };
    let out = cmd
        .args(args)
        .env("KRB5_CONFIG", no_krb5_conf())
        .envs(env.iter().copied())
        .output()
        .expect("run rdpdoctor");
    (out, start.elapsed())
}

/// Runs `f` on every item, `workers` at a time (the machine has two cores and
/// the lab servers are shared), and returns the results in the items' order.
pub fn parallel<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    results.lock().unwrap()[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

/// Lines `rows` as a table with aligned columns (for failure messages).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = width.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let n = cells.len();
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i + 1 == n {
                    (*c).to_owned()
                } else {
                    format!("{c:<w$}", w = width[i])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = vec![line(header.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    out.join("\n")
}

/// `rdpdoctor lab serve` playing every fault on 127.0.0.1 (a free port
/// each); killed when dropped.
pub struct LabServe {
    child: std::process::Child,
    /// (fault name, address)
    pub listeners: Vec<(String, String)>,
}

impl LabServe {
    pub fn start(faults: &[&str]) -> LabServe {
        Self::start_with(faults, &[], &[])
    }

    /// [`LabServe::start`] with more arguments and environment variables
    /// (libfaketime for a server whose clock is off).
    pub fn start_with(faults: &[&str], args: &[&str], envs: &[(&str, &str)]) -> LabServe {
        let mut cmd = std::process::Command::new(bin());
        cmd.args(["lab", "serve"]);
        for f in faults {
            cmd.args(["--fault", f]);
        }
        cmd.args(args).envs(envs.iter().copied());
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start rdpdoctor lab serve");
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
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

/// The arguments of one logon attempt against an emulated logon fault: the
/// demo account, its password in a file (never argv). The file is removed
/// when the returned guard drops.
pub fn demo_logon_args(tag: &str) -> (Vec<String>, PasswordFile) {
    let path = std::env::temp_dir().join(format!("rdpdoctor-{tag}-{}.pw", std::process::id()));
    std::fs::write(&path, rdpdoctor_emulator::DEMO_PASSWORD).unwrap();
    let args = vec![
        "--user".into(),
        rdpdoctor_emulator::DEMO_USER.into(),
        "--password-file".into(),
        path.to_string_lossy().into_owned(),
    ];
    (args, PasswordFile(path))
}

/// A password file that is removed when dropped.
pub struct PasswordFile(pub std::path::PathBuf);

impl Drop for PasswordFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `scan --format ndjson` output: each line's report by its target input.
pub fn by_input(ndjson: &str) -> std::collections::BTreeMap<String, Value> {
    ndjson
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            (v["target"]["input"].as_str().unwrap().to_owned(), v)
        })
        .collect()
}

/// A tokio runtime for a test that serves emulated hosts in-process (two
/// workers, as the machine has).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}
