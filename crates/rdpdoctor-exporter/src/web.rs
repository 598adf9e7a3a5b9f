//! `[web]`: TLS and HTTP basic authentication for the exporter's own
//! endpoints. The keys are those of Prometheus's exporter-toolkit web
//! configuration (`web-config.yml`), written as TOML, so an admin of other
//! exporters recognises them:
//!
//! ```toml
//! [web.tls_server_config]
//! cert_file = "exporter.crt"        # PEM; relative to this file's directory
//! key_file = "exporter.key"
//! client_auth_type = "RequireAndVerifyClientCert"   # NoClientCert (default) | VerifyClientCertIfGiven
//! client_ca_file = "prometheus-ca.crt"
//! min_version = "TLS13"             # TLS12 (default) | TLS13
//!
//! [web.basic_auth_users]
//! prometheus = "$2y$10$…"          # bcrypt hash: htpasswd -nBC 10 "" | tr -d ':\n'
//! ```
//!
//! Everything is loaded and checked when the config is read (certificate and
//! key parse and match, the CA parses, every hash is well-formed), so a
//! mistake is a one-line error before anything listens.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The largest PEM file read (a chain of a few certificates is a few KiB).
const MAX_PEM_BYTES: u64 = 1 << 20;

pub use crate::limits::HANDSHAKE_TIMEOUT;

/// The exporter's listener settings: TLS and basic-auth users.
#[derive(Debug, Clone, Default)]
pub struct Web {
    /// TLS, when `[web.tls_server_config]` is given.
    pub tls: Option<Tls>,
    /// User name to bcrypt hash; empty: no authentication.
    pub users: BTreeMap<String, String>,
}

/// A loaded `[web.tls_server_config]`.
#[derive(Debug, Clone)]
pub struct Tls {
    /// rustls's server configuration (ring provider).
    pub server: Arc<ServerConfig>,
    /// Said in the startup line.
    pub summary: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileWeb {
    tls_server_config: Option<FileTls>,
    #[serde(default)]
    basic_auth_users: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTls {
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    client_ca_file: Option<PathBuf>,
    client_auth_type: Option<String>,
    min_version: Option<String>,
}

impl Web {
    /// Loads what `[web]` names; relative paths are taken from `base` (the
    /// config file's directory).
    pub(crate) fn load(file: FileWeb, base: &Path) -> Result<Web, String> {
        for (user, hash) in &file.basic_auth_users {
            check_user(user, hash)?;
        }
        let tls = match file.tls_server_config {
            Some(t) => Some(tls(t, base)?),
            None => None,
        };
        Ok(Web {
            tls,
            users: file.basic_auth_users,
        })
    }
}

fn check_user(user: &str, hash: &str) -> Result<(), String> {
    let at = format!("[web.basic_auth_users] {user:?}");
    if user.is_empty() || user.contains(':') || user.chars().any(char::is_control) {
        return Err(format!(
            "{at}: a user name is not empty and has no ':' or control characters"
        ));
    }
    // $2x$ marks hashes of the old, broken crypt_blowfish: not accepted.
    let prefix_ok = ["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p));
    let parts = hash.parse::<bcrypt::HashParts>();
    match parts {
        Ok(p) if prefix_ok && (4..=31).contains(&p.get_cost()) => Ok(()),
        _ => Err(format!(
            "{at}: not a bcrypt hash ($2y$/$2b$/$2a$, 60 characters): make one with htpasswd -nBC 10 \"\" | tr -d ':\\n'"
        )),
    }
}

fn tls(t: FileTls, base: &Path) -> Result<Tls, String> {
    let at = "[web.tls_server_config]";
    let cert_file = base.join(
        t.cert_file
            .ok_or_else(|| format!("{at}: cert_file is missing (a PEM certificate chain)"))?,
    );
    let key_file =
        base.join(t.key_file.ok_or_else(|| {
            format!("{at}: key_file is missing (the certificate's PEM private key)")
        })?);
    let chain = certificates(&cert_file)?;
    let key = PrivateKeyDer::from_pem_slice(&read(&key_file)?).map_err(|e| {
        format!(
            "{}: no PEM private key (PKCS#8, PKCS#1 or SEC1) in it: {e}",
            key_file.display()
        )
    })?;
    let versions: &[&rustls::SupportedProtocolVersion] = match t.min_version.as_deref() {
        None | Some("TLS12") => &[&rustls::version::TLS13, &rustls::version::TLS12],
        Some("TLS13") => &[&rustls::version::TLS13],
        Some(v) => {
            return Err(format!(
                "{at}: min_version = {v:?}: use \"TLS12\" or \"TLS13\""
            ));
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| format!("{at}: {e}"))?;
    let auth_type = t.client_auth_type.as_deref().unwrap_or("NoClientCert");
    let builder = match (auth_type, t.client_ca_file) {
        ("NoClientCert", None) => builder.with_no_client_auth(),
        ("NoClientCert", Some(_)) => {
            return Err(format!(
                "{at}: client_ca_file is set but client_auth_type is NoClientCert: set client_auth_type = \"RequireAndVerifyClientCert\""
            ));
        }
        ("RequireAndVerifyClientCert" | "VerifyClientCertIfGiven", None) => {
            return Err(format!(
                "{at}: client_auth_type = {auth_type:?} needs client_ca_file (the PEM CA that signs client certificates)"
            ));
        }
        ("RequireAndVerifyClientCert" | "VerifyClientCertIfGiven", Some(ca)) => {
            let ca = base.join(ca);
            let mut roots = RootCertStore::empty();
            for c in certificates(&ca)? {
                roots
                    .add(c)
                    .map_err(|e| format!("{}: not a CA certificate: {e}", ca.display()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = if auth_type == "VerifyClientCertIfGiven" {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            builder.with_client_cert_verifier(
                verifier
                    .build()
                    .map_err(|e| format!("{}: {e}", ca.display()))?,
            )
        }
        (other, _) => {
            return Err(format!(
                "{at}: client_auth_type = {other:?}: use \"NoClientCert\", \"RequireAndVerifyClientCert\" or \"VerifyClientCertIfGiven\""
            ));
        }
    };
    let mut server = builder.with_single_cert(chain, key).map_err(|e| {
        format!(
            "{} and {}: {e} (is the key the certificate's?)",
            cert_file.display(),
            key_file.display()
        )
    })?;
    // The server speaks HTTP/1.1 only.
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        server: Arc::new(server),
        summary: format!(
            "TLS {}+, client certificates {}",
            if versions.len() == 1 { "1.3" } else { "1.2" },
            match auth_type {
                "NoClientCert" => "not asked for",
                "VerifyClientCertIfGiven" => "verified if given",
                _ => "required",
            }
        ),
    })
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    let name = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("{name}: {e}"))?;
    if meta.len() > MAX_PEM_BYTES {
        return Err(format!("{name}: more than 1 MiB; not a PEM file"));
    }
    std::fs::read(path).map_err(|e| format!("{name}: {e}"))
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = read(path)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: bad PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
            path.display()
        ));
    }
    Ok(certs)
}

/// The TLS handshake of one accepted connection, within
/// [`HANDSHAKE_TIMEOUT`]. `None` (counted by the caller) when it fails, times
/// out, or the client spoke plain HTTP: that client gets a plain-text 400
/// saying to use https, as Go's servers (and so every official exporter)
/// answer, rather than a TLS alert that curl shows as "wrong version number".
pub async fn accept(acceptor: &TlsAcceptor, stream: TcpStream) -> Option<TlsStream<TcpStream>> {
    let handshake = async {
        let mut first = [0u8; 1];
        let n = stream.peek(&mut first).await.ok()?;
        // A TLS record starts with its content type (22, a handshake); an
        // HTTP request with its method, in capitals.
        if n == 1 && first[0].is_ascii_uppercase() {
            let mut stream = stream;
            // Read what came (the request's head, bounded) first: closing a
            // socket with unread bytes resets it, and the client might lose
            // the answer.
            let mut head = vec![0u8; crate::limits::MAX_HEAD_BYTES];
            let _ = stream.read(&mut head).await;
            let body = "this port speaks HTTPS: use https://\n";
            let answer = format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
            return None;
        }
        acceptor.accept(stream).await.ok()
    };
    tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake)
        .await
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rdpdoctor-web-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn cert(d: &Path, name: &str) {
        let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        std::fs::write(d.join(format!("{name}.crt")), c.cert.pem()).unwrap();
        std::fs::write(d.join(format!("{name}.key")), c.signing_key.serialize_pem()).unwrap();
    }

    fn load(d: &Path, toml_text: &str) -> Result<Web, String> {
        #[derive(Deserialize)]
        struct F {
            web: FileWeb,
        }
        let f: F = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        Web::load(f.web, d)
    }

    #[test]
    fn a_certificate_and_its_key_load_relative_to_the_config() {
        let d = dir("ok");
        cert(&d, "a");
        let w = load(
            &d,
            "[web.tls_server_config]\ncert_file = \"a.crt\"\nkey_file = \"a.key\"\nmin_version = \"TLS13\"\n",
        )
        .unwrap();
        assert!(w.tls.unwrap().summary.contains("TLS 1.3+"));
        let w = load(
            &d,
            "[web.tls_server_config]\ncert_file = \"a.crt\"\nkey_file = \"a.key\"\nclient_auth_type = \"VerifyClientCertIfGiven\"\nclient_ca_file = \"a.crt\"\n",
        )
        .unwrap();
        assert!(w.tls.unwrap().summary.contains("verified if given"));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn mistakes_are_one_line_naming_the_file_or_key() {
        let d = dir("bad");
        cert(&d, "a");
        cert(&d, "b");
        std::fs::write(d.join("junk.pem"), "not pem at all\n").unwrap();
        let good = bcrypt::hash("x", 4).unwrap().replace("$2b$", "$2y$");
        for (text, says) in [
            (
                "[web.tls_server_config]\ncert_file = \"nope.crt\"\nkey_file = \"a.key\"",
                "nope.crt",
            ),
            (
                "[web.tls_server_config]\ncert_file = \"junk.pem\"\nkey_file = \"a.key\"",
                "no PEM certificate",
            ),
            (
                "[web.tls_server_config]\ncert_file = \"a.crt\"\nkey_file = \"junk.pem\"",
                "no PEM private key",
            ),
            (
                "[web.tls_server_config]\ncert_file = \"a.crt\"\nkey_file = \"b.key\"",
                "is the key the certificate's?",
            ),
            (
                "[web.tls_server_config]\nkey_file = \"a.key\"",
                "cert_file is missing",
            ),
            (
                "[web.tls_server_config]\ncert_file = \"a.crt\"\nkey_file = \"a.key\"\nmin_version = \"TLS11\"",
                "TLS12",
            ),
            (
                "[web.tls_server_config]\ncert_file = \"a.crt\"\nkey_file = \"a.key\"\nclient_auth_type = \"RequestClientCert\"",
                "RequireAndVerifyClientCert",
            ),
            (
                "[web.tls_server_config]\ncert_file = \"a.crt\"\nkey_file = \"a.key\"\nclient_auth_type = \"RequireAndVerifyClientCert\"",
                "needs client_ca_file",
            ),
            (
                "[web.tls_server_config]\ncert_file = \"a.crt\"\nkey_file = \"a.key\"\nclient_ca_file = \"b.crt\"",
                "client_auth_type is NoClientCert",
            ),
            (
                "[web.basic_auth_users]\nprometheus = \"secret\"",
                "not a bcrypt hash",
            ),
            (
                &format!(
                    "[web.basic_auth_users]\nprometheus = \"{}\"",
                    good.replace("$2y$", "$2x$")
                ),
                "not a bcrypt hash",
            ),
            (
                &format!("[web.basic_auth_users]\n\"a:b\" = \"{good}\""),
                "no ':'",
            ),
        ] {
            let e = load(&d, text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
        // The plain-text password of the mistake is not repeated back.
        let e = load(&d, "[web.basic_auth_users]\nprometheus = \"hunter2\"").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
        let w = load(
            &d,
            &format!("[web.basic_auth_users]\nprometheus = \"{good}\""),
        )
        .unwrap();
        assert_eq!(w.users.len(), 1);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
