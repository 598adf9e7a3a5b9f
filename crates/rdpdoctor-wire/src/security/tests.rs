//! Known answers computed independently (Python: hashlib, hmac and the
//! `cryptography` package's ARC4 and TripleDES, from the formulas of
//! [MS-RDPBCGR 5.3.5]–[5.3.6] and [MS-RDPELE 5.1.2]) for the randoms
//! 00 01 … 1f (client) and 80 81 … 9f (server). The same code reached Demand
//! Active against xrdp at levels low, high and FIPS in the lab.

use super::*;
use crate::error::WireError;
use crate::spec::encryption_method as em;
use crate::test_util::hex;

fn randoms() -> (Vec<u8>, Vec<u8>) {
    ((0u8..0x20).collect(), (0x80u8..0xA0).collect())
}

const DATA: &[u8] = b"Client Info for the test";

#[test]
fn non_fips_128_keys_mac_and_rc4() {
    let (cr, sr) = randoms();
    let k = SessionKeys::derive(em::BIT_128, &cr, &sr).unwrap();
    assert_eq!(k.mac_key, hex("67a9be9347180b6a49918713db69f2c5"));
    assert_eq!(
        k.client_encrypt_key,
        hex("818177cb8ddc9011780552cb3d140abb")
    );
    assert_eq!(
        k.client_decrypt_key,
        hex("4574ee59314b292dc2fbd69d00aa7331")
    );
    let mut s = Session::new(k.clone(), Role::Client).unwrap();
    let out = s.encrypt(sec_flags::SEC_INFO_PKT, DATA);
    assert_eq!(
        &out[..4],
        &[0x48, 0x00, 0x00, 0x00],
        "SEC_INFO_PKT | SEC_ENCRYPT"
    );
    assert_eq!(&out[4..12], &hex("72dc70d7464ea650")[..], "[5.3.6.1] MAC");
    assert_eq!(
        &out[12..],
        &hex("fc37a8e02cb2798a0be0b165a14412a87e512d97c279edfc")[..]
    );
    // The server (same keys, swapped) reads it back and checks the MAC.
    let mut server = Session::new(k, Role::Server).unwrap();
    assert_eq!(server.decrypt(0x0048, &out[4..]).unwrap(), DATA);
}

#[test]
fn salted_mac_uses_the_count_and_sets_the_flag() {
    let (cr, sr) = randoms();
    let k = SessionKeys::derive(em::BIT_128, &cr, &sr).unwrap();
    let mut s = Session::new(k.clone(), Role::Client).unwrap();
    s.set_salted_mac(true);
    let out = s.encrypt(sec_flags::SEC_INFO_PKT, DATA);
    assert_eq!(
        &out[..2],
        &[0x48, 0x08],
        "SEC_SECURE_CHECKSUM (0x0800) is set"
    );
    assert_eq!(
        &out[4..12],
        &hex("5adb7c278ff39c1e")[..],
        "[5.3.6.1.1] salted MAC, count 0"
    );
    let mut server = Session::new(k, Role::Server).unwrap();
    assert_eq!(server.decrypt(0x0848, &out[4..]).unwrap(), DATA);
    // A receiver that ignores the flag (xrdp 0.9.21) computes the plain MAC
    // and refuses the PDU.
    let (cr, sr) = randoms();
    let mut plain_server = Session::new(
        SessionKeys::derive(em::BIT_128, &cr, &sr).unwrap(),
        Role::Server,
    )
    .unwrap();
    let e = plain_server
        .decrypt(0x0048, &out[4..])
        .unwrap_err()
        .to_string();
    assert!(e.contains("MAC mismatch"), "{e}");
}

#[test]
fn forty_and_fifty_six_bit_keys_are_salted() {
    let (cr, sr) = randoms();
    let k = SessionKeys::derive(em::BIT_40, &cr, &sr).unwrap();
    assert_eq!(k.client_encrypt_key, hex("d1269ecb8ddc9011"));
    assert_eq!(k.mac_key, hex("d1269e9347180b6a"));
    let out = Session::new(k, Role::Client).unwrap().encrypt(0, DATA);
    assert_eq!(&out[4..12], &hex("d8b6342bc94bf483")[..]);
    assert_eq!(
        &out[12..],
        &hex("04aa42bd41523b14368cc64cd5191763d3a7bcebb065f2e4")[..]
    );
    let k = SessionKeys::derive(em::BIT_56, &cr, &sr).unwrap();
    assert_eq!(k.client_encrypt_key, hex("d18177cb8ddc9011"));
}

#[test]
fn fips_keys_3des_and_hmac() {
    let (cr, sr) = randoms();
    let k = SessionKeys::derive(em::FIPS, &cr, &sr).unwrap();
    assert_eq!(
        k.client_encrypt_key,
        hex("51760d26514904733e4a190238456b733d192f5d316d6e68")
    );
    assert_eq!(
        k.client_decrypt_key,
        hex("7976524c166b2f7f2076340d750d4013643d261626437a3d")
    );
    assert_eq!(k.mac_key, hex("e35f4e098fa513f150b10898ea97347778de1bbe"));
    let mut s = Session::new(k.clone(), Role::Client).unwrap();
    let out = s.encrypt(sec_flags::SEC_INFO_PKT, DATA);
    // flags, flagsHi, length 0x10, version 1, padlen 0 (24 bytes need none).
    assert_eq!(&out[..8], &hex("4800 0000 1000 01 00")[..]);
    assert_eq!(&out[8..16], &hex("e52f0dfd9b74450a")[..], "[5.3.6.2] HMAC");
    assert_eq!(
        &out[16..],
        &hex("7c91bf525af37c54f4561dac4beee5556c3d7a33beafd318")[..]
    );
    let mut server = Session::new(k, Role::Server).unwrap();
    assert_eq!(server.decrypt(0x0048, &out[4..]).unwrap(), DATA);
    // Padding: 5 bytes become one block with padlen 3, and come back as 5.
    let out = s.encrypt(0, b"hello");
    assert_eq!((out[7], out.len()), (3, 16 + 8));
    assert_eq!(server.decrypt(0x0008, &out[4..]).unwrap(), b"hello");
}

#[test]
fn decrypt_refuses_tampering_and_truncation() {
    let (cr, sr) = randoms();
    for method in [em::BIT_40, em::BIT_128, em::FIPS] {
        let k = SessionKeys::derive(method, &cr, &sr).unwrap();
        let out = Session::new(k.clone(), Role::Client)
            .unwrap()
            .encrypt(0, DATA);
        let mut bad = out.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let mut server = Session::new(k.clone(), Role::Server).unwrap();
        assert!(server.decrypt(0x0008, &bad[4..]).is_err(), "{method}");
        for cut in 4..out.len() {
            // Every truncation is refused or decrypts to something the MAC rejects; none panics.
            let mut server = Session::new(k.clone(), Role::Server).unwrap();
            assert!(
                server.decrypt(0x0008, &out[4..cut]).is_err(),
                "{method} cut {cut}"
            );
        }
    }
    assert!(SessionKeys::derive(0x4, &cr, &sr).is_err());
    assert!(SessionKeys::derive(em::BIT_128, &cr[..16], &sr).is_err());
}

#[test]
fn rc4_keys_are_updated_after_4096_pdus() {
    let (cr, sr) = randoms();
    let k = SessionKeys::derive(em::BIT_128, &cr, &sr).unwrap();
    let mut client = Session::new(k.clone(), Role::Client).unwrap();
    let mut server = Session::new(k, Role::Server).unwrap();
    for i in 0..4100u32 {
        let out = client.encrypt(0, &i.to_le_bytes());
        assert_eq!(
            server.decrypt(0x0008, &out[4..]).unwrap(),
            i.to_le_bytes(),
            "pdu {i}"
        );
    }
}

/// A 512-bit key made with openssl for this test; `d` decrypts.
const N: &str = "d747ec25c71492b098ef3fb613b9064d5dc9e57d0e9b846c1cd835409940dc3faae5d0d80f1c875a4106624038154b0039fd6f815a4fa122a08a7d9d773e052f";
const D: &str = "6183ccae180d739cd6c998bc6b16a68a28efa92a0a91db5bf57ce2324eb9188a51517369b122dfba60b539facad595ce96c32ff1b7699fb18725954d1bba2db1";

#[test]
fn client_random_is_raw_rsa_little_endian() {
    let (cr, _) = randoms();
    let key = RsaPublicKey {
        modulus: hex(N),
        exponent: vec![1, 0, 1],
    };
    let c = encrypt_client_random(&cr, &key).unwrap();
    assert_eq!(c.len(), 64 + 8, "modulus length plus 8 zero bytes");
    assert_eq!(&c[64..], &[0; 8]);
    assert_eq!(
        &c[..64],
        &hex(
            "d82bbb45ea026bf4633f16d78eb7f25ab1d249474372c4dc9f710e39a01a3063e523758292b5dd89f3601fb187886371e8ac819add75aeda5cfeced8498df1bb"
        )[..]
    );
    let m = BigUint::from_bytes_le(&c).modpow(
        &BigUint::from_bytes_be(&hex(D)),
        &BigUint::from_bytes_be(&hex(N)),
    );
    assert_eq!(
        m.to_bytes_le(),
        cr[..cr.len() - cr.iter().rev().take_while(|b| **b == 0).count()]
    );
    // Keys no RSA operation should accept.
    for (modulus, exponent) in [
        (vec![], vec![3]),
        (vec![0xFF; 16], vec![3]),
        (hex(N), vec![0]),
        (vec![0xFF; 4096], vec![3]),
    ] {
        assert!(encrypt_client_random(&cr, &RsaPublicKey { modulus, exponent }).is_err());
    }
    // The Security Exchange PDU carries it, and the server side reads it back.
    let pdu = encode_security_exchange(1007, 1003, &c);
    assert_eq!(decode_security_exchange(&pdu).unwrap(), c);
}

/// A hostile server's key: a 16,384-bit modulus and a 112,000-bit exponent
/// kept the client computing for 12–27 s per connection before the caps.
fn hostile_key() -> RsaPublicKey {
    let mut modulus = vec![0xFF; 2048];
    modulus[2047] = 0xFB;
    RsaPublicKey {
        modulus,
        exponent: vec![0xFF; 14_000],
    }
}

#[test]
fn keys_over_the_caps_are_refused_before_any_arithmetic() {
    let (cr, _) = randoms();
    let key = hostile_key();
    let t = std::time::Instant::now();
    let err = encrypt_client_random(&cr, &key).unwrap_err();
    let took = t.elapsed();
    assert_eq!(
        err,
        WireError::RsaKeyTooLarge {
            modulus_bits: 16_384,
            exponent_bits: 112_000
        }
    );
    assert!(took < std::time::Duration::from_millis(5), "{took:?}");
    assert_eq!(
        err.to_string(),
        "server RSA key too large: 16384-bit modulus, 112000-bit public exponent \
         (at most 8192-bit moduli and 32-bit exponents accepted)"
    );
    // The licensing premaster secret goes through the same function.
    let t = std::time::Instant::now();
    let err =
        crate::license::encode_new_license_request(&cr, &[3; 48], &key, "u", "m").unwrap_err();
    assert!(matches!(err, WireError::RsaKeyTooLarge { .. }), "{err}");
    assert!(t.elapsed() < std::time::Duration::from_millis(5));
    // Either cap alone is enough; leading zero bytes do not count.
    let big_exponent = RsaPublicKey {
        modulus: hex(N),
        exponent: vec![1, 0, 0, 0, 1],
    };
    assert_eq!(
        encrypt_client_random(&cr, &big_exponent),
        Err(WireError::RsaKeyTooLarge {
            modulus_bits: 512,
            exponent_bits: 33
        })
    );
    let mut padded = vec![0; 4096];
    padded.extend_from_slice(&hex(N));
    let padded = RsaPublicKey {
        modulus: padded,
        exponent: vec![0, 0, 1, 0, 1],
    };
    assert_eq!(encrypt_client_random(&cr, &padded).unwrap().len(), 64 + 8);
}

#[test]
fn keys_at_the_caps_still_work() {
    let (cr, _) = randoms();
    // 8192-bit modulus, 32-bit exponent: the most a server may make us compute.
    let mut modulus = vec![0xFF; 1024];
    modulus[1023] = 0xFD;
    let key = RsaPublicKey {
        modulus,
        exponent: vec![0xFF, 0xFF, 0xFF, 0xFF],
    };
    let t = std::time::Instant::now();
    let c = encrypt_client_random(&cr, &key).unwrap();
    assert_eq!(c.len(), 1024 + 8);
    assert!(
        t.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn licensing_keys_match_ms_rdpele() {
    let (cr, sr) = randoms();
    let k = crate::license::LicenseKeys::derive(&cr, &sr, &[3; 48]);
    assert_eq!(
        k.mac_salt_key.to_vec(),
        hex("a7789d0b74ae9e8c37773c00296b8b5f")
    );
    assert_eq!(
        k.licensing_key.to_vec(),
        hex("170bb9fe217568cd69a658ae3c130cc2")
    );
}

#[test]
fn session_debug_shows_no_keys() {
    let (cr, sr) = randoms();
    let s = Session::new(
        SessionKeys::derive(em::BIT_128, &cr, &sr).unwrap(),
        Role::Client,
    )
    .unwrap();
    let text = format!("{s:?}");
    assert!(!text.to_lowercase().contains("818177cb"), "{text}");
    assert!(text.contains("encrypt_count"));
}
