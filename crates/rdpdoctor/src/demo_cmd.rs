//! `rdpdoctor demo`: every emulated fault on loopback, probed and diagnosed,
//! in one table. Needs no installed packages and no network beyond 127.0.0.1.

use crate::args::{DemoArgs, Format};
use crate::exit::{EXIT_FINDINGS, EXIT_OK};
use indicatif::{ProgressBar, ProgressStyle};
use rdpdoctor_diagnose::{Context, Evidence, Judgement, Severity, judge as judge_report};
use rdpdoctor_emulator::{Fault, FaultConfig};
use rdpdoctor_evidence::{DeepOutcome, ProbeReport};
use rdpdoctor_probe::{NoProgress, ProbeOptions, parse_target, probe};
use rdpdoctor_render::Style;
use serde::Serialize;
use std::fmt::Write;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// One row of the demo table.
#[derive(Debug, Serialize)]
struct Row {
    fault: &'static str,
    description: &'static str,
    /// Fail and warn finding ids, most severe first.
    found: Vec<String>,
    /// The cause ranked first, if any.
    first_cause: Option<String>,
    /// The cause the fault stands for (`None`: a healthy host).
    expected_cause: Option<&'static str>,
    /// Whether the diagnosis is right.
    correct: bool,
    /// Why not, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
    probe_ms: f64,
}

/// The JSON of `rdpdoctor demo` (docs/json-schema.md).
#[derive(Debug, Serialize)]
struct DemoReport {
    schema_version: u32,
    tool_version: &'static str,
    rows: Vec<Row>,
    correct: usize,
    total: usize,
    elapsed_ms: f64,
}

pub fn run(args: DemoArgs) -> Result<u8, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let started = Instant::now();
    let bar = if std::io::stderr().is_terminal() && args.format == Format::Text {
        let b = ProgressBar::new(Fault::ALL.len() as u64);
        b.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} faults probed {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let step = Duration::from_secs_f64(args.timeout);
    let rows = runtime.block_on(async {
        let mut tasks = Vec::new();
        for &fault in Fault::ALL {
            let bar = bar.clone();
            tasks.push(tokio::spawn(async move {
                let row = demo_one(fault, step).await;
                if let Some(b) = &bar {
                    b.inc(1);
                }
                row
            }));
        }
        let mut rows = Vec::new();
        for t in tasks {
            match t.await {
                Ok(row) => rows.push(row),
                Err(e) => return Err(format!("a demo task failed: {e}")),
            }
        }
        Ok(rows)
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let report = DemoReport {
        schema_version: rdpdoctor_evidence::SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION"),
        correct: rows.iter().filter(|r| r.correct).count(),
        total: rows.len(),
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        rows,
    };
    let out = match args.format {
        Format::Json => rdpdoctor_render::json(&report),
        // `--format` takes only text or json here.
        Format::Text | Format::Markdown | Format::Html => table(&report, &args.color.style()),
    };
    crate::output::print_out(&out, args.format)?;
    Ok(if report.correct == report.total {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

async fn demo_one(fault: Fault, step: Duration) -> Row {
    let t = Instant::now();
    let mut row = Row {
        fault: fault.name(),
        description: fault.description(),
        found: Vec::new(),
        first_cause: None,
        expected_cause: fault.expected_cause(),
        correct: false,
        problem: None,
        probe_ms: 0.0,
    };
    let emulator = match rdpdoctor_emulator::spawn(
        FaultConfig::new(fault),
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    {
        Ok(e) => e,
        Err(e) => {
            row.problem = Some(format!("the emulator did not start: {e}"));
            return row;
        }
    };
    let target = match parse_target(&emulator.local_addr().to_string()) {
        Ok(t) => t,
        Err(e) => {
            row.problem = Some(e.to_string());
            return row;
        }
    };
    // The logon faults answer the AUTHENTICATE: the probe logs on once, with
    // the emulator's throwaway demo account, passed in-process (never in
    // argv or the environment).
    let credentials = if fault.needs_credentials() {
        match rdpdoctor_probe::Credentials::new(
            rdpdoctor_emulator::DEMO_USER,
            zeroize::Zeroizing::new(rdpdoctor_emulator::DEMO_PASSWORD.to_owned()),
        ) {
            Ok(c) => Some(c),
            Err(e) => {
                row.problem = Some(e);
                return row;
            }
        }
    } else {
        None
    };
    let opts = ProbeOptions {
        step_timeout: step,
        ceiling: step * 6,
        samples: 3,
        reverse_dns: false,
        credentials,
        ..Default::default()
    };
    let report = probe(target, &opts, &NoProgress).await;
    emulator.shutdown().await;
    row.probe_ms = t.elapsed().as_secs_f64() * 1000.0;
    let j = judge_report(&Evidence::wire(&report), &Context::default());
    row.found = found(&j);
    judge(fault, &report, &j, &mut row);
    row
}

/// The findings to show: those the first-ranked cause rests on (any
/// severity), then the other warn and fail findings.
fn found(j: &Judgement) -> Vec<String> {
    let supports = |id: &str| {
        j.diagnosis
            .causes
            .first()
            .is_some_and(|c| c.evidence_for.iter().any(|e| e.finding == id))
    };
    let mut out: Vec<String> = j
        .findings
        .iter()
        .filter(|f| supports(f.id.name()))
        .map(|f| f.id.name().to_owned())
        .collect();
    out.extend(
        j.findings
            .iter()
            .filter(|f| f.severity > Severity::Info && !supports(f.id.name()))
            .map(|f| f.id.name().to_owned()),
    );
    out
}

/// Is the diagnosis of `fault` right? Fills `first_cause`, `correct`, `problem`.
fn judge(fault: Fault, report: &ProbeReport, j: &Judgement, row: &mut Row) {
    let d = &j.diagnosis;
    row.first_cause = d.causes.first().map(|c| c.id.clone());
    let missing: Vec<&str> = fault
        .expected_findings()
        .iter()
        .filter(|f| !j.has(**f))
        .map(|f| f.name())
        .collect();
    if !missing.is_empty() {
        row.problem = Some(format!("missing finding {}", missing.join(", ")));
        return;
    }
    match fault.expected_cause() {
        Some(want) if row.first_cause.as_deref() == Some(want) => row.correct = true,
        Some(want) => {
            row.problem = Some(format!(
                "ranked {} first instead of {want}",
                row.first_cause.as_deref().unwrap_or("nothing")
            ))
        }
        None => {
            let logon = report
                .deep
                .as_ref()
                .is_some_and(|dp| matches!(dp.outcome, DeepOutcome::LogonScreen));
            if j.verdict.is_failing() {
                row.problem = Some("a healthy host was diagnosed as failing".into());
            } else if !logon {
                row.problem = Some("the probe did not reach the logon screen".into());
            } else {
                row.correct = true;
            }
        }
    }
}

fn table(r: &DemoReport, style: &Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        style.bold(
            "rdpdoctor demo: misconfigured RDP hosts on 127.0.0.1, each probed and diagnosed"
        )
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{}",
        style.bold(&format!(
            "{:<24} {:<44} {:<34} {}",
            "fault", "what the probe found", "cause ranked first", "right?"
        ))
    );
    for row in &r.rows {
        let found = if row.found.is_empty() {
            "nothing wrong".to_owned()
        } else {
            row.found
                .iter()
                .take(2)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        };
        let cause = match (&row.first_cause, row.expected_cause) {
            (_, None) if row.correct => "(healthy: logon screen reached)".to_owned(),
            (Some(c), _) => c.clone(),
            (None, _) => "(none)".to_owned(),
        };
        let mark = if row.correct {
            style.good("yes")
        } else {
            style.severity(Severity::Fail, "NO")
        };
        let _ = writeln!(
            out,
            "{:<24} {:<44} {:<34} {mark}",
            row.fault,
            clip(&found, 44),
            clip(&cause, 34)
        );
        if let Some(p) = &row.problem {
            let _ = writeln!(out, "{:<24} {}", "", style.severity(Severity::Fail, p));
        }
    }
    let _ = writeln!(out);
    let summary = format!(
        "{} of {} faults diagnosed correctly in {:.1} s.",
        r.correct,
        r.total,
        r.elapsed_ms / 1000.0
    );
    let _ = writeln!(
        out,
        "{}",
        if r.correct == r.total {
            style.good(&summary)
        } else {
            style.severity(Severity::Fail, &summary)
        }
    );
    let _ = writeln!(
        out,
        "{}",
        style.dim("Next: rdpdoctor probe YOUR-HOST   ·   rdpdoctor explain 0x904 0x7   ·   rdpdoctor lab serve --list")
    );
    out
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut c: String = s.chars().take(n.saturating_sub(1)).collect();
        c.push('…');
        c
    }
}
