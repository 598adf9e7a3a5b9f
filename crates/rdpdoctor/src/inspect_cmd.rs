//! `rdpdoctor inspect`.

use crate::args::{Format, InspectArgs};
use rdpdoctor_evidence::GatewayUsage;

pub fn run(args: InspectArgs) -> Result<u8, String> {
    let codes = crate::inputs::read_error_hint(args.error.as_deref())?;
    let opts = rdpdoctor_capture::Options {
        gateway: match &args.rdp_file {
            Some(path) if args.gateway.is_none() => {
                if !args
                    .sources
                    .iter()
                    .any(|s| crate::capture_input::is_capture(s))
                {
                    return Err("--rdp-file names the RD Gateway of a packet capture: give a capture (pcap, pcapng) too".into());
                }
                // A file that says the client never uses its gateway (0) or
                // bypasses it (4) names no hop of this connection.
                crate::rdp_input::read(path)?
                    .gateway()
                    .filter(|g| !matches!(g.usage, GatewayUsage::Never | GatewayUsage::Bypass))
                    .map(|g| crate::rdp_input::gateway_name(&g))
            }
            _ => args.gateway.clone(),
        },
    };
    let (capture, sources) = crate::capture_input::split(&args.sources, &opts)?;
    // A capture alone reads no host source; beside one, both are judged.
    let host = if capture.is_none() || !sources.is_empty() || args.local {
        Some(crate::inputs::read(
            &sources,
            args.local,
            args.since,
            args.computer.as_deref(),
        )?)
    } else {
        None
    };
    let client =
        crate::inputs::read_client(&args.client_evidence, args.client_local, host.as_ref())?;
    let ctx = rdpdoctor_diagnose::Context {
        clients: Vec::new(),
        environment: args.environment,
    };
    let now = crate::inputs::now_unix();
    let input = host.as_ref().map(|h| rdpdoctor_diagnose::HostInput {
        evidence: h,
        now_unix: now,
    });
    let evidence = rdpdoctor_diagnose::Evidence {
        host: input,
        capture: capture.as_ref(),
        ..rdpdoctor_diagnose::Evidence::default()
    }
    .with_client(client.as_ref().map(|c| rdpdoctor_diagnose::HostInput {
        evidence: c,
        now_unix: now,
    }))
    .with_codes(codes.as_ref().map(crate::inputs::ErrorHint::as_user_codes));
    let judgement = rdpdoctor_diagnose::judge(&evidence, &ctx);
    let empty = rdpdoctor_evidence::HostEvidence::default();
    let host_ev = host.as_ref().unwrap_or(&empty);
    let subject = match (&capture, &host) {
        (Some(c), None) => rdpdoctor_render::capture::subject(c),
        _ => rdpdoctor_render::host::subject(host_ev),
    };
    // When the host was inspected: said only when host sources were read.
    let at = host.as_ref().map(|_| rfc3339(now));
    let out = match args.format {
        Format::Json => {
            let mut v = rdpdoctor_render::inspect_json(host_ev, &judgement, &rfc3339(now));
            if let (Some(c), Some(obj)) = (&capture, v.as_object_mut())
                && let Ok(c) = serde_json::to_value(c)
            {
                obj.insert("capture".into(), c);
            }
            rdpdoctor_render::json(&v)
        }
        Format::Markdown if args.brief => rdpdoctor_render::markdown::answer(&subject, &judgement),
        Format::Markdown => match &capture {
            Some(c) => rdpdoctor_render::markdown::capture_report(
                c,
                host.as_ref(),
                &judgement,
                at.as_deref(),
            ),
            None => rdpdoctor_render::markdown::inspect_report(host_ev, &judgement, &rfc3339(now)),
        },
        Format::Html if args.brief => rdpdoctor_render::html::answer(&subject, &judgement),
        Format::Html => match &capture {
            Some(c) => {
                rdpdoctor_render::html::capture_report(c, host.as_ref(), &judgement, at.as_deref())
            }
            None => rdpdoctor_render::html::inspect_report(host_ev, &judgement, &rfc3339(now)),
        },
        Format::Text => {
            let style = args.color.style();
            let head = rdpdoctor_render::head::head_of(&subject, &judgement, &style);
            if args.brief {
                rdpdoctor_render::head::brief(head, &judgement)
            } else {
                let mut bodies = Vec::new();
                if let Some(c) = &capture {
                    bodies.push(rdpdoctor_render::capture::capture_report(
                        c,
                        &judgement,
                        host.is_none(),
                        &style,
                    ));
                }
                if let Some(h) = &host {
                    bodies.push(rdpdoctor_render::host::host_report(h, &judgement, &style));
                }
                rdpdoctor_render::text_report(head, &bodies, &judgement, &style)
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
