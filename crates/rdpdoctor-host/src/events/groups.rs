//! Matched records, counted per group in bounded memory: per group a count,
//! the first time and the newest record, and, while the window is not known
//! yet, per-day counts for the last [`DEFAULT_WINDOW_DAYS`] days. Records
//! before the window are counted as left out, so that the report can say
//! what the window hid.
//!
//! One [`Groups`] per file; [`by_machine`] then puts each group with the
//! computer that logged it and counts each computer's window back from its
//! own newest record.

use evtx::Timestamp;
use rdpdoctor_evidence::host::{EventCount, EventGroup, EventMachine, EventRecord};
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
    /// The computer (lower case), set by [`by_machine`]; `None` while a
    /// file is read.
    pub computer: Option<String>,
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
    /// The oldest record's time in the window (a fixed window only).
    first: Timestamp,
    /// Per UTC day: (records, the oldest record's time); a moving window only.
    days: BTreeMap<i64, (u64, Timestamp)>,
    /// The newest record rendered, with its time and record id.
    newest: Option<(Timestamp, u64, EventRecord)>,
    /// Records before the window.
    left_out: u64,
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
    /// become left out, so memory stays bounded.
    pub fn count(&mut self, key: &GroupKey, time: Timestamp, bin_day: i64, first_day: i64) {
        if !self.groups.contains_key(key) {
            if self.groups.len() >= MAX_GROUPS {
                self.ungrouped += 1;
                return;
            }
            self.groups.insert(key.clone(), Group::new());
        }
        let Some(g) = self.groups.get_mut(key) else {
            return;
        };
        match self.window {
            Window::BeforeNewest if bin_day < first_day => g.left_out += 1,
            Window::BeforeNewest => {
                let d = g.days.entry(bin_day).or_insert((0, time));
                d.0 += 1;
                d.1 = d.1.min(time);
                g.drop_days_before(first_day);
            }
            Window::Since(since) if time < since => g.left_out += 1,
            Window::Since(_) => {
                g.count += 1;
                g.first = g.first.min(time);
            }
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

    /// Adds the groups another reader counted (on another thread, or
    /// another file of the same computer).
    pub fn merge(&mut self, other: Groups, first_day: i64) {
        self.ungrouped += other.ungrouped;
        for (key, o) in other.groups {
            if !self.groups.contains_key(&key) && self.groups.len() >= MAX_GROUPS {
                self.ungrouped += o.count + o.days.values().map(|(n, _)| n).sum::<u64>();
                continue;
            }
            let g = self.groups.entry(key).or_insert_with(Group::new);
            g.count += o.count;
            g.first = g.first.min(o.first);
            g.left_out += o.left_out;
            for (d, (n, t)) in &o.days {
                if *d < first_day {
                    g.left_out += n;
                    continue;
                }
                let e = g.days.entry(*d).or_insert((0, *t));
                e.0 += n;
                e.1 = e.1.min(*t);
            }
            g.drop_days_before(first_day);
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
    /// `first_day` on), most frequent first within a channel and event id,
    /// and the records before it, per channel and event id.
    pub fn finish(self, first_day: i64) -> (Vec<EventGroup>, BTreeMap<(&'static str, u32), u64>) {
        let mut left_out: BTreeMap<(&'static str, u32), u64> = BTreeMap::new();
        let mut out: Vec<EventGroup> = Vec::new();
        for (k, g) in self.groups {
            let (count, first, before) = match self.window {
                Window::Since(_) => (g.count, g.first, g.left_out),
                Window::BeforeNewest => {
                    let kept = g.days.range(first_day..);
                    let count: u64 = kept.clone().map(|(_, (n, _))| n).sum();
                    let first = kept.map(|(_, (_, t))| *t).min().unwrap_or(Timestamp::MAX);
                    let dropped: u64 = g.days.range(..first_day).map(|(_, (n, _))| n).sum();
                    (count, first, g.left_out + dropped)
                }
            };
            if before > 0 {
                *left_out.entry((k.channel, k.event_id)).or_default() += before;
            }
            if count == 0 {
                continue;
            }
            // Every group has an example unless each rendering of its
            // newest records failed: then the example is bare.
            let newest = g.newest.map(|(_, _, r)| r).unwrap_or_else(|| EventRecord {
                time: first.to_string(),
                record_id: 0,
                source: String::new(),
                computer: None,
                data: BTreeMap::new(),
            });
            out.push(EventGroup {
                computer: newest.computer.clone(),
                channel: k.channel.to_owned(),
                provider: k.provider,
                event_id: k.event_id,
                key: k.key,
                count,
                first: first.to_string(),
                newest,
            });
        }
        out.sort_by(|a, b| {
            (&a.channel, a.event_id, std::cmp::Reverse(a.count), &a.key).cmp(&(
                &b.channel,
                b.event_id,
                std::cmp::Reverse(b.count),
                &b.key,
            ))
        });
        (out, left_out)
    }
}

impl Group {
    fn new() -> Group {
        Group {
            count: 0,
            first: Timestamp::MAX,
            days: BTreeMap::new(),
            newest: None,
            left_out: 0,
        }
    }

    /// Moves the day counts before `first_day` to the left-out count (a
    /// moving window's start only moves forward).
    fn drop_days_before(&mut self, first_day: i64) {
        if self
            .days
            .first_key_value()
            .is_some_and(|(d, _)| *d < first_day)
        {
            let kept = self.days.split_off(&first_day);
            let dropped = std::mem::replace(&mut self.days, kept);
            self.left_out += dropped.values().map(|(n, _)| n).sum::<u64>();
        }
    }

    /// The computer of its newest record, lower case.
    fn computer(&self) -> Option<String> {
        self.newest
            .as_ref()
            .and_then(|(_, _, r)| r.computer.as_deref())
            .map(str::to_ascii_lowercase)
    }
}

/// The groups one file gave, and its newest record (any kind).
#[derive(Debug)]
pub struct FileGroups {
    pub newest: Option<Timestamp>,
    pub groups: Groups,
}

/// What [`by_machine`] gives.
#[derive(Debug, Default)]
pub struct Machines {
    pub groups: Vec<EventGroup>,
    pub left_out: Vec<EventCount>,
    pub machines: Vec<EventMachine>,
    pub ungrouped: u64,
    /// The earliest start of the computers' windows (a moving window only).
    pub first_day: Option<i64>,
}

/// Puts every file's groups with the computer that logged them and counts
/// each computer's default window back from its own newest record.
///
/// Per computer, not per file and not across all: a folder gathered from
/// many machines holds logs that stopped at different times, and one
/// machine's newest record must not push another's out of its window; one
/// machine's logs span several files (Security rolls over sooner than
/// RemoteConnectionManager), which a per-file window would cut differently.
/// A group's computer is its newest record's: a log holds one machine's
/// records, but in a log of forwarded events a group may mix computers and
/// goes to the newest one's.
pub fn by_machine(files: Vec<FileGroups>, window: Window, now: Timestamp) -> Machines {
    let mut newest: BTreeMap<Option<String>, Timestamp> = BTreeMap::new();
    for f in &files {
        for g in f.groups.groups.values() {
            let t = f.newest.unwrap_or(now);
            let e = newest.entry(g.computer()).or_insert(t);
            *e = (*e).max(t);
        }
    }
    let first_day_of =
        |c: &Option<String>| day(newest.get(c).copied().unwrap_or(now)) - (DEFAULT_WINDOW_DAYS - 1);
    let mut per: BTreeMap<Option<String>, Groups> = BTreeMap::new();
    let mut out = Machines::default();
    for f in files {
        out.ungrouped += f.groups.ungrouped;
        for (key, g) in f.groups.groups {
            let computer = g.computer();
            let mut one = Groups::new(window);
            one.groups.insert(
                GroupKey {
                    computer: computer.clone(),
                    ..key
                },
                g,
            );
            let first_day = first_day_of(&computer);
            per.entry(computer)
                .or_insert_with(|| Groups::new(window))
                .merge(one, first_day);
        }
    }
    for (computer, groups) in per {
        let first_day = first_day_of(&computer);
        out.ungrouped += groups.ungrouped;
        let ungrouped = groups.ungrouped;
        let (g, left) = groups.finish(first_day);
        let since = match window {
            Window::Since(t) => t,
            Window::BeforeNewest => {
                out.first_day = Some(out.first_day.map_or(first_day, |d| d.min(first_day)));
                Timestamp::from_second(first_day * 86_400).unwrap_or(Timestamp::UNIX_EPOCH)
            }
        };
        let shown = g
            .iter()
            .find_map(|g| g.computer.clone())
            .or(computer.clone());
        out.machines.push(EventMachine {
            // As logged (the key is lower case).
            computer: shown.clone(),
            newest_seen: newest.get(&computer).map(|t| t.to_string()),
            since: since.to_string(),
            records_matched: g.iter().map(|g| g.count).sum::<u64>() + ungrouped,
            records_left_out: left.values().sum(),
        });
        out.left_out.extend(
            left.into_iter()
                .map(|((channel, event_id), count)| EventCount {
                    computer: shown.clone(),
                    channel: channel.to_owned(),
                    event_id,
                    count,
                }),
        );
        out.groups.extend(g);
    }
    out.left_out.sort_by(|a, b| {
        (&a.computer, &a.channel, a.event_id).cmp(&(&b.computer, &b.channel, b.event_id))
    });
    out.groups.sort_by(|a, b| {
        let k = |g: &EventGroup| {
            (
                g.channel.clone(),
                g.event_id,
                std::cmp::Reverse(g.count),
                g.key.clone(),
                g.computer.clone(),
            )
        };
        k(a).cmp(&k(b))
    });
    out
}
