//! What every request handler shares: the configuration, the exporter's
//! own metrics, the probe slots and the authentication. The server builds
//! it once; `server`, `probe` and `page` read it.

use crate::auth::Auth;
use crate::config::Config;
use crate::stats::Stats;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// What every request handler shares.
pub struct State {
    /// The configuration.
    pub config: Config,
    /// The exporter's own metrics.
    pub stats: Stats,
    /// Probe slots (`max_concurrent_probes`).
    pub slots: Arc<Semaphore>,
    /// Basic authentication, when users are configured.
    pub auth: Option<Auth>,
}

impl State {
    /// State for `config`.
    pub fn new(config: Config) -> State {
        State {
            stats: Stats::new(config.max_concurrent_probes),
            slots: Arc::new(Semaphore::new(config.max_concurrent_probes)),
            auth: Auth::new(config.web.users.clone()),
            config,
        }
    }
}
