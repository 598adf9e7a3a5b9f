//! rdpdoctor: tells you why a Remote Desktop connection fails, and how to fix it.
//!
//! The binary wires sources to the engine and the renderers, one `*_cmd`
//! module per command; `cli` is the top (parse, dispatch, exit status),
//! `args` what the command line accepts, `inputs` what a command reads
//! before it judges, `output` where the report goes, `exit` the statuses.
//! The work is in the library crates (see ARCHITECTURE.md).
//!
//! Imports run one way: `cli` → `*_cmd` → `password`, `output` → `args` →
//! `inputs` → `exit`; nothing imports `cli` back.

mod args;
mod capture_input;
mod cli;
#[cfg(feature = "lab")]
mod demo_cmd;
mod exit;
mod explain_cmd;
mod exporter_cmd;
mod inputs;
mod inspect_cmd;
mod install_cmd;
mod kerberos_start;
mod krb5_input;
#[cfg(feature = "lab")]
mod lab_cmd;
mod output;
mod password;
mod probe_cmd;
mod rdp_input;
mod realm;
mod scan_cmd;

fn main() -> std::process::ExitCode {
    cli::run(std::env::args_os().collect())
}
