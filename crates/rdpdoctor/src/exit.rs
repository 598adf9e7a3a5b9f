//! Exit statuses, and the one line on stderr that ends a run with bad usage
//! or input.

use std::io::Write as _;
use std::process::ExitCode;

/// Exit status: no `fail` finding.
pub const EXIT_OK: u8 = 0;
/// Exit status: at least one `fail` finding.
// Only `demo` names it (probe and scan take theirs from the verdict).
#[cfg_attr(not(feature = "lab"), allow(dead_code))]
pub const EXIT_FINDINGS: u8 = 1;
/// Exit status: bad usage or input.
pub const EXIT_USAGE: u8 = 2;

/// The longest error message, in characters, after `rdpdoctor: ` (inputs in
/// it are quoted shorter still; this is the net for any that are not).
pub const MAX_ERROR_CHARS: usize = 388;

/// `rdpdoctor: MESSAGE` as one line on stderr, and the usage exit status.
/// Whatever the message holds, the line has no control characters and a
/// bounded length.
pub fn error_exit(message: &str) -> ExitCode {
    let line = rdpdoctor_render::safe::line(message, MAX_ERROR_CHARS);
    // stderr closed or a broken pipe: there is nobody to tell.
    let _ = writeln!(std::io::stderr().lock(), "rdpdoctor: {line}");
    ExitCode::from(EXIT_USAGE)
}
