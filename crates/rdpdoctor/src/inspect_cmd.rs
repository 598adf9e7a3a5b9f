//! `rdpdoctor inspect`.

use crate::args::{Format, InspectArgs};

pub fn run(args: InspectArgs) -> Result<u8, String> {
    let codes = crate::inputs::read_error_hint(args.error.as_deref())?;
    let host = crate::inputs::read(
        &args.sources,
        args.local,
        args.since,
        args.computer.as_deref(),
    )?;
    let client = crate::inputs::read_client(&args.client_evidence, args.client_local, Some(&host))?;
    let ctx = rdpdoctor_diagnose::Context {
        clients: Vec::new(),
        environment: args.environment,
    };
    let now = crate::inputs::now_unix();
    let input = rdpdoctor_diagnose::HostInput {
        evidence: &host,
        now_unix: now,
    };
    let evidence = rdpdoctor_diagnose::Evidence::host(input)
        .with_client(client.as_ref().map(|c| rdpdoctor_diagnose::HostInput {
            evidence: c,
            now_unix: now,
        }))
        .with_codes(codes.as_ref().map(crate::inputs::ErrorHint::as_user_codes));
    let judgement = rdpdoctor_diagnose::judge(&evidence, &ctx);
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
                rdpdoctor_render::head::brief(head, &judgement)
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
