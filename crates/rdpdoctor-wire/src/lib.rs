//! Sans-I/O codecs for the RDP connection-sequence PDUs rdpdoctor probes with.
//!
//! Nothing here reads or writes a socket: encoders return the bytes to send,
//! decoders take the bytes received. Decoders never panic, never allocate
//! more than the input actually holds, and every refusal is a precise
//! [`WireError`] naming the field at fault.
//!
//! | module | specification | what |
//! |---|---|---|
//! | [`frame`] | — | one frame accumulator for every reader: feed bytes, take whole frames, refuse an oversized length before its body |
//! | [`tpkt`] | T.123 8 | framing: how many bytes make one PDU |
//! | [`x224`] | MS-RDPBCGR 2.2.1.1–2.2.1.2 | Connection Request / Confirm, security negotiation |
//! | [`credssp`] | MS-CSSP 2.2.1 | TSRequest (NLA) |
//! | [`ntlm`] | MS-NLMP 2.2.1 | NEGOTIATE out, CHALLENGE in: server name, OS version, clock |
//! | [`kerberos`] | RFC 4120 5.4.1, 5.9.1, 7.2 | AS-REQ without pre-auth out, KRB-ERROR (the KDC's clock, the error code) or AS-REP in, TCP length prefix |
//! | [`mcs`] | MS-RDPBCGR 2.2.1.3–2.2.1.9 | MCS Connect Initial / Response (Standard RDP Security, server certificate), Erect Domain, Attach User, Channel Join, Send Data |
//! | [`security`] | MS-RDPBCGR 5.3 | Standard RDP Security: client random, session keys, RC4 / FIPS encryption and MACs |
//! | [`license`] | MS-RDPELE 2.2.2 | the client's licensing replies: New License Request, Platform Challenge Response |
//! | [`http`] | RFC 9112 | an RD Gateway's HTTP/1.1 response head and chunked body, bounded |
//! | [`websocket`] | RFC 6455 5 | WebSocket frames of the gateway's WebSocket transport |
//! | [`tsgu`] | MS-TSGU 2.2.10 | RD Gateway HTTP transport packets, statuses typed (E_PROXY_*) |
//! | [`rdp`] | MS-RDPBCGR 2.2.1.11–2.2.1.22, 2.2.5.1, 2.2.9.1.2 | Client Info, licensing, Demand Active, finalization, Set Error Info (ERRINFO names), slow- and fast-path framing |
//!
//! Module dependencies run one way: `spec` (numbers and names shared by
//! several modules, and by [`WireError`]'s messages) depends on nothing;
//! `error` only on `spec`; then `tpkt` → `x224` → `mcs` → `security` →
//! `license` → `rdp`, each using only those before it.
//!
//! Where ironrdp-pdu decodes real-world data correctly it is used (the server
//! core and network data blocks); where it does not, the reason is given in
//! the module that replaces it.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

mod ber;
pub mod cert;
pub mod credssp;
pub mod error;
pub mod frame;
mod hexser;
pub mod http;
pub mod kerberos;
pub mod license;
pub mod mcs;
pub mod ntlm;
pub mod rdp;
mod reader;
pub mod security;
mod spec;
#[cfg(test)]
mod test_util;
pub mod tls;
pub mod tls_flight;
pub mod tpkt;
pub mod tsgu;
pub mod websocket;
pub mod x224;

pub use error::WireError;
