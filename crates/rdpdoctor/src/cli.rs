//! The top of the binary: parses the command line (usage errors as one
//! line each; clap's own are several lines and quote input unbounded),
//! opens `--output`, and hands each command to its `*_cmd` module; their
//! result becomes the exit status.

use crate::args::{Cli, Command};
use crate::exit::error_exit;
#[cfg(feature = "lab")]
use crate::{demo_cmd, lab_cmd};
use crate::{explain_cmd, exporter_cmd, inspect_cmd, install_cmd, output, probe_cmd, scan_cmd};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use rdpdoctor_render::safe::{QUOTE_CHARS, quote};
use std::ffi::OsString;
use std::process::ExitCode;

/// Runs the command line `args` (the program name first): the whole life of
/// one `rdpdoctor` invocation.
pub fn run(args: Vec<OsString>) -> ExitCode {
    let cli = match parse(args) {
        Parsed::Run(cli) => *cli,
        Parsed::Printed => return ExitCode::SUCCESS,
        Parsed::Usage(message) => return error_exit(&message),
    };
    let output = match &cli.command {
        Command::Probe(a) => a.output.as_deref(),
        Command::Inspect(a) => a.output.as_deref(),
        Command::Explain(a) => a.output.as_deref(),
        Command::Scan(a) => a.output.as_deref(),
        _ => None,
    };
    if let Some(path) = output
        && let Err(message) = output::to_file(path)
    {
        return error_exit(&message);
    }
    let result = match cli.command {
        Command::Probe(args) => args.check().and_then(|()| probe_cmd::run(*args)),
        Command::Scan(args) => scan_cmd::run(args),
        Command::Inspect(args) => inspect_cmd::run(args),
        Command::Explain(args) => explain_cmd::run(args),
        #[cfg(feature = "lab")]
        Command::Demo(args) => demo_cmd::run(args),
        #[cfg(feature = "lab")]
        Command::Lab {
            cmd: crate::args::LabCommand::Serve(args),
        } => lab_cmd::run(args),
        #[cfg(not(feature = "lab"))]
        Command::Demo(_) | Command::Lab(_) => {
            Err("this build has no lab commands (built without the lab feature)".to_owned())
        }
        Command::Exporter(args) => exporter_cmd::run(args),
        Command::Completions(args) => install_cmd::completions(args),
        Command::Man(args) => install_cmd::man(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => error_exit(&message),
    }
}

/// What [`run`] does with the command line.
pub enum Parsed {
    /// Run this.
    Run(Box<Cli>),
    /// `--help` or `--version` was printed: exit 0.
    Printed,
    /// A usage error, as one line (without the `rdpdoctor: ` prefix).
    Usage(String),
}

/// Parses the command line. Help and version go to stdout as clap writes
/// them; every usage error becomes one line.
pub fn parse(args: Vec<OsString>) -> Parsed {
    use clap::{CommandFactory, FromArgMatches};
    // nmap's spelling of a target list file, `-iL FILE`, as clap's long option.
    let args: Vec<OsString> = args
        .into_iter()
        .map(|a| if a == "-iL" { "--input-list".into() } else { a })
        .collect();
    let mut command = Cli::command();
    // Only `--version` pays for loading the knowledge base to count it.
    if args.iter().skip(1).any(|a| a == "--version" || a == "-V") {
        let version: &'static str = long_version().leak();
        command = command.version(version).long_version(version);
    }
    match command
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => Parsed::Run(Box::new(cli)),
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                // A closed stdout (`--help | head -1`) is not an error.
                let _ = e.print();
                Parsed::Printed
            }
            _ => Parsed::Usage(usage_error(&e, &args)),
        },
    }
}

/// `0.1.0 (knowledge base 2026-11-26, 500 codes, 39 causes)`: the binary's
/// version and that of the knowledge base built into it.
pub fn long_version() -> String {
    let kb = rdpdoctor_kb::kb();
    let lab = if cfg!(feature = "lab") {
        ""
    } else {
        "; built without the lab feature"
    };
    format!(
        "{} (knowledge base {}, {} codes, {} causes{lab})",
        env!("CARGO_PKG_VERSION"),
        rdpdoctor_kb::VERSION,
        kb.codes().len(),
        kb.causes().len()
    )
}

fn context(e: &clap::Error, kind: ContextKind) -> Option<String> {
    let text = match e.get(kind)? {
        ContextValue::None => return None,
        ContextValue::Bool(b) => b.to_string(),
        ContextValue::String(s) => s.clone(),
        ContextValue::Strings(v) => v.join(", "),
        ContextValue::StyledStr(s) => s.to_string(),
        ContextValue::StyledStrs(v) => v
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        ContextValue::Number(n) => n.to_string(),
        _ => return None,
    };
    Some(text)
}

/// The command the user ran, e.g. `rdpdoctor lab serve`, from the
/// arguments (clap's usage line is not in every error).
fn command_path(args: &[OsString]) -> String {
    let mut words = args
        .iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .filter(|a| !a.starts_with('-'));
    match words.next() {
        Some(c @ ("probe" | "inspect" | "explain" | "demo" | "completions" | "man")) => {
            format!("rdpdoctor {c}")
        }
        Some("lab") if words.next() == Some("serve") => "rdpdoctor lab serve".to_owned(),
        Some("lab") => "rdpdoctor lab".to_owned(),
        _ => "rdpdoctor".to_owned(),
    }
}

/// `--format` from "--format <FORMAT>"; `CODE OR TEXT` from "[CODE OR TEXT]...".
fn arg_name(s: &str) -> String {
    let name = if s.starts_with(['<', '[']) {
        s.trim_end_matches('.').trim_matches(['<', '>', '[', ']'])
    } else {
        s.split_whitespace().next().unwrap_or(s)
    };
    rdpdoctor_render::safe::term_max(name, QUOTE_CHARS)
}

/// One line for a clap error: what was wrong, what is accepted, where the
/// help is. User input is quoted with [`quote`].
pub fn usage_error(e: &clap::Error, args: &[OsString]) -> String {
    let cmd = command_path(args);
    let help = format!("see {cmd} --help");
    let arg = context(e, ContextKind::InvalidArg).map(|a| arg_name(&a));
    let value = context(e, ContextKind::InvalidValue);
    let valid = context(e, ContextKind::ValidValue);
    match e.kind() {
        ErrorKind::InvalidValue => {
            let arg = arg.unwrap_or_default();
            let valid = valid
                .map(|v| format!(": use {}", v.replace(", ", " or ")))
                .unwrap_or_default();
            match value.as_deref() {
                None | Some("") => format!("{arg} needs a value{valid}"),
                Some(v) => format!("invalid value {} for {arg}{valid}", quote(v)),
            }
        }
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(e)
                .map(|s| format!(": {}", rdpdoctor_render::safe::line(&s.to_string(), 200)))
                .unwrap_or_default();
            format!(
                "invalid value {} for {}{why}",
                quote(value.as_deref().unwrap_or("")),
                arg.unwrap_or_default()
            )
        }
        ErrorKind::UnknownArgument => {
            let typed = context(e, ContextKind::InvalidArg).unwrap_or_default();
            let hint = match context(e, ContextKind::SuggestedArg) {
                Some(s) => format!(" (did you mean {}?)", arg_name(&s)),
                None if typed.starts_with('-') && cmd == "rdpdoctor explain" => {
                    " (to explain it as text, put -- before it)".to_owned()
                }
                None => String::new(),
            };
            format!(
                "unexpected argument {} for {cmd}{hint} ({help})",
                quote(&typed)
            )
        }
        ErrorKind::InvalidSubcommand => {
            let typed = context(e, ContextKind::InvalidSubcommand).unwrap_or_default();
            let hint = context(e, ContextKind::SuggestedSubcommand)
                .map(|s| format!(" (did you mean {}?)", arg_name(&s)))
                .unwrap_or_default();
            let commands = if cmd == "rdpdoctor lab" {
                "serve"
            } else {
                "probe, explain, demo or lab serve"
            };
            format!(
                "unknown command {}{hint}: use {commands} ({help})",
                quote(&typed)
            )
        }
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            if cmd == "rdpdoctor lab" {
                format!("give a command: rdpdoctor lab serve ({help})")
            } else {
                format!("give a command: probe, explain, demo or lab serve ({help})")
            }
        }
        ErrorKind::MissingRequiredArgument => {
            let missing = context(e, ContextKind::InvalidArg).unwrap_or_default();
            let what = match cmd.as_str() {
                "rdpdoctor probe" if missing.contains("<TARGET>") => {
                    "the host to probe is missing: rdpdoctor probe HOST[:PORT]".to_owned()
                }
                "rdpdoctor explain" => {
                    "nothing to explain: give a code or text, `-` for standard input, or --file FILE"
                        .to_owned()
                }
                _ => format!("missing {}", rdpdoctor_render::safe::line(&missing, 200)),
            };
            format!("{what} ({help})")
        }
        ErrorKind::ArgumentConflict => {
            let prior = context(e, ContextKind::PriorArg)
                .map(|p| arg_name(&p))
                .unwrap_or_default();
            format!(
                "{} cannot be used with {prior} ({help})",
                arg.unwrap_or_default()
            )
        }
        ErrorKind::InvalidUtf8 => format!("an argument is not valid UTF-8 ({help})"),
        _ => {
            // Anything else: clap's first line, without its "error: ".
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("bad usage");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            format!("{} ({help})", rdpdoctor_render::safe::line(first, 200))
        }
    }
}
