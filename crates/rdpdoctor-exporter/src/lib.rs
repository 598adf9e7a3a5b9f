//! rdpdoctor's Prometheus exporter: `rdpdoctor exporter`.
//!
//! The multi-target pattern of blackbox_exporter: Prometheus scrapes
//! `/probe?target=HOST[:PORT]&module=NAME`, the exporter probes that one
//! host (`rdpdoctor_probe::probe` with the module's profile and deadlines),
//! judges it (`rdpdoctor_diagnose::judge`) and answers with its metrics
//! (`rdpdoctor_render::metrics`). `/metrics` is the exporter's own.
//!
//! Only targets inside the allowed networks are probed ([`allow`]); nothing
//! is allowed by default. Modules, the allowlist and the concurrency bound
//! come from a TOML file ([`config`]) and the command line. With `[web]` in
//! that file the exporter serves HTTPS ([`web`]) and asks for basic-auth
//! credentials checked against bcrypt hashes ([`auth`]), as exporter-toolkit
//! does for Prometheus's own exporters.

#![forbid(unsafe_code)]

pub mod allow;
pub mod auth;
pub mod config;
pub mod gateway;
pub mod limits;
mod page;
pub mod probe;
pub mod server;
pub mod state;
pub mod stats;
pub mod web;

pub use config::Config;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Binds `listen`, says where on stderr, and serves until SIGTERM or
/// Ctrl-C; then finishes the requests in flight (a probe ends by its own
/// deadline, at most the longest module timeout) and returns.
pub fn run(listen: SocketAddr, config: Config) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let bound = listener.local_addr().unwrap_or(listen);
        let nets: Vec<String> = config.allow.networks().iter().map(|n| n.to_string()).collect();
        let modules: Vec<&str> = config.modules.keys().map(String::as_str).collect();
        let (scheme, tls) = match &config.web.tls {
            Some(t) => ("https", format!("{}; ", t.summary)),
            None => ("http", String::new()),
        };
        let mut auth = match config.web.users.len() {
            0 => "no authentication".to_owned(),
            1 => "basic auth, 1 user".to_owned(),
            n => format!("basic auth, {n} users"),
        };
        if !config.web.users.is_empty() && config.web.tls.is_none() {
            auth.push_str(
                " over plain HTTP: passwords cross the network readable, add [web.tls_server_config]",
            );
        }
        eprintln!(
            "rdpdoctor exporter: listening on {scheme}://{bound}/ ({tls}{auth}; modules {}; at most {} probes at once; allowed target networks: {})",
            modules.join(", "),
            config.max_concurrent_probes,
            if nets.is_empty() {
                "none, so every /probe is refused: add --allow CIDR".to_owned()
            } else {
                nets.join(", ")
            }
        );
        let grace = config.longest_timeout() + Duration::from_secs(3);
        let state = Arc::new(state::State::new(config));
        server::serve(listener, state, shutdown_signal(), grace).await;
        eprintln!("rdpdoctor exporter: stopped");
        Ok(())
    })
}

/// SIGTERM (what service managers and Kubernetes send) or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    eprintln!(
        "rdpdoctor exporter: shutting down: no new connections; finishing the requests in flight"
    );
}
