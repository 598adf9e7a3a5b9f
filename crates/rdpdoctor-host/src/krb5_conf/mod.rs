//! MIT Kerberos' `krb5.conf` (the profile format of `krb5.conf(5)`),
//! sans-I/O: bytes in, the three things the Kerberos stage needs out.
//!
//! - `[libdefaults] default_realm`;
//! - `[realms] REALM = { kdc = host[:port] ... }`, the KDCs in the file's
//!   order (MIT tries them in that order);
//! - `[domain_realm]`: `.example.com = EXAMPLE.COM` for the hosts under a
//!   domain, `host.example.com = EXAMPLE.COM` for one name.
//!
//! `include` and `includedir` lines are noted and not followed (a file
//! read here never makes us read another), as are `module` lines. Bounded:
//! at most [`MAX_FILE_BYTES`] bytes and [`MAX_LINES`] lines are read, at most
//! [`MAX_ENTRIES`] relations kept; a line that does not parse is a note,
//! never an error, as MIT's own parser skips what it cannot use where it
//! can. Never panics.

/// The largest file read: a site's krb5.conf is a few KiB (Debian's default,
/// with a dozen realms, is 2 KiB).
pub const MAX_FILE_BYTES: usize = 256 * 1024;
/// The most lines read.
pub const MAX_LINES: usize = 8192;
/// The most relations kept (KDCs and `domain_realm` entries together).
pub const MAX_ENTRIES: usize = 1024;
/// The most notes kept.
pub const MAX_NOTES: usize = 20;
/// How deep `{ … }` may nest (MIT's files nest two or three levels).
const MAX_DEPTH: usize = 16;

/// What a krb5.conf says about realms and their KDCs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Krb5Conf {
    /// `[libdefaults] default_realm`, the first one given.
    pub default_realm: Option<String>,
    /// Each realm of `[realms]` that names a KDC, with its `kdc` values in
    /// the file's order.
    pub realms: Vec<(String, Vec<String>)>,
    /// `[domain_realm]` in the file's order: (`.domain` or `host`, realm).
    pub domain_realm: Vec<(String, String)>,
    /// What was not understood or not followed (`include`, a bad line),
    /// one line each, with its line number.
    pub notes: Vec<String>,
}

/// Why a file is not read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Krb5ConfError {
    /// Over [`MAX_FILE_BYTES`].
    TooBig(usize),
    /// Not UTF-8 text.
    NotText,
}

impl std::fmt::Display for Krb5ConfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Krb5ConfError::TooBig(n) => write!(
                f,
                "is {n} bytes: a krb5.conf is text of a few KiB (at most {MAX_FILE_BYTES} bytes read)"
            ),
            Krb5ConfError::NotText => f.write_str("is not UTF-8 text"),
        }
    }
}

impl std::error::Error for Krb5ConfError {}

impl Krb5Conf {
    /// The KDCs of `realm`, in order. Realm names are compared without
    /// regard to case: the probe upper-cases realms as AD spells them, and
    /// a site's file may spell its realm either way.
    pub fn kdcs(&self, realm: &str) -> &[String] {
        self.realms
            .iter()
            .find(|(r, _)| r == realm)
            .or_else(|| {
                self.realms
                    .iter()
                    .find(|(r, _)| r.eq_ignore_ascii_case(realm))
            })
            .map_or(&[], |(_, k)| k.as_slice())
    }

    /// The realm `[domain_realm]` gives a DNS domain: the domain's own name,
    /// then `.domain` (every host of the domain is under it, so the domain
    /// stands for them), then MIT's walk up the name (`.parent`, `parent`,
    /// …, as `krb5_get_host_realm` does for a host). `None` when no entry
    /// matches.
    pub fn realm_of_domain(&self, domain: &str) -> Option<&str> {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        let get = |key: &str| {
            self.domain_realm
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, r)| r.as_str())
        };
        if let Some(r) = get(&domain).or_else(|| get(&format!(".{domain}"))) {
            return Some(r);
        }
        let mut rest = domain.as_str();
        while let Some(i) = rest.find('.') {
            let parent = rest.get(i..).unwrap_or_default();
            if let Some(r) = get(parent) {
                return Some(r);
            }
            rest = parent.get(1..).unwrap_or_default();
            if let Some(r) = get(rest).filter(|_| !rest.is_empty()) {
                return Some(r);
            }
        }
        None
    }
}

/// A value as krb5.conf(5) writes it: bare to the end of the line, or in
/// double quotes with `\"`, `\\`, `\n`, `\t`, `\b` escapes.
fn value(raw: &str) -> String {
    let raw = raw.trim();
    let Some(inner) = raw.strip_prefix('"') else {
        return raw.to_owned();
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('b') => out.push('\u{8}'),
                Some(other) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    out
}

/// Reads a krb5.conf. Only a file too big or not text is refused; every
/// line that is not understood becomes a note.
pub fn parse(bytes: &[u8]) -> Result<Krb5Conf, Krb5ConfError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Krb5ConfError::TooBig(bytes.len()));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| Krb5ConfError::NotText)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut conf = Krb5Conf::default();
    let note = |conf: &mut Krb5Conf, n: usize, what: &str| {
        if conf.notes.len() < MAX_NOTES {
            conf.notes.push(format!("line {n}: {what}"));
        }
    };
    let mut section = String::new();
    // The tags of the open `{` blocks, outermost first.
    let mut stack: Vec<String> = Vec::new();
    let mut entries = 0usize;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if i >= MAX_LINES {
            note(
                &mut conf,
                n,
                "the rest of the file was not read (too many lines)",
            );
            break;
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if stack.is_empty() {
            if let Some(name) = line.strip_prefix('[') {
                match name.split_once(']') {
                    Some((name, _)) => section = name.trim().to_ascii_lowercase(),
                    None => note(&mut conf, n, "a section header without ']'"),
                }
                continue;
            }
            let word = line.split_whitespace().next().unwrap_or_default();
            if matches!(word, "include" | "includedir" | "module") {
                note(
                    &mut conf,
                    n,
                    &format!("`{word}` not followed: only this file is read"),
                );
                continue;
            }
        }
        if line.starts_with('}') {
            if stack.pop().is_none() {
                note(&mut conf, n, "a '}' with no '{' open");
            }
            continue;
        }
        let Some((tag, val)) = line.split_once('=') else {
            note(&mut conf, n, "not `tag = value`");
            continue;
        };
        let tag = tag.trim();
        let val = val.trim();
        if val == "{" || (val.starts_with('{') && val.get(1..).is_some_and(|r| r.trim().is_empty()))
        {
            if stack.len() >= MAX_DEPTH {
                note(&mut conf, n, "nested too deep");
                break;
            }
            stack.push(tag.to_owned());
            continue;
        }
        if entries >= MAX_ENTRIES {
            note(
                &mut conf,
                n,
                "the rest of the file was not read (too many entries)",
            );
            break;
        }
        let val = value(val);
        match (section.as_str(), stack.as_slice()) {
            ("libdefaults", [])
                if tag == "default_realm" && conf.default_realm.is_none() && !val.is_empty() =>
            {
                conf.default_realm = Some(val);
            }
            ("realms", [realm]) if tag == "kdc" && !val.is_empty() => {
                entries += 1;
                match conf.realms.iter_mut().find(|(r, _)| r == realm) {
                    Some((_, kdcs)) => kdcs.push(val),
                    None => conf.realms.push((realm.clone(), vec![val])),
                }
            }
            ("domain_realm", []) if !tag.is_empty() && !val.is_empty() => {
                entries += 1;
                conf.domain_realm.push((tag.to_owned(), val));
            }
            _ => {}
        }
    }
    if !stack.is_empty() {
        note(
            &mut conf,
            text.lines().count(),
            "the file ends inside a '{' block",
        );
    }
    Ok(conf)
}

#[cfg(test)]
mod tests;
