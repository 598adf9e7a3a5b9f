//! The exporter's own metrics (`/metrics`): requests by handler and status,
//! probes in flight and waiting for a slot, probe durations, refusals,
//! authentication and TLS handshake failures, and
//! the process's file descriptors, memory and CPU (Linux).

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
};
use std::sync::atomic::{AtomicI64, Ordering};

/// The exporter's metrics.
pub struct Stats {
    registry: Registry,
    /// Requests answered, by handler and HTTP status.
    pub requests: IntCounterVec,
    /// Probes running now.
    pub in_flight: IntGauge,
    /// The most probes that ran at once since start.
    pub in_flight_max: IntGauge,
    in_flight_peak: AtomicI64,
    /// Probes waiting for a slot.
    pub waiting: IntGauge,
    /// Probe durations, by module.
    pub probe_duration: HistogramVec,
    /// Probes finished, by module and probe_success.
    pub probes: IntCounterVec,
    /// Targets refused by the allowlist.
    pub allowlist_refusals: IntCounter,
    /// Probes refused because no slot freed up in time.
    pub busy_refusals: IntCounter,
    /// Requests refused (401) for missing or wrong credentials.
    pub auth_failures: IntCounter,
    /// TLS connections that ended before a request: a failed or timed-out
    /// handshake, or plain HTTP on the TLS port.
    pub tls_handshake_failures: IntCounter,
    /// HTTP connections open.
    pub connections: IntGauge,
    /// Time from a request to its answer, for every handler.
    pub request_duration: Histogram,
}

const NS: &str = "rdpdoctor_exporter";

/// A metric made from static options and registered; its clone is what the
/// handlers update (both share one value).
fn registered<C>(registry: &Registry, metric: prometheus::Result<C>) -> C
where
    C: prometheus::core::Collector + Clone + 'static,
{
    let metric = metric.expect("static metric");
    registry
        .register(Box::new(metric.clone()))
        .expect("unique metric names");
    metric
}

impl Stats {
    /// Registers everything; `limit` is the concurrency bound, exported as is.
    pub fn new(limit: usize) -> Stats {
        let registry = Registry::new();
        let opts = |name: &str, help: &str| Opts::new(name, help).namespace(NS);
        let gauge =
            |name: &str, help: &str| registered(&registry, IntGauge::with_opts(opts(name, help)));
        let counter =
            |name: &str, help: &str| registered(&registry, IntCounter::with_opts(opts(name, help)));
        let requests = registered(
            &registry,
            IntCounterVec::new(
                opts(
                    "http_requests_total",
                    "HTTP requests answered, by handler and status code.",
                ),
                &["handler", "code"],
            ),
        );
        let in_flight = gauge("probes_in_flight", "Probes running now.");
        let in_flight_max = gauge(
            "probes_in_flight_max",
            "The most probes that ran at once since the exporter started.",
        );
        let waiting = gauge(
            "probes_waiting",
            "Probe requests waiting for a free slot (over max_concurrent_probes).",
        );
        let limit_gauge = gauge(
            "probe_limit",
            "max_concurrent_probes: the most probes that run at once.",
        );
        limit_gauge.set(i64::try_from(limit).unwrap_or(i64::MAX));
        let probe_duration = registered(
            &registry,
            HistogramVec::new(
                HistogramOpts::new(
                    "probe_duration_seconds",
                    "How long probes took, by module (the wait for a slot not included).",
                )
                .namespace(NS)
                .buckets(vec![
                    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0,
                ]),
                &["module"],
            ),
        );
        let probes = registered(
            &registry,
            IntCounterVec::new(
                opts(
                    "probes_total",
                    "Probes finished, by module and whether probe_success was 1.",
                ),
                &["module", "success"],
            ),
        );
        let allowlist_refusals = counter(
            "allowlist_refusals_total",
            "Targets refused (403) because an address is outside the allowed networks; nothing was sent to them.",
        );
        let busy_refusals = counter(
            "busy_refusals_total",
            "Probe requests refused (503) because no slot freed up within half their timeout.",
        );
        let auth_failures = counter(
            "auth_failures_total",
            "Requests refused (401) for missing or wrong basic-auth credentials; nothing was probed for them.",
        );
        let tls_handshake_failures = counter(
            "tls_handshake_failures_total",
            "Connections whose TLS handshake failed or timed out, or that spoke plain HTTP to the TLS port.",
        );
        let connections = gauge("http_connections", "HTTP connections open.");
        let request_duration = registered(
            &registry,
            Histogram::with_opts(
                HistogramOpts::new(
                    "http_request_duration_seconds",
                    "Time from a request to its answer, every handler.",
                )
                .namespace(NS)
                .buckets(vec![0.001, 0.01, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0]),
            ),
        );
        let build = registered(
            &registry,
            IntGauge::with_opts(
                opts("build_info", "The exporter's version.")
                    .const_label("version", env!("CARGO_PKG_VERSION")),
            ),
        );
        build.set(1);
        #[cfg(target_os = "linux")]
        registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("unique metric names");
        Stats {
            registry,
            requests,
            in_flight,
            in_flight_max,
            in_flight_peak: AtomicI64::new(0),
            waiting,
            probe_duration,
            probes,
            allowlist_refusals,
            busy_refusals,
            auth_failures,
            tls_handshake_failures,
            connections,
            request_duration,
        }
    }

    /// Raises the high-water mark of probes in flight to the current count.
    pub fn note_peak(&self) {
        let now = self.in_flight.get();
        let peak = self
            .in_flight_peak
            .fetch_max(now, Ordering::SeqCst)
            .max(now);
        self.in_flight_max.set(peak);
    }

    /// The text exposition of everything.
    pub fn render(&self) -> String {
        rdpdoctor_render::metrics::encode(&self.registry.gather())
    }
}
