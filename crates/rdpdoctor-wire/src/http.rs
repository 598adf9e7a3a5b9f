//! [RFC 9112] HTTP/1.1 as an RD Gateway answers it, sans I/O: the response
//! head (status line and header fields, [RFC 9112 2.1, 4, 5]) and the
//! chunked transfer coding ([RFC 9112 7.1]) of the legacy transport's
//! `RDG_OUT_DATA` body ([MS-TSGU 3.3.5.1]).
//!
//! Everything is bounded: a head is at most [`MAX_HEAD`] bytes and
//! [`MAX_HEADERS`] fields, so a gateway that sends header lines forever costs
//! a fixed amount of memory and ends in [`WireError::TooLarge`]; a chunk is at
//! most [`MAX_CHUNK`] bytes and its size line at most [`MAX_CHUNK_LINE`].
//! The request the probe sends is written by [`encode_request`].

use crate::error::WireError;

/// Largest response head accepted (status line, fields and the empty line).
pub const MAX_HEAD: usize = 16 * 1024;
/// Most header fields accepted in one head.
pub const MAX_HEADERS: usize = 64;
/// Largest chunk of a chunked body accepted (an MS-TSGU packet is far smaller).
pub const MAX_CHUNK: usize = 1024 * 1024;
/// Longest chunk-size line (with extensions) accepted.
pub const MAX_CHUNK_LINE: usize = 1024;

/// [RFC 9112 4, 5] A response's status line and header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code, e.g. 401, 101, 200, 404.
    pub status: u16,
    /// The reason phrase as sent (server-controlled text: neutralise before showing).
    pub reason: String,
    /// The minor version of `HTTP/1.x`.
    pub minor_version: u8,
    /// Every field in order, names as sent, values trimmed.
    pub headers: Vec<(String, String)>,
}

impl ResponseHead {
    /// Every value of the field `name` (case-insensitive), in order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first value of the field `name`, if any.
    pub fn value<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.values(name).next()
    }

    /// [RFC 9110 11.6.1] The authentication schemes the `WWW-Authenticate`
    /// fields offer (`NTLM`, `Negotiate`, `Basic`, …), each once, in order.
    pub fn auth_schemes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for v in self.values("WWW-Authenticate") {
            // A field may list several challenges separated by commas; a
            // scheme is a token not containing '=' (parameters do).
            for part in v.split(',') {
                let Some(token) = part.split_whitespace().next() else {
                    continue;
                };
                if token.contains('=') {
                    continue;
                }
                if !out.iter().any(|s| s.eq_ignore_ascii_case(token)) {
                    out.push(token.to_string());
                }
            }
        }
        out
    }

    /// The token after `scheme ` in a `WWW-Authenticate` field: the
    /// base64 of an NTLM CHALLENGE, for example.
    pub fn auth_token<'a>(&'a self, scheme: &'a str) -> Option<&'a str> {
        self.values("WWW-Authenticate").find_map(|v| {
            let (s, rest) = v.split_once(' ')?;
            s.eq_ignore_ascii_case(scheme).then(|| rest.trim())
        })
    }

    /// Whether a field's comma-separated value holds `token` (case-insensitive):
    /// `Connection: Upgrade`, `Transfer-Encoding: chunked`.
    pub fn has_token<'a>(&'a self, name: &'a str, token: &str) -> bool {
        self.values(name)
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// Whether the body is chunked ([RFC 9112 6.1]).
    pub fn is_chunked(&self) -> bool {
        self.has_token("Transfer-Encoding", "chunked")
    }

    /// `Content-Length`, when present and a number.
    pub fn content_length(&self) -> Option<u64> {
        self.value("Content-Length")?.trim().parse().ok()
    }
}

/// The length of the response head at the start of `buf`, up to and with
/// its empty line; `Ok(None)` until that line has arrived. A head longer
/// than [`MAX_HEAD`] is refused as soon as that many bytes are present, so
/// it is a [`crate::frame::Framer`] for the accumulator.
pub fn head_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    let window = buf.get(..MAX_HEAD.min(buf.len())).unwrap_or(buf);
    if let Some(at) = window.windows(4).position(|w| w == b"\r\n\r\n") {
        return Ok(Some(at.saturating_add(4)));
    }
    if !buf.starts_with(b"HTTP/")
        && !b"HTTP/".starts_with(buf.get(..5.min(buf.len())).unwrap_or(&[]))
    {
        return Err(WireError::invalid(
            "HTTP status line",
            "the answer does not start with \"HTTP/\"",
        ));
    }
    if buf.len() >= MAX_HEAD {
        return Err(WireError::TooLarge {
            what: "HTTP response head",
            len: buf.len(),
            max: MAX_HEAD,
        });
    }
    Ok(None)
}

/// Decodes a complete response head (as [`head_len`] delimits it; bytes after
/// the empty line are ignored).
pub fn decode_response_head(buf: &[u8]) -> Result<ResponseHead, WireError> {
    let len = head_len(buf)?.ok_or(WireError::Truncated {
        needed: buf.len().saturating_add(1),
        available: buf.len(),
        what: "HTTP response head",
    })?;
    let head = buf.get(..len).unwrap_or(&[]);
    let text = std::str::from_utf8(head)
        .map_err(|_| WireError::invalid("HTTP response head", "not ASCII/UTF-8"))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let (version, rest) = status_line
        .split_once(' ')
        .ok_or_else(|| WireError::invalid("HTTP status line", "no status code"))?;
    let minor_version = match version {
        "HTTP/1.1" => 1,
        "HTTP/1.0" => 0,
        _ => {
            return Err(WireError::invalid(
                "HTTP status line",
                "version is not HTTP/1.0 or HTTP/1.1",
            ));
        }
    };
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    let status = code
        .parse::<u16>()
        .ok()
        .filter(|c| (100..=999).contains(c) && code.len() == 3)
        .ok_or_else(|| WireError::invalid("HTTP status code", "not three digits"))?;
    let headers = fields(lines)?;
    Ok(ResponseHead {
        status,
        reason: reason.to_string(),
        minor_version,
        headers,
    })
}

/// [RFC 9112 3] A request's method, target and header fields (what the
/// emulated gateway reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The method, e.g. `RDG_OUT_DATA`.
    pub method: String,
    /// The request target, e.g. `/remoteDesktopGateway/`.
    pub path: String,
    /// Every field in order, values trimmed.
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    /// The first value of the field `name` (case-insensitive).
    pub fn value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The length of the request head at the start of `buf`; `Ok(None)` until
/// its empty line has arrived; refused at [`MAX_HEAD`] bytes.
pub fn request_head_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    let window = buf.get(..MAX_HEAD.min(buf.len())).unwrap_or(buf);
    if let Some(at) = window.windows(4).position(|w| w == b"\r\n\r\n") {
        return Ok(Some(at.saturating_add(4)));
    }
    if buf.len() >= MAX_HEAD {
        return Err(WireError::TooLarge {
            what: "HTTP request head",
            len: buf.len(),
            max: MAX_HEAD,
        });
    }
    Ok(None)
}

/// Decodes a complete request head.
pub fn decode_request_head(buf: &[u8]) -> Result<RequestHead, WireError> {
    let len = request_head_len(buf)?.ok_or(WireError::Truncated {
        needed: buf.len().saturating_add(1),
        available: buf.len(),
        what: "HTTP request head",
    })?;
    let text = std::str::from_utf8(buf.get(..len).unwrap_or(&[]))
        .map_err(|_| WireError::invalid("HTTP request head", "not ASCII/UTF-8"))?;
    let mut lines = text.split("\r\n");
    let mut parts = lines.next().unwrap_or("").split(' ');
    let (Some(method), Some(path), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(WireError::invalid(
            "HTTP request line",
            "not METHOD TARGET VERSION",
        ));
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() {
        return Err(WireError::invalid(
            "HTTP request line",
            "not an HTTP/1.x request",
        ));
    }
    let headers = fields(lines)?;
    Ok(RequestHead {
        method: method.to_string(),
        path: path.to_string(),
        headers,
    })
}

/// Header field lines up to the empty line, bounded by [`MAX_HEADERS`].
fn fields<'a>(lines: impl Iterator<Item = &'a str>) -> Result<Vec<(String, String)>, WireError> {
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(WireError::TooLarge {
                what: "HTTP header field count",
                len: headers.len().saturating_add(1),
                max: MAX_HEADERS,
            });
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| WireError::invalid("HTTP header field", "no ':' in the line"))?;
        if name.is_empty() || name.contains(|c: char| c.is_whitespace()) {
            return Err(WireError::invalid("HTTP header field", "bad field name"));
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    Ok(headers)
}

/// A request line and header fields, ending with the empty line
/// ([RFC 9112 3]); no body. Field values must not hold CR or LF: those
/// are refused, so a host name cannot smuggle a header.
pub fn encode_request(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<Vec<u8>, WireError> {
    let bad = |s: &str| s.contains(['\r', '\n']);
    if bad(method) || bad(path) || headers.iter().any(|(n, v)| bad(n) || bad(v)) {
        return Err(WireError::invalid(
            "HTTP request",
            "a field holds a line break",
        ));
    }
    let mut out = format!("{method} {path} HTTP/1.1\r\n");
    for (n, v) in headers {
        out.push_str(n);
        out.push_str(": ");
        out.push_str(v);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    Ok(out.into_bytes())
}

/// [RFC 9112 7.1] One chunk of a chunked body, read from the start of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The chunk's data.
    pub data: Vec<u8>,
    /// Bytes of the buffer the chunk took (size line, data, CRLF; for the
    /// last chunk, the trailer section too).
    pub consumed: usize,
    /// The last chunk (size 0): the body has ended.
    pub last: bool,
}

/// The length of the chunk at the start of `buf` (as [`Chunk::consumed`]);
/// `Ok(None)` until it is all there. A [`crate::frame::Framer`]: the size is
/// refused above [`MAX_CHUNK`] before the data arrive, and a size line or
/// trailer section that does not end is refused at [`MAX_CHUNK_LINE`] /
/// [`MAX_HEAD`] bytes.
pub fn chunk_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    let Some((size, line_len)) = chunk_size(buf)? else {
        return Ok(None);
    };
    if size == 0 {
        // Trailer section: fields, then an empty line.
        let rest = buf.get(line_len..).unwrap_or(&[]);
        if rest.starts_with(b"\r\n") {
            return Ok(Some(line_len.saturating_add(2)));
        }
        let window = rest.get(..MAX_HEAD.min(rest.len())).unwrap_or(rest);
        if let Some(at) = window.windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(Some(line_len.saturating_add(at).saturating_add(4)));
        }
        if rest.len() >= MAX_HEAD {
            return Err(WireError::TooLarge {
                what: "chunked trailer section",
                len: rest.len(),
                max: MAX_HEAD,
            });
        }
        return Ok(None);
    }
    Ok(Some(line_len.saturating_add(size).saturating_add(2)))
}

/// The chunk-size and the size line's length with its CRLF.
fn chunk_size(buf: &[u8]) -> Result<Option<(usize, usize)>, WireError> {
    let window = buf.get(..MAX_CHUNK_LINE.min(buf.len())).unwrap_or(buf);
    let Some(at) = window.windows(2).position(|w| w == b"\r\n") else {
        if buf.len() >= MAX_CHUNK_LINE {
            return Err(WireError::TooLarge {
                what: "chunk-size line",
                len: buf.len(),
                max: MAX_CHUNK_LINE,
            });
        }
        return Ok(None);
    };
    let line = window.get(..at).unwrap_or(&[]);
    // Extensions after ';' are ignored ([RFC 9112 7.1.1]).
    let hex = line.split(|&b| b == b';').next().unwrap_or(&[]);
    let hex = std::str::from_utf8(hex)
        .map_err(|_| WireError::invalid("chunk-size", "not hexadecimal"))?
        .trim();
    if hex.is_empty() || hex.len() > 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(WireError::invalid(
            "chunk-size",
            "not 1 to 8 hexadecimal digits",
        ));
    }
    let size = usize::from_str_radix(hex, 16)
        .map_err(|_| WireError::invalid("chunk-size", "not hexadecimal"))?;
    if size > MAX_CHUNK {
        return Err(WireError::TooLarge {
            what: "chunk",
            len: size,
            max: MAX_CHUNK,
        });
    }
    Ok(Some((size, at.saturating_add(2))))
}

/// Decodes the chunk at the start of `buf`; `Ok(None)` until it is complete.
pub fn decode_chunk(buf: &[u8]) -> Result<Option<Chunk>, WireError> {
    let Some(consumed) = chunk_len(buf)?.filter(|&n| n <= buf.len()) else {
        return Ok(None);
    };
    let Some((size, line_len)) = chunk_size(buf)? else {
        return Ok(None);
    };
    if size == 0 {
        return Ok(Some(Chunk {
            data: Vec::new(),
            consumed,
            last: true,
        }));
    }
    let end = line_len.saturating_add(size);
    let data = buf.get(line_len..end).ok_or(WireError::Truncated {
        needed: end,
        available: buf.len(),
        what: "chunk data",
    })?;
    if buf.get(end..end.saturating_add(2)) != Some(b"\r\n".as_slice()) {
        return Err(WireError::invalid("chunk", "data not followed by CRLF"));
    }
    Ok(Some(Chunk {
        data: data.to_vec(),
        consumed,
        last: false,
    }))
}

/// Encodes `data` as one chunk (an empty slice is the last chunk).
pub fn encode_chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &[u8] = b"HTTP/1.1 401 Unauthorized\r\nServer: Microsoft-HTTPAPI/2.0\r\n\
WWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\nrest";

    #[test]
    fn a_gateway_401_offers_its_schemes() {
        assert_eq!(head_len(HEAD), Ok(Some(HEAD.len() - 4)));
        let h = decode_response_head(HEAD).unwrap();
        assert_eq!(h.status, 401);
        assert_eq!(h.reason, "Unauthorized");
        assert_eq!(h.auth_schemes(), ["Negotiate", "NTLM"]);
        assert_eq!(h.content_length(), Some(0));
        assert!(!h.is_chunked());
    }

    #[test]
    fn every_truncation_of_a_head_waits_or_fails_cleanly() {
        for n in 0..HEAD.len() - 4 {
            assert_eq!(head_len(&HEAD[..n]), Ok(None), "prefix {n}");
            assert!(decode_response_head(&HEAD[..n]).is_err());
        }
    }

    #[test]
    fn endless_headers_are_refused_at_the_limit() {
        let mut buf = b"HTTP/1.1 200 OK\r\n".to_vec();
        while buf.len() < MAX_HEAD {
            buf.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaa\r\n");
        }
        assert!(matches!(head_len(&buf), Err(WireError::TooLarge { .. })));
        let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
        for _ in 0..=MAX_HEADERS {
            many.extend_from_slice(b"A: b\r\n");
        }
        many.extend_from_slice(b"\r\n");
        assert!(matches!(
            decode_response_head(&many),
            Err(WireError::TooLarge { .. })
        ));
    }

    #[test]
    fn not_http_is_an_error_at_once() {
        assert!(head_len(b"\x16\x03\x01").is_err());
        assert!(head_len(b"HT").unwrap().is_none());
    }

    #[test]
    fn chunks_round_trip_and_truncations_wait() {
        let mut body = encode_chunk(b"hello");
        body.extend_from_slice(&encode_chunk(b""));
        let first = decode_chunk(&body).unwrap().unwrap();
        assert_eq!(first.data, b"hello");
        assert!(!first.last);
        for n in 0..first.consumed {
            assert_eq!(decode_chunk(&body[..n]), Ok(None), "prefix {n}");
        }
        let last = decode_chunk(&body[first.consumed..]).unwrap().unwrap();
        assert!(last.last);
        assert_eq!(first.consumed + last.consumed, body.len());
    }

    #[test]
    fn oversized_and_endless_chunks_are_refused() {
        assert!(matches!(
            chunk_len(b"fffffff\r\n"),
            Err(WireError::TooLarge { .. })
        ));
        assert!(chunk_len(&[b'1'; MAX_CHUNK_LINE]).is_err());
        assert!(decode_chunk(b"zz\r\n").is_err());
        assert!(decode_chunk(b"2\r\nabXY").is_err());
    }

    #[test]
    fn a_request_head_decodes_and_truncations_wait() {
        let r =
            encode_request("RDG_OUT_DATA", "/remoteDesktopGateway/", &[("Host", "gw")]).unwrap();
        let h = decode_request_head(&r).unwrap();
        assert_eq!(
            (h.method.as_str(), h.value("host")),
            ("RDG_OUT_DATA", Some("gw"))
        );
        for n in 0..r.len() {
            assert_eq!(request_head_len(&r[..n]), Ok(None));
        }
        assert!(request_head_len(&vec![b'a'; MAX_HEAD]).is_err());
    }

    #[test]
    fn a_request_cannot_smuggle_a_header() {
        assert!(encode_request("GET", "/", &[("Host", "a\r\nX: y")]).is_err());
        let r =
            encode_request("RDG_OUT_DATA", "/remoteDesktopGateway/", &[("Host", "gw")]).unwrap();
        assert!(r.starts_with(b"RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\nHost: gw\r\n"));
    }
}
