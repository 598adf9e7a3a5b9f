//! The bytes hostile servers send: valid messages from the wire crate's
//! encoders, then bent (a length that lies, a code nobody defined, a value
//! out of every range), and plain garbage where garbage is the point.
//!
//! Each function takes nothing and returns a whole message, so that the play
//! table in [`super`] can name it.

use rdpdoctor_wire::credssp::TsRequest;
use rdpdoctor_wire::mcs::{
    self, ConnectResponse, ServerCertificate, ServerCore, ServerNetwork, ServerSecurity,
    encryption_level as level, encryption_method as method,
};
use rdpdoctor_wire::x224::{self, ConnectionConfirm, protocol};
use rdpdoctor_wire::{ntlm, rdp};

/// The MCS user id and channels the hostile servers hand out (as Windows numbers them).
pub(crate) const USER_ID: u16 = 1007;
const SERVER_CHANNEL: u16 = 1002;
const IO_CHANNEL: u16 = 1003;

/// Overwrites `bytes` at `at` (no-op where the message is shorter).
fn patch(mut msg: Vec<u8>, at: usize, bytes: &[u8]) -> Vec<u8> {
    if let Some(dst) = msg.get_mut(at..at.saturating_add(bytes.len())) {
        dst.copy_from_slice(bytes);
    }
    msg
}

// ------------------------------------------------------------------ X.224

/// A Connection Confirm selecting `protocol` ([MS-RDPBCGR 2.2.1.2.1]).
pub(crate) fn cc_select(selected_protocol: u32) -> Vec<u8> {
    x224::encode_connection_confirm(&ConnectionConfirm::Response {
        selected_protocol,
        flags: 0x1F,
    })
}

/// A Connection Confirm selecting TLS.
pub(crate) fn cc_select_ssl() -> Vec<u8> {
    cc_select(protocol::SSL)
}

/// 16 KiB of `A`: not TPKT, not TLS, not anything.
pub(crate) fn junk() -> Vec<u8> {
    vec![b'A'; 16 * 1024]
}

/// A TPKT header announcing 65535 bytes, then a Connection Confirm's worth, then nothing.
pub(crate) fn tpkt_longer_than_sent() -> Vec<u8> {
    patch(cc_select_ssl(), 2, &[0xFF, 0xFF])
}

/// A TPKT header announcing 2 bytes: shorter than its own header.
pub(crate) fn tpkt_shorter_than_header() -> Vec<u8> {
    patch(cc_select_ssl(), 2, &[0x00, 0x02])
}

/// A Connection Confirm whose RDP_NEG_RSP `length` says 65535 and whose
/// X.224 length indicator says 255.
pub(crate) fn neg_lengths_lie() -> Vec<u8> {
    patch(patch(cc_select_ssl(), 13, &[0xFF, 0xFF]), 4, &[0xFF])
}

/// A Connection Confirm with an RDP_NEG type nobody defined (0x7E).
pub(crate) fn neg_unknown_type() -> Vec<u8> {
    patch(cc_select_ssl(), 11, &[0x7E])
}

/// An X.224 TPDU with an unknown code (0x70) where the Connection Confirm belongs.
pub(crate) fn x224_unknown_tpdu() -> Vec<u8> {
    patch(cc_select_ssl(), 5, &[0x70])
}

// ------------------------------------------------------------------ TLS

/// [RFC 5246 7.4.1.1] HelloRequest, in a plaintext handshake record.
pub(crate) fn hello_request() -> Vec<u8> {
    vec![0x16, 0x03, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00]
}

/// A thousand HelloRequest records in one write: a flood.
pub(crate) fn hello_requests() -> Vec<u8> {
    hello_request().repeat(1000)
}

/// A full-size (16 KiB) handshake record of garbage.
pub(crate) fn tls_garbage_record() -> Vec<u8> {
    let mut r = vec![0x16, 0x03, 0x03, 0x40, 0x00];
    r.resize(5 + 0x4000, 0xEE);
    r
}

/// A handshake record header announcing 65535 bytes (above the 2^14 + 2048
/// RFC 5246 allows), then 100 bytes, then nothing.
pub(crate) fn tls_record_longer_than_sent() -> Vec<u8> {
    let mut r = vec![0x16, 0x03, 0x03, 0xFF, 0xFF];
    r.resize(5 + 100, 0x02);
    r
}

/// A handshake record with text where the ServerHello belongs.
pub(crate) fn tls_not_a_server_hello() -> Vec<u8> {
    let text = b"this is not a ServerHello, it is a sentence";
    let mut r = vec![0x16, 0x03, 0x03, 0x00, text.len() as u8];
    r.extend_from_slice(text);
    r
}

/// A ServerHello ([RFC 5246 7.4.1.3]) choosing version 0xFFFF, cipher suite
/// 0xFFFF and compression method 0xFF, none of which the client offered.
pub(crate) fn tls_absurd_server_hello() -> Vec<u8> {
    let mut body = vec![0xFF, 0xFF]; // server_version
    body.extend_from_slice(&[0x42; 32]); // random
    body.push(0); // session_id: empty
    body.extend_from_slice(&[0xFF, 0xFF, 0xFF]); // cipher_suite, compression_method
    let mut hs = vec![0x02, 0x00, 0x00, body.len() as u8];
    hs.extend_from_slice(&body);
    let mut r = vec![0x16, 0x03, 0x03, 0x00, hs.len() as u8];
    r.extend_from_slice(&hs);
    r
}

/// A fatal alert with description 255, which no RFC defines.
pub(crate) fn tls_unknown_alert() -> Vec<u8> {
    vec![0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0xFF]
}

// ------------------------------------------------------------------ CredSSP / NTLM

/// The CHALLENGE_MESSAGE ([MS-NLMP 2.2.1.2]) of a domain-joined Server 2022.
fn challenge() -> ntlm::Challenge {
    use ntlm::flags::*;
    ntlm::Challenge {
        negotiate_flags: NEGOTIATE_UNICODE
            | REQUEST_TARGET
            | NEGOTIATE_NTLM
            | TARGET_TYPE_DOMAIN
            | NEGOTIATE_EXTENDED_SESSIONSECURITY
            | NEGOTIATE_TARGET_INFO
            | NEGOTIATE_VERSION,
        target_name: Some("CORP".into()),
        server_challenge: [7; 8],
        version: Some(ntlm::NtlmVersion {
            major: 10,
            minor: 0,
            build: 20348,
            ntlm_revision: 15,
        }),
        netbios_computer_name: Some("HOSTILE".into()),
        netbios_domain_name: Some("CORP".into()),
        dns_computer_name: Some("hostile.corp.example".into()),
        dns_domain_name: Some("corp.example".into()),
        dns_tree_name: Some("corp.example".into()),
        timestamp: Some(133_500_000_000_000_000),
        av_flags: None,
    }
}

fn ts_request(version: u32, token: Option<Vec<u8>>, error_code: Option<u32>) -> Vec<u8> {
    TsRequest {
        version,
        nego_token: token,
        error_code,
        ..TsRequest::default()
    }
    .to_der()
}

/// A well-formed TSRequest carrying the CHALLENGE ([MS-CSSP 2.2.1]).
pub(crate) fn ts_challenge() -> Vec<u8> {
    ts_request(6, Some(ntlm::encode_challenge(&challenge())), None)
}

/// A TSRequest whose DER length says 2^31 - 1 bytes, then 64 bytes.
pub(crate) fn ts_longer_than_sent() -> Vec<u8> {
    let mut r = vec![0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF];
    r.extend_from_slice(ts_challenge().get(2..66).unwrap_or_default());
    r
}

/// A TSRequest whose `version` INTEGER claims more bytes than its SEQUENCE holds.
pub(crate) fn ts_malformed() -> Vec<u8> {
    vec![0x30, 0x07, 0xA0, 0x05, 0x02, 0x09, 0x06, 0x00, 0x00]
}

/// A TSRequest of version 2^32 - 1 whose CHALLENGE has a clock at the end of
/// FILETIME, version 255.255.65535, and names thousands of characters long.
pub(crate) fn ts_absurd() -> Vec<u8> {
    let long = "X".repeat(3000);
    let c = ntlm::Challenge {
        target_name: Some(long.clone()),
        version: Some(ntlm::NtlmVersion {
            major: 255,
            minor: 255,
            build: u16::MAX,
            ntlm_revision: 255,
        }),
        netbios_computer_name: Some(long.clone()),
        dns_computer_name: Some(long.clone()),
        dns_tree_name: Some(long),
        timestamp: Some(u64::MAX),
        av_flags: Some(u32::MAX),
        ..challenge()
    };
    ts_request(u32::MAX, Some(ntlm::encode_challenge(&c)), None)
}

/// A CHALLENGE whose TargetName and TargetInfo fields ([MS-NLMP 2.2.1.2])
/// point far past the end of the message.
pub(crate) fn ts_ntlm_fields_lie() -> Vec<u8> {
    let c = ntlm::encode_challenge(&challenge());
    // TargetNameFields at 12, TargetInfoFields at 40: Len, MaxLen, Offset.
    let lie = [0xFF, 0xFF, 0xFF, 0xFF, 0xF0, 0xFF, 0xFF, 0x7F];
    let c = patch(patch(c, 12, &lie), 40, &lie);
    ts_request(6, Some(c), None)
}

/// A TSRequest with an errorCode no NTSTATUS table has, and no token.
pub(crate) fn ts_unknown_error() -> Vec<u8> {
    ts_request(6, None, Some(0xDEAD_BEEF))
}

// ------------------------------------------------------------------ MCS / GCC

/// A Connect Response with a healthy host's SC_CORE (RDP 10.7,
/// requestedProtocols echoed as 0) around `security` and `network`.
fn response(security: ServerSecurity, network: ServerNetwork) -> ConnectResponse {
    ConnectResponse {
        result: 0,
        server_core: Some(crate::conn::server_core(crate::Fault::HealthyTls, None)),
        server_security: Some(security),
        server_network: Some(network),
        server_message_channel: None,
        server_multitransport_flags: None,
    }
}

fn no_encryption() -> ServerSecurity {
    ServerSecurity {
        encryption_method: method::NONE,
        encryption_level: level::NONE,
        server_random_len: 0,
        server_certificate_permanent: None,
        server_certificate: None,
    }
}

fn network() -> ServerNetwork {
    ServerNetwork {
        io_channel: IO_CHANNEL,
        channel_ids: vec![1004, 1005, 1006, 1007],
    }
}

/// A well-formed Connect Response ([MS-RDPBCGR 2.2.1.4]) for TLS (no RDP encryption).
pub(crate) fn connect_response() -> Vec<u8> {
    mcs::encode_connect_response(&response(no_encryption(), network()))
}

/// Valid TPKT and X.224 Data headers around garbage where the MCS Connect Response belongs.
pub(crate) fn connect_response_garbage() -> Vec<u8> {
    let mut r = connect_response();
    for (i, b) in r.iter_mut().enumerate().skip(7) {
        *b = (i as u8).wrapping_mul(73) ^ 0x5A;
    }
    r
}

/// A Connect Response whose BER length says 2^31 - 1 bytes.
pub(crate) fn connect_response_longer_than_sent() -> Vec<u8> {
    let r = connect_response();
    // TPKT (4) + X.224 Data (3) + the Connect-Response tag 7F 66, then the length.
    let mut out = r.get(..9).unwrap_or_default().to_vec();
    out.extend_from_slice(&[0x84, 0x7F, 0xFF, 0xFF, 0xFF]);
    out.extend_from_slice(r.get(10..).unwrap_or_default());
    let len = out.len() as u16;
    patch(out, 2, &len.to_be_bytes())
}

/// A Connect Response where every number is out of range: RDP version,
/// encryption method and level 2^32 - 1, a 4 KiB server random, 31 channels
/// numbered 65535, a message channel and multitransport flags nobody asked for.
pub(crate) fn connect_response_absurd() -> Vec<u8> {
    mcs::encode_connect_response(&ConnectResponse {
        result: 0,
        server_core: Some(ServerCore {
            version: u32::MAX,
            client_requested_protocols: Some(u32::MAX),
            early_capability_flags: Some(u32::MAX),
        }),
        server_security: Some(ServerSecurity {
            encryption_method: u32::MAX,
            encryption_level: u32::MAX,
            server_random_len: 4096,
            server_certificate_permanent: None,
            server_certificate: None,
        }),
        server_network: Some(ServerNetwork {
            io_channel: u16::MAX,
            channel_ids: vec![u16::MAX; mcs::MAX_CHANNELS],
        }),
        server_message_channel: Some(u16::MAX),
        server_multitransport_flags: Some(u32::MAX),
    })
}

/// A Connect Response with T.125 result 200, which T.125 does not define, and data blocks anyway.
pub(crate) fn connect_response_unknown_result() -> Vec<u8> {
    mcs::encode_connect_response(&ConnectResponse {
        result: 200,
        ..response(no_encryption(), network())
    })
}

// ------------------------------------------------------------------ Standard RDP Security

fn rdp_security(certificate: ServerCertificate) -> Vec<u8> {
    mcs::encode_connect_response(&response(
        ServerSecurity {
            encryption_method: method::BIT_128,
            encryption_level: level::HIGH,
            server_random_len: 32,
            server_certificate_permanent: None,
            server_certificate: Some(certificate),
        },
        network(),
    ))
}

/// A proprietary certificate with a 0-bit key and exponent 0.
pub(crate) fn rdp_zero_key() -> Vec<u8> {
    rdp_security(ServerCertificate::Proprietary {
        public_key_bits: 0,
        public_exponent: 0,
    })
}

/// A proprietary certificate claiming a 2^32 - 1 bit key with exponent 2^32 - 1.
pub(crate) fn rdp_absurd_key() -> Vec<u8> {
    rdp_security(ServerCertificate::Proprietary {
        public_key_bits: u32::MAX,
        public_exponent: u32::MAX,
    })
}

/// An X.509 chain ([MS-RDPBCGR 2.2.1.4.3.1]) of three garbage "certificates".
pub(crate) fn rdp_x509_garbage() -> Vec<u8> {
    rdp_security(ServerCertificate::X509 {
        chain: vec![
            vec![0x30, 0x82, 0xFF, 0xFF],
            b"not DER".to_vec(),
            vec![0; 300],
        ],
    })
}

/// An X.509 chain whose server key is 16384 bits with a 16383-bit exponent
/// (see [`super::tls::huge_exponent_chain`]).
pub(crate) fn rdp_huge_exponent() -> Result<Vec<u8>, crate::Error> {
    let chain = super::tls::huge_exponent_chain()?;
    Ok(rdp_security(ServerCertificate::X509 { chain }))
}

/// A proprietary certificate whose RSA_PUBLIC_KEY `keylen` says 2^32 - 1
/// bytes ([MS-RDPBCGR 2.2.1.4.3.1.1.1]).
pub(crate) fn rdp_key_length_lies() -> Vec<u8> {
    let r = rdp_security(ServerCertificate::Proprietary {
        public_key_bits: 512,
        public_exponent: 65537,
    });
    match r.windows(4).position(|w| w == b"RSA1") {
        Some(at) => patch(r, at + 4, &[0xFF; 4]),
        None => r,
    }
}

/// An X.509 chain whose server key is an ordinary RSA 2048 key: the
/// Security Exchange works, whatever the server does next.
pub(crate) fn rdp_x509_rsa2048() -> Result<Vec<u8>, crate::Error> {
    let chain = super::tls::rsa2048_chain()?;
    Ok(rdp_security(ServerCertificate::X509 { chain }))
}

/// A certificate version nobody defined (0x7E) and encryption method 0x40 (undefined).
pub(crate) fn rdp_unknown_certificate() -> Vec<u8> {
    mcs::encode_connect_response(&response(
        ServerSecurity {
            encryption_method: 0x40,
            encryption_level: level::HIGH,
            server_random_len: 32,
            server_certificate_permanent: None,
            server_certificate: Some(ServerCertificate::Unknown {
                dw_version: 0x7E,
                len: 64,
            }),
        },
        network(),
    ))
}

// ------------------------------------------------------------------ Deep probe

/// An Attach User Confirm ([MS-RDPBCGR 2.2.1.7]) giving the usual user id.
pub(crate) fn attach_user_confirm() -> Vec<u8> {
    mcs::encode_attach_user_confirm(USER_ID)
}

/// An Attach User Confirm whose TPKT length says 65535 bytes.
pub(crate) fn attach_user_confirm_longer_than_sent() -> Vec<u8> {
    patch(attach_user_confirm(), 2, &[0xFF, 0xFF])
}

/// A Connect Response naming the I/O channel and every static channel 0.
pub(crate) fn connect_response_channels_zero() -> Vec<u8> {
    mcs::encode_connect_response(&response(
        no_encryption(),
        ServerNetwork {
            io_channel: 0,
            channel_ids: vec![0; 4],
        },
    ))
}

/// Set Error Info ([MS-RDPBCGR 2.2.5.1]) with a code no table has.
pub(crate) fn set_error_info_unknown() -> Vec<u8> {
    rdp::encode_set_error_info(SERVER_CHANNEL, IO_CHANNEL, 0xDEAD_BEEF)
}

/// A licensing error ([MS-RDPBCGR 2.2.1.12]) with an undefined code and state transition.
pub(crate) fn license_error_unknown() -> Vec<u8> {
    rdp::encode_license_error(SERVER_CHANNEL, IO_CHANNEL, 0xDEAD_BEEF, 0xDEAD_BEEF)
}

/// A Share Data PDU ([MS-RDPBCGR 2.2.8.1.1.1.2]) of an undefined `pduType2`
/// (0xEE): a Set Error Info with its type changed.
pub(crate) fn unknown_share_pdu() -> Vec<u8> {
    let r = set_error_info_unknown();
    // pduType2 comes before compressedType, compressedLength and the 4-byte errorInfo.
    let at = r.len().saturating_sub(8);
    patch(r, at, &[0xEE])
}

/// Bytes that are neither TPKT nor fast-path (first byte 0x17: a TLS
/// application-data record's type, low bits set).
pub(crate) fn neither_tpkt_nor_fast_path() -> Vec<u8> {
    vec![0x17; 64]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_valid_messages_decode_and_the_bent_ones_do_not() {
        assert!(x224::decode_connection_confirm(&cc_select_ssl()).is_ok());
        assert!(x224::decode_connection_confirm(&neg_unknown_type()).is_err());
        assert!(x224::decode_connection_confirm(&x224_unknown_tpdu()).is_err());
        let ts = rdpdoctor_wire::credssp::decode_ts_request(&ts_challenge()).unwrap();
        assert!(ntlm::decode_challenge(&ts.nego_token.unwrap()).is_ok());
        assert!(rdpdoctor_wire::credssp::decode_ts_request(&ts_malformed()).is_err());
        assert!(mcs::decode_connect_response(&connect_response()).is_ok());
        assert!(mcs::decode_connect_response(&connect_response_garbage()).is_err());
        assert!(mcs::decode_connect_response(&connect_response_longer_than_sent()).is_err());
        assert_eq!(
            mcs::decode_attach_user_confirm(&attach_user_confirm()),
            Ok(USER_ID)
        );
        assert!(matches!(
            rdp::decode_server_pdu(&unknown_share_pdu()),
            Ok(rdp::ServerPdu::Other { summary, .. }) if summary == "data pdu 0xee"
        ));
        assert!(matches!(
            rdp::decode_server_pdu(&set_error_info_unknown()),
            Ok(rdp::ServerPdu::SetErrorInfo(0xDEAD_BEEF))
        ));
        assert_eq!(
            u16::from_be_bytes([
                connect_response_longer_than_sent()[2],
                connect_response_longer_than_sent()[3]
            ]) as usize,
            connect_response_longer_than_sent().len()
        );
    }
}
