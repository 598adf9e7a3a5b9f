//! A connection's two reassembled streams read with the wire decoders: the
//! X.224 negotiation ([MS-RDPBCGR 2.2.1.1–2.2.1.2]), TLS as far as it is in
//! the clear, or the MCS Connect Initial/Response of Standard RDP Security
//! ([MS-RDPBCGR 2.2.1.3–2.2.1.4]); and the messages each side sent, timed.

use rdpdoctor_evidence::ProtocolSet;
use rdpdoctor_evidence::capture::{
    AlertLevel, CaptureAlert, CaptureClientCore, CaptureConfirm, CaptureMessage, CaptureRequest,
    CaptureStandardSecurity, CaptureTls, MessageKind, Side,
};
use rdpdoctor_wire::tls_flight::{self, content_type};
use rdpdoctor_wire::{cert, mcs, tls, tpkt, x224};

use crate::stream::Stream;

/// The most messages kept per direction.
const MAX_MESSAGES: usize = 48;

/// What the two streams say.
#[derive(Default)]
pub struct Read {
    pub request: Option<CaptureRequest>,
    pub confirm: Option<CaptureConfirm>,
    pub tls: Option<CaptureTls>,
    pub standard_security: Option<CaptureStandardSecurity>,
    pub messages: Vec<CaptureMessage>,
}

/// Does this client stream start with a TPKT + X.224 Connection Request?
pub fn starts_with_connection_request(bytes: &[u8]) -> bool {
    matches!(bytes, [3, 0, _, _, _, code, ..] if code & 0xF0 == 0xE0)
}

/// The whole TPKT frames at the start of `bytes`, and the offset after them.
fn tpkt_frames(bytes: &[u8]) -> (Vec<(usize, &[u8])>, usize) {
    let mut at = 0;
    let mut frames = Vec::new();
    while let Some(rest) = bytes.get(at..)
        && let Ok(Some(len)) = tpkt::frame_len(rest)
        && let Some(frame) = rest.get(..len)
    {
        at += len;
        frames.push((at, frame));
        if frames.len() >= MAX_MESSAGES {
            break;
        }
    }
    (frames, at)
}

/// The TLS records at the start of `bytes`: (end offset, content type,
/// first handshake type).
fn tls_records(bytes: &[u8]) -> Vec<(usize, u8, Option<u8>)> {
    let mut at = 0;
    let mut out = Vec::new();
    while let Some(&[ty, 3, _, hi, lo]) = bytes.get(at..at + 5)
        && (20..=23).contains(&ty)
    {
        let end = at + 5 + usize::from(u16::from_be_bytes([hi, lo]));
        if end > bytes.len() || out.len() >= MAX_MESSAGES {
            break;
        }
        out.push((end, ty, bytes.get(at + 5).copied()));
        at = end;
    }
    out
}

fn message(
    from: Side,
    name: MessageKind,
    stream: &Stream,
    end: usize,
    start_us: u64,
) -> CaptureMessage {
    let ts = stream.time_of(end).unwrap_or(start_us);
    CaptureMessage {
        from,
        name,
        at_ms: ts.saturating_sub(start_us) as f64 / 1000.0,
    }
}

/// Reads both streams; `start_us` is the connection's first packet.
pub fn read(client: &Stream, server: &Stream, start_us: u64) -> Read {
    let mut out = Read::default();
    let (c_frames, c_after) = tpkt_frames(&client.bytes);
    let (s_frames, s_after) = tpkt_frames(&server.bytes);
    let mut msgs = Vec::new();
    if let Some((end, frame)) = c_frames.first()
        && let Ok(cr) = x224::decode_connection_request(frame)
    {
        msgs.push(message(
            Side::Client,
            MessageKind::X224ConnectionRequest,
            client,
            *end,
            start_us,
        ));
        let mstshash = cr.cookie.as_deref().and_then(|c| {
            c.strip_prefix("Cookie: mstshash=")
                .map(|u| u.trim_end_matches('\0').to_string())
        });
        out.request = Some(CaptureRequest {
            requested: ProtocolSet::from_bits(cr.requested_protocols),
            flags: cr.flags,
            cookie: cr.cookie,
            mstshash,
        });
    }
    let mut selected = None;
    if let Some((end, frame)) = s_frames.first()
        && let Ok(cc) = x224::decode_connection_confirm(frame)
    {
        msgs.push(message(
            Side::Server,
            MessageKind::X224ConnectionConfirm,
            server,
            *end,
            start_us,
        ));
        out.confirm = Some(match cc {
            x224::ConnectionConfirm::Response {
                selected_protocol,
                flags,
            } => {
                selected = Some(selected_protocol);
                CaptureConfirm {
                    selected: Some(ProtocolSet::from_bits(Some(selected_protocol))),
                    flags: Some(flags),
                    failure_code: None,
                    failure: None,
                }
            }
            x224::ConnectionConfirm::Failure { code } => CaptureConfirm {
                selected: None,
                flags: None,
                failure_code: Some(code),
                failure: x224::failure_code_name(code).map(str::to_string),
            },
            x224::ConnectionConfirm::NoNegotiationData => {
                selected = Some(x224::protocol::RDP);
                CaptureConfirm {
                    selected: Some(ProtocolSet::from_bits(Some(x224::protocol::RDP))),
                    flags: None,
                    failure_code: None,
                    failure: None,
                }
            }
        });
    }
    match selected {
        Some(x224::protocol::RDP) => read_standard(
            &c_frames, &s_frames, client, server, start_us, &mut out, &mut msgs,
        ),
        Some(_) => tls_part(
            client,
            server,
            (c_after, s_after),
            start_us,
            &mut out,
            &mut msgs,
        ),
        // TLS from the first byte: the hop to an RD Gateway (`gateway`).
        None if out.request.is_none()
            && crate::gateway::starts_with_client_hello(&client.bytes) =>
        {
            tls_part(client, server, (0, 0), start_us, &mut out, &mut msgs)
        }
        None => {}
    }
    msgs.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
    out.messages = msgs;
    out
}

/// TLS from `after` (client, server) on: its facts and its records.
fn tls_part(
    client: &Stream,
    server: &Stream,
    (c_after, s_after): (usize, usize),
    start_us: u64,
    out: &mut Read,
    msgs: &mut Vec<CaptureMessage>,
) {
    let c_rest = client.bytes.get(c_after..).unwrap_or(&[]);
    let s_rest = server.bytes.get(s_after..).unwrap_or(&[]);
    out.tls = Some(read_tls(c_rest, s_rest, start_us));
    for (side, rest, after, stream) in [
        (Side::Client, c_rest, c_after, client),
        (Side::Server, s_rest, s_after, server),
    ] {
        for (end, ty, hs) in tls_records(rest) {
            let name = match (ty, hs) {
                (content_type::HANDSHAKE, Some(1)) => MessageKind::TlsClientHello,
                (content_type::HANDSHAKE, Some(2)) => MessageKind::TlsServerHello,
                (content_type::HANDSHAKE, _) => MessageKind::TlsHandshake,
                (content_type::CHANGE_CIPHER_SPEC, _) => MessageKind::TlsChangeCipherSpec,
                (content_type::ALERT, _) => MessageKind::TlsAlert,
                _ => MessageKind::TlsApplicationData,
            };
            msgs.push(message(side, name, stream, after + end, start_us));
        }
    }
}

fn read_standard(
    c_frames: &[(usize, &[u8])],
    s_frames: &[(usize, &[u8])],
    client: &Stream,
    server: &Stream,
    start_us: u64,
    out: &mut Read,
    msgs: &mut Vec<CaptureMessage>,
) {
    let mut sec = CaptureStandardSecurity::default();
    for (i, (end, frame)) in c_frames.iter().enumerate().skip(1) {
        let name = if i == 1
            && let Ok(ci) = mcs::decode_connect_initial(frame)
        {
            sec.client_encryption_methods = mcs::encryption_method_names(ci.encryption_methods)
                .iter()
                .map(|m| m.to_lowercase())
                .collect();
            sec.client_core = ci.core.as_ref().map(|core| client_core(core, &ci.channels));
            MessageKind::McsConnectInitial
        } else {
            MessageKind::RdpPdu
        };
        msgs.push(message(Side::Client, name, client, *end, start_us));
    }
    for (i, (end, frame)) in s_frames.iter().enumerate().skip(1) {
        let name = if i == 1
            && let Ok(resp) = mcs::decode_connect_response(frame)
        {
            if let Some(ss) = resp.server_security {
                sec.encryption_method = mcs::encryption_method_names(ss.encryption_method)
                    .first()
                    .map(|m| m.to_lowercase());
                sec.encryption_level = Some(mcs::encryption_level_name(ss.encryption_level).into());
                sec.permanent = ss.server_certificate_permanent;
                if let Some(c) = &ss.server_certificate {
                    sec.key_bits = c.public_key_bits();
                    match c {
                        mcs::ServerCertificate::Proprietary { .. } => {
                            sec.certificate_type = Some("proprietary".into())
                        }
                        mcs::ServerCertificate::X509 { chain } => {
                            sec.certificate_type = Some("x509".into());
                            sec.chain_length = Some(chain.len());
                        }
                        mcs::ServerCertificate::Unknown { .. } => {}
                    }
                }
            }
            MessageKind::McsConnectResponse
        } else {
            MessageKind::RdpPdu
        };
        msgs.push(message(Side::Server, name, server, *end, start_us));
    }
    if c_frames.len() > 1 || s_frames.len() > 1 {
        out.standard_security = Some(sec);
    }
}

/// The client's Core Data as evidence, its build named.
fn client_core(core: &mcs::ClientCore, channels: &[String]) -> CaptureClientCore {
    CaptureClientCore {
        client_build: core.client_build,
        windows_release: core
            .client_build
            .and_then(mcs::client_build_release)
            .map(str::to_string),
        client_name: core.client_name.clone(),
        keyboard_layout: core.keyboard_layout,
        desktop_width: core.desktop_width,
        desktop_height: core.desktop_height,
        color_depth: core.requested_color_depth(),
        client_dig_product_id: core.client_dig_product_id.clone(),
        channels: channels.to_vec(),
    }
}

fn read_tls(client: &[u8], server: &[u8], start_us: u64) -> CaptureTls {
    let c = tls_flight::read_flight(client);
    let s = tls_flight::read_flight(server);
    let mut t = CaptureTls::default();
    if let Some(h) = &c.client_hello {
        t.client_versions = h.offered_versions().iter().map(|v| version(*v)).collect();
        t.client_cipher_suites = h
            .cipher_suites
            .iter()
            .map(|s| format!("{s:#06x}"))
            .collect();
        t.server_name = h.server_name.clone();
    }
    if let Ok(sh) = tls::decode_server_hello(server) {
        // [RFC 8446 4.2.1] a TLS 1.3 ServerHello says 1.2 and carries
        // supported_versions.
        let v = if sh.extensions.contains(&43) {
            0x0304
        } else {
            sh.version
        };
        t.server_version = Some(version(v));
        t.cipher_suite = Some(format!("{:#06x}", sh.cipher_suite));
        t.secure_renegotiation = Some(sh.secure_renegotiation());
    }
    let now = i64::try_from(start_us / 1_000_000).unwrap_or(i64::MAX);
    t.certificates = s
        .certificates
        .iter()
        .filter_map(|der| cert::analyze(der).ok())
        .enumerate()
        .map(|(i, info)| {
            // The leaf against the name the client asked for (its SNI).
            let named = (i == 0)
                .then_some(t.server_name.as_deref())
                .flatten()
                .map(|n| info.matches_host(n));
            rdpdoctor_evidence::CertificateFacts::at(info, now, named, None)
        })
        .collect();
    for (from, flight) in [(Side::Client, &c), (Side::Server, &s)] {
        for a in &flight.alerts {
            t.alerts.push(CaptureAlert {
                from,
                // [RFC 5246 7.2] fatal(2); anything else is read as a warning.
                level: if a.level == 2 {
                    AlertLevel::Fatal
                } else {
                    AlertLevel::Warning
                },
                description: tls_flight::alert_name(a.description).into(),
            });
        }
    }
    t.handshake_finished = c.change_cipher_spec && s.change_cipher_spec;
    t.client_application_records = c.application_data_records as u64;
    t.server_application_records = s.application_data_records as u64;
    t
}

fn version(v: u16) -> String {
    tls_flight::version_name(v)
        .map(str::to_string)
        .unwrap_or_else(|| format!("{v:#06x}"))
}
