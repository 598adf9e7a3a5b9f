//! The Basic Settings Exchange: [MS-RDPBCGR 2.2.1.3] Client MCS Connect
//! Initial PDU with GCC Conference Create Request, and [2.2.1.4] Server MCS
//! Connect Response PDU with GCC Conference Create Response — the probe for
//! Standard RDP Security (the server's encryption level, methods and
//! certificate) and for the server's RDP version.
//!
//! Layers, outside in: TPKT, X.224 Data, MCS Connect-Initial/-Response
//! ([T.125], BER), GCC Conference Create Request/Response ([T.124], PER),
//! then the RDP settings data blocks.
//!
//! ironrdp-pdu is used for the server core (SC_CORE) and network (SC_NET)
//! blocks, which it decodes faithfully. It is not used for the response as a
//! whole, because its `ServerSecurityData` refuses real data: server
//! certificates over 1024 bytes (an X.509 chain from a license server is
//! routinely 2–4 KiB) and any `encryptionMethod` bit it does not know. The
//! security block and the certificate inside are therefore decoded here.
//!
//! | submodule | specification | what |
//! |---|---|---|
//! | `client_core` | MS-RDPBCGR 2.2.1.3.2 | Client Core Data: the client's build, name, keyboard (decode, for captures) |
//! | `connect_initial` | MS-RDPBCGR 2.2.1.3 | Client MCS Connect Initial: encode (probe), decode (emulator) |
//! | `connect_response` | MS-RDPBCGR 2.2.1.4 | Server MCS Connect Response: decode (probe), encode (emulator) |
//! | `certificate` | MS-RDPBCGR 2.2.1.4.3.1 | server certificate, proprietary or X.509, and its RSA key |
//! | `keying` | MS-RDPBCGR 2.2.1.4.3, 5.3.4 | server random, method, level and key for Standard RDP Security |
//! | `disconnect` | T.125 7 part 11 | Disconnect Provider Ultimatum |
//! | `domain` | MS-RDPBCGR 2.2.1.5–2.2.1.9, T.125 | Erect Domain, Attach User, Channel Join, Send Data |
//! | `gcc` | T.124, T.125 | the BER/PER envelope and the settings data block header |
//! | `names` | MS-RDPBCGR 2.2.1.4 | names of levels, methods, versions, flags, results |
//!
//! Every item is re-exported here: callers use `mcs::decode_connect_response`,
//! `mcs::RsaPublicKey` and so on.

mod certificate;
mod client_core;
mod connect_initial;
mod connect_response;
mod disconnect;
mod domain;
mod gcc;
mod keying;
mod names;

pub(crate) use certificate::certificate_public_key;
pub use certificate::{RsaPublicKey, ServerCertificate};
pub use client_core::{ClientCore, client_build_release, decode_client_core};
pub use connect_initial::{
    ClientConnectData, ConnectInitialOptions, decode_connect_initial, encode_connect_initial,
};
pub use connect_response::{
    ConnectResponse, ServerCore, ServerNetwork, ServerSecurity, decode_connect_response,
    encode_connect_response,
};
pub use disconnect::{
    decode_disconnect_provider_ultimatum, disconnect_reason_name,
    encode_disconnect_provider_ultimatum,
};
pub use domain::*;
pub use keying::{ServerKeying, decode_server_keying};
pub use names::{
    encryption_level_name, encryption_method_names, multitransport_flag_names, rdp_version_name,
    result_name, server_early_capability_names,
};

pub use crate::spec::encryption_method;

/// [MS-RDPBCGR 2.2.1.4.3] `encryptionLevel` values.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/3e86b68d-3e2e-4433-b486-878875778f4b>
pub mod encryption_level {
    /// ENCRYPTION_LEVEL_NONE.
    pub const NONE: u32 = 0;
    /// ENCRYPTION_LEVEL_LOW: only client-to-server traffic is encrypted.
    pub const LOW: u32 = 1;
    /// ENCRYPTION_LEVEL_CLIENT_COMPATIBLE: the strongest method the client supports.
    pub const CLIENT_COMPATIBLE: u32 = 2;
    /// ENCRYPTION_LEVEL_HIGH: 128-bit, both directions.
    pub const HIGH: u32 = 3;
    /// ENCRYPTION_LEVEL_FIPS: FIPS 140-1 methods only.
    pub const FIPS: u32 = 4;
}

/// [MS-RDPBCGR 2.2.1.3.4] static virtual channels a client may request.
pub const MAX_CHANNELS: usize = 31;

#[cfg(test)]
use {
    certificate::{encode_server_certificate, server_certificate},
    gcc::push_u32,
};

#[cfg(test)]
mod tests;
