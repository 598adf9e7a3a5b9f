#![no_main]
//! `scan`'s target lists (-iL FILE, stdin) and resume files: any text is a
//! list, a one-line error, or a resume state; never a panic, and a range is
//! never expanded past its limit.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_fleet::{parse_resume, targets::TargetSet};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut set = TargetSet::new();
    match set.add_list(text, "fuzz", 1 << 10) {
        Ok(()) => {
            // Bounded: at most 1,024 addresses per range, one spec per token.
            let n = set.iter().take(1 << 20).count() as u128;
            let cap: u128 = set.specs().iter().map(|s| s.len()).sum();
            assert!(n <= cap);
        }
        Err(e) => assert!(!e.0.contains('\n')),
    }
    if let Ok(done) = parse_resume(text, "fuzz") {
        assert!(done.keep_len <= text.len());
        assert!(done.lines.iter().all(|r| text.get(r.clone()).is_some()));
    }
});
