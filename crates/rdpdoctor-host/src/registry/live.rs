//! The live registry of the machine rdpdoctor runs on (`inspect --local`).
//!
//! It answers through the same [`RegistrySource`](super::RegistrySource)
//! interface as hive files and exports, so live and offline give the same
//! evidence. Reading it needs the Windows API; elsewhere, asking for it is
//! a one-line error the CLI prints before exiting with status 2.

use super::view::RegistrySource;

/// The error `inspect --local` gives off Windows.
pub const NEEDS_WINDOWS: &str = "inspect --local reads the live registry and needs Windows";

/// Opens the live registry.
#[cfg(not(windows))]
pub fn open() -> Result<Box<dyn RegistrySource>, String> {
    Err(NEEDS_WINDOWS.to_owned())
}

/// Opens the live registry.
// The Windows reader (HKLM\SYSTEM, HKLM\SOFTWARE, HKCU through RegOpenKeyExW)
// is its own issue; until it lands, say so rather than read nothing.
#[cfg(windows)]
pub fn open() -> Result<Box<dyn RegistrySource>, String> {
    Err("inspect --local: reading the live registry is not built yet; export the keys with `reg export` and inspect the .reg files".to_owned())
}
