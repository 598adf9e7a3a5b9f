//! [RFC 4120 7.5.9] The Kerberos error codes, from the evidence crate's
//! vocabulary (the probe reads the same numbers).

pub use rdpdoctor_evidence::krb::*;
