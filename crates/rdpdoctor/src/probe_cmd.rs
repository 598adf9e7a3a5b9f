//! `rdpdoctor probe`.

use crate::args::{Format, ProbeArgs, ScanProfile};
use indicatif::{ProgressBar, ProgressStyle};
use rdpdoctor_probe::{ProbeOptions, Progress, parse_target};
use std::io::IsTerminal;
use std::time::Duration;

struct Spinner(ProgressBar);

impl Progress for Spinner {
    fn stage(&self, name: &str) {
        self.0.set_message(name.to_owned());
    }
}

pub fn run(args: ProbeArgs) -> Result<u8, String> {
    let target = parse_target(&args.target).map_err(|e| e.to_string())?;
    let gateway = match &args.gateway {
        Some(g) => Some(rdpdoctor_probe::parse_gateway(g)?),
        None => None,
    };
    // Check the error hint and read the host evidence before spending time
    // on the network.
    let codes = crate::inputs::read_error_hint(args.error.as_deref())?;
    let host = if args.host_evidence.is_empty() && !args.host_local {
        None
    } else {
        Some(crate::inputs::read(
            &args.host_evidence,
            args.host_local,
            args.since,
            None,
        )?)
    };
    // The password before the network, so a bad one costs no traffic.
    let credentials = match &args.user {
        Some(user) => Some(crate::password::credentials(
            user,
            args.password_file.as_deref(),
        )?),
        None => None,
    };
    let opts = ProbeOptions {
        step_timeout: Duration::from_secs_f64(args.timeout),
        ceiling: Duration::from_secs_f64(args.ceiling),
        samples: args.samples,
        address: args.address,
        reverse_dns: !args.no_reverse_dns,
        credentials,
        profile: match args.profile {
            ScanProfile::Fast => rdpdoctor_probe::Profile::Fast,
            ScanProfile::Full => rdpdoctor_probe::Profile::Full,
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;

    // A spinner only when a person watches stderr.
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::new_spinner();
        b.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        b.enable_steady_tick(Duration::from_millis(100));
        Some(b)
    } else {
        None
    };
    let report = runtime.block_on(async {
        let spinner = bar.as_ref().map(|b| Spinner(b.clone()));
        let progress: &dyn Progress = match &spinner {
            Some(s) => s,
            None => &rdpdoctor_probe::NoProgress,
        };
        match &gateway {
            Some(g) => rdpdoctor_probe::probe_via_gateway(target, g, &opts, progress).await,
            None => rdpdoctor_probe::probe(target, &opts, progress).await,
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    if let Some(h) = &host {
        crate::inputs::same_machine_as_wire(h, &report)?;
    }
    let ctx = rdpdoctor_diagnose::Context {
        clients: args.client.clone(),
        environment: args.environment,
    };
    let input = host.as_ref().map(|h| rdpdoctor_diagnose::HostInput {
        evidence: h,
        now_unix: crate::inputs::now_unix(),
    });
    let evidence = rdpdoctor_diagnose::Evidence::wire(&report)
        .with_host(input)
        .with_codes(codes.as_ref().map(crate::inputs::ErrorHint::as_user_codes));
    let judgement = rdpdoctor_diagnose::judge(&evidence, &ctx);
    let out = match args.format {
        Format::Json => {
            let mut v = rdpdoctor_render::probe_json(&report, &judgement);
            if let (Some(h), Some(obj)) = (&host, v.as_object_mut()) {
                obj.insert(
                    "host".to_owned(),
                    serde_json::to_value(h).unwrap_or(serde_json::Value::Null),
                );
            }
            rdpdoctor_render::json(&v)
        }
        Format::Markdown if args.brief => rdpdoctor_render::markdown::answer(
            &rdpdoctor_render::outline::probe_title(&report),
            &judgement,
        ),
        Format::Markdown => {
            rdpdoctor_render::markdown::probe_report(&report, &judgement, host.as_ref())
        }
        Format::Html if args.brief => rdpdoctor_render::html::answer(
            &rdpdoctor_render::outline::probe_title(&report),
            &judgement,
        ),
        Format::Html => rdpdoctor_render::html::probe_report(&report, &judgement, host.as_ref()),
        Format::Text => {
            let style = args.color.style();
            let head = rdpdoctor_render::head::head(&report, &judgement, &style);
            if args.brief {
                head
            } else {
                let mut body = vec![rdpdoctor_render::text::probe_report(
                    &report, &judgement, &style,
                )];
                if let Some(h) = &host {
                    body.push(rdpdoctor_render::host::host_report(h, &judgement, &style));
                }
                rdpdoctor_render::text_report(head, &body, &judgement, &style)
            }
        }
    };
    crate::output::print_out(&out, args.format)?;
    Ok(judgement.verdict.exit_code())
}
