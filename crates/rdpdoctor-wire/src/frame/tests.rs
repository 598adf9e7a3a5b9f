use super::*;
use crate::{credssp, rdp, tpkt};

fn two_byte_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    Ok(buf
        .first_chunk::<2>()
        .map(|b| usize::from(u16::from_be_bytes(*b))))
}

#[test]
fn frames_split_and_joined_come_out_whole() {
    let mut acc = Accumulator::new();
    acc.feed(&[0, 4, 1]);
    assert_eq!(acc.next_frame(two_byte_len, 100), Ok(None));
    acc.feed(&[2, 0, 3, 9, 0]);
    assert_eq!(
        acc.next_frame(two_byte_len, 100),
        Ok(Some(vec![0, 4, 1, 2]))
    );
    assert_eq!(acc.next_frame(two_byte_len, 100), Ok(Some(vec![0, 3, 9])));
    assert_eq!(acc.next_frame(two_byte_len, 100), Ok(None));
    assert_eq!(acc.buffered(), [0]);
    assert_eq!(acc.into_inner(), vec![0]);
}

#[test]
fn an_announced_length_over_the_limit_is_refused_before_the_body() {
    let mut acc = Accumulator::new();
    // 3 bytes in, the header says 0x1000: no need to wait for 4 KiB.
    acc.feed(&[0x10, 0x00, 7]);
    assert_eq!(
        acc.next_frame(two_byte_len, 100),
        Err(WireError::FrameTooLarge {
            len: 0x1000,
            max: 100,
            announced: true
        })
    );
    // The bytes are still there for the report.
    assert_eq!(acc.take(), vec![0x10, 0x00, 7]);
    assert!(acc.buffered().is_empty());
    // A TPKT header announcing 65535 against a 64-byte limit.
    acc.feed(&[3, 0, 0xFF, 0xFF]);
    let err = acc.next_frame(tpkt::declared_len, 64).unwrap_err();
    assert_eq!(
        err.to_string(),
        "frame announces 65535 bytes, at most 64 accepted"
    );
}

#[test]
fn no_more_than_the_limit_is_buffered_without_a_length() {
    // A framer that only answers for complete frames: the buffer limit holds.
    let mut acc = Accumulator::new();
    acc.feed(&[3, 0, 0x10]);
    assert_eq!(acc.next_frame(tpkt::frame_len, 8), Ok(None));
    assert_eq!(acc.room(8), 5);
    acc.feed(&[0, 1, 2, 3, 4]);
    assert_eq!(
        acc.next_frame(tpkt::frame_len, 8),
        Err(WireError::FrameTooLarge {
            len: 8,
            max: 8,
            announced: false
        })
    );
    assert_eq!(acc.room(8), 0);
}

#[test]
fn a_zero_length_frame_is_refused_not_looped_on() {
    let mut acc = Accumulator::new();
    acc.feed(&[0, 0, 1]);
    assert!(matches!(
        acc.next_frame(two_byte_len, 100),
        Err(WireError::Invalid {
            what: "frame length",
            ..
        })
    ));
}

#[test]
fn framer_errors_pass_through() {
    let mut acc = Accumulator::new();
    acc.feed(b"HTTP/1.1 400");
    assert_eq!(
        acc.next_frame(tpkt::declared_len, 100),
        Err(WireError::NotTpkt { first_byte: b'H' })
    );
    // 'H' (0x48) has the low bits of a fast-path header; 0x16 does not.
    let mut tls = Accumulator::new();
    tls.feed(&[0x16, 3, 1]);
    assert_eq!(
        tls.next_frame(rdp::declared_len, 100),
        Err(WireError::NotTpkt { first_byte: 0x16 })
    );
    assert!(matches!(
        acc.next_frame(credssp::ts_request_declared_len, 100),
        Err(WireError::UnexpectedTag { found: b'H', .. })
    ));
}

#[test]
fn every_framer_yields_the_same_frames_however_the_bytes_arrive() {
    let ts = credssp::encode_ts_request(6, &[1, 2, 3]);
    let fast = [0u8, 0x80, 5, 0xAA, 0xBB];
    let tls = [22u8, 3, 3, 0, 2, 1, 0];
    let tpkt_frame = tpkt::wrap(&[2, 0xF0, 0x80, 1]);
    let cases: [(Framer, Vec<Vec<u8>>); 4] = [
        (
            tpkt::declared_len,
            vec![tpkt_frame.clone(), tpkt_frame.clone()],
        ),
        (
            rdp::declared_len,
            vec![fast.to_vec(), tpkt_frame.clone(), fast.to_vec()],
        ),
        (
            credssp::ts_request_declared_len,
            vec![ts.clone(), ts.clone()],
        ),
        (tls_record_len, vec![tls.to_vec(), tls.to_vec()]),
    ];
    for (framer, frames) in cases {
        let stream = frames.concat();
        for chunk in 1..=stream.len() {
            let mut acc = Accumulator::new();
            let mut got = Vec::new();
            for piece in stream.chunks(chunk) {
                acc.feed(piece);
                while let Some(f) = acc.next_frame(framer, 1000).unwrap() {
                    got.push(f);
                }
            }
            assert_eq!(got, frames, "chunks of {chunk}");
            assert!(acc.buffered().is_empty());
        }
    }
}

#[test]
fn tls_records() {
    assert_eq!(tls_record_len(&[]), Ok(None));
    assert_eq!(tls_record_len(&[22, 3, 1, 0]), Ok(None));
    assert_eq!(tls_record_len(&[21, 3, 3, 0, 2]), Ok(Some(7)));
    assert!(matches!(
        tls_record_len(&[3, 0, 0, 19]),
        Err(WireError::UnexpectedTag { found: 3, .. })
    ));
    assert!(matches!(
        tls_record_len(&[22, 2, 0, 0, 1]),
        Err(WireError::Invalid { .. })
    ));
    assert!(matches!(
        tls_record_len(&[23, 3, 3, 0xFF, 0xFF]),
        Err(WireError::TooLarge { len: 0xFFFF, .. })
    ));
    assert_eq!(
        tls_record_len(&[23, 3, 3, 0x48, 0x00]),
        Ok(Some(MAX_TLS_RECORD_BODY + 5))
    );
}
