//! A captured frame's headers through `etherparse`: the link layer (Ethernet
//! with VLAN tags, Linux cooked v1/v2, raw IPv4/IPv6, BSD loopback/NULL),
//! then IPv4 or IPv6, then TCP, UDP or an ICMP error about a TCP segment.

use std::net::{IpAddr, SocketAddr};

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, NetSlice, SlicedPacket, TransportSlice};
use pcap_file::DataLink;

/// What the reader needs of one packet.
pub enum Packet<'a> {
    /// A TCP segment.
    Tcp(Tcp<'a>),
    /// A UDP datagram.
    Udp {
        /// Sender.
        src: SocketAddr,
        /// Receiver.
        dst: SocketAddr,
        /// Its payload.
        payload: &'a [u8],
    },
    /// An ICMP error quoting a packet `src` → `dst` (the original's sender
    /// and receiver).
    IcmpError {
        /// The quoted packet's sender.
        src: SocketAddr,
        /// The quoted packet's receiver.
        dst: SocketAddr,
        /// `destination-unreachable code 13` and the like.
        what: String,
    },
}

/// A TCP segment.
pub struct Tcp<'a> {
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Sequence number.
    pub seq: u32,
    /// SYN.
    pub syn: bool,
    /// ACK.
    pub ack: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
    /// Payload.
    pub payload: &'a [u8],
}

/// [Linux cooked capture v2] header length.
const SLL2_LEN: usize = 20;

/// Decodes one frame; `None` for anything that is not IP carrying TCP, UDP
/// or an ICMP error (ARP, fragments, other link types, malformed headers).
pub fn decode(link: DataLink, data: &[u8]) -> Option<Packet<'_>> {
    let sliced = match link {
        DataLink::ETHERNET => SlicedPacket::from_ethernet(data),
        DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(data),
        DataLink::LINUX_SLL2 => {
            let ty = u16::from_be_bytes(*data.first_chunk::<2>()?);
            SlicedPacket::from_ether_type(EtherType(ty), data.get(SLL2_LEN..)?)
        }
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(data),
        // BSD loopback: a 4-byte address family in the writer's byte order,
        // then the IP packet (whose version nibble says which).
        DataLink::NULL | DataLink::LOOP => SlicedPacket::from_ip(data.get(4..)?),
        _ => return None,
    }
    .ok()?;
    let (src_ip, dst_ip) = match sliced.net.as_ref()? {
        NetSlice::Ipv4(v4) => (
            IpAddr::V4(v4.header().source_addr()),
            IpAddr::V4(v4.header().destination_addr()),
        ),
        NetSlice::Ipv6(v6) => (
            IpAddr::V6(v6.header().source_addr()),
            IpAddr::V6(v6.header().destination_addr()),
        ),
        NetSlice::Arp(_) => return None,
    };
    match sliced.transport? {
        TransportSlice::Tcp(tcp) => Some(Packet::Tcp(Tcp {
            src: SocketAddr::new(src_ip, tcp.source_port()),
            dst: SocketAddr::new(dst_ip, tcp.destination_port()),
            seq: tcp.sequence_number(),
            syn: tcp.syn(),
            ack: tcp.ack(),
            fin: tcp.fin(),
            rst: tcp.rst(),
            payload: tcp.payload(),
        })),
        TransportSlice::Udp(udp) => Some(Packet::Udp {
            src: SocketAddr::new(src_ip, udp.source_port()),
            dst: SocketAddr::new(dst_ip, udp.destination_port()),
            payload: udp.payload(),
        }),
        // [RFC 792] destination unreachable (3) and time exceeded (11).
        TransportSlice::Icmpv4(icmp) if matches!(icmp.type_u8(), 3 | 11) => {
            let what = icmpv4_name(icmp.type_u8(), icmp.code_u8());
            quoted(icmp.payload(), what)
        }
        // [RFC 4443] destination unreachable (1) and time exceeded (3).
        TransportSlice::Icmpv6(icmp) if matches!(icmp.type_u8(), 1 | 3) => {
            let what = format!("icmpv6 type {} code {}", icmp.type_u8(), icmp.code_u8());
            quoted(icmp.payload(), what)
        }
        _ => None,
    }
}

fn icmpv4_name(ty: u8, code: u8) -> String {
    let name = if ty == 3 {
        "destination-unreachable"
    } else {
        "time-exceeded"
    };
    format!("{name} code {code}")
}

/// The packet an ICMP error quotes: its IP header and the first 8 bytes of
/// its transport header (the ports).
fn quoted(payload: &[u8], what: String) -> Option<Packet<'_>> {
    let inner = LaxSlicedPacket::from_ip(payload).ok()?;
    let (src, dst, rest) = match inner.net.as_ref()? {
        LaxNetSlice::Ipv4(v4) => (
            IpAddr::V4(v4.header().source_addr()),
            IpAddr::V4(v4.header().destination_addr()),
            v4.payload().payload,
        ),
        LaxNetSlice::Ipv6(v6) => (
            IpAddr::V6(v6.header().source_addr()),
            IpAddr::V6(v6.header().destination_addr()),
            v6.payload().payload,
        ),
        LaxNetSlice::Arp(_) => return None,
    };
    let [a, b, c, d] = *rest.first_chunk::<4>()?;
    Some(Packet::IcmpError {
        src: SocketAddr::new(src, u16::from_be_bytes([a, b])),
        dst: SocketAddr::new(dst, u16::from_be_bytes([c, d])),
        what,
    })
}

/// A TCP segment's flow (sender, receiver) from the first bytes of a frame,
/// its payload possibly cut (`etherparse`'s lax slicing): enough to tell a
/// flow already known from one to read. `None` for anything else.
pub fn tcp_flow(link: DataLink, head: &[u8]) -> Option<(SocketAddr, SocketAddr)> {
    let sliced = match link {
        DataLink::ETHERNET => LaxSlicedPacket::from_ethernet(head).ok()?,
        DataLink::LINUX_SLL => {
            let ty = u16::from_be_bytes(*head.get(14..)?.first_chunk::<2>()?);
            LaxSlicedPacket::from_ether_type(EtherType(ty), head.get(16..)?)
        }
        DataLink::LINUX_SLL2 => {
            let ty = u16::from_be_bytes(*head.first_chunk::<2>()?);
            LaxSlicedPacket::from_ether_type(EtherType(ty), head.get(SLL2_LEN..)?)
        }
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => LaxSlicedPacket::from_ip(head).ok()?,
        DataLink::NULL | DataLink::LOOP => LaxSlicedPacket::from_ip(head.get(4..)?).ok()?,
        _ => return None,
    };
    let (src, dst) = match sliced.net.as_ref()? {
        LaxNetSlice::Ipv4(v4) => (
            IpAddr::V4(v4.header().source_addr()),
            IpAddr::V4(v4.header().destination_addr()),
        ),
        LaxNetSlice::Ipv6(v6) => (
            IpAddr::V6(v6.header().source_addr()),
            IpAddr::V6(v6.header().destination_addr()),
        ),
        LaxNetSlice::Arp(_) => return None,
    };
    match sliced.transport? {
        TransportSlice::Tcp(tcp) => Some((
            SocketAddr::new(src, tcp.source_port()),
            SocketAddr::new(dst, tcp.destination_port()),
        )),
        _ => None,
    }
}
