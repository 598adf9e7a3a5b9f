//! RPC over HTTP, the RD Gateway's older transport ([MS-TSGU 1.3.1]) and
//! the one clients fall back to when the HTTP transport is absent (404,
//! 403 or 410 to `RDG_OUT_DATA`): one `RPC_IN_DATA` request without
//! credentials ([MS-RPCH 2.1.2.1.1]) on a TLS connection of its own, to
//! tell "only RPC over HTTP" (its proxy asks for credentials: 401) from
//! "neither transport" (404 again: not a gateway, or its service is off).
//! The RPC exchange itself is not played.
//!
//! [MS-TSGU 1.3.1]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-tsgu/
//! [MS-RPCH 2.1.2.1.1]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rpch/

use super::http::Conn;
use crate::io::{Deadline, ReadError};
use rdpdoctor_evidence::RpcOverHttp;
use rdpdoctor_wire::http as wire_http;

/// The RPC proxy's resource: the gateway's own MS-TSGU RPC endpoint, port
/// 3388 ([MS-TSGU 2.1]), as clients name it.
const PATH: &str = "/rpc/rpcproxy.dll?localhost:3388";

/// Asks the RPC proxy on `conn` without credentials.
pub(super) async fn ask(mut conn: Conn, host: &str, deadline: &Deadline) -> RpcOverHttp {
    let headers = [
        ("Host", host),
        ("Accept", "application/rpc"),
        ("Cache-Control", "no-cache"),
        ("Pragma", "no-cache"),
        ("User-Agent", "MSRPC"),
        ("Connection", "Keep-Alive"),
        ("Content-Length", "0"),
    ];
    let no_answer = |detail: String| RpcOverHttp {
        status: None,
        auth_schemes: Vec::new(),
        detail: Some(detail),
    };
    let bytes = match wire_http::encode_request("RPC_IN_DATA", PATH, &headers) {
        Ok(b) => b,
        Err(e) => return no_answer(e.to_string()),
    };
    if let Err(e) = conn.send(&bytes, deadline.step()).await {
        return no_answer(e.describe());
    }
    let head = match conn
        .read_frame(wire_http::head_len, wire_http::MAX_HEAD, deadline.step())
        .await
    {
        Ok(h) => h,
        Err(ReadError::Timeout { received }) if received.is_empty() => {
            return no_answer(format!(
                "no answer within {} s",
                deadline.step().as_secs_f64()
            ));
        }
        Err(e) => return no_answer(e.describe()),
    };
    match wire_http::decode_response_head(&head) {
        Ok(h) => RpcOverHttp {
            status: Some(h.status),
            auth_schemes: h.auth_schemes(),
            detail: None,
        },
        Err(e) => no_answer(format!("not HTTP: {e}")),
    }
}
