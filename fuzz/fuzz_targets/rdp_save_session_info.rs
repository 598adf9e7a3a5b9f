//! [MS-RDPBCGR 2.2.10.1] Save Session Info PDU data (a logon notification or
//! Logon Errors Info), alone and inside a whole server frame: every input
//! yields a value or an error, and naming its codes never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::rdp;

fuzz_target!(|data: &[u8]| {
    if let Ok(rdp::SaveSessionInfo::Extended {
        logon_errors: Some(e),
        ..
    }) = rdp::decode_save_session_info(data)
    {
        let _ = rdp::logon_error_type_name(e.notification_type);
        let _ = rdp::logon_error_data_name(e.notification_type, e.notification_data);
    }
    let _ = rdp::decode_server_pdu(data);
});
