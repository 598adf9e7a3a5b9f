//! Pre-authentication with a password ([RFC 4120 5.2.7.2], [RFC 3962]): the
//! salt and key types a KDC asks for (PA-ETYPE-INFO2 in the `e-data` of its
//! KDC_ERR_PREAUTH_REQUIRED, [RFC 4120 5.2.7.5]) and an AS-REQ carrying
//! PA-ENC-TIMESTAMP, this machine's time encrypted in the key derived from
//! the password. The KDC answers it with an AS-REP (the password is right),
//! KDC_ERR_PREAUTH_FAILED (24, wrong), KDC_ERR_KEY_EXPIRED (23) or
//! KDC_ERR_CLIENT_REVOKED (18): the answers mstsc's Kerberos gets.
//!
//! The key derivation and the encryption are `picky-krb`'s (AES only: it has
//! no RC4-HMAC, so a KDC that offers only RC4 cannot be asked here).
//!
//! [RFC 4120 5.2.7.2]: https://www.rfc-editor.org/rfc/rfc4120#section-5.2.7.2
//! [RFC 4120 5.2.7.5]: https://www.rfc-editor.org/rfc/rfc4120#section-5.2.7.5
//! [RFC 3962]: https://www.rfc-editor.org/rfc/rfc3962

use picky_asn1::wrapper::{
    Asn1SequenceOf, ExplicitContextTag0, ExplicitContextTag1, ExplicitContextTag2, IntegerAsn1,
    OctetStringAsn1, Optional,
};
use picky_krb::constants::types::{
    PA_ENC_TIMESTAMP, PA_ENC_TIMESTAMP_KEY_USAGE, PA_ETYPE_INFO2_TYPE,
};
use picky_krb::crypto::CipherSuite;
use picky_krb::data_types::{EncryptedData, EtypeInfo2, PaData, PaEncTsEnc};

use super::{AsReqFor, as_req_with, generalized_time, string, unsigned};
use crate::error::WireError;

/// The AES256-CTS-HMAC-SHA1-96 long-term key of a principal
/// ([RFC 3962 4] string-to-key) from its password, with the default salt
/// ([RFC 4120 4]: the realm, then each name component): what `kadmin
/// addprinc -pw` stores and a keytab holds for it. Used by the emulated
/// RDP service, which must hold the key of `TERMSRV/<host>`.
pub fn aes256_key(password: &str, realm: &str, components: &[&str]) -> Result<Vec<u8>, WireError> {
    let salt = format!("{realm}{}", components.concat());
    CipherSuite::Aes256CtsHmacSha196
        .cipher()
        .generate_key_from_password(password.as_bytes(), salt.as_bytes())
        .map_err(|e| WireError::invalid("Kerberos key", e.to_string()))
}

/// One key the KDC holds for the principal ([RFC 4120 5.2.7.5] ETYPE-INFO2-ENTRY).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtypeInfo {
    /// The encryption type ([RFC 3961 8]): 18 AES256, 17 AES128, 23 RC4.
    pub etype: i32,
    /// The salt; `None`: the default, the realm then the principal's names.
    pub salt: Option<String>,
}

/// The ETYPE-INFO2 entries of a KRB-ERROR's `e-data` (a METHOD-DATA,
/// SEQUENCE OF PA-DATA). Whatever does not decode is left out: the e-data is
/// advice, and a KDC that sends none (or something else) is asked nothing.
pub(super) fn etype_info2(e_data: &[u8]) -> Vec<EtypeInfo> {
    let Ok(method_data) = picky_asn1_der::from_bytes::<Asn1SequenceOf<PaData>>(e_data) else {
        return Vec::new();
    };
    method_data
        .0
        .iter()
        .filter(|p| p.padata_type.0.as_unsigned_bytes_be() == PA_ETYPE_INFO2_TYPE)
        .filter_map(|p| picky_asn1_der::from_bytes::<EtypeInfo2>(&p.padata_data.0.0).ok())
        .flat_map(|info| info.0)
        .map(|e| EtypeInfo {
            etype: int32(e.etype.0.as_signed_bytes_be()),
            salt: e.salt.0.as_ref().map(|s| string(&s.0)),
        })
        .collect()
}

fn int32(be: &[u8]) -> i32 {
    if be.len() > 4 {
        return -1;
    }
    let neg = be.first().is_some_and(|b| b & 0x80 != 0);
    be.iter().fold(if neg { -1i32 } else { 0 }, |acc, b| {
        (acc << 8) | i32::from(*b)
    })
}

/// [RFC 4120 5.2.7.2] An AS-REQ for `krbtgt/REALM` with PA-ENC-TIMESTAMP:
/// `now_unix` (with `usec`) encrypted in the key `password` gives under the
/// first AES key type of `offered` (the KDC's ETYPE-INFO2, in its order of
/// preference) with its salt. `Ok(None)` when the KDC offers no AES key.
/// The password is only read here; nothing derived from it is kept.
pub fn as_req_with_password(
    req: &AsReqFor<'_>,
    offered: &[EtypeInfo],
    password: &str,
    usec: u32,
) -> Result<Option<Vec<u8>>, WireError> {
    let Some((suite, info)) = offered.iter().find_map(|e| {
        let suite = usize::try_from(e.etype)
            .ok()
            .and_then(|t| CipherSuite::try_from(t).ok())?;
        matches!(
            suite,
            CipherSuite::Aes256CtsHmacSha196 | CipherSuite::Aes128CtsHmacSha196
        )
        .then_some((suite, e))
    }) else {
        return Ok(None);
    };
    // [RFC 4120 4] The default salt: the realm, then each name component.
    let salt = info
        .salt
        .clone()
        .unwrap_or_else(|| format!("{}{}", req.realm, req.principal.replace('/', "")));
    let cipher = suite.cipher();
    let key = zeroize::Zeroizing::new(
        cipher
            .generate_key_from_password(password.as_bytes(), salt.as_bytes())
            .map_err(|e| WireError::invalid("Kerberos key", e.to_string()))?,
    );
    let ts = PaEncTsEnc {
        patimestamp: ExplicitContextTag0::from(generalized_time(req.now_unix)?),
        pausec: Optional::from(Some(ExplicitContextTag1::from(unsigned(usec.min(999_999))))),
    };
    let plain = picky_asn1_der::to_vec(&ts)
        .map_err(|e| WireError::invalid("PA-ENC-TS-ENC", e.to_string()))?;
    let sealed = cipher
        .encrypt(&key, PA_ENC_TIMESTAMP_KEY_USAGE, &plain)
        .map_err(|e| WireError::invalid("PA-ENC-TIMESTAMP", e.to_string()))?;
    let etype = u8::try_from(info.etype).unwrap_or(18);
    let enc = EncryptedData {
        etype: ExplicitContextTag0::from(IntegerAsn1::from(vec![etype])),
        kvno: Optional::from(None),
        cipher: ExplicitContextTag2::from(OctetStringAsn1::from(sealed)),
    };
    let pa = PaData {
        padata_type: ExplicitContextTag1::from(IntegerAsn1::from(PA_ENC_TIMESTAMP.to_vec())),
        padata_data: ExplicitContextTag2::from(OctetStringAsn1::from(
            picky_asn1_der::to_vec(&enc)
                .map_err(|e| WireError::invalid("PA-ENC-TIMESTAMP", e.to_string()))?,
        )),
    };
    as_req_with(req, Some(vec![pa])).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use picky_asn1::wrapper::ExplicitContextTag1 as T1;
    use picky_krb::data_types::EtypeInfo2Entry;
    use picky_krb::messages::AsReq;

    fn method_data(entries: Vec<EtypeInfo2Entry>) -> Vec<u8> {
        let info = picky_asn1_der::to_vec(&EtypeInfo2::from(entries)).unwrap();
        let pa = PaData {
            padata_type: T1::from(IntegerAsn1::from(PA_ETYPE_INFO2_TYPE.to_vec())),
            padata_data: ExplicitContextTag2::from(OctetStringAsn1::from(info)),
        };
        picky_asn1_der::to_vec(&Asn1SequenceOf::from(vec![pa])).unwrap()
    }

    #[test]
    fn the_kdcs_keys_and_salt_are_read_and_garbage_is_none() {
        let salt = picky_krb::data_types::KerberosStringAsn1::from(
            picky_asn1::restricted_string::IA5String::from_string("RDPLAB.TESTdemo".into())
                .unwrap(),
        );
        let e = method_data(vec![EtypeInfo2Entry {
            etype: ExplicitContextTag0::from(IntegerAsn1::from(vec![18])),
            salt: Optional::from(Some(T1::from(salt))),
            s2kparams: Optional::from(None),
        }]);
        assert_eq!(
            etype_info2(&e),
            vec![EtypeInfo {
                etype: 18,
                salt: Some("RDPLAB.TESTdemo".into())
            }]
        );
        assert!(etype_info2(&[0x30, 0x80, 1, 2]).is_empty());
        assert!(etype_info2(&e[..e.len() - 3]).is_empty());
    }

    #[test]
    fn the_timestamp_is_sealed_in_the_password_key_and_rc4_alone_is_not_tried() {
        let req = AsReqFor {
            principal: "demo",
            realm: "RDPLAB.TEST",
            service: None,
            nonce: 7,
            now_unix: 1_796_000_000,
        };
        let offered = [EtypeInfo {
            etype: 18,
            salt: None,
        }];
        let der = as_req_with_password(&req, &offered, "Demo-Pass-1", 250_000)
            .unwrap()
            .unwrap();
        let parsed: AsReq = picky_asn1_der::from_bytes(&der).unwrap();
        let pa = &parsed.0.padata.0.as_ref().unwrap().0.0[0];
        assert_eq!(pa.padata_type.0.as_unsigned_bytes_be(), PA_ENC_TIMESTAMP);
        let enc: EncryptedData = picky_asn1_der::from_bytes(&pa.padata_data.0.0).unwrap();
        let cipher = CipherSuite::Aes256CtsHmacSha196.cipher();
        // The default salt: the realm, then the name.
        let key = cipher
            .generate_key_from_password(b"Demo-Pass-1", b"RDPLAB.TESTdemo")
            .unwrap();
        let plain = cipher
            .decrypt(&key, PA_ENC_TIMESTAMP_KEY_USAGE, &enc.cipher.0.0)
            .unwrap();
        let ts: PaEncTsEnc = picky_asn1_der::from_bytes(&plain).unwrap();
        let t = ts.patimestamp.0.0;
        assert_eq!((t.year(), t.month(), t.day()), (2026, 11, 30));
        // The wrong password does not open it.
        let wrong = cipher
            .generate_key_from_password(b"other", b"RDPLAB.TESTdemo")
            .unwrap();
        assert!(
            cipher
                .decrypt(&wrong, PA_ENC_TIMESTAMP_KEY_USAGE, &enc.cipher.0.0)
                .is_err()
        );
        // RC4 only: nothing is built (picky-krb has no RC4-HMAC).
        let rc4 = [EtypeInfo {
            etype: 23,
            salt: None,
        }];
        assert_eq!(as_req_with_password(&req, &rc4, "x", 0).unwrap(), None);
    }
}
