//! The hop to an RD Gateway: HTTPS from the client to the gateway, inside
//! which the RDP connection to the target runs ([MS-TSGU] 3.3.5.1: the HTTP
//! transport's RDG_OUT_DATA / RDG_IN_DATA requests or the WebSocket upgrade,
//! then the tunnel and channel packets, all inside TLS). A capture shows only
//! the TLS handshake in the clear: the SNI, the gateway's certificate, the
//! alerts and who closed. So a TLS connection is the gateway hop when its
//! SNI, or (without SNI, as when the gateway is given by address) its
//! server certificate's names, are the gateway the user named.

use rdpdoctor_evidence::CertificateFacts;
use rdpdoctor_wire::tls_flight;
use std::net::{IpAddr, SocketAddr};

/// The port an RD Gateway listens on (HTTPS).
pub const HTTPS_PORT: u16 = 443;
/// Distinct SNI names of other TLS connections remembered.
pub const MAX_OTHER_NAMES: usize = 16;

/// Does this client stream start with a TLS handshake record holding a
/// ClientHello ([RFC 8446 5.1, 4.1.2])?
pub fn starts_with_client_hello(bytes: &[u8]) -> bool {
    matches!(bytes, [22, 3, _, _, _, 1, ..])
}

/// The SNI of a ClientHello at the start of `bytes`, when it is whole there.
pub fn server_name(bytes: &[u8]) -> Option<String> {
    tls_flight::read_flight(bytes)
        .client_hello
        .and_then(|h| h.server_name)
}

/// A name given as `host`, `host:port`, `[v6]` or `[v6]:port`: its host,
/// lower case, without a trailing dot.
fn host_of(s: &str) -> String {
    let s = s.trim().trim_end_matches('.');
    let s = if let Some(v6) = s.strip_prefix('[') {
        v6.split(']').next().unwrap_or(v6)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => s,
        }
    };
    s.to_ascii_lowercase()
}

/// The port of a gateway given as `host:port` or `[v6]:port`; [`HTTPS_PORT`]
/// when none is given.
pub fn port_of(given: &str) -> u16 {
    let s = given.trim();
    let port = match s.strip_prefix('[') {
        Some(v6) => v6.split_once("]:").map(|(_, p)| p),
        None => s
            .rsplit_once(':')
            .filter(|(h, _)| !h.contains(':'))
            .map(|(_, p)| p),
    };
    port.and_then(|p| p.parse().ok()).unwrap_or(HTTPS_PORT)
}

/// The gateway's socket address when it was given as an IP address
/// (`192.0.2.5`, `192.0.2.5:8443`, `[2001:db8::5]`): a name is never
/// resolved, so only an address can be matched before the TLS handshake.
pub fn address_of(given: &str) -> Option<SocketAddr> {
    let ip: IpAddr = host_of(given).parse().ok()?;
    Some(SocketAddr::new(ip, port_of(given)))
}

/// Host names compare without case and without a trailing dot; a name
/// given as `host:port` compares by its host.
pub fn same_host(given: &str, seen: &str) -> bool {
    let (g, s) = (host_of(given), host_of(seen));
    !g.is_empty() && g == s
}

/// Does the certificate name the gateway, as a client checks it
/// ([`rdpdoctor_evidence::Certificate::matches_host`]: its SANs, else its
/// common name, a `*.` wildcard covering one label)?
pub fn certificate_names(cert: &CertificateFacts, gateway: &str) -> bool {
    let host = host_of(gateway);
    !host.is_empty() && cert.matches_host(&host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_address_is_matched_by_address() {
        let at = |s: &str| address_of(s).map(|a| a.to_string());
        assert_eq!(at("192.0.2.5").as_deref(), Some("192.0.2.5:443"));
        assert_eq!(at("192.0.2.5:8443").as_deref(), Some("192.0.2.5:8443"));
        assert_eq!(at("[2001:db8::5]").as_deref(), Some("[2001:db8::5]:443"));
        assert_eq!(at("gw.example.com"), None);
    }

    #[test]
    fn names_compare_as_hosts() {
        assert!(same_host("GW.example.com", "gw.example.com."));
        assert!(same_host("gw.example.com:443", "gw.example.com"));
        assert!(same_host("[::1]:443", "::1"));
        assert!(!same_host("gw.example.com", "gw.example.org"));
        assert!(!same_host("", ""));
        assert_eq!(port_of("gw.example.com"), 443);
        assert_eq!(port_of("gw.example.com:8443"), 8443);
        assert_eq!(port_of("[::1]:4443"), 4443);
        assert_eq!(port_of("::1"), 443);
        let mut c = CertificateFacts::default();
        c.certificate.dns_names = vec!["*.example.com".into()];
        assert!(certificate_names(&c, "gw.example.com"));
        assert!(certificate_names(&c, "gw.example.com:443"));
        assert!(!certificate_names(&c, "a.gw.example.com"));
    }

    #[test]
    fn a_client_hello_is_told_from_other_bytes() {
        assert!(starts_with_client_hello(&[22, 3, 1, 0, 5, 1, 0]));
        assert!(!starts_with_client_hello(&[22, 3, 1, 0, 5, 2, 0]));
        assert!(!starts_with_client_hello(&[3, 0, 0, 19, 14, 0xE0]));
        assert!(!starts_with_client_hello(&[22, 3]));
        assert_eq!(server_name(&[22, 3, 1, 0, 200, 1, 0]), None);
    }
}
