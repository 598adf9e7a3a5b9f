//! Registry sources (hive files, `.reg` exports, the live registry) and the
//! extraction of Remote Desktop settings from them.
//!
//! Every source implements [`view::RegistrySource`]: "give me the key at this
//! path below HKLM\SYSTEM, HKLM\SOFTWARE or HKCU". [`extract`] asks only
//! through that interface, so a hive, an export and the live registry give
//! the same evidence. Several sources can be given at once (a SYSTEM hive and
//! an export of the SOFTWARE policies); [`Hives`] asks each in turn.

pub mod certblob;
pub mod extract;
pub mod firewall_rule;
pub mod hive;
pub mod live;
pub mod regexport;
pub mod regfile;
pub mod view;

pub use extract::extract;
pub use view::{Data, Key, RegistrySource, Root, Value};

use rdpdoctor_evidence::host::{HostSource, Origin, SourceKind, SourceMachine, SourceStatus};
use std::path::{Path, PathBuf};

/// Every registry source loaded so far, in the order given.
#[derive(Default)]
pub struct Hives {
    sources: Vec<Box<dyn RegistrySource>>,
}

impl std::fmt::Debug for Hives {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.sources.iter().map(|s| s.name().to_owned()))
            .finish()
    }
}

/// A handle on a loaded source, to ask for its status once extraction has
/// run (a damaged hive shows its damage only when its keys are read).
#[derive(Debug, Clone, Copy)]
pub struct Loaded(usize);

impl Hives {
    /// Loads one hive file, applying its transaction logs; its kind comes
    /// from its keys. `Err` is the source, unusable, with its one-line problem.
    pub fn load_hive(&mut self, path: &Path, logs: &[PathBuf]) -> Result<Loaded, HostSource> {
        match hive::HiveFile::open(path, logs) {
            Ok(h) => Ok(self.add(Box::new(h))),
            Err((kind, problem)) => Err(unusable(path, kind, problem)),
        }
    }

    /// Loads one `.reg` export.
    pub fn load_export(&mut self, path: &Path) -> Result<Loaded, HostSource> {
        match regexport::RegExport::open(path) {
            Ok(r) => Ok(self.add(Box::new(r))),
            Err(problem) => Err(unusable(path, SourceKind::RegExport, problem)),
        }
    }

    /// Adds a source opened elsewhere (the live registry).
    pub fn add(&mut self, source: Box<dyn RegistrySource>) -> Loaded {
        self.sources.push(source);
        Loaded(self.sources.len() - 1)
    }

    /// What came of reading a loaded source, after [`extract`].
    pub fn status(&self, loaded: Loaded) -> Option<HostSource> {
        let s = self.sources.get(loaded.0)?;
        Some(HostSource {
            path: s.name().to_owned(),
            kind: s.kind(),
            status: s.status(),
        })
    }

    /// Who each source says the machine is: its own `ComputerName` and
    /// `MachineGuid`, asked of that source alone (the merged view takes the
    /// first source's, which would hide a second machine).
    pub fn machines(&mut self) -> Vec<SourceMachine> {
        let text = |s: &mut Box<dyn RegistrySource>, root: Root, path: &str, name: &str| {
            s.key(root, path)?
                .value(name)?
                .as_str()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        self.sources
            .iter_mut()
            .map(|s| SourceMachine {
                source: s.name().to_owned(),
                computer_name: text(
                    s,
                    Root::System,
                    "CurrentControlSet\\Control\\ComputerName\\ComputerName",
                    "ComputerName",
                ),
                machine_guid: text(s, Root::Software, "Microsoft\\Cryptography", "MachineGuid"),
            })
            .filter(|m| m.computer_name.is_some() || m.machine_guid.is_some())
            .collect()
    }

    /// Whether any source holds keys of `root`.
    pub fn covers(&self, root: Root) -> bool {
        self.sources.iter().any(|s| s.covers(root))
    }

    /// The key at `path` below `root` in every source that has it, in the
    /// order the sources were given.
    pub fn keys(&mut self, root: Root, path: &str) -> Vec<Key> {
        self.sources
            .iter_mut()
            .filter(|s| s.covers(root))
            .filter_map(|s| s.key(root, path))
            .collect()
    }

    /// The first source's value `name` of the key at `path`, and where it is.
    pub fn value(&mut self, root: Root, path: &str, name: &str) -> Option<(Data, Origin)> {
        self.keys(root, path).into_iter().find_map(|k| {
            let data = k.value(name)?.clone();
            Some((data, k.origin(name)))
        })
    }

    /// The names of the subkeys of `path`, from every source, without repeats
    /// (compared as Windows does, ignoring case).
    pub fn subkeys(&mut self, root: Root, path: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for k in self.keys(root, path) {
            for name in k.subkeys {
                if !out.iter().any(|o| o.eq_ignore_ascii_case(&name)) {
                    out.push(name);
                }
            }
        }
        out
    }
}

/// A source that could not be read, and why.
pub(crate) fn unusable(path: &Path, kind: SourceKind, problem: String) -> HostSource {
    HostSource {
        path: path.display().to_string(),
        kind,
        status: SourceStatus::Unusable { problem },
    }
}
