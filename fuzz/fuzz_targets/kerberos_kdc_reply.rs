#![no_main]
//! A KDC's reply (KRB-ERROR or AS-REP), bare as over UDP and framed as over
//! TCP through the frame accumulator with the Kerberos length prefix.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::{frame::Accumulator, kerberos};

fuzz_target!(|data: &[u8]| {
    if let Ok(kerberos::KdcReply::Error(e)) = kerberos::decode_reply(data) {
        let _ = kerberos::error_name(e.error_code);
    }
    let mut acc = Accumulator::new();
    acc.feed(data);
    if let Ok(Some(frame)) = acc.next_frame(kerberos::tcp_declared_len, kerberos::MAX_REPLY + 4) {
        let _ = kerberos::decode_reply(frame.get(4..).unwrap_or_default());
    }
});
