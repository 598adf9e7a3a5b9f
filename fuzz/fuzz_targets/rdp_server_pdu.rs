//! Server PDUs after the channel joins (licensing, Demand Active, Set Error
//! Info, fast-path), plain and through a Standard RDP Security session of
//! each kind: every input yields a value or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::mcs::encryption_method as em;
use rdpdoctor_wire::rdp;
use rdpdoctor_wire::security::{Role, Session, SessionKeys};

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(n)) = rdp::frame_len(data) {
        assert!(n <= data.len());
    }
    if let Ok(Some(n)) = rdp::declared_len(data) {
        assert!(n <= rdp::MAX_FRAME);
    }
    let _ = rdp::decode_server_pdu(data);
    for method in [em::BIT_40, em::BIT_128, em::FIPS] {
        let keys = SessionKeys::derive(method, &[1; 32], &[2; 32]).expect("valid method");
        let mut session = Session::new(keys, Role::Client).expect("valid keys");
        let _ = rdp::decode_server_pdu_with(data, Some(&mut session));
        let _ = session.decrypt(0x0008, data);
    }
});
