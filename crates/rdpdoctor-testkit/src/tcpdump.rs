//! Captures recorded by tcpdump on loopback while a test's traffic runs: the
//! real tool that makes a capture fixture (needs tcpdump and root).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

/// Records on `lo` what the tcpdump `filter` expression keeps into `file`,
/// from before `during` runs until just after it returns.
pub fn record(file: &Path, filter: &str, during: impl FnOnce()) {
    let mut tcpdump = Command::new("tcpdump")
        .args(["-i", "lo", "--immediate-mode", "-U", "-n", "-w"])
        .arg(file)
        .args(filter.split_whitespace())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tcpdump (lab/install.sh installs it)");
    let mut err = BufReader::new(tcpdump.stderr.take().unwrap());
    let mut line = String::new();
    // "tcpdump: listening on lo, ...": from here on packets are kept.
    while err.read_line(&mut line).unwrap_or(0) > 0 && !line.contains("listening on") {
        line.clear();
    }
    during();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // Its own process only: never a tcpdump another test started.
    let _ = Command::new("kill")
        .args(["-INT", &tcpdump.id().to_string()])
        .status();
    let _ = tcpdump.wait();
}
