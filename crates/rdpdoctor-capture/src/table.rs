//! The TCP connections of a capture that carry RDP: found by port 3389 or
//! by a TPKT + X.224 Connection Request at the start of the client's bytes
//! (any port); each direction reassembled; a connection read into evidence
//! when it closes (its bytes then freed) or at the end of the file.
//! Bounded: at most [`MAX_LIVE`] connections hold bytes at once, at most
//! [`MAX_CONNECTIONS`] are reported; the others are counted.

use std::collections::{HashMap, HashSet};

/// Every packet looks a flow up: foldhash rather than SipHash.
type Fast = foldhash::fast::RandomState;
use std::net::SocketAddr;

use rdpdoctor_evidence::capture::{
    CaptureClose, CaptureConnection, CloseKind, DetectedBy, MessageKind, Side,
};

use crate::packet::{Packet, Tcp};
use crate::stream::Stream;
use crate::{RawConnection, gateway, rdp};

/// Connections holding bytes at once.
pub const MAX_LIVE: usize = 128;
/// Connections reported.
pub const MAX_CONNECTIONS: usize = 4096;
/// Non-RDP connections remembered (so their later segments are skipped fast).
const MAX_IGNORED: usize = 1 << 16;
/// The RDP port.
const PORT: u16 = 3389;
/// Handshakes on other ports remembered until their first bytes.
const MAX_HANDSHAKES: usize = 4096;

/// A SYN (and SYN+ACK) on another port: (time, sequence number).
#[derive(Default)]
struct Handshake {
    syns: u32,
    syn: Option<(u64, u32)>,
    syn_ack: Option<(u64, u32)>,
}

type Key = (SocketAddr, SocketAddr);

struct Conn {
    slot: usize,
    start_us: u64,
    detected_by: Option<DetectedBy>,
    syn_us: Option<u64>,
    syns: u32,
    syn_ack_us: Option<u64>,
    client: Stream,
    server: Stream,
    fin: [bool; 2],
    closes: Vec<(Side, CloseKind, u64)>,
    icmp: Vec<String>,
    done: bool,
}

/// The table.
pub struct Table {
    /// The RD Gateway's name the user gave: TLS connections to it are read.
    pub gateway: Option<String>,
    /// SNI names of TLS connections to port 443 that were not the gateway.
    other_names: Vec<String>,
    keep: bool,
    conns: HashMap<Key, Conn, Fast>,
    /// Flows that are not RDP, by [`either_way`]: one lookup skips a packet.
    ignored: HashSet<Key, Fast>,
    handshakes: HashMap<Key, Handshake, Fast>,
    slots: Vec<Option<CaptureConnection>>,
    raw: Vec<Option<RawConnection>>,
    live: usize,
    not_tracked: u64,
}

impl Table {
    /// `keep`: keep every connection's bytes to the end (for
    /// [`crate::raw_connections`]).
    pub fn new(keep: bool) -> Self {
        Table {
            gateway: None,
            other_names: Vec::new(),
            keep,
            conns: HashMap::default(),
            ignored: HashSet::default(),
            handshakes: HashMap::default(),
            slots: Vec::new(),
            raw: Vec::new(),
            live: 0,
            not_tracked: 0,
        }
    }

    /// One decoded packet.
    pub fn add(&mut self, p: &Packet<'_>, ts: u64) {
        match p {
            Packet::Tcp(t) => self.tcp(t, ts),
            Packet::IcmpError { src, dst, what } => {
                if let Some(c) = self.conns.get_mut(&(*src, *dst))
                    && c.icmp.len() < 8
                {
                    c.icmp.push(what.clone());
                }
            }
            Packet::Udp { .. } => {}
        }
    }

    fn tcp(&mut self, t: &Tcp<'_>, ts: u64) {
        // Most packets of a large capture belong to flows already known not
        // to be RDP: skipped on their headers, with one lookup.
        if self.ignored.contains(&either_way(t.src, t.dst)) {
            return;
        }
        let (key, side) = if self.conns.contains_key(&(t.src, t.dst)) {
            ((t.src, t.dst), Side::Client)
        } else if self.conns.contains_key(&(t.dst, t.src)) {
            ((t.dst, t.src), Side::Server)
        } else {
            // A new connection: from its SYN, or (a capture started late) from
            // the client's first bytes.
            let key = if t.syn && !t.ack {
                (t.src, t.dst)
            } else if t.syn && t.ack {
                (t.dst, t.src)
            } else if t.payload.is_empty() {
                return;
            } else if t.src.port() == PORT {
                (t.dst, t.src)
            } else {
                (t.src, t.dst)
            };
            let by_port = key.1.port() == PORT;
            let by_content = key.0 == t.src && rdp::starts_with_connection_request(t.payload);
            let to_gateway = self.gateway.as_deref().and_then(gateway::address_of) == Some(key.1);
            let detected_by = if to_gateway {
                Some(DetectedBy::GatewayAddress)
            } else if by_port {
                Some(DetectedBy::Port)
            } else if by_content {
                Some(DetectedBy::Content)
            } else if key.0 == t.src && gateway::starts_with_client_hello(t.payload) {
                self.gateway_hop(key, t.payload)
            } else {
                None
            };
            if detected_by.is_none() {
                // Another port: its handshake is remembered (bounded) until
                // the client's first bytes say whether it is RDP.
                if t.syn {
                    self.handshake(key, t, ts);
                } else {
                    self.ignore(key);
                }
                return;
            }
            if !self.open(key, ts, detected_by) {
                return;
            }
            (
                key,
                if key.0 == t.src {
                    Side::Client
                } else {
                    Side::Server
                },
            )
        };
        self.segment(key, side, t, ts);
    }

    /// A SYN or SYN+ACK on a port other than 3389.
    fn handshake(&mut self, key: Key, t: &Tcp<'_>, ts: u64) {
        if self.handshakes.len() >= MAX_HANDSHAKES && !self.handshakes.contains_key(&key) {
            self.handshakes.clear();
        }
        let h = self.handshakes.entry(key).or_default();
        if t.ack {
            h.syn_ack.get_or_insert((ts, t.seq));
        } else {
            h.syns = h.syns.saturating_add(1);
            h.syn.get_or_insert((ts, t.seq));
        }
    }

    /// Is the flow between `a` and `b` known not to be RDP?
    pub fn is_ignored(&self, a: SocketAddr, b: SocketAddr) -> bool {
        self.ignored.contains(&either_way(a, b))
    }

    fn ignore(&mut self, key: Key) {
        if self.ignored.len() < MAX_IGNORED {
            self.ignored.insert(either_way(key.0, key.1));
        }
    }

    /// A TLS connection's first bytes, a ClientHello: is it the hop to the
    /// gateway the user named? By its SNI when the ClientHello is whole in
    /// them; without SNI, by the certificate when the connection is read
    /// (tentatively [`DetectedBy::GatewayCertificate`]). Another name on
    /// port 443 is remembered for the report.
    fn gateway_hop(&mut self, key: Key, first: &[u8]) -> Option<DetectedBy> {
        let sni = gateway::server_name(first);
        match (&self.gateway, sni) {
            (Some(g), Some(sni)) if gateway::same_host(g, &sni) => Some(DetectedBy::GatewaySni),
            // Without an SNI in the first segment, only a connection to the
            // gateway's own port waits for its certificate: every other TLS
            // flow would hold a connection slot for nothing.
            (Some(g), None) if key.1.port() == gateway::port_of(g) => {
                Some(DetectedBy::GatewayCertificate)
            }
            (Some(_), None) => None,
            (_, Some(sni)) => {
                if key.1.port() == gateway::HTTPS_PORT {
                    self.other_name(sni);
                }
                None
            }
            (None, None) => None,
        }
    }

    fn other_name(&mut self, name: String) {
        if self.other_names.len() < gateway::MAX_OTHER_NAMES && !self.other_names.contains(&name) {
            self.other_names.push(name);
        }
    }

    /// The SNI names of TLS connections to port 443 that were not the gateway.
    pub fn other_tls_server_names(&self) -> Vec<String> {
        self.other_names.clone()
    }

    fn open(&mut self, key: Key, ts: u64, detected_by: Option<DetectedBy>) -> bool {
        if self.live >= MAX_LIVE || self.slots.len() >= MAX_CONNECTIONS {
            self.not_tracked += 1;
            self.ignore(key);
            return false;
        }
        self.live += 1;
        self.slots.push(None);
        self.raw.push(None);
        let mut conn = Conn {
            slot: self.slots.len() - 1,
            start_us: ts,
            detected_by,
            syn_us: None,
            syns: 0,
            syn_ack_us: None,
            client: Stream::default(),
            server: Stream::default(),
            fin: [false; 2],
            closes: Vec::new(),
            icmp: Vec::new(),
            done: false,
        };
        if let Some(h) = self.handshakes.remove(&key) {
            if let Some((at, seq)) = h.syn {
                conn.start_us = at;
                conn.syn_us = Some(at);
                conn.client.syn(seq);
            }
            if let Some((at, seq)) = h.syn_ack {
                conn.syn_ack_us = Some(at);
                conn.server.syn(seq);
            }
            conn.syns = h.syns;
        }
        self.conns.insert(key, conn);
        true
    }

    fn segment(&mut self, key: Key, side: Side, t: &Tcp<'_>, ts: u64) {
        let Some(c) = self.conns.get_mut(&key) else {
            return;
        };
        if c.done && side == Side::Client && t.syn && !t.ack {
            // The same ports used again: a new connection, found as before.
            let detected_by = c.detected_by;
            let old = self.conns.remove(&key);
            if let Some(old) = old {
                self.close_out(key, old);
            }
            if self.open(key, ts, detected_by) {
                self.segment(key, side, t, ts);
            }
            return;
        }
        if t.syn && !t.ack && side == Side::Client {
            c.syns += 1;
            c.syn_us.get_or_insert(ts);
            c.client.syn(t.seq);
        } else if t.syn && t.ack && side == Side::Server {
            c.syn_ack_us.get_or_insert(ts);
            c.server.syn(t.seq);
        }
        if !c.done {
            let stream = match side {
                Side::Client => &mut c.client,
                Side::Server => &mut c.server,
            };
            stream.add(t.seq, t.payload, ts);
        }
        let i = usize::from(side == Side::Server);
        let first_rst = t.rst
            && !c
                .closes
                .iter()
                .any(|&(by, k, _)| by == side && k == CloseKind::Rst);
        if (first_rst || (t.fin && !c.fin[i])) && c.closes.len() < 8 {
            let kind = if t.rst {
                CloseKind::Rst
            } else {
                CloseKind::Fin
            };
            c.closes.push((side, kind, ts));
        }
        if t.fin {
            c.fin[i] = true;
        }
        if !self.keep && !c.done && (t.rst || c.fin == [true, true]) {
            self.finalize(key);
        }
    }

    /// Reads a closed connection into its slot and frees its bytes.
    fn finalize(&mut self, key: Key) {
        let Some(c) = self.conns.get_mut(&key) else {
            return;
        };
        if c.done {
            return;
        }
        c.done = true;
        self.live -= 1;
        c.client.finish();
        c.server.finish();
        let ev = evidence(key, c, self.gateway.as_deref());
        let last = (c.client.last_payload_us, c.server.last_payload_us);
        c.client = Stream::default();
        c.server = Stream::default();
        (c.client.last_payload_us, c.server.last_payload_us) = last;
        if let Some(slot) = self.slots.get_mut(c.slot) {
            *slot = ev;
        }
    }

    /// A connection leaves the table: its evidence, with every close.
    fn close_out(&mut self, key: Key, mut c: Conn) {
        if !c.done {
            c.client.finish();
            c.server.finish();
            if self.keep
                && let Some(r) = self.raw.get_mut(c.slot)
            {
                *r = Some(RawConnection {
                    client_port: key.0.port(),
                    server_port: key.1.port(),
                    client: std::mem::take(&mut c.client.bytes),
                    server: std::mem::take(&mut c.server.bytes),
                });
                return;
            }
            self.live -= 1;
            let ev = evidence(key, &c, self.gateway.as_deref());
            if let Some(slot) = self.slots.get_mut(c.slot) {
                *slot = ev;
            }
            return;
        }
        // Closes after the connection was read (a reset answering a FIN).
        if let Some(Some(ev)) = self.slots.get_mut(c.slot) {
            let known = ev.tcp.closes.len();
            let last = last_payload_ms(&c);
            for &(by, kind, ts) in c.closes.iter().skip(known) {
                ev.tcp
                    .closes
                    .push(close(&ev.messages, last, by, kind, ts, c.start_us));
            }
        }
    }

    /// Every connection read, in order; and how many were not tracked.
    pub fn finish(mut self) -> (Vec<CaptureConnection>, u64) {
        let keys: Vec<Key> = self.conns.keys().copied().collect();
        for key in keys {
            if let Some(c) = self.conns.remove(&key) {
                self.close_out(key, c);
            }
        }
        (self.slots.into_iter().flatten().collect(), self.not_tracked)
    }

    /// Every connection's bytes, in order (with `keep`).
    pub fn raw(mut self) -> Vec<RawConnection> {
        let keys: Vec<Key> = self.conns.keys().copied().collect();
        for key in keys {
            if let Some(c) = self.conns.remove(&key) {
                self.close_out(key, c);
            }
        }
        self.raw.into_iter().flatten().collect()
    }
}

/// A flow's key whichever way its packet goes.
fn either_way(a: SocketAddr, b: SocketAddr) -> Key {
    if a <= b { (a, b) } else { (b, a) }
}

/// A close, with the last message before it; [`MessageKind::LaterData`] when payload the
/// message list does not name (past its cap, or unreadable) came after that.
fn close(
    messages: &[rdpdoctor_evidence::capture::CaptureMessage],
    last_payload_ms: f64,
    by: Side,
    kind: CloseKind,
    ts: u64,
    start_us: u64,
) -> CaptureClose {
    let at_ms = ts.saturating_sub(start_us) as f64 / 1000.0;
    let last = messages.iter().rev().find(|m| m.at_ms <= at_ms);
    let after = match last {
        Some(m) if last_payload_ms > m.at_ms && last_payload_ms <= at_ms => {
            Some(MessageKind::LaterData)
        }
        Some(m) => Some(m.name),
        None if last_payload_ms > 0.0 && last_payload_ms <= at_ms => Some(MessageKind::LaterData),
        None => None,
    };
    CaptureClose {
        by,
        kind,
        after,
        at_ms,
    }
}

fn last_payload_ms(c: &Conn) -> f64 {
    let last = c.client.last_payload_us.max(c.server.last_payload_us);
    if last == 0 {
        return 0.0;
    }
    last.saturating_sub(c.start_us) as f64 / 1000.0
}

/// A connection's evidence from its streams and TCP story; `None` for a
/// TLS connection that turned out not to be the gateway's.
fn evidence(key: Key, c: &Conn, gateway: Option<&str>) -> Option<CaptureConnection> {
    let read = rdp::read(&c.client, &c.server, c.start_us);
    let detected_by = match (c.detected_by, gateway) {
        (Some(DetectedBy::GatewayCertificate), Some(g)) => {
            let tls = read.tls.as_ref();
            if tls
                .and_then(|t| t.server_name.as_deref())
                .is_some_and(|sni| crate::gateway::same_host(g, sni))
            {
                Some(DetectedBy::GatewaySni)
            } else if tls
                .and_then(|t| t.certificates.first())
                .is_some_and(|cert| crate::gateway::certificate_names(cert, g))
            {
                Some(DetectedBy::GatewayCertificate)
            } else {
                return None;
            }
        }
        // Known from its SYN; where the ClientHello names the gateway too,
        // the SNI is the stronger fact and what the report shows.
        (Some(DetectedBy::GatewayAddress), Some(g))
            if read
                .tls
                .as_ref()
                .and_then(|t| t.server_name.as_deref())
                .is_some_and(|sni| crate::gateway::same_host(g, sni)) =>
        {
            Some(DetectedBy::GatewaySni)
        }
        (d, _) => d,
    };
    let mut ev = CaptureConnection {
        client: key.0.to_string(),
        server: key.1.to_string(),
        start_unix_ms: c.start_us / 1000,
        detected_by,
        request: read.request,
        confirm: read.confirm,
        tls: read.tls,
        standard_security: read.standard_security,
        messages: read.messages,
        ..CaptureConnection::default()
    };
    let t = &mut ev.tcp;
    t.syns = c.syns;
    t.syn_ack = c.syn_ack_us.is_some();
    t.rtt_ms = match (c.syn_us, c.syn_ack_us) {
        (Some(a), Some(b)) if b >= a => Some((b - a) as f64 / 1000.0),
        _ => None,
    };
    t.client_bytes = c.client.seen;
    t.server_bytes = c.server.seen;
    t.segments = c.client.segments + c.server.segments;
    t.retransmissions = c.client.retransmissions + c.server.retransmissions;
    t.gaps = c.client.gaps + c.server.gaps;
    t.truncated = c.client.truncated || c.server.truncated;
    t.icmp = c.icmp.clone();
    let last = last_payload_ms(c);
    t.closes = c
        .closes
        .iter()
        .map(|&(by, kind, ts)| close(&ev.messages, last, by, kind, ts, c.start_us))
        .collect();
    Some(ev)
}
