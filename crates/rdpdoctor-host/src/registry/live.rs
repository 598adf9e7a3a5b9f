//! The live registry of the machine rdpdoctor runs on (`inspect --local`).
//!
//! It answers through the same [`RegistrySource`](super::RegistrySource)
//! interface as hive files and exports, so live and offline give the same
//! evidence: `HKLM\SYSTEM`, `HKLM\SOFTWARE` (which holds the machine
//! certificate stores, "Remote Desktop" and "My", under
//! `Microsoft\SystemCertificates`) and `HKCU`, opened with
//! `KEY_READ | KEY_WOW64_64KEY` through [`crate::win32`].
//!
//! `CurrentControlSet` is resolved by `Select\Current`, as in a hive, so a
//! setting's origin names the same key (`ControlSet001\…`) live and offline.
//!
//! Off Windows, asking for it is a one-line error the CLI prints before
//! exiting with status 2.

use super::view::RegistrySource;

/// The error `inspect --local` gives off Windows.
pub const NEEDS_WINDOWS: &str = "inspect --local reads the live registry and needs Windows";

/// Opens the live registry.
#[cfg(not(windows))]
pub fn open() -> Result<Box<dyn RegistrySource>, String> {
    Err(NEEDS_WINDOWS.to_owned())
}

/// Opens the live registry: `Err` only when none of its three roots opens.
#[cfg(windows)]
pub fn open() -> Result<Box<dyn RegistrySource>, String> {
    let live = imp::Live::open()?;
    Ok(Box::new(live))
}

/// A value's raw registry data as [`Data`](super::Data): the decoding of
/// the live reader, kept apart from the API so it is tested everywhere.
/// Data that does not fit its type (a 3-byte REG_DWORD) stays raw bytes.
pub fn decode(kind: u32, bytes: &[u8]) -> super::Data {
    use super::Data;
    const REG_SZ: u32 = 1;
    const REG_EXPAND_SZ: u32 = 2;
    const REG_DWORD: u32 = 4;
    const REG_DWORD_BIG_ENDIAN: u32 = 5;
    const REG_MULTI_SZ: u32 = 7;
    const REG_QWORD: u32 = 11;
    let units = || -> Vec<u16> {
        // An odd last byte is not part of any character.
        bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect()
    };
    match kind {
        REG_DWORD | REG_DWORD_BIG_ENDIAN => match <[u8; 4]>::try_from(bytes) {
            Ok(b) if kind == REG_DWORD => Data::Dword(u32::from_le_bytes(b)),
            Ok(b) => Data::Dword(u32::from_be_bytes(b)),
            Err(_) => Data::Binary(bytes.to_vec()),
        },
        REG_QWORD => match <[u8; 8]>::try_from(bytes) {
            Ok(b) => Data::Qword(u64::from_le_bytes(b)),
            Err(_) => Data::Binary(bytes.to_vec()),
        },
        REG_SZ | REG_EXPAND_SZ => {
            let u = units();
            // Up to the first NUL (the data need not end with one).
            let end = u.iter().position(|&c| c == 0).unwrap_or(u.len());
            Data::Sz(String::from_utf16_lossy(u.get(..end).unwrap_or(&[])))
        }
        REG_MULTI_SZ => {
            let u = units();
            let mut strings: Vec<String> =
                u.split(|&c| c == 0).map(String::from_utf16_lossy).collect();
            // The list ends with two NULs: the empty strings after the last.
            while strings.last().is_some_and(String::is_empty) {
                strings.pop();
            }
            Data::MultiSz(strings)
        }
        _ => Data::Binary(bytes.to_vec()),
    }
}

#[cfg(windows)]
mod imp {
    use super::super::view::{self, Key, RegistrySource, Root, Value};
    use crate::win32::{self, Predefined};
    use rdpdoctor_evidence::host::{SourceKind, SourceStatus};

    /// At most this many problems are kept, as for a damaged hive.
    use super::super::hive::MAX_PROBLEMS;

    pub struct Live {
        /// Which roots opened.
        system: bool,
        software: bool,
        user: bool,
        /// `Select\Current`, once read.
        current_control_set: Option<Option<u32>>,
        problems: Vec<String>,
    }

    fn base(root: Root) -> (Predefined, &'static str) {
        match root {
            Root::System => (Predefined::LocalMachine, "SYSTEM"),
            Root::Software => (Predefined::LocalMachine, "SOFTWARE"),
            Root::User => (Predefined::CurrentUser, ""),
        }
    }

    fn join(a: &str, b: &str) -> String {
        match (a.is_empty(), b.is_empty()) {
            (true, _) => b.to_owned(),
            (_, true) => a.to_owned(),
            _ => format!("{a}\\{b}"),
        }
    }

    impl Live {
        pub fn open() -> Result<Live, String> {
            let mut live = Live {
                system: false,
                software: false,
                user: false,
                current_control_set: None,
                problems: Vec::new(),
            };
            let mut why = Vec::new();
            for root in [Root::System, Root::Software, Root::User] {
                let (pre, path) = base(root);
                let opened = match win32::open(pre, path) {
                    Ok(Some(_)) => true,
                    Ok(None) => {
                        why.push(format!("{}: not found", root.prefix()));
                        false
                    }
                    Err(e) => {
                        why.push(format!("{}: {e}", root.prefix()));
                        false
                    }
                };
                match root {
                    Root::System => live.system = opened,
                    Root::Software => live.software = opened,
                    Root::User => live.user = opened,
                }
            }
            if !(live.system || live.software || live.user) {
                return Err(format!(
                    "inspect --local: the live registry could not be opened ({})",
                    why.join("; ")
                ));
            }
            live.problems.extend(why);
            Ok(live)
        }

        fn note(&mut self, line: String) {
            if self.problems.len() < MAX_PROBLEMS && !self.problems.contains(&line) {
                self.problems.push(line);
            }
        }

        fn current(&mut self) -> Option<u32> {
            if let Some(c) = self.current_control_set {
                return c;
            }
            let c = self
                .read(Root::System, "Select")
                .and_then(|k| k.value("Current").and_then(|d| d.as_u32()));
            self.current_control_set = Some(c);
            c
        }

        /// The key at `path` below `root`, exactly as named.
        fn read(&mut self, root: Root, path: &str) -> Option<Key> {
            let (pre, at) = base(root);
            let full = join(at, path);
            let shown = join(root.prefix(), path);
            let key = match win32::open(pre, &full) {
                Ok(Some(k)) => k,
                Ok(None) => return None,
                Err(e) => {
                    self.note(format!("{shown}: {e}"));
                    return None;
                }
            };
            let values = match key.values() {
                Ok((raw, skipped)) => {
                    if skipped > 0 {
                        self.note(format!(
                            "{shown}: {skipped} value(s) could not be read (larger than 16 MiB, or changing while read)"
                        ));
                    }
                    raw.into_iter()
                        .map(|v| Value {
                            data: super::decode(v.kind, &v.data),
                            name: v.name,
                        })
                        .collect()
                }
                Err(e) => {
                    self.note(format!("{shown}: its values: {e}"));
                    Vec::new()
                }
            };
            let subkeys = key.subkeys().unwrap_or_else(|e| {
                self.note(format!("{shown}: its subkeys: {e}"));
                Vec::new()
            });
            Some(Key {
                source: "live".to_owned(),
                path: shown,
                values,
                subkeys,
            })
        }
    }

    impl RegistrySource for Live {
        fn name(&self) -> &str {
            "live"
        }

        fn kind(&self) -> SourceKind {
            SourceKind::Live
        }

        fn covers(&self, root: Root) -> bool {
            match root {
                Root::System => self.system,
                Root::Software => self.software,
                Root::User => self.user,
            }
        }

        fn key(&mut self, root: Root, path: &str) -> Option<Key> {
            if !self.covers(root) {
                return None;
            }
            if root == Root::System && view::is_current_control_set(path) {
                // As in a hive: ControlSet00N by Select\Current; without
                // Select, the live CurrentControlSet link itself.
                if let Some(n) = self.current()
                    && let Some(k) = self.read(root, &view::resolve_control_set(path, Some(n)))
                {
                    return Some(k);
                }
            }
            self.read(root, path)
        }

        fn status(&self) -> SourceStatus {
            match self.problems.first() {
                None => SourceStatus::Read,
                Some(first) => SourceStatus::Partial {
                    problem: match self.problems.len() {
                        1 => format!("live registry: {first}"),
                        n => format!("live registry: {first} (and {} more)", n - 1),
                    },
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::decode;
    use crate::registry::Data;

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn values_decode_by_type_and_odd_sizes_stay_raw() {
        assert_eq!(decode(4, &[0x3d, 0x0d, 0, 0]), Data::Dword(3389));
        assert_eq!(decode(5, &[0, 0, 0x0d, 0x3d]), Data::Dword(3389));
        assert_eq!(decode(4, &[1, 2, 3]), Data::Binary(vec![1, 2, 3]));
        assert_eq!(decode(11, &7u64.to_le_bytes()), Data::Qword(7));
        assert_eq!(decode(11, &[1; 5]), Data::Binary(vec![1; 5]));
        assert_eq!(decode(1, &utf16("RDP-Tcp\0")), Data::Sz("RDP-Tcp".into()));
        // No terminating NUL, and an odd trailing byte.
        let mut odd = utf16("abc");
        odd.push(0x41);
        assert_eq!(decode(2, &odd), Data::Sz("abc".into()));
        assert_eq!(
            decode(7, &utf16("a\0bc\0\0")),
            Data::MultiSz(vec!["a".into(), "bc".into()])
        );
        assert_eq!(decode(7, &[]), Data::MultiSz(vec![]));
        assert_eq!(decode(3, &[9]), Data::Binary(vec![9]));
        assert_eq!(decode(1, &[]), Data::Sz(String::new()));
    }

    #[test]
    fn any_type_and_length_decodes_without_a_panic() {
        // Lone surrogates, odd lengths, unknown types, NULs anywhere.
        let bytes: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(0x9d) ^ 0xd8).collect();
        for kind in 0..=16 {
            for len in 0..bytes.len() {
                let _ = decode(kind, &bytes[..len]);
            }
        }
        assert_eq!(decode(u32::MAX, &[1, 2]), Data::Binary(vec![1, 2]));
    }
}
