#![no_main]
//! `reg export` files: decoding (UTF-16LE BOM, UTF-8, ANSI) and parsing.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_host::registry::regfile;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = regfile::decode_text(data) {
        let _ = regfile::sniff(&text);
        let _ = regfile::parse(&text);
    }
});
