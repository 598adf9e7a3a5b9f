//! The Windows API calls of `inspect --local`, the crate's only `unsafe`
//! code: reading registry keys (`RegOpenKeyExW`, `RegEnumValueW`,
//! `RegEnumKeyExW`) and exporting an event log channel (`EvtExportLog`).
//!
//! Everything here returns owned, checked data: every length the API
//! reports back is checked against the buffer it was given before a byte
//! is read, a value that grows between two calls (`ERROR_MORE_DATA`) is
//! asked for again with a larger buffer a bounded number of times, and
//! counts and sizes are capped, so odd or changing registry data is an
//! error or a skipped value, never a panic or an unbounded allocation.
//! Decoding the bytes (REG_DWORD, REG_SZ, …) is safe code in
//! [`crate::registry::live`].

#![allow(unsafe_code)]

use std::ffi::OsStr;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;
use windows_sys::Win32::Foundation::{
    ERROR_MORE_DATA, ERROR_NO_MORE_ITEMS, ERROR_SUCCESS, GetLastError,
};
use windows_sys::Win32::System::EventLog::{
    EvtExportLog, EvtExportLogChannelPath, EvtExportLogOverwrite,
};
use windows_sys::Win32::System::Registry::{
    HKEY, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, KEY_READ, KEY_WOW64_64KEY, RegCloseKey,
    RegEnumKeyExW, RegEnumValueW, RegOpenKeyExW, RegQueryInfoKeyW,
};

/// A key's values and subkeys past this many are not read (a key rdpdoctor
/// reads has a few dozen; a certificate store a few hundred).
const MAX_ITEMS: u32 = 100_000;
/// Registry value names are at most 16,383 characters; key names 255.
const MAX_NAME_CHARS: u32 = 16_384;
/// A value's data past this is not read (certificate blobs are a few KB).
const MAX_DATA_BYTES: u32 = 16 * 1024 * 1024;
/// How often a value that keeps growing is asked for again.
const RETRIES: usize = 4;

/// The predefined keys rdpdoctor reads below.
#[derive(Debug, Clone, Copy)]
pub enum Predefined {
    /// `HKEY_LOCAL_MACHINE`.
    LocalMachine,
    /// `HKEY_CURRENT_USER`.
    CurrentUser,
}

/// A Win32 error code (`GetLastError`, or what a `Reg*` call returned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Win32Error(pub u32);

impl Win32Error {
    /// `ERROR_FILE_NOT_FOUND`: the key or value is not there.
    pub fn is_not_found(self) -> bool {
        self.0 == 2 || self.0 == 3
    }
}

impl std::fmt::Display for Win32Error {
    /// A few words a user can act on, then the code.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (words, hint) = match self.0 {
            2 | 3 => ("not found", ""),
            5 => ("access denied", "; run it as an administrator"),
            50 | 120 => ("not implemented on this system", ""),
            1314 => (
                "a required privilege is not held",
                "; run it as an administrator",
            ),
            15007 => ("no such channel", ""),
            _ => ("", ""),
        };
        if words.is_empty() {
            // The system's own text for anything else ("… (os error N)").
            let io = std::io::Error::from_raw_os_error(self.0 as i32);
            write!(f, "{io}")
        } else {
            write!(f, "{words} (error {}{hint})", self.0)
        }
    }
}

/// One value as the registry holds it: name, type, raw data.
#[derive(Debug, Clone)]
pub struct RawValue {
    /// The name; empty for the default value.
    pub name: String,
    /// `REG_*` type.
    pub kind: u32,
    /// The data, exactly as many bytes as the registry returned.
    pub data: Vec<u8>,
}

/// An open registry key, closed when dropped.
#[derive(Debug)]
pub struct Key(HKEY);

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: self.0 was returned by a successful RegOpenKeyExW and is
        // closed exactly once, here.
        unsafe {
            RegCloseKey(self.0);
        }
    }
}

fn wide(s: &OsStr) -> Vec<u16> {
    s.encode_wide().chain(std::iter::once(0)).collect()
}

/// Opens `path` (`\`-separated; empty: the predefined key itself) below
/// `root` for reading, in the 64-bit view. `Ok(None)`: not there.
pub fn open(root: Predefined, path: &str) -> Result<Option<Key>, Win32Error> {
    let root = match root {
        Predefined::LocalMachine => HKEY_LOCAL_MACHINE,
        Predefined::CurrentUser => HKEY_CURRENT_USER,
    };
    let sub = wide(OsStr::new(path));
    let mut out: HKEY = std::ptr::null_mut();
    // SAFETY: `sub` is a NUL-terminated UTF-16 string that outlives the
    // call; `out` is a valid place for the returned handle.
    let rc = unsafe { RegOpenKeyExW(root, sub.as_ptr(), 0, KEY_READ | KEY_WOW64_64KEY, &mut out) };
    match rc {
        ERROR_SUCCESS if !out.is_null() => Ok(Some(Key(out))),
        ERROR_SUCCESS => Err(Win32Error(6)),
        e if Win32Error(e).is_not_found() => Ok(None),
        e => Err(Win32Error(e)),
    }
}

/// What `RegQueryInfoKeyW` says of a key: counts and the longest name and
/// data, as starting sizes for the buffers (values can change meanwhile).
struct Info {
    subkeys: u32,
    longest_subkey: u32,
    values: u32,
    longest_value_name: u32,
    longest_data: u32,
}

impl Key {
    fn info(&self) -> Result<Info, Win32Error> {
        let (mut subkeys, mut longest_subkey, mut values) = (0u32, 0u32, 0u32);
        let (mut longest_value_name, mut longest_data) = (0u32, 0u32);
        // SAFETY: the handle is open; every out-pointer is a valid u32 or
        // null where the API allows it (class, security descriptor, time).
        let rc = unsafe {
            RegQueryInfoKeyW(
                self.0,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null(),
                &mut subkeys,
                &mut longest_subkey,
                std::ptr::null_mut(),
                &mut values,
                &mut longest_value_name,
                &mut longest_data,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        if rc != ERROR_SUCCESS {
            return Err(Win32Error(rc));
        }
        Ok(Info {
            subkeys: subkeys.min(MAX_ITEMS),
            longest_subkey,
            values: values.min(MAX_ITEMS),
            longest_value_name,
            longest_data,
        })
    }

    /// Every value, in the registry's order. A value that cannot be read
    /// (it keeps growing, or is larger than [`MAX_DATA_BYTES`]) is left out
    /// and counted in the second field.
    pub fn values(&self) -> Result<(Vec<RawValue>, usize), Win32Error> {
        let info = self.info()?;
        let mut name = vec![0u16; (info.longest_value_name.min(MAX_NAME_CHARS) + 1) as usize];
        let mut data = vec![0u8; info.longest_data.clamp(16, MAX_DATA_BYTES) as usize];
        let mut out = Vec::with_capacity(info.values.min(1024) as usize);
        let mut skipped = 0;
        'values: for index in 0..MAX_ITEMS {
            for _ in 0..RETRIES {
                let mut name_len = u32::try_from(name.len()).unwrap_or(u32::MAX);
                let mut data_len = u32::try_from(data.len()).unwrap_or(u32::MAX);
                let mut kind = 0u32;
                // SAFETY: the handle is open; `name` holds `name_len` u16s
                // and `data` `data_len` bytes, both owned here and alive for
                // the call; `kind` is a valid u32.
                let rc = unsafe {
                    RegEnumValueW(
                        self.0,
                        index,
                        name.as_mut_ptr(),
                        &mut name_len,
                        std::ptr::null(),
                        &mut kind,
                        data.as_mut_ptr(),
                        &mut data_len,
                    )
                };
                match rc {
                    ERROR_SUCCESS => {
                        // The API reports the lengths it wrote: never trust
                        // them past the buffers.
                        let (Some(n), Some(d)) =
                            (name.get(..name_len as usize), data.get(..data_len as usize))
                        else {
                            skipped += 1;
                            continue 'values;
                        };
                        out.push(RawValue {
                            name: String::from_utf16_lossy(n),
                            kind,
                            data: d.to_vec(),
                        });
                        continue 'values;
                    }
                    ERROR_NO_MORE_ITEMS => break 'values,
                    ERROR_MORE_DATA => {
                        // The value (or its name) grew since RegQueryInfoKeyW.
                        // lpcbData now holds the size needed; the name's
                        // length is not reported, so it doubles.
                        let grew = grow(&mut name, 0, MAX_NAME_CHARS)
                            | grow(&mut data, data_len, MAX_DATA_BYTES);
                        if !grew {
                            skipped += 1;
                            continue 'values;
                        }
                    }
                    e => return Err(Win32Error(e)),
                }
            }
            // Still growing after the retries.
            skipped += 1;
        }
        Ok((out, skipped))
    }

    /// Every subkey's name.
    pub fn subkeys(&self) -> Result<Vec<String>, Win32Error> {
        let info = self.info()?;
        let mut name = vec![0u16; (info.longest_subkey.min(MAX_NAME_CHARS) + 1).max(256) as usize];
        let mut out = Vec::with_capacity(info.subkeys.min(1024) as usize);
        'keys: for index in 0..MAX_ITEMS {
            for _ in 0..RETRIES {
                let mut name_len = u32::try_from(name.len()).unwrap_or(u32::MAX);
                // SAFETY: the handle is open; `name` holds `name_len` u16s,
                // owned here; the class and time pointers are null, which
                // the API allows.
                let rc = unsafe {
                    RegEnumKeyExW(
                        self.0,
                        index,
                        name.as_mut_ptr(),
                        &mut name_len,
                        std::ptr::null(),
                        std::ptr::null_mut(),
                        std::ptr::null_mut(),
                        std::ptr::null_mut(),
                    )
                };
                match rc {
                    ERROR_SUCCESS => {
                        if let Some(n) = name.get(..name_len as usize) {
                            out.push(String::from_utf16_lossy(n));
                        }
                        continue 'keys;
                    }
                    ERROR_NO_MORE_ITEMS => break 'keys,
                    ERROR_MORE_DATA => {
                        if !grow(&mut name, 0, MAX_NAME_CHARS) {
                            continue 'keys;
                        }
                    }
                    e => return Err(Win32Error(e)),
                }
            }
        }
        Ok(out)
    }
}

/// Makes `buf` at least `wanted` and at least twice as long, up to `cap`
/// (+1 for a name's NUL). False when it is at the cap already.
fn grow<T: Copy + Default>(buf: &mut Vec<T>, wanted: u32, cap: u32) -> bool {
    let now = buf.len();
    let want = (wanted as usize)
        .max(now.saturating_mul(2))
        .min(cap as usize + 1);
    if want <= now {
        return false;
    }
    buf.resize(want, T::default());
    true
}

/// Exports the records of `channel` that match the XPath `query` into the
/// `.evtx` file `target` (overwritten), with `EvtExportLog`. Needs
/// administrator rights for most channels (Security always).
pub fn export_log(channel: &str, query: &str, target: &Path) -> Result<(), Win32Error> {
    let channel = wide(OsStr::new(channel));
    let query = wide(OsStr::new(query));
    let target = wide(target.as_os_str());
    // SAFETY: the three strings are NUL-terminated UTF-16 owned here and
    // alive for the call; session 0 (no handle) is the local machine.
    let ok = unsafe {
        EvtExportLog(
            0,
            channel.as_ptr(),
            query.as_ptr(),
            target.as_ptr(),
            EvtExportLogChannelPath | EvtExportLogOverwrite,
        )
    };
    if ok != 0 {
        return Ok(());
    }
    // SAFETY: GetLastError takes no arguments and reads this thread's
    // last-error value, which EvtExportLog just set.
    Err(Win32Error(unsafe { GetLastError() }))
}
