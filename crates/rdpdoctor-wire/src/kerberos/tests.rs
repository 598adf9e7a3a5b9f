use super::*;
use picky_asn1::wrapper::{
    ExplicitContextTag6, ExplicitContextTag9, ExplicitContextTag10, ExplicitContextTag11,
};
use picky_krb::messages::KrbErrorInner;

/// A KRB-ERROR as a KDC sends it, built with picky-krb's own types:
/// KDC_ERR_PREAUTH_REQUIRED at 2026-12-07 06:00:00.250000 UTC.
fn krb_error(code: u32, stime: i64) -> Vec<u8> {
    let s = |x: &str| KerberosStringAsn1::from(IA5String::from_string(x.into()).unwrap());
    let e = KrbError::from(KrbErrorInner {
        pvno: ExplicitContextTag0::from(IntegerAsn1::from(vec![5])),
        msg_type: ExplicitContextTag1::from(IntegerAsn1::from(vec![30])),
        ctime: Optional::from(None),
        cusec: Optional::from(None),
        stime: ExplicitContextTag4::from(generalized_time(stime).unwrap()),
        susec: ExplicitContextTag5::from(IntegerAsn1::from(vec![0x03, 0xD0, 0x90])),
        error_code: ExplicitContextTag6::from(code),
        crealm: Optional::from(None),
        cname: Optional::from(None),
        realm: ExplicitContextTag9::from(s("RDPLAB.TEST")),
        sname: ExplicitContextTag10::from(PrincipalName {
            name_type: ExplicitContextTag0::from(IntegerAsn1::from(vec![2])),
            name_string: ExplicitContextTag1::from(Asn1SequenceOf::from(vec![
                s("krbtgt"),
                s("RDPLAB.TEST"),
            ])),
        }),
        e_text: Optional::from(Some(ExplicitContextTag11::from(s("NEEDED_PREAUTH")))),
        e_data: Optional::from(None),
    });
    picky_asn1_der::to_vec(&e).unwrap()
}

const T: i64 = 1_796_623_200; // 2026-12-07T06:00:00Z

#[test]
fn kerberos_time_round_trips_through_generalized_time() {
    for t in [0, 951_782_400, 1_709_164_800, T, 4_102_444_799] {
        assert_eq!(
            unix_time(&generalized_time(t).unwrap().0).unwrap(),
            t,
            "{t}"
        );
    }
}

#[test]
fn as_req_names_the_principal_and_realm_without_pre_auth() {
    let bytes = as_req(&AsReqFor {
        principal: "alice",
        realm: "RDPLAB.TEST",
        service: None,
        nonce: 0xDEAD_BEEF,
        now_unix: T,
    })
    .unwrap();
    assert_eq!(bytes.first(), Some(&0x6A), "APPLICATION 10: AS-REQ");
    let back: AsReq = picky_asn1_der::from_bytes(&bytes).unwrap();
    assert!(back.0.padata.0.is_none(), "no password is tried");
    let body = &back.0.req_body.0;
    assert_eq!(string(&body.realm.0), "RDPLAB.TEST");
    assert_eq!(principal(&body.cname.0.as_ref().unwrap().0), "alice");
    assert_eq!(
        principal(&body.sname.0.as_ref().unwrap().0),
        "krbtgt/RDPLAB.TEST"
    );
    assert_eq!(unix_time(&body.till.0.0).unwrap(), T + 86_400);
}

#[test]
fn as_req_refuses_names_that_are_not_ascii_or_empty() {
    let req = |p: &'static str, r: &'static str| AsReqFor {
        principal: p,
        realm: r,
        service: None,
        nonce: 1,
        now_unix: T,
    };
    assert!(as_req(&req("é", "R")).is_err());
    assert!(as_req(&req("", "R")).is_err());
    assert!(as_req(&req("a", "")).is_err());
}

#[test]
fn krb_error_gives_the_kdcs_clock_and_code() {
    let reply = decode_reply(&krb_error(25, T + 360)).unwrap();
    let KdcReply::Error(e) = reply else {
        panic!("{reply:?}")
    };
    assert_eq!(e.error_code, 25);
    assert_eq!(error_name(e.error_code), Some("KDC_ERR_PREAUTH_REQUIRED"));
    assert_eq!(e.stime_unix, T + 360);
    assert_eq!(e.susec, 250_000);
    assert_eq!(e.realm, "RDPLAB.TEST");
    assert_eq!(e.sname, "krbtgt/RDPLAB.TEST");
    assert_eq!(e.e_text.as_deref(), Some("NEEDED_PREAUTH"));
}

#[test]
fn every_truncation_of_a_krb_error_is_an_error() {
    let whole = krb_error(6, T);
    for n in 0..whole.len() {
        assert!(
            decode_reply(&whole[..n]).is_err(),
            "{n} of {} bytes",
            whole.len()
        );
    }
}

#[test]
fn another_message_is_refused_by_its_tag() {
    let req = as_req(&AsReqFor {
        principal: "a",
        realm: "R",
        service: Some("TERMSRV/h"),
        nonce: 1,
        now_unix: T,
    })
    .unwrap();
    assert!(matches!(
        decode_reply(&req),
        Err(WireError::UnexpectedTag { found: 0x6A, .. })
    ));
    assert!(decode_reply(b"HTTP/1.1 400 Bad Request\r\n").is_err());
}

#[test]
fn tcp_length_prefix_is_bounded_before_the_body() {
    assert_eq!(tcp_declared_len(&[0, 0, 1]), Ok(None));
    assert_eq!(tcp_declared_len(&[0, 0, 1, 0]), Ok(Some(260)));
    assert!(tcp_declared_len(&[0x80, 0, 0, 0]).is_err(), "reserved bit");
    assert!(matches!(
        tcp_declared_len(&[0, 0x10, 0, 0]),
        Err(WireError::TooLarge { .. })
    ));
    let framed = tcp_frame(&[1, 2, 3]);
    assert_eq!(framed, [0, 0, 0, 3, 1, 2, 3]);
    let mut acc = crate::frame::Accumulator::new();
    acc.feed(&framed);
    assert_eq!(
        acc.next_frame(tcp_declared_len, MAX_REPLY + 4),
        Ok(Some(framed))
    );
}

#[test]
fn every_code_has_one_name() {
    for (i, (c, _)) in CODES.iter().enumerate() {
        assert!(CODES[i + 1..].iter().all(|(d, _)| d != c), "{c} twice");
    }
    assert_eq!(error_name(37), Some("KRB_AP_ERR_SKEW"));
    assert_eq!(error_name(68), Some("KDC_ERR_WRONG_REALM"));
    assert_eq!(error_name(30), None);
}
