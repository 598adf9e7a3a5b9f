//! `rdpdoctor inspect`.

use crate::args::{Format, InspectArgs};

pub fn run(args: InspectArgs) -> Result<u8, String> {
    if let Some(e) = &args.error {
        crate::inputs::check_error_hint(e)?;
    }
    let host = crate::inputs::read(&args.sources, args.local, args.since)?;
    let ctx = rdpdoctor_diagnose::Context {
        error: args.error.clone(),
        clients: Vec::new(),
        environment: args.environment,
    };
    let now = crate::inputs::now_unix();
    let input = rdpdoctor_diagnose::HostInput {
        evidence: &host,
        now_unix: now,
    };
    let judgement = rdpdoctor_diagnose::judge_host(input, &ctx).map_err(|e| e.to_string())?;
    let out = match args.format {
        Format::Json => rdpdoctor_render::json(&rdpdoctor_render::inspect_json(
            &host,
            &judgement,
            &rfc3339(now),
        )),
        Format::Markdown if args.brief => {
            rdpdoctor_render::markdown::answer(&rdpdoctor_render::host::subject(&host), &judgement)
        }
        Format::Markdown => {
            rdpdoctor_render::markdown::inspect_report(&host, &judgement, &rfc3339(now))
        }
        Format::Html if args.brief => {
            rdpdoctor_render::html::answer(&rdpdoctor_render::host::subject(&host), &judgement)
        }
        Format::Html => rdpdoctor_render::html::inspect_report(&host, &judgement, &rfc3339(now)),
        Format::Text => {
            let style = args.color.style();
            let subject = rdpdoctor_render::host::subject(&host);
            let head = rdpdoctor_render::head::head_of(&subject, &judgement, &style);
            if args.brief {
                head
            } else {
                let body = rdpdoctor_render::host::host_report(&host, &judgement, &style);
                rdpdoctor_render::text_report(head, &[body], &judgement, &style)
            }
        }
    };
    crate::output::print_out(&out, args.format)?;
    Ok(judgement.verdict.exit_code())
}

/// RFC 3339 UTC for Unix seconds.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
