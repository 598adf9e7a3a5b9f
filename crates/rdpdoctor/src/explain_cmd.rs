//! `rdpdoctor explain`.

use crate::args::{ExplainArgs, Format};
use crate::exit::EXIT_OK;
use rdpdoctor_kb::Explanation;
use rdpdoctor_render::safe::quote;
use serde::Serialize;
use std::io::Read;
use std::path::Path;

/// The most text `explain` reads from a file or standard input: enough for
/// any pasted dialog or log excerpt, little enough to scan at once.
pub const MAX_INPUT: u64 = 1024 * 1024;

/// The JSON of `rdpdoctor explain`: the versions every command's JSON
/// starts with, then the explanation's fields (docs/json-schema.md).
#[derive(Serialize)]
struct ExplainJson<'a> {
    schema_version: u32,
    tool_version: &'static str,
    #[serde(flatten)]
    explanation: &'a Explanation,
}

pub fn run(args: ExplainArgs) -> Result<u8, String> {
    let input = match (&args.file, args.input.as_slice()) {
        (Some(path), _) if path.as_os_str() == "-" => vec![read_stdin()?],
        (Some(path), _) => vec![read_file(path)?],
        (None, [one]) if one == "-" => vec![read_stdin()?],
        (None, words) => words.to_vec(),
    };
    let explanation = match rdpdoctor_kb::explain(&input) {
        Ok(e) => e,
        Err(rdpdoctor_kb::ExplainError::Unknown(_)) => {
            // One line: what was wrong (the input quoted, not all of it),
            // and where the accepted forms are listed.
            let text = input.join(" ");
            let text = text.trim();
            return Err(if text.is_empty() {
                "nothing to explain: the input is empty (see rdpdoctor explain --help)".to_owned()
            } else {
                format!(
                    "nothing recognised in {}: see rdpdoctor explain --help for the accepted forms",
                    quote(text)
                )
            });
        }
    };
    let out = match args.format {
        Format::Json => rdpdoctor_render::json(&ExplainJson {
            schema_version: rdpdoctor_evidence::SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION"),
            explanation: &explanation,
        }),
        // `--format` takes only text or json here.
        Format::Text | Format::Markdown | Format::Html => {
            let style = args.color.style();
            rdpdoctor_render::diagnosis::explanation(&explanation, &style)
        }
    };
    crate::output::print_out(&out, args.format)?;
    Ok(EXIT_OK)
}

fn read_stdin() -> Result<String, String> {
    bounded(std::io::stdin().lock(), "standard input")
}

fn read_file(path: &Path) -> Result<String, String> {
    let name = quote(&path.to_string_lossy());
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {name}: {e}"))?;
    bounded(file, &name)
}

/// At most [`MAX_INPUT`] bytes of `r`, as text (bytes that are not UTF-8
/// become U+FFFD: a log may mix encodings).
fn bounded(r: impl Read, what: &str) -> Result<String, String> {
    let mut buf = Vec::new();
    r.take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read {what}: {e}"))?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(format!(
            "{what} is larger than 1 MiB: give only the lines around the error"
        ));
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
