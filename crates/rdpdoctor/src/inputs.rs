//! What a command reads and checks before it judges: the host evidence of
//! `inspect` and `probe --host-evidence`/`--host-local`, the `--error` hint,
//! `--since`, and the clock they are read against.

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
        let line = rdpdoctor_render::safe::line(
            &format!("{}: {problem}", s.path),
            crate::exit::MAX_ERROR_CHARS,
        );
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

/// `--error`: one line and exit 2 when nothing in it is a known code or text.
pub fn check_error_hint(e: &str) -> Result<(), String> {
    rdpdoctor_kb::explain(&rdpdoctor_diagnose::error_words(e))
        .map(|_| ())
        .map_err(|_| {
            format!(
                "--error {}: no known code or error text in it (see rdpdoctor explain --help)",
                rdpdoctor_render::safe::quote(e)
            )
        })
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
