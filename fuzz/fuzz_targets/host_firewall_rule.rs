#![no_main]
//! Windows Firewall rule strings (`v2.x|Action=…|…`).

use libfuzzer_sys::fuzz_target;
use rdpdoctor_host::registry::firewall_rule;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(rule) = firewall_rule::parse(&text) {
        let _ = rule.get("Action");
        let _ = rule.all("Profile").count();
    }
});
