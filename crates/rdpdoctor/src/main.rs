//! rdpdoctor: tells you why a Remote Desktop connection fails, and how to fix it.
//!
//! A thin binary: argument parsing, progress, and exit codes. The work is in
//! the library crates (see ARCHITECTURE.md).

mod cli;
#[cfg(feature = "lab")]
mod demo_cmd;
mod explain_cmd;
mod exporter_cmd;
mod inspect_cmd;
mod install_cmd;
#[cfg(feature = "lab")]
mod lab_cmd;
mod output;
mod password;
mod probe_cmd;
mod scan_cmd;

use std::io::Write as _;
use std::process::ExitCode;

/// Exit status: no `fail` finding.
pub const EXIT_OK: u8 = 0;
/// Exit status: at least one `fail` finding.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit status: bad usage or input.
pub const EXIT_USAGE: u8 = 2;

/// The longest error message, in characters, after `rdpdoctor: ` (inputs in
/// it are quoted shorter still; this is the net for any that are not).
pub const MAX_ERROR_CHARS: usize = 388;

fn main() -> ExitCode {
    let cli = match cli::parse(std::env::args_os().collect()) {
        cli::Parsed::Run(cli) => *cli,
        cli::Parsed::Printed => return ExitCode::SUCCESS,
        cli::Parsed::Usage(message) => return error_exit(&message),
    };
    let output = match &cli.command {
        cli::Command::Probe(a) => a.output.as_deref(),
        cli::Command::Inspect(a) => a.output.as_deref(),
        cli::Command::Explain(a) => a.output.as_deref(),
        cli::Command::Scan(a) => a.output.as_deref(),
        _ => None,
    };
    if let Some(path) = output
        && let Err(message) = output::to_file(path)
    {
        return error_exit(&message);
    }
    let result = match cli.command {
        cli::Command::Probe(args) => args.check().and_then(|()| probe_cmd::run(args)),
        cli::Command::Scan(args) => scan_cmd::run(args),
        cli::Command::Inspect(args) => inspect_cmd::run(args),
        cli::Command::Explain(args) => explain_cmd::run(args),
        #[cfg(feature = "lab")]
        cli::Command::Demo(args) => demo_cmd::run(args),
        #[cfg(feature = "lab")]
        cli::Command::Lab {
            cmd: cli::LabCommand::Serve(args),
        } => lab_cmd::run(args),
        #[cfg(not(feature = "lab"))]
        cli::Command::Demo(_) | cli::Command::Lab(_) => {
            Err("this build has no lab commands (built without the lab feature)".to_owned())
        }
        cli::Command::Exporter(args) => exporter_cmd::run(args),
        cli::Command::Completions(args) => install_cmd::completions(args),
        cli::Command::Man(args) => install_cmd::man(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => error_exit(&message),
    }
}

/// `rdpdoctor: MESSAGE` as one line on stderr, and the usage exit status.
/// Whatever the message holds, the line has no control characters and a
/// bounded length.
fn error_exit(message: &str) -> ExitCode {
    let line = rdpdoctor_render::safe::line(message, MAX_ERROR_CHARS);
    // stderr closed or a broken pipe: there is nobody to tell.
    let _ = writeln!(std::io::stderr().lock(), "rdpdoctor: {line}");
    ExitCode::from(EXIT_USAGE)
}

/// Writes a command's output to stdout or the `--output` file (see [`output`]).
pub fn print_out(text: &str, format: cli::Format) -> Result<(), String> {
    output::print(text, Some(format))
}

/// Writes generated files (completion scripts, manual pages) to stdout
/// exactly, without the Windows ASCII fallback of [`print_out`].
pub fn print_verbatim(text: &str) -> Result<(), String> {
    output::print(text, None)
}
