//! Watching a running `rdpdoctor` for a secret: its command line and
//! environment, and those of every process below it, sampled from /proc
//! while it runs (the secrets tests of the NTLM and the Kerberos paths).

use std::process::{Child, Output};

/// True when `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// `pid` and every process below it.
pub fn process_tree(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let parent = all[i];
        if let Ok(dir) = std::fs::read_dir("/proc") {
            for e in dir.flatten() {
                let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                    continue;
                };
                let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
                // pid (comm) state ppid …; comm may hold spaces, so read after the last ')'.
                let ppid = stat
                    .rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                    .and_then(|s| s.parse::<u32>().ok());
                if ppid == Some(parent) && !all.contains(&p) {
                    all.push(p);
                }
            }
        }
        i += 1;
    }
    all
}

/// Waits for `child`, sampling the command line and environment of its
/// process tree every 5 ms; panics when `secret` is in one. Returns its
/// output (for the caller to search too) and how many samples were taken.
pub fn watch(mut child: Child, secret: &str) -> (Output, usize) {
    let pid = child.id();
    let mut seen = 0;
    while child.try_wait().unwrap().is_none() {
        for p in process_tree(pid) {
            seen += 1;
            for what in ["cmdline", "environ"] {
                if let Ok(bytes) = std::fs::read(format!("/proc/{p}/{what}")) {
                    assert!(
                        !contains(&bytes, secret.as_bytes()),
                        "the password is in /proc/{p}/{what}"
                    );
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    (child.wait_with_output().unwrap(), seen)
}

/// `rdpdoctor ARGS` (a probe with `--format json` and the password in a
/// file), watched while it runs ([`watch`]): the secret is in no process's
/// command line or environment, nor on stdout, stderr or in the JSON.
pub fn probe_watched<I, S>(args: I, secret: &str) -> crate::lab::Probe
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    probe_watched_with(args, secret, crate::run::no_krb5_conf())
}

/// [`probe_watched`] reading `krb5_config` as its krb5.conf (`KRB5_CONFIG`).
pub fn probe_watched_with<I, S>(args: I, secret: &str, krb5_config: &str) -> crate::lab::Probe
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let child = std::process::Command::new(crate::run::bin())
        .args(args)
        .env_remove("RDPDOCTOR_PASSWORD")
        .env("KRB5_CONFIG", krb5_config)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run rdpdoctor");
    let start = std::time::Instant::now();
    let (out, seen) = watch(child, secret);
    assert!(seen > 0, "the process was never sampled");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stdout.contains(secret), "the password is on stdout");
    assert!(!stderr.contains(secret), "the password is on stderr");
    let json: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    assert!(
        !json.to_string().contains(secret),
        "the password is in the JSON"
    );
    crate::lab::Probe {
        json,
        code: out.status.code().unwrap_or(-1),
        elapsed: start.elapsed(),
        stderr,
    }
}
