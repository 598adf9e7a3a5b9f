use super::*;
use crate::error::WireError;
use crate::security::{Role, Session, SessionKeys};
use crate::test_util::{assert_every_prefix_fails, hex};
use crate::{mcs, tpkt};

/// The MCS header of a Send Data Indication from 1002 on 1003 with a
/// one-byte length, then the PDU ([4.1.12]: `68 00 01 03 eb 70 LL`).
fn sdin_payload(frame: &[u8]) -> &[u8] {
    assert_eq!(&frame[7..13], &hex("68 00 01 03 eb 70")[..]);
    &frame[14..]
}

#[test]
fn license_error_valid_client_as_in_the_spec() {
    let f = encode_license_error_valid_client(1002, 1003);
    // [2.2.1.12] SEC_LICENSE_PKT; [2.2.1.12.1.1] ERROR_ALERT, PREAMBLE_VERSION_3_0,
    // wMsgSize 16; STATUS_VALID_CLIENT, ST_NO_TRANSITION, empty BB_ERROR_BLOB.
    assert_eq!(
        sdin_payload(&f),
        &hex("80 00 00 00 ff 03 10 00 07 00 00 00 02 00 00 00 04 00 00 00")[..]
    );
    assert_eq!(
        decode_server_pdu(&f),
        Ok(ServerPdu::License(LicenseSummary::ValidClient))
    );
    let f = encode_license_error(1002, 1003, 6, ST_TOTAL_ABORT);
    let ServerPdu::License(summary) = decode_server_pdu(&f).unwrap() else {
        panic!("not a license PDU");
    };
    assert_eq!(summary.label(), "ERR_NO_LICENSE_SERVER");
    assert_eq!(LicenseSummary::ValidClient.label(), "valid-client");
}

#[test]
fn set_error_info_server_denied() {
    let f = encode_set_error_info(1002, 1003, 7);
    let pdu = sdin_payload(&f);
    // totalLength 22, PDUTYPE_DATAPDU v1, pduSource 0 ([2.2.5.1.1]),
    // shareId, pad, STREAM_LOW, uncompressedLength 8, pduType2 0x2f.
    assert_eq!(
        pdu,
        &hex("16 00 17 00 00 00 ea 03 01 00 00 01 08 00 2f 00 00 00 07 00 00 00")[..]
    );
    assert_eq!(decode_server_pdu(&f), Ok(ServerPdu::SetErrorInfo(7)));
    assert_eq!(error_info_name(7), Some("ERRINFO_SERVER_DENIED_CONNECTION"));
    assert_eq!(
        error_info_name(0x101),
        Some("ERRINFO_LICENSE_NO_LICENSE_SERVER")
    );
    assert_eq!(
        error_info_name(0x10C9),
        Some("ERRINFO_UNKNOWN_DATA_PDU_TYPE")
    );
    assert_eq!(error_info_name(0xDEAD), None);
    // ironrdp reads the same PDU as a Set Error Info.
    let hdr: ironrdp_pdu::rdp::headers::ShareControlHeader = ironrdp_core::decode(pdu).unwrap();
    let ironrdp_pdu::rdp::headers::ShareControlPdu::Data(data) = hdr.share_control_pdu else {
        panic!("not a data PDU");
    };
    assert!(
        matches!(
            data.share_data_pdu,
            ironrdp_pdu::rdp::headers::ShareDataPdu::ServerSetErrorInfo(_)
        ),
        "{:?}",
        data.share_data_pdu
    );
}

#[test]
fn demand_active_is_read_by_ironrdp_and_by_us() {
    let f = encode_demand_active(1002, 1003, 0x0001_03EA);
    assert_eq!(
        decode_server_pdu(&f),
        Ok(ServerPdu::DemandActive {
            share_id: 0x0001_03EA
        })
    );
    let sd = mcs::decode_send_data_indication(&f).unwrap();
    let hdr: ironrdp_pdu::rdp::headers::ShareControlHeader =
        ironrdp_core::decode(sd.data).expect("ironrdp decodes the Demand Active");
    assert_eq!(hdr.share_id, 0x0001_03EA);
    let ironrdp_pdu::rdp::headers::ShareControlPdu::ServerDemandActive(da) = hdr.share_control_pdu
    else {
        panic!("not a Demand Active");
    };
    use ironrdp_pdu::rdp::capability_sets::CapabilitySet as C;
    let sets = &da.pdu.capability_sets;
    assert_eq!(sets.len(), 8);
    for wanted in [
        "General",
        "Bitmap",
        "Order",
        "Pointer",
        "Input",
        "VirtualChannel",
    ] {
        assert!(
            sets.iter().any(|c| format!("{c:?}").starts_with(wanted)),
            "{wanted} missing: {sets:?}"
        );
    }
    assert!(
        sets.iter()
            .any(|c| matches!(c, C::Bitmap(b) if b.desktop_width == 1024))
    );
    assert_eq!(da.pdu.source_descriptor, "RDP");
    assert_eq!(
        decode_server_pdu(&encode_deactivate_all(1002, 1003, 1)),
        Ok(ServerPdu::DeactivateAll)
    );
}

#[test]
fn client_info_carries_no_credentials_and_decodes_both_ways() {
    let f = encode_client_info(1007, 1003, &ClientInfoOptions::default());
    let sd = mcs::decode_send_data_request(&f).unwrap();
    assert_eq!((sd.initiator, sd.channel_id), (1007, 1003));
    assert_eq!(
        &sd.data[..4],
        &[0x40, 0, 0, 0],
        "SEC_INFO_PKT, not encrypted"
    );
    let info = decode_client_info(&f).unwrap();
    assert_eq!(info.user_name, "");
    assert_eq!(info.domain, "");
    assert!(!info.has_password);
    assert_eq!(info.flags & info_flags::AUTOLOGON, 0);
    assert_eq!(info.flags & info_flags::UNICODE, info_flags::UNICODE);
    assert_eq!(info.performance_flags, Some(0x0F));
    let pdu: ironrdp_pdu::rdp::ClientInfoPdu =
        ironrdp_core::decode(sd.data).expect("ironrdp decodes the Client Info");
    assert_eq!(pdu.client_info.credentials.username, "");
    assert_eq!(pdu.client_info.credentials.password, "");
    // A server test double sees what another client sent.
    let f = encode_client_info(
        1007,
        1003,
        &ClientInfoOptions {
            domain: "CONTOSO".into(),
            user_name: "alice".into(),
            client_address: "127.0.0.1".into(),
        },
    );
    let info = decode_client_info(&f).unwrap();
    assert_eq!(
        (info.domain.as_str(), info.user_name.as_str()),
        ("CONTOSO", "alice")
    );
    assert_eq!(info.client_address.as_deref(), Some("127.0.0.1"));
    assert_every_prefix_fails(&f, decode_client_info);
}

#[test]
fn client_info_with_a_password_reports_only_that_there_was_one() {
    // An ANSI packet with password "pw": the decoder skips it unread.
    let mut p = Vec::new();
    p.extend_from_slice(&0u32.to_le_bytes());
    p.extend_from_slice(&0u32.to_le_bytes()); // no INFO_UNICODE
    for cb in [0u16, 1, 2, 0, 0] {
        p.extend_from_slice(&cb.to_le_bytes());
    }
    p.extend_from_slice(b"\0u\0pw\0\0\0");
    let info = decode_info_packet(&p).unwrap();
    assert!(info.has_password);
    assert_eq!(info.user_name, "u");
    assert!(!format!("{info:?}").contains("pw"));
}

#[test]
fn encrypted_server_pdus_need_the_session() {
    let cr: Vec<u8> = (0u8..32).collect();
    let sr: Vec<u8> = (100u8..132).collect();
    for method in [
        crate::mcs::encryption_method::BIT_128,
        crate::mcs::encryption_method::FIPS,
    ] {
        let keys = SessionKeys::derive(method, &cr, &sr).unwrap();
        let mut server = Session::new(keys.clone(), Role::Server).unwrap();
        let mut client = Session::new(keys, Role::Client).unwrap();
        let plain = encode_demand_active(1002, 1003, 0x0001_03EA);
        let pdu = mcs::decode_send_data_indication(&plain)
            .unwrap()
            .data
            .to_vec();
        let f = mcs::encode_send_data_indication(1002, 1003, &server.encrypt(0, &pdu));
        assert!(decode_server_pdu(&f).is_err(), "no session, no decryption");
        assert_eq!(
            decode_server_pdu_with(&f, Some(&mut client)),
            Ok(ServerPdu::DemandActive {
                share_id: 0x0001_03EA
            })
        );
        // An encrypted licensing PDU that asks for encrypted replies.
        let lic = [0xFFu8, 3, 16, 0, 7, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0];
        let mut data = server.encrypt(
            sec_flags::SEC_LICENSE_PKT | sec_flags::SEC_LICENSE_ENCRYPT,
            &lic,
        );
        let f = mcs::encode_send_data_indication(1002, 1003, &data);
        assert_eq!(
            decode_server_pdu_with(&f, Some(&mut client)),
            Ok(ServerPdu::License(LicenseSummary::ValidClient))
        );
        assert!(client.license_encrypt());
        // Tampering is caught by the MAC.
        let n = data.len() - 1;
        data[n] ^= 0x55;
        let f = mcs::encode_send_data_indication(1002, 1003, &data);
        assert!(decode_server_pdu_with(&f, Some(&mut client)).is_err());
    }
}

#[test]
fn a_basic_security_header_before_share_control_is_skipped() {
    // ENCRYPTION_LEVEL_LOW: server PDUs carry a basic header without SEC_ENCRYPT.
    let plain = encode_set_error_info(1002, 1003, 0x10D3);
    let mut data = vec![0, 0, 0, 0];
    data.extend_from_slice(mcs::decode_send_data_indication(&plain).unwrap().data);
    let f = mcs::encode_send_data_indication(1002, 1003, &data);
    assert_eq!(decode_server_pdu(&f), Ok(ServerPdu::SetErrorInfo(0x10D3)));
}

#[test]
fn disconnects_fast_path_and_framing() {
    assert_eq!(
        decode_server_pdu(&mcs::encode_disconnect_provider_ultimatum(1)),
        Ok(ServerPdu::DisconnectProviderUltimatum(1))
    );
    // X.224 Disconnect Request.
    let dr = hex("03 00 00 0b 06 80 00 00 00 00 00");
    assert!(matches!(
        decode_server_pdu(&dr),
        Err(WireError::UnexpectedTpdu { code: 0x80, .. })
    ));
    // Fast-path: one-byte and two-byte lengths.
    let fp = [0x00, 0x04, 0xAA, 0xBB];
    assert_eq!(frame_len(&fp), Ok(Some(4)));
    assert_eq!(frame_len(&fp[..3]), Ok(None));
    assert!(matches!(
        decode_server_pdu(&fp),
        Ok(ServerPdu::Other { channel_id: 0, .. })
    ));
    let mut long = vec![0x00, 0x81, 0x00];
    long.resize(0x100, 0);
    assert_eq!(frame_len(&long), Ok(Some(0x100)));
    assert!(frame_len(&[0x00, 0x01]).is_err(), "shorter than its header");
    assert_eq!(
        frame_len(&[0x05]),
        Err(WireError::NotTpkt { first_byte: 0x05 })
    );
    assert_eq!(frame_len(&dr), Ok(Some(11)));
}

#[test]
fn every_prefix_of_server_pdus_is_refused() {
    for f in [
        encode_demand_active(1002, 1003, 1),
        encode_set_error_info(1002, 1003, 7),
        encode_license_error_valid_client(1002, 1003),
    ] {
        assert_every_prefix_fails(&f, decode_server_pdu);
    }
}

#[test]
fn license_request_is_decoded_for_the_reply() {
    use crate::license;
    // SERVER_LICENSE_REQUEST: random, product info (UTF-16), key exchange
    // list, an empty certificate blob, no scopes.
    let mut body = vec![9u8; 32];
    body.extend_from_slice(&0x0006_0000u32.to_le_bytes());
    let company: Vec<u8> = "Microsoft Corporation\0"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    body.extend_from_slice(&(company.len() as u32).to_le_bytes());
    body.extend_from_slice(&company);
    let product: Vec<u8> = "A02\0".encode_utf16().flat_map(u16::to_le_bytes).collect();
    body.extend_from_slice(&(product.len() as u32).to_le_bytes());
    body.extend_from_slice(&product);
    body.extend_from_slice(&[0x0D, 0, 4, 0, 1, 0, 0, 0]);
    body.extend_from_slice(&[0x03, 0, 0, 0]);
    body.extend_from_slice(&0u32.to_le_bytes());
    let mut msg = vec![license_msg::LICENSE_REQUEST, 0x83];
    msg.extend_from_slice(&((body.len() + 4) as u16).to_le_bytes());
    msg.extend_from_slice(&body);
    let mut data = vec![0x80, 0, 0, 0];
    data.extend_from_slice(&msg);
    let f = mcs::encode_send_data_indication(1002, 1003, &data);
    let ServerPdu::License(LicenseSummary::LicenseRequest(req)) = decode_server_pdu(&f).unwrap()
    else {
        panic!("not a license request");
    };
    assert_eq!(req.server_random, vec![9u8; 32]);
    assert_eq!(req.company_name, "Microsoft Corporation");
    assert_eq!(req.product_id, "A02");
    assert_eq!(req.server_key, None);
    assert_every_prefix_fails(&f, decode_server_pdu);
    // The reply a client sends, under a 512-bit key.
    let key = crate::mcs::RsaPublicKey {
        modulus: vec![0xC5; 64],
        exponent: vec![1, 0, 1],
    };
    let reply =
        license::encode_new_license_request(&[1; 32], &[2; 48], &key, "rdpdoctor", "rdpdoctor")
            .unwrap();
    assert_eq!(&reply[..2], &[0x13, 0x83]);
    assert_eq!(
        usize::from(u16::from_le_bytes([reply[2], reply[3]])),
        reply.len()
    );
    let pdu = encode_license_pdu(1007, 1003, &reply, None);
    let sd = mcs::decode_send_data_request(&pdu).unwrap();
    assert_eq!(&sd.data[..4], &[0x80, 0, 0, 0]);
}

#[test]
fn finalization_pdus_match_the_spec_and_classify() {
    let share_id = 0x0001_0000 | u32::from(SERVER_CHANNEL_ID);
    // [MS-RDPBCGR 4.1.20] Server Synchronize PDU: the share control part ends the frame.
    let frame = encode_synchronize(SERVER_CHANNEL_ID, 1003, share_id);
    let spec = [
        0x16, 0, 0x17, 0, 0xEA, 3, 0xEA, 3, 1, 0, 0, 1, 8, 0, 0x1F, 0, 0, 0, 1, 0, 0xEA, 3,
    ];
    assert!(frame.ends_with(&spec), "{frame:02x?}");
    for f in [
        encode_control(
            SERVER_CHANNEL_ID,
            1003,
            share_id,
            control_action::COOPERATE,
            1007,
        ),
        encode_control(
            SERVER_CHANNEL_ID,
            1003,
            share_id,
            control_action::GRANTED_CONTROL,
            1007,
        ),
        encode_font_map(SERVER_CHANNEL_ID, 1003, share_id),
    ] {
        // Each frame is a complete TPKT the server-PDU decoder accepts.
        assert_eq!(tpkt::frame_len(&f).unwrap(), Some(f.len()));
        assert!(decode_server_pdu(&f).is_ok());
    }
    // A client Control PDU (Request Control) is classified with its action.
    let body = [1, 0, 0, 0, 0, 0, 0, 0];
    let client = share_data(share_id, 1007, pdu_type2::CONTROL, &body);
    assert_eq!(
        decode_client_share_pdu(&client),
        ClientSharePdu::Data {
            pdu_type2: pdu_type2::CONTROL,
            action: Some(control_action::REQUEST_CONTROL)
        }
    );
    for cut in 0..client.len() {
        let _ = decode_client_share_pdu(&client[..cut]);
    }
    assert_eq!(decode_client_share_pdu(&[1]), ClientSharePdu::Other);
}

#[test]
fn the_logon_client_info_carries_the_credentials_as_ironrdp_reads_them() {
    let opts = ClientInfoOptions {
        domain: "LAB".into(),
        user_name: "labuser".into(),
        client_address: String::new(),
    };
    let f = encode_client_info_logon(1007, 1003, &opts, "Pässword1!", None).unwrap();
    let sd = crate::mcs::decode_send_data_request(&f).unwrap();
    let pdu: ironrdp_pdu::rdp::ClientInfoPdu =
        ironrdp_core::decode(sd.data).expect("ironrdp decodes the Client Info");
    let c = &pdu.client_info.credentials;
    assert_eq!(
        (
            c.username.as_str(),
            c.domain.as_deref(),
            c.password.as_str()
        ),
        ("labuser", Some("LAB"), "Pässword1!")
    );
    let info = decode_client_info(&f).unwrap();
    assert!(info.has_password);
    assert_eq!(info.flags & info_flags::AUTOLOGON, info_flags::AUTOLOGON);
    assert_eq!(
        info.flags & info_flags::LOGONNOTIFY,
        info_flags::LOGONNOTIFY
    );
    // Longer than the packet carries: an error, never a truncated password.
    let long = "x".repeat(MAX_INFO_STRING_UNITS + 1);
    assert!(encode_client_info_logon(1007, 1003, &opts, &long, None).is_err());
    let max = "x".repeat(MAX_INFO_STRING_UNITS);
    assert!(encode_client_info_logon(1007, 1003, &opts, &max, None).is_ok());
}
