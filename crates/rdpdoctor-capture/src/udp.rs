//! RDP-UDP ([MS-RDPEUDP]) flows by their SYN datagrams: the
//! RDPUDP_FEC_HEADER ([MS-RDPEUDP 2.2.2.1]) of a datagram to or from UDP
//! port 3389 with RDPUDP_FLAG_SYN, and the server's SYN+ACK.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use rdpdoctor_evidence::capture::RdpUdpFlow;

/// [MS-RDPEUDP 2.2.2.1] `uFlags` RDPUDP_FLAG_SYN.
const FLAG_SYN: u16 = 0x0001;
/// RDPUDP_FLAG_ACK.
const FLAG_ACK: u16 = 0x0004;
/// The RDP port.
const PORT: u16 = 3389;
/// Flows kept.
const MAX_FLOWS: usize = 1024;

/// The flows seen so far, by (client, server).
#[derive(Default)]
pub struct Flows {
    flows: BTreeMap<(SocketAddr, SocketAddr), (usize, RdpUdpFlow)>,
}

impl Flows {
    /// One UDP datagram.
    pub fn add(&mut self, src: SocketAddr, dst: SocketAddr, payload: &[u8]) {
        if src.port() != PORT && dst.port() != PORT {
            return;
        }
        // snSourceAck (4), uReceiveWindowSize (2), uFlags (2), big-endian.
        let Some(&[_, _, _, _, _, _, hi, lo]) = payload.first_chunk::<8>() else {
            return;
        };
        let flags = u16::from_be_bytes([hi, lo]);
        if flags & FLAG_SYN == 0 {
            return;
        }
        let n = self.flows.len();
        if flags & FLAG_ACK == 0 {
            if n >= MAX_FLOWS && !self.flows.contains_key(&(src, dst)) {
                return;
            }
            let (_, flow) = self.flows.entry((src, dst)).or_insert_with(|| {
                (
                    n,
                    RdpUdpFlow {
                        client: src.to_string(),
                        server: dst.to_string(),
                        ..RdpUdpFlow::default()
                    },
                )
            });
            flow.syns += 1;
        } else if let Some((_, flow)) = self.flows.get_mut(&(dst, src)) {
            flow.syn_ack = true;
        }
    }

    /// The flows in the order they started.
    pub fn finish(self) -> Vec<RdpUdpFlow> {
        let mut v: Vec<_> = self.flows.into_values().collect();
        v.sort_by_key(|(i, _)| *i);
        v.into_iter().map(|(_, f)| f).collect()
    }
}
