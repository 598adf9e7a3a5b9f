//! The MIT krb5.conf that MIT's own tools read: the files of `KRB5_CONFIG`
//! (a `:`-separated list, `;` on Windows, as MIT takes it), else
//! `/etc/krb5.conf` (on Windows `%ProgramData%\MIT\Kerberos5\krb5.ini`). Each is
//! read bounded (at most `krb5_conf::MAX_FILE_BYTES`) and parsed sans-I/O
//! by `rdpdoctor_host::krb5_conf`; a missing file is skipped as MIT skips
//! it, an unreadable one is noted. Lookups take the first file that
//! answers, in the list's order.

use rdpdoctor_evidence::Krb5ConfRead;
use rdpdoctor_host::krb5_conf::{self, Krb5Conf};
use std::io::Read;

/// The files looked at, in order, with what each gave.
pub struct Krb5Files {
    files: Vec<(Krb5ConfRead, Option<Krb5Conf>)>,
}

/// How `KRB5_CONFIG` separates its files: as a search path does (`C:\…`
/// holds a colon on Windows).
#[cfg(windows)]
const LIST_SEPARATOR: char = ';';
#[cfg(not(windows))]
const LIST_SEPARATOR: char = ':';

/// Where MIT's tools look without `KRB5_CONFIG`: `/etc/krb5.conf`, and on
/// Windows MIT Kerberos for Windows' `%ProgramData%\MIT\Kerberos5\krb5.ini`.
fn default_path() -> String {
    if cfg!(windows) {
        let data = std::env::var("ProgramData").unwrap_or_else(|_| r"C:\ProgramData".to_owned());
        format!(r"{data}\MIT\Kerberos5\krb5.ini")
    } else {
        "/etc/krb5.conf".to_owned()
    }
}

fn read_one(path: &str) -> (Krb5ConfRead, Option<Krb5Conf>) {
    let entry = |status: &str, notes: Vec<String>| Krb5ConfRead {
        path: path.to_owned(),
        status: status.to_owned(),
        notes,
    };
    // A FIFO or a device named by KRB5_CONFIG would block the read: only a
    // regular file is read.
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => {
            return (
                entry("unusable", vec!["not read: not a regular file".into()]),
                None,
            );
        }
        _ => {}
    }
    let mut bytes = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| {
        f.take(krb5_conf::MAX_FILE_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
    });
    match read {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (entry("not-found", vec![]), None),
        Err(e) => (entry("unusable", vec![format!("not read: {e}")]), None),
        Ok(_) => match krb5_conf::parse(&bytes) {
            Ok(c) => (entry("read", c.notes.clone()), Some(c)),
            Err(e) => (entry("unusable", vec![format!("not read: it {e}")]), None),
        },
    }
}

impl Krb5Files {
    /// The files `KRB5_CONFIG` names, else the platform's default file.
    pub fn load() -> Krb5Files {
        let paths: Vec<String> = match std::env::var("KRB5_CONFIG") {
            Ok(v) if !v.is_empty() => v
                .split(LIST_SEPARATOR)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => vec![default_path()],
        };
        Krb5Files {
            files: paths.iter().take(8).map(|p| read_one(p)).collect(),
        }
    }

    /// Files given as text, for the tests: (path, text).
    #[cfg(test)]
    pub fn from_texts(files: &[(&str, &str)]) -> Krb5Files {
        Krb5Files {
            files: files
                .iter()
                .map(|(path, text)| {
                    let c = krb5_conf::parse(text.as_bytes()).unwrap();
                    let read = Krb5ConfRead {
                        path: (*path).to_owned(),
                        status: "read".into(),
                        notes: c.notes.clone(),
                    };
                    (read, Some(c))
                })
                .collect(),
        }
    }

    fn parsed(&self) -> impl Iterator<Item = (&str, &Krb5Conf)> {
        self.files
            .iter()
            .filter_map(|(r, c)| c.as_ref().map(|c| (r.path.as_str(), c)))
    }

    /// The first file naming KDCs for `realm`: its path and the KDCs in order.
    pub fn kdcs(&self, realm: &str) -> Option<(&str, &[String])> {
        self.parsed()
            .map(|(p, c)| (p, c.kdcs(realm)))
            .find(|(_, k)| !k.is_empty())
    }

    /// The realm `[domain_realm]` gives a DNS domain.
    pub fn realm_of_domain(&self, domain: &str) -> Option<String> {
        self.parsed()
            .find_map(|(_, c)| c.realm_of_domain(domain).map(str::to_owned))
    }

    /// `[libdefaults] default_realm`.
    pub fn default_realm(&self) -> Option<String> {
        self.parsed().find_map(|(_, c)| c.default_realm.clone())
    }

    /// What each file gave, for the report.
    pub fn reads(&self) -> Vec<Krb5ConfRead> {
        self.files.iter().map(|(r, _)| r.clone()).collect()
    }

    /// The paths, for a sentence.
    pub fn paths(&self) -> String {
        self.files
            .iter()
            .map(|(r, _)| r.path.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
