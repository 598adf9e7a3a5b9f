//! `rdpdoctor explain`.

use crate::EXIT_OK;
use crate::cli::{ExplainArgs, Format};

pub fn run(args: ExplainArgs) -> Result<u8, String> {
    let explanation = match rdpdoctor_kb::explain(&args.input) {
        Ok(e) => e,
        Err(rdpdoctor_kb::ExplainError::Unknown(msg)) => {
            // One line: what was wrong, and where the accepted forms are listed.
            let first = msg.lines().next().unwrap_or("nothing recognised");
            return Err(format!(
                "{first} See `rdpdoctor explain --help` for the accepted forms."
            ));
        }
    };
    let out = match args.format {
        Format::Json => rdpdoctor_render::json(&explanation),
        Format::Text => {
            let style = args.color.style();
            rdpdoctor_render::diagnosis::explanation(&explanation, &style)
        }
    };
    print!("{out}");
    Ok(EXIT_OK)
}
