#![no_main]
//! CredSSP TSRequest framing and decoding, and the Early User Authorization
//! Result that follows CredSSP under HYBRID_EX.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::{credssp, ntlm};

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(n)) = credssp::ts_request_len(data) {
        assert!(n <= data.len() && n <= credssp::MAX_TS_REQUEST);
    }
    if let Ok(ts) = credssp::decode_ts_request(data)
        && let Some(token) = ts.nego_token.as_deref().and_then(ntlm::find_ntlmssp)
    {
        let _ = ntlm::decode_challenge(token);
    }
    if let Ok(v) = credssp::decode_early_user_auth_result(data) {
        assert!(data.len() >= credssp::EARLY_USER_AUTH_RESULT_LEN);
        let _ = credssp::authz_result_name(v);
    }
});
