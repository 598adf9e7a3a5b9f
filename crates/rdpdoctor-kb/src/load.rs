//! Loading the embedded TOML files and indexing them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::model::{
    Cause, CauseCode, CauseWeight, Code, CodeRef, Family, FamilyInfo, Message, normalize_text,
};

/// The embedded data files: (path inside the crate, contents).
pub(crate) const CODE_FILES: &[(&str, &str)] = &[
    (
        "kb/codes/mstsc-disconnect.toml",
        include_str!("../kb/codes/mstsc-disconnect.toml"),
    ),
    (
        "kb/codes/mstsc-extended.toml",
        include_str!("../kb/codes/mstsc-extended.toml"),
    ),
    (
        "kb/codes/mstsc-protocol-error.toml",
        include_str!("../kb/codes/mstsc-protocol-error.toml"),
    ),
    (
        "kb/codes/errinfo.toml",
        include_str!("../kb/codes/errinfo.toml"),
    ),
    (
        "kb/codes/errconnect.toml",
        include_str!("../kb/codes/errconnect.toml"),
    ),
    (
        "kb/codes/freerdp-error-class.toml",
        include_str!("../kb/codes/freerdp-error-class.toml"),
    ),
    (
        "kb/codes/xfreerdp-exit.toml",
        include_str!("../kb/codes/xfreerdp-exit.toml"),
    ),
    (
        "kb/codes/rdp-neg-failure.toml",
        include_str!("../kb/codes/rdp-neg-failure.toml"),
    ),
    (
        "kb/codes/rdp-neg-protocol.toml",
        include_str!("../kb/codes/rdp-neg-protocol.toml"),
    ),
    (
        "kb/codes/rdp-neg-req-flags.toml",
        include_str!("../kb/codes/rdp-neg-req-flags.toml"),
    ),
    (
        "kb/codes/rdp-neg-rsp-flags.toml",
        include_str!("../kb/codes/rdp-neg-rsp-flags.toml"),
    ),
    (
        "kb/codes/rdp-neg-type.toml",
        include_str!("../kb/codes/rdp-neg-type.toml"),
    ),
    ("kb/codes/sspi.toml", include_str!("../kb/codes/sspi.toml")),
    (
        "kb/codes/kerberos.toml",
        include_str!("../kb/codes/kerberos.toml"),
    ),
    (
        "kb/codes/ntstatus.toml",
        include_str!("../kb/codes/ntstatus.toml"),
    ),
    (
        "kb/codes/tls-alert.toml",
        include_str!("../kb/codes/tls-alert.toml"),
    ),
    (
        "kb/codes/credssp-version.toml",
        include_str!("../kb/codes/credssp-version.toml"),
    ),
    (
        "kb/codes/credssp-oracle-policy.toml",
        include_str!("../kb/codes/credssp-oracle-policy.toml"),
    ),
    (
        "kb/codes/logon-type.toml",
        include_str!("../kb/codes/logon-type.toml"),
    ),
    (
        "kb/codes/event-rdp-client.toml",
        include_str!("../kb/codes/event-rdp-client.toml"),
    ),
    (
        "kb/codes/event-rcm.toml",
        include_str!("../kb/codes/event-rcm.toml"),
    ),
    (
        "kb/codes/event-lsm.toml",
        include_str!("../kb/codes/event-lsm.toml"),
    ),
    (
        "kb/codes/event-rdpcorets.toml",
        include_str!("../kb/codes/event-rdpcorets.toml"),
    ),
    (
        "kb/codes/event-schannel.toml",
        include_str!("../kb/codes/event-schannel.toml"),
    ),
    (
        "kb/codes/event-security.toml",
        include_str!("../kb/codes/event-security.toml"),
    ),
    (
        "kb/codes/event-session-broker.toml",
        include_str!("../kb/codes/event-session-broker.toml"),
    ),
    (
        "kb/codes/tsgu-hresult.toml",
        include_str!("../kb/codes/tsgu-hresult.toml"),
    ),
    (
        "kb/codes/event-gateway.toml",
        include_str!("../kb/codes/event-gateway.toml"),
    ),
];

pub(crate) const CAUSES_FILE: (&str, &str) = ("kb/causes.toml", include_str!("../kb/causes.toml"));
pub(crate) const MESSAGES_FILE: (&str, &str) =
    ("kb/messages.toml", include_str!("../kb/messages.toml"));

/// A problem while loading the data files.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{file}: {source}")]
    Toml {
        file: String,
        #[source]
        source: toml::de::Error,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FamilyFile {
    family: FamilyInfo,
    #[serde(default)]
    code: Vec<CodeEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeEntry {
    value: u32,
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    meaning: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    same_as: Vec<CodeRef>,
    #[serde(default)]
    causes: Vec<CauseWeight>,
    #[serde(default)]
    after_connect: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CausesFile {
    cause: Vec<Cause>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessagesFile {
    message: Vec<Message>,
}

/// The whole knowledge base: code families, codes, causes and known error texts.
#[derive(Debug, Serialize)]
pub struct Kb {
    families: Vec<FamilyInfo>,
    codes: Vec<Code>,
    causes: Vec<Cause>,
    messages: Vec<Message>,
    priors: Vec<crate::priors::Prior>,
    #[serde(skip)]
    index: Index,
}

#[derive(Debug, Default)]
struct Index {
    by_ref: HashMap<CodeRef, usize>,
    by_value: HashMap<u32, Vec<usize>>,
    /// Lowercased exact names and aliases.
    by_name: HashMap<String, Vec<usize>>,
    /// Names folded (lowercase, no `_`) with the family's prefix removed.
    by_short: HashMap<String, Vec<usize>>,
    /// All strippable prefixes, folded, longest first.
    prefixes: Vec<String>,
    cause: HashMap<String, usize>,
    family: HashMap<Family, usize>,
}

/// Lowercase and drop `_`, so `SERVER_DENIED_CONNECTION` and `ServerDeniedConnection` meet.
pub(crate) fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Prefixes OpenSSL puts in front of TLS alert names.
const EXTRA_PREFIXES: &[&str] = &["TLSV1_ALERT_", "SSLV3_ALERT_", "TLS1_AD_", "SSL_AD_"];

impl Kb {
    /// Parse the embedded files.
    pub fn load_embedded() -> Result<Kb, LoadError> {
        let mut kb = Kb::from_sources(CODE_FILES, CAUSES_FILE, MESSAGES_FILE)?;
        kb.add_priors(crate::priors::PRIORS_FILE)?;
        Ok(kb)
    }

    /// The field priors (`kb/priors.toml`).
    pub fn priors(&self) -> &[crate::priors::Prior] {
        &self.priors
    }

    pub(crate) fn set_priors(&mut self, priors: Vec<crate::priors::Prior>) {
        self.priors = priors;
    }

    /// Parse the given (name, contents) files.
    pub fn from_sources(
        code_files: &[(&str, &str)],
        causes: (&str, &str),
        messages: (&str, &str),
    ) -> Result<Kb, LoadError> {
        let mut families = Vec::new();
        let mut codes: Vec<Code> = Vec::new();
        for (file, text) in code_files {
            let parsed: FamilyFile = toml::from_str(text).map_err(|source| LoadError::Toml {
                file: (*file).to_string(),
                source,
            })?;
            let fam = parsed.family;
            for e in parsed.code {
                codes.push(Code {
                    family: fam.id,
                    value: e.value,
                    name: e.name,
                    aliases: e.aliases,
                    meaning: e.meaning,
                    source: e.source.unwrap_or_else(|| fam.source.clone()),
                    note: e.note,
                    channel: e.channel,
                    provider: e.provider,
                    same_as: e.same_as,
                    after_connect: e.after_connect,
                    causes: e.causes,
                });
            }
            families.push(fam);
        }
        let causes_file: CausesFile =
            toml::from_str(causes.1).map_err(|source| LoadError::Toml {
                file: causes.0.to_string(),
                source,
            })?;
        let messages_file: MessagesFile =
            toml::from_str(messages.1).map_err(|source| LoadError::Toml {
                file: messages.0.to_string(),
                source,
            })?;
        let mut kb = Kb {
            families,
            codes,
            causes: causes_file.cause,
            messages: messages_file.message,
            priors: Vec::new(),
            index: Index::default(),
        };
        kb.build_index().map_err(|message| LoadError::Invalid {
            file: "kb/codes".to_string(),
            message,
        })?;
        for f in kb.causes.iter_mut().flat_map(|c| c.fixes.iter_mut()) {
            f.side = f.applies_to;
        }
        kb.inherit_causes();
        kb.link_cause_codes();
        for m in &mut kb.messages {
            for group in &mut m.match_any {
                for s in group.iter_mut() {
                    *s = normalize_text(s);
                }
            }
        }
        Ok(kb)
    }

    fn build_index(&mut self) -> Result<(), String> {
        let mut idx = Index::default();
        for (i, f) in self.families.iter().enumerate() {
            if idx.family.insert(f.id, i).is_some() {
                return Err(format!("family {} is defined twice", f.id));
            }
        }
        let mut prefixes: Vec<String> = EXTRA_PREFIXES.iter().map(|p| fold(p)).collect();
        for f in &self.families {
            prefixes.extend(f.short_prefixes.iter().map(|p| fold(p)));
        }
        prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
        prefixes.dedup();
        for (i, c) in self.codes.iter().enumerate() {
            if idx.by_ref.insert(c.code_ref(), i).is_some() {
                return Err(format!("code {} is defined twice", c.code_ref()));
            }
            idx.by_value.entry(c.value).or_default().push(i);
            if c.family.is_event() {
                continue;
            }
            for n in c.names() {
                idx.by_name.entry(n.to_lowercase()).or_default().push(i);
            }
            let fam = &self.families[idx.family[&c.family]];
            if fam.explicit_only {
                continue;
            }
            for n in c.names() {
                let folded = fold(n);
                let mut short = folded.clone();
                for p in &fam.short_prefixes {
                    if let Some(rest) = folded.strip_prefix(&fold(p)) {
                        short = rest.to_string();
                        break;
                    }
                }
                if short.len() >= 4 {
                    let v = idx.by_short.entry(short).or_default();
                    if !v.contains(&i) {
                        v.push(i);
                    }
                }
            }
        }
        for (i, c) in self.causes.iter().enumerate() {
            if idx.cause.insert(c.id.clone(), i).is_some() {
                return Err(format!("cause {} is defined twice", c.id));
            }
        }
        idx.prefixes = prefixes;
        self.index = idx;
        Ok(())
    }

    /// Codes without their own causes take those of the first `same_as` code that has some.
    fn inherit_causes(&mut self) {
        for i in 0..self.codes.len() {
            if !self.codes[i].causes.is_empty() {
                continue;
            }
            let inherited = self.codes[i]
                .same_as
                .iter()
                .filter_map(|r| self.index.by_ref.get(r))
                .map(|&j| &self.codes[j].causes)
                .find(|c| !c.is_empty())
                .cloned();
            if let Some(c) = inherited {
                self.codes[i].causes = c;
            }
        }
    }

    fn link_cause_codes(&mut self) {
        for code in &self.codes {
            for w in &code.causes {
                if let Some(&ci) = self.index.cause.get(&w.cause) {
                    self.causes[ci].codes.push(CauseCode {
                        code: code.code_ref(),
                        name: code.name.clone(),
                        weight: w.weight,
                    });
                }
            }
        }
    }

    /// All families, in file order.
    pub fn families(&self) -> &[FamilyInfo] {
        &self.families
    }

    /// The header of one family.
    pub fn family(&self, family: Family) -> &FamilyInfo {
        &self.families[self.index.family[&family]]
    }

    /// All codes of all families.
    pub fn codes(&self) -> &[Code] {
        &self.codes
    }

    /// All causes.
    pub fn causes(&self) -> &[Cause] {
        &self.causes
    }

    /// All known error texts.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// One cause by id.
    pub fn cause(&self, id: &str) -> Option<&Cause> {
        self.index.cause.get(id).map(|&i| &self.causes[i])
    }

    /// One code by family and value.
    pub fn lookup(&self, family: Family, value: u32) -> Option<&Code> {
        self.index
            .by_ref
            .get(&CodeRef { family, value })
            .map(|&i| &self.codes[i])
    }

    /// One code by reference.
    pub fn lookup_ref(&self, code: CodeRef) -> Option<&Code> {
        self.lookup(code.family, code.value)
    }

    /// Every non-event code with this value, most likely family first.
    pub fn lookup_value(&self, value: u32) -> Vec<&Code> {
        let mut v: Vec<&Code> = self
            .index
            .by_value
            .get(&value)
            .into_iter()
            .flatten()
            .map(|&i| &self.codes[i])
            .filter(|c| !c.family.is_event() && !self.family(c.family).explicit_only)
            .collect();
        self.sort_by_prior(&mut v);
        v
    }

    /// Windows events with this ID (one per provider family).
    pub fn lookup_event(&self, id: u32) -> Vec<&Code> {
        self.index
            .by_value
            .get(&id)
            .into_iter()
            .flatten()
            .map(|&i| &self.codes[i])
            .filter(|c| c.family.is_event())
            .collect()
    }

    /// A FreeRDP error code as FreeRDP prints it (`0x0002000D`, `0x0001000C`):
    /// the class in the upper 16 bits selects ERRINFO (1) or ERRCONNECT (2).
    pub fn lookup_freerdp(&self, full: u32) -> Option<&Code> {
        let class = (full >> 16) as u16;
        let low = full & 0xFFFF;
        let fam = self
            .families
            .iter()
            .find(|f| f.freerdp_class == Some(class))?;
        self.lookup(fam.id, low)
    }

    /// Codes by symbolic name, case-insensitive. Exact names and aliases win;
    /// otherwise the name may omit its family prefix (`SERVER_DENIED_CONNECTION`,
    /// `UNSUPPORTED_FUNCTION`) and underscores/case are ignored.
    pub fn lookup_name(&self, name: &str) -> Vec<&Code> {
        let lower = name.trim().to_lowercase();
        if let Some(v) = self.index.by_name.get(&lower) {
            let mut out: Vec<&Code> = v.iter().map(|&i| &self.codes[i]).collect();
            self.sort_by_prior(&mut out);
            return out;
        }
        let folded = fold(&lower);
        let mut hits: Vec<usize> = Vec::new();
        if let Some(v) = self.index.by_short.get(&folded) {
            hits.extend(v);
        } else {
            for p in &self.index.prefixes {
                if let Some(rest) = folded.strip_prefix(p.as_str())
                    && let Some(v) = self.index.by_short.get(rest)
                {
                    hits.extend(v);
                    break;
                }
            }
        }
        let mut out: Vec<&Code> = hits.into_iter().map(|i| &self.codes[i]).collect();
        self.sort_by_prior(&mut out);
        out
    }

    /// Causes that a probe finding confirms.
    pub fn causes_for_finding(&self, finding: &str) -> Vec<&Cause> {
        self.causes
            .iter()
            .filter(|c| c.evidence.iter().any(|r| r.finding == finding))
            .collect()
    }

    /// Known error texts that occur in `text`.
    pub fn match_messages(&self, text: &str) -> Vec<&Message> {
        let n = normalize_text(text);
        self.messages.iter().filter(|m| m.matches(&n)).collect()
    }

    fn sort_by_prior(&self, v: &mut [&Code]) {
        v.sort_by(|a, b| {
            let pa = self.family(a.family).prior;
            let pb = self.family(b.family).prior;
            pb.total_cmp(&pa)
                .then(self.index.family[&a.family].cmp(&self.index.family[&b.family]))
        });
    }

    pub(crate) fn code_index(&self, code: &Code) -> usize {
        self.index.by_ref[&code.code_ref()]
    }

    pub(crate) fn code_at(&self, i: usize) -> &Code {
        &self.codes[i]
    }
}
