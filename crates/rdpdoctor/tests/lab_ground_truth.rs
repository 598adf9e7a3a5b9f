//! The project's own ground truth: lab/ground-truth.tsv says, for every lab
//! scenario, what an expert admin concludes (verdict, the findings that must
//! and must not appear, the causes allowed to rank first and how confident
//! they may be). This test probes every row with the real binary and holds
//! the JSON report and the head of the text report to it.
//!
//! It reads only the JSON (`serde_json::Value`), never the engine's types, and
//! collects every difference before failing, so one run shows every wrong row.
//! Run by lab/test.sh; `ground_truth_table_is_well_formed` needs no lab.

use rdpdoctor_testkit::cli::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// How many lines of the text report hold the answer.
const HEAD_LINES: usize = 5;
/// The widest a line of that head may be (`COLUMNS=80`).
const HEAD_WIDTH: usize = 80;

/// The finding ids listed under "### Finding ids" in docs/json-schema.md
/// (kept in step with the engine by its own test).
fn documented_finding_ids() -> BTreeSet<String> {
    let path = repo_root().join("docs/json-schema.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let section = text
        .split("### Finding ids")
        .nth(1)
        .and_then(|s| s.split("\n#").next())
        .unwrap_or_default();
    section
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| {
            !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
        .map(str::to_owned)
        .collect()
}

/// The `[[cause]]` ids in the knowledge base.
fn kb_cause_ids() -> BTreeSet<String> {
    let path = repo_root().join("crates/rdpdoctor-kb/kb/causes.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut ids = BTreeSet::new();
    let mut in_cause = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with("[[") {
            in_cause = line == "[[cause]]";
        } else if in_cause && let Some(v) = line.strip_prefix("id =") {
            ids.insert(v.trim().trim_matches(['\'', '"']).to_owned());
            in_cause = false;
        }
    }
    ids
}

/// A typo in the table would make a "must not appear" check pass forever:
/// every id must exist, and the table must say one consistent thing per row.
#[test]
fn ground_truth_table_is_well_formed() {
    let rows = try_ground_truth().unwrap_or_else(|e| panic!("{}", e.join("\n")));
    assert!(
        rows.len() >= 25,
        "only {} rows in lab/ground-truth.tsv",
        rows.len()
    );
    let findings = documented_finding_ids();
    assert!(
        findings.len() >= 30,
        "no finding ids found in docs/json-schema.md"
    );
    let causes = kb_cause_ids();
    assert!(causes.len() >= 30, "no cause ids found in causes.toml");

    let mut errors = Vec::new();
    let mut names = BTreeSet::new();
    for r in &rows {
        let at = format!("line {} ({})", r.line, r.name);
        if !names.insert(r.name.clone()) {
            errors.push(format!("{at}: the name is used twice"));
        }
        if !VERDICTS.contains(&r.verdict.as_str()) {
            errors.push(format!("{at}: unknown verdict {:?}", r.verdict));
        }
        if confidence_rank(&r.max_confidence).is_none() {
            errors.push(format!(
                "{at}: max_confidence {:?} is not high|medium|low",
                r.max_confidence
            ));
        }
        for f in r.present.iter().map(|c| &c.id).chain(&r.absent) {
            if !findings.contains(f) {
                errors.push(format!("{at}: unknown finding id {f:?}"));
            }
        }
        if let Some(both) = r.present.iter().find(|c| r.absent.contains(&c.id)) {
            errors.push(format!("{at}: {} is both present and absent", both.id));
        }
        match &r.top_causes {
            Some(top) => {
                for c in top {
                    if !causes.contains(c) {
                        errors.push(format!("{at}: unknown cause id {c:?}"));
                    }
                }
            }
            None if !verdict_is_ok(&r.verdict) => errors.push(format!(
                "{at}: top_causes '-' (nothing to blame) with the failing verdict {}",
                r.verdict
            )),
            None => {}
        }
        if r.note.trim().is_empty() || r.note == "-" {
            errors.push(format!("{at}: say why in the note"));
        }
        check_first_fix_cells(r, &at, &mut errors);
    }
    assert!(
        errors.is_empty(),
        "lab/ground-truth.tsv:\n{}",
        errors.join("\n")
    );
}

/// The sides a fix can change, and what a first fix can be written for.
const FIX_SIDES: &[&str] = &["server", "client", "gateway", "network"];
const FIX_PLATFORMS: &[&str] = &[
    "windows",
    "xrdp",
    "freerdp",
    "ironrdp",
    "mstsc",
    "windows-app",
    "macos",
    "xfreerdp",
    "remmina",
    "any",
];

/// Columns 13-14: known values, both '-' or neither, and a fix to try first
/// exactly where the verdict has something to fix.
fn check_first_fix_cells(r: &TruthRow, at: &str, errors: &mut Vec<String>) {
    for (name, cell, known) in [
        ("first_fix_side", &r.first_fix_side, FIX_SIDES),
        ("first_fix_platform", &r.first_fix_platform, FIX_PLATFORMS),
    ] {
        for v in cell.iter().flatten() {
            if !known.contains(&v.as_str()) {
                errors.push(format!("{at}: {name} {v:?} is not one of {known:?}"));
            }
        }
    }
    if r.first_fix_side.is_some() != r.first_fix_platform.is_some() {
        errors.push(format!(
            "{at}: first_fix_side and first_fix_platform: both '-' or neither"
        ));
    }
    let has_fix = r.verdict != "healthy" && r.verdict != "inconclusive";
    if r.first_fix_side.is_some() != has_fix {
        errors.push(format!(
            "{at}: verdict {} {}",
            r.verdict,
            if has_fix {
                "needs a fix to try first"
            } else {
                "has no fix to try first: '-'"
            }
        ));
    }
}

/// What the first fix is written for: a server fix's platform (Windows when
/// absent), a client fix's client, or `any`.
fn first_fix_platform(fix: &Value) -> String {
    let field = |k: &str| fix[k].as_str().map(str::to_owned);
    match fix["side"].as_str() {
        Some("server") => field("platform").unwrap_or_else(|| "windows".to_owned()),
        Some("client") => field("client").unwrap_or_else(|| "any".to_owned()),
        _ => "any".to_owned(),
    }
}

/// Holds `diagnosis.first_fix` to columns 13-14.
fn check_first_fix(row: &TruthRow, j: &Value, out: &mut Vec<Diff>) {
    let fix = &j["diagnosis"]["first_fix"]["fix"];
    let title = fix["title"].as_str().unwrap_or("(no fix)");
    let got_side = fix["side"].as_str();
    match (&row.first_fix_side, got_side) {
        (None, None) => {}
        (Some(want), Some(got)) if want.iter().any(|w| w == got) => {}
        (want, got) => out.push(diff(
            "first_fix.fix.side",
            want.as_ref().map_or("-".to_owned(), |w| w.join("|")),
            format!("{} ({title})", got.unwrap_or("-")),
        )),
    }
    if let (Some(want), Some(_)) = (&row.first_fix_platform, got_side) {
        let got = first_fix_platform(fix);
        if !want.contains(&got) {
            out.push(diff(
                "first fix's platform",
                want.join("|"),
                format!("{got} ({title})"),
            ));
        }
    }
}

/// One difference between the table and the report.
struct Diff {
    check: String,
    expected: String,
    got: String,
}

fn diff(check: &str, expected: impl Into<String>, got: impl Into<String>) -> Diff {
    Diff {
        check: check.to_owned(),
        expected: expected.into(),
        got: got.into(),
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

/// Holds the JSON report to the row.
fn check_json(row: &TruthRow, p: &Probe, out: &mut Vec<Diff>) {
    let j = &p.json;
    if j["schema_version"] != 2 {
        out.push(diff("schema_version", "2", j["schema_version"].to_string()));
    }
    let verdict = j["verdict"].as_str().unwrap_or("(none)");
    if verdict != row.verdict {
        out.push(diff("verdict", &row.verdict, verdict));
    }
    let reported_ok = if VERDICTS.contains(&verdict) {
        verdict_is_ok(verdict)
    } else {
        verdict_is_ok(&row.verdict)
    };
    let want_exit = if reported_ok { 0 } else { 1 };
    if p.code != want_exit {
        out.push(diff(
            "exit status",
            format!("{want_exit} (verdict {verdict})"),
            p.code.to_string(),
        ));
    }

    let ids = p.finding_ids();
    for c in &row.present {
        match p.finding_summary(&c.id) {
            None => out.push(diff("finding present", &c.id, format!("findings {ids:?}"))),
            Some(summary) => {
                if let Some(text) = &c.summary_contains
                    && !summary.contains(text.as_str())
                {
                    out.push(diff(
                        "finding summary",
                        format!("{}: …{text}…", c.id),
                        summary,
                    ));
                }
            }
        }
    }
    for a in &row.absent {
        if ids.contains(a) {
            let summary = p.finding_summary(a).unwrap_or_default();
            out.push(diff("finding absent", a, format!("present: {summary}")));
        }
    }

    let first = &j["diagnosis"]["causes"][0];
    let first_id = first["id"].as_str();
    let headline = str_at(j, &["diagnosis", "headline"]).unwrap_or("(no headline)");
    match (&row.top_causes, first_id) {
        (Some(top), Some(id)) if top.iter().any(|t| t == id) => {}
        (Some(top), got) => out.push(diff(
            "causes[0]",
            top.join("|"),
            format!("{} (headline: {headline})", got.unwrap_or("no cause")),
        )),
        (None, _) => {
            if headline.starts_with("Most likely") {
                out.push(diff(
                    "headline",
                    "no cause pushed (not \"Most likely …\")",
                    headline,
                ));
            }
        }
    }
    if let Some(id) = first_id {
        let conf = first["confidence"].as_str().unwrap_or("(none)");
        let cap = confidence_rank(&row.max_confidence).unwrap_or(2);
        match confidence_rank(conf) {
            Some(c) if c <= cap => {}
            _ => out.push(diff(
                "causes[0].confidence",
                format!("<= {}", row.max_confidence),
                format!("{conf} ({id})"),
            )),
        }
    }

    check_first_fix(row, j, out);

    if let Some(sec) = &row.security {
        let checks = [
            ("security.layer", "layer", &sec.layer),
            ("security.nla", "nla", &sec.nla),
            ("security.nla_basis", "nla_basis", &sec.nla_basis),
        ];
        for (name, key, want) in checks {
            let Some(want) = want else { continue };
            let got = &j["security"][key];
            if got.as_str() != Some(want.as_str()) {
                out.push(diff(name, want, got.to_string()));
            }
        }
    }
}

/// The text report answers first: the verdict and what to try (or that
/// nothing needs fixing) within the first lines, each fitting 80 columns.
/// One difference per row, listing what is missing, with the head shown once.
fn check_text_head(row: &TruthRow, netns: bool, target: &str, out: &mut Vec<Diff>) {
    let mut args = vec!["probe", target, "--no-reverse-dns", "--color", "never"];
    args.extend(row.args.iter().map(String::as_str));
    let (o, _) = run_env(netns, &args, &[("COLUMNS", "80"), ("NO_COLOR", "1")]);
    let text = String::from_utf8_lossy(&o.stdout);
    let head: Vec<&str> = text.lines().take(HEAD_LINES).collect();
    let mut missing = Vec::new();
    // "some-clients-fail" may read "Some clients fail".
    let flat = head.join("\n").to_lowercase().replace('-', " ");
    if !flat.contains(&row.verdict.replace('-', " ")) {
        missing.push(format!("the verdict {}", row.verdict));
    }
    let answer = head.iter().any(|l| {
        let l = l.trim_start();
        l.starts_with("Try first:") || l.starts_with("Nothing to fix")
    });
    if !answer {
        missing.push("a line \"Try first: …\" or \"Nothing to fix …\"".to_owned());
    }
    let wide: Vec<String> = head
        .iter()
        .enumerate()
        .filter(|(_, l)| l.chars().count() > HEAD_WIDTH)
        .map(|(i, l)| format!("line {} has {} columns", i + 1, l.chars().count()))
        .collect();
    if !wide.is_empty() {
        missing.push(format!(
            "lines <= {HEAD_WIDTH} columns ({})",
            wide.join(", ")
        ));
    }
    if !missing.is_empty() {
        out.push(diff(
            &format!("text head ({HEAD_LINES} lines)"),
            missing.join("; "),
            head.join(" ⏎ "),
        ));
    }
}

/// One row's outcome: its differences and a line for the log.
struct RowResult {
    name: String,
    diffs: Vec<Diff>,
    log: String,
}

fn check_row(row: &TruthRow, s: &Scenario) -> RowResult {
    let netns = s.in_netns();
    let target = s.target();
    let args: Vec<&str> = row.args.iter().map(String::as_str).collect();
    let mut diffs = Vec::new();
    let log = match try_probe_target(netns, &target, &args) {
        Err(e) => {
            let first = e.lines().next().unwrap_or_default().to_owned();
            diffs.push(diff("JSON report", "a JSON document", first.clone()));
            first
        }
        Ok(p) => {
            check_json(row, &p, &mut diffs);
            format!(
                "{} · {:?} · {} ({}) · exit {} · {:.1} s",
                p.json["verdict"].as_str().unwrap_or("?"),
                p.finding_ids(),
                p.cause_ids().first().map(String::as_str).unwrap_or("-"),
                p.json["diagnosis"]["causes"][0]["confidence"]
                    .as_str()
                    .unwrap_or("-"),
                p.code,
                p.elapsed.as_secs_f64()
            )
        }
    };
    check_text_head(row, netns, &target, &mut diffs);
    RowResult {
        name: row.name.clone(),
        diffs,
        log,
    }
}

#[test]
#[ignore = "needs the lab: run lab/test.sh"]
fn every_scenario_matches_the_ground_truth() {
    let rows = ground_truth();
    let scenarios = scenarios();
    let netns_up = lab_has_netns();
    let mut failures: BTreeMap<String, Vec<Diff>> = BTreeMap::new();

    // The table covers the lab, and the lab covers the table.
    for r in &rows {
        if !scenarios.contains_key(r.scenario()) {
            failures.entry(r.name.clone()).or_default().push(diff(
                "scenario",
                format!("{} in lab/scenarios.tsv", r.scenario()),
                "missing",
            ));
        }
    }
    let covered: BTreeSet<&str> = rows.iter().map(TruthRow::scenario).collect();
    for name in scenarios.keys() {
        if !covered.contains(name.as_str()) {
            failures.entry(name.clone()).or_default().push(diff(
                "ground truth",
                "a row in lab/ground-truth.tsv",
                "missing",
            ));
        }
    }

    let mut skipped = Vec::new();
    let work: Vec<(&TruthRow, &Scenario)> = rows
        .iter()
        .filter_map(|r| Some((r, scenarios.get(r.scenario())?)))
        .filter(|(r, s)| {
            let run = netns_up || !s.in_netns();
            if !run {
                skipped.push(r.name.clone());
            }
            run
        })
        .collect();
    if !skipped.is_empty() {
        eprintln!("the lab has no network namespaces (RDPDOCTOR_LAB_NETNS=0): skipped {skipped:?}");
    }

    // Two rows at a time: two cores, one shared lab.
    let results = parallel(&work, 2, |(r, s)| check_row(r, s));
    for res in results {
        let mark = if res.diffs.is_empty() { "ok  " } else { "DIFF" };
        eprintln!("{mark} {:<24} {}", res.name, res.log);
        if !res.diffs.is_empty() {
            failures.entry(res.name).or_default().extend(res.diffs);
        }
    }

    let lines: Vec<Vec<String>> = failures
        .iter()
        .flat_map(|(name, diffs)| {
            diffs.iter().map(move |d| {
                vec![
                    name.clone(),
                    d.check.clone(),
                    d.expected.clone(),
                    d.got.clone(),
                ]
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows differ from lab/ground-truth.tsv ({} differences):\n{}",
        failures.len(),
        rows.len(),
        lines.len(),
        table(&["row", "check", "expected", "got"], &lines)
    );
}
