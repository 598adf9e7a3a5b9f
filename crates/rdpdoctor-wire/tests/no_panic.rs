//! The no-panic property under plain `cargo test`: every decoder is fed a
//! deterministic pseudo-random corpus (xorshift64*) — raw noise, noise behind
//! plausible headers, and mutations of valid PDUs — and must return, never
//! panic. Each input that panics is printed in hex. The fuzz targets in
//! /fuzz explore the same functions without a budget.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use rdpdoctor_testkit::frames::check_accumulator;
use rdpdoctor_testkit::hex::hex;
use rdpdoctor_wire::frame::{self, Framer};
use rdpdoctor_wire::mcs::encryption_method as em;
use rdpdoctor_wire::security::{Role, Session, SessionKeys};
use rdpdoctor_wire::{
    credssp, http, license, mcs, ntlm, rdp, security, tls, tpkt, tsgu, websocket, x224,
};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
}

/// Run every decoder on `input`; check the framing helpers' promises.
fn exercise(input: &[u8]) {
    for (framer, max) in [
        (tpkt::declared_len as Framer, tpkt::MAX_FRAME),
        (tpkt::declared_len, 64),
        (rdp::declared_len, rdp::MAX_FRAME),
        (rdp::frame_len, 100),
        (credssp::ts_request_declared_len, credssp::MAX_TS_REQUEST),
        (frame::tls_record_len, 300),
        (http::head_len, http::MAX_HEAD),
        (http::request_head_len, 500),
        (http::chunk_len, 200),
        (websocket::frame_len, 300),
        (tsgu::packet_len, tsgu::MAX_PACKET),
    ] {
        // Piece sizes taken from the input itself.
        let step = usize::from(input.first().copied().unwrap_or(1) % 17).max(1);
        check_accumulator(input, step, framer, max);
    }
    if let Ok(Some(n)) = rdp::declared_len(input) {
        assert!(n <= rdp::MAX_FRAME);
    }
    if let Ok(Some(n)) = tpkt::frame_len(input) {
        assert!(n <= input.len() && (tpkt::MIN_FRAME..=tpkt::MAX_FRAME).contains(&n));
    }
    let _ = tpkt::declared_len(input);
    let _ = http::decode_request_head(input);
    if let Ok(h) = http::decode_response_head(input) {
        assert!(h.headers.len() <= http::MAX_HEADERS);
        let _ = (h.auth_schemes(), h.auth_token("NTLM"), h.is_chunked());
    }
    if let Ok(Some(c)) = http::decode_chunk(input) {
        assert!(c.consumed <= input.len());
    }
    if let Ok(f) = websocket::decode_frame(input) {
        assert!(f.payload.len() <= input.len());
    }
    if let Ok(p) = tsgu::decode_server_packet(input) {
        let _ = p.encode();
    }
    let _ = tsgu::decode_client_packet(input);
    let _ = tpkt::sniff(input);
    let _ = x224::decode_connection_confirm(input);
    if let Ok(h) = tls::decode_server_hello(input) {
        let _ = h.secure_renegotiation();
    }
    let _ = x224::decode_connection_request(input);
    if let Ok(c) = mcs::decode_connect_initial(input) {
        assert!(c.channels.len() <= mcs::MAX_CHANNELS);
    }
    if let Ok(Some(n)) = credssp::ts_request_len(input) {
        assert!(n <= input.len() && n <= credssp::MAX_TS_REQUEST);
    }
    let _ = credssp::ts_request_declared_len(input);
    if let Ok(v) = credssp::decode_early_user_auth_result(input) {
        assert!(input.len() >= credssp::EARLY_USER_AUTH_RESULT_LEN);
        let _ = credssp::authz_result_name(v);
    }
    if let Ok(ts) = credssp::decode_ts_request(input)
        && let Some(token) = ts.nego_token.as_deref().and_then(ntlm::find_ntlmssp)
    {
        let _ = ntlm::decode_challenge(token);
    }
    if let Ok(c) = ntlm::decode_challenge(input) {
        if let Some(v) = c.version {
            let _ = v.windows_release();
        }
        if let Some(t) = c.timestamp {
            let _ = ntlm::filetime_to_unix_millis(t);
        }
    }
    let _ = ntlm::find_ntlmssp(input);
    let _ = mcs::decode_connect_response(input);
    let _ = mcs::decode_disconnect_provider_ultimatum(input);
    // Errors must render too.
    if let Err(e) = mcs::decode_connect_response(input) {
        let _ = e.to_string();
    }
    // The channel connection phase and after.
    let _ = mcs::decode_erect_domain_request(input);
    let _ = mcs::decode_attach_user_request(input);
    let _ = mcs::decode_attach_user_confirm(input);
    let _ = mcs::decode_channel_join_request(input);
    let _ = mcs::decode_channel_join_confirm(input);
    let _ = mcs::decode_send_data_request(input);
    let _ = mcs::decode_send_data_indication(input);
    let _ = mcs::decode_server_keying(input);
    if let Ok(Some(n)) = rdp::frame_len(input) {
        assert!(n <= input.len());
    }
    if let Err(e) = rdp::decode_server_pdu(input) {
        let _ = e.to_string();
    }
    let _ = rdp::decode_client_info(input);
    let _ = rdp::decode_info_packet(input);
    if let Ok(rdp::SaveSessionInfo::Extended {
        logon_errors: Some(e),
        ..
    }) = rdp::decode_save_session_info(input)
    {
        let _ = rdp::logon_error_type_name(e.notification_type);
        let _ = rdp::logon_error_data_name(e.notification_type, e.notification_data);
    }
    let _ = security::decode_security_exchange(input);
    let _ = license::decode_license_request(input);
    static KEYS: OnceLock<(license::LicenseKeys, [SessionKeys; 2])> = OnceLock::new();
    let (license_keys, session_keys) = KEYS.get_or_init(|| {
        let derive = |m| SessionKeys::derive(m, &[1; 32], &[2; 32]).unwrap();
        (
            license::LicenseKeys::derive(&[1; 32], &[2; 32], &[3; 48]),
            [derive(em::BIT_56), derive(em::FIPS)],
        )
    });
    let _ = license::decode_platform_challenge(input, license_keys);
    // Only inputs that get as far as an encrypted security header need a session.
    if rdp::decode_server_pdu(input).is_err() {
        for keys in session_keys {
            let mut session = Session::new(keys.clone(), Role::Client).unwrap();
            let _ = rdp::decode_server_pdu_with(input, Some(&mut session));
        }
    }
}

fn check(input: &[u8], failures: &mut Vec<String>) {
    if catch_unwind(AssertUnwindSafe(|| exercise(input))).is_err() {
        let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
        failures.push(hex);
    }
}

/// Fails with how many inputs panicked and the first of them, in hex.
fn assert_none_panicked(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} inputs panicked, first: {}",
        failures.len(),
        failures[0]
    );
}

fn tpkt_frame(body: &[u8]) -> Vec<u8> {
    let len = (body.len() + 4).min(0xFFFF) as u16;
    let mut f = vec![3, 0];
    f.extend_from_slice(&len.to_be_bytes());
    f.extend_from_slice(body);
    f
}

fn seeds() -> Vec<Vec<u8>> {
    let chal = ntlm::Challenge {
        negotiate_flags: 0xe28a_8235 | ntlm::flags::NEGOTIATE_VERSION,
        target_name: Some("CONTOSO".into()),
        server_challenge: [1, 2, 3, 4, 5, 6, 7, 8],
        version: Some(ntlm::NtlmVersion {
            major: 10,
            minor: 0,
            build: 17763,
            ntlm_revision: 15,
        }),
        netbios_computer_name: Some("RDS".into()),
        netbios_domain_name: Some("CONTOSO".into()),
        dns_computer_name: Some("rds.contoso.local".into()),
        dns_domain_name: Some("contoso.local".into()),
        dns_tree_name: Some("contoso.local".into()),
        timestamp: Some(133_000_000_000_000_000),
        av_flags: Some(2),
    };
    let challenge = ntlm::encode_challenge(&chal);
    let ts = credssp::TsRequest {
        version: 6,
        nego_token: Some(challenge.clone()),
        error_code: Some(0xC000_006D),
        has_auth_info: true,
        has_pub_key_auth: true,
        client_nonce: Some(vec![9; 32]),
    }
    .to_der();
    let resp = mcs::ConnectResponse {
        result: 0,
        server_core: Some(mcs::ServerCore {
            version: 0x0008_000C,
            client_requested_protocols: Some(3),
            early_capability_flags: Some(1),
        }),
        server_security: Some(mcs::ServerSecurity {
            encryption_method: 2,
            encryption_level: 3,
            server_random_len: 32,
            server_certificate_permanent: None,
            server_certificate: Some(mcs::ServerCertificate::X509 {
                chain: vec![vec![0x30; 40], vec![0x31; 60]],
            }),
        }),
        server_network: Some(mcs::ServerNetwork {
            io_channel: 1003,
            channel_ids: vec![1004, 1005, 1006],
        }),
        server_message_channel: Some(1007),
        server_multitransport_flags: Some(0x101),
    };
    let mut prop = resp.clone();
    prop.server_security.as_mut().unwrap().server_certificate =
        Some(mcs::ServerCertificate::Proprietary {
            public_key_bits: 512,
            public_exponent: 65537,
        });
    vec![
        x224::encode_connection_request(Some(3), Some("probe")),
        x224::encode_connection_request(None, None),
        x224::encode_connection_confirm(&x224::ConnectionConfirm::Response {
            selected_protocol: 2,
            flags: 0x1f,
        }),
        x224::encode_connection_confirm(&x224::ConnectionConfirm::Failure { code: 5 }),
        x224::encode_connection_confirm(&x224::ConnectionConfirm::NoNegotiationData),
        challenge,
        ts,
        credssp::encode_ts_request(6, &ntlm::encode_negotiate()),
        mcs::encode_connect_response(&resp),
        mcs::encode_connect_response(&prop),
        mcs::encode_disconnect_provider_ultimatum(3),
        mcs::encode_erect_domain_request(),
        mcs::encode_attach_user_request(),
        mcs::encode_attach_user_confirm(1007),
        mcs::encode_channel_join_request(1007, 1003),
        mcs::encode_channel_join_confirm(1007, 1003),
        rdp::encode_client_info(1007, 1003, &rdp::ClientInfoOptions::default()),
        rdp::encode_license_error_valid_client(1002, 1003),
        rdp::encode_set_error_info(1002, 1003, 7),
        rdp::encode_demand_active(1002, 1003, 0x0001_03EA),
        rdp::encode_save_session_info_logon_errors(
            1002,
            1003,
            0x0001_03EA,
            rdp::LogonErrors {
                notification_type: 0xC000_006D,
                notification_data: rdp::logon_failed::BAD_PASSWORD,
            },
        ),
        rdp::encode_save_session_info_plain_notify(1002, 1003, 0x0001_03EA),
        save_session_info_data(),
        security::encode_security_exchange(1007, 1003, &[7; 72]),
        encrypted_demand_active(),
        hex(include_str!(
            "data/xrdp-0.9-rdp-high.mcs-connect-response.hex"
        )),
        hex(include_str!(
            "data/xrdp-0.9-medium-3-channels.mcs-connect-response.hex"
        )),
        hex(include_str!("data/freerdp-2.11-shadow-nla.ts-request.hex")),
        // A TLS 1.0 ServerHello with renegotiation_info and extended_master_secret.
        hex(&format!(
            "16 03 01 00 35 02 00 00 31 03 01 {} 00 00 2f 00 00 09 ff 01 00 01 00 00 17 00 00",
            "5a ".repeat(32)
        )),
    ]
}

/// The data of a Save Session Info PDU alone (after the Share Data Header),
/// with both extended fields, for `decode_save_session_info` itself.
fn save_session_info_data() -> Vec<u8> {
    let mut v = 3u32.to_le_bytes().to_vec();
    v.extend_from_slice(&46u16.to_le_bytes());
    for w in [3u32, 28, 28, 1, 7, 0, 0, 0, 0, 8, 0xFFFF_FFFE, 1] {
        v.extend_from_slice(&w.to_le_bytes());
    }
    v
}

/// A Demand Active as a FIPS server sends it, for the session decoders.
fn encrypted_demand_active() -> Vec<u8> {
    let keys = SessionKeys::derive(em::FIPS, &[1; 32], &[2; 32]).unwrap();
    let mut server = Session::new(keys, Role::Server).unwrap();
    let plain = rdp::encode_demand_active(1002, 1003, 1);
    let pdu = mcs::decode_send_data_indication(&plain)
        .unwrap()
        .data
        .to_vec();
    mcs::encode_send_data_indication(1002, 1003, &server.encrypt(0, &pdu))
}

fn mutate(rng: &mut XorShift, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(8) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.byte();
            }
            2 if !v.is_empty() => {
                // Interesting values for length fields.
                let i = rng.below(v.len());
                v[i] = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xff][rng.below(8)];
            }
            3 => v.truncate(rng.below(v.len() + 1)),
            4 => {
                let i = rng.below(v.len() + 1);
                let n = rng.below(16);
                let extra = rng.bytes(n);
                v.splice(i..i, extra);
            }
            5 if v.len() > 1 => {
                let i = rng.below(v.len());
                let n = rng.below(v.len() - i);
                v.drain(i..i + n);
            }
            6 if v.len() >= 4 => {
                // Make the TPKT length agree with the mutated size again.
                let len = (v.len().min(0xFFFF)) as u16;
                v[2..4].copy_from_slice(&len.to_be_bytes());
            }
            _ => {
                let i = rng.below(v.len() + 1);
                v.insert(i, rng.byte());
            }
        }
    }
    v
}

#[test]
fn random_inputs_never_panic() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut failures = Vec::new();
    for i in 0..20_000 {
        let len = rng.below(if i % 10 == 0 { 2048 } else { 160 });
        let noise = rng.bytes(len);
        let input = match i % 5 {
            0 => noise,
            1 => tpkt_frame(&noise),
            2 => tpkt_frame(&[&[2u8, 0xF0, 0x80, 0x7F, 0x66][..], &noise].concat()),
            3 => [&[0x30u8, 0x82, (len >> 8) as u8, len as u8][..], &noise].concat(),
            _ => [&b"NTLMSSP\0\x02\0\0\0"[..], &noise].concat(),
        };
        check(&input, &mut failures);
    }
    assert_none_panicked(&failures);
}

#[test]
fn mutated_valid_pdus_never_panic() {
    let mut rng = XorShift(0xD1B5_4A32_D192_ED03);
    let mut failures = Vec::new();
    let seeds = seeds();
    let mut decoded_somewhere = 0;
    for seed in &seeds {
        check(seed, &mut failures);
        for _ in 0..5_000 {
            let m = mutate(&mut rng, seed);
            check(&m, &mut failures);
            if mcs::decode_connect_response(&m).is_ok()
                || ntlm::decode_challenge(&m).is_ok()
                || rdp::decode_server_pdu(&m).is_ok()
            {
                decoded_somewhere += 1;
            }
        }
    }
    assert_none_panicked(&failures);
    // The corpus must reach past the first checks, or it proves little.
    assert!(
        decoded_somewhere > 1_000,
        "only {decoded_somewhere} mutants decoded"
    );
}

#[test]
fn every_prefix_of_every_seed_is_handled() {
    let mut failures = Vec::new();
    for seed in seeds() {
        for cut in 0..=seed.len() {
            check(&seed[..cut], &mut failures);
        }
    }
    assert_none_panicked(&failures);
}

#[test]
fn early_user_auth_result_decodes_and_truncation_is_an_error() {
    assert_eq!(
        credssp::decode_early_user_auth_result(&[5, 0, 0, 0]).unwrap(),
        5
    );
    assert_eq!(credssp::authz_result_name(5), Some("AUTHZ_ACCESS_DENIED"));
    assert_eq!(credssp::authz_result_name(0), Some("AUTHZ_SUCCESS"));
    assert_eq!(credssp::authz_result_name(7), None);
    for n in 0..4 {
        assert!(credssp::decode_early_user_auth_result(&[0; 4][..n]).is_err());
    }
}
