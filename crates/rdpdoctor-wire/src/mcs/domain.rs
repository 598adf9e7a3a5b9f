//! [T.125 7] MCS domain PDUs of the RDP connection sequence (PER, ALIGNED
//! variant): Erect Domain, Attach User, Channel Join ([MS-RDPBCGR
//! 2.2.1.5–2.2.1.9]) and Send Data Request / Indication, the envelope of
//! every slow-path PDU after them ([T.125 11.32–11.33]).
//!
//! Every PDU is one complete TPKT frame holding an X.224 Data TPDU. Each
//! decoder also recognises an MCS Disconnect Provider Ultimatum in place of
//! the expected PDU and returns [`WireError::DisconnectProviderUltimatum`].
//!
//! PER facts used throughout: the first byte holds the 6-bit DomainMCSPDU
//! CHOICE index in its top bits; a `UserId` or `ChannelId` is a 16-bit
//! big-endian integer, a `UserId` being sent as its offset from 1001
//! (`MCS_BASE_CHANNEL_ID`).

use crate::error::WireError;
use crate::reader::Reader;
use crate::x224;

/// [T.125] the lowest user id: `UserId ::= DynamicChannelId (1001..65535)`,
/// which PER sends as the offset from 1001.
pub const BASE_CHANNEL_ID: u16 = 1001;

/// DomainMCSPDU CHOICE indexes ([T.125 7, part 10]).
mod choice {
    pub const ERECT_DOMAIN_REQUEST: u8 = 1;
    pub const DISCONNECT_PROVIDER_ULTIMATUM: u8 = 8;
    pub const ATTACH_USER_REQUEST: u8 = 10;
    pub const ATTACH_USER_CONFIRM: u8 = 11;
    pub const CHANNEL_JOIN_REQUEST: u8 = 14;
    pub const CHANNEL_JOIN_CONFIRM: u8 = 15;
    pub const SEND_DATA_REQUEST: u8 = 25;
    pub const SEND_DATA_INDICATION: u8 = 26;
}

/// dataPriority `high` and segmentation `begin | end`: the one byte every RDP
/// peer sends between the channel id and the user data ([MS-RDPBCGR 4.1.10]).
const PRIORITY_AND_SEGMENTATION: u8 = 0x70;

/// The longest user data a PER length determinant of two bytes can carry.
pub const MAX_SEND_DATA: usize = 0x3FFF;

/// The choice byte, checked, or the reason of a Disconnect Provider Ultimatum.
fn domain_choice(r: &mut Reader<'_>, expected: u8, what: &'static str) -> Result<u8, WireError> {
    let Some(first) = r.peek_u8() else {
        return Err(WireError::Truncated {
            needed: 1,
            available: 0,
            what,
        });
    };
    let found = first >> 2;
    if found == choice::DISCONNECT_PROVIDER_ULTIMATUM && expected != found {
        let b = r.array::<2>("MCS Disconnect Provider Ultimatum")?;
        return Err(WireError::DisconnectProviderUltimatum {
            reason: ((b[0] & 0x03) << 1) | (b[1] >> 7),
        });
    }
    if found != expected {
        return Err(WireError::UnexpectedTag {
            what,
            expected: expected << 2,
            found: first,
        });
    }
    r.u8(what)
}

fn user_id_from_per(v: u16) -> u16 {
    v.saturating_add(BASE_CHANNEL_ID)
}

fn user_id_to_per(user_id: u16) -> [u8; 2] {
    user_id.saturating_sub(BASE_CHANNEL_ID).to_be_bytes()
}

/// The 4-bit `Result` straddling the first two bytes of a confirm, and a
/// refusal if it is not rt-successful.
fn confirm_result(first: u8, second: u8, what: &'static str) -> Result<(), WireError> {
    let result = ((first & 0x01) << 3) | (second >> 5);
    if result == 0 {
        return Ok(());
    }
    Err(WireError::invalid(
        what,
        format!(
            "result {result} ({}), not rt-successful",
            super::result_name(u32::from(result)).unwrap_or("unknown")
        ),
    ))
}

/// [MS-RDPBCGR 2.2.1.5] Client MCS Erect Domain Request PDU: subHeight 0,
/// subInterval 0, as every client sends it ([4.1.5]).
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/04c60697-0d9a-4afd-a0cd-2cc133151a9c>
pub fn encode_erect_domain_request() -> Vec<u8> {
    x224::wrap_data(&[choice::ERECT_DOMAIN_REQUEST << 2, 0x01, 0x00, 0x01, 0x00])
}

/// Server side of [`encode_erect_domain_request`]: checks that the frame is
/// an Erect Domain Request (its two integers are not needed).
pub fn decode_erect_domain_request(frame: &[u8]) -> Result<(), WireError> {
    let data = x224::data_payload(frame, "X.224 Data (MCS Erect Domain Request)")?;
    let mut r = Reader::new(data);
    domain_choice(
        &mut r,
        choice::ERECT_DOMAIN_REQUEST,
        "MCS Erect Domain Request",
    )?;
    // subHeight and subInterval: PER unconstrained integers (length + value).
    for what in [
        "ErectDomainRequest::subHeight",
        "ErectDomainRequest::subInterval",
    ] {
        let len = usize::from(r.u8(what)?);
        r.skip(len, what)?;
    }
    Ok(())
}

/// [MS-RDPBCGR 2.2.1.6] Client MCS Attach User Request PDU ([4.1.6]).
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/f5d6a541-9b36-4100-b78f-18710f39f247>
pub fn encode_attach_user_request() -> Vec<u8> {
    x224::wrap_data(&[choice::ATTACH_USER_REQUEST << 2])
}

/// Server side of [`encode_attach_user_request`].
pub fn decode_attach_user_request(frame: &[u8]) -> Result<(), WireError> {
    let data = x224::data_payload(frame, "X.224 Data (MCS Attach User Request)")?;
    domain_choice(
        &mut Reader::new(data),
        choice::ATTACH_USER_REQUEST,
        "MCS Attach User Request",
    )
    .map(|_| ())
}

/// [MS-RDPBCGR 2.2.1.7] Server MCS Attach User Confirm PDU, rt-successful,
/// with `initiator` = `user_id` (the client's user channel, 1007 in [4.1.7]).
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/3b3d850b-99b1-4a9a-852b-1eb2da5024e5>
pub fn encode_attach_user_confirm(user_id: u16) -> Vec<u8> {
    let [hi, lo] = user_id_to_per(user_id);
    // CHOICE, initiator present, result rt-successful (0) and padding.
    x224::wrap_data(&[(choice::ATTACH_USER_CONFIRM << 2) | 0x02, 0x00, hi, lo])
}

/// [MS-RDPBCGR 2.2.1.7] the user channel id the server assigned. A result
/// other than rt-successful, or a confirm without `initiator`, is refused.
pub fn decode_attach_user_confirm(frame: &[u8]) -> Result<u16, WireError> {
    const WHAT: &str = "MCS Attach User Confirm";
    let data = x224::data_payload(frame, "X.224 Data (MCS Attach User Confirm)")?;
    let mut r = Reader::new(data);
    let first = domain_choice(&mut r, choice::ATTACH_USER_CONFIRM, WHAT)?;
    let second = r.u8("AttachUserConfirm::result")?;
    confirm_result(first, second, WHAT)?;
    if first & 0x02 == 0 {
        return Err(WireError::invalid(WHAT, "no initiator (user channel id)"));
    }
    Ok(user_id_from_per(r.u16_be("AttachUserConfirm::initiator")?))
}

/// [MS-RDPBCGR 2.2.1.8] Client MCS Channel Join Request PDU ([4.1.8]).
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/64564639-3b2d-4d2c-ae77-1105b4cc011b>
pub fn encode_channel_join_request(user_id: u16, channel_id: u16) -> Vec<u8> {
    let [uh, ul] = user_id_to_per(user_id);
    let [ch, cl] = channel_id.to_be_bytes();
    x224::wrap_data(&[choice::CHANNEL_JOIN_REQUEST << 2, uh, ul, ch, cl])
}

/// Server side of [`encode_channel_join_request`]: `(user id, channel id)`.
pub fn decode_channel_join_request(frame: &[u8]) -> Result<(u16, u16), WireError> {
    let data = x224::data_payload(frame, "X.224 Data (MCS Channel Join Request)")?;
    let mut r = Reader::new(data);
    domain_choice(
        &mut r,
        choice::CHANNEL_JOIN_REQUEST,
        "MCS Channel Join Request",
    )?;
    let user = user_id_from_per(r.u16_be("ChannelJoinRequest::initiator")?);
    let channel = r.u16_be("ChannelJoinRequest::channelId")?;
    Ok((user, channel))
}

/// [MS-RDPBCGR 2.2.1.9] Server MCS Channel Join Confirm PDU, rt-successful,
/// `requested` = `channelId` = `channel_id` ([4.1.8]).
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/cfc938b5-041d-4c15-9909-81dd035b914e>
pub fn encode_channel_join_confirm(user_id: u16, channel_id: u16) -> Vec<u8> {
    let [uh, ul] = user_id_to_per(user_id);
    let [ch, cl] = channel_id.to_be_bytes();
    x224::wrap_data(&[
        (choice::CHANNEL_JOIN_CONFIRM << 2) | 0x02,
        0x00,
        uh,
        ul,
        ch,
        cl,
        ch,
        cl,
    ])
}

/// [MS-RDPBCGR 2.2.1.9] `(user id, channel id)` of a successful join. The
/// channel id is `channelId` when present, else `requested`. A result other
/// than rt-successful is refused, naming the result.
pub fn decode_channel_join_confirm(frame: &[u8]) -> Result<(u16, u16), WireError> {
    const WHAT: &str = "MCS Channel Join Confirm";
    let data = x224::data_payload(frame, "X.224 Data (MCS Channel Join Confirm)")?;
    let mut r = Reader::new(data);
    let first = domain_choice(&mut r, choice::CHANNEL_JOIN_CONFIRM, WHAT)?;
    let second = r.u8("ChannelJoinConfirm::result")?;
    confirm_result(first, second, WHAT)?;
    let user = user_id_from_per(r.u16_be("ChannelJoinConfirm::initiator")?);
    let requested = r.u16_be("ChannelJoinConfirm::requested")?;
    let channel = if first & 0x02 != 0 {
        r.u16_be("ChannelJoinConfirm::channelId")?
    } else {
        requested
    };
    Ok((user, channel))
}

/// The user data of an MCS Send Data Request or Indication, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendData<'a> {
    /// `initiator`: the sender's user id.
    pub initiator: u16,
    /// `channelId`: the channel the data travels on.
    pub channel_id: u16,
    /// `userData`: the RDP PDU.
    pub data: &'a [u8],
}

fn encode_send_data(choice: u8, initiator: u16, channel_id: u16, data: &[u8]) -> Vec<u8> {
    let data = data.get(..MAX_SEND_DATA).unwrap_or(data);
    let mut out = Vec::with_capacity(data.len().saturating_add(8));
    out.push(choice << 2);
    out.extend_from_slice(&user_id_to_per(initiator));
    out.extend_from_slice(&channel_id.to_be_bytes());
    out.push(PRIORITY_AND_SEGMENTATION);
    match u8::try_from(data.len()) {
        Ok(b) if b < 0x80 => out.push(b),
        _ => {
            let l = u16::try_from(data.len()).unwrap_or(0x3FFF) | 0x8000;
            out.extend_from_slice(&l.to_be_bytes());
        }
    }
    out.extend_from_slice(data);
    x224::wrap_data(&out)
}

fn decode_send_data<'a>(
    frame: &'a [u8],
    expected: u8,
    what: &'static str,
) -> Result<SendData<'a>, WireError> {
    let data = x224::data_payload(frame, what)?;
    let mut r = Reader::new(data);
    domain_choice(&mut r, expected, what)?;
    let initiator = user_id_from_per(r.u16_be("SendData::initiator")?);
    let channel_id = r.u16_be("SendData::channelId")?;
    let _priority = r.u8("SendData::dataPriority")?;
    let first = r.u8("SendData::userData length")?;
    let len = if first & 0x80 == 0 {
        usize::from(first)
    } else if first & 0xC0 == 0x80 {
        let second = r.u8("SendData::userData length")?;
        usize::from(u16::from_be_bytes([first & 0x3F, second]))
    } else {
        return Err(WireError::invalid(
            "SendData::userData length",
            "fragmented PER length is not supported",
        ));
    };
    Ok(SendData {
        initiator,
        channel_id,
        data: r.take(len, "SendData::userData")?,
    })
}

/// [T.125 11.32] MCS Send Data Request (client to server) carrying `data`
/// (at most [`MAX_SEND_DATA`] bytes; more is cut) from `user_id` on `channel_id`.
pub fn encode_send_data_request(user_id: u16, channel_id: u16, data: &[u8]) -> Vec<u8> {
    encode_send_data(choice::SEND_DATA_REQUEST, user_id, channel_id, data)
}

/// Server side: the user data of an MCS Send Data Request.
pub fn decode_send_data_request(frame: &[u8]) -> Result<SendData<'_>, WireError> {
    decode_send_data(frame, choice::SEND_DATA_REQUEST, "MCS Send Data Request")
}

/// [T.125 11.33] MCS Send Data Indication (server to client) carrying
/// `data` (at most [`MAX_SEND_DATA`] bytes) with `initiator` on `channel_id`.
pub fn encode_send_data_indication(initiator: u16, channel_id: u16, data: &[u8]) -> Vec<u8> {
    encode_send_data(choice::SEND_DATA_INDICATION, initiator, channel_id, data)
}

/// The user data of an MCS Send Data Indication.
pub fn decode_send_data_indication(frame: &[u8]) -> Result<SendData<'_>, WireError> {
    decode_send_data(
        frame,
        choice::SEND_DATA_INDICATION,
        "MCS Send Data Indication",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{assert_every_prefix_fails, hex};

    #[test]
    fn spec_examples_4_1_5_to_4_1_8() {
        // [4.1.5] Erect Domain Request, [4.1.6] Attach User Request.
        assert_eq!(
            encode_erect_domain_request(),
            hex("03 00 00 0c 02 f0 80 04 01 00 01 00")
        );
        assert_eq!(encode_attach_user_request(), hex("03 00 00 08 02 f0 80 28"));
        // [4.1.7] Attach User Confirm: initiator 6 + 1001 = 1007.
        let auc = hex("03 00 00 0b 02 f0 80 2e 00 00 06");
        assert_eq!(encode_attach_user_confirm(1007), auc);
        assert_eq!(decode_attach_user_confirm(&auc), Ok(1007));
        // [4.1.8.1] Join Request / Confirm for the user channel 1007,
        // [4.1.8.2.1] Join Request for the I/O channel 1003.
        assert_eq!(
            encode_channel_join_request(1007, 1007),
            hex("03 00 00 0c 02 f0 80 38 00 06 03 ef")
        );
        let io = hex("03 00 00 0c 02 f0 80 38 00 06 03 eb");
        assert_eq!(encode_channel_join_request(1007, 1003), io);
        assert_eq!(decode_channel_join_request(&io), Ok((1007, 1003)));
        let cjc = hex("03 00 00 0f 02 f0 80 3e 00 00 06 03 ef 03 ef");
        assert_eq!(encode_channel_join_confirm(1007, 1007), cjc);
        assert_eq!(decode_channel_join_confirm(&cjc), Ok((1007, 1007)));
        assert_eq!(
            decode_erect_domain_request(&encode_erect_domain_request()),
            Ok(())
        );
        assert_eq!(
            decode_attach_user_request(&encode_attach_user_request()),
            Ok(())
        );
    }

    #[test]
    fn refusals_name_the_result_or_the_ultimatum() {
        // Attach User Confirm with result rt-too-many-users (13): 1101b.
        let refused = x224::wrap_data(&[0x2C | 0x01, 0xA0]);
        let e = decode_attach_user_confirm(&refused)
            .unwrap_err()
            .to_string();
        assert!(e.contains("result 13 (rt-too-many-users)"), "{e}");
        // A channel join refused with rt-no-such-channel (3).
        let refused = x224::wrap_data(&[0x3C, 0x60, 0, 6, 3, 0xF0]);
        let e = decode_channel_join_confirm(&refused)
            .unwrap_err()
            .to_string();
        assert!(e.contains("rt-no-such-channel"), "{e}");
        // A join confirm without channelId reports `requested`.
        let no_id = x224::wrap_data(&[0x3C, 0x00, 0, 6, 3, 0xEC]);
        assert_eq!(decode_channel_join_confirm(&no_id), Ok((1007, 1004)));
        let dpum = super::super::encode_disconnect_provider_ultimatum(3);
        for e in [
            decode_attach_user_confirm(&dpum).unwrap_err(),
            decode_channel_join_confirm(&dpum).unwrap_err(),
            decode_send_data_indication(&dpum).unwrap_err(),
        ] {
            assert_eq!(e, WireError::DisconnectProviderUltimatum { reason: 3 });
        }
        assert!(matches!(
            decode_attach_user_confirm(&encode_attach_user_request()),
            Err(WireError::UnexpectedTag { found: 0x28, .. })
        ));
    }

    #[test]
    fn send_data_round_trips_with_both_length_forms() {
        for len in [0usize, 1, 0x7F, 0x80, 0x1234, MAX_SEND_DATA] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let f = encode_send_data_request(1007, 1003, &data);
            let sd = decode_send_data_request(&f).unwrap();
            assert_eq!(
                (sd.initiator, sd.channel_id, sd.data),
                (1007, 1003, &data[..])
            );
            let f = encode_send_data_indication(1002, 1003, &data);
            let sd = decode_send_data_indication(&f).unwrap();
            assert_eq!(
                (sd.initiator, sd.channel_id, sd.data.len()),
                (1002, 1003, len)
            );
            assert!(
                decode_send_data_request(&f).is_err(),
                "direction is checked"
            );
        }
        // [4.1.10] header: 64 00 06 03 eb 70 81 9c = 412 bytes from 1007 on 1003.
        let f = encode_send_data_request(1007, 1003, &[0; 0x19c]);
        assert_eq!(&f[7..15], &hex("64 00 06 03 eb 70 81 9c")[..]);
    }

    #[test]
    fn every_prefix_is_refused() {
        assert_every_prefix_fails(
            &encode_attach_user_confirm(1007),
            decode_attach_user_confirm,
        );
        assert_every_prefix_fails(
            &encode_channel_join_confirm(1007, 1003),
            decode_channel_join_confirm,
        );
        assert_every_prefix_fails(
            &encode_channel_join_request(1007, 1003),
            decode_channel_join_request,
        );
        assert_every_prefix_fails(&encode_erect_domain_request(), decode_erect_domain_request);
        assert_every_prefix_fails(&encode_attach_user_request(), decode_attach_user_request);
        assert_every_prefix_fails(&encode_send_data_indication(1002, 1003, &[1, 2, 3]), |f| {
            decode_send_data_indication(f).map(|sd| sd.data.len())
        });
    }
}
