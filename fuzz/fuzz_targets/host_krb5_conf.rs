#![no_main]
//! MIT krb5.conf files: the profile syntax, then every lookup the Kerberos
//! stage makes (a realm's KDCs, a DNS domain's realm).

use libfuzzer_sys::fuzz_target;
use rdpdoctor_host::krb5_conf;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = krb5_conf::parse(data) {
        let realm = c.default_realm.clone().unwrap_or_default();
        let _ = c.kdcs(&realm);
        let _ = c.realm_of_domain("a.corp.example");
        if let Some((domain, _)) = c.domain_realm.first() {
            let _ = c.realm_of_domain(domain);
        }
    }
});
