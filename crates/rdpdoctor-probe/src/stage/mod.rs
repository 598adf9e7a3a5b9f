//! The probe's stages, in the order a client meets them.

pub mod credssp;
pub mod deep;
pub mod dns;
pub mod gateway;
pub mod kerberos;
pub mod kerberos_kdcs;
pub mod kerberos_srv;
pub mod logon;
pub mod logon_kerberos;
pub mod logon_kerberos_credssp;
mod logon_kerberos_exchange;
pub mod negotiation;
pub mod rdp_security;
pub mod tcp;
pub mod tls;
#[cfg(feature = "openssl")]
mod tls_legacy;
