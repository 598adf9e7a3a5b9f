use super::*;
use crate::test_util::{assert_every_prefix_fails, hex};

/// [MS-RDPBCGR 4.1.1] Client X.224 Connection Request PDU (annotated example):
/// cookie "mstshash=eltons", requestedProtocols = PROTOCOL_RDP.
const SPEC_4_1_1_CR: &str = "
03 00 00 2c                                      # TPKT, 44 bytes
27 e0 00 00 00 00 00                             # LI 39, CR, refs, class 0
43 6f 6f 6b 69 65 3a 20 6d 73 74 73 68 61 73 68  # Cookie: mstshash
3d 65 6c 74 6f 6e 73 0d 0a                       # =eltons CRLF
01 00 08 00 00 00 00 00                          # RDP_NEG_REQ, PROTOCOL_RDP
";

/// [MS-RDPBCGR 4.1.2] Server X.224 Connection Confirm PDU (annotated example).
const SPEC_4_1_2_CC: &str = "03 00 00 13 0e d0 00 00 12 34 00 02 00 08 00 00 00 00 00";

#[test]
fn encodes_the_spec_connection_request_byte_for_byte() {
    assert_eq!(
        encode_connection_request(Some(protocol::RDP), Some("eltons")),
        hex(SPEC_4_1_1_CR)
    );
    // The whole line may be given too, with or without CRLF.
    assert_eq!(
        encode_connection_request(Some(0), Some("Cookie: mstshash=eltons\r\n")),
        hex(SPEC_4_1_1_CR)
    );
}

#[test]
fn legacy_request_has_no_rdp_neg_req() {
    let cr = encode_connection_request(None, None);
    assert_eq!(cr, hex("03 00 00 0b 06 e0 00 00 00 00 00"));
    let back = decode_connection_request(&cr).unwrap();
    assert_eq!(back.requested_protocols, None);
    assert_eq!(back.cookie, None);
}

#[test]
fn connection_request_round_trips_and_ironrdp_agrees() {
    use ironrdp_pdu::nego::{ConnectionRequest as IrCr, NegoRequestData, SecurityProtocol};
    use ironrdp_pdu::x224::X224;
    for bits in [0, 1, 3, 0xB, 0x1F] {
        let frame = encode_connection_request(Some(bits), Some("probe"));
        assert_eq!(tpkt::frame_len(&frame), Ok(Some(frame.len())));
        let ours = decode_connection_request(&frame).unwrap();
        assert_eq!(ours.cookie.as_deref(), Some("Cookie: mstshash=probe"));
        assert_eq!(ours.requested_protocols, Some(bits));
        let theirs: X224<IrCr> = ironrdp_core::decode(&frame).expect("ironrdp decodes our CR");
        assert_eq!(theirs.0.protocol, SecurityProtocol::from_bits_retain(bits));
        assert_eq!(
            theirs.0.nego_data,
            Some(NegoRequestData::cookie("probe".to_owned()))
        );
    }
}

#[test]
fn hostile_cookies_are_sanitised_and_bounded() {
    let evil = format!("a\r\nb\u{e9}{}", "x".repeat(1000));
    let frame = encode_connection_request(Some(3), Some(&evil));
    assert_eq!(usize::from(frame[4]) + 5, frame.len(), "LI matches frame");
    let cr = decode_connection_request(&frame).unwrap();
    let cookie = cr.cookie.unwrap();
    assert!(cookie.starts_with("Cookie: mstshash=abxxx"), "{cookie}");
    assert!(cookie.bytes().all(|b| (0x20..0x7f).contains(&b)));
    assert_eq!(cr.requested_protocols, Some(3));
    // An empty user name sends no cookie at all.
    assert_eq!(
        decode_connection_request(&encode_connection_request(Some(1), Some("")))
            .unwrap()
            .cookie,
        None
    );
}

#[test]
fn decodes_the_spec_connection_confirm() {
    let cc = decode_connection_confirm(&hex(SPEC_4_1_2_CC)).unwrap();
    assert_eq!(
        cc,
        ConnectionConfirm::Response {
            selected_protocol: protocol::RDP,
            flags: 0
        }
    );
}

#[test]
fn decodes_what_real_servers_send() {
    // xrdp (negotiate, SSL requested): flags 0x01, SSL.
    let xrdp = hex("03 00 00 13 0e d0 00 00 12 34 00 02 01 08 00 01 00 00 00");
    assert_eq!(
        decode_connection_confirm(&xrdp).unwrap(),
        ConnectionConfirm::Response {
            selected_protocol: protocol::SSL,
            flags: 1
        }
    );
    // Windows with NLA: flags 0x1f, HYBRID_EX.
    let win = hex("03 00 00 13 0e d0 00 00 12 34 00 02 1f 08 00 08 00 00 00");
    let ConnectionConfirm::Response {
        selected_protocol,
        flags,
    } = decode_connection_confirm(&win).unwrap()
    else {
        panic!("not a response")
    };
    assert_eq!(protocol_names(selected_protocol), ["HYBRID_EX"]);
    assert_eq!(
        response_flag_names(flags),
        [
            "EXTENDED_CLIENT_DATA_SUPPORTED",
            "DYNVC_GFX_PROTOCOL_SUPPORTED",
            "NEGRSP_FLAG_RESERVED",
            "RESTRICTED_ADMIN_MODE_SUPPORTED",
            "REDIRECTED_AUTHENTICATION_MODE_SUPPORTED"
        ]
    );
    // FreeRDP shadow with /sec:nla answering a TLS-only request.
    let fail = hex("03 00 00 13 0e d0 00 00 12 34 00 03 00 08 00 05 00 00 00");
    let cc = decode_connection_confirm(&fail).unwrap();
    assert_eq!(cc, ConnectionConfirm::Failure { code: 5 });
    assert_eq!(failure_code_name(5), Some("HYBRID_REQUIRED_BY_SERVER"));
}

#[test]
fn legacy_confirm_is_not_mistaken_for_a_response() {
    let legacy = hex("03 00 00 0b 06 d0 00 00 12 34 00");
    assert_eq!(
        decode_connection_confirm(&legacy).unwrap(),
        ConnectionConfirm::NoNegotiationData
    );
    // This is the case ironrdp-pdu gets wrong: it reports Response{RDP}.
    use ironrdp_pdu::nego::ConnectionConfirm as IrCc;
    let theirs: ironrdp_pdu::x224::X224<IrCc> = ironrdp_core::decode(&legacy).unwrap();
    assert!(
        matches!(theirs.0, IrCc::Response { .. }),
        "ironrdp hides the legacy case"
    );
}

#[test]
fn confirm_round_trips() {
    for cc in [
        ConnectionConfirm::Response {
            selected_protocol: 2,
            flags: 3,
        },
        ConnectionConfirm::Failure { code: 6 },
        ConnectionConfirm::NoNegotiationData,
    ] {
        let frame = encode_connection_confirm(&cc);
        assert_eq!(decode_connection_confirm(&frame), Ok(cc));
        assert_every_prefix_fails(&frame, decode_connection_confirm);
    }
}

#[test]
fn other_tpdus_are_named() {
    // X.224 Disconnect Request instead of a confirm.
    let dr = hex("03 00 00 0b 06 80 00 00 12 34 00");
    let err = decode_connection_confirm(&dr).unwrap_err();
    assert_eq!(
        err,
        WireError::UnexpectedTpdu {
            code: 0x80,
            expected: "X.224 Connection Confirm (0xD0)"
        }
    );
    assert!(err.to_string().contains("Disconnect Request"), "{err}");
    // Credit nibble in the CC code is ignored.
    let cc = hex("03 00 00 0b 06 d3 00 00 12 34 00");
    assert_eq!(
        decode_connection_confirm(&cc),
        Ok(ConnectionConfirm::NoNegotiationData)
    );
}

#[test]
fn malformed_confirms_get_precise_errors() {
    // 3 bytes of negotiation data: truncated.
    let short = hex("03 00 00 0e 09 d0 00 00 12 34 00 02 00 08");
    assert_eq!(
        decode_connection_confirm(&short),
        Err(WireError::Truncated {
            needed: 8,
            available: 3,
            what: "RDP_NEG_RSP / RDP_NEG_FAILURE"
        })
    );
    // Unknown negotiation type 0x07.
    let bad = hex("03 00 00 13 0e d0 00 00 12 34 00 07 00 08 00 00 00 00 00");
    assert!(matches!(
        decode_connection_confirm(&bad),
        Err(WireError::Invalid {
            what: "RDP_NEG type",
            ..
        })
    ));
    // LI claiming more than the frame holds.
    let li = hex("03 00 00 0b 40 d0 00 00 12 34 00");
    assert!(matches!(
        decode_connection_confirm(&li),
        Err(WireError::Truncated { .. })
    ));
    // LI below the fixed header.
    let li = hex("03 00 00 0b 02 d0 00 00 12 34 00");
    assert!(matches!(
        decode_connection_confirm(&li),
        Err(WireError::Invalid {
            what: "X.224 length indicator",
            ..
        })
    ));
    // TLS alert where a TPKT was expected.
    assert_eq!(
        decode_connection_confirm(&hex("15 03 01 00 02 02 28")),
        Err(WireError::NotTpkt { first_byte: 0x15 })
    );
    assert_every_prefix_fails(&hex(SPEC_4_1_2_CC), decode_connection_confirm);
    assert_every_prefix_fails(&hex(SPEC_4_1_1_CR), decode_connection_request);
}

#[test]
fn names() {
    assert_eq!(protocol_names(0), ["RDP"]);
    assert_eq!(protocol_names(3), ["SSL", "HYBRID"]);
    assert_eq!(protocol_names(0x8000_0001), ["SSL", "UNKNOWN"]);
    assert_eq!(
        response_flag_names(0x03),
        [
            "EXTENDED_CLIENT_DATA_SUPPORTED",
            "DYNVC_GFX_PROTOCOL_SUPPORTED"
        ]
    );
    assert_eq!(response_flag_names(0x40), ["UNKNOWN"]);
    assert_eq!(failure_code_name(1), Some("SSL_REQUIRED_BY_SERVER"));
    assert_eq!(
        failure_code_name(6),
        Some("SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER")
    );
    assert_eq!(failure_code_name(7), None);
    assert_eq!(tpdu_code_name(0xF0), "Data");
}

#[test]
fn serialises_with_a_kind_tag() {
    let json = serde_json::to_string(&ConnectionConfirm::Failure { code: 5 }).unwrap();
    assert_eq!(json, r#"{"kind":"failure","code":5}"#);
    let json = serde_json::to_string(&ConnectionConfirm::NoNegotiationData).unwrap();
    assert_eq!(json, r#"{"kind":"no_negotiation_data"}"#);
}

#[test]
fn an_rdp_neg_rsp_length_other_than_8_is_refused() {
    // [MS-RDPBCGR 4.1.2] with the RDP_NEG_RSP length (bytes 13–14) bent.
    let good = hex(SPEC_4_1_2_CC);
    assert!(decode_connection_confirm(&good).is_ok());
    for length in [0u16, 7, 9, 16, 0xFFFF] {
        let mut bad = good.clone();
        bad[13..15].copy_from_slice(&length.to_le_bytes());
        assert_eq!(
            decode_connection_confirm(&bad),
            Err(WireError::Invalid {
                what: "RDP_NEG_RSP length",
                detail: format!("{length}, expected 8 (MS-RDPBCGR 2.2.1.2.1)"),
            }),
            "length {length}"
        );
    }
}
