//! Running `rdpdoctor exporter` in a test: started on 127.0.0.1 port 0, its
//! address read from its first stderr line; a plain HTTP/1.1 client.
//!
//! Included with `#[path = "common/exporter.rs"] mod exporter_util;` beside
//! `mod common;`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running exporter; killed when dropped.
pub struct Exporter {
    pub child: Child,
    pub addr: SocketAddr,
    /// Everything it wrote on stderr so far.
    pub stderr: Arc<Mutex<String>>,
}

impl Exporter {
    /// `rdpdoctor exporter --listen 127.0.0.1:0 ARGS…`
    pub fn start(args: &[&str]) -> Exporter {
        let mut child = Command::new(crate::common::bin())
            .args(["exporter", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rdpdoctor exporter");
        let mut lines = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        lines.read_line(&mut first).unwrap();
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no address in the exporter's first line: {first:?}"));
        let stderr = Arc::new(Mutex::new(first));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Exporter {
            child,
            addr,
            stderr,
        }
    }

    /// GET `path` with extra headers: (status, body).
    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        request(self.addr, "GET", path, headers, "")
    }

    /// `/probe?target=TARGET` (percent-encoded) with a scrape timeout.
    pub fn probe(&self, target: &str, module: &str, scrape_timeout: &str) -> (u16, String) {
        let t: String = target
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        self.get(
            &format!("/probe?target={t}&module={module}"),
            &[("X-Prometheus-Scrape-Timeout-Seconds", scrape_timeout)],
        )
    }

    /// The value of one sample of /metrics (or of a /probe body).
    pub fn metric(&self, sample: &str) -> Option<f64> {
        sample_value(&self.get("/metrics", &[]).1, sample)
    }

    /// SIGTERM.
    pub fn terminate(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the line that starts with `sample ` (name and labels as written).
pub fn sample_value(text: &str, sample: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// One HTTP/1.1 request, `Connection: close`: (status, body).
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect to the exporter");
    s.set_read_timeout(Some(Duration::from_secs(90))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    // The server may answer and close before reading everything (431, 413).
    let _ = s.write_all(req.as_bytes());
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n");
    let (head, body) = match split {
        Some(i) => (&raw[..i], &raw[i + 4..]),
        None => (&raw[..], &[][..]),
    };
    let head = String::from_utf8_lossy(head).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {head:?}"));
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_vec()
    };
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// A chunked body (RFC 9112 7.1), as Prometheus sends its API answers.
fn dechunk(mut s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = s.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&s[..eol]);
        let n = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
        let rest = &s[eol + 2..];
        if n == 0 || rest.len() < n {
            break;
        }
        out.extend_from_slice(&rest[..n]);
        s = rest[n..].strip_prefix(b"\r\n").unwrap_or(&rest[n..]);
    }
    out
}
