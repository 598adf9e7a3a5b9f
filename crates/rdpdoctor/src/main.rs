//! rdpdoctor: tells you why a Remote Desktop connection fails, and how to fix it.
//!
//! A thin binary: argument parsing, progress, and exit codes. The work is in
//! the library crates (see ARCHITECTURE.md).

mod cli;
mod demo_cmd;
mod explain_cmd;
mod lab_cmd;
mod probe_cmd;

use clap::Parser;
use std::process::ExitCode;

/// Exit status: no `fail` finding.
pub const EXIT_OK: u8 = 0;
/// Exit status: at least one `fail` finding.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit status: bad usage or input.
pub const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Probe(args) => probe_cmd::run(args),
        cli::Command::Explain(args) => explain_cmd::run(args),
        cli::Command::Demo(args) => demo_cmd::run(args),
        cli::Command::Lab {
            cmd: cli::LabCommand::Serve(args),
        } => lab_cmd::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("rdpdoctor: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
