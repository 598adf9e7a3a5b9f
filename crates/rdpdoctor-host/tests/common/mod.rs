//! What the event log tests share.

use std::path::PathBuf;

/// The fixtures: `$RDPDOCTOR_EVTX_FIXTURES`, or `shared/fixtures/evtx` beside
/// the checkout or beside the folder of worktrees. Absent: the tests say so
/// and pass, unless `RDPDOCTOR_REQUIRE_FIXTURES` is set.
pub fn fixtures() -> Option<PathBuf> {
    let found = std::env::var_os("RDPDOCTOR_EVTX_FIXTURES")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .map(|a| a.join("shared/fixtures/evtx")),
        )
        .find(|d| d.join("SOURCES.tsv").is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("RDPDOCTOR_REQUIRE_FIXTURES").is_none(),
            "no shared/fixtures/evtx found above {}",
            env!("CARGO_MANIFEST_DIR")
        );
        println!("note: no shared/fixtures/evtx; skipping");
    }
    found
}
