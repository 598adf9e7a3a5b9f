use super::*;
use crate::error::WireError;
use crate::test_util::{assert_every_prefix_fails, hex};

/// [MS-RDPBCGR 4.1.4] Server MCS Connect Response PDU with GCC Conference
/// Create Response (annotated example; TLS in use, so no encryption).
const SPEC_4_1_4: &str = "
03 00 00 6d 02 f0 80                    # TPKT 109, X.224 Data
7f 66 63                                # Connect-Response, 99 bytes
0a 01 00                                # result rt-successful
02 01 00                                # calledConnectId 0
30 1a 02 01 16 02 01 03 02 01 00 02 01 01 02 01 00 02 01 01 02 03 00 ff f8 02 01 02
04 3f                                   # userData, 63 bytes
00 05 00 14 7c 00 01                    # T.124 OID
2a                                      # connectPDU length 42: wrong, ignored
14 76 0a 01 01 00 01 c0 00 4d 63 44 6e  # ConferenceCreateResponse, McDn
80 28                                   # 40 bytes of blocks
01 0c 0c 00 04 00 08 00 0b 00 00 00     # SC_CORE 0x00080004, requested 0x0b
03 0c 10 00 eb 03 04 00 ec 03 ed 03 ee 03 ef 03   # SC_NET
02 0c 0c 00 00 00 00 00 00 00 00 00     # SC_SECURITY none/none
";

/// A Windows 10 server's answer (captured with mstsc; published alongside the
/// spec example by a protocol-parser project): RDP 10.6, seven channels with
/// padding, message channel and multitransport blocks.
const WINDOWS_10: &str = "
03 00 00 86 02 f0 80 7f 66 7c
0a 01 00 02 01 00 30 1a 02 01 22 02 01 03 02 01 00 02 01 01 02 01 00 02 01 01 02 03 00 ff f8 02 01 02
04 58 00 05 00 14 7c 00 01 2a 14 76 0a 01 01 00 01 c0 00 4d 63 44 6e 42
01 0c 10 00 0b 00 08 00 0b 00 00 00 06 00 00 00
03 0c 18 00 eb 03 07 00 ec 03 ed 03 ee 03 ef 03 f0 03 f1 03 f2 03 00 00
02 0c 0c 00 00 00 00 00 00 00 00 00
04 0c 06 00 f3 03
08 0c 08 00 01 03 00 00
";

#[test]
fn decodes_the_spec_connect_response() {
    let r = decode_connect_response(&hex(SPEC_4_1_4)).unwrap();
    assert_eq!(r.result, 0);
    let core = r.server_core.unwrap();
    assert_eq!(
        rdp_version_name(core.version),
        Some("RDP 5.0, 5.1, 5.2, 6.0, 6.1, 7.0, 7.1, 8.0 or 8.1")
    );
    assert_eq!(core.client_requested_protocols, Some(0x0b));
    assert_eq!(core.early_capability_flags, None);
    let net = r.server_network.unwrap();
    assert_eq!(net.io_channel, 1003);
    assert_eq!(net.channel_ids, [1004, 1005, 1006, 1007]);
    let sec = r.server_security.unwrap();
    assert_eq!(encryption_level_name(sec.encryption_level), "NONE");
    assert_eq!(encryption_method_names(sec.encryption_method), ["NONE"]);
    assert_eq!(sec.server_certificate, None);
}

#[test]
fn decodes_a_windows_10_connect_response() {
    let r = decode_connect_response(&hex(WINDOWS_10)).unwrap();
    let core = r.server_core.unwrap();
    assert_eq!(rdp_version_name(core.version), Some("RDP 10.6"));
    assert_eq!(
        server_early_capability_names(core.early_capability_flags.unwrap()),
        [
            "RNS_UD_SC_DYNAMIC_DST_SUPPORTED",
            "RNS_UD_SC_EDGE_ACTIONS_SUPPORTED_V2"
        ]
    );
    assert_eq!(
        r.server_network.unwrap().channel_ids,
        [1004, 1005, 1006, 1007, 1008, 1009, 1010]
    );
    assert_eq!(r.server_message_channel, Some(1011));
    assert_eq!(
        multitransport_flag_names(r.server_multitransport_flags.unwrap()),
        [
            "TRANSPORTTYPE_UDPFECR",
            "TRANSPORTTYPE_UDP_PREFERRED",
            "SOFTSYNC_TCP_TO_UDP"
        ]
    );
}

#[test]
fn every_prefix_is_refused() {
    assert_every_prefix_fails(&hex(SPEC_4_1_4), decode_connect_response);
    assert_every_prefix_fails(&hex(WINDOWS_10), decode_connect_response);
}

fn options(selected: u32, methods: u32, channels: &[&str]) -> ConnectInitialOptions {
    ConnectInitialOptions {
        encryption_methods: methods,
        selected_protocol: selected,
        client_name: "rdpdoctor-probe-with-a-long-name".into(),
        desktop_width: 1280,
        desktop_height: 800,
        channels: channels.iter().map(|s| s.to_string()).collect(),
    }
}

/// ironrdp-pdu's decoder (used by the IronRDP server) must read back every
/// field we meant to send.
#[test]
fn connect_initial_decodes_with_ironrdp() {
    use ironrdp_pdu::x224::{X224, X224Data};
    let frame = encode_connect_initial(&options(
        1,
        0x1b,
        &["rdpdr", "rdpsnd", "cliprdr", "averyLongName"],
    ));
    assert_eq!(crate::tpkt::frame_len(&frame), Ok(Some(frame.len())));
    let data: X224<X224Data<'_>> = ironrdp_core::decode(&frame).expect("X.224 Data");
    let ci: ironrdp_pdu::mcs::ConnectInitial =
        ironrdp_core::decode(&data.0.data).expect("Connect-Initial");
    assert_eq!(ci.calling_domain_selector, [1]);
    assert!(ci.upward_flag);
    assert_eq!(ci.target_parameters.max_mcs_pdu_size, 65535);
    let blocks = ci.conference_create_request.gcc_blocks();
    assert_eq!(blocks.core.desktop_width, 1280);
    assert_eq!(blocks.core.desktop_height, 800);
    assert_eq!(blocks.core.client_name, "rdpdoctor-probe");
    assert_eq!(blocks.core.keyboard_layout, 0x409);
    assert_eq!(
        blocks
            .core
            .optional_data
            .server_selected_protocol
            .map(|p| p.bits()),
        Some(1)
    );
    assert_eq!(blocks.security.encryption_methods.bits(), 0x1b);
    assert_eq!(blocks.security.ext_encryption_methods, 0);
    let names: Vec<String> = blocks
        .network
        .as_ref()
        .unwrap()
        .channels
        .iter()
        .map(|c| c.name.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["rdpdr", "rdpsnd", "cliprdr", "averyLo"]);
    assert!(blocks.cluster.is_some());
}

#[test]
fn connect_initial_header_matches_the_spec_layout() {
    let frame = encode_connect_initial(&options(0, 0x03, &[]));
    // TPKT, X.224 Data, Connect-Initial tag, then the spec's selectors and flag.
    assert_eq!(&frame[4..7], &[0x02, 0xF0, 0x80]);
    assert_eq!(&frame[7..9], &[0x7F, 0x65]);
    let gcc_at = frame
        .windows(7)
        .position(|w| w == [0x00, 0x05, 0x00, 0x14, 0x7c, 0x00, 0x01])
        .unwrap();
    let key_at = frame.windows(4).position(|w| w == b"Duca").unwrap();
    assert_eq!(
        &frame[key_at - 8..key_at],
        &[0x00, 0x08, 0x00, 0x10, 0x00, 0x01, 0xC0, 0x00]
    );
    assert!(key_at > gcc_at);
    // CS_CORE is 216 bytes, as in the spec example.
    assert_eq!(&frame[key_at + 6..key_at + 10], &[0x01, 0xC0, 0xD8, 0x00]);
    // No channels: CS_NET with channelCount 0 is still sent (xrdp and FreeRDP accept it).
    assert!(frame.ends_with(&[0x03, 0xC0, 0x08, 0x00, 0, 0, 0, 0]));
}

#[test]
fn at_most_31_channels_are_requested() {
    let many: Vec<String> = (0..40).map(|i| format!("ch{i}")).collect();
    let mut opts = options(0, 0x1b, &[]);
    opts.channels = many;
    let frame = encode_connect_initial(&opts);
    let net_at = frame.len() - (8 + 31 * 12);
    assert_eq!(
        &frame[net_at..net_at + 8],
        &[0x03, 0xC0, 0x7C, 0x01, 31, 0, 0, 0]
    ); // 8 + 31 * 12 = 380
}

fn chain() -> Vec<Vec<u8>> {
    vec![
        include_bytes!("../../tests/data/test-license-server.der").to_vec(),
        include_bytes!("../../tests/data/test-terminal-server.der").to_vec(),
    ]
}

fn standard_security(cert: ServerCertificate) -> ConnectResponse {
    // As decoded: permanent unless dwVersion's t bit (31) is set.
    let permanent = match &cert {
        ServerCertificate::Unknown { dw_version, .. } => dw_version & 0x8000_0000 == 0,
        _ => true,
    };
    ConnectResponse {
        result: 0,
        server_core: Some(ServerCore {
            version: 0x0008_000C,
            client_requested_protocols: Some(0),
            early_capability_flags: Some(1),
        }),
        server_security: Some(ServerSecurity {
            encryption_method: encryption_method::BIT_128,
            encryption_level: encryption_level::CLIENT_COMPATIBLE,
            server_random_len: 32,
            server_certificate_permanent: Some(permanent),
            server_certificate: Some(cert),
        }),
        server_network: Some(ServerNetwork {
            io_channel: 1003,
            channel_ids: vec![1004, 1005, 1006],
        }),
        server_message_channel: Some(1007),
        server_multitransport_flags: Some(0x0000_0101),
    }
}

#[test]
fn x509_chains_over_1024_bytes_decode_here_but_not_in_ironrdp() {
    let resp = standard_security(ServerCertificate::X509 { chain: chain() });
    let frame = encode_connect_response(&resp);
    let ours = decode_connect_response(&frame).unwrap();
    assert_eq!(ours, resp);
    let Some(ServerSecurity {
        server_certificate: Some(ServerCertificate::X509 { chain: got }),
        ..
    }) = ours.server_security
    else {
        panic!()
    };
    assert_eq!(got.len(), 2);
    assert_eq!(
        got.last().unwrap(),
        &chain()[1],
        "the terminal server's certificate is last"
    );

    use ironrdp_pdu::x224::{X224, X224Data};
    let data: X224<X224Data<'_>> = ironrdp_core::decode(&frame).unwrap();
    let theirs = ironrdp_core::decode::<ironrdp_pdu::mcs::ConnectResponse>(&data.0.data);
    assert!(
        theirs.is_err(),
        "ironrdp-pdu 0.11 refuses server certificates over 1024 bytes"
    );
    assert_every_prefix_fails(&frame, decode_connect_response);
}

#[test]
fn unknown_encryption_method_bits_are_reported_not_refused() {
    let mut resp = standard_security(ServerCertificate::Proprietary {
        public_key_bits: 512,
        public_exponent: 65537,
    });
    if let Some(s) = resp.server_security.as_mut() {
        s.encryption_method = 0x20;
    }
    let frame = encode_connect_response(&resp);
    let ours = decode_connect_response(&frame).unwrap();
    assert_eq!(
        encryption_method_names(ours.server_security.unwrap().encryption_method),
        ["UNKNOWN"]
    );
    use ironrdp_pdu::x224::{X224, X224Data};
    let data: X224<X224Data<'_>> = ironrdp_core::decode(&frame).unwrap();
    assert!(ironrdp_core::decode::<ironrdp_pdu::mcs::ConnectResponse>(&data.0.data).is_err());
}

#[test]
fn certificate_kinds_round_trip() {
    for cert in [
        ServerCertificate::Proprietary {
            public_key_bits: 512,
            public_exponent: 65537,
        },
        ServerCertificate::Proprietary {
            public_key_bits: 2048,
            public_exponent: 3,
        },
        ServerCertificate::X509 { chain: chain() },
        ServerCertificate::Unknown {
            dw_version: 0x8000_0003,
            len: 20,
        },
    ] {
        let resp = standard_security(cert);
        assert_eq!(
            decode_connect_response(&encode_connect_response(&resp)).unwrap(),
            resp
        );
    }
    // A temporary certificate ([2.2.1.4.3.1] t = 1) round-trips as one.
    let mut resp = standard_security(ServerCertificate::X509 { chain: chain() });
    resp.server_security
        .as_mut()
        .unwrap()
        .server_certificate_permanent = Some(false);
    assert_eq!(
        decode_connect_response(&encode_connect_response(&resp)).unwrap(),
        resp
    );
    // A temporary (bit 31) proprietary certificate is still proprietary.
    let mut cert = encode_server_certificate(&ServerCertificate::Proprietary {
        public_key_bits: 512,
        public_exponent: 65537,
    });
    cert[3] |= 0x80;
    assert!(matches!(
        server_certificate(&cert),
        Ok(ServerCertificate::Proprietary {
            public_key_bits: 512,
            ..
        })
    ));
}

#[test]
fn failed_result_without_data() {
    let resp = ConnectResponse {
        result: 14,
        server_core: None,
        server_security: None,
        server_network: None,
        server_message_channel: None,
        server_multitransport_flags: None,
    };
    let frame = encode_connect_response(&resp);
    assert_eq!(frame, hex("03 00 00 0d 02 f0 80 7f 66 03 0a 01 0e"));
    assert_eq!(decode_connect_response(&frame).unwrap(), resp);
    assert_eq!(result_name(14), Some("rt-unspecified-failure"));
    // A failed result with garbage user data still reports the result.
    let mut junk = hex("03 00 00 16 02 f0 80 7f 66 0d 0a 01 0e 02 01 00 30 00 04 03 ff ff ff");
    junk[3] = junk.len() as u8;
    assert_eq!(decode_connect_response(&junk).unwrap().result, 14);
}

#[test]
fn disconnect_provider_ultimatum_instead_of_a_response() {
    // rn-user-requested (3) is the familiar "21 80".
    let dpum = hex("03 00 00 09 02 f0 80 21 80");
    assert_eq!(encode_disconnect_provider_ultimatum(3), dpum);
    assert_eq!(
        decode_connect_response(&dpum),
        Err(WireError::DisconnectProviderUltimatum { reason: 3 })
    );
    assert_eq!(decode_disconnect_provider_ultimatum(&dpum), Ok(3));
    for reason in 0..5 {
        assert_eq!(
            decode_disconnect_provider_ultimatum(&encode_disconnect_provider_ultimatum(reason)),
            Ok(reason)
        );
    }
    assert_eq!(disconnect_reason_name(1), "rn-provider-initiated");
    let msg = WireError::DisconnectProviderUltimatum { reason: 3 }.to_string();
    assert_eq!(
        msg,
        "server sent MCS Disconnect Provider Ultimatum, reason 3 (rn-user-requested)"
    );
    assert!(matches!(
        decode_disconnect_provider_ultimatum(&hex(SPEC_4_1_4)),
        Err(WireError::UnexpectedTag { found: 0x7f, .. })
    ));
    assert!(matches!(
        decode_connect_response(&hex("03 00 00 08 02 f0 80 21")),
        Err(WireError::Truncated { .. })
    ));
}

#[test]
fn precise_errors() {
    let good = hex(SPEC_4_1_4);
    // A Connect-Initial where a response is due.
    let mut ci = good.clone();
    ci[8] = 0x65;
    assert_eq!(
        decode_connect_response(&ci),
        Err(WireError::UnexpectedTag {
            what: "MCS Connect-Response application tag",
            expected: 0x66,
            found: 0x65
        })
    );
    // Wrong H.221 key.
    let mut key = good.clone();
    let at = key.windows(4).position(|w| w == b"McDn").unwrap();
    key[at] = b'X';
    assert!(matches!(
        decode_connect_response(&key),
        Err(WireError::Invalid {
            what: "h221NonStandard key",
            ..
        })
    ));
    // A block header with length 2.
    let mut blk = good.clone();
    let core_at = blk
        .windows(4)
        .position(|w| w == [0x01, 0x0c, 0x0c, 0x00])
        .unwrap();
    blk[core_at + 2] = 2;
    assert!(matches!(
        decode_connect_response(&blk),
        Err(WireError::Invalid {
            what: "TS_UD_HEADER length",
            ..
        })
    ));
    // An X.224 Connection Confirm where X.224 Data is due.
    let cc = hex("03 00 00 0b 06 d0 00 00 12 34 00");
    assert!(matches!(
        decode_connect_response(&cc),
        Err(WireError::UnexpectedTpdu { code: 0xD0, .. })
    ));
    // 201 certificate blobs.
    let mut many = Vec::new();
    push_u32(&mut many, 2);
    push_u32(&mut many, 201);
    assert_eq!(
        server_certificate(&many),
        Err(WireError::TooLarge {
            what: "X509_CERTIFICATE_CHAIN NumCertBlobs",
            len: 201,
            max: 200
        })
    );
    // A certificate blob claiming 4 GiB.
    let mut huge = Vec::new();
    push_u32(&mut huge, 2);
    push_u32(&mut huge, 1);
    push_u32(&mut huge, u32::MAX);
    assert!(matches!(
        server_certificate(&huge),
        Err(WireError::Truncated {
            what: "CERT_BLOB abCert",
            ..
        })
    ));
    // A proprietary key without "RSA1".
    let mut prop = encode_server_certificate(&ServerCertificate::Proprietary {
        public_key_bits: 512,
        public_exponent: 65537,
    });
    prop[16] = b'X';
    assert!(matches!(
        server_certificate(&prop),
        Err(WireError::Invalid {
            what: "RSA_PUBLIC_KEY magic",
            ..
        })
    ));
}

#[test]
fn names() {
    assert_eq!(encryption_level_name(4), "FIPS");
    assert_eq!(encryption_level_name(2), "CLIENT_COMPATIBLE");
    assert_eq!(encryption_level_name(9), "UNKNOWN");
    assert_eq!(
        encryption_method_names(0x1b),
        ["40BIT", "128BIT", "56BIT", "FIPS"]
    );
    assert_eq!(encryption_method_names(0), ["NONE"]);
    assert_eq!(rdp_version_name(0x0008_0001), Some("RDP 4.0"));
    assert_eq!(rdp_version_name(0x0008_000C), Some("RDP 10.7"));
    assert_eq!(rdp_version_name(0x0008_0011), Some("RDP 10.12"));
    assert_eq!(rdp_version_name(0x0008_0012), None);
}

#[test]
fn serialises_certificates_as_hex() {
    let c = ServerCertificate::X509 {
        chain: vec![vec![0x30, 0x82, 0x01]],
    };
    assert_eq!(
        serde_json::to_string(&c).unwrap(),
        r#"{"kind":"x509","chain":["308201"]}"#
    );
}

#[test]
fn the_servers_reading_of_our_connect_initial_gives_back_the_options() {
    let frame = encode_connect_initial(&ConnectInitialOptions {
        encryption_methods: encryption_method::FIPS | encryption_method::BIT_128,
        selected_protocol: 0,
        client_name: "x".into(),
        desktop_width: 1280,
        desktop_height: 800,
        channels: vec!["rdpdr".into(), "cliprdr".into()],
    });
    let c = decode_connect_initial(&frame).unwrap();
    assert_eq!(c.encryption_methods, 0x12);
    assert_eq!(c.channels, ["rdpdr", "cliprdr"]);
    assert_eq!((c.desktop_width, c.desktop_height), (1280, 800));
    for cut in 0..frame.len() {
        assert!(
            decode_connect_initial(&frame[..cut]).is_err(),
            "prefix of {cut} bytes"
        );
    }
    assert!(decode_connect_initial(b"garbage").is_err());
}
