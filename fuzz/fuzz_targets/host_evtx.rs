#![no_main]
//! Event logs: arbitrary bytes as an `.evtx` file through the reader
//! `rdpdoctor inspect` uses (`events::Reader::read_file`, which takes a
//! path: the bytes go to a file of this process's own in the temp folder).
//! A panic anywhere, even one the reader catches, aborts the run
//! (libfuzzer-sys's panic hook); memory is bounded by `-rss_limit_mb`, and
//! the evidence must stay within the reader's caps whatever the input.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_host::InspectOptions;
use rdpdoctor_host::events::{Reader, SINCE_ALL, groups::MAX_GROUPS};
use std::path::PathBuf;
use std::sync::OnceLock;

fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("rdpdoctor-fuzz-{}.evtx", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let path = path();
    if std::fs::write(path, data).is_err() {
        return;
    }
    for since in [Some(SINCE_ALL), None] {
        let mut reader = Reader::new(&InspectOptions {
            since_unix: since,
            now_unix: 1_800_000_000,
        });
        let _ = reader.read_file(path);
        let ev = reader.finish();
        assert!(ev.groups.len() <= MAX_GROUPS);
        assert!(ev.records_matched <= ev.records_scanned + ev.records_unreadable);
    }
});
