//! `probe TARGET --gateway GW`: the path through a Remote Desktop Gateway,
//! hop by hop, each under the step deadline ("no answer within N s"):
//!
//! ```text
//! gateway name → TCP → TLS (the gateway's certificate)
//!   → RDG_OUT_DATA without credentials ([MS-TSGU 3.3.5.1]: the 401's schemes; 404/403/410 = RPC over HTTP only)
//!   → with --user: NTLM or Negotiate over HTTP (sspi, [`http_auth`]) → 101 WebSocket ([RFC 6455]) or 200 legacy
//!   → handshake → tunnel create (CAP) → tunnel auth → channel create to TARGET (RAP, the target's reach)
//! ```
//!
//! Each answer's status is kept (the HTTP status, or the gateway's HRESULT
//! typed by `rdpdoctor_wire::tsgu::ProxyError`). Once a channel is open, the
//! target's X.224 negotiation and TLS handshake run through it ([`target`],
//! over the channel's byte stream, [`channel`]), Standard RDP Security's
//! offers where it selects PROTOCOL_RDP ([`rdp_security`]), then CredSSP and
//! the logon with the user's credentials where it selected NLA ([`nla`]);
//! the evidence then says `target_probed: true`. Only collects; the diagnosis judges.

mod channel;
mod deep;
mod http;
mod http_auth;
pub mod nla;
mod rdp_security;
mod rpc;
mod spare;
pub mod target;
mod tunnel;
mod udp;

use crate::Credentials;
use crate::io::Deadline;
use rdpdoctor_evidence::{GatewayEvidence, GatewayHop, GatewayHopKind, HopOutcome, Target};
use std::time::Instant;

/// The default port of an RD Gateway (HTTPS).
pub const DEFAULT_GATEWAY_PORT: u16 = 443;

/// The gateway to go through: `--gateway`, an `.rdp` file's
/// `gatewayhostname`, a scan's or an exporter module's gateway. The
/// credentials it gets are the user's (`--user`), as mstsc's "use my RD
/// Gateway credentials for the remote computer" does; a file's
/// `gatewaycredentialssource` is kept as written (smart card and PAA
/// cookies are not played).
pub use rdpdoctor_evidence::GatewayTarget;

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
        usage: rdpdoctor_evidence::GatewayUsage::Always,
        credentials_source: None,
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

/// Follows the path to `target` through `gw` (at `address` instead of the
/// gateway's resolved one, when given) and, when a channel opens, probes the
/// target through the gateway ([`target::probe`]; its logon only when
/// `full`); never fails.
pub async fn run_through(
    gw: &GatewayTarget,
    target: &Target,
    creds: Option<&Credentials>,
    address: Option<std::net::IpAddr>,
    full: bool,
    deadline: &Deadline,
) -> (GatewayEvidence, Option<target::Through>) {
    let (mut ev, open) = path(gw, target, creds, address, deadline).await;
    let Some((tunnel, again)) = open else {
        return (ev, None);
    };
    // The target is probed with the user's credentials only; without them
    // the channel is closed politely.
    let Some(creds) = creds else {
        tunnel.close(deadline).await;
        return (ev, None);
    };
    let opened_ms = ev.hops.iter().map(|h| h.elapsed_ms).sum();
    let more = || again.channel(target, creds, deadline);
    // The UDP side channel, where announced, beside the target's stages:
    // a task of its own (the target's probe is a large future: joined
    // inline it would grow this one), under its own step deadline, never a
    // hop of the TCP path.
    let udp = ev
        .udp_port
        .map(|port| tokio::spawn(udp::check(again.addr.ip(), port, deadline.step())));
    let through = target::probe(tunnel, opened_ms, more, &target.host, creds, full, deadline).await;
    let udp = match udp {
        Some(task) => task.await.ok(),
        None => None,
    };
    ev.udp = udp;
    ev.target_probed = true;
    (ev, Some(through))
}

/// What opening one more channel needs: the gateway's address and name.
struct Again<'a> {
    gw: &'a GatewayTarget,
    addr: std::net::SocketAddr,
    gw_target: Target,
    /// The scheme and mechanism the first authentication chose.
    auth: rdpdoctor_evidence::GatewayAuth,
}

impl Again<'_> {
    /// One more path to an open channel (TCP, TLS, NTLM, MS-TSGU), timed;
    /// or where it stopped.
    async fn channel(
        &self,
        target: &Target,
        creds: &Credentials,
        deadline: &Deadline,
    ) -> (Result<tunnel::Tunnel, String>, f64) {
        let t = Instant::now();
        let mut scratch = empty_evidence(self.gw);
        let open = async {
            let t = Box::pin(transport(self, creds, deadline, &mut scratch)).await?;
            Box::pin(tunnel::run(t, target, deadline, &mut scratch)).await
        };
        let r = open.await.ok_or_else(|| {
            let h = scratch.failed_hop();
            let at = h.map(|h| h.hop.title()).unwrap_or("the gateway");
            let why = h.and_then(|h| h.status_name.clone().or(h.detail.clone()));
            format!(
                "no channel through the RD Gateway: {at}{}",
                why.map(|w| format!(": {w}")).unwrap_or_default()
            )
        });
        (r, crate::io::elapsed_ms(t))
    }
}

fn empty_evidence(gw: &GatewayTarget) -> GatewayEvidence {
    GatewayEvidence {
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
        channel_end: None,
        udp: None,
        rpc_over_http: None,
        auth: None,
    }
}

/// The path hop by hop up to an open channel, with what opening another
/// one needs.
async fn path<'a>(
    gw: &'a GatewayTarget,
    target: &Target,
    creds: Option<&Credentials>,
    address: Option<std::net::IpAddr>,
    deadline: &Deadline,
) -> (GatewayEvidence, Option<(tunnel::Tunnel, Again<'a>)>) {
    let mut ev = empty_evidence(gw);
    // The name: an address as is; a name through the probe's resolver.
    let t = Instant::now();
    let gw_target = Target {
        input: format!("{}:{}", gw.host, gw.port),
        host: gw.host.clone(),
        port: gw.port,
        host_is_ip: gw.host.parse::<std::net::IpAddr>().is_ok(),
    };
    let addresses = super::dns::resolve(&gw_target, address, false, deadline).await;
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
        return (ev, None);
    };
    if !gw_target.host_is_ip {
        ev.hops
            .push(hop(GatewayHopKind::Dns, HopOutcome::Ok, t, None));
    }
    let addr = std::net::SocketAddr::new(ip, gw.port);
    ev.address = Some(addr.to_string());
    let Some(conn) = http::open(addr, &gw_target, deadline, &mut ev, true).await else {
        return (ev, None);
    };
    let Some(()) = http::anonymous(conn, gw, deadline, &mut ev).await else {
        // No HTTP transport: does the one clients fall back to answer?
        if matches!(ev.http_status, Some(403 | 404 | 410))
            && let Some(conn) = http::open(addr, &gw_target, deadline, &mut ev, false).await
        {
            let host = http::host_field(gw);
            ev.rpc_over_http = Some(rpc::ask(conn, &host, deadline).await);
        }
        return (ev, None);
    };
    let Some(creds) = creds else {
        return (ev, None);
    };
    let t = Instant::now();
    let Some(auth) = http_auth::choose(&ev.auth_schemes, &gw.host, creds, deadline.step()).await
    else {
        // Basic alone (or another scheme): never sent (http_auth says why).
        let detail = format!(
            "the gateway offers only {}; the probe authenticates with Negotiate or NTLM \
             and does not send Basic (the password itself)",
            ev.auth_schemes.join(", ")
        );
        ev.hops.push(hop(
            GatewayHopKind::HttpAuth,
            HopOutcome::Refused,
            t,
            Some(detail),
        ));
        return (ev, None);
    };
    ev.auth = Some(auth.clone());
    let again = Again {
        gw,
        addr,
        gw_target,
        auth,
    };
    // Boxed: each holds TLS connections across its awaits, and a scan runs
    // many probes on a tokio worker's stack.
    let Some(t) = Box::pin(transport(&again, creds, deadline, &mut ev)).await else {
        return (ev, None);
    };
    let open = Box::pin(tunnel::run(t, target, deadline, &mut ev)).await;
    (ev, open.map(|t| (t, again)))
}

/// A new connection to the gateway, authenticated: the WebSocket transport,
/// or the legacy one when the gateway answers 200 (its IN channel on a
/// second connection, authenticated alike, [MS-TSGU 3.3.5.1]).
async fn transport(
    at: &Again<'_>,
    creds: &Credentials,
    deadline: &Deadline,
    ev: &mut GatewayEvidence,
) -> Option<tunnel::Transport> {
    let conn = Box::pin(http::open(at.addr, &at.gw_target, deadline, ev, false)).await?;
    match Box::pin(http::authenticate(
        conn, at.gw, creds, &at.auth, deadline, ev,
    ))
    .await?
    {
        http::Authorized::WebSocket(conn) => Some(tunnel::Transport::WebSocket(conn)),
        http::Authorized::Legacy { out, id, chunked } => {
            let inn = Box::pin(http::open(at.addr, &at.gw_target, deadline, ev, false)).await?;
            let inn = Box::pin(http::legacy_in(
                inn, at.gw, creds, &at.auth, &id, deadline, ev,
            ))
            .await?;
            Some(tunnel::Transport::Legacy {
                out,
                inn: Box::new(inn),
                chunked,
            })
        }
    }
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
