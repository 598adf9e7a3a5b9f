//! Registry hive files (the `regf` format), read with `notatin`
//! (Apache-2.0), which applies the `.LOG1`/`.LOG2` transaction logs of a
//! dirty hive. The `nt-hive` crates would do too but are GPL.
//!
//! Memory: notatin holds the hive (and its logs) in memory, and parses a key
//! only when it is asked for; nothing here walks the whole hive.
//!
//! Damage: notatin skips a cell it cannot parse and notes it on the key that
//! points to it. Those notes, met on the way to a key we look for, are this
//! source's problems: the hive is then "partial", and what was read is kept.
//!
//! Panics: truncations and random byte flips of the fixtures, walked key by
//! key, gave none, but notatin does panic on one path of its API (asking
//! `Parser::get_sub_key` from the root key slices past a string's end), and
//! it indexes hive bytes in many places. So each call into it runs under
//! `catch_unwind`: a panic makes the hive partial ("the hive reader failed
//! at …") and it is not read further, rather than ending rdpdoctor.

use super::view::{self, Data, Key, RegistrySource, Root, Value};
use notatin::cell_key_node::CellKeyNode;
use notatin::cell_value::CellValue;
use notatin::log::Logs;
use notatin::parser::Parser;
use notatin::parser_builder::ParserBuilder;
use rdpdoctor_evidence::host::{SourceKind, SourceStatus};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// At most this many problems are kept per hive (a badly damaged hive has
/// thousands; the first few say enough).
pub(crate) const MAX_PROBLEMS: usize = 20;

/// One hive file.
pub struct HiveFile {
    name: String,
    kind: SourceKind,
    parser: Parser,
    /// `Select\Current`, once read (SYSTEM only).
    current_control_set: Option<Option<u32>>,
    problems: Vec<String>,
    /// Problems known at opening (a dirty hive without its logs).
    notes: Vec<String>,
    /// notatin panicked: nothing more is read from this hive.
    poisoned: bool,
}

impl HiveFile {
    /// Opens a hive, applying the transaction logs given, and tells its kind
    /// from its root keys. A hive of another kind (SAM, SECURITY, …) or a
    /// file notatin cannot read is an `Err` with its kind and a one-line problem.
    pub fn open(path: &Path, logs: &[PathBuf]) -> Result<HiveFile, (SourceKind, String)> {
        catch_unwind(|| Self::open_inner(path, logs)).unwrap_or_else(|_| {
            Err((
                SourceKind::Unknown,
                format!(
                    "{} is a hive the reader (notatin) failed on",
                    path.display()
                ),
            ))
        })
    }

    fn open_inner(path: &Path, logs: &[PathBuf]) -> Result<HiveFile, (SourceKind, String)> {
        let unreadable = |e: String| (SourceKind::Unknown, e);
        let shown = path.display();
        let cut = cut_short(path).map_err(|e| unreadable(format!("{shown}: {e}")))?;
        if let Some(cut) = &cut
            && cut.is_fatal()
        {
            return Err(unreadable(format!("{shown} {cut}")));
        }
        let mut notes = Vec::new();
        let parser = match build(path, logs) {
            Ok(p) => p,
            Err(e) if !logs.is_empty() => {
                // A bad log should not cost the hive itself.
                notes.push(format!(
                    "its transaction logs could not be applied ({e}); read without them"
                ));
                build(path, &[])
                    .map_err(|e| unreadable(format!("{shown} is not a readable hive: {e}")))?
            }
            Err(e) => return Err(unreadable(format!("{shown} is not a readable hive: {e}"))),
        };
        for text in log_texts(parser.get_parse_logs()) {
            // notatin skips a log file it cannot parse and says so only here.
            if let Some(why) = text.strip_prefix("Skipping log file; ") {
                notes.push(format!(
                    "a transaction log beside it could not be read ({why}); the hive was read without it"
                ));
            }
        }
        if logs.is_empty() {
            let dirty = log_texts(parser.get_parse_logs())
                .any(|t| t.contains("primary and secondary sequence numbers do not match"));
            if dirty {
                notes.push(
                    "the hive is dirty and its transaction logs (.LOG1/.LOG2) were not found: \
                     the newest changes may be missing"
                        .to_owned(),
                );
            }
        }
        let mut hive = HiveFile {
            name: path.display().to_string(),
            kind: SourceKind::Unknown,
            parser,
            current_control_set: None,
            problems: Vec::new(),
            notes,
            poisoned: false,
        };
        let top = hive.root_subkeys();
        let kind = top.and_then(|top| {
            kind_of(&top, |p| hive.has_key(p)).map_err(|what| {
                format!("{shown} is {what}, not a SYSTEM, SOFTWARE or NTUSER.DAT hive")
            })
        });
        hive.kind = match (kind, &cut) {
            (Ok(kind), _) => kind,
            // A cut hive's kind may not be readable: the cut is the news.
            (Err(_), Some(cut)) => return Err(unreadable(format!("{shown} {cut}"))),
            (Err(e), None) if e.contains("not a SYSTEM") => {
                return Err((SourceKind::OtherHive, e));
            }
            (Err(e), None) => return Err(unreadable(e)),
        };
        if let Some(cut) = cut {
            hive.notes.insert(0, format!("the file {cut}"));
        }
        Ok(hive)
    }

    fn root_subkeys(&mut self) -> Result<Vec<String>, String> {
        let mut root = self.root().ok_or_else(|| {
            format!(
                "{} is not a readable hive: its root key cannot be read",
                self.name
            )
        })?;
        Ok(root
            .read_sub_keys(&mut self.parser)
            .into_iter()
            .map(|k| k.key_name)
            .collect())
    }

    fn root(&mut self) -> Option<CellKeyNode> {
        self.parser.get_root_key().ok().flatten()
    }

    fn has_key(&mut self, path: &str) -> bool {
        self.walk(path).is_some()
    }

    /// Walks from the root one segment at a time, so that damage met on the
    /// way is noted.
    fn walk(&mut self, path: &str) -> Option<(CellKeyNode, String)> {
        let mut node = self.root()?;
        let mut shown = String::new();
        for seg in path.split('\\').filter(|s| !s.is_empty()) {
            // Not `Parser::get_sub_key`: it slices the path past its end
            // when asked from the root key, and panics.
            let child = node.get_sub_key_by_path(&mut self.parser, seg);
            self.note(&node.logs, &shown);
            let child = child?;
            if !shown.is_empty() {
                shown.push('\\');
            }
            shown.push_str(&child.key_name);
            node = child;
        }
        self.note(&node.logs, &shown);
        Some((node, shown))
    }

    fn note(&mut self, logs: &Logs, at: &str) {
        for text in log_texts(logs) {
            if self.problems.len() >= MAX_PROBLEMS {
                return;
            }
            // notatin's text starts with its own internal path; ours is the
            // key as Windows names it.
            let what = text.rsplit(": ").next().unwrap_or(text);
            let line = format!("{}\\{at}: damaged ({what})", self.prefix());
            if !self.problems.contains(&line) {
                self.problems.push(line);
            }
        }
    }

    fn prefix(&self) -> &'static str {
        match self.kind {
            SourceKind::SoftwareHive => Root::Software.prefix(),
            SourceKind::UserHive => Root::User.prefix(),
            _ => Root::System.prefix(),
        }
    }

    fn current(&mut self) -> Option<u32> {
        if let Some(c) = self.current_control_set {
            return c;
        }
        let c = self
            .walk("Select")
            .and_then(|(node, _)| node.get_value("Current"))
            .and_then(|v| data(v.get_content().0))
            .and_then(|d| d.as_u32());
        self.current_control_set = Some(c);
        c
    }
}

/// A hive shorter than its base block says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CutShort {
    /// Bytes the base block announces (4096 + the hive bins' size).
    pub announced: u64,
    /// Bytes in the file.
    pub actual: u64,
}

impl CutShort {
    /// Not even the 4096-byte base block is whole.
    fn is_fatal(&self) -> bool {
        self.actual < BASE_BLOCK
    }
}

impl std::fmt::Display for CutShort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_fatal() {
            write!(
                f,
                "is cut short: {} bytes, less than a hive's 4096-byte header",
                self.actual
            )
        } else {
            write!(
                f,
                "is cut short: its header announces {} bytes, the file has {}",
                self.announced, self.actual
            )
        }
    }
}

/// The base block's size; the hive bins' data size is the u32 at 0x28
/// (the `regf` layout: <https://github.com/msuhanov/regf/blob/master/Windows%20registry%20file%20format%20specification.md>).
const BASE_BLOCK: u64 = 4096;

/// Checks the file against the size its base block announces.
pub fn check_length(header: &[u8], actual: u64) -> Option<CutShort> {
    let size = header
        .get(0x28..0x2C)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_le_bytes);
    match size {
        None => Some(CutShort {
            announced: BASE_BLOCK,
            actual,
        }),
        Some(n) => {
            let announced = BASE_BLOCK + u64::from(n);
            (actual < announced).then_some(CutShort { announced, actual })
        }
    }
}

fn cut_short(path: &Path) -> std::io::Result<Option<CutShort>> {
    use std::io::Read;
    let actual = std::fs::metadata(path)?.len();
    let mut header = Vec::with_capacity(64);
    std::fs::File::open(path)?
        .take(64)
        .read_to_end(&mut header)?;
    Ok(check_length(&header, actual))
}

fn build(path: &Path, logs: &[PathBuf]) -> Result<Parser, notatin::err::Error> {
    let mut b = ParserBuilder::from_path(PathBuf::from(path));
    b.recover_deleted(false);
    for l in logs {
        b.with_transaction_log(l.clone());
    }
    b.build()
}

fn log_texts(logs: &Logs) -> impl Iterator<Item = &str> {
    logs.get().into_iter().flatten().map(|l| l.text.as_str())
}

/// The hive's kind from its root keys: SYSTEM has `Select` and
/// `ControlSet00N`; SOFTWARE has `Microsoft\Windows NT\CurrentVersion`;
/// NTUSER.DAT has `Software` and `Control Panel` or `Environment`.
/// `Err` names what it is instead.
pub fn kind_of(
    top: &[String],
    mut has_key: impl FnMut(&str) -> bool,
) -> Result<SourceKind, &'static str> {
    let has = |name: &str| top.iter().any(|t| t.eq_ignore_ascii_case(name));
    let control_set = top.iter().any(|t| {
        t.len() == 13
            && t.get(..10)
                .is_some_and(|p| p.eq_ignore_ascii_case("ControlSet"))
    });
    if has("Select") && control_set {
        Ok(SourceKind::SystemHive)
    } else if has("Microsoft") && has_key("Microsoft\\Windows NT\\CurrentVersion") {
        Ok(SourceKind::SoftwareHive)
    } else if has("Software") && (has("Control Panel") || has("Environment")) {
        Ok(SourceKind::UserHive)
    } else if has("SAM") {
        Err("a SAM hive")
    } else if has("Policy") {
        Err("a SECURITY hive")
    } else if has("Select") || control_set {
        Err("a damaged SYSTEM hive (it lacks Select or every ControlSet00N)")
    } else {
        Err("a hive of another kind")
    }
}

/// notatin's value to ours. notatin gives REG_SZ and REG_EXPAND_SZ as one
/// string type, REG_DWORD as U32, REG_DWORD_BIG_ENDIAN already swapped.
fn data(v: CellValue) -> Option<Data> {
    Some(match v {
        CellValue::U32(n) => Data::Dword(n),
        CellValue::I32(n) => Data::Dword(n as u32),
        CellValue::U64(n) => Data::Qword(n),
        CellValue::I64(n) => Data::Qword(n as u64),
        CellValue::String(s) => Data::Sz(s),
        CellValue::MultiString(v) => Data::MultiSz(v),
        CellValue::Binary(b) => Data::Binary(b),
        CellValue::None => Data::Binary(Vec::new()),
        CellValue::Error => return None,
    })
}

impl HiveFile {
    fn key_inner(&mut self, root: Root, path: &str) -> Option<Key> {
        let path = if view::is_current_control_set(path) {
            view::resolve_control_set(path, Some(self.current()?))
        } else {
            path.to_owned()
        };
        let (mut node, shown) = self.walk(&path)?;
        let mut values = Vec::new();
        for v in node.value_iter() {
            let name = v.get_pretty_name();
            let (content, logs) = v.get_content();
            if let Some(logs) = &logs {
                let at = format!("{shown}\\{name}");
                self.note(logs, &at);
            }
            if let Some(data) = data(content) {
                values.push(Value { name, data });
            }
        }
        let subkeys = node
            .read_sub_keys(&mut self.parser)
            .into_iter()
            .map(|k| k.key_name)
            .collect();
        self.note(&node.logs, &shown);
        Some(Key {
            source: self.name.clone(),
            path: if shown.is_empty() {
                root.prefix().to_owned()
            } else {
                format!("{}\\{shown}", root.prefix())
            },
            values,
            subkeys,
        })
    }
}

impl RegistrySource for HiveFile {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> SourceKind {
        self.kind
    }

    fn covers(&self, root: Root) -> bool {
        matches!(
            (root, self.kind),
            (Root::System, SourceKind::SystemHive)
                | (Root::Software, SourceKind::SoftwareHive)
                | (Root::User, SourceKind::UserHive)
        )
    }

    fn key(&mut self, root: Root, path: &str) -> Option<Key> {
        if !self.covers(root) || self.poisoned {
            return None;
        }
        match catch_unwind(AssertUnwindSafe(|| self.key_inner(root, path))) {
            Ok(k) => k,
            Err(_) => {
                self.poisoned = true;
                self.problems.insert(
                    0,
                    format!(
                        "the hive reader (notatin) failed at {}\\{path}; nothing after it was read",
                        root.prefix()
                    ),
                );
                None
            }
        }
    }

    fn status(&self) -> SourceStatus {
        let mut all = self.notes.iter().chain(&self.problems);
        let Some(first) = all.next() else {
            return SourceStatus::Read;
        };
        let more = self.notes.len() + self.problems.len() - 1;
        let problem = if more == 0 {
            format!("{}: {first}", self.name)
        } else if self.problems.len() >= MAX_PROBLEMS {
            format!("{}: {first} (and more damage)", self.name)
        } else {
            format!("{}: {first} (and {more} more)", self.name)
        };
        SourceStatus::Partial { problem }
    }
}
