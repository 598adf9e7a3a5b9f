//! lab/ground-truth.tsv: what an expert admin concludes for every lab
//! scenario, parsed into rows (its header documents the columns).

use crate::fixtures::repo_root;

/// A finding a truth row requires: its id, and text its summary must contain.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingCheck {
    pub id: String,
    pub summary_contains: Option<String>,
}

/// What `xfreerdp +auth-only /cert:ignore /sec:MODE` does on a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct XfreerdpExpect {
    /// `rdp`, `tls` or `nla` (the `/sec:` value).
    pub mode: &'static str,
    /// `Some(true)` = exit 0, `Some(false)` = any other exit, `None` = not run.
    pub ok: Option<bool>,
}

/// `security.layer`, `security.nla`, `security.nla_basis`; `None` = any.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityExpect {
    pub layer: Option<String>,
    pub nla: Option<String>,
    pub nla_basis: Option<String>,
}

/// One row of lab/ground-truth.tsv (its header documents the columns).
#[derive(Debug, Clone)]
pub struct TruthRow {
    /// Line number in the file (1-based).
    pub line: usize,
    /// `SCENARIO` or `SCENARIO@VARIANT`.
    pub name: String,
    pub verdict: String,
    pub present: Vec<FindingCheck>,
    pub absent: Vec<String>,
    /// `None` = '-': no cause may be pushed.
    pub top_causes: Option<Vec<String>>,
    pub max_confidence: String,
    pub xfreerdp: [XfreerdpExpect; 3],
    pub args: Vec<String>,
    pub security: Option<SecurityExpect>,
    pub note: String,
    /// `diagnosis.first_fix.fix.side` allowed (`server`, `client`, `gateway`,
    /// `network`); `None` = '-': no fix to try first.
    pub first_fix_side: Option<Vec<String>>,
    /// What the first fix is written for (a server fix's platform, a client
    /// fix's client, or `any`); `None` = '-'.
    pub first_fix_platform: Option<Vec<String>>,
}

impl TruthRow {
    /// The lab scenario the row probes (the name before any `@`).
    pub fn scenario(&self) -> &str {
        self.name.split('@').next().unwrap_or(&self.name)
    }

    /// True when the row has at least one xfreerdp expectation.
    pub fn has_xfreerdp(&self) -> bool {
        self.xfreerdp.iter().any(|x| x.ok.is_some())
    }
}

fn list(field: &str) -> Vec<String> {
    if field == "-" {
        return Vec::new();
    }
    field
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn finding_check(item: &str) -> Result<FindingCheck, String> {
    match item.split_once('[') {
        None => Ok(FindingCheck {
            id: item.to_owned(),
            summary_contains: None,
        }),
        Some((id, rest)) => {
            let text = rest
                .strip_suffix(']')
                .ok_or_else(|| format!("{item:?}: ID[TEXT] must end with ']'"))?;
            Ok(FindingCheck {
                id: id.to_owned(),
                summary_contains: Some(text.to_owned()),
            })
        }
    }
}

fn xfreerdp_cell(mode: &'static str, cell: &str) -> Result<XfreerdpExpect, String> {
    let ok = match cell {
        "ok" => Some(true),
        "fail" => Some(false),
        "-" => None,
        other => return Err(format!("xfreerdp_{mode} {other:?}: use ok, fail or -")),
    };
    Ok(XfreerdpExpect { mode, ok })
}

/// `a|b` alternatives, or `None` for '-'.
fn alternatives(cell: &str) -> Option<Vec<String>> {
    match cell.trim() {
        "-" => None,
        c => Some(c.split('|').map(|a| a.trim().to_owned()).collect()),
    }
}

fn security_cell(cell: &str) -> Result<Option<SecurityExpect>, String> {
    if cell == "-" {
        return Ok(None);
    }
    let parts: Vec<&str> = cell.split('/').collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(format!("security {cell:?}: use LAYER/NLA[/BASIS] or -"));
    }
    let any = |s: Option<&&str>| s.filter(|s| **s != "*").map(|s| (*s).to_owned());
    Ok(Some(SecurityExpect {
        layer: any(parts.first()),
        nla: any(parts.get(1)),
        nla_basis: any(parts.get(2)),
    }))
}

/// Parses one data line of lab/ground-truth.tsv.
pub fn parse_truth_line(line: usize, text: &str) -> Result<TruthRow, String> {
    let f: Vec<&str> = text.split('\t').collect();
    if f.len() != 14 {
        return Err(format!("{} columns, expected 14", f.len()));
    }
    let present = list(f[2])
        .iter()
        .map(|i| finding_check(i))
        .collect::<Result<Vec<_>, _>>()?;
    let top_causes = match f[4] {
        "-" => None,
        causes => Some(causes.split('|').map(|c| c.trim().to_owned()).collect()),
    };
    let args = if f[9] == "-" {
        Vec::new()
    } else {
        f[9].split_whitespace().map(str::to_owned).collect()
    };
    Ok(TruthRow {
        line,
        name: f[0].to_owned(),
        verdict: f[1].to_owned(),
        present,
        absent: list(f[3]),
        top_causes,
        max_confidence: f[5].to_owned(),
        xfreerdp: [
            xfreerdp_cell("rdp", f[6])?,
            xfreerdp_cell("tls", f[7])?,
            xfreerdp_cell("nla", f[8])?,
        ],
        args,
        security: security_cell(f[10])?,
        note: f[11].to_owned(),
        first_fix_side: alternatives(f[12]),
        first_fix_platform: alternatives(f[13]),
    })
}

/// Every row of lab/ground-truth.tsv, or every line that does not parse.
pub fn try_ground_truth() -> Result<Vec<TruthRow>, Vec<String>> {
    let path = repo_root().join("lab/ground-truth.tsv");
    let text =
        std::fs::read_to_string(&path).map_err(|e| vec![format!("{}: {e}", path.display())])?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.starts_with('#') || l.trim().is_empty() {
            continue;
        }
        match parse_truth_line(i + 1, l) {
            Ok(r) => rows.push(r),
            Err(e) => errors.push(format!("lab/ground-truth.tsv line {}: {e}", i + 1)),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Every row of lab/ground-truth.tsv (panics on a malformed line).
pub fn ground_truth() -> Vec<TruthRow> {
    try_ground_truth().unwrap_or_else(|e| panic!("{}", e.join("\n")))
}

/// The rows of a tab-separated lab table (`lab/NAME.tsv`, from the
/// repository's root): blank and `#` lines skipped, each row's fields,
/// `columns` of them (a row with another count fails the test).
pub fn tsv_rows(relative: &str, columns: usize) -> Vec<Vec<String>> {
    let path = crate::fixtures::repo_root().join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{relative}: {e}"));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<String> = l.split('\t').map(str::to_owned).collect();
            assert_eq!(f.len(), columns, "{columns} columns in {relative}: {l}");
            f
        })
        .collect()
}

/// A comma list cell of a lab table; `-` is none.
pub fn tsv_list(cell: &str) -> Vec<String> {
    if cell == "-" {
        vec![]
    } else {
        cell.split(',').map(str::to_owned).collect()
    }
}
