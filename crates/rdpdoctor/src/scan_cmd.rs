//! `rdpdoctor scan`: many hosts, each probed and judged as `probe` would,
//! summarised (text), streamed (ndjson, csv), and resumable.

use crate::args::{ScanArgs, ScanFormat, ScanProfile};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rdpdoctor_evidence::ProbeReport;
use rdpdoctor_fleet::targets::{FORCED_RANGE_LIMIT, RANGE_LIMIT, TargetSet, host_key};
use rdpdoctor_fleet::{Done, Event, Schedule, parse_resume};
use rdpdoctor_render::fleet::{HostRow, Summary, csv_header, csv_row};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::time::Duration;

/// The most bytes read from a target list or stdin (a /8 written out one
/// address per line is 230 MB; lists are names and ranges, far smaller).
const MAX_LIST_BYTES: u64 = 64 << 20;

/// The most hosts `--format markdown|html` keeps (each host's whole report
/// stays in memory for its drill-down section).
const MAX_REPORT_HOSTS: u64 = 10_000;

pub fn run(args: ScanArgs) -> Result<u8, String> {
    // The gateway and its password before anything else: a bad one costs no traffic.
    let gateway = match &args.gateway {
        Some(g) => Some(rdpdoctor_probe::parse_gateway(g)?),
        None => None,
    };
    let credentials =
        crate::password::optional(args.user.as_deref(), args.password_file.as_deref())?;
    let set = targets(&args)?;
    if matches!(args.format, ScanFormat::Markdown | ScanFormat::Html) {
        let n = set.iter().count() as u64;
        if n > MAX_REPORT_HOSTS {
            return Err(format!(
                "--format {} keeps every host's report for its section: at most {MAX_REPORT_HOSTS} hosts, and these targets are {n}; use --format ndjson or csv",
                if args.format == ScanFormat::Html {
                    "html"
                } else {
                    "markdown"
                }
            ));
        }
    }
    let (done, resume_text, mut resume_file) = match &args.resume {
        Some(path) => open_resume(path)?,
        None => (Done::default(), String::new(), None),
    };
    // The hosts to probe, and those a previous run finished.
    let mut resumed: HashSet<(String, u16)> = HashSet::new();
    let mut todo = 0u64;
    for t in set.iter() {
        let key = host_key(&t.host, t.port);
        if done.keys.contains(&key) {
            resumed.insert(key);
        } else {
            todo += 1;
        }
    }

    let opts = rdpdoctor_probe::ProbeOptions {
        step_timeout: Duration::from_secs_f64(args.timeout),
        ceiling: Duration::from_secs_f64(args.ceiling),
        samples: args.samples,
        address: None,
        reverse_dns: args.reverse_dns,
        // Only with --gateway (clap): the gateway's credentials, used for
        // nothing else (no logon at the targets behind it).
        credentials: credentials.map(rdpdoctor_probe::Credentials::for_the_gateway_only),
        profile: match args.profile {
            ScanProfile::Fast => rdpdoctor_probe::Profile::Fast,
            ScanProfile::Full => rdpdoctor_probe::Profile::Full,
        },
        gateway,
        kerberos_after_ntlm: None,
    };
    let schedule = Schedule {
        concurrency: args.concurrency as usize,
        rate: args.rate,
        probe: opts,
        retries: args.retries,
    };
    let mut out = Output::new(args.format, args.color.style());
    if matches!(args.format, ScanFormat::Markdown | ScanFormat::Html) {
        // The reports number hosts by their place in the input, not by
        // when their probe finished.
        out.order = set
            .iter()
            .enumerate()
            .map(|(i, t)| (host_key(&t.host, t.port), i))
            .collect();
    }

    // What a previous run finished, for this target set: shown again, not probed.
    for range in &done.lines {
        let Some(line) = resume_text.get(range.clone()) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Ok(report) = serde_json::from_value::<ProbeReport>(v) else {
            continue;
        };
        if !resumed.remove(&host_key(&report.target.host, report.target.port)) {
            continue;
        }
        if !out.host(&report, &judge(&report), line)? {
            return Ok(out.worst);
        }
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    // Through a gateway every host's probe authenticates to it: wrong
    // credentials would be one failed logon per host and per re-check, enough
    // to lock the account. One host goes first; a refusal stops the scan.
    // That host is probed again with the others (so its report has the
    // fleet's re-check): one logon more, not one per host.
    if let (Some(gw), Some(_)) = (&schedule.probe.gateway, &schedule.probe.credentials) {
        let first = set
            .iter()
            .find(|t| !done.keys.contains(&host_key(&t.host, t.port)));
        if let Some(first) = first {
            let report = runtime.block_on(rdpdoctor_probe::probe(
                first,
                &schedule.probe,
                &rdpdoctor_probe::NoProgress,
            ));
            if judge(&report).has(rdpdoctor_diagnose::FindingId::GatewayAuthRefused) {
                return Err(format!(
                    "the RD Gateway {} refused these credentials on the first host: not tried on the others (each try would be a failed logon that can lock the account)",
                    rdpdoctor_render::safe::quote(&gw.host)
                ));
            }
        }
    }
    let bar = progress_bar(todo);
    let result: Result<(), String> = runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Event>(256);
        let hosts = set
            .iter()
            .filter(|t| !done.keys.contains(&host_key(&t.host, t.port)));
        let producer = rdpdoctor_fleet::scan(hosts, &schedule, tx);
        let consumer = async {
            let mut failing = 0u64;
            // Hosts held for a re-check: what their first attempt said.
            let mut first: HashMap<(String, u16), Said> = HashMap::new();
            let mut phase = String::new();
            while let Some(event) = rx.recv().await {
                let report = match event {
                    Event::Done(_, report) => report,
                    Event::Held(target, report) => {
                        // Not written anywhere (nor to --resume): the
                        // re-check's report replaces it.
                        if let Entry::Vacant(e) = first.entry(host_key(&target.host, target.port)) {
                            e.insert(said(&judge(&report)));
                        }
                        if let Some(b) = &bar {
                            b.set_message(format!(
                                "{failing} with something to fix · {} to re-check after a timeout",
                                first.len()
                            ));
                        }
                        continue;
                    }
                    Event::Recheck { round, hosts } => {
                        phase = format!(
                            " · re-check{}: {hosts} host{} timed out",
                            if round > 1 {
                                format!(" {round}")
                            } else {
                                String::new()
                            },
                            if hosts == 1 { "" } else { "s" }
                        );
                        if let Some(b) = &bar {
                            b.set_message(format!("{failing} with something to fix{phase}"));
                        }
                        continue;
                    }
                };
                let judgement = judge(&report);
                if report.attempts > 1 {
                    let before = first.remove(&host_key(&report.target.host, report.target.port));
                    out.summary.rechecked(
                        !report.timed_out_after_answer(),
                        before.is_some_and(|b| b != said(&judgement)),
                    );
                }
                // The JSON line only where it goes somewhere (it is the
                // costliest part of a host's output).
                let line = if resume_file.is_some() || out.format == ScanFormat::Ndjson {
                    rdpdoctor_render::json_line(&rdpdoctor_render::probe_json(&report, &judgement))
                        .map_err(|e| format!("cannot write a report as JSON: {e}"))?
                } else {
                    String::new()
                };
                if let Some(f) = resume_file.as_mut() {
                    f.write_all(line.as_bytes())
                        .and_then(|()| f.write_all(b"\n"))
                        .map_err(|e| format!("cannot append to the resume file: {e}"))?;
                }
                let keep_going = out.host(&report, &judgement, &line)?;
                if let Some(b) = &bar {
                    if out.last_failing {
                        failing += 1;
                    }
                    b.inc(1);
                    b.set_message(format!("{failing} with something to fix{phase}"));
                }
                if !keep_going {
                    // Output closed (`| head`): stop probing, quietly.
                    rx.close();
                    break;
                }
            }
            Ok::<(), String>(())
        };
        let ((), r) = tokio::join!(producer, consumer);
        r
    });
    // Hosts still in flight after a closed output are abandoned, not awaited.
    runtime.shutdown_timeout(Duration::from_millis(100));
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    result?;
    out.finish()?;
    Ok(out.worst)
}

/// The target set from the arguments, `-iL` files and stdin.
fn targets(args: &ScanArgs) -> Result<TargetSet, String> {
    let limit = if args.force {
        FORCED_RANGE_LIMIT
    } else {
        RANGE_LIMIT
    };
    let mut set = TargetSet::new();
    for t in &args.targets {
        if t == "-" {
            let mut text = String::new();
            std::io::stdin()
                .lock()
                .take(MAX_LIST_BYTES + 1)
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read targets from stdin: {e}"))?;
            check_size(text.len(), "stdin")?;
            set.add_list(&text, "stdin", limit).map_err(|e| e.0)?;
        } else {
            set.add_arg(t, limit).map_err(|e| e.0)?;
        }
    }
    for path in &args.input_list {
        let name = rdpdoctor_render::safe::quote(&path.display().to_string());
        let mut text = String::new();
        File::open(path)
            .and_then(|f| f.take(MAX_LIST_BYTES + 1).read_to_string(&mut text))
            .map_err(|e| format!("cannot read the target list {name}: {e}"))?;
        check_size(text.len(), &name)?;
        set.add_list(&text, &name, limit).map_err(|e| e.0)?;
    }
    if set.specs().is_empty() {
        return Err(
            "no targets: give TARGET..., -iL FILE, or - to read them from stdin (see rdpdoctor scan --help)"
                .to_owned(),
        );
    }
    Ok(set)
}

fn check_size(len: usize, name: &str) -> Result<(), String> {
    if len as u64 > MAX_LIST_BYTES {
        return Err(format!(
            "{name} holds more than {} MiB of targets: use CIDR ranges, or split the list",
            MAX_LIST_BYTES >> 20
        ));
    }
    Ok(())
}

/// Reads the resume file (if any), cuts a torn last line, and opens it for
/// appending.
fn open_resume(path: &Path) -> Result<(Done, String, Option<File>), String> {
    let name = rdpdoctor_render::safe::quote(&path.display().to_string());
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| format!("the resume file {name} is not UTF-8 text: is it an rdpdoctor scan --format ndjson file?"))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("cannot read the resume file {name}: {e}")),
    };
    let done = parse_resume(&text, &name).map_err(|e| e.0)?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open the resume file {name} to append: {e}"))?;
    if done.keep_len < text.len() {
        file.set_len(done.keep_len as u64)
            .map_err(|e| format!("cannot cut the torn last line of {name}: {e}"))?;
    }
    if done.needs_newline {
        file.write_all(b"\n")
            .map_err(|e| format!("cannot append to the resume file {name}: {e}"))?;
    }
    Ok((done, text, Some(file)))
}

/// Counts and ETA on stderr, only when a person watches it.
fn progress_bar(total: u64) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() || total == 0 {
        return None;
    }
    let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    b.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} hosts · {per_sec} · {msg} · ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b.enable_steady_tick(Duration::from_millis(200));
    Some(b)
}

/// Where each host goes: stdout as it finishes (ndjson, csv) or the summary
/// (text, at the end).
struct Output {
    format: ScanFormat,
    style: rdpdoctor_render::Style,
    summary: Summary,
    /// Every host's report and judgement (markdown, html).
    kept: Vec<(ProbeReport, rdpdoctor_diagnose::Judgement)>,
    /// Each host's place in the input (markdown, html).
    order: HashMap<(String, u16), usize>,
    header_done: bool,
    /// The exit status so far: the worst host's.
    worst: u8,
    last_failing: bool,
}

impl Output {
    fn new(format: ScanFormat, style: rdpdoctor_render::Style) -> Self {
        Output {
            format,
            style,
            summary: Summary::new(),
            kept: Vec::new(),
            order: HashMap::new(),
            header_done: false,
            worst: crate::exit::EXIT_OK,
            last_failing: false,
        }
    }

    /// One host: its report, judgement and JSON line. False when stdout is
    /// closed (stop quietly).
    fn host(
        &mut self,
        report: &ProbeReport,
        judgement: &rdpdoctor_diagnose::Judgement,
        line: &str,
    ) -> Result<bool, String> {
        self.worst = self.worst.max(judgement.verdict.exit_code());
        self.last_failing = judgement.verdict.is_failing();
        let row = HostRow {
            input: &report.target.input,
            report,
            judgement,
        };
        let text = match self.format {
            ScanFormat::Text => {
                self.summary.add(&row);
                return Ok(true);
            }
            ScanFormat::Markdown | ScanFormat::Html => {
                self.kept.push((report.clone(), judgement.clone()));
                return Ok(true);
            }
            ScanFormat::Ndjson => format!("{line}\n"),
            ScanFormat::Csv => {
                let mut s = String::new();
                if !self.header_done {
                    self.header_done = true;
                    s.push_str(&csv_header());
                }
                s.push_str(&csv_row(&row));
                s
            }
        };
        self.write(&text)
    }

    /// To stdout or `--output`, spelled in ASCII where a Windows console's
    /// code page needs it; false once the reader is gone.
    fn write(&mut self, text: &str) -> Result<bool, String> {
        let format = match self.format {
            ScanFormat::Text | ScanFormat::Csv => crate::args::Format::Text,
            ScanFormat::Ndjson => crate::args::Format::Json,
            ScanFormat::Markdown => crate::args::Format::Markdown,
            ScanFormat::Html => crate::args::Format::Html,
        };
        crate::output::write(text, Some(format))
    }

    fn finish(&mut self) -> Result<(), String> {
        match self.format {
            ScanFormat::Text => {
                let text = self.summary.render(&self.style);
                self.write(&text).map(|_| ())
            }
            ScanFormat::Csv if !self.header_done => self.write(&csv_header()).map(|_| ()),
            ScanFormat::Markdown | ScanFormat::Html => {
                let order = &self.order;
                self.kept.sort_by_key(|(r, _)| {
                    let key = host_key(&r.target.host, r.target.port);
                    order.get(&key).copied().unwrap_or(usize::MAX)
                });
                let text = {
                    let rows: Vec<HostRow<'_>> = self
                        .kept
                        .iter()
                        .map(|(report, judgement)| HostRow {
                            input: &report.target.input,
                            report,
                            judgement,
                        })
                        .collect();
                    if self.format == ScanFormat::Html {
                        rdpdoctor_render::html::fleet(&rows)
                    } else {
                        rdpdoctor_render::markdown::fleet(&rows)
                    }
                };
                self.write(&text).map(|_| ())
            }
            _ => Ok(()),
        }
    }
}

/// What a host's judgement tells its admin: the verdict and the findings
/// above info (what a re-check that "changed" something changed).
type Said = (rdpdoctor_diagnose::Verdict, Vec<&'static str>);

fn said(j: &rdpdoctor_diagnose::Judgement) -> Said {
    let mut ids: Vec<&'static str> = j
        .findings
        .iter()
        .filter(|f| f.severity > rdpdoctor_diagnose::Severity::Info)
        .map(|f| f.id.name())
        .collect();
    ids.sort_unstable();
    (j.verdict, ids)
}

/// The judgement `probe` gives a report (no `--error`, `--client`, `--on`).
fn judge(report: &ProbeReport) -> rdpdoctor_diagnose::Judgement {
    rdpdoctor_diagnose::judge(
        &rdpdoctor_diagnose::Evidence::wire(report),
        &rdpdoctor_diagnose::Context::default(),
    )
}
