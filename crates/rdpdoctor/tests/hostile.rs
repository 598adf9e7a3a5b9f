//! The hostile-server suite: the real `rdpdoctor` binary against every
//! behaviour of `rdpdoctor_emulator::hostile`, each served on an ephemeral
//! port of 127.0.0.1 (no lab needed).
//!
//! Every case, whatever the server does, must hold the promises a user
//! relies on ([`bounded`]): the probe ends within `--ceiling` + 1 s, prints
//! JSON with `schema_version`, exits 0 or 1 as its findings say, prints no
//! panic, and stays under 64 MiB of resident memory. Some cases also check
//! what the report says ([`Verdict`]). One line per case, in [`cases!`].
//!
//! Each test prints its figures (seconds, MiB, exit status) and appends
//! them to `hostile-figures.tsv` in Cargo's temporary directory; with
//! `RDPDOCTOR_HOSTILE_SHOW=1` (and `--nocapture`) it prints the report too.

#![cfg(feature = "openssl")]

use rdpdoctor_emulator::hostile::{self, Hostile};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The probe's options in every case.
const TIMEOUT_SECS: &str = "1";
const CEILING_SECS: u64 = 4;
/// The slack a probe gets past its ceiling (process start, output, exit).
const SLACK: Duration = Duration::from_secs(1);
/// Peak resident memory allowed to one probe.
const MAX_RSS_KIB: u64 = 64 * 1024;
/// A probe still running after this is killed (and the case fails).
const KILL_AFTER: Duration = Duration::from_secs(20);

/// What one run of the binary did.
#[derive(Debug)]
struct Outcome {
    exit: Option<i32>,
    signal: Option<i32>,
    elapsed: Duration,
    max_rss_kib: u64,
    stdout: String,
    stderr: String,
    json: Option<Value>,
}

/// The exit status the report calls for. The one place that says how the
/// JSON and the exit status agree: 1 unless every client connects.
fn expected_exit(report: &Value) -> i32 {
    // The exit status follows the verdict (crates/rdpdoctor-diagnose/src/verdict.rs),
    // and a `fail` finding never stands beside a verdict where every client connects.
    let failing = !matches!(
        report["verdict"].as_str(),
        Some("healthy" | "works-with-warnings")
    );
    let fail_finding = report["findings"]
        .as_array()
        .is_some_and(|f| f.iter().any(|f| f["severity"] == "fail"));
    assert!(
        failing || !fail_finding,
        "a fail finding beside verdict {}",
        report["verdict"]
    );
    i32::from(failing)
}

/// The runtime the hostile servers run on (shared by every test thread).
fn servers() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

/// One case's run, shared by the tests that look at it.
type Run = Arc<OnceLock<Arc<Outcome>>>;

/// The outcome of `h`, run once however many tests look at it.
fn outcome(h: Hostile) -> Arc<Outcome> {
    static RUNS: OnceLock<Mutex<HashMap<Hostile, Run>>> = OnceLock::new();
    let slot = RUNS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(h)
        .or_default()
        .clone();
    slot.get_or_init(|| Arc::new(run(h))).clone()
}

fn run(h: Hostile) -> Outcome {
    let server = servers()
        .block_on(hostile::spawn(h, "127.0.0.1:0".parse().unwrap()))
        .unwrap_or_else(|e| panic!("{}: the hostile server does not start: {e}", h.name()));
    let target = server.local_addr().to_string();
    let ceiling = CEILING_SECS.to_string();
    let args = [
        "probe",
        &target,
        "--timeout",
        TIMEOUT_SECS,
        "--ceiling",
        &ceiling,
        "--samples",
        "2",
        "--no-reverse-dns",
        "--format",
        "json",
    ];
    let o = run_measured(&args);
    drop(server);
    let line = format!(
        "{}\t{:.2}\t{:.1}\t{}\n",
        h.name(),
        o.elapsed.as_secs_f64(),
        o.max_rss_kib as f64 / 1024.0,
        o.exit
            .map_or_else(|| format!("signal {:?}", o.signal), |c| c.to_string())
    );
    print!("hostile figures: {line}");
    if std::env::var_os("RDPDOCTOR_HOSTILE_SHOW").is_some() {
        println!("{}\n{}", o.stdout, o.stderr);
    }
    let tsv = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile-figures.tsv");
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(tsv)
    {
        let _ = std::io::Write::write_all(&mut f, line.as_bytes());
    }
    o
}

/// The child's peak resident set so far (`VmHWM`, KiB), while it lives.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the binary and measures its peak resident memory.
///
/// Not `wait4`'s `ru_maxrss`: Linux folds into it the memory of the process
/// that called exec, which for a child spawned from this test process is
/// this (large) test process. `VmHWM` in /proc is the child's own
/// high-water mark, but it is gone once the child exits; so its stdout is a
/// one-page pipe, the child blocks writing its report (all the probing
/// done), and `VmHWM` is read then, before the report is drained. It is
/// also polled all along, for a child that never reports.
fn run_measured(args: &[&str]) -> Outcome {
    use std::os::fd::AsRawFd;
    let start = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rdpdoctor"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("rdpdoctor starts");
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("stdout");
    // SAFETY: an fcntl on a pipe descriptor we own; it only sizes the buffer.
    let page = unsafe { libc::fcntl(stdout.as_raw_fd(), libc::F_SETPIPE_SZ, 4096) };
    assert!(
        page > 0,
        "F_SETPIPE_SZ: {}",
        std::io::Error::last_os_error()
    );
    let (first_byte, started_reporting) = std::sync::mpsc::channel::<()>();
    let (go_tx, go) = std::sync::mpsc::channel::<()>();
    let out = std::thread::spawn(move || {
        let mut s = vec![0u8; 1];
        let n = stdout.read(&mut s).unwrap_or(0);
        s.truncate(n);
        let _ = first_byte.send(());
        let _ = go.recv();
        let _ = stdout.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let mut stderr = child.stderr.take().expect("stderr");
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut peak = 0;
    let mut released = false;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(pid) {
            peak = peak.max(kib);
        }
        if !released && started_reporting.try_recv().is_ok() {
            // The child is blocked writing its report: read its mark now.
            if let Some(kib) = vm_hwm_kib(pid) {
                peak = peak.max(kib);
            }
            let _ = go_tx.send(());
            released = true;
        }
        if let Some(status) = child.try_wait().expect("waitpid") {
            break status;
        }
        if start.elapsed() > KILL_AFTER {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = start.elapsed();
    let _ = go_tx.send(());
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let json = serde_json::from_str(&stdout).ok();
    use std::os::unix::process::ExitStatusExt;
    Outcome {
        exit: status.code(),
        signal: status.signal(),
        elapsed,
        max_rss_kib: peak,
        stdout,
        stderr,
        json,
    }
}

/// The promises every case keeps.
fn bounded(h: Hostile) {
    let o = outcome(h);
    let name = h.name();
    let ceiling = Duration::from_secs(CEILING_SECS) + SLACK;
    assert!(
        o.elapsed <= ceiling,
        "{name}: took {:.2} s, past the ceiling + 1 s ({} s)\n{}",
        o.elapsed.as_secs_f64(),
        ceiling.as_secs(),
        o.stderr
    );
    assert!(
        !o.stderr.contains("panicked") && !o.stderr.contains("RUST_BACKTRACE"),
        "{name}: panic text on stderr:\n{}",
        o.stderr
    );
    assert!(
        matches!(o.exit, Some(0 | 1)),
        "{name}: exit {:?} (signal {:?}), expected 0 or 1\n{}",
        o.exit,
        o.signal,
        o.stderr
    );
    assert!(
        o.max_rss_kib < MAX_RSS_KIB,
        "{name}: peak RSS {:.1} MiB, limit {} MiB",
        o.max_rss_kib as f64 / 1024.0,
        MAX_RSS_KIB / 1024
    );
    let Some(json) = &o.json else {
        panic!(
            "{name}: stdout is not JSON:\n{}",
            o.stdout.chars().take(2000).collect::<String>()
        );
    };
    assert!(
        json["schema_version"].is_u64(),
        "{name}: no schema_version in the JSON"
    );
    assert_eq!(
        o.exit,
        Some(expected_exit(json)),
        "{name}: the exit status disagrees with the report's findings: {}",
        ids(json).join(", ")
    );
}

fn ids(json: &Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|f| format!("{} ({})", f["id"].as_str().unwrap_or("?"), f["severity"]))
                .collect()
        })
        .unwrap_or_default()
}

fn has(json: &Value, id: &str) -> bool {
    json["findings"]
        .as_array()
        .is_some_and(|f| f.iter().any(|f| f["id"] == id))
}

/// What a case's report must say, beyond [`bounded`].
#[derive(Debug, Clone, Copy)]
enum Verdict {
    /// No client gets through this server: exit 1, with a `fail` finding.
    Fails,
    /// This finding is in the report.
    Finding(&'static str),
    /// The certificate is reported, with this many key bits.
    KeyBits(u64),
    /// The certificate is reported, valid from this date (RFC 3339 prefix).
    NotBefore(&'static str),
    /// The certificate is reported, with at least this many subject alternative names.
    Names(usize),
    /// The report says the probe's ceiling cut it short.
    CeilingHit,
}

fn verdict(h: Hostile, v: Verdict) {
    let o = outcome(h);
    let name = h.name();
    let Some(json) = &o.json else {
        panic!("{name}: no JSON report");
    };
    let found = ids(json).join(", ");
    let cert = &json["certificate"];
    match v {
        Verdict::Fails => assert!(
            o.exit == Some(1)
                && expected_exit(json) == 1
                && json["findings"]
                    .as_array()
                    .is_some_and(|f| f.iter().any(|f| f["severity"] == "fail")),
            "{name}: no client gets through this server, yet exit {:?} (verdict {}) and no fail finding that says why: {found}",
            o.exit,
            json["verdict"]
        ),
        Verdict::Finding(id) => assert!(has(json, id), "{name}: no {id}; found: {found}"),
        Verdict::KeyBits(bits) => assert_eq!(
            cert["key_bits"].as_u64(),
            Some(bits),
            "{name}: certificate {cert}; TLS {}",
            json["tls"]
        ),
        Verdict::NotBefore(prefix) => assert!(
            cert["not_before"]
                .as_str()
                .is_some_and(|s| s.starts_with(prefix)),
            "{name}: certificate {cert}"
        ),
        Verdict::CeilingHit => assert_eq!(
            json["timings"]["ceiling_hit"], true,
            "{name}: timings {}; deep {}",
            json["timings"], json["deep"]
        ),
        Verdict::Names(n) => assert!(
            cert["subject_alt_names"]
                .as_array()
                .is_some_and(|a| a.len() >= n),
            "{name}: certificate {}",
            cert["subject"]
        ),
    }
}

/// One line per case: `test_name: Behaviour [=> Verdict]`, then the reason
/// a test is ignored (`bounded = "needs …"`, `verdict = "needs …"`) where it
/// shows a defect another part of the project owns. Each line makes a module
/// with a `bounded` test and, with a verdict, a `verdict` test; both look at
/// one run of the binary.
macro_rules! cases {
    ($(
        $name:ident: $h:ident
        $(=> $v:expr $(, verdict = $vwhy:literal)?)?
        $(, bounded = $bwhy:literal)?;
    )*) => {
        $(
            mod $name {
                use super::*;

                #[test]
                $(#[ignore = $bwhy])?
                fn bounded() {
                    super::bounded(Hostile::$h);
                }

                $(
                    #[test]
                    $(#[ignore = $vwhy])?
                    fn verdict() {
                        super::verdict(Hostile::$h, $v);
                    }
                )?
            }
        )*

        /// Every behaviour of the emulator has a line here.
        #[test]
        fn every_hostile_behaviour_has_a_case() {
            let listed = [$(Hostile::$h),*];
            for h in Hostile::ALL {
                assert!(listed.contains(h), "no case for {}", h.name());
            }
        }
    };
}

use Verdict::*;

cases! {
    // X.224
    x224_silent: X224Silent => Fails;
    x224_dribble: X224Dribble => Fails;
    x224_endless: X224Endless => Finding("not-rdp");
    x224_length_too_long: X224LengthTooLong => Fails;
    x224_length_too_short: X224LengthTooShort => Finding("not-rdp");
    x224_neg_lengths_lie: X224NegLengthsLie => Fails;
    x224_neg_unknown_type: X224NegUnknownType => Fails;
    x224_unknown_tpdu: X224UnknownTpdu => Fails;
    neg_failure_deadbeef: NegFailureDeadbeef => Fails;
    neg_select_ffffffff: NegSelectAllBits => Fails;
    slow_accept: SlowAccept;
    // TLS
    tls_silent: TlsSilent => Finding("tls-handshake-failed");
    tls_hello_request_every_second: TlsHelloRequestEverySecond => Finding("tls-handshake-failed");
    tls_hello_request_flood: TlsHelloRequestFlood => Finding("tls-handshake-failed");
    tls_dribble: TlsDribble => Finding("tls-handshake-failed");
    tls_endless: TlsEndless => Finding("tls-handshake-failed");
    tls_record_length_lies: TlsRecordLengthLies => Finding("tls-handshake-failed");
    tls_not_a_server_hello: TlsNotAServerHello => Finding("tls-handshake-failed");
    tls_absurd_server_hello: TlsAbsurdServerHello => Finding("tls-handshake-failed");
    tls_unknown_alert: TlsUnknownAlert => Finding("tls-handshake-failed");
    tls_key_update_flood: TlsKeyUpdateFlood => Fails;
    tls_client_cert_required: TlsClientCertRequired => Fails;
    tls_huge_certificate: TlsHugeCertificate => Names(3000);
    tls_huge_chain: TlsHugeChain;
    tls_cert_year_0001: TlsCertYear1 => NotBefore("0001-01-01");
    tls_cert_year_9999: TlsCertYear9999 => Finding("cert-not-yet-valid");
    tls_rsa_512: TlsRsa512 => KeyBits(512);
    // CredSSP / NTLM
    credssp_silent: CredsspSilent => Fails;
    credssp_dribble: CredsspDribble => Fails;
    credssp_endless: CredsspEndless => Fails;
    credssp_length_lies: CredsspLengthLies => Fails;
    credssp_malformed: CredsspMalformed => Fails;
    credssp_absurd: CredsspAbsurd;
    ntlm_fields_lie: NtlmFieldsLie;
    credssp_unknown_error: CredsspUnknownError => Fails;
    // MCS / GCC
    mcs_silent: McsSilent => Fails;
    mcs_dribble: McsDribble => Fails;
    mcs_endless: McsEndless => Fails;
    mcs_length_lies: McsLengthLies => Fails;
    mcs_garbage: McsGarbage => Fails;
    mcs_absurd: McsAbsurd => Fails;
    mcs_unknown_result: McsUnknownResult => Fails;
    // Standard RDP Security
    rdp_zero_key: RdpZeroKey => Fails;
    rdp_absurd_key: RdpAbsurdKey => Fails;
    rdp_x509_garbage: RdpX509Garbage => Fails;
    rdp_key_length_lies: RdpKeyLengthLies => Fails;
    rdp_silent: RdpSilent => Fails;
    rdp_endless: RdpEndless => Fails;
    rdp_unknown_certificate: RdpUnknownCertificate => Fails;
    rdp_huge_exponent: RdpHugeExponent;
    // The deep probe
    deep_silent: DeepSilent => Fails;
    deep_dribble: DeepDribble => Fails;
    deep_endless: DeepEndless => Fails;
    deep_trickle: DeepTrickle => CeilingHit;
    deep_attach_length_lies: DeepAttachLengthLies => Fails;
    deep_garbage: DeepGarbage => Fails;
    deep_channels_zero: DeepChannelsZero => Fails;
    deep_unknown_error_info: DeepUnknownErrorInfo => Finding("server-error-info");
    deep_unknown_license_error: DeepUnknownLicenseError => Fails;
}

/// Each stage says how it failed as a kind (`failure_kind`), set by the
/// probe where the failure happened, beside its text: a silent step is a
/// `timeout`, a refused handshake an `alert`, an answer that does not
/// decode `invalid`; and the scan's re-check decides on these kinds
/// (`ProbeReport::timed_out_after_answer`).
#[test]
fn each_stage_types_how_it_failed() {
    let json = |h: Hostile| {
        outcome(h)
            .json
            .clone()
            .unwrap_or_else(|| panic!("{}: no JSON report", h.name()))
    };
    let recheck = |v: &Value| {
        serde_json::from_value::<rdpdoctor_evidence::ProbeReport>(v.clone())
            .expect("the report reads back")
            .timed_out_after_answer()
    };
    // TLS: the server takes the ClientHello and says nothing.
    let tls = json(Hostile::TlsSilent);
    assert_eq!(tls["tls"]["failure_kind"], "timeout", "{}", tls["tls"]);
    assert!(
        recheck(&tls),
        "a TLS handshake without an answer is re-checked"
    );
    // TLS: a fatal alert is an answer.
    let alert = json(Hostile::TlsUnknownAlert);
    assert_eq!(alert["tls"]["failure_kind"], "alert", "{}", alert["tls"]);
    // CredSSP: silent after TLS, and an answer that does not decode.
    let silent = json(Hostile::CredsspSilent);
    assert_eq!(
        silent["credssp"]["failure_kind"], "timeout",
        "{}",
        silent["credssp"]
    );
    assert!(recheck(&silent));
    let malformed = json(Hostile::CredsspMalformed);
    assert_eq!(
        malformed["credssp"]["failure_kind"], "invalid",
        "{}",
        malformed["credssp"]
    );
    // Standard RDP Security: no MCS Connect Response within the step.
    let mcs = json(Hostile::McsSilent);
    let kinds: Vec<&Value> = mcs["rdp_security"]["offers"]
        .as_array()
        .map(|o| o.iter().map(|o| &o["outcome"]["failure_kind"]).collect())
        .unwrap_or_default();
    assert!(
        !kinds.is_empty() && kinds.iter().all(|k| *k == "timeout"),
        "{}",
        mcs["rdp_security"]
    );
    assert!(recheck(&mcs));
}
