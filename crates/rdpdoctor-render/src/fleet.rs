//! Many hosts at once (`rdpdoctor scan`): the rows every fleet format is
//! made of. Each row is one host's own probe report and judgement, exactly
//! what `rdpdoctor probe` of that host would render.

use rdpdoctor_diagnose::Judgement;
use rdpdoctor_evidence::ProbeReport;

/// One scanned host.
#[derive(Debug, Clone, Copy)]
pub struct HostRow<'a> {
    /// The target as the user gave it or as a range expanded to
    /// (`server01`, `10.0.0.7:3390`).
    pub input: &'a str,
    /// The host's probe report.
    pub report: &'a ProbeReport,
    /// The host's judgement.
    pub judgement: &'a Judgement,
}

impl HostRow<'_> {
    /// The most likely cause's title and confidence, when there is one.
    pub fn top_cause(&self) -> Option<(&str, rdpdoctor_diagnose::Confidence)> {
        self.judgement
            .top_cause()
            .map(|c| (c.title.as_str(), c.confidence))
    }

    /// The ids of the fail and warn findings, most severe first, at most `n`.
    pub fn key_findings(&self, n: usize) -> Vec<&'static str> {
        self.judgement
            .findings
            .iter()
            .filter(|f| f.severity > rdpdoctor_diagnose::Severity::Info)
            .take(n)
            .map(|f| f.id.name())
            .collect()
    }
}

/// How many key findings a fleet table shows per host.
pub const KEY_FINDINGS: usize = 3;

/// The rows worst verdict first (the order people read a fleet in), the
/// given order among equals; each with its place in the input (from 1),
/// which names its section in the reports.
pub fn worst_first<'r, 'a>(rows: &'r [HostRow<'a>]) -> Vec<(usize, &'r HostRow<'a>)> {
    let mut v: Vec<(usize, &HostRow<'a>)> =
        rows.iter().enumerate().map(|(i, r)| (i + 1, r)).collect();
    v.sort_by_key(|(i, r)| (verdict_rank(r.judgement.verdict), *i));
    v
}

/// Hosts per verdict, in [`worst_first`] order, only verdicts that occur.
pub fn verdict_counts(rows: &[HostRow<'_>]) -> Vec<(rdpdoctor_diagnose::Verdict, usize)> {
    let mut out: Vec<(rdpdoctor_diagnose::Verdict, usize)> = Vec::new();
    for (_, r) in worst_first(rows) {
        match out.last_mut() {
            Some((v, n)) if *v == r.judgement.verdict => *n += 1,
            _ => out.push((r.judgement.verdict, 1)),
        }
    }
    out
}

use crate::Style;
use crate::safe::{term, term_max};
use crate::text::kebab;
use rdpdoctor_diagnose::{Severity, Verdict};
use std::collections::BTreeMap;
use std::fmt::Write;

/// How bad a verdict is, for "worst first" in every fleet format: no client
/// connects, then unreachable (no client connects either), some clients
/// fail, inconclusive, warnings, healthy.
pub fn verdict_rank(v: Verdict) -> u8 {
    match v {
        Verdict::NoClientConnects => 0,
        Verdict::Unreachable => 1,
        Verdict::SomeClientsFail => 2,
        Verdict::Inconclusive => 3,
        Verdict::WorksWithWarnings => 4,
        Verdict::Healthy => 5,
    }
}

/// The columns of `scan --format csv`, in order (docs/json-schema.md, "scan").
pub const CSV_COLUMNS: [&str; 18] = [
    "target",
    "address",
    "port",
    "verdict",
    "tcp",
    "security_layer",
    "nla",
    "tls_version",
    "cert_not_after",
    "cert_days_left",
    "cert_expired",
    "credssp_version",
    "computer",
    "os_build",
    "clock_skew_seconds",
    "findings",
    "top_cause",
    "attempts",
];

/// The CSV header line, with its line end.
pub fn csv_header() -> String {
    let mut s = CSV_COLUMNS.join(",");
    s.push_str("\r\n");
    s
}

/// One CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line
/// end. A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first)
/// gets a leading `'` when it came from the server (`server`), and control
/// characters are escaped.
fn cell(s: &str, server: bool) -> String {
    let mut v = term_max(s, 400);
    if server && v.starts_with(['=', '+', '-', '@']) {
        v.insert(0, '\'');
    }
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

/// One host as a CSV line (with its line end), in [`CSV_COLUMNS`] order.
pub fn csv_row(row: &HostRow<'_>) -> String {
    let (r, j) = (row.report, row.judgement);
    let cert = r.certificate.as_ref();
    let opt = |v: Option<String>| v.unwrap_or_default();
    let findings: Vec<&str> = j
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .map(|f| f.id.name())
        .collect();
    let ntlm = r.ntlm.as_ref();
    let cells = [
        cell(row.input, false),
        opt(r.addresses.used.map(|a| a.to_string())),
        r.target.port.to_string(),
        j.verdict.name().to_owned(),
        opt(r.tcp.as_ref().map(|t| kebab(&t.state))),
        opt(j.security.as_ref().map(|s| kebab(&s.layer))),
        opt(j.security.as_ref().map(|s| kebab(&s.nla))),
        opt(r.tls.as_ref().and_then(|t| t.version).map(|v| kebab(&v))),
        opt(cert.map(|c| cell(&c.not_after, true))),
        opt(cert.map(|c| c.days_left.to_string())),
        opt(cert.map(|c| c.expired.to_string())),
        opt(r
            .credssp
            .as_ref()
            .and_then(|c| c.server_version)
            .map(|v| v.to_string())),
        opt(ntlm
            .and_then(|n| {
                n.dns_computer_name
                    .as_deref()
                    .or(n.netbios_computer_name.as_deref())
            })
            .map(|n| cell(n, true))),
        opt(ntlm
            .and_then(|n| n.os_version.as_deref())
            .map(|v| cell(v, true))),
        opt(ntlm
            .and_then(|n| n.clock_skew_seconds)
            .map(|s| s.to_string())),
        cell(&findings.join(" "), false),
        opt(j.top_cause().map(|c| c.id.clone())),
        r.attempts.to_string(),
    ];
    let mut s = cells.join(",");
    s.push_str("\r\n");
    s
}

/// Addresses in numeric order (10.0.0.2 before 10.0.0.10), then names.
fn host_order(input: &str) -> (bool, Option<(std::net::IpAddr, u16)>, String) {
    let addr = input
        .parse::<std::net::SocketAddr>()
        .map(|a| (a.ip(), a.port()))
        .or_else(|_| input.parse::<std::net::IpAddr>().map(|ip| (ip, 3389)))
        .ok();
    (addr.is_none(), addr, input.to_ascii_lowercase())
}

/// One host, as the text summary keeps it (a few hundred bytes: a scan of
/// 65,536 hosts keeps its table, not its reports).
#[derive(Debug, Clone)]
struct Line {
    order: usize,
    input: String,
    verdict: Verdict,
    nla: String,
    tls: String,
    cert_days: Option<i64>,
    cause: String,
}

/// A finding or a cause, counted over the hosts.
#[derive(Debug, Clone, Default)]
struct Group {
    hosts: usize,
    severity: Option<Severity>,
    /// What it is: the cause's title, or the first host's finding summary.
    label: String,
    /// Up to three hosts, as examples.
    examples: Vec<String>,
}

impl Group {
    fn add(&mut self, input: &str) {
        self.hosts += 1;
        if self.examples.len() < 3 {
            self.examples.push(input.to_owned());
        }
    }
}

/// `scan --format text`: fed one host at a time, rendered at the end: the
/// answer first (how many hosts fail, grouped by finding and by cause), then
/// the per-host table, worst first.
#[derive(Debug, Default)]
pub struct Summary {
    lines: Vec<Line>,
    findings: BTreeMap<(Severity, String), Group>,
    causes: BTreeMap<String, Group>,
    verdicts: BTreeMap<u8, (Verdict, usize)>,
    /// Hosts whose probe left stages out (fast profile), by stage note.
    not_checked: BTreeMap<String, usize>,
    recheck: Recheck,
}

/// Hosts probed again after a timeout (`scan --retries`).
#[derive(Debug, Default)]
struct Recheck {
    hosts: usize,
    /// Their last probe did not time out.
    answered: usize,
    /// Their final verdict or findings are not their first attempt's.
    changed: usize,
}

impl Summary {
    /// An empty summary.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many hosts it holds.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// True when it holds no host.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Counts one host.
    pub fn add(&mut self, row: &HostRow<'_>) {
        let (r, j) = (row.report, row.judgement);
        for f in j.findings.iter().filter(|f| f.severity > Severity::Info) {
            let g = self
                .findings
                .entry((f.severity, f.id.name().to_owned()))
                .or_default();
            if g.label.is_empty() {
                g.label = f.summary.clone();
            }
            g.severity = Some(f.severity);
            g.add(row.input);
        }
        if let Some(note) = crate::head::not_checked_note(r) {
            *self.not_checked.entry(note).or_default() += 1;
        }
        let cause = j.top_cause();
        if let Some(c) = cause {
            let g = self.causes.entry(c.id.clone()).or_default();
            if g.label.is_empty() {
                g.label = c.title.clone();
            }
            g.add(row.input);
        }
        self.verdicts
            .entry(verdict_rank(j.verdict))
            .or_insert((j.verdict, 0))
            .1 += 1;
        self.lines.push(Line {
            order: self.lines.len(),
            input: row.input.to_owned(),
            verdict: j.verdict,
            nla: j
                .security
                .as_ref()
                .map(|s| kebab(&s.nla))
                .unwrap_or_default(),
            tls: r
                .tls
                .as_ref()
                .and_then(|t| t.version)
                .map(|v| kebab(&v))
                .unwrap_or_default(),
            cert_days: r.certificate.as_ref().map(|c| c.days_left),
            cause: cause.map(|c| c.id.clone()).unwrap_or_default(),
        });
    }

    /// Counts a host that was probed again after its probe timed out after
    /// it answered TCP: whether the last probe got every answer in time, and
    /// whether the verdict or the findings (above info) changed from the
    /// first attempt's. The host itself
    /// is counted by [`add`](Self::add), once, with its final report.
    pub fn rechecked(&mut self, answered_in_full: bool, changed: bool) {
        self.recheck.hosts += 1;
        self.recheck.answered += usize::from(answered_in_full);
        self.recheck.changed += usize::from(changed);
    }

    /// The worst verdict seen (`None` with no host).
    pub fn worst(&self) -> Option<Verdict> {
        self.verdicts.values().next().map(|(v, _)| *v)
    }

    /// The report: the answer, the groups, the table.
    pub fn render(&self, style: &Style) -> String {
        let mut out = String::new();
        let n = self.lines.len();
        let failing: usize = self
            .verdicts
            .values()
            .filter(|(v, _)| v.is_failing())
            .map(|(_, c)| c)
            .sum();
        let counts: Vec<String> = self
            .verdicts
            .values()
            .map(|(v, c)| format!("{c} {}", v.name()))
            .collect();
        let head = format!(
            "{n} host{} scanned: {failing} with something to fix ({})",
            if n == 1 { "" } else { "s" },
            if counts.is_empty() {
                "none".to_owned()
            } else {
                counts.join(", ")
            }
        );
        let _ = writeln!(out, "{}", style.bold(&head));
        for (note, k) in &self.not_checked {
            // The verdicts hold as far as the probe looked.
            let _ = writeln!(out, "{}", style.dim(&format!("{k} of them {note}")));
        }
        let rc = &self.recheck;
        if rc.hosts > 0 {
            // Their verdicts are the re-check's: say so, and how much it mattered.
            let _ = writeln!(
                out,
                "{}",
                style.dim(&format!(
                    "{} host{} re-checked after a timeout: {} answered in full, {} with another verdict or findings than at first",
                    rc.hosts,
                    if rc.hosts == 1 { "" } else { "s" },
                    rc.answered,
                    rc.changed
                ))
            );
        }

        let plural = |k: usize| format!("{k:>6} host{}", if k == 1 { " " } else { "s" });
        let examples = |g: &Group| {
            let shown: Vec<String> = g.examples.iter().map(|e| term_max(e, 40)).collect();
            let more = if g.hosts > shown.len() { ", …" } else { "" };
            format!("{}{more}", shown.join(", "))
        };
        if !self.causes.is_empty() {
            let _ = writeln!(out, "\nMost likely cause, by host:");
            let mut causes: Vec<_> = self.causes.iter().collect();
            causes.sort_by(|a, b| b.1.hosts.cmp(&a.1.hosts).then(a.0.cmp(b.0)));
            for (id, g) in causes {
                let _ = writeln!(
                    out,
                    "{}: {} ({id}) {}",
                    plural(g.hosts),
                    term(&g.label),
                    style.dim(&format!("— {}", examples(g)))
                );
            }
        }
        if !self.findings.is_empty() {
            let _ = writeln!(out, "\nFindings, by host:");
            let mut fs: Vec<_> = self.findings.iter().collect();
            fs.sort_by(|a, b| {
                (b.0.0, b.1.hosts)
                    .cmp(&(a.0.0, a.1.hosts))
                    .then(a.0.1.cmp(&b.0.1))
            });
            for ((sev, id), g) in fs {
                let _ = writeln!(
                    out,
                    "{}: {} {id} {}",
                    plural(g.hosts),
                    style.severity(*sev, &format!("{:<4}", sev.name())),
                    style.dim(&format!("— e.g. {}", examples(g)))
                );
            }
        }
        if n > 0 {
            let _ = writeln!(out, "\nHosts, worst first:");
            let w = self
                .lines
                .iter()
                .map(|l| l.input.chars().count())
                .max()
                .unwrap_or(4)
                .clamp(4, 40);
            let _ = writeln!(
                out,
                "{}",
                style.dim(&format!(
                    "  {:<w$}  {:<19}  {:<8}  {:<6}  {:>9}  most likely cause",
                    "host", "verdict", "nla", "tls", "cert days"
                ))
            );
            let mut lines: Vec<&Line> = self.lines.iter().collect();
            lines.sort_by_cached_key(|l| (verdict_rank(l.verdict), host_order(&l.input), l.order));
            for l in lines {
                let verdict = format!("{:<19}", l.verdict.name());
                let verdict = if l.verdict.is_failing() {
                    style.severity(Severity::Fail, &verdict)
                } else if l.verdict == Verdict::WorksWithWarnings {
                    style.severity(Severity::Warn, &verdict)
                } else {
                    style.good(&verdict)
                };
                let _ = writeln!(
                    out,
                    "  {:<w$}  {verdict}  {:<8}  {:<6}  {:>9}  {}",
                    crate::style::fit(&term(&l.input), w),
                    l.nla,
                    l.tls,
                    l.cert_days.map(|d| d.to_string()).unwrap_or_default(),
                    l.cause
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(cell("plain", true), "plain");
        assert_eq!(cell("a,b", false), "\"a,b\"");
        assert_eq!(cell("say \"hi\"", false), "\"say \"\"hi\"\"\"");
        // A server's name that a spreadsheet would run as a formula.
        assert_eq!(
            cell("=HYPERLINK(\"x\")", true),
            "\"'=HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(cell("-5", false), "-5");
        assert!(!cell("a\r\nb\x1b[31m", true).contains(['\r', '\n', '\x1b']));
        assert_eq!(
            csv_header().trim_end().split(',').count(),
            CSV_COLUMNS.len()
        );
    }

    #[test]
    fn hosts_sort_by_address_then_name() {
        let mut v = [
            "10.0.0.10",
            "server",
            "10.0.0.2",
            "[::1]:3390",
            "10.0.0.2:3390",
        ];
        v.sort_by_key(|s| host_order(s));
        assert_eq!(
            v,
            [
                "10.0.0.2",
                "10.0.0.2:3390",
                "10.0.0.10",
                "[::1]:3390",
                "server"
            ]
        );
    }
}
