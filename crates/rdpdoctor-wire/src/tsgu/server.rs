//! [MS-TSGU 2.2.10] The packets an RD Gateway answers with: decoded for the
//! probe, encoded for the emulated gateway.

use super::{ProxyError, body, from_utf16z, packet, packet_type, put_blob, read_blob, utf16z};
use crate::error::WireError;
use crate::reader::Reader;

/// [MS-TSGU 2.2.10.11] HTTP_HANDSHAKE_RESPONSE_PACKET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeResponse {
    /// errorCode.
    pub error: ProxyError,
    /// verMajor.
    pub ver_major: u8,
    /// verMinor.
    pub ver_minor: u8,
    /// serverVersion.
    pub server_version: u16,
    /// extendedAuth the gateway accepts.
    pub extended_auth: u16,
}

/// [MS-TSGU 2.2.10.20] HTTP_TUNNEL_RESPONSE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TunnelResponse {
    /// serverVersion.
    pub server_version: u16,
    /// statusCode.
    pub status: Option<ProxyError>,
    /// tunnelId (HTTP_TUNNEL_RESPONSE_FIELD_TUNNEL_ID).
    pub tunnel_id: Option<u32>,
    /// capsFlags (HTTP_TUNNEL_RESPONSE_FIELD_CAPS).
    pub caps_flags: Option<u32>,
    /// The nonce and server certificate of HTTP_TUNNEL_RESPONSE_FIELD_SOH_REQ.
    pub soh_request: Option<([u8; 20], Vec<u8>)>,
    /// The consent message (HTTP_TUNNEL_RESPONSE_FIELD_CONSENT_MSG): server text.
    pub consent_message: Option<String>,
}

/// [MS-TSGU 2.2.10.16] HTTP_TUNNEL_AUTH_RESPONSE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelAuthResponse {
    /// errorCode.
    pub error: ProxyError,
    /// Redirection flags (HTTP_TUNNEL_AUTH_RESPONSE_FIELD_REDIR_FLAGS).
    pub redir_flags: Option<u32>,
    /// Idle timeout in minutes (HTTP_TUNNEL_AUTH_RESPONSE_FIELD_IDLE_TIMEOUT).
    pub idle_timeout: Option<u32>,
    /// The statement-of-health response (HTTP_TUNNEL_AUTH_RESPONSE_FIELD_SOH_RESPONSE).
    pub soh_response: Option<Vec<u8>>,
}

/// [MS-TSGU 2.2.10.4] HTTP_CHANNEL_RESPONSE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelResponse {
    /// errorCode.
    pub error: ProxyError,
    /// channelId (HTTP_CHANNEL_RESPONSE_FIELD_CHANNELID).
    pub channel_id: Option<u32>,
    /// The UDP side channel's port (HTTP_CHANNEL_RESPONSE_FIELD_UDPPORT).
    pub udp_port: Option<u16>,
    /// The UDP authentication cookie (HTTP_CHANNEL_RESPONSE_FIELD_AUTHNCOOKIE).
    pub authn_cookie: Option<Vec<u8>>,
}

/// A packet a gateway sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerPacket {
    /// Handshake response.
    HandshakeResponse(HandshakeResponse),
    /// Tunnel create response.
    TunnelResponse(TunnelResponse),
    /// Tunnel auth response.
    TunnelAuthResponse(TunnelAuthResponse),
    /// Channel create response.
    ChannelResponse(ChannelResponse),
    /// [MS-TSGU 2.2.10.6] Data from the target.
    Data(Vec<u8>),
    /// Keepalive.
    Keepalive,
    /// [MS-TSGU 2.2.10.3] The gateway closes the channel, with a status.
    CloseChannel(ProxyError),
    /// The gateway's answer to the client's close.
    CloseChannelResponse(ProxyError),
    /// Any other packet type (service message, re-authentication, …), kept by type.
    Other {
        /// packetType.
        packet_type: u16,
        /// Bytes after the header.
        body_len: usize,
    },
}

/// Decodes the gateway packet at the start of `buf`.
pub fn decode_server_packet(buf: &[u8]) -> Result<ServerPacket, WireError> {
    let (h, mut r) = body(buf)?;
    Ok(match h.packet_type {
        packet_type::HANDSHAKE_RESPONSE => ServerPacket::HandshakeResponse(HandshakeResponse {
            error: ProxyError::from_u32(r.u32_le("errorCode")?),
            ver_major: r.u8("verMajor")?,
            ver_minor: r.u8("verMinor")?,
            server_version: r.u16_le("serverVersion")?,
            extended_auth: r.u16_le("extendedAuth")?,
        }),
        packet_type::TUNNEL_RESPONSE => ServerPacket::TunnelResponse(tunnel_response(&mut r)?),
        packet_type::TUNNEL_AUTH_RESPONSE => {
            let error = ProxyError::from_u32(r.u32_le("errorCode")?);
            let fields = r.u16_le("fieldsPresent")?;
            r.skip(2, "reserved")?;
            let redir_flags = opt(fields & 0x1 != 0, || r.u32_le("redirFlags"))?;
            let idle_timeout = opt(fields & 0x2 != 0, || r.u32_le("idleTimeout"))?;
            let soh_response = opt(fields & 0x4 != 0, || {
                read_blob(&mut r, "SoHResponse").map(<[u8]>::to_vec)
            })?;
            ServerPacket::TunnelAuthResponse(TunnelAuthResponse {
                error,
                redir_flags,
                idle_timeout,
                soh_response,
            })
        }
        packet_type::CHANNEL_RESPONSE => {
            let error = ProxyError::from_u32(r.u32_le("errorCode")?);
            let fields = r.u16_le("fieldsPresent")?;
            r.skip(2, "reserved")?;
            let channel_id = opt(fields & 0x1 != 0, || r.u32_le("channelId"))?;
            let udp_port = opt(fields & 0x4 != 0, || r.u16_le("udpPort"))?;
            let authn_cookie = opt(fields & 0x2 != 0, || {
                read_blob(&mut r, "authnCookie").map(<[u8]>::to_vec)
            })?;
            ServerPacket::ChannelResponse(ChannelResponse {
                error,
                channel_id,
                udp_port,
                authn_cookie,
            })
        }
        packet_type::DATA => ServerPacket::Data(read_blob(&mut r, "data")?.to_vec()),
        packet_type::KEEPALIVE => ServerPacket::Keepalive,
        packet_type::CLOSE_CHANNEL => {
            ServerPacket::CloseChannel(ProxyError::from_u32(r.u32_le("statusCode")?))
        }
        packet_type::CLOSE_CHANNEL_RESPONSE => {
            ServerPacket::CloseChannelResponse(ProxyError::from_u32(r.u32_le("statusCode")?))
        }
        other => ServerPacket::Other {
            packet_type: other,
            body_len: r.remaining(),
        },
    })
}

fn opt<T>(
    present: bool,
    read: impl FnOnce() -> Result<T, WireError>,
) -> Result<Option<T>, WireError> {
    if present { read().map(Some) } else { Ok(None) }
}

/// A status (errorCode / statusCode), fieldsPresent and the reserved 16 bits.
fn put_status_fields(b: &mut Vec<u8>, status: ProxyError, fields: u16) {
    b.extend_from_slice(&status.code().to_le_bytes());
    b.extend_from_slice(&fields.to_le_bytes());
    b.extend_from_slice(&[0, 0]);
}

fn tunnel_response(r: &mut Reader<'_>) -> Result<TunnelResponse, WireError> {
    let server_version = r.u16_le("serverVersion")?;
    let status = Some(ProxyError::from_u32(r.u32_le("statusCode")?));
    let fields = r.u16_le("fieldsPresent")?;
    r.skip(2, "reserved")?;
    let tunnel_id = opt(fields & 0x1 != 0, || r.u32_le("tunnelId"))?;
    let caps_flags = opt(fields & 0x2 != 0, || r.u32_le("capsFlags"))?;
    let soh_request = opt(fields & 0x4 != 0, || {
        let nonce = r.array::<20>("nonce")?;
        let cert = read_blob(r, "serverCert")?.to_vec();
        Ok((nonce, cert))
    })?;
    let consent_message = opt(fields & 0x10 != 0, || {
        read_blob(r, "consentMsg").map(from_utf16z)
    })?;
    Ok(TunnelResponse {
        server_version,
        status,
        tunnel_id,
        caps_flags,
        soh_request,
        consent_message,
    })
}

impl ServerPacket {
    /// The bytes on the wire (what the emulated gateway sends).
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        let t = match self {
            ServerPacket::HandshakeResponse(h) => {
                b.extend_from_slice(&h.error.code().to_le_bytes());
                b.extend_from_slice(&[h.ver_major, h.ver_minor]);
                b.extend_from_slice(&h.server_version.to_le_bytes());
                b.extend_from_slice(&h.extended_auth.to_le_bytes());
                packet_type::HANDSHAKE_RESPONSE
            }
            ServerPacket::TunnelResponse(t) => {
                b.extend_from_slice(&t.server_version.to_le_bytes());
                let fields = u16::from(t.tunnel_id.is_some())
                    | u16::from(t.caps_flags.is_some()) << 1
                    | u16::from(t.soh_request.is_some()) << 2
                    | u16::from(t.consent_message.is_some()) << 4;
                put_status_fields(&mut b, t.status.unwrap_or(ProxyError::Success), fields);
                if let Some(id) = t.tunnel_id {
                    b.extend_from_slice(&id.to_le_bytes());
                }
                if let Some(c) = t.caps_flags {
                    b.extend_from_slice(&c.to_le_bytes());
                }
                if let Some((nonce, cert)) = &t.soh_request {
                    b.extend_from_slice(nonce);
                    put_blob(&mut b, cert);
                }
                if let Some(m) = &t.consent_message {
                    put_blob(&mut b, &utf16z(m));
                }
                packet_type::TUNNEL_RESPONSE
            }
            ServerPacket::TunnelAuthResponse(a) => {
                let fields = u16::from(a.redir_flags.is_some())
                    | u16::from(a.idle_timeout.is_some()) << 1
                    | u16::from(a.soh_response.is_some()) << 2;
                put_status_fields(&mut b, a.error, fields);
                if let Some(f) = a.redir_flags {
                    b.extend_from_slice(&f.to_le_bytes());
                }
                if let Some(t) = a.idle_timeout {
                    b.extend_from_slice(&t.to_le_bytes());
                }
                if let Some(s) = &a.soh_response {
                    put_blob(&mut b, s);
                }
                packet_type::TUNNEL_AUTH_RESPONSE
            }
            ServerPacket::ChannelResponse(c) => {
                let fields = u16::from(c.channel_id.is_some())
                    | u16::from(c.authn_cookie.is_some()) << 1
                    | u16::from(c.udp_port.is_some()) << 2;
                put_status_fields(&mut b, c.error, fields);
                if let Some(id) = c.channel_id {
                    b.extend_from_slice(&id.to_le_bytes());
                }
                if let Some(p) = c.udp_port {
                    b.extend_from_slice(&p.to_le_bytes());
                }
                if let Some(k) = &c.authn_cookie {
                    put_blob(&mut b, k);
                }
                packet_type::CHANNEL_RESPONSE
            }
            ServerPacket::Data(d) => {
                put_blob(&mut b, d);
                packet_type::DATA
            }
            ServerPacket::Keepalive => packet_type::KEEPALIVE,
            ServerPacket::CloseChannel(s) => {
                b.extend_from_slice(&s.code().to_le_bytes());
                packet_type::CLOSE_CHANNEL
            }
            ServerPacket::CloseChannelResponse(s) => {
                b.extend_from_slice(&s.code().to_le_bytes());
                packet_type::CLOSE_CHANNEL_RESPONSE
            }
            ServerPacket::Other { packet_type, .. } => *packet_type,
        };
        packet(t, &b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_packets() -> Vec<ServerPacket> {
        vec![
            ServerPacket::HandshakeResponse(HandshakeResponse {
                error: ProxyError::Success,
                ver_major: 1,
                ver_minor: 0,
                server_version: 0,
                extended_auth: 0,
            }),
            ServerPacket::TunnelResponse(TunnelResponse {
                server_version: 5,
                status: Some(ProxyError::EProxyNapAccessdenied),
                tunnel_id: Some(7),
                caps_flags: Some(0x3F),
                soh_request: Some(([9; 20], vec![1, 2, 3])),
                consent_message: Some("Authorised use only".into()),
            }),
            ServerPacket::TunnelAuthResponse(TunnelAuthResponse {
                error: ProxyError::Other(0x8000_4005),
                redir_flags: Some(0x8000_0000),
                idle_timeout: Some(0),
                soh_response: None,
            }),
            ServerPacket::ChannelResponse(ChannelResponse {
                error: ProxyError::EProxyTsConnectfailed,
                channel_id: Some(1),
                udp_port: Some(3391),
                authn_cookie: Some(vec![4; 16]),
            }),
            ServerPacket::Data(vec![3, 0, 0, 19]),
            ServerPacket::Keepalive,
            ServerPacket::CloseChannel(ProxyError::Success),
            ServerPacket::CloseChannelResponse(ProxyError::EProxyMaxconnectionsreached),
        ]
    }

    #[test]
    fn server_packets_round_trip_and_every_truncation_is_an_error() {
        for p in server_packets() {
            let bytes = p.encode();
            assert_eq!(decode_server_packet(&bytes), Ok(p.clone()));
            for n in 0..bytes.len() {
                assert!(
                    decode_server_packet(&bytes[..n]).is_err(),
                    "{p:?} prefix {n}"
                );
            }
        }
    }

    #[test]
    fn a_denied_tunnel_keeps_its_hresult_by_name() {
        // A tunnel response with only the status: E_PROXY_NAP_ACCESSDENIED.
        let bytes = [
            5, 0, 0, 0, 18, 0, 0, 0, 5, 0, 0xDB, 0x59, 0x07, 0x80, 0, 0, 0, 0,
        ];
        let ServerPacket::TunnelResponse(t) = decode_server_packet(&bytes).unwrap() else {
            panic!("not a tunnel response");
        };
        assert_eq!(
            t.status.and_then(ProxyError::name),
            Some("E_PROXY_NAP_ACCESSDENIED")
        );
    }

    #[test]
    fn an_unknown_type_is_kept_by_type() {
        let bytes = packet(0xB, &[1, 2]);
        assert_eq!(
            decode_server_packet(&bytes),
            Ok(ServerPacket::Other {
                packet_type: 0xB,
                body_len: 2
            })
        );
    }
}
