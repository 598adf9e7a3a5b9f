//! `rdpdoctor completions SHELL` and `rdpdoctor man`: what an install adds
//! besides the binary, generated from the command-line definition in
//! `cli.rs` by the binary itself, so they always match the installed version
//! (no build step, nothing to keep in step by hand).

use crate::cli::Cli;
use clap::{Args, CommandFactory};
use std::path::{Path, PathBuf};

/// `rdpdoctor completions` options.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `rdpdoctor man` options.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write rdpdoctor.1 and one page per command (rdpdoctor-probe.1, …) into DIR (made if missing)
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Prints the completion script for one shell.
pub fn completions(args: CompletionsArgs) -> Result<u8, String> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "rdpdoctor", &mut script);
    crate::print_verbatim(&String::from_utf8_lossy(&script))?;
    Ok(crate::EXIT_OK)
}

/// Prints rdpdoctor(1), or writes every page into `--dir`.
pub fn man(args: ManArgs) -> Result<u8, String> {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    match args.dir {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .map_err(|e| format!("cannot render the manual page: {e}"))?;
            crate::print_verbatim(&String::from_utf8_lossy(&page))?;
        }
        Some(dir) => {
            let mut written = String::new();
            std::fs::create_dir_all(&dir)
                .and_then(|()| write_pages(&command, &dir, &mut written))
                .map_err(|e| {
                    format!(
                        "cannot write the manual pages into {}: {e}",
                        crate::cli::quote(&dir.to_string_lossy())
                    )
                })?;
            crate::print_out(&written, crate::cli::Format::Text)?;
        }
    }
    Ok(crate::EXIT_OK)
}

/// One page for `command` and one for each visible subcommand, below it;
/// their paths, one per line, into `written`.
fn write_pages(command: &clap::Command, dir: &Path, written: &mut String) -> std::io::Result<()> {
    let path = clap_mangen::Man::new(command.clone()).generate_to(dir)?;
    written.push_str(&format!("{}\n", path.display()));
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    Ok(())
}
