//! Matched records, counted per group in bounded memory: per group a count,
//! the first time and the newest record, and, while the window is not known
//! yet, per-day counts for the last [`DEFAULT_WINDOW_DAYS`] days.

use evtx::Timestamp;
use rdpdoctor_evidence::host::{EventGroup, EventRecord};
use std::collections::{BTreeMap, HashMap};

/// The default window: this many days (UTC calendar days), ending with the
/// day of the newest record read. Anchored on the logs, not on "now": the
/// disk of a stopped VM is often read long after its last record.
pub const DEFAULT_WINDOW_DAYS: i64 = 30;

/// The most groups kept; records of further groups are counted in
/// `records_ungrouped` (a hostile log could otherwise make one group per
/// record).
pub const MAX_GROUPS: usize = 512;

/// What defines a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupKey {
    pub channel: &'static str,
    pub provider: String,
    pub event_id: u32,
    pub key: BTreeMap<String, String>,
}

/// One group's counts.
#[derive(Debug)]
struct Group {
    /// Records in the window (a fixed window only).
    count: u64,
    /// The oldest record's time (a fixed window only).
    first: Timestamp,
    /// Per UTC day: (records, the oldest record's time); a moving window only.
    days: BTreeMap<i64, (u64, Timestamp)>,
    /// The newest record rendered, with its time and record id.
    newest: Option<(Timestamp, u64, EventRecord)>,
}

/// The window records are counted in.
#[derive(Debug, Clone, Copy)]
pub enum Window {
    /// Records from this time on (`--since`).
    Since(Timestamp),
    /// [`DEFAULT_WINDOW_DAYS`] days up to the newest record read, known
    /// only at the end.
    BeforeNewest,
}

/// Every group.
#[derive(Debug)]
pub struct Groups {
    window: Window,
    groups: HashMap<GroupKey, Group>,
    /// Matched records not grouped (past [`MAX_GROUPS`]).
    pub ungrouped: u64,
}

/// The UTC day a time falls on.
pub fn day(t: Timestamp) -> i64 {
    t.as_second().div_euclid(86_400)
}

impl Groups {
    pub fn new(window: Window) -> Groups {
        Groups {
            window,
            groups: HashMap::new(),
            ungrouped: 0,
        }
    }

    /// Counts one record. In a moving window it is counted on `bin_day`, and
    /// `first_day` is the oldest day still in the window: older day counts
    /// are dropped, so memory stays bounded.
    pub fn count(&mut self, key: &GroupKey, time: Timestamp, bin_day: i64, first_day: i64) {
        let moving = matches!(self.window, Window::BeforeNewest);
        if !self.groups.contains_key(key) {
            if self.groups.len() >= MAX_GROUPS {
                self.ungrouped += 1;
                return;
            }
            self.groups.insert(
                key.clone(),
                Group {
                    count: 0,
                    first: time,
                    days: BTreeMap::new(),
                    newest: None,
                },
            );
        }
        let Some(g) = self.groups.get_mut(key) else {
            return;
        };
        if moving {
            let d = g.days.entry(bin_day).or_insert((0, time));
            d.0 += 1;
            d.1 = d.1.min(time);
            if g.days
                .first_key_value()
                .is_some_and(|(d, _)| *d < first_day)
            {
                g.days = g.days.split_off(&first_day);
            }
        } else {
            g.count += 1;
            g.first = g.first.min(time);
        }
    }

    /// Whether a record would be its (counted) group's newest example.
    pub fn would_be_newest(&self, key: &GroupKey, time: Timestamp, record_id: u64) -> bool {
        self.groups.get(key).is_some_and(|g| {
            g.newest
                .as_ref()
                .is_none_or(|(t, id, _)| (time, record_id) > (*t, *id))
        })
    }

    /// Makes `record` the group's example if it is newer than the one kept.
    pub fn set_newest(&mut self, key: &GroupKey, time: Timestamp, record: EventRecord) {
        if self.would_be_newest(key, time, record.record_id)
            && let Some(g) = self.groups.get_mut(key)
        {
            g.newest = Some((time, record.record_id, record));
        }
    }

    /// Adds the groups another reader counted (on another thread).
    pub fn merge(&mut self, other: Groups, first_day: i64) {
        self.ungrouped += other.ungrouped;
        for (key, o) in other.groups {
            if !self.groups.contains_key(&key) && self.groups.len() >= MAX_GROUPS {
                self.ungrouped += o.count + o.days.values().map(|(n, _)| n).sum::<u64>();
                continue;
            }
            let g = self.groups.entry(key).or_insert(Group {
                count: 0,
                first: o.first,
                days: BTreeMap::new(),
                newest: None,
            });
            g.count += o.count;
            g.first = g.first.min(o.first);
            for (d, (n, t)) in o.days.range(first_day..) {
                let e = g.days.entry(*d).or_insert((0, *t));
                e.0 += n;
                e.1 = e.1.min(*t);
            }
            if g.days
                .first_key_value()
                .is_some_and(|(d, _)| *d < first_day)
            {
                g.days = g.days.split_off(&first_day);
            }
            if let Some((t, id, r)) = o.newest
                && g.newest
                    .as_ref()
                    .is_none_or(|(gt, gid, _)| (t, id) > (*gt, *gid))
            {
                g.newest = Some((t, id, r));
            }
        }
    }

    /// The groups with records in the window (for a moving window, from
    /// `first_day` on), most frequent first within a channel and event id.
    pub fn finish(self, first_day: i64) -> Vec<EventGroup> {
        let mut out: Vec<EventGroup> = self
            .groups
            .into_iter()
            .filter_map(|(k, g)| {
                let (count, first) = match self.window {
                    Window::Since(_) => (g.count, g.first),
                    Window::BeforeNewest => {
                        let kept = g.days.range(first_day..);
                        let count: u64 = kept.clone().map(|(_, (n, _))| n).sum();
                        let first = kept.map(|(_, (_, t))| *t).min()?;
                        (count, first)
                    }
                };
                // Every group has an example unless each rendering of its
                // newest records failed: then the example is bare.
                let newest = g.newest.map(|(_, _, r)| r).unwrap_or_else(|| EventRecord {
                    time: first.to_string(),
                    record_id: 0,
                    source: String::new(),
                    computer: None,
                    data: BTreeMap::new(),
                });
                (count > 0).then(|| EventGroup {
                    channel: k.channel.to_owned(),
                    provider: k.provider,
                    event_id: k.event_id,
                    key: k.key,
                    count,
                    first: first.to_string(),
                    newest,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            (&a.channel, a.event_id, std::cmp::Reverse(a.count), &a.key).cmp(&(
                &b.channel,
                b.event_id,
                std::cmp::Reverse(b.count),
                &b.key,
            ))
        });
        out
    }
}
