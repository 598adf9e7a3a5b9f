//! PDUs captured from real servers on loopback (xrdp 0.9.21 and FreeRDP
//! 2.11.7 freerdp-shadow-cli on Debian 12), answering this crate's own
//! Connection Request, Connect Initial and TSRequest. See tests/data/README.md.

use rdpdoctor_testkit::hex::hex;
use rdpdoctor_wire::{credssp, mcs, ntlm, tpkt, x224};

fn response(file: &str) -> mcs::ConnectResponse {
    let frame = hex(file);
    assert_eq!(
        tpkt::frame_len(&frame),
        Ok(Some(frame.len())),
        "one whole TPKT frame"
    );
    mcs::decode_connect_response(&frame).unwrap()
}

#[test]
fn xrdp_standard_rdp_security_high() {
    let r = response(include_str!(
        "data/xrdp-0.9-rdp-high.mcs-connect-response.hex"
    ));
    let core = r.server_core.unwrap();
    assert_eq!(
        mcs::rdp_version_name(core.version),
        Some("RDP 5.0, 5.1, 5.2, 6.0, 6.1, 7.0, 7.1, 8.0 or 8.1")
    );
    assert_eq!(
        core.client_requested_protocols,
        Some(3),
        "echo of our RDP_NEG_REQ"
    );
    let sec = r.server_security.unwrap();
    assert_eq!(mcs::encryption_level_name(sec.encryption_level), "HIGH");
    assert_eq!(
        mcs::encryption_method_names(sec.encryption_method),
        ["128BIT"]
    );
    assert_eq!(sec.server_random_len, 32);
    // xrdp's rsakeys.ini key is sent as a proprietary certificate.
    assert_eq!(
        sec.server_certificate,
        Some(mcs::ServerCertificate::Proprietary {
            public_key_bits: 2048,
            public_exponent: 65537
        })
    );
}

#[test]
fn xrdp_fips() {
    let r = response(include_str!(
        "data/xrdp-0.9-rdp-fips.mcs-connect-response.hex"
    ));
    let sec = r.server_security.unwrap();
    assert_eq!(mcs::encryption_level_name(sec.encryption_level), "FIPS");
    assert_eq!(
        mcs::encryption_method_names(sec.encryption_method),
        ["FIPS"]
    );
}

#[test]
fn xrdp_tls_has_no_rdp_encryption() {
    let r = response(include_str!("data/xrdp-0.9-tls.mcs-connect-response.hex"));
    let sec = r.server_security.unwrap();
    assert_eq!((sec.encryption_method, sec.encryption_level), (0, 0));
    assert_eq!(sec.server_certificate, None);
    assert_eq!(r.server_network.unwrap().io_channel, 1003);
}

#[test]
fn xrdp_allocates_the_requested_channels() {
    // Requested drdynvc, cliprdr, rdpsnd (an odd count: SC_NET is padded).
    let r = response(include_str!(
        "data/xrdp-0.9-medium-3-channels.mcs-connect-response.hex"
    ));
    assert_eq!(r.server_network.unwrap().channel_ids, [1004, 1005, 1006]);
    let sec = r.server_security.unwrap();
    assert_eq!(
        mcs::encryption_level_name(sec.encryption_level),
        "CLIENT_COMPATIBLE"
    );
    assert_eq!(
        mcs::encryption_method_names(sec.encryption_method),
        ["40BIT"]
    );
}

#[test]
fn freerdp_shadow_rdp_and_tls() {
    let r = response(include_str!(
        "data/freerdp-2.11-shadow-rdp.mcs-connect-response.hex"
    ));
    let core = r.server_core.unwrap();
    assert_eq!(core.early_capability_flags, Some(0));
    assert_eq!(r.server_network.unwrap().channel_ids, [1004, 1005, 1006]);
    // freerdp-shadow's "RDP security" runs at encryption level NONE.
    let sec = r.server_security.unwrap();
    assert_eq!(mcs::encryption_level_name(sec.encryption_level), "NONE");
    let r = response(include_str!(
        "data/freerdp-2.11-shadow-tls.mcs-connect-response.hex"
    ));
    assert_eq!(r.server_core.unwrap().client_requested_protocols, Some(3));
    assert_eq!(r.server_network.unwrap().channel_ids, [1004]);
}

#[test]
fn freerdp_shadow_nla_challenge() {
    let bytes = hex(include_str!("data/freerdp-2.11-shadow-nla.ts-request.hex"));
    assert_eq!(credssp::ts_request_len(&bytes), Ok(Some(bytes.len())));
    let ts = credssp::decode_ts_request(&bytes).unwrap();
    assert_eq!(ts.version, 6);
    assert_eq!(ts.error_code, None);
    // FreeRDP 2 puts a clientNonce in its server TSRequests too.
    assert_eq!(ts.client_nonce.as_ref().map(Vec::len), Some(32));
    let token = ts.nego_token.unwrap();
    let c = ntlm::decode_challenge(ntlm::find_ntlmssp(&token).unwrap()).unwrap();
    assert_eq!(c.target_name.as_deref(), Some("VM"));
    assert_eq!(c.netbios_computer_name.as_deref(), Some("VM"));
    assert_eq!(c.dns_computer_name.as_deref(), Some("vm"));
    let v = c.version.unwrap();
    assert_eq!(v.to_string(), "6.1.7601", "winpr's fixed version");
    assert_eq!(
        v.windows_release(),
        Some("Windows 7 SP1 / Windows Server 2008 R2 SP1")
    );
    // The server clock when captured: 2026-11-21T11:51:13Z.
    assert_eq!(
        ntlm::filetime_to_unix_secs(c.timestamp.unwrap()),
        Some(1_795_261_873)
    );
}

#[test]
fn real_connection_confirms() {
    use x224::ConnectionConfirm::*;
    // xrdp answering a request without RDP_NEG_REQ.
    assert_eq!(
        x224::decode_connection_confirm(&hex("0300000b06d00000123400")),
        Ok(NoNegotiationData)
    );
    // freerdp-shadow answers the same legacy request with an RDP_NEG_RSP.
    assert_eq!(
        x224::decode_connection_confirm(&hex("030000130ed000000000000203080000000000")),
        Ok(Response {
            selected_protocol: 0,
            flags: 3
        })
    );
    // freerdp-shadow /sec:nla to a request without HYBRID.
    assert_eq!(
        x224::decode_connection_confirm(&hex("030000130ed000000000000300080005000000")),
        Ok(Failure { code: 5 })
    );
}
