//! `/probe?target=HOST[:PORT]&module=NAME`: the multi-target pattern of
//! blackbox_exporter. In order, and nothing reaches the target before the
//! last check: the target is parsed as `rdpdoctor probe` parses it, the
//! module looked up, the name resolved, **every** address checked against the
//! allowlist (403 otherwise), a probe slot taken (503 when none frees up in
//! time); then the probe runs against the address that was checked, so a
//! resolver that answers differently the second time (DNS rebinding) cannot
//! send it elsewhere.

use crate::allow::Refusal;
use crate::config::Module;
use crate::state::State;
use rdpdoctor_evidence::{ProbeReport, Stage, Target};
use rdpdoctor_probe::{ProbeOptions, parse_target};
use rdpdoctor_render::safe::quote;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The answer to a `/probe` request.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Metrics (200) or a one-line message.
    pub body: String,
}

impl Answer {
    fn error(status: u16, message: String) -> Answer {
        let mut body = rdpdoctor_render::safe::line(&message, 400);
        body.push('\n');
        Answer { status, body }
    }
}

/// The least a probe is given, however short the scrape timeout.
const MIN_BUDGET: Duration = Duration::from_millis(200);

/// How long the probe may take: Prometheus's scrape timeout minus the offset,
/// capped by the module's timeout; the module's timeout without the header.
pub fn budget(module: &Module, header: Option<&str>, offset: Duration) -> Duration {
    let scrape = header
        .and_then(|h| h.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e6)
        .map(Duration::from_secs_f64);
    match scrape {
        Some(s) => s
            .saturating_sub(offset)
            .clamp(MIN_BUDGET, module.timeout.max(MIN_BUDGET)),
        None => module.timeout,
    }
}

/// True when the target string names a port (`h:3390`, `[::1]:3390`);
/// a bare IPv6 literal's colons are not a port.
fn port_given(input: &str, t: &Target) -> bool {
    let s = input.trim().trim_end_matches('/');
    if t.host.contains(':') {
        s.contains("]:")
    } else {
        s.rsplit_once(':')
            .is_some_and(|(_, p)| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    }
}

/// Answers one `/probe` request.
pub async fn handle(state: &Arc<State>, query: &str, scrape_timeout: Option<&str>) -> Answer {
    let arrived = Instant::now();
    let mut target_arg = None;
    let mut module_arg = None;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        let slot = match &*k {
            "target" => &mut target_arg,
            "module" => &mut module_arg,
            _ => continue,
        };
        if slot.is_some() {
            return Answer::error(400, format!("{k} is given twice: give it once"));
        }
        *slot = Some(v.into_owned());
    }
    let Some(target_arg) = target_arg else {
        return Answer::error(
            400,
            "no target: use /probe?target=HOST[:PORT]&module=NAME".into(),
        );
    };
    let config = &state.config;
    let module_name = module_arg.unwrap_or_else(|| config.default_module.clone());
    let Some(module) = config.modules.get(&module_name) else {
        let names: Vec<&str> = config.modules.keys().map(String::as_str).collect();
        return Answer::error(
            400,
            format!(
                "unknown module {}: this exporter has {}",
                quote(&module_name),
                names.join(", ")
            ),
        );
    };
    let mut target = match parse_target(&target_arg) {
        Ok(t) => t,
        Err(e) => return Answer::error(400, e.to_string()),
    };
    if !port_given(&target_arg, &target) {
        target.port = module.port;
    }
    let budget = budget(module, scrape_timeout, config.timeout_offset);
    let deadline = arrived + budget;

    // Through a module's gateway the probe's packets go to the gateway:
    // its addresses are the ones checked (see `crate::gateway`).
    let (to_host, to_port, to_is_ip) = match &module.gateway {
        Some(g) => (
            g.target.host.clone(),
            g.target.port,
            g.target.host.parse::<IpAddr>().is_ok(),
        ),
        None => (target.host.clone(), target.port, target.host_is_ip),
    };
    // Addresses first; nothing is sent to the target before they pass.
    let addresses = if to_is_ip {
        match to_host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => return Answer::error(400, "bad address in the target".into()),
        }
    } else {
        let lookup = tokio::net::lookup_host((to_host.clone(), to_port));
        let step = module.step_timeout.min(budget);
        let err = match tokio::time::timeout(step, lookup).await {
            Ok(Ok(found)) => {
                let mut ips: Vec<IpAddr> = Vec::new();
                for a in found {
                    if !ips.contains(&a.ip()) {
                        ips.push(a.ip());
                    }
                }
                if ips.is_empty() {
                    Err("the name has no A or AAAA records".to_owned())
                } else {
                    Ok(ips)
                }
            }
            Ok(Err(e)) => Err(format!("the name did not resolve: {e}")),
            Err(_) => Err("the resolver did not answer before the deadline".to_owned()),
        };
        match err {
            Ok(ips) => ips,
            // Unresolved: judged as the probe would, and nothing else is tried
            // (the probe would ask the resolver again and could get an
            // address nobody checked).
            Err(message) if module.gateway.is_some() => {
                return Answer::error(502, format!("the module's RD Gateway {to_host}: {message}"));
            }
            Err(message) => {
                return dns_failure(state, target, module, &module_name, message, arrived);
            }
        }
    };
    // Through a gateway, a target that is an address is checked too.
    let through_ip = match (&module.gateway, target.host.parse::<IpAddr>()) {
        (Some(_), Ok(ip)) => vec![ip],
        _ => Vec::new(),
    };
    if let Some(refused) =
        refusal(state, &target_arg, &addresses).or_else(|| refusal(state, &target_arg, &through_ip))
    {
        state.stats.allowlist_refusals.inc();
        return Answer::error(403, refused);
    }
    let Some(address) = addresses.first().map(|ip| ip.to_canonical()) else {
        return Answer::error(400, "the target has no address".into());
    };

    // A slot, waited for at most half the budget, so the probe keeps the rest.
    let waiting = Gauged::inc(state.stats.waiting.clone());
    let permit = tokio::time::timeout(budget / 2, state.slots.clone().acquire_owned()).await;
    drop(waiting);
    let Ok(Ok(permit)) = permit else {
        state.stats.busy_refusals.inc();
        return Answer::error(
            503,
            format!(
                "busy: {} probes are running (max_concurrent_probes) and none finished within {:.1} s; try again or raise the limit",
                config.max_concurrent_probes,
                (budget / 2).as_secs_f64()
            ),
        );
    };
    let remaining = deadline
        .saturating_duration_since(Instant::now())
        .max(MIN_BUDGET);
    let opts = ProbeOptions {
        step_timeout: module.step_timeout.min(remaining),
        ceiling: remaining,
        samples: module.tcp_samples,
        // Through a gateway, the gateway's checked address; the target's is
        // the gateway's business.
        address: Some(address),
        reverse_dns: module.reverse_dns,
        credentials: module
            .gateway
            .as_ref()
            .and_then(|g| g.credentials_to_send()),
        profile: module.profile,
        gateway: module.gateway.as_ref().map(|g| g.target.clone()),
        kerberos_after_ntlm: None,
    };
    // The probe runs in a task of its own that holds the slot until the
    // probe has ended: when Prometheus gives up and closes the connection,
    // the probe's connections to the target still end by its deadline, and
    // until then they count against max_concurrent_probes.
    let running = Gauged::inc(state.stats.in_flight.clone());
    state.stats.note_peak();
    let task_state = state.clone();
    let gateway = module.gateway.clone();
    let task = tokio::spawn(async move {
        let _slot = (permit, running);
        let started = Instant::now();
        // The probe keeps its own ceiling; this only guards against a step
        // that does not, so that the answer still comes and the slot frees.
        let outer = remaining + Duration::from_secs(2);
        let probed = tokio::time::timeout(
            outer,
            rdpdoctor_probe::probe(target, &opts, &rdpdoctor_probe::NoProgress),
        )
        .await;
        let elapsed = started.elapsed().as_secs_f64();
        let stats = &task_state.stats;
        stats
            .probe_duration
            .with_label_values(&[&module_name])
            .observe(elapsed);
        match probed {
            Ok(report) => {
                if let Some(g) = &gateway {
                    g.note(&report);
                }
                render(&task_state, &report, &module_name)
            }
            Err(_) => {
                stats.probes.with_label_values(&[&module_name, "0"]).inc();
                rdpdoctor_render::metrics::cut_short(elapsed)
            }
        }
    });
    match task.await {
        Ok(body) => Answer { status: 200, body },
        Err(e) => Answer::error(500, format!("the probe failed: {e}")),
    }
}

/// A gauge raised for as long as this lives: lowered however the wait or
/// the probe ends, also when the client goes away and the request's future
/// is dropped.
struct Gauged(prometheus::IntGauge);

impl Gauged {
    fn inc(g: prometheus::IntGauge) -> Gauged {
        g.inc();
        Gauged(g)
    }
}

impl Drop for Gauged {
    fn drop(&mut self) {
        self.0.dec();
    }
}

fn render(state: &State, report: &ProbeReport, module: &str) -> String {
    let j = rdpdoctor_diagnose::judge(
        &rdpdoctor_diagnose::Evidence::wire(report),
        &rdpdoctor_diagnose::Context::default(),
    );
    let ok = rdpdoctor_render::metrics::probe_succeeded(&j);
    state
        .stats
        .probes
        .with_label_values(&[module, if ok { "1" } else { "0" }])
        .inc();
    rdpdoctor_render::metrics::probe_metrics(report, &j)
}

/// The report of a name that did not resolve: the probe's own `dns-failure`.
fn dns_failure(
    state: &State,
    target: Target,
    module: &Module,
    module_name: &str,
    message: String,
    arrived: Instant,
) -> Answer {
    let mut r = ProbeReport::new(
        target,
        env!("CARGO_PKG_VERSION"),
        rdpdoctor_probe::rfc3339_millis(rdpdoctor_probe::now_millis()).unwrap_or_default(),
    );
    let ms = arrived.elapsed().as_secs_f64() * 1000.0;
    r.addresses.error = Some(message);
    r.addresses.elapsed_ms = ms;
    r.timings.stages_ms.insert(Stage::Dns, ms);
    r.timings.total_ms = ms;
    r.limits = rdpdoctor_evidence::Limits {
        step_timeout_ms: module.step_timeout.as_secs_f64() * 1000.0,
        ceiling_ms: module.timeout.as_secs_f64() * 1000.0,
    };
    Answer {
        status: 200,
        body: render(state, &r, module_name),
    }
}

/// The 403 message when some address may not be probed.
fn refusal(state: &State, target: &str, addresses: &[IpAddr]) -> Option<String> {
    let allow = &state.config.allow;
    let mut outside = Vec::new();
    let mut never = Vec::new();
    for ip in addresses {
        match allow.check(*ip) {
            Ok(()) => {}
            Err(Refusal::Outside) => outside.push(ip.to_string()),
            Err(Refusal::NeverProbed) => never.push(ip.to_string()),
        }
    }
    let t = quote(target);
    if !never.is_empty() {
        return Some(format!(
            "refused: target {t} is {} (unspecified, multicast or broadcast), which is never probed; nothing was sent to it",
            never.join(", ")
        ));
    }
    if outside.is_empty() {
        return None;
    }
    Some(if allow.is_empty() {
        format!(
            "refused: no target networks are allowed (the default), so target {t} was not probed and nothing was sent to it; start the exporter with --allow CIDR or set allow in its config file"
        )
    } else {
        format!(
            "refused: target {t} resolves to {} outside the allowed target networks (--allow, allow in the config file); nothing was sent to it",
            outside.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scrape_timeout_less_the_offset_capped_by_the_module() {
        let m = Module::fast(); // 15 s
        let off = Duration::from_millis(500);
        assert_eq!(budget(&m, Some("10"), off), Duration::from_millis(9500));
        assert_eq!(budget(&m, Some("120"), off), Duration::from_secs(15));
        assert_eq!(budget(&m, None, off), Duration::from_secs(15));
        assert_eq!(budget(&m, Some("0.3"), off), MIN_BUDGET);
        for junk in ["", "abc", "-5", "NaN", "inf", "1e300"] {
            assert_eq!(
                budget(&m, Some(junk), off),
                Duration::from_secs(15),
                "{junk}"
            );
        }
    }

    #[test]
    fn a_port_is_given_only_when_written() {
        for (input, given) in [
            ("rdp.example.com", false),
            ("rdp.example.com:3390", true),
            ("rdp.example.com:3389", true),
            ("10.0.0.5", false),
            ("10.0.0.5:3389", true),
            ("[2001:db8::1]:3389", true),
            ("[2001:db8::1]", false),
            ("2001:db8::3389", false),
            ("rdp://host:3389/", true),
            ("full address:s:host", false),
        ] {
            let t = parse_target(input).unwrap();
            assert_eq!(port_given(input, &t), given, "{input}");
        }
    }
}
