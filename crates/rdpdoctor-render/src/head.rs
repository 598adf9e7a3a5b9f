//! The answer first: the verdict, the most likely cause and the one fix to
//! try first with every line of its command, at most 80 columns wide: the
//! verdict (its note under it when too long for its line), the headline on
//! two lines, the fix's title on two with up to three lines of its command,
//! and the server: at most ten lines, three more with the note of a
//! contradicted `--error`. `--brief` prints only this; the full report starts
//! with it.

use crate::Style;
use crate::diagnosis::verdict_style;
use crate::style::fit;
use rdpdoctor_diagnose::{FirstFix, Judgement, Severity, Verdict};
use rdpdoctor_evidence::ProbeReport;
use std::fmt::Write;

/// Columns the head fits in.
pub const WIDTH: usize = 80;

/// The answer a report starts with, in every format: the verdict, the most
/// likely cause (the headline), the fix to try first, and the server.
#[derive(Debug, Clone)]
pub struct Answer<'a> {
    /// The verdict.
    pub verdict: Verdict,
    /// The verdict as the head shows it: `NO CLIENT CONNECTS`.
    pub verdict_label: String,
    /// One sentence: the most likely cause with its confidence, or that
    /// nothing is wrong (from the engine; it may quote server text).
    pub headline: &'a str,
    /// When the error the user gave does not fit what the probe saw: why,
    /// and the next check (from the engine).
    pub error_check: Option<&'a str>,
    /// The fix to try first.
    pub first_fix: Option<&'a FirstFix>,
    /// The server implementation and its version: `Windows 10.0.17763`.
    pub server: String,
    /// Fail findings.
    pub fails: usize,
    /// Warn findings.
    pub warns: usize,
}

/// How the head shows the fix to try first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeadSteps<'a> {
    /// Nothing to show.
    None,
    /// Every line of the command, each within the head's width.
    Command(Vec<&'a str>),
    /// The command is too wide or too long for the head: it follows in full
    /// below (`--brief` prints it). A command is never cut: a cut one would
    /// run as something else.
    Deferred,
    /// A GUI path's first line (it reads fine cut).
    Path(&'a str),
}

/// The most lines of a command the head shows in place.
const HEAD_COMMAND_LINES: usize = 3;

impl<'a> Answer<'a> {
    /// How the head shows the first fix's command or path.
    pub(crate) fn head_steps(&self) -> HeadSteps<'a> {
        let Some(f) = self.first_fix else {
            return HeadSteps::None;
        };
        if let Some(cmd) = f.fix.command.as_deref() {
            let lines: Vec<&str> = cmd
                .lines()
                .map(str::trim_end)
                .filter(|l| !l.trim().is_empty())
                .collect();
            let fits = lines.len() <= HEAD_COMMAND_LINES
                && lines.iter().all(|l| l.trim().chars().count() <= WIDTH - 2);
            return if fits {
                HeadSteps::Command(lines.into_iter().map(str::trim).collect())
            } else {
                HeadSteps::Deferred
            };
        }
        f.fix
            .path
            .as_deref()
            .and_then(|p| p.lines().find(|l| !l.trim().is_empty()))
            .map_or(HeadSteps::None, |l| HeadSteps::Path(l.trim()))
    }

    /// The answer of a judgement.
    pub fn of(j: &'a Judgement) -> Self {
        let count = |s: Severity| j.findings.iter().filter(|f| f.severity == s).count();
        Answer {
            verdict: j.verdict,
            verdict_label: verdict_label(j.verdict),
            headline: &j.diagnosis.headline,
            error_check: j.diagnosis.error_check.as_deref(),
            first_fix: j.diagnosis.first_fix.as_ref(),
            // The version is the server's (NTLM) or a registry string.
            server: match (&j.server.version, j.server.implementation) {
                (Some(v), i) => format!("{} {}", i.label(), crate::safe::term_max(v, 40)),
                (None, i) => i.label().to_owned(),
            },
            fails: count(Severity::Fail),
            warns: count(Severity::Warn),
        }
    }

    /// What to do when there is no fix to try first.
    pub fn no_fix(&self) -> &'static str {
        if self.verdict.is_failing() && self.fails + self.warns == 0 {
            // No finding to read: the headline says what is missing.
            "nothing to act on yet: see the line above."
        } else if self.verdict.is_failing() {
            "read the findings below."
        } else {
            "Nothing to fix."
        }
    }
}

/// `NO CLIENT CONNECTS` for `no-client-connects`.
pub fn verdict_label(v: Verdict) -> String {
    v.name().to_uppercase().replace('-', " ")
}

/// The head of a probe report.
pub fn head(report: &ProbeReport, j: &Judgement, style: &Style) -> String {
    let target = format!("{}:{}", report.target.host, report.target.port);
    // A verdict reached with the --user credentials holds for them only.
    let refused = j.findings.iter().any(|f| f.id.is_logon_refusal());
    let not_checked = not_checked_note(report).or_else(|| reached_note(report, j));
    let note = match (not_checked, refused) {
        (Some(n), true) => Some(format!("(with these credentials) {n}")),
        (None, true) => Some("(with these credentials)".to_owned()),
        (n, false) => n,
    };
    head_with(&target, j, style, note.as_deref())
}

/// "Unreachable" means no RDP service answered; when TCP itself connected,
/// the verdict's line says so, so that nobody goes looking for a route.
fn reached_note(report: &ProbeReport, j: &Judgement) -> Option<String> {
    use rdpdoctor_evidence::PortState;
    if j.verdict != Verdict::Unreachable {
        return None;
    }
    let tcp = report.tcp.as_ref()?;
    match tcp.state {
        _ if tcp.other_protocol.is_some() => {
            Some("(TCP connects; another protocol answers)".to_owned())
        }
        PortState::AcceptedThenClosed => {
            // Whatever accepted may be a forwarder, not the server.
            Some("(TCP connects, then closes: no RDP answer)".to_owned())
        }
        PortState::AcceptedAndSilent => Some(format!(
            "(TCP connects; no RDP answer within {})",
            report.limits.step_secs()
        )),
        _ => None,
    }
}

/// What a fast probe left out, for the verdict's line: its verdict holds
/// only as far as it looked (`(not checked: logon screen)`).
pub fn not_checked_note(report: &ProbeReport) -> Option<String> {
    use rdpdoctor_evidence::Stage;
    if report.not_checked.is_empty() {
        return None;
    }
    let names = |skip: &[Stage]| -> Vec<&str> {
        report
            .not_checked
            .iter()
            .filter(|s| !skip.contains(s))
            .map(|s| match s {
                Stage::RdpSecurity => "RDP security",
                Stage::Deep => "logon screen",
                Stage::Dns => "DNS",
                Stage::Tcp => "TCP",
                Stage::Negotiation => "negotiation",
                Stage::Tls => "TLS",
                Stage::Credssp => "CredSSP",
            })
            .collect()
    };
    match &report.gateway {
        // The target's TCP is the gateway's own connection: never ours to check.
        Some(g) if g.target_probed => {
            let left = names(&[Stage::Tcp]);
            return Some(if left.is_empty() {
                "(through the RD Gateway)".to_owned()
            } else {
                format!(
                    "(through the RD Gateway; not checked through it: {})",
                    left.join(", ")
                )
            });
        }
        Some(_) => {
            return Some("(through the RD Gateway; the target itself not probed)".to_owned());
        }
        None => {}
    }
    Some(format!(
        "(fast profile; not checked: {})",
        names(&[]).join(", ")
    ))
}

/// The head of any report: `subject` names what was diagnosed (server text
/// in it must already be neutralised).
pub fn head_of(target: &str, j: &Judgement, style: &Style) -> String {
    head_with(target, j, style, None)
}

fn head_with(target: &str, j: &Judgement, style: &Style, note: Option<&str>) -> String {
    let mut out = String::new();
    let a = Answer::of(j);
    let line1 = fit(&format!("{target}: {}", a.verdict_label), WIDTH);
    match note {
        // The note on the verdict's line when it fits, else under it: never cut.
        Some(n) if line1.chars().count() + 1 + n.chars().count() <= WIDTH => {
            let line1 = format!("{line1} {n}");
            let _ = writeln!(out, "{}", verdict_style(j.verdict, style, &line1));
        }
        Some(n) => {
            let _ = writeln!(out, "{}", verdict_style(j.verdict, style, &line1));
            let _ = writeln!(out, "  {}", fit(n, WIDTH - 2));
        }
        None => {
            let _ = writeln!(out, "{}", verdict_style(j.verdict, style, &line1));
        }
    }
    // The headline may take two lines; the fix to try first still falls
    // within the first five.
    for line in wrap(a.headline, WIDTH, 2) {
        let _ = writeln!(out, "{line}");
    }
    // The error the user gave and the probe disagree: said in the head.
    if let Some(check) = a.error_check {
        let note = crate::safe::line(&format!("Note: {check}"), crate::safe::MAX_SENTENCE_CHARS);
        for line in wrap(&note, WIDTH, 3) {
            let _ = writeln!(out, "{line}");
        }
    }
    match a.first_fix {
        Some(f) => {
            let weak = if f.fix.weakens_security {
                " (weakens security: see undo)"
            } else {
                ""
            };
            // The title may take two lines, as the headline does.
            for line in wrap(&format!("Try first: {}{weak}", f.fix.title), WIDTH, 2) {
                let _ = writeln!(out, "{}", style.bold(&line));
            }
            match a.head_steps() {
                HeadSteps::Command(lines) => {
                    for l in lines {
                        let _ = writeln!(out, "  {l}");
                    }
                }
                HeadSteps::Deferred => {
                    let _ = writeln!(out, "  {}", style.dim(TOO_WIDE));
                }
                HeadSteps::Path(step) => {
                    let _ = writeln!(out, "  {}", fit(step, WIDTH - 2));
                }
                HeadSteps::None => {}
            }
        }
        None if j.verdict.is_failing() => {
            let _ = writeln!(out, "Try first: {}", a.no_fix());
        }
        None => {
            let _ = writeln!(out, "{}", a.no_fix());
        }
    }
    let _ = writeln!(
        out,
        "{}",
        style.dim(&fit(
            &format!(
                "Server: {} · {} fail, {} warn findings · details below",
                a.server, a.fails, a.warns
            ),
            WIDTH
        ))
    );
    out
}

/// What the head says in place of a command too wide or too long for it.
const TOO_WIDE: &str = "(its command does not fit here: it follows in full below)";

/// `--brief` as text: the head, and the first fix's command in full when the
/// head had no room for it (a command is never cut).
pub fn brief(head: String, j: &Judgement) -> String {
    let a = Answer::of(j);
    let (HeadSteps::Deferred, Some(how)) = (
        a.head_steps(),
        a.first_fix.and_then(|f| f.fix.command.as_deref()),
    ) else {
        return head;
    };
    let mut out = head;
    out.push('\n');
    for line in how.lines().filter(|l| !l.trim().is_empty()) {
        let _ = writeln!(out, "  {line}");
    }
    out
}

/// Word-wraps `s` to `width` columns in at most `max_lines` lines (the last
/// one cut with `…` when it does not fit).
pub fn wrap(s: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        let len = cur.chars().count() + usize::from(!cur.is_empty()) + word.chars().count();
        if len > width && !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    if lines.len() > max_lines {
        let rest = lines.split_off(max_lines - 1).join(" ");
        lines.push(rest);
    }
    lines.into_iter().map(|l| fit(&l, width)).collect()
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_on_words_and_cuts_the_last_line() {
        let w = wrap("aaa bbb ccc ddd", 7, 2);
        assert_eq!(w, vec!["aaa bbb", "ccc ddd"]);
        let w = wrap("aaa bbb ccc ddd eee", 7, 2);
        assert_eq!(w.len(), 2);
        assert!(w[1].ends_with('…') && w[1].chars().count() <= 7, "{w:?}");
    }
}
