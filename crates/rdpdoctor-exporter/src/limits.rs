//! The bounds every connection and request is held to, in one place: the
//! server applies them, the TLS accept and the plain-HTTP answer read within
//! them. A leaf: it imports nothing from the crate.

use std::time::Duration;

/// The request line and headers together.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The request target (path and query).
pub const MAX_URI_BYTES: usize = 4096;
/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 1024;
/// From a connection's first byte (or the end of its previous request) to
/// the end of its headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// From a connection's accept to the end of its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
