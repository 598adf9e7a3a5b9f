//! `rdpdoctor probe`.

use crate::cli::{Format, ProbeArgs};
use crate::{EXIT_FINDINGS, EXIT_OK};
use indicatif::{ProgressBar, ProgressStyle};
use rdpdoctor_evidence::Severity;
use rdpdoctor_probe::{ProbeOptions, Progress, parse_target};
use rdpdoctor_render::Style;
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
    let opts = ProbeOptions {
        step_timeout: Duration::from_secs_f64(args.timeout),
        ceiling: Duration::from_secs_f64(args.ceiling),
        samples: args.samples,
        address: args.address,
        reverse_dns: !args.no_reverse_dns,
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
        match &bar {
            Some(b) => rdpdoctor_probe::probe(target, &opts, &Spinner(b.clone())).await,
            None => rdpdoctor_probe::probe(target, &opts, &rdpdoctor_probe::NoProgress).await,
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    let out = match args.format {
        Format::Json => rdpdoctor_render::json(&report),
        Format::Text => {
            let style = Style::decide(
                args.color.as_str(),
                std::io::stdout().is_terminal(),
                std::env::var_os("NO_COLOR").as_deref(),
            );
            rdpdoctor_render::text::probe_report(&report, &style)
        }
    };
    print!("{out}");
    Ok(if report.worst() == Some(Severity::Fail) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}
