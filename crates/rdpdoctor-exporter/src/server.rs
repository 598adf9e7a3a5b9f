//! The HTTP/1 server: `/probe`, `/metrics`, `/`; bounded requests (the
//! bounds are [`crate::limits`]), bounded
//! connections, and a graceful shutdown. With `[web]`, over TLS (the
//! handshake within [`crate::web::HANDSHAKE_TIMEOUT`]) and behind basic
//! authentication, checked before anything else a request asks for
//! ([`crate::auth`]): a request without the right credentials gets 401 and
//! probes nothing.
//!
//! Bounds: the request line and headers fit in [`MAX_HEAD_BYTES`] (hyper
//! answers 431 otherwise) and arrive within [`HEADER_READ_TIMEOUT`]; the URI
//! is at most [`MAX_URI_BYTES`] (414); a request with a body is refused (413:
//! every endpoint is a GET); at most [`MAX_CONNECTIONS`] connections are
//! served at once (the next waits in the kernel's accept queue); at most
//! `max_concurrent_probes` probes run at once, and a probe request over that
//! waits for a slot for half its timeout, then gets 503.

use crate::auth::Verdict;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{
    AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING, WWW_AUTHENTICATE,
};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::Watcher;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

pub use crate::limits::{HEADER_READ_TIMEOUT, MAX_CONNECTIONS, MAX_HEAD_BYTES, MAX_URI_BYTES};
pub use crate::state::State;

/// The Prometheus text format's content type.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Serves on `listener` until `shutdown` completes, then stops accepting,
/// lets requests in flight finish (probes end by their own deadline), and
/// returns; connections still open `grace` after that are cut.
pub async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let tls = state
        .config
        .web
        .tls
        .as_ref()
        .map(|t| tokio_rustls::TlsAcceptor::from(t.server.clone()));
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = connections.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(e) => {
                    // Out of file descriptors, most likely: wait for some to close.
                    eprintln!("rdpdoctor exporter: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let gauge = state.stats.connections.clone();
        let state = state.clone();
        let tls = tls.clone();
        // Subscribed now, before a shutdown can be signalled: a connection
        // still in its TLS handshake is waited for too.
        let watcher = graceful.watcher();
        gauge.inc();
        tokio::spawn(async move {
            match tls {
                None => http(stream, state, watcher).await,
                Some(acceptor) => match crate::web::accept(&acceptor, stream).await {
                    Some(stream) => http(stream, state, watcher).await,
                    None => state.stats.tls_handshake_failures.inc(),
                },
            }
            gauge.dec();
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {
            eprintln!("rdpdoctor exporter: requests still open {} s after the shutdown signal: cut", grace.as_secs());
        }
    }
}

/// HTTP/1 on one connection (plain or TLS), until it closes or a graceful
/// shutdown ends it.
async fn http<S>(stream: S, state: Arc<State>, watcher: Watcher)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |req| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(route(&state, req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEAD_BYTES)
        .serve_connection(TokioIo::new(stream), svc);
    let _ = watcher.watch(conn).await;
}

async fn route(state: &Arc<State>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let path = req.uri().path();
    let handler = match path {
        "/probe" => "/probe",
        "/metrics" => "/metrics",
        "/" => "/",
        _ => "other",
    };
    let resp = answer(state, &req).await;
    state
        .stats
        .requests
        .with_label_values(&[handler, resp.status().as_str()])
        .inc();
    state
        .stats
        .request_duration
        .observe(started.elapsed().as_secs_f64());
    resp
}

async fn answer(state: &Arc<State>, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    // First: nothing else a request asks for is looked at without credentials.
    if let Some(auth) = &state.auth {
        match auth.check(req.headers().get(AUTHORIZATION)).await {
            Verdict::Allowed => {}
            Verdict::Denied => {
                state.stats.auth_failures.inc();
                let mut r = text(
                    401,
                    "unauthorized: this exporter needs basic-auth credentials\n".into(),
                );
                r.headers_mut().insert(
                    WWW_AUTHENTICATE,
                    hyper::header::HeaderValue::from_static(crate::auth::CHALLENGE),
                );
                return r;
            }
            Verdict::Busy => {
                return text(
                    503,
                    "busy: too many password checks at once; try again\n".into(),
                );
            }
        }
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = text(405, "only GET and HEAD are served\n".into());
        r.headers_mut().insert(
            hyper::header::ALLOW,
            "GET, HEAD".parse().expect("static header"),
        );
        return r;
    }
    let has_body = req.headers().contains_key(TRANSFER_ENCODING)
        || req
            .headers()
            .get(CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    if has_body {
        // Closing is the bounded way not to read it.
        let mut r = text(
            413,
            "a request body is not accepted: every endpoint is a GET\n".into(),
        );
        r.headers_mut()
            .insert(CONNECTION, "close".parse().expect("static header"));
        return r;
    }
    let uri_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return text(
            414,
            format!(
                "the request target is {uri_len} bytes, at most {MAX_URI_BYTES} are accepted\n"
            ),
        );
    }
    match req.uri().path() {
        "/probe" => {
            let timeout = req
                .headers()
                .get("x-prometheus-scrape-timeout-seconds")
                .and_then(|v| v.to_str().ok());
            let a = crate::probe::handle(state, req.uri().query().unwrap_or(""), timeout).await;
            if a.status == 200 {
                with_type(200, a.body, TEXT_FORMAT)
            } else {
                text(a.status, a.body)
            }
        }
        "/metrics" => with_type(200, state.stats.render(), TEXT_FORMAT),
        "/" => with_type(
            200,
            crate::page::index(&state.config),
            "text/html; charset=utf-8",
        ),
        _ => text(
            404,
            "not found: the exporter serves /probe?target=HOST, /metrics and /\n".into(),
        ),
    }
}

fn text(status: u16, body: String) -> Response<Full<Bytes>> {
    with_type(status, body, "text/plain; charset=utf-8")
}

fn with_type(status: u16, body: String, content_type: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    r
}
