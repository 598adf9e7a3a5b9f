#![no_main]
//! NTLM CHALLENGE_MESSAGE decoding, raw or found inside a wrapper.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::ntlm;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = ntlm::decode_challenge(data) {
        if let Some(v) = c.version {
            let _ = v.windows_release();
        }
        if let Some(t) = c.timestamp {
            let _ = ntlm::filetime_to_unix_millis(t);
        }
    }
    if let Some(m) = ntlm::find_ntlmssp(data) {
        let _ = ntlm::decode_challenge(m);
    }
});
