//! Reads `.evtx` files through `rdpdoctor-host`'s event reader and prints
//! the grouped evidence as JSON; for the bench (`bench/evtx-vs-evtx-dump.sh`)
//! until `rdpdoctor inspect` can take its place.
//!
//! `cargo run --release -p rdpdoctor-host --example read_evtx -- [--since UNIX] FILES...`

use rdpdoctor_host::InspectOptions;
use rdpdoctor_host::events::Reader;
use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let mut since_unix = None;
    if args.peek().map(String::as_str) == Some("--since") {
        args.next();
        since_unix = args.next().and_then(|s| s.parse().ok());
    }
    let now_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let opts = InspectOptions {
        since_unix,
        now_unix,
    };
    let start = Instant::now();
    let mut reader = Reader::new(&opts);
    let mut bytes = 0u64;
    let mut sources = Vec::new();
    for path in args.map(PathBuf::from) {
        bytes += std::fs::metadata(&path).map_or(0, |m| m.len());
        sources.push(reader.read_file(&path));
    }
    let events = reader.finish();
    let secs = start.elapsed().as_secs_f64();
    for s in sources
        .iter()
        .filter(|s| !matches!(s.status, rdpdoctor_evidence::host::SourceStatus::Read))
    {
        eprintln!("{:?}", s.status);
    }
    eprintln!(
        "read {} files, {:.1} MB, {} records ({} matched, {} unreadable) in {:.3} s: {:.0} MB/s",
        sources.len(),
        bytes as f64 / 1e6,
        events.records_scanned,
        events.records_matched,
        events.records_unreadable,
        secs,
        bytes as f64 / 1e6 / secs
    );
    match serde_json::to_string_pretty(&events) {
        Ok(json) => println!("{json}"),
        Err(e) => eprintln!("{e}"),
    }
}
