//! Damaged event logs: copies of the real fixtures, truncated or with bytes
//! overwritten, and files that are no event log. Each gives a one-line
//! problem naming the file, keeps what could be read, and never panics.

use rdpdoctor_evidence::host::{EventEvidence, HostSource, SourceStatus};
use rdpdoctor_host::InspectOptions;
use rdpdoctor_host::events::Reader;
use std::path::{Path, PathBuf};

use rdpdoctor_testkit::host::evtx_fixtures as fixtures;

const RDPCORETS_FILE: &str =
    "omerbenamram_evtx__2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS-Operational.evtx";
const SECURITY_FILE: &str = "omerbenamram_evtx__Security_short_selected.evtx";
const HEADER: usize = 4096;
const CHUNK: usize = 65_536;

/// A scratch folder of this test's own, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("rdpdoctor-evtx-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn read(path: &Path) -> (HostSource, EventEvidence) {
    let mut reader = Reader::new(&InspectOptions {
        since_unix: Some(0),
        now_unix: 1_800_000_000,
    });
    let source = reader.read_file(path);
    (source, reader.finish())
}

fn problem(s: &HostSource) -> &str {
    match &s.status {
        SourceStatus::Partial { problem } | SourceStatus::Unusable { problem } => problem,
        SourceStatus::Read => "",
    }
}

/// The reader caught a panic of the evtx crate: that must not happen.
fn assert_no_panic(s: &HostSource) {
    assert!(
        !problem(s).contains("reader failed"),
        "the evtx reader panicked on {}",
        s.path
    );
}

#[test]
fn a_truncated_log_keeps_the_whole_chunks_and_says_it_was_cut() {
    let dir = fixtures();
    let bytes = std::fs::read(dir.join(RDPCORETS_FILE)).unwrap();
    let (_, whole) = read(&dir.join(RDPCORETS_FILE));
    let scratch = Scratch::new("truncated");
    let cut = HEADER + 3 * CHUNK + 1000;
    let p = scratch.write("cut.evtx", &bytes[..cut]);
    let (source, ev) = read(&p);
    assert_no_panic(&source);
    let SourceStatus::Partial { problem } = &source.status else {
        panic!("{:?}", source.status)
    };
    assert!(
        problem.contains("cut.evtx") && problem.contains("truncated"),
        "{problem}"
    );
    assert!(!problem.contains('\n'));
    // Three whole chunks read: some records, fewer than the whole file's.
    assert!(ev.records_scanned > 0 && ev.records_scanned < whole.records_scanned);
    assert!(!ev.groups.is_empty());
}

#[test]
fn a_chunk_with_a_broken_header_is_skipped_and_the_others_read() {
    let dir = fixtures();
    let mut bytes = std::fs::read(dir.join(RDPCORETS_FILE)).unwrap();
    let (_, whole) = read(&dir.join(RDPCORETS_FILE));
    // Overwrite the second chunk's "ElfChnk\0" signature.
    let at = HEADER + CHUNK;
    assert_eq!(&bytes[at..at + 8], b"ElfChnk\0");
    bytes[at..at + 8].copy_from_slice(b"XXXXXXXX");
    let scratch = Scratch::new("chunk");
    let p = scratch.write("chunk.evtx", &bytes);
    let (source, ev) = read(&p);
    assert_no_panic(&source);
    assert_eq!(ev.chunks_unreadable, 1);
    let SourceStatus::Partial { problem } = &source.status else {
        panic!("{:?}", source.status)
    };
    assert!(
        problem.contains("chunk.evtx") && problem.contains("1 chunk"),
        "{problem}"
    );
    assert!(ev.records_scanned > 0 && ev.records_scanned < whole.records_scanned);
    // Still the disconnect reasons of the other chunks.
    assert!(ev.groups.iter().any(|g| g.event_id == 103));
}

#[test]
fn overwritten_bytes_anywhere_never_panic() {
    let dir = fixtures();
    let scratch = Scratch::new("fuzz");
    for name in [SECURITY_FILE, RDPCORETS_FILE] {
        let original = std::fs::read(dir.join(name)).unwrap();
        let (_, whole) = read(&dir.join(name));
        // A fixed xorshift sequence: the same variants on every run.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let variants = if name == SECURITY_FILE { 300 } else { 40 };
        for i in 0..variants {
            let mut bytes = original.clone();
            // 1 to 8 runs of 1 to 64 bytes, in the records' area most often.
            for _ in 0..(next() % 8 + 1) {
                let len = (next() % 64 + 1) as usize;
                let at = (next() as usize) % bytes.len().saturating_sub(len).max(1);
                for b in &mut bytes[at..at + len] {
                    *b = next() as u8;
                }
            }
            let p = scratch.write(&format!("v{i}.evtx"), &bytes);
            let (source, ev) = read(&p);
            assert_no_panic(&source);
            assert!(!problem(&source).contains('\n'));
            // Damage never makes more readable records than the file had
            // (records carved from garbage would).
            assert!(
                ev.records_scanned <= whole.records_scanned + ev.records_unreadable,
                "{name} variant {i}: {} records read, {} in the original",
                ev.records_scanned,
                whole.records_scanned
            );
            for g in &ev.groups {
                assert!(g.newest.data.len() <= 16);
                assert!(g.newest.data.values().all(|v| v.chars().count() <= 257));
            }
        }
    }
}

#[test]
fn a_file_that_is_no_event_log_is_unusable_with_one_line() {
    let dir = fixtures();
    let scratch = Scratch::new("notevtx");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty.evtx", Vec::new()),
        ("text.evtx", std::fs::read(dir.join("SOURCES.tsv")).unwrap()),
        ("zeros.evtx", vec![0; HEADER + CHUNK]),
        ("short.evtx", b"ElfFile\0".to_vec()),
    ];
    for (name, bytes) in cases {
        let p = scratch.write(name, &bytes);
        let (source, ev) = read(&p);
        let SourceStatus::Unusable { problem } = &source.status else {
            panic!("{name}: {:?}", source.status)
        };
        assert!(problem.contains(name), "{problem}");
        assert!(problem.contains("not an event log"), "{problem}");
        assert!(!problem.contains('\n'), "{problem}");
        assert_eq!(ev.records_scanned, 0);
        assert!(ev.window.is_none());
    }
    // A folder given as a file, and a path that does not exist.
    for p in [scratch.0.clone(), scratch.0.join("missing.evtx")] {
        let (source, _) = read(&p);
        assert!(
            matches!(source.status, SourceStatus::Unusable { .. }),
            "{:?}",
            source.status
        );
        assert!(!problem(&source).contains('\n'));
    }
}

#[test]
fn a_log_whose_chunks_are_all_broken_is_unusable() {
    let dir = fixtures();
    let mut bytes = std::fs::read(dir.join(SECURITY_FILE)).unwrap();
    bytes[HEADER..HEADER + 8].copy_from_slice(b"XXXXXXXX");
    let scratch = Scratch::new("allbroken");
    let p = scratch.write("broken.evtx", &bytes);
    let (source, ev) = read(&p);
    let SourceStatus::Unusable { problem } = &source.status else {
        panic!("{:?}", source.status)
    };
    assert!(
        problem.contains("broken.evtx") && problem.contains("no record"),
        "{problem}"
    );
    assert_eq!(ev.records_scanned, 0);
}
