//! The gateway's TCP, TLS and HTTP hops ([MS-TSGU 3.3.5.1]): the request
//! `RDG_OUT_DATA /remoteDesktopGateway/` without credentials, then with NTLM
//! or Negotiate ([`super::http_auth`], the `sspi` crate's client) asking for
//! the WebSocket transport; where the gateway answers 200 instead, the
//! legacy transport's `RDG_IN_DATA` on a second connection ([`legacy_in`]),
//! authenticated alike.

use super::hop;
use super::http_auth::Client;
use crate::Credentials;
use crate::io::{Deadline, FramedStream, ReadError};
use base64::Engine as _;
use rdpdoctor_evidence::{GatewayAuth, HttpAuthScheme};
use rdpdoctor_evidence::{GatewayEvidence, GatewayHopKind, HopOutcome, StepFailure, Target};
use rdpdoctor_wire::http::{self as wire_http, ResponseHead};
use std::net::SocketAddr;
use std::time::Instant;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// One TLS connection to the gateway.
pub(crate) type Conn = FramedStream<TlsStream<TcpStream>>;

/// The path of the HTTP transport ([MS-TSGU 3.3.5.1]).
const PATH: &str = "/remoteDesktopGateway/";

/// TCP and TLS to the gateway; the first time (`record`), the hops and the
/// gateway's certificate are recorded.
pub(super) async fn open(
    addr: SocketAddr,
    gw: &Target,
    deadline: &Deadline,
    ev: &mut GatewayEvidence,
    record: bool,
) -> Option<Conn> {
    let t = Instant::now();
    let tcp = match crate::io::connect(addr, deadline.step()).await {
        Ok(s) => s,
        Err(e) => {
            let outcome = match e {
                crate::io::ConnectError::Timeout => HopOutcome::NoAnswer,
                crate::io::ConnectError::Refused => HopOutcome::Refused,
                _ => HopOutcome::Failed,
            };
            let detail = match e {
                crate::io::ConnectError::Timeout => {
                    format!("no answer within {} s", deadline.step().as_secs_f64())
                }
                other => format!("connect: {}", other.label()),
            };
            ev.hops
                .push(hop(GatewayHopKind::Tcp, outcome, t, Some(detail)));
            return None;
        }
    };
    if record {
        ev.hops
            .push(hop(GatewayHopKind::Tcp, HopOutcome::Ok, t, None));
    }
    let t = Instant::now();
    let (config, seen) = super::super::tls::client_config_recording(&[
        &rustls::version::TLS12,
        &rustls::version::TLS13,
    ]);
    let name = rustls::pki_types::ServerName::try_from(gw.host.clone()).unwrap_or_else(|_| {
        rustls::pki_types::ServerName::IpAddress(std::net::Ipv4Addr::UNSPECIFIED.into())
    });
    let connector = tokio_rustls::TlsConnector::from(config);
    let result = tokio::time::timeout(deadline.step(), connector.connect(name, tcp)).await;
    if record {
        let leaf = seen.lock().ok().and_then(|l| l.clone());
        if let Some(info) = leaf.and_then(|d| rdpdoctor_wire::cert::analyze(&d).ok()) {
            ev.certificate = Some(crate::certificate_facts(
                info,
                gw,
                None,
                crate::now_millis() / 1000,
            ));
        }
    }
    let stream = match result {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let detail = format!("TLS handshake failed: {e}");
            ev.hops.push(hop(
                GatewayHopKind::Tls,
                HopOutcome::Failed,
                t,
                Some(detail),
            ));
            return None;
        }
        Err(_) => {
            let detail = format!(
                "no answer to the TLS handshake within {} s",
                deadline.step().as_secs_f64()
            );
            ev.hops.push(hop(
                GatewayHopKind::Tls,
                HopOutcome::NoAnswer,
                t,
                Some(detail),
            ));
            return None;
        }
    };
    if record {
        let version = match stream.get_ref().1.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3",
            _ => "TLS 1.2",
        };
        ev.tls_version = Some(version.into());
        ev.hops
            .push(hop(GatewayHopKind::Tls, HopOutcome::Ok, t, None));
    }
    Some(FramedStream::new(stream))
}

/// The `Host` field for the gateway: its name, with the port unless 443.
pub(super) fn host_field(gw: &super::GatewayTarget) -> String {
    if gw.port == super::DEFAULT_GATEWAY_PORT {
        gw.host.clone()
    } else {
        format!("{}:{}", gw.host, gw.port)
    }
}

/// A random `Sec-WebSocket-Key` ([RFC 6455 4.1]) and connection id.
fn nonce() -> (String, String) {
    let mut b = [0u8; 32];
    let _ = getrandom::getrandom(&mut b);
    let key = base64::engine::general_purpose::STANDARD.encode(&b[..16]);
    let id: String = b[16..].iter().map(|x| format!("{x:02x}")).collect();
    let uuid = format!(
        "{{{}-{}-{}-{}-{}}}",
        &id[0..8],
        &id[8..12],
        &id[12..16],
        &id[16..20],
        &id[20..32]
    );
    (key, uuid)
}

/// One request of the HTTP transport: `method` (`RDG_OUT_DATA` or
/// `RDG_IN_DATA`) with the tunnel's `RDG-Connection-Id` ([MS-TSGU
/// 2.2.3.2.1]), asking for the WebSocket transport when `upgrade`, with an
/// `Authorization` field when given; returns the answer's head and the
/// WebSocket key sent.
async fn request(
    conn: &mut Conn,
    gw: &super::GatewayTarget,
    req: &Request<'_>,
    authorization: Option<&str>,
    deadline: &Deadline,
) -> Result<(ResponseHead, String), (HopOutcome, String)> {
    let (key, _) = nonce();
    let mut fields = head_fields(gw, req.id);
    if req.upgrade {
        fields.extend([
            ("Connection", "Upgrade".to_owned()),
            ("Upgrade", "websocket".to_owned()),
            ("Sec-WebSocket-Version", "13".to_owned()),
            ("Sec-WebSocket-Key", key.clone()),
        ]);
    } else {
        fields.push(("Connection", "Keep-Alive".to_owned()));
    }
    fields.push(("Content-Length", "0".to_owned()));
    if let Some(a) = authorization {
        fields.push(("Authorization", a.to_owned()));
    }
    let headers: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let failed = |e: String| (HopOutcome::Failed, e);
    let bytes =
        wire_http::encode_request(req.method, PATH, &headers).map_err(|e| failed(e.to_string()))?;
    conn.send(&bytes, deadline.step())
        .await
        .map_err(|e| (outcome_of(&e), e.describe()))?;
    let head = conn
        .read_frame(wire_http::head_len, wire_http::MAX_HEAD, deadline.step())
        .await
        .map_err(|e| (outcome_of(&e), describe(&e, deadline)))?;
    let head = wire_http::decode_response_head(&head).map_err(|e| failed(e.to_string()))?;
    Ok((head, key))
}

/// The fields every request of the transport carries (`Host` with the
/// port unless it is 443).
fn head_fields(gw: &super::GatewayTarget, id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Host", host_field(gw)),
        ("Accept", "*/*".to_owned()),
        ("Cache-Control", "no-cache".to_owned()),
        ("Pragma", "no-cache".to_owned()),
        ("User-Agent", "MS-RDGateway/1.0".to_owned()),
        ("RDG-Connection-Id", id.to_owned()),
    ]
}

/// What one request is.
struct Request<'a> {
    method: &'static str,
    id: &'a str,
    upgrade: bool,
}

impl<'a> Request<'a> {
    /// `RDG_OUT_DATA` asking for the WebSocket transport, as mstsc does.
    fn out(id: &'a str) -> Self {
        Request {
            method: "RDG_OUT_DATA",
            id,
            upgrade: true,
        }
    }
}

/// A new tunnel's `RDG-Connection-Id`: a braced GUID, as clients send.
fn connection_id() -> String {
    nonce().1
}

fn describe(e: &ReadError, deadline: &Deadline) -> String {
    match e {
        ReadError::Timeout { received } if received.is_empty() => {
            format!("no answer within {} s", deadline.step().as_secs_f64())
        }
        other => other.describe(),
    }
}

/// The hop's outcome from how the read or write failed, typed where it failed.
fn outcome_of(e: &ReadError) -> HopOutcome {
    match e.kind() {
        StepFailure::Timeout => HopOutcome::NoAnswer,
        StepFailure::Closed | StepFailure::Reset => HopOutcome::Closed,
        _ => HopOutcome::Failed,
    }
}

/// The HTTP transport without credentials: which schemes the 401 offers,
/// or whether the transport is missing (404/403/410: RPC over HTTP only).
pub(super) async fn anonymous(
    mut conn: Conn,
    gw: &super::GatewayTarget,
    deadline: &Deadline,
    ev: &mut GatewayEvidence,
) -> Option<()> {
    let t = Instant::now();
    let id = connection_id();
    let req = Request::out(&id);
    let head = match request(&mut conn, gw, &req, None, deadline).await {
        Ok((h, _)) => h,
        Err((outcome, detail)) => {
            ev.hops
                .push(hop(GatewayHopKind::Http, outcome, t, Some(detail)));
            return None;
        }
    };
    ev.http_status = Some(head.status);
    ev.auth_schemes = head.auth_schemes();
    ev.server_header = head.value("Server").map(str::to_owned);
    let ok = matches!(head.status, 401 | 101 | 200);
    let mut h = hop(
        GatewayHopKind::Http,
        if ok {
            HopOutcome::Ok
        } else {
            HopOutcome::Refused
        },
        t,
        None,
    );
    h.status = Some(u32::from(head.status));
    h.status_name = Some(format!("{} {}", head.status, head.reason));
    ev.hops.push(h);
    ok.then_some(())
}

/// An authenticated `RDG_OUT_DATA`: the transport the gateway chose.
pub(crate) enum Authorized {
    /// 101: the WebSocket transport, both ways on this connection.
    WebSocket(Conn),
    /// 200: the legacy transport; this connection is the OUT channel
    /// (gateway to client), its body chunked or not; the IN channel is
    /// opened with the same `RDG-Connection-Id` ([`legacy_in`]).
    Legacy {
        out: Conn,
        id: String,
        chunked: bool,
    },
}

/// Why the HTTP authentication stopped: a read or write, or an answer.
enum Stop {
    Failed(HopOutcome, String),
    Status(ResponseHead, &'static str),
}

/// Most requests one authentication may take: Negotiate with NTLM inside
/// is three (NEGOTIATE, AUTHENTICATE with the mechListMIC, and the
/// gateway's last token on the final answer); raw NTLM and Kerberos two.
const MAX_AUTH_REQUESTS: usize = 3;

/// HTTP authentication with `auth`'s scheme ([`super::http_auth`]) on
/// `req`: tokens in `Authorization`, the gateway's in its 401s, until an
/// answer other than 401; its head and the WebSocket key sent. The
/// gateway's last Negotiate token on that answer is checked ([RFC 4559 5]:
/// mutual authentication, Kerberos' AP-REP or SPNEGO's mechListMIC).
async fn exchange(
    conn: &mut Conn,
    gw: &super::GatewayTarget,
    creds: &Credentials,
    auth: &GatewayAuth,
    req: &Request<'_>,
    deadline: &Deadline,
    ev: &mut GatewayEvidence,
) -> Result<(ResponseHead, String), Stop> {
    let scheme = auth.scheme.header_name();
    let mut client =
        Client::new(auth, creds, &gw.host).map_err(|e| Stop::Failed(HopOutcome::Failed, e))?;
    let mut input = None;
    for round in 0..MAX_AUTH_REQUESTS {
        let (token, _) = match client.step(input.take(), deadline.step()).await {
            Ok(x) => x,
            Err(e) => return Err(Stop::Failed(HopOutcome::Failed, kdc_said(&client, e, ev))),
        };
        let value = format!("{scheme} {}", b64(&token));
        let (head, key) = request(conn, gw, req, Some(&value), deadline)
            .await
            .map_err(|(o, d)| Stop::Failed(o, d))?;
        let theirs = head
            .auth_token(scheme)
            .and_then(|t| base64::engine::general_purpose::STANDARD.decode(t).ok());
        if head.status != 401 {
            if let (HttpAuthScheme::Negotiate, Some(last), true) =
                (auth.scheme, theirs, matches!(head.status, 101 | 200))
                && let Err(e) = client.step(Some(last), deadline.step()).await
            {
                return Err(Stop::Failed(
                    HopOutcome::Failed,
                    format!("the gateway's last Negotiate token does not verify: {e}"),
                ));
            }
            return Ok((head, key));
        }
        match theirs {
            Some(t) => input = Some(t),
            None if round == 0 => {
                let why = match auth.scheme {
                    HttpAuthScheme::Ntlm => "the gateway sent no NTLM CHALLENGE",
                    HttpAuthScheme::Negotiate => "the gateway sent no Negotiate token",
                };
                return Err(Stop::Status(head, why));
            }
            None => {
                return Err(Stop::Status(
                    head,
                    "the gateway refused the authenticated request",
                ));
            }
        }
    }
    Err(Stop::Failed(
        HopOutcome::Failed,
        format!("{scheme} did not complete within {MAX_AUTH_REQUESTS} requests"),
    ))
}

/// A failed step's words, with the KDC's KRB-ERROR when one stopped it
/// (the AS exchange with the password, or the ticket for `HTTP/<gateway>`),
/// kept in the evidence's mechanism too.
fn kdc_said(client: &Client, e: String, ev: &mut GatewayEvidence) -> String {
    let Some(code) = client.log.last_error else {
        return e;
    };
    let name = rdpdoctor_wire::kerberos::error_name(code);
    if let Some(a) = ev.auth.as_mut() {
        a.mechanism.kdc_error = Some(code);
        a.mechanism.kdc_error_name = name.map(str::to_owned);
    }
    format!(
        "the KDC refused Kerberos for the gateway: {} ({code})",
        name.unwrap_or("an unnamed error")
    )
}

/// HTTP authentication with `auth`'s scheme, asking for the WebSocket
/// transport: the transport the gateway answered with (101 WebSocket, 200
/// legacy), or `None` (the hop says why).
pub(super) async fn authenticate(
    mut conn: Conn,
    gw: &super::GatewayTarget,
    creds: &Credentials,
    auth: &GatewayAuth,
    deadline: &Deadline,
    ev: &mut GatewayEvidence,
) -> Option<Authorized> {
    let t = Instant::now();
    let id = connection_id();
    let req = Request::out(&id);
    let (head, key) = match exchange(&mut conn, gw, creds, auth, &req, deadline, ev).await {
        Ok(x) => x,
        Err(Stop::Failed(outcome, d)) => {
            ev.hops
                .push(hop(GatewayHopKind::HttpAuth, outcome, t, Some(d)));
            return None;
        }
        Err(Stop::Status(head, why)) => return status_hop(ev, t, &head, why),
    };
    match head.status {
        101 => {
            let accept = head.value("Sec-WebSocket-Accept").unwrap_or("");
            if accept != rdpdoctor_wire::websocket::accept_key(&key) {
                return status_hop(ev, t, &head, "the WebSocket accept key is wrong");
            }
            ev.websocket = Some(true);
            let mut h = hop(GatewayHopKind::HttpAuth, HopOutcome::Ok, t, None);
            h.status = Some(101);
            h.status_name = Some(format!("101 {}", head.reason));
            ev.hops.push(h);
            Some(Authorized::WebSocket(conn))
        }
        200 => {
            ev.websocket = Some(false);
            let mut h = hop(
                GatewayHopKind::HttpAuth,
                HopOutcome::Ok,
                t,
                Some(
                    "authenticated; the gateway refused the WebSocket transport: the legacy \
                     HTTP transport (RDG_OUT_DATA and RDG_IN_DATA) is followed"
                        .into(),
                ),
            );
            h.status = Some(200);
            h.status_name = Some(format!("200 {}", head.reason));
            ev.hops.push(h);
            Some(Authorized::Legacy {
                out: conn,
                id,
                chunked: head.is_chunked(),
            })
        }
        _ => status_hop(
            ev,
            t,
            &head,
            "the gateway refused the authenticated request",
        ),
    }
}

/// The legacy transport's IN channel on a second connection: `RDG_IN_DATA`
/// with the OUT channel's `RDG-Connection-Id`, authenticated as it was,
/// answered 200; then, as FreeRDP 2.11 does, the head that announces the
/// chunked body the client's packets travel in ([RFC 9112 7.1]). A failure
/// is a second HTTP authentication hop, saying it was the IN channel.
pub(super) async fn legacy_in(
    mut conn: Conn,
    gw: &super::GatewayTarget,
    creds: &Credentials,
    auth: &GatewayAuth,
    id: &str,
    deadline: &Deadline,
    ev: &mut GatewayEvidence,
) -> Option<Conn> {
    let t = Instant::now();
    let req = Request {
        method: "RDG_IN_DATA",
        id,
        upgrade: false,
    };
    let fail = |ev: &mut GatewayEvidence, outcome, d: String| {
        let d = format!("the legacy transport's IN channel (RDG_IN_DATA): {d}");
        ev.hops
            .push(hop(GatewayHopKind::HttpAuth, outcome, t, Some(d)));
        None
    };
    let head = match exchange(&mut conn, gw, creds, auth, &req, deadline, ev).await {
        Ok((head, _)) => head,
        Err(Stop::Failed(outcome, d)) => return fail(ev, outcome, d),
        Err(Stop::Status(head, why)) => {
            return fail(
                ev,
                HopOutcome::Refused,
                format!("{} {}: {why}", head.status, head.reason),
            );
        }
    };
    if head.status != 200 {
        let d = format!("{} {}", head.status, head.reason);
        return fail(ev, HopOutcome::Refused, d);
    }
    let mut fields = head_fields(gw, id);
    fields.extend([
        ("Connection", "Keep-Alive".to_owned()),
        ("Transfer-Encoding", "chunked".to_owned()),
    ]);
    let headers: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let bytes = match wire_http::encode_request("RDG_IN_DATA", PATH, &headers) {
        Ok(b) => b,
        Err(e) => return fail(ev, HopOutcome::Failed, e.to_string()),
    };
    if let Err(e) = conn.send(&bytes, deadline.step()).await {
        return fail(ev, outcome_of(&e), e.describe());
    }
    Some(conn)
}

fn status_hop<T>(
    ev: &mut GatewayEvidence,
    t: Instant,
    head: &ResponseHead,
    why: &str,
) -> Option<T> {
    let mut h = hop(
        GatewayHopKind::HttpAuth,
        HopOutcome::Refused,
        t,
        Some(why.into()),
    );
    h.status = Some(u32::from(head.status));
    h.status_name = Some(format!("{} {}", head.status, head.reason));
    ev.hops.push(h);
    None
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}
