//! `rdpdoctor completions SHELL` and `rdpdoctor man`: what an install adds
//! besides the binary, generated from the command-line definition in
//! `args` by the binary itself, so they always match the installed version
//! (no build step, nothing to keep in step by hand).

use crate::args::{Cli, CompletionsArgs, ManArgs};
use clap::CommandFactory;
use std::path::Path;

/// Prints the completion script for one shell.
pub fn completions(args: CompletionsArgs) -> Result<u8, String> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "rdpdoctor", &mut script);
    crate::output::print_verbatim(&String::from_utf8_lossy(&script))?;
    Ok(crate::exit::EXIT_OK)
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
            crate::output::print_verbatim(&String::from_utf8_lossy(&page))?;
        }
        Some(dir) => {
            let mut written = String::new();
            std::fs::create_dir_all(&dir)
                .and_then(|()| write_pages(&command, &dir, &mut written))
                .map_err(|e| {
                    format!(
                        "cannot write the manual pages into {}: {e}",
                        rdpdoctor_render::safe::quote(&dir.to_string_lossy())
                    )
                })?;
            crate::output::print_out(&written, crate::args::Format::Text)?;
        }
    }
    Ok(crate::exit::EXIT_OK)
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
