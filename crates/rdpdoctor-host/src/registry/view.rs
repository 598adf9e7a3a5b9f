//! The one registry view every source implements: hive files, `.reg`
//! exports and the live registry answer the same questions, so they give the
//! same evidence.

use rdpdoctor_evidence::host::{Origin, SourceKind, SourceStatus};

/// The registry roots rdpdoctor reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    /// `HKLM\SYSTEM` (the SYSTEM hive).
    System,
    /// `HKLM\SOFTWARE` (the SOFTWARE hive).
    Software,
    /// `HKCU` (a user's NTUSER.DAT).
    User,
}

impl Root {
    /// The prefix Windows writes before a key of this root.
    pub fn prefix(self) -> &'static str {
        match self {
            Root::System => "HKLM\\SYSTEM",
            Root::Software => "HKLM\\SOFTWARE",
            Root::User => "HKCU",
        }
    }
}

/// A value's data, by registry type. `REG_SZ` and `REG_EXPAND_SZ` are both
/// [`Data::Sz`] (the hive reader does not tell them apart and nothing here
/// needs to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// `REG_DWORD`.
    Dword(u32),
    /// `REG_QWORD`.
    Qword(u64),
    /// `REG_SZ` / `REG_EXPAND_SZ`.
    Sz(String),
    /// `REG_MULTI_SZ`.
    MultiSz(Vec<String>),
    /// `REG_BINARY` and anything else, raw.
    Binary(Vec<u8>),
}

impl Data {
    /// A number: a DWORD, a QWORD that fits, or a decimal string (some
    /// policies are written as strings by hand).
    pub fn as_u32(&self) -> Option<u32> {
        match self {
            Data::Dword(v) => Some(*v),
            Data::Qword(v) => u32::try_from(*v).ok(),
            Data::Sz(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A string (the first of a multi-string).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Data::Sz(s) => Some(s),
            Data::MultiSz(v) => v.first().map(String::as_str),
            _ => None,
        }
    }

    /// Raw bytes of a binary value.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Data::Binary(b) => Some(b),
            _ => None,
        }
    }
}

/// One value of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// The value name; empty for the default value (`@`).
    pub name: String,
    /// Its data.
    pub data: Data,
}

/// One key as a source holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The source it came from (a path, or `live`).
    pub source: String,
    /// The key as Windows names it, e.g. `HKLM\SYSTEM\ControlSet001\Services\TermService`.
    pub path: String,
    /// Its values.
    pub values: Vec<Value>,
    /// Its subkeys' names.
    pub subkeys: Vec<String>,
}

impl Key {
    /// The value `name` (compared as Windows does, ignoring case).
    pub fn value(&self, name: &str) -> Option<&Data> {
        self.values
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(name))
            .map(|v| &v.data)
    }

    /// Where value `name` of this key is.
    pub fn origin(&self, name: &str) -> Origin {
        Origin {
            source: self.source.clone(),
            key: self.path.clone(),
            value: Some(name.to_owned()),
        }
    }
}

/// A registry source: a hive file, a `.reg` export, the live registry.
pub trait RegistrySource {
    /// The path as given, or `live`.
    fn name(&self) -> &str;
    /// What it is.
    fn kind(&self) -> SourceKind;
    /// Whether it holds keys of `root` at all.
    fn covers(&self, root: Root) -> bool;
    /// The key at `path` (below `root`, `\`-separated, any letter case).
    /// A leading `CurrentControlSet` is resolved the way Windows does: by
    /// `Select\Current` offline.
    fn key(&mut self, root: Root, path: &str) -> Option<Key>;
    /// Read whole, or in part with what was not read (known once the keys
    /// have been asked for: damage shows when it is met).
    fn status(&self) -> SourceStatus;
}

/// Replaces a leading `CurrentControlSet` segment with `ControlSet00N`.
pub fn resolve_control_set(path: &str, current: Option<u32>) -> String {
    let (first, rest) = path.split_once('\\').unwrap_or((path, ""));
    match current {
        Some(n) if first.eq_ignore_ascii_case("CurrentControlSet") => {
            if rest.is_empty() {
                format!("ControlSet{n:03}")
            } else {
                format!("ControlSet{n:03}\\{rest}")
            }
        }
        _ => path.to_owned(),
    }
}

/// Whether `path` starts with the `CurrentControlSet` segment.
pub fn is_current_control_set(path: &str) -> bool {
    let first = path.split('\\').next().unwrap_or("");
    first.eq_ignore_ascii_case("CurrentControlSet")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_set_is_resolved_only_at_the_start() {
        assert_eq!(
            resolve_control_set("CurrentControlSet\\Services\\X", Some(1)),
            "ControlSet001\\Services\\X"
        );
        assert_eq!(
            resolve_control_set("currentcontrolset", Some(2)),
            "ControlSet002"
        );
        assert_eq!(resolve_control_set("Select", Some(1)), "Select");
        assert_eq!(
            resolve_control_set("CurrentControlSet\\X", None),
            "CurrentControlSet\\X"
        );
    }
}
