//! MCS domain PDUs of the channel connection phase, and the keying material
//! of a Connect Response: every decoder returns, none panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::mcs;

fuzz_target!(|data: &[u8]| {
    let _ = mcs::decode_erect_domain_request(data);
    let _ = mcs::decode_attach_user_request(data);
    let _ = mcs::decode_attach_user_confirm(data);
    let _ = mcs::decode_channel_join_request(data);
    let _ = mcs::decode_channel_join_confirm(data);
    if let Ok(sd) = mcs::decode_send_data_request(data) {
        assert!(sd.data.len() <= data.len());
    }
    if let Ok(sd) = mcs::decode_send_data_indication(data) {
        assert!(sd.data.len() <= data.len());
    }
    let _ = mcs::decode_server_keying(data);
});
