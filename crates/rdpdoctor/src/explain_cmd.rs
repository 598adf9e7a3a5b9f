//! `rdpdoctor explain`.

use crate::args::{ExplainArgs, Format};
use crate::exit::EXIT_OK;
use rdpdoctor_diagnose::RankedCause;
use rdpdoctor_kb::Explanation;
use rdpdoctor_render::safe::quote;
use serde::Serialize;
use std::io::Read;
use std::path::Path;

/// The most text `explain` reads from a file or standard input: enough for
/// any pasted dialog or log excerpt, little enough to scan at once.
pub const MAX_INPUT: u64 = 1024 * 1024;

/// The JSON of `rdpdoctor explain`: the versions every command's JSON
/// starts with, then the explanation's fields, then the ranked causes
/// (docs/json-schema.md).
#[derive(Serialize)]
struct ExplainJson<'a> {
    schema_version: u32,
    tool_version: &'static str,
    #[serde(flatten)]
    explanation: &'a Explanation,
    causes: Vec<ExplainCause<'a>>,
}

/// One cause in `explain`'s JSON: the engine's ranked cause, with its share
/// of what the codes point to (the field names of schema version 2).
#[derive(Serialize)]
struct ExplainCause<'a> {
    id: &'a str,
    title: &'a str,
    summary: &'a str,
    share: f64,
    why: &'a [String],
    confirm: &'a [rdpdoctor_kb::ConfirmStep],
    fixes: &'a [rdpdoctor_kb::Fix],
}

impl<'a> ExplainCause<'a> {
    fn new(c: &'a RankedCause) -> Self {
        ExplainCause {
            id: &c.id,
            title: &c.title,
            summary: &c.summary,
            share: c.share.unwrap_or(0.0),
            why: &c.from_codes,
            confirm: &c.confirm,
            fixes: &c.fixes,
        }
    }
}

pub fn run(args: ExplainArgs) -> Result<u8, String> {
    let input = match (&args.file, args.input.as_slice()) {
        (Some(path), _) if path.as_os_str() == "-" => vec![read_stdin()?],
        (Some(path), _) => vec![read_file(path)?],
        (None, [one]) if one == "-" => vec![read_stdin()?],
        (None, words) => words.to_vec(),
    };
    let text = input.join(" ");
    let explanation = match rdpdoctor_diagnose::read_codes(&text) {
        Ok(e) => e,
        Err(_) => {
            // One line: what was wrong (the input quoted, not all of it),
            // and where the accepted forms are listed.
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
    // The same judgement as `probe --error`, over the codes alone.
    let ctx = rdpdoctor_diagnose::Context::default();
    let judgement = rdpdoctor_diagnose::judge(
        &rdpdoctor_diagnose::Evidence::codes(text.trim(), &explanation),
        &ctx,
    );
    let causes = &judgement.diagnosis.causes;
    let out = match args.format {
        Format::Json => rdpdoctor_render::json(&ExplainJson {
            schema_version: rdpdoctor_evidence::SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION"),
            explanation: &explanation,
            causes: causes.iter().map(ExplainCause::new).collect(),
        }),
        Format::Text => {
            let style = args.color.style();
            rdpdoctor_render::diagnosis::explanation(&explanation, causes, &style, args.brief)
        }
        Format::Markdown => {
            rdpdoctor_render::markdown::explain(text.trim(), &explanation, causes, args.brief)
        }
        Format::Html => {
            rdpdoctor_render::html::explain(text.trim(), &explanation, causes, args.brief)
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
