//! The host decoders (`.reg` exports, firewall rule strings, certificate
//! blobs) and the hive reader never panic: random and mutated inputs, and
//! every prefix of valid ones. (fuzz/ has a target for each decoder.)

use rdpdoctor_testkit::host as testkit;

use rdpdoctor_host::registry::{certblob, firewall_rule, regfile};
use rdpdoctor_testkit::rng::XorShift;

fn mutate(rng: &mut XorShift, seed: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..1 + rng.below(8) {
        match rng.below(3) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = rng.next() as u8;
            }
            1 => {
                let i = rng.below(out.len() + 1);
                out.insert(i, rng.next() as u8);
            }
            _ if !out.is_empty() => {
                let i = rng.below(out.len());
                out.truncate(i);
            }
            _ => {}
        }
    }
    out
}

fn reg_seed() -> Vec<u8> {
    let text = "Windows Registry Editor Version 5.00\r\n\r\n\
        [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services]\r\n\
        \"SecurityLayer\"=dword:00000000\r\n@=\"x\"\r\n\
        \"B\"=hex:01,02,\\\r\n  03\r\n\"M\"=hex(7):61,00,00,00,00,00\r\n\"Q\"=hex(b):01,00,00,00,00,00,00,00\r\n\
        \"Gone\"=-\r\n[-HKEY_CURRENT_USER\\X]\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    bytes
}

fn exercise(input: &[u8]) {
    if let Ok(text) = regfile::decode_text(input) {
        let _ = regfile::parse(&text);
    }
    let _ = regfile::parse(&String::from_utf8_lossy(input));
    let _ = firewall_rule::parse(&String::from_utf8_lossy(input));
    let _ = certblob::certificate(input);
    let _ = certblob::key_link(input);
    let _ = certblob::key_prov_info(input);
}

#[test]
fn decoders_never_panic_on_mutated_and_cut_inputs() {
    let seeds: Vec<Vec<u8>> = vec![
        reg_seed(),
        b"REGEDIT4\n[HKEY_CURRENT_USER\\A]\n\"x\"=hex(2):41,00\n".to_vec(),
        b"v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|Profile=Public|LPort=3389|Name=@FirewallAPI.dll,-28753|".to_vec(),
        certblob::serialize(&[(3, &[0xAA; 20]), (32, &[0x30, 0x03, 0x02, 0x01, 0x01])]),
        certblob::serialize(&[(
            2,
            &certblob::serialize_key_prov_info("TSSecKeySet1", "Microsoft RSA SChannel", 12),
        )]),
        b"REGEDIT4\n[HKEY_CURRENT_USER\\A]\n\"s\"=\"a\r\n\\\"b\\\\\"\n@=\"x\n".to_vec(),
    ];
    for seed in &seeds {
        for n in 0..=seed.len() {
            exercise(&seed[..n]);
        }
    }
    let mut rng = XorShift(0x5eed_1234_abcd_0001);
    for i in 0..20_000 {
        let seed = &seeds[i % seeds.len()];
        exercise(&mutate(&mut rng, seed));
    }
}

#[test]
fn damaged_copies_of_a_real_hive_never_end_the_run() {
    let dir = testkit::scratch("hive_mutations");
    let full = std::fs::read(testkit::hive("corrupted_system_hive")).unwrap();
    let mut rng = XorShift(0x0bad_cafe_0000_0001);
    for i in 0..12 {
        let mut bytes = full.clone();
        // Scribble over a few hundred bytes in the hive bins.
        for _ in 0..200 {
            let at = 4096 + rng.below(bytes.len() - 4096);
            bytes[at] = rng.next() as u8;
        }
        let path = dir.join(format!("hive-{i}"));
        std::fs::write(&path, &bytes).unwrap();
        let ev = testkit::run(&[&path]);
        assert_eq!(ev.sources.len(), 1, "{i}");
    }
}
