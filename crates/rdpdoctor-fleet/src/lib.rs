//! The I/O tier for many hosts (`rdpdoctor scan`): which hosts
//! ([`targets`], sans-I/O), what a previous run already did ([`resume`],
//! sans-I/O), and the scheduler that probes them ([`scheduler`]: a bound on
//! hosts in flight, a rate of hosts started per second, a deadline per host).
//!
//! Each host is probed by `rdpdoctor_probe::probe`, exactly as `rdpdoctor
//! probe` does (its own connection pacer included); this crate adds no
//! judgement and no output.

#![forbid(unsafe_code)]

pub mod resume;
pub mod scheduler;
pub mod targets;

pub use resume::{Done, ResumeError, parse_resume};
pub use scheduler::{Event, RECHECK_CONCURRENCY, Schedule, scan};
pub use targets::{TargetSet, TargetsError};
