//! The facts each finding rests on, typed per finding.
//!
//! A finding's evidence is a struct of its own (`#[derive(Serialize)]`, one
//! documented field per fact), grouped here by source: `negotiation`,
//! `reach`, `tls`, `security`, `deep`, `logon`, `kerberos` for the wire
//! probe; `host` for the host's state and logs; `capture`, `gateway`,
//! `client_file` and `pair` for the other sources. Every finding is built
//! through [`Finding::new`], which takes such a struct: the JSON a finding
//! carries (`evidence`, an object keyed by the field names) is the struct
//! serialised, so its shape is written once, in these types.
//!
//! A field's name is its JSON key (never renamed: the key list [`Facts::KEYS`]
//! is made from the names); a key that a finding leaves out in some cases is
//! an `Option` with `skip_serializing_if`, and one that is there but may be
//! null is an `Option` without it.

use crate::finding::{Finding, FindingId, Qualifier, Severity};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub mod capture;
pub mod client_file;
pub mod deep;
pub mod gateway;
pub mod host;
pub mod kerberos;
pub mod logon;
pub mod negotiation;
pub mod pair;
pub mod reach;
pub mod security;
pub mod tls;

/// The facts of one kind of finding.
pub trait Facts: Serialize {
    /// The findings these facts belong to: [`Finding::new`] takes them for
    /// no other id.
    const IDS: &'static [FindingId];
    /// Every key these facts can carry, present or left out: the field
    /// names, with a shared part's (flattened) in place of its field.
    fn keys() -> Vec<&'static str>;
}

/// One facts type as data: its name, its findings and its keys (for the
/// tests and the documentation).
#[derive(Debug, Clone, Copy)]
pub struct FactsType {
    /// The Rust type's name, e.g. `CertificateFacts`.
    pub name: &'static str,
    /// [`Facts::IDS`].
    pub ids: &'static [FindingId],
    /// [`Facts::keys`].
    pub keys: fn() -> Vec<&'static str>,
}

/// Declares facts types: each struct with the finding ids it belongs to
/// (`for [Id, ...]`), optionally a part it shares with other findings' facts
/// (`+ SharedType<'a> as field`: serialised flattened, its keys among the
/// struct's), its `Facts` implementation (the keys are the field names) and
/// the module's `TYPES` list.
macro_rules! facts {
    ($(
        $(#[$meta:meta])*
        pub struct $name:ident $(<$lt:lifetime>)? for [$($id:ident),+ $(,)?]
            $(+ $shared:ty as $part:ident)? {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty, )*
        }
    )*) => {
        $(
            $(#[$meta])*
            #[derive(Debug, Clone, serde::Serialize)]
            pub struct $name $(<$lt>)? {
                $(
                    #[doc = "The part shared with other findings' facts."]
                    #[serde(flatten)]
                    pub $part: $shared,
                )?
                $( $(#[$fmeta])* pub $field: $ty, )*
            }

            impl $(<$lt>)? $crate::facts::Facts for $name $(<$lt>)? {
                const IDS: &'static [$crate::finding::FindingId] =
                    &[$($crate::finding::FindingId::$id),+];
                fn keys() -> Vec<&'static str> {
                    #[allow(unused_mut)]
                    let mut keys: Vec<&'static str> = Vec::new();
                    $( keys.extend_from_slice(<$shared>::KEYS); )?
                    keys.extend_from_slice(&[$(stringify!($field)),*]);
                    keys
                }
            }
        )*

        /// Every facts type of this module.
        pub const TYPES: &[$crate::facts::FactsType] = &[$(
            $crate::facts::FactsType {
                name: stringify!($name),
                ids: &[$($crate::finding::FindingId::$id),+],
                keys: <$crate::facts::static_of!($name $(<$lt>)?) as $crate::facts::Facts>::keys,
            },
        )*];
    };
}

/// Declares a part several facts types share (flattened into each), with
/// its keys (`KEYS`, the field names).
macro_rules! shared_facts {
    (
        $(#[$meta:meta])*
        pub struct $name:ident $(<$lt:lifetime>)? {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, serde::Serialize)]
        pub struct $name $(<$lt>)? {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $(<$lt>)? $name $(<$lt>)? {
            /// Its keys: the field names.
            pub const KEYS: &'static [&'static str] = &[$(stringify!($field)),*];
        }
    };
}

/// A facts type with `'static` for its lifetime, where one must be named.
macro_rules! static_of {
    ($name:ident) => { $name };
    ($name:ident <$lt:lifetime>) => { $name<'static> };
}

pub(crate) use {facts, shared_facts, static_of};

/// Every facts type, module by module.
pub fn all_types() -> Vec<FactsType> {
    [
        reach::TYPES,
        negotiation::TYPES,
        tls::TYPES,
        security::TYPES,
        deep::TYPES,
        logon::TYPES,
        kerberos::TYPES,
        host::TYPES,
        capture::TYPES,
        gateway::TYPES,
        client_file::TYPES,
        pair::TYPES,
    ]
    .concat()
}

/// The facts as the finding stores them: the serialised struct's keys.
fn to_map<F: Facts>(facts: &F) -> BTreeMap<String, Value> {
    match serde_json::to_value(facts) {
        Ok(Value::Object(map)) => {
            debug_assert!(
                map.keys().all(|k| F::keys().contains(&k.as_str())),
                "a key of {} is not its field's name",
                std::any::type_name::<F>()
            );
            map.into_iter().collect()
        }
        // A facts type is a struct of plain data: it serialises to an object.
        other => {
            debug_assert!(
                false,
                "{} did not serialise to an object: {other:?}",
                std::any::type_name::<F>()
            );
            BTreeMap::new()
        }
    }
}

impl Finding {
    /// A finding with its facts. `facts` must be of a type that belongs to
    /// `id` (a debug assertion holds it).
    pub fn new<F: Facts>(id: FindingId, severity: Severity, summary: String, facts: &F) -> Finding {
        debug_assert!(
            F::IDS.contains(&id),
            "{} are not the facts of {id}",
            std::any::type_name::<F>()
        );
        Finding {
            id,
            severity,
            summary,
            qualifier: None,
            evidence: to_map(facts),
        }
    }

    /// The same finding with what the evidence says beyond its id.
    pub fn qualified(mut self, qualifier: Option<Qualifier>) -> Finding {
        self.qualifier = qualifier;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_finding_has_facts_and_every_key_is_a_field() {
        let types = all_types();
        for id in FindingId::ALL {
            assert!(
                types.iter().any(|t| t.ids.contains(id)),
                "{id} has no facts type"
            );
        }
        for t in &types {
            let mut keys = (t.keys)();
            assert!(!keys.is_empty(), "{} carries no facts", t.name);
            let n = keys.len();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), n, "{} repeats a key", t.name);
        }
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "are not the facts of cert-expired")]
    fn facts_of_another_finding_are_refused() {
        let facts = reach::DnsFailureFacts {
            host: "rdp.example",
            error: "no such name",
        };
        let _ = Finding::new(
            FindingId::CertExpired,
            Severity::Warn,
            String::new(),
            &facts,
        );
    }

    #[test]
    fn facts_keep_their_field_names_and_omissions() {
        let facts = capture::ClosedAfterCredsspFacts {
            connection: capture::ConnectionEndpoints {
                client: "10.0.0.2:50000",
                server: "10.0.0.1:3389",
            },
            client_records: None,
            server_records: Some(3),
        };
        let f = Finding::new(
            FindingId::CaptureClosedAfterCredssp,
            Severity::Fail,
            String::new(),
            &facts,
        );
        let keys: Vec<&str> = f.evidence.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["client", "client_records", "server", "server_records"]
        );
        assert_eq!(f.evidence["client_records"], Value::Null);
        assert_eq!(f.evidence["server_records"], 3);
    }
}
