//! `rdpdoctor inspect`, and the host evidence of `probe --host-evidence`.

use crate::cli::{Format, InspectArgs};
use rdpdoctor_evidence::host::{HostEvidence, SourceStatus};
use std::io::Write;
use std::path::PathBuf;

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Reads the sources; tells stderr, one line each, about every source that
/// could not be read whole; fails (exit 2) only when nothing usable was read.
pub fn read(sources: &[PathBuf], local: bool, since: Option<i64>) -> Result<HostEvidence, String> {
    let now = now_unix();
    let opts = rdpdoctor_host::InspectOptions {
        since_unix: since,
        now_unix: now,
    };
    let ev = if local {
        rdpdoctor_host::inspect_local(&opts)?
    } else {
        rdpdoctor_host::inspect(sources, &opts)
    };
    let mut err = std::io::stderr().lock();
    for s in &ev.sources {
        let problem = match &s.status {
            SourceStatus::Read => continue,
            SourceStatus::Partial { .. } => {
                format!("read in part: {}", rdpdoctor_render::host::problem(s))
            }
            SourceStatus::Unusable { .. } => rdpdoctor_render::host::problem(s),
        };
        let line =
            rdpdoctor_render::safe::line(&format!("{}: {problem}", s.path), crate::MAX_ERROR_CHARS);
        let _ = writeln!(err, "rdpdoctor: {line}");
    }
    if !ev.anything_read() {
        return Err(match ev.sources.len() {
            0 => "no source given: name hive files, .reg exports, .evtx files or a mounted Windows volume".to_owned(),
            1 => "nothing usable in the source (see above)".to_owned(),
            n => format!("nothing usable in any of the {n} sources (see above)"),
        });
    }
    Ok(ev)
}

pub fn run(args: InspectArgs) -> Result<u8, String> {
    let codes = crate::probe_cmd::read_error_hint(args.error.as_deref())?;
    let host = read(&args.sources, args.local, args.since)?;
    let ctx = rdpdoctor_diagnose::Context {
        clients: Vec::new(),
        environment: args.environment,
    };
    let now = now_unix();
    let input = rdpdoctor_diagnose::HostInput {
        evidence: &host,
        now_unix: now,
    };
    let evidence = rdpdoctor_diagnose::Evidence::host(input).with_codes(
        codes
            .as_ref()
            .map(|c| crate::probe_cmd::ErrorHint::as_user_codes(c)),
    );
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
                head
            } else {
                let body = rdpdoctor_render::host::host_report(&host, &judgement, &style);
                rdpdoctor_render::text_report(head, &[body], &judgement, &style)
            }
        }
    };
    crate::print_out(&out, args.format)?;
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

/// `--since`: `7d`, `12h`, `30m`, a date (`2026-11-01`), an RFC 3339 time,
/// or `all`; as Unix seconds ([`rdpdoctor_host::events::SINCE_ALL`], no
/// lower bound, for `all`).
pub fn parse_since(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("all") {
        return Ok(rdpdoctor_host::events::SINCE_ALL);
    }
    let unit = |c: char| match c {
        'd' => Some(86_400),
        'h' => Some(3_600),
        'm' => Some(60),
        _ => None,
    };
    if let Some(last) = t.chars().last()
        && let Some(mult) = unit(last.to_ascii_lowercase())
        && let Ok(n) = t[..t.len() - 1].parse::<i64>()
        && (1..=36_500 * 86_400 / mult).contains(&n)
    {
        return Ok(now_unix() - n * mult);
    }
    use time::format_description::well_known::Rfc3339;
    if let Ok(dt) = time::OffsetDateTime::parse(t, &Rfc3339) {
        return Ok(dt.unix_timestamp());
    }
    let day = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = time::Date::parse(t, &day) {
        return Ok(d.midnight().assume_utc().unix_timestamp());
    }
    Err("use a duration back from now (7d, 12h, 30m), a date (2026-11-01), an RFC 3339 time, or all".to_owned())
}
