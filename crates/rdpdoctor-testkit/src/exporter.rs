//! Running `rdpdoctor exporter` in a test: started on 127.0.0.1 port 0, its
//! address read from its first stderr line; a plain HTTP/1.1 client; and
//! [`WebDir`], the files of a `[web]` config (TLS, basic auth) with curl as
//! the HTTPS client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
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
        let mut child = Command::new(crate::run::bin())
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
            .split("://")
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

/// A temporary directory with what a `[web]` config names: a CA (`ca.crt`),
/// the exporter's certificate for 127.0.0.1 and localhost signed by it
/// (`server.crt`, `server.key`), a client certificate it signed
/// (`client.crt`, `client.key`), the user's password alone in `password`
/// (Prometheus's `password_file`), curl's `netrc` and `netrc-wrong`, and
/// `exporter.toml` (relative paths) with `[web]` and the bcrypt hash of the
/// password. Removed on drop.
pub struct WebDir {
    pub dir: PathBuf,
    pub user: String,
    pub password: String,
}

impl WebDir {
    /// `web_extra` goes into `[web.tls_server_config]`.
    pub fn new(name: &str, web_extra: &str) -> WebDir {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let dir = std::env::temp_dir().join(format!("rdpdoctor-web-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "rdpdoctor test CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        std::fs::write(dir.join("ca.crt"), ca_cert.pem()).unwrap();
        for (file, names, usage) in [
            (
                "server",
                vec!["127.0.0.1".to_owned(), "localhost".to_owned()],
                ExtendedKeyUsagePurpose::ServerAuth,
            ),
            (
                "client",
                vec!["prometheus.test".to_owned()],
                ExtendedKeyUsagePurpose::ClientAuth,
            ),
        ] {
            let key = KeyPair::generate().unwrap();
            let mut p = CertificateParams::new(names).unwrap();
            p.distinguished_name.push(DnType::CommonName, file);
            p.extended_key_usages = vec![usage];
            let cert = p.signed_by(&key, &issuer).unwrap();
            std::fs::write(dir.join(format!("{file}.crt")), cert.pem()).unwrap();
            std::fs::write(dir.join(format!("{file}.key")), key.serialize_pem()).unwrap();
        }
        let user = "prometheus".to_owned();
        let password = format!("pw-{}-{name}", std::process::id());
        std::fs::write(dir.join("password"), &password).unwrap();
        for (file, pw) in [("netrc", password.as_str()), ("netrc-wrong", "not-it")] {
            std::fs::write(
                dir.join(file),
                format!("machine 127.0.0.1 login {user} password {pw}\n"),
            )
            .unwrap();
        }
        let hash = bcrypt::hash(&password, 10).unwrap();
        std::fs::write(
            dir.join("exporter.toml"),
            format!(
                "[web.tls_server_config]\ncert_file = \"server.crt\"\nkey_file = \"server.key\"\n{web_extra}\n[web.basic_auth_users]\n{user} = \"{hash}\"\n"
            ),
        )
        .unwrap();
        WebDir {
            dir,
            user,
            password,
        }
    }

    /// The path of one of its files, as a string for a command line.
    pub fn path(&self, file: &str) -> String {
        self.dir.join(file).to_str().unwrap().to_owned()
    }

    pub fn config(&self) -> String {
        self.path("exporter.toml")
    }
}

impl Drop for WebDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What curl got: its exit status, the HTTP status (0 when none), the
/// response's head and body.
#[derive(Debug)]
pub struct Curl {
    pub exit: i32,
    pub status: u16,
    pub head: String,
    pub body: String,
}

/// `curl -sS -i ARGS… URL`, within 20 s.
pub fn curl(url: &str, args: &[&str]) -> Curl {
    let out = Command::new("curl")
        .args(["-sS", "-i", "--max-time", "20"])
        .args(args)
        .arg(url)
        .output()
        .expect("curl (lab/install.sh installs it)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Curl {
        exit: out.status.code().unwrap_or(-1),
        status,
        head: format!("{head}{}", String::from_utf8_lossy(&out.stderr)),
        body: body.to_owned(),
    }
}
