use super::*;
use crate::test_util::{assert_every_prefix_fails, hex};

/// [MS-NLMP 4.2.4.3] NTLMv2 CHALLENGE_MESSAGE (annotated example):
/// TargetName "Server", NbDomainName "Domain", NbComputerName "Server",
/// version 6.0.6000 rev 15, flags 0xe28a8233.
const SPEC_4_2_4_3: &str = "
4e 54 4c 4d 53 53 50 00 02 00 00 00 0c 00 0c 00
38 00 00 00 33 82 8a e2 01 23 45 67 89 ab cd ef
00 00 00 00 00 00 00 00 24 00 24 00 44 00 00 00
06 00 70 17 00 00 00 0f 53 00 65 00 72 00 76 00
65 00 72 00 02 00 0c 00 44 00 6f 00 6d 00 61 00
69 00 6e 00 01 00 0c 00 53 00 65 00 72 00 76 00
65 00 72 00 00 00 00 00";

#[test]
fn decodes_the_spec_ntlmv2_challenge() {
    let c = decode_challenge(&hex(SPEC_4_2_4_3)).unwrap();
    assert_eq!(c.negotiate_flags, 0xe28a_8233);
    assert_eq!(
        c.server_challenge,
        [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]
    );
    assert_eq!(c.target_name.as_deref(), Some("Server"));
    assert_eq!(c.netbios_domain_name.as_deref(), Some("Domain"));
    assert_eq!(c.netbios_computer_name.as_deref(), Some("Server"));
    assert_eq!(c.dns_computer_name, None);
    assert_eq!(c.timestamp, None);
    let v = c.version.unwrap();
    assert_eq!(
        (v.major, v.minor, v.build, v.ntlm_revision),
        (6, 0, 6000, 15)
    );
    assert_eq!(v.to_string(), "6.0.6000");
    assert_eq!(v.windows_release(), Some("Windows Vista"));
    assert!(negotiate_flag_names(c.negotiate_flags).contains(&"NTLMSSP_TARGET_TYPE_SERVER"));
}

#[test]
fn every_prefix_of_the_spec_challenge_is_refused() {
    let full = hex(SPEC_4_2_4_3);
    assert_every_prefix_fails(&full, decode_challenge);
}

fn windows_like() -> Challenge {
    Challenge {
        negotiate_flags: 0xe28a_8235 | flags::NEGOTIATE_VERSION,
        target_name: Some("CONTOSO".into()),
        server_challenge: *b"\x11\x22\x33\x44\x55\x66\x77\x88",
        version: Some(NtlmVersion {
            major: 10,
            minor: 0,
            build: 20348,
            ntlm_revision: 15,
        }),
        netbios_computer_name: Some("RDS01".into()),
        netbios_domain_name: Some("CONTOSO".into()),
        dns_computer_name: Some("rds01.contoso.local".into()),
        dns_domain_name: Some("contoso.local".into()),
        dns_tree_name: Some("contoso.local".into()),
        // 2024-05-01T12:00:00Z
        timestamp: Some((1_714_564_800 + 11_644_473_600) * 10_000_000),
        av_flags: None,
    }
}

#[test]
fn round_trip_reports_os_and_clock() {
    let c = windows_like();
    let bytes = encode_challenge(&c);
    let back = decode_challenge(&bytes).unwrap();
    assert_eq!(back, c);
    assert_eq!(
        back.version.unwrap().windows_release(),
        Some("Windows Server 2022")
    );
    assert_eq!(
        filetime_to_unix_secs(back.timestamp.unwrap()),
        Some(1_714_564_800)
    );
    assert_every_prefix_fails(&bytes, decode_challenge);
}

#[test]
fn finds_the_message_inside_spnego_and_ignores_its_wrapper() {
    let inner = encode_challenge(&windows_like());
    // NegTokenResp { negState accept-incomplete, supportedMech NTLMSSP, responseToken }
    let mut wrapped = hex(
        "a1 82 01 00 30 81 fc a0 03 0a 01 01 a1 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a a2 81 e6 04 81 e3",
    );
    wrapped.extend_from_slice(&inner);
    let found = find_ntlmssp(&wrapped).unwrap();
    assert_eq!(
        decode_challenge(found)
            .unwrap()
            .netbios_computer_name
            .as_deref(),
        Some("RDS01")
    );
    assert_eq!(find_ntlmssp(b"no signature here"), None);
}

#[test]
fn oem_target_name_and_no_version() {
    let mut c = windows_like();
    c.negotiate_flags = flags::NEGOTIATE_OEM | flags::NEGOTIATE_NTLM;
    c.version = None;
    c.target_name = Some("WORKGROUP".into());
    let back = decode_challenge(&encode_challenge(&c)).unwrap();
    assert_eq!(back.target_name.as_deref(), Some("WORKGROUP"));
    assert_eq!(back.version, None);
}

#[test]
fn precise_errors() {
    let good = hex(SPEC_4_2_4_3);
    // Not NTLM at all.
    assert!(matches!(
        decode_challenge(b"NTLMSSX\0\x02\0\0\0"),
        Err(WireError::Invalid {
            what: "NTLM signature",
            ..
        })
    ));
    // A NEGOTIATE where a CHALLENGE was due.
    assert_eq!(
        decode_challenge(&encode_negotiate()),
        Err(WireError::invalid(
            "NTLM MessageType",
            "1, expected 2 (CHALLENGE_MESSAGE)"
        ))
    );
    // TargetInfo pointing past the end.
    let mut bad = good.clone();
    bad[44] = 0xF0;
    assert_eq!(
        decode_challenge(&bad),
        Err(WireError::Truncated {
            needed: 0xF0 + 0x24,
            available: good.len(),
            what: "TargetInfo"
        })
    );
    // TargetInfo offset near u32::MAX must not overflow.
    let mut bad = good.clone();
    bad[44..48].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        decode_challenge(&bad),
        Err(WireError::Truncated {
            what: "TargetInfo",
            ..
        })
    ));
    // An AV_PAIR running past TargetInfo.
    let mut bad = good.clone();
    bad[0x46] = 0x40; // NbDomainName AvLen 0x40
    assert!(matches!(
        decode_challenge(&bad),
        Err(WireError::Truncated {
            what: "AV_PAIR Value",
            ..
        })
    ));
    // MsvAvTimestamp of the wrong size.
    let mut c = windows_like();
    c.timestamp = None;
    let mut bytes = encode_challenge(&c);
    let eol = bytes.len() - 4;
    bytes.splice(eol..eol, hex("07 00 04 00 01 02 03 04"));
    let info_len = u16::from_le_bytes([bytes[40], bytes[41]]) + 8;
    bytes[40..42].copy_from_slice(&info_len.to_le_bytes());
    bytes[42..44].copy_from_slice(&info_len.to_le_bytes());
    assert_eq!(
        decode_challenge(&bytes),
        Err(WireError::invalid("MsvAvTimestamp", "AvLen 4, expected 8"))
    );
}

#[test]
fn odd_utf16_is_shown_not_refused() {
    assert_eq!(utf16le(&[0x41, 0x00, 0x42]), "A\u{fffd}");
    assert_eq!(utf16le(&[0x00, 0xD8, 0x41, 0x00]), "\u{fffd}A");
}

#[test]
fn negotiate_message_is_what_windows_sends() {
    let n = encode_negotiate();
    assert_eq!(n.len(), 40);
    assert_eq!(&n[..8], SIGNATURE);
    assert_eq!(
        u32::from_le_bytes(n[12..16].try_into().unwrap()),
        0xE208_82B7
    );
    // VERSION 10.0.17763 revision 15, as nmap's rdp-ntlm-info sends.
    assert_eq!(&n[32..40], &hex("0a 00 63 45 00 00 00 0f")[..]);
}

#[test]
fn filetime_conversions() {
    // The Unix epoch.
    assert_eq!(filetime_to_unix_millis(116_444_736_000_000_000), Some(0));
    assert_eq!(
        filetime_to_unix_millis(116_444_736_000_000_000 + 12_345_678),
        Some(1234)
    );
    // Before 1970 is fine (negative), unset (0) and beyond 9999 are not.
    assert_eq!(filetime_to_unix_secs(1), Some(-11_644_473_600));
    assert_eq!(filetime_to_unix_millis(0), None);
    assert_eq!(filetime_to_unix_millis(u64::MAX), None);
    // 9999-12-31T23:59:59.999Z is the last accepted instant.
    let last = (253_402_300_799_999 + 11_644_473_600_000) * 10_000;
    assert_eq!(filetime_to_unix_millis(last), Some(253_402_300_799_999));
    assert_eq!(filetime_to_unix_millis(last + 10_000), None);
}

#[test]
fn windows_release_names() {
    assert_eq!(
        windows_release(6, 1, 7601),
        Some("Windows 7 SP1 / Windows Server 2008 R2 SP1")
    );
    assert_eq!(
        windows_release(6, 3, 9600),
        Some("Windows 8.1 / Windows Server 2012 R2")
    );
    assert_eq!(
        windows_release(10, 0, 14393),
        Some("Windows Server 2016 / Windows 10 1607")
    );
    assert_eq!(
        windows_release(10, 0, 17763),
        Some("Windows Server 2019 / Windows 10 1809")
    );
    assert_eq!(windows_release(10, 0, 19045), Some("Windows 10 22H2"));
    assert_eq!(
        windows_release(10, 0, 26100),
        Some("Windows Server 2025 / Windows 11 24H2")
    );
    assert_eq!(windows_release(10, 0, 12345), None);
}

#[test]
fn version_flag_without_room_for_the_field() {
    // VERSION flag set, but TargetName starts right after the fixed fields.
    let mut c = windows_like();
    c.version = None;
    c.negotiate_flags |= flags::NEGOTIATE_VERSION;
    let back = decode_challenge(&encode_challenge(&c)).unwrap();
    assert_eq!(back.version, None);
    assert_eq!(back.target_name.as_deref(), Some("CONTOSO"));
}
