//! [MS-TSGU 2.2.10] The RD Gateway's HTTP transport packets, sans I/O: the
//! packets a client sends (encoded here and decoded for the emulator) and
//! those a gateway answers (in [`server`]), each framed by an 8-byte
//! [`PacketHeader`] ([MS-TSGU 2.2.10.9] HTTP_PACKET_HEADER).
//!
//! Every status a gateway returns is kept typed as a [`ProxyError`]
//! ([MS-TSGU 2.2.6]), unknown values raw. A packet is at most
//! [`MAX_PACKET`] bytes, refused from its header before its body arrives.

mod hresult;
pub mod server;

pub use hresult::{ProxyError, proxy_error_name};
pub use server::{
    ChannelResponse, HandshakeResponse, ServerPacket, TunnelAuthResponse, TunnelResponse,
    decode_server_packet,
};

use crate::error::WireError;
use crate::reader::{Reader, len_from_u32, utf16le};

/// Bytes of [`PacketHeader`].
pub const HEADER_LEN: usize = 8;
/// Largest packet accepted: a data packet's 16-bit length plus its fields.
pub const MAX_PACKET: usize = 0x1_0000 + 16;

/// [MS-TSGU 2.2.5.3.3] HTTP_PACKET_TYPE.
pub mod packet_type {
    /// PKT_TYPE_HANDSHAKE_REQUEST
    pub const HANDSHAKE_REQUEST: u16 = 0x1;
    /// PKT_TYPE_HANDSHAKE_RESPONSE
    pub const HANDSHAKE_RESPONSE: u16 = 0x2;
    /// PKT_TYPE_EXTENDED_AUTH_MSG
    pub const EXTENDED_AUTH_MSG: u16 = 0x3;
    /// PKT_TYPE_TUNNEL_CREATE
    pub const TUNNEL_CREATE: u16 = 0x4;
    /// PKT_TYPE_TUNNEL_RESPONSE
    pub const TUNNEL_RESPONSE: u16 = 0x5;
    /// PKT_TYPE_TUNNEL_AUTH
    pub const TUNNEL_AUTH: u16 = 0x6;
    /// PKT_TYPE_TUNNEL_AUTH_RESPONSE
    pub const TUNNEL_AUTH_RESPONSE: u16 = 0x7;
    /// PKT_TYPE_CHANNEL_CREATE
    pub const CHANNEL_CREATE: u16 = 0x8;
    /// PKT_TYPE_CHANNEL_RESPONSE
    pub const CHANNEL_RESPONSE: u16 = 0x9;
    /// PKT_TYPE_DATA
    pub const DATA: u16 = 0xA;
    /// PKT_TYPE_SERVICE_MESSAGE
    pub const SERVICE_MESSAGE: u16 = 0xB;
    /// PKT_TYPE_REAUTH_MESSAGE
    pub const REAUTH_MESSAGE: u16 = 0xC;
    /// PKT_TYPE_KEEPALIVE
    pub const KEEPALIVE: u16 = 0xD;
    /// PKT_TYPE_CLOSE_CHANNEL
    pub const CLOSE_CHANNEL: u16 = 0x10;
    /// PKT_TYPE_CLOSE_CHANNEL_RESPONSE
    pub const CLOSE_CHANNEL_RESPONSE: u16 = 0x11;
}

/// [MS-TSGU 2.2.5.3.2] HTTP_EXTENDED_AUTH: no extended authentication (the
/// HTTP layer's NTLM or Negotiate is the authentication).
pub const HTTP_EXTENDED_AUTH_NONE: u16 = 0x0;
/// [MS-TSGU 2.2.5.3.4] HTTP_CAPABILITY_TYPE_QUAR_SOH.
pub const HTTP_CAPABILITY_TYPE_QUAR_SOH: u32 = 0x1;
/// [MS-TSGU 2.2.5.3.4] HTTP_CAPABILITY_IDLE_TIMEOUT.
pub const HTTP_CAPABILITY_IDLE_TIMEOUT: u32 = 0x2;
/// [MS-TSGU 2.2.5.3.4] HTTP_CAPABILITY_MESSAGING_SERVICE_MSG.
pub const HTTP_CAPABILITY_MESSAGING_SERVICE_MSG: u32 = 0x8;
/// [MS-TSGU 2.2.5.3.4] HTTP_CAPABILITY_UDP_TRANSPORT: the UDP side channel
/// ([MS-TSGU 1.3.3]); a gateway that negotiates it announces its `udpPort`
/// in the channel response.
pub const HTTP_CAPABILITY_UDP_TRANSPORT: u32 = 0x20;
/// [MS-TSGU 2.2.10.2] The channel's protocol: RDP.
pub const PROTOCOL_RDP: u16 = 3;

/// [MS-TSGU 2.2.10.9] HTTP_PACKET_HEADER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketHeader {
    /// packetType (see [`packet_type`]).
    pub packet_type: u16,
    /// packetLength: the whole packet, header included.
    pub packet_length: usize,
}

/// Reads the header at the start of `buf`, checking its length against
/// [`HEADER_LEN`] and [`MAX_PACKET`].
pub fn decode_header(buf: &[u8]) -> Result<PacketHeader, WireError> {
    let mut r = Reader::new(buf);
    let packet_type = r.u16_le("HTTP_PACKET_HEADER packetType")?;
    r.skip(2, "HTTP_PACKET_HEADER reserved")?;
    let packet_length = len_from_u32(r.u32_le("HTTP_PACKET_HEADER packetLength")?);
    if packet_length < HEADER_LEN {
        return Err(WireError::invalid(
            "HTTP_PACKET_HEADER packetLength",
            format!("{packet_length} is shorter than the header"),
        ));
    }
    if packet_length > MAX_PACKET {
        return Err(WireError::TooLarge {
            what: "MS-TSGU packet",
            len: packet_length,
            max: MAX_PACKET,
        });
    }
    Ok(PacketHeader {
        packet_type,
        packet_length,
    })
}

/// The length of the packet at the start of `buf`; `Ok(None)` until its
/// header is there. A [`crate::frame::Framer`].
pub fn packet_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    decode_header(buf).map(|h| Some(h.packet_length))
}

/// The header and a reader over the body of the whole packet at the start of `buf`.
pub(crate) fn body(buf: &[u8]) -> Result<(PacketHeader, Reader<'_>), WireError> {
    let h = decode_header(buf)?;
    let whole = buf.get(..h.packet_length).ok_or(WireError::Truncated {
        needed: h.packet_length,
        available: buf.len(),
        what: "MS-TSGU packet",
    })?;
    let mut r = Reader::new(whole);
    r.skip(HEADER_LEN, "HTTP_PACKET_HEADER")?;
    Ok((h, r))
}

/// Wraps `body` in a header of type `packet_type`.
pub(crate) fn packet(packet_type: u16, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len().saturating_add(HEADER_LEN)).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(body.len().saturating_add(HEADER_LEN));
    out.extend_from_slice(&packet_type.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// [MS-TSGU 2.2.10.1] HTTP_BYTE_BLOB / HTTP_UNICODE_STRING: a 16-bit length, then the bytes.
pub(crate) fn read_blob<'a>(r: &mut Reader<'a>, what: &'static str) -> Result<&'a [u8], WireError> {
    let n = usize::from(r.u16_le(what)?);
    r.take(n, what)
}

pub(crate) fn put_blob(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(bytes.get(..usize::from(n)).unwrap_or(bytes));
}

/// A string as UTF-16LE with its terminating null, as MS-TSGU carries names.
pub(crate) fn utf16z(s: &str) -> Vec<u8> {
    s.encode_utf16()
        .chain(std::iter::once(0))
        .flat_map(u16::to_le_bytes)
        .collect()
}

/// UTF-16LE without its terminating null(s).
pub(crate) fn from_utf16z(bytes: &[u8]) -> String {
    utf16le(bytes).trim_end_matches('\0').to_string()
}

/// A packet a client sends to the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientPacket {
    /// [MS-TSGU 2.2.10.10] HTTP_HANDSHAKE_REQUEST_PACKET.
    HandshakeRequest {
        /// verMajor (1).
        ver_major: u8,
        /// verMinor (0).
        ver_minor: u8,
        /// clientVersion (0).
        client_version: u16,
        /// extendedAuth (HTTP_EXTENDED_AUTH_*).
        extended_auth: u16,
    },
    /// [MS-TSGU 2.2.10.18] HTTP_TUNNEL_PACKET (tunnel create).
    TunnelCreate {
        /// capsFlags (HTTP_CAPABILITY_*).
        caps_flags: u32,
        /// The PAA cookie, when one is sent (HTTP_TUNNEL_PACKET_FIELD_PAA_COOKIE).
        paa_cookie: Option<Vec<u8>>,
    },
    /// [MS-TSGU 2.2.10.14] HTTP_TUNNEL_AUTH_PACKET.
    TunnelAuth {
        /// clientName: the client computer's name.
        client_name: String,
    },
    /// [MS-TSGU 2.2.10.2] HTTP_CHANNEL_PACKET (channel create).
    ChannelCreate {
        /// The target host names (pResourceName).
        resources: Vec<String>,
        /// Alternative names (pAltResourceName).
        alt_resources: Vec<String>,
        /// The target's port.
        port: u16,
        /// The protocol ([`PROTOCOL_RDP`]).
        protocol: u16,
    },
    /// [MS-TSGU 2.2.10.6] HTTP_DATA_PACKET.
    Data(Vec<u8>),
    /// [MS-TSGU 2.2.10.9] PKT_TYPE_KEEPALIVE: a header only.
    Keepalive,
    /// [MS-TSGU 2.2.10.3] HTTP_CLOSE_PACKET (close channel), with its status.
    CloseChannel(u32),
}

impl ClientPacket {
    /// The handshake request a client without extended authentication sends.
    pub fn handshake() -> Self {
        ClientPacket::HandshakeRequest {
            ver_major: 1,
            ver_minor: 0,
            client_version: 0,
            extended_auth: HTTP_EXTENDED_AUTH_NONE,
        }
    }

    /// The bytes on the wire. Names and data too long for their 16-bit
    /// length fields are refused.
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        let mut b = Vec::new();
        let t = match self {
            ClientPacket::HandshakeRequest {
                ver_major,
                ver_minor,
                client_version,
                extended_auth,
            } => {
                b.extend_from_slice(&[*ver_major, *ver_minor]);
                b.extend_from_slice(&client_version.to_le_bytes());
                b.extend_from_slice(&extended_auth.to_le_bytes());
                packet_type::HANDSHAKE_REQUEST
            }
            ClientPacket::TunnelCreate {
                caps_flags,
                paa_cookie,
            } => {
                b.extend_from_slice(&caps_flags.to_le_bytes());
                b.extend_from_slice(&u16::from(paa_cookie.is_some()).to_le_bytes());
                b.extend_from_slice(&[0, 0]);
                if let Some(c) = paa_cookie {
                    check_len(c.len(), "PAA cookie")?;
                    put_blob(&mut b, c);
                }
                packet_type::TUNNEL_CREATE
            }
            ClientPacket::TunnelAuth { client_name } => {
                let name = utf16z(client_name);
                check_len(name.len(), "clientName")?;
                b.extend_from_slice(&[0, 0]);
                put_blob(&mut b, &name);
                packet_type::TUNNEL_AUTH
            }
            ClientPacket::ChannelCreate {
                resources,
                alt_resources,
                port,
                protocol,
            } => {
                let count = |n: usize| {
                    u8::try_from(n).map_err(|_| WireError::TooLarge {
                        what: "resource names",
                        len: n,
                        max: 255,
                    })
                };
                b.push(count(resources.len())?);
                b.push(count(alt_resources.len())?);
                b.extend_from_slice(&port.to_le_bytes());
                b.extend_from_slice(&protocol.to_le_bytes());
                for name in resources.iter().chain(alt_resources) {
                    let n = utf16z(name);
                    check_len(n.len(), "resource name")?;
                    put_blob(&mut b, &n);
                }
                packet_type::CHANNEL_CREATE
            }
            ClientPacket::Data(d) => {
                check_len(d.len(), "data packet")?;
                put_blob(&mut b, d);
                packet_type::DATA
            }
            ClientPacket::Keepalive => packet_type::KEEPALIVE,
            ClientPacket::CloseChannel(status) => {
                b.extend_from_slice(&status.to_le_bytes());
                packet_type::CLOSE_CHANNEL
            }
        };
        Ok(packet(t, &b))
    }
}

fn check_len(n: usize, what: &'static str) -> Result<(), WireError> {
    if n > usize::from(u16::MAX) {
        return Err(WireError::TooLarge {
            what,
            len: n,
            max: usize::from(u16::MAX),
        });
    }
    Ok(())
}

/// Decodes the client packet at the start of `buf` (what a gateway reads).
pub fn decode_client_packet(buf: &[u8]) -> Result<ClientPacket, WireError> {
    let (h, mut r) = body(buf)?;
    Ok(match h.packet_type {
        packet_type::HANDSHAKE_REQUEST => ClientPacket::HandshakeRequest {
            ver_major: r.u8("verMajor")?,
            ver_minor: r.u8("verMinor")?,
            client_version: r.u16_le("clientVersion")?,
            extended_auth: r.u16_le("extendedAuth")?,
        },
        packet_type::TUNNEL_CREATE => {
            let caps_flags = r.u32_le("capsFlags")?;
            let fields = r.u16_le("fieldsPresent")?;
            r.skip(2, "reserved")?;
            let paa_cookie = if fields & 0x1 != 0 {
                Some(read_blob(&mut r, "PAA cookie")?.to_vec())
            } else {
                None
            };
            ClientPacket::TunnelCreate {
                caps_flags,
                paa_cookie,
            }
        }
        packet_type::TUNNEL_AUTH => {
            r.skip(2, "fieldsPresent")?;
            let name = read_blob(&mut r, "clientName")?;
            ClientPacket::TunnelAuth {
                client_name: from_utf16z(name),
            }
        }
        packet_type::CHANNEL_CREATE => {
            let n = r.u8("numResources")?;
            let alt = r.u8("numAltResources")?;
            let port = r.u16_le("port")?;
            let protocol = r.u16_le("protocol")?;
            let mut resources = Vec::new();
            for _ in 0..n {
                resources.push(from_utf16z(read_blob(&mut r, "pResourceName")?));
            }
            let mut alt_resources = Vec::new();
            for _ in 0..alt {
                alt_resources.push(from_utf16z(read_blob(&mut r, "pAltResourceName")?));
            }
            ClientPacket::ChannelCreate {
                resources,
                alt_resources,
                port,
                protocol,
            }
        }
        packet_type::DATA => ClientPacket::Data(read_blob(&mut r, "data")?.to_vec()),
        packet_type::KEEPALIVE => ClientPacket::Keepalive,
        packet_type::CLOSE_CHANNEL => ClientPacket::CloseChannel(r.u32_le("statusCode")?),
        other => {
            return Err(WireError::invalid(
                "MS-TSGU client packet type",
                format!("{other:#06x} is not one a client sends"),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_packets() -> Vec<ClientPacket> {
        vec![
            ClientPacket::handshake(),
            ClientPacket::TunnelCreate {
                caps_flags: HTTP_CAPABILITY_TYPE_QUAR_SOH | HTTP_CAPABILITY_MESSAGING_SERVICE_MSG,
                paa_cookie: None,
            },
            ClientPacket::TunnelCreate {
                caps_flags: 0,
                paa_cookie: Some(b"cookie".to_vec()),
            },
            ClientPacket::TunnelAuth {
                client_name: "PC-01".into(),
            },
            ClientPacket::ChannelCreate {
                resources: vec!["rdsh.lab".into()],
                alt_resources: vec![],
                port: 3389,
                protocol: PROTOCOL_RDP,
            },
            ClientPacket::Data(vec![3, 0, 0, 19]),
            ClientPacket::Keepalive,
            ClientPacket::CloseChannel(0),
        ]
    }

    #[test]
    fn client_packets_round_trip_and_every_truncation_is_an_error() {
        for p in client_packets() {
            let bytes = p.encode().unwrap();
            assert_eq!(packet_len(&bytes), Ok(Some(bytes.len())));
            assert_eq!(decode_client_packet(&bytes), Ok(p.clone()));
            for n in 0..bytes.len() {
                assert!(
                    decode_client_packet(&bytes[..n]).is_err(),
                    "{p:?} prefix {n}"
                );
            }
        }
    }

    #[test]
    fn the_handshake_request_is_14_bytes_as_ms_tsgu_lays_it_out() {
        assert_eq!(
            ClientPacket::handshake().encode().unwrap(),
            [1, 0, 0, 0, 14, 0, 0, 0, 1, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn bad_lengths_are_refused_from_the_header() {
        assert!(packet_len(&[2, 0, 0, 0, 4, 0, 0, 0]).is_err());
        assert!(matches!(
            packet_len(&[2, 0, 0, 0, 0, 0, 0, 1]),
            Err(WireError::TooLarge { .. })
        ));
        assert_eq!(packet_len(&[2, 0, 0]), Ok(None));
        // A length field inside the body past the packet's end.
        let bad = packet(packet_type::DATA, &[0xFF, 0xFF, 1]);
        assert!(decode_client_packet(&bad).is_err());
    }
}
