//! Helpers shared by rdpdoctor's tests, built once instead of once per test
//! binary: where the shared fixtures are and the real hives decompressed
//! (`fixtures`), hive variants made with hivex and host evidence read from
//! them (`host`, feature `host`), certificates for the stores (`cert`),
//! the frame accumulator's promises (`frames`, feature `wire`), bytes
//! written as hex (`hex`), a seeded generator (`rng`), the binary run
//! as a user runs it, the lab's scenarios and its ground truth (`run`, `lab`,
//! `truth`, `exporter`, feature `cli`), fixed reports (`reports`, feature
//! `reports`), whole-output snapshots (`snapshot`), and captures recorded by
//! tcpdump (`tcpdump`).
//!
//! Only a dev-dependency: nothing here ships.

pub mod fixtures;
#[cfg(feature = "wire")]
pub mod frames;
pub mod hex;
pub mod rng;
pub mod tcpdump;
pub mod xfreerdp;

#[cfg(feature = "cert")]
pub mod cert;
#[cfg(feature = "cli")]
pub mod exporter;
#[cfg(feature = "host")]
pub mod host;
#[cfg(feature = "kdc")]
pub mod kdc;
#[cfg(feature = "cli")]
pub mod lab;
#[cfg(feature = "reports")]
pub mod reports;
#[cfg(feature = "cli")]
pub mod run;
#[cfg(feature = "cli")]
pub mod secrets;
#[cfg(feature = "snapshot")]
pub mod snapshot;
#[cfg(feature = "cli")]
pub mod truth;

/// Everything the tests of the binary use, in one import
/// (`use rdpdoctor_testkit::cli::*`).
#[cfg(feature = "cli")]
pub mod cli {
    pub use crate::fixtures::repo_root;
    pub use crate::lab::*;
    pub use crate::run::*;
    pub use crate::truth::*;
}
