//! The reference client (xfreerdp 2.11) under a throwaway X display, with a
//! time limit.

use std::process::Command;

/// `xvfb-run -a timeout SECS xfreerdp`: the caller adds the client's
/// arguments. `timeout` runs inside `xvfb-run`, so a client it stops (a
/// server that never answers) still lets `xvfb-run` stop its Xvfb; outside,
/// it killed `xvfb-run` and left the Xvfb holding a display, which makes
/// the next `lab up` on that machine refuse.
pub fn under_xvfb(secs: u32) -> Command {
    let mut cmd = Command::new("xvfb-run");
    cmd.args(["-a", "timeout", &secs.to_string(), "xfreerdp"]);
    cmd
}
