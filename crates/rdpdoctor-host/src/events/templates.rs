//! What is known of a template definition (by GUID): whether it follows the
//! standard System layout, and where the key fields of a catalogue entry
//! are among its substitution values.
//!
//! Both are learned from full renderings, never assumed: the layout from the
//! first record of the template rendered, the key places from the first
//! renderings of its records (a value whose text equals the rendered
//! field's, the same place in [`MIN_RENDERINGS`] records, one place only).
//! Until a template's places are known, and when they cannot be (a field
//! that is no single value), its records are rendered.

use super::catalogue::Entry;
use super::decode::{cap, normalise};
use super::values::{Guid, Instance};
use std::collections::{BTreeMap, HashMap};

/// Renderings that must agree before the places of a key are used.
pub const MIN_RENDERINGS: u8 = 2;
/// Values of a template looked at for a key field's place.
const MAX_PLACES: usize = 64;
/// The most templates remembered (a hostile file could define one per
/// record); past it, unknown templates are rendered.
pub const MAX_TEMPLATES: usize = 4096;

/// One template definition.
#[derive(Debug, Clone)]
pub struct Template {
    pub layout: Layout,
    /// Per catalogue entry (by index) with key fields: where they are in
    /// the event's data ([`Instance::data`]).
    keys: Vec<(usize, Places)>,
}

/// Where a template's records hold their System fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Layout {
    /// EventID, Provider and Channel are values at the standard places.
    Standard,
    /// EventID is a value at the standard place; Provider and Channel are
    /// text of the template itself (classic providers: Service Control
    /// Manager, Schannel, …), as rendered.
    Constant {
        channel: Option<String>,
        provider: String,
        /// Renderings that agreed so far.
        seen: u8,
    },
    /// Neither: every record is rendered.
    Other,
}

/// Where an entry's key fields are.
#[derive(Debug, Clone, PartialEq)]
enum Places {
    /// Per key field: absent (`None`) or the values that could hold it.
    Learning {
        seen: u8,
        places: Vec<Option<Vec<u16>>>,
    },
    /// Per key field: absent or its value's place.
    Known(Vec<Option<u16>>),
    /// No single place: always render.
    Render,
}

/// Every template known.
#[derive(Debug, Clone, Default)]
pub struct Templates(HashMap<Guid, Template>);

impl Templates {
    /// The template's layout, when known.
    pub fn layout(&self, guid: &Guid) -> Option<&Layout> {
        self.0.get(guid).map(|t| &t.layout)
    }

    /// Learns a template's layout from a rendering: `standard` when its
    /// values held the rendered EventID, Provider and Channel at the standard
    /// places; otherwise `constant` when the EventID was and the Provider
    /// value is null: then the rendered Provider and Channel, which must be
    /// the same in [`MIN_RENDERINGS`] renderings.
    pub fn learn_layout(
        &mut self,
        guid: Guid,
        standard: bool,
        constant: Option<(Option<&str>, &str)>,
    ) -> bool {
        let next = match (standard, constant, self.0.get(&guid).map(|t| &t.layout)) {
            (true, _, _) => Layout::Standard,
            (
                false,
                Some((channel, provider)),
                Some(Layout::Constant {
                    channel: c,
                    provider: p,
                    seen,
                }),
            ) if c.as_deref() == channel && p == provider => Layout::Constant {
                channel: c.clone(),
                provider: p.clone(),
                seen: seen.saturating_add(1),
            },
            (false, Some((channel, provider)), None) if !provider.is_empty() => Layout::Constant {
                channel: channel.map(str::to_owned),
                provider: provider.to_owned(),
                seen: 1,
            },
            _ => Layout::Other,
        };
        if self.0.len() < MAX_TEMPLATES || self.0.contains_key(&guid) {
            self.0
                .entry(guid)
                .or_insert_with(|| Template {
                    layout: Layout::Other,
                    keys: Vec::new(),
                })
                .layout = next.clone();
        }
        next == Layout::Standard
            || matches!(next, Layout::Constant { seen, .. } if seen >= MIN_RENDERINGS)
    }

    /// The key of entry `index` read from a record's values, when its places
    /// are known and the values read.
    pub fn key(
        &self,
        guid: &Guid,
        index: usize,
        entry: &Entry,
        inst: &Instance<'_>,
    ) -> Option<BTreeMap<String, String>> {
        let t = self.0.get(guid)?;
        let (_, Places::Known(places)) = t.keys.iter().find(|(i, _)| *i == index)? else {
            return None;
        };
        let inst = inst.data()?;
        let mut out = BTreeMap::new();
        for ((name, _), place) in entry.key.iter().zip(places) {
            if let Some(p) = place {
                out.insert(
                    (*name).to_owned(),
                    normalise(&cap(&inst.text(usize::from(*p))?)),
                );
            }
        }
        Some(out)
    }

    /// Learns from a rendered record of the template where entry `index`'s
    /// key fields are.
    pub fn learn(
        &mut self,
        guid: &Guid,
        index: usize,
        entry: &Entry,
        fields: &[(String, String)],
        inst: &Instance<'_>,
    ) {
        let Some(t) = self.0.get_mut(guid) else {
            return;
        };
        if !t.keys.iter().any(|(i, _)| *i == index) {
            t.keys.push((
                index,
                Places::Learning {
                    seen: 0,
                    places: Vec::new(),
                },
            ));
        }
        let Some((_, places)) = t.keys.iter_mut().find(|(i, _)| *i == index) else {
            return;
        };
        let Places::Learning { seen, places: old } = places else {
            return;
        };
        let Some(inst) = inst.data() else {
            *places = Places::Render;
            return;
        };
        let texts: Vec<Option<String>> = (0..inst.len().min(MAX_PLACES))
            .map(|i| inst.text(i).map(|t| normalise(&cap(&t))))
            .collect();
        let now: Vec<Option<Vec<u16>>> = entry
            .key
            .iter()
            .map(|(_, sources)| {
                let v = sources
                    .iter()
                    .find_map(|s| fields.iter().find(|(n, _)| n == s).map(|(_, v)| v))?;
                let want = normalise(v);
                Some(
                    (0u16..)
                        .zip(&texts)
                        .filter(|(_, t)| t.as_ref() == Some(&want))
                        .map(|(i, _)| i)
                        .collect(),
                )
            })
            .collect();
        let merged = if *seen == 0 {
            Some(now)
        } else {
            old.iter()
                .zip(now)
                .map(|(a, b)| match (a, b) {
                    (None, None) => Some(None),
                    (Some(a), Some(b)) => {
                        Some(Some(a.iter().copied().filter(|x| b.contains(x)).collect()))
                    }
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
        };
        let next = match merged {
            Some(m) if m.iter().all(|p| p.as_ref().is_none_or(|c| !c.is_empty())) => {
                let seen = seen.saturating_add(1);
                if seen >= MIN_RENDERINGS && m.iter().flatten().all(|c| c.len() == 1) {
                    Places::Known(m.iter().map(|p| p.as_ref().map(|c| c[0])).collect())
                } else {
                    Places::Learning { seen, places: m }
                }
            }
            _ => Places::Render,
        };
        if let Some((_, p)) = t.keys.iter_mut().find(|(i, _)| *i == index) {
            *p = next;
        }
    }

    /// Takes in what another reader learned: a known layout or known places
    /// where this one has none; where the two disagree, rendering.
    pub fn absorb(&mut self, other: Templates) {
        for (guid, o) in other.0 {
            let Some(t) = self.0.get_mut(&guid) else {
                if self.0.len() < MAX_TEMPLATES {
                    self.0.insert(guid, o);
                }
                continue;
            };
            t.layout = match (&t.layout, &o.layout) {
                (a, b) if a == b => a.clone(),
                (
                    Layout::Constant {
                        channel: c1,
                        provider: p1,
                        seen: s1,
                    },
                    Layout::Constant {
                        channel: c2,
                        provider: p2,
                        seen: s2,
                    },
                ) if c1 == c2 && p1 == p2 => Layout::Constant {
                    channel: c1.clone(),
                    provider: p1.clone(),
                    seen: (*s1).max(*s2),
                },
                _ => Layout::Other,
            };
            for (index, op) in o.keys {
                match t.keys.iter_mut().find(|(i, _)| *i == index) {
                    None => t.keys.push((index, op)),
                    Some((_, p)) => match (&*p, &op) {
                        (Places::Learning { .. }, _) => *p = op,
                        (Places::Known(a), Places::Known(b)) if a != b => *p = Places::Render,
                        (Places::Known(_), Places::Render) => *p = Places::Render,
                        _ => {}
                    },
                }
            }
        }
    }
}
