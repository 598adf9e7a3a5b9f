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
pub fn read(
    sources: &[PathBuf],
    local: bool,
    since: Option<i64>,
    computer: Option<&str>,
) -> Result<HostEvidence, String> {
    let now = now_unix();
    let opts = rdpdoctor_host::InspectOptions {
        since_unix: since,
        now_unix: now,
    };
    let mut ev = if local {
        rdpdoctor_host::inspect_local(&opts)?
    } else {
        rdpdoctor_host::inspect(sources, &opts)
    };
    // Two machines are refused before anything is said about either.
    one_machine(&ev)?;
    one_event_machine(&mut ev, computer)?;
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

/// Event records of several computers, with no registry source naming the
/// host: refused (which one is the host could only be guessed, and one
/// machine's logon failures would be blamed on another) unless `--computer`
/// names one; then only its records are kept. With a registry source, other
/// computers' records stay in the evidence, shown as such and never judged.
fn one_event_machine(ev: &mut HostEvidence, computer: Option<&str>) -> Result<(), String> {
    use rdpdoctor_evidence::host::same_machine;
    let names: Vec<&str> = ev
        .events
        .machines
        .iter()
        .filter_map(|m| m.computer.as_deref())
        .collect();
    let Some(want) = computer else {
        if ev.identity.computer_name.is_none() && names.len() > 1 {
            let shown: Vec<&str> = names.iter().take(3).copied().collect();
            let more = if names.len() > 3 { ", …" } else { "" };
            let line = format!(
                "the event logs hold records of {} computers ({}{more}): inspect one machine at a time (inspect --computer NAME, or its SYSTEM hive beside the logs)",
                names.len(),
                shown.join(", ")
            );
            return Err(rdpdoctor_render::safe::line(
                &line,
                crate::exit::MAX_ERROR_CHARS,
            ));
        }
        return Ok(());
    };
    // `dc` or `dc.windomain.local`: the first label names the machine.
    let label = want.trim().split('.').next().unwrap_or_default();
    let is = |c: Option<&str>| c.is_some_and(|c| same_machine(label, c));
    if let Some(name) = &ev.identity.computer_name
        && !same_machine(&name.value, want)
    {
        let line = format!(
            "--computer {want} but the registry sources are of {}: inspect one machine at a time",
            name.value
        );
        return Err(rdpdoctor_render::safe::line(
            &line,
            crate::exit::MAX_ERROR_CHARS,
        ));
    }
    if !names.iter().any(|n| is(Some(n))) {
        let line = format!(
            "--computer {want}: no event record was logged on it (the logs hold: {})",
            names.join(", ")
        );
        return Err(rdpdoctor_render::safe::line(
            &line,
            crate::exit::MAX_ERROR_CHARS,
        ));
    }
    let e = &mut ev.events;
    e.groups.retain(|g| is(g.computer.as_deref()));
    e.left_out.retain(|c| is(c.computer.as_deref()));
    e.machines.retain(|m| is(m.computer.as_deref()));
    e.records_matched = e.machines.iter().map(|m| m.records_matched).sum();
    e.records_left_out = e.machines.iter().map(|m| m.records_left_out).sum();
    // The default window is then that computer's own.
    if let ([m], Some(w)) = (e.machines.as_slice(), e.window.as_mut())
        && w.default_days.is_some()
    {
        w.since = m.since.clone();
        w.newest_seen = m.newest_seen.clone();
    }
    Ok(())
}

/// Refuses registry sources of two machines (two `ComputerName`s, or two
/// `MachineGuid`s), naming both.
///
/// Refused rather than reported machine by machine: a responder with a
/// stopped VM's disk asks about that one machine, and a second machine's
/// hive beside it is a mistake in what was gathered; a SOFTWARE hive names
/// no computer, so which machine it belongs to could only be guessed, and a
/// guess would put one machine's certificate store or policy under the
/// other's settings. One run per machine costs a command and guesses
/// nothing. Event logs are not refused: their records name their computer,
/// so records of other machines are shown as such and never judged.
fn one_machine(ev: &HostEvidence) -> Result<(), String> {
    type Field = fn(&rdpdoctor_evidence::host::SourceMachine) -> Option<&String>;
    let fields: [(&str, Field); 2] = [
        ("is", |m| m.computer_name.as_ref()),
        ("has MachineGuid", |m| m.machine_guid.as_ref()),
    ];
    for (what, field) in fields {
        let mut named = ev
            .source_machines
            .iter()
            .filter_map(|m| field(m).map(|v| (m.source.as_str(), v.as_str())));
        let Some((first_src, first)) = named.next() else {
            continue;
        };
        if let Some((src, other)) = named.find(|(_, v)| !v.eq_ignore_ascii_case(first)) {
            let line = format!(
                "{first_src} {what} {first} but {src} {what} {other}: two machines; inspect one machine at a time (one run per machine)"
            );
            return Err(rdpdoctor_render::safe::line(
                &line,
                crate::exit::MAX_ERROR_CHARS,
            ));
        }
    }
    Ok(())
}

/// `--client-evidence`/`--client-local`: the client machine's state, read
/// like a host's (one machine), or `None` when neither was given. Refused
/// when it names the same computer as the server's evidence: one machine's
/// state paired with itself would blame a mismatch that is not there.
pub fn read_client(
    sources: &[PathBuf],
    local: bool,
    server: Option<&HostEvidence>,
) -> Result<Option<HostEvidence>, String> {
    if sources.is_empty() && !local {
        return Ok(None);
    }
    let client = read(sources, local, None, None)?;
    let name = |h: &HostEvidence| h.identity.computer_name.as_ref().map(|n| n.value.clone());
    if let (Some(c), Some(s)) = (name(&client), server.and_then(name))
        && rdpdoctor_evidence::host::same_machine(&c, &s)
    {
        let line = format!(
            "the client evidence and the server's are both of {c}: give the client machine's own hives (SOFTWARE, NTUSER.DAT) with --client-evidence"
        );
        return Err(rdpdoctor_render::safe::line(
            &line,
            crate::exit::MAX_ERROR_CHARS,
        ));
    }
    Ok(Some(client))
}

/// `probe --host-evidence`: refuses host evidence of another machine than
/// the one that answered, when the wire names it (the NetBIOS computer name
/// of NTLM's CHALLENGE, [MS-NLMP 2.2.2.1] MsvAvNbComputerName) and it
/// differs from the registry's `ComputerName`: judged together, one
/// machine's settings would explain (or excuse) another's failure.
pub fn same_machine_as_wire(
    host: &HostEvidence,
    report: &rdpdoctor_evidence::ProbeReport,
) -> Result<(), String> {
    let wire = report
        .ntlm
        .as_ref()
        .and_then(|n| n.netbios_computer_name.as_deref());
    match (&host.identity.computer_name, wire) {
        (Some(name), Some(wire)) if !rdpdoctor_evidence::host::same_machine(&name.value, wire) => {
            let line = format!(
                "the host evidence is of {} but the server at {}:{} calls itself {wire} (NTLM): give {wire}'s hives, or probe {}",
                name.value, report.target.host, report.target.port, name.value
            );
            Err(rdpdoctor_render::safe::line(
                &line,
                crate::exit::MAX_ERROR_CHARS,
            ))
        }
        _ => Ok(()),
    }
}

/// The error the user saw (`--error`), read into its codes.
pub struct ErrorHint {
    text: String,
    explanation: rdpdoctor_kb::Explanation,
}

impl ErrorHint {
    /// As the engine takes it.
    pub fn as_user_codes(&self) -> rdpdoctor_diagnose::UserCodes<'_> {
        rdpdoctor_diagnose::UserCodes {
            input: &self.text,
            explanation: &self.explanation,
        }
    }
}

/// `--error`, read before any packet: one line and exit 2 when nothing in
/// it is a known code or text.
pub fn read_error_hint(e: Option<&str>) -> Result<Option<ErrorHint>, String> {
    let Some(e) = e else { return Ok(None) };
    rdpdoctor_diagnose::read_codes(e)
        .map(|explanation| {
            Some(ErrorHint {
                text: e.to_owned(),
                explanation,
            })
        })
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
