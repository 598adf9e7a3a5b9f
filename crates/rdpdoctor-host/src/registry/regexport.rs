//! A `.reg` export as a registry source. One export may hold keys of several
//! roots (`HKEY_LOCAL_MACHINE\SYSTEM\…`, `HKEY_LOCAL_MACHINE\SOFTWARE\…`,
//! `HKEY_CURRENT_USER\…`); each key is filed under its root. Sections are
//! applied in file order, as `reg import` would: a later value wins, `"v"=-`
//! and `[-KEY]` delete.

use super::regfile::{self, RegFile};
use super::view::{self, Data, Key, RegistrySource, Root, Value};
use rdpdoctor_evidence::host::{SourceKind, SourceStatus};
use std::collections::BTreeMap;
use std::path::Path;

/// Exports larger than this are refused: a full `reg export HKLM` is about
/// 300 MB of UTF-16; the keys rdpdoctor reads fit in far less.
pub const MAX_EXPORT_BYTES: u64 = 512 * 1024 * 1024;

/// A parsed export, by root and key (lower-case path below the root).
pub struct RegExport {
    name: String,
    keys: BTreeMap<(RootId, String), Entry>,
    problems: Vec<String>,
}

/// [`Root`] as a map key.
type RootId = u8;

fn id(root: Root) -> RootId {
    match root {
        Root::System => 0,
        Root::Software => 1,
        Root::User => 2,
    }
}

struct Entry {
    /// The key as Windows names it (`HKLM\SYSTEM\…`), in the file's case.
    shown: String,
    values: Vec<Value>,
}

impl RegExport {
    /// Reads and parses an export file.
    pub fn open(path: &Path) -> Result<RegExport, String> {
        let shown = path.display();
        let size = std::fs::metadata(path)
            .map_err(|e| format!("{shown}: {e}"))?
            .len();
        if size > MAX_EXPORT_BYTES {
            return Err(format!(
                "{shown} is {size} bytes, more than the {MAX_EXPORT_BYTES} a reg export is read up to: export only the keys needed"
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
        let text = regfile::decode_text(&bytes).map_err(|e| format!("{shown}: {e}"))?;
        let file = regfile::parse(&text).map_err(|e| format!("{shown}: {e}"))?;
        Ok(RegExport::from_file(shown.to_string(), file))
    }

    /// Files the sections of a parsed export under their roots.
    pub fn from_file(name: String, file: RegFile) -> RegExport {
        let mut out = RegExport {
            name,
            keys: BTreeMap::new(),
            problems: file.problems,
        };
        for section in file.sections {
            // Keys of other roots (HKEY_CLASSES_ROOT, …) say nothing rdpdoctor reads.
            let Some((root, rest)) = split_root(&section.path) else {
                continue;
            };
            let lower = rest.to_ascii_lowercase();
            if section.deleted {
                let below = format!("{lower}\\");
                out.keys
                    .retain(|(r, k), _| *r != id(root) || !(k == &lower || k.starts_with(&below)));
                continue;
            }
            let entry = out.keys.entry((id(root), lower)).or_insert_with(|| Entry {
                shown: if rest.is_empty() {
                    root.prefix().to_owned()
                } else {
                    format!("{}\\{rest}", root.prefix())
                },
                values: Vec::new(),
            });
            for (name, data) in section.values {
                entry.values.retain(|v| !v.name.eq_ignore_ascii_case(&name));
                if let Some(data) = data {
                    entry.values.push(Value { name, data });
                }
            }
        }
        out
    }

    fn lookup(&self, root: Root, path: &str) -> Option<Key> {
        let lower = path.trim_matches('\\').to_ascii_lowercase();
        let below = if lower.is_empty() {
            String::new()
        } else {
            format!("{lower}\\")
        };
        let mut subkeys: Vec<String> = Vec::new();
        let mut exists = false;
        for ((r, k), e) in self.keys.range((id(root), lower.clone())..) {
            if *r != id(root) || !(k == &lower || k.starts_with(&below)) {
                break;
            }
            exists = true;
            // A key below `path` implies each key on the way (an export
            // names every key, a hand-written file may not).
            if let Some(rest) = k.get(below.len()..).filter(|r| !r.is_empty()) {
                let child_len = rest.find('\\').unwrap_or(rest.len());
                // `shown` is the root's prefix, `\`, then `k` in its own case.
                let start = e.shown.len().saturating_sub(k.len()) + below.len();
                if let Some(child) = e.shown.get(start..start + child_len)
                    && !subkeys.iter().any(|s| s.eq_ignore_ascii_case(child))
                {
                    subkeys.push(child.to_owned());
                }
            }
        }
        if !exists {
            return None;
        }
        let entry = self.keys.get(&(id(root), lower.clone()));
        Some(Key {
            source: self.name.clone(),
            path: match entry {
                Some(e) => e.shown.clone(),
                None if path.is_empty() => root.prefix().to_owned(),
                None => format!("{}\\{path}", root.prefix()),
            },
            values: entry.map(|e| e.values.clone()).unwrap_or_default(),
            subkeys,
        })
    }
}

/// `HKEY_LOCAL_MACHINE\SYSTEM\X` → (System, `X`); also `HKLM`, `HKCU`,
/// `HKEY_CURRENT_USER` and `HKEY_USERS\<SID>` (a user's hive as loaded).
fn split_root(path: &str) -> Option<(Root, &str)> {
    let (first, rest) = path.split_once('\\').unwrap_or((path, ""));
    let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    if eq(first, "HKEY_LOCAL_MACHINE") || eq(first, "HKLM") {
        let (second, rest) = rest.split_once('\\').unwrap_or((rest, ""));
        if eq(second, "SYSTEM") {
            Some((Root::System, rest))
        } else if eq(second, "SOFTWARE") {
            Some((Root::Software, rest))
        } else {
            None
        }
    } else if eq(first, "HKEY_CURRENT_USER") || eq(first, "HKCU") {
        Some((Root::User, rest))
    } else if eq(first, "HKEY_USERS") || eq(first, "HKU") {
        let (sid, rest) = rest.split_once('\\').unwrap_or((rest, ""));
        // `<SID>_Classes` is the user's class registration, not NTUSER.DAT.
        (!sid.to_ascii_lowercase().ends_with("_classes")).then_some((Root::User, rest))
    } else {
        None
    }
}

impl RegistrySource for RegExport {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> SourceKind {
        SourceKind::RegExport
    }

    fn covers(&self, root: Root) -> bool {
        self.keys.keys().any(|(r, _)| *r == id(root))
    }

    fn key(&mut self, root: Root, path: &str) -> Option<Key> {
        if let Some(k) = self.lookup(root, path) {
            return Some(k);
        }
        // `reg export HKLM\SYSTEM` writes ControlSet00N keys; a narrower
        // export writes CurrentControlSet. Either answers.
        if root == Root::System && view::is_current_control_set(path) {
            let current = self
                .lookup(Root::System, "Select")
                .and_then(|k| k.value("Current").and_then(Data::as_u32))?;
            return self.lookup(root, &view::resolve_control_set(path, Some(current)));
        }
        None
    }

    fn status(&self) -> SourceStatus {
        if self.keys.is_empty() {
            return SourceStatus::Unusable {
                problem: format!(
                    "{} holds no keys of HKLM\\SYSTEM, HKLM\\SOFTWARE or HKCU",
                    self.name
                ),
            };
        }
        match self.problems.first() {
            None => SourceStatus::Read,
            Some(first) => SourceStatus::Partial {
                problem: match self.problems.len() {
                    1 => format!("{}: {first} (skipped)", self.name),
                    n => format!("{}: {first} (skipped, and {} more lines)", self.name, n - 1),
                },
            },
        }
    }
}
