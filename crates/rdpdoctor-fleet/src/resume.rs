//! The resume file (`scan --resume FILE`): one line per finished host, the
//! same JSON as `--format ndjson` (the probe's schema), appended as each host
//! finishes. Sans-I/O: this reads what a previous run left.
//!
//! A run killed mid-write leaves at most one torn line, the last, without
//! its newline: it is dropped (that host is probed again) and the file is cut
//! back to its last whole line before anything is appended. Any other line
//! that is not a report is an error naming the line: the file is not ours,
//! and appending to it would bury someone's data.

use crate::targets::host_key;
use std::collections::HashSet;

/// What a previous run finished.
#[derive(Debug, Default)]
pub struct Done {
    /// The hosts finished (see [`host_key`]).
    pub keys: HashSet<(String, u16)>,
    /// Byte ranges of the whole lines, in order (to summarise them again).
    pub lines: Vec<std::ops::Range<usize>>,
    /// Bytes of the file that are whole lines: cut the file to this length
    /// before appending.
    pub keep_len: usize,
    /// The last line was kept but has no newline: write one before appending.
    pub needs_newline: bool,
    /// A torn last line was dropped.
    pub torn: bool,
}

/// A resume file that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeError(pub String);

impl std::fmt::Display for ResumeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ResumeError {}

/// The host and port a report line is for.
pub fn line_key(line: &str) -> Result<(String, u16), String> {
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not a JSON report ({e})"))?;
    let target = v.get("target").ok_or("no \"target\" in it")?;
    let host = target
        .get("host")
        .and_then(|h| h.as_str())
        .ok_or("no target host in it")?;
    let port = target
        .get("port")
        .and_then(|p| p.as_u64())
        .and_then(|p| u16::try_from(p).ok())
        .ok_or("no target port in it")?;
    Ok(host_key(host, port))
}

/// Reads a resume file's text. `name` names it in errors.
pub fn parse_resume(text: &str, name: &str) -> Result<Done, ResumeError> {
    let mut done = Done::default();
    let mut at = 0;
    let mut number = 0;
    while at < text.len() {
        number += 1;
        let rest = text.get(at..).unwrap_or("");
        let (line, terminated) = match rest.find('\n') {
            Some(i) => (rest.get(..i).unwrap_or(""), true),
            None => (rest, false),
        };
        let end = at + line.len() + usize::from(terminated);
        let body = line.strip_suffix('\r').unwrap_or(line);
        if body.trim().is_empty() {
            at = end;
            if terminated {
                done.keep_len = end;
            }
            continue;
        }
        match line_key(body) {
            Ok(key) => {
                done.keys.insert(key);
                done.lines.push(at..at + body.len());
                done.keep_len = end;
                done.needs_newline = !terminated;
            }
            Err(_) if !terminated => done.torn = true,
            Err(e) => {
                return Err(ResumeError(format!(
                    "{name} line {number}: {e}; a resume file holds one rdpdoctor report per line (scan --format ndjson)"
                )));
            }
        }
        at = end;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str =
        r#"{"schema_version":2,"target":{"input":"a","host":"A","port":3389},"verdict":"healthy"}"#;
    const B: &str = r#"{"target":{"host":"10.0.0.2","port":3390}}"#;

    #[test]
    fn whole_lines_are_done() {
        let text = format!("{A}\n{B}\n");
        let d = parse_resume(&text, "r").unwrap();
        assert!(d.keys.contains(&("a".into(), 3389)));
        assert!(d.keys.contains(&("10.0.0.2".into(), 3390)));
        assert_eq!(d.keep_len, text.len());
        assert!(!d.torn && !d.needs_newline);
        assert_eq!(text.get(d.lines[1].clone()), Some(B));
    }

    #[test]
    fn a_torn_last_line_is_dropped() {
        let text = format!("{A}\n{}", &B[..20]);
        let d = parse_resume(&text, "r").unwrap();
        assert_eq!(d.keys.len(), 1);
        assert!(d.torn);
        assert_eq!(d.keep_len, A.len() + 1);
    }

    #[test]
    fn a_whole_last_line_without_newline_is_kept() {
        let text = format!("{A}\r\n{B}");
        let d = parse_resume(&text, "r").unwrap();
        assert_eq!(d.keys.len(), 2);
        assert!(d.needs_newline && !d.torn);
        assert_eq!(d.keep_len, text.len());
    }

    #[test]
    fn a_foreign_line_names_its_number() {
        let text = format!("{A}\n\nhello\n{B}\n");
        let e = parse_resume(&text, "scan.ndjson").unwrap_err().0;
        assert!(
            e.starts_with("scan.ndjson line 3: not a JSON report"),
            "{e}"
        );
        let e = parse_resume("{\"x\":1}\n", "f").unwrap_err().0;
        assert!(e.contains("no \"target\""), "{e}");
        assert!(parse_resume("", "f").unwrap().keys.is_empty());
    }
}
