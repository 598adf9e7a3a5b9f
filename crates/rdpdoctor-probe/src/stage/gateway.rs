//! `probe TARGET --gateway GW`: the path through a Remote Desktop Gateway,
//! hop by hop, each under the step deadline ("no answer within N s"):
//!
//! ```text
//! gateway name → TCP → TLS (the gateway's certificate)
//!   → RDG_OUT_DATA without credentials ([MS-TSGU 3.3.5.1]: the 401's schemes; 404/403/410 = RPC over HTTP only)
//!   → with --user: NTLM over HTTP (sspi) → 101 WebSocket ([RFC 6455]) or 200 legacy
//!   → handshake → tunnel create (CAP) → tunnel auth → channel create to TARGET (RAP, the target's reach)
//! ```
//!
//! Each answer's status is kept (the HTTP status, or the gateway's HRESULT
//! typed by `rdpdoctor_wire::tsgu::ProxyError`). The target's own stages are
//! not run through the channel (yet): the evidence says so
//! (`target_probed: false`). Only collects; the diagnosis judges.

mod http;
mod tunnel;

use crate::Credentials;
use crate::io::Deadline;
use rdpdoctor_evidence::{GatewayEvidence, GatewayHop, GatewayHopKind, HopOutcome, Target};
use std::time::Instant;

/// The default port of an RD Gateway (HTTPS).
pub const DEFAULT_GATEWAY_PORT: u16 = 443;

/// Whose credentials the gateway gets (mstsc's `gatewaycredentialssource`
/// and "use my RD Gateway credentials for the remote computer").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GatewayCredentials {
    /// The same credentials as the target (`--user`): mstsc's default.
    #[default]
    SameAsTarget,
    /// None: only what the gateway says without credentials.
    None,
}

/// The gateway to go through: what `--gateway` (and later an `.rdp` file's
/// `gatewayhostname`, `gatewaycredentialssource`) fills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayTarget {
    /// The gateway's name or address.
    pub host: String,
    /// Its port (443 by default).
    pub port: u16,
    /// Whose credentials it gets.
    pub credentials: GatewayCredentials,
}

/// Parses `GATEWAY[:PORT]` (`[v6]:port` too); port 443 by default.
pub fn parse_gateway(input: &str) -> Result<GatewayTarget, String> {
    let s = input.trim();
    let explicit_port = match s.rsplit_once(':') {
        Some((h, p)) => {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (h.ends_with(']') || !h.contains(':'))
        }
        None => false,
    };
    let t = crate::parse_target(s).map_err(|e| format!("bad gateway: {e}"))?;
    Ok(GatewayTarget {
        host: t.host,
        port: if explicit_port {
            t.port
        } else {
            DEFAULT_GATEWAY_PORT
        },
        credentials: GatewayCredentials::SameAsTarget,
    })
}

/// A hop's record, timed from `t`.
pub(crate) fn hop(
    kind: GatewayHopKind,
    outcome: HopOutcome,
    t: Instant,
    detail: Option<String>,
) -> GatewayHop {
    GatewayHop {
        hop: kind,
        outcome,
        status: None,
        status_name: None,
        detail,
        elapsed_ms: crate::io::elapsed_ms(t),
    }
}

/// Follows the path to `target` through `gw`; never fails (failures are evidence).
pub async fn run(
    gw: &GatewayTarget,
    target: &Target,
    creds: Option<&Credentials>,
    deadline: &Deadline,
) -> GatewayEvidence {
    let mut ev = GatewayEvidence {
        host: gw.host.clone(),
        port: gw.port,
        address: None,
        hops: Vec::new(),
        tls_version: None,
        certificate: None,
        http_status: None,
        auth_schemes: Vec::new(),
        websocket: None,
        server_header: None,
        channel_opened: false,
        target_probed: false,
        udp_port: None,
    };
    // The name: an address as is; a name through the probe's resolver.
    let t = Instant::now();
    let gw_target = Target {
        input: format!("{}:{}", gw.host, gw.port),
        host: gw.host.clone(),
        port: gw.port,
        host_is_ip: gw.host.parse::<std::net::IpAddr>().is_ok(),
    };
    let addresses = super::dns::resolve(&gw_target, None, false, deadline).await;
    let Some(ip) = addresses.used else {
        let detail = addresses
            .error
            .clone()
            .unwrap_or_else(|| "the name has no address".into());
        ev.hops.push(hop(
            GatewayHopKind::Dns,
            HopOutcome::Failed,
            t,
            Some(detail),
        ));
        return ev;
    };
    if !gw_target.host_is_ip {
        ev.hops
            .push(hop(GatewayHopKind::Dns, HopOutcome::Ok, t, None));
    }
    let addr = std::net::SocketAddr::new(ip, gw.port);
    ev.address = Some(addr.to_string());
    let Some(conn) = http::open(addr, &gw_target, deadline, &mut ev, true).await else {
        return ev;
    };
    let Some(()) = http::anonymous(conn, gw, deadline, &mut ev).await else {
        return ev;
    };
    let creds = match (gw.credentials, creds) {
        (GatewayCredentials::SameAsTarget, Some(c)) => c,
        _ => return ev,
    };
    let Some(conn) = http::open(addr, &gw_target, deadline, &mut ev, false).await else {
        return ev;
    };
    let Some(conn) = http::authenticate(conn, gw, creds, deadline, &mut ev).await else {
        return ev;
    };
    tunnel::run(conn, target, deadline, &mut ev).await;
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gateway_without_a_port_is_on_443() {
        assert_eq!(parse_gateway("rdgw.corp.example").unwrap().port, 443);
        assert_eq!(parse_gateway("rdgw:8443").unwrap().port, 8443);
        assert_eq!(parse_gateway("[::1]:9443").unwrap().port, 9443);
        assert_eq!(parse_gateway("::1").unwrap().port, 443);
        assert!(parse_gateway("rdgw:99999").is_err());
        assert!(parse_gateway("").is_err());
    }
}
