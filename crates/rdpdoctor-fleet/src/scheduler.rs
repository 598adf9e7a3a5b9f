//! The scheduler: probes hosts concurrently, at most `concurrency` at once,
//! starting at most `rate` hosts per second, each under its own deadline.
//!
//! Pacing *within* a host is the probe's own: `rdpdoctor_probe::probe` starts
//! its connections to one target at least 15 ms apart (`io::Pacer`), because
//! a server with a tiny listen backlog (xrdp: 2) drops a burst of SYNs. Hosts
//! are independent, so nothing paces connections across them but `rate`.

use rdpdoctor_evidence::{ProbeReport, Target};
use rdpdoctor_probe::{NoProgress, ProbeOptions};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};

/// How to pace a scan.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Hosts in flight at once (each holds 11 to 14 sockets in the fast
    /// profile, 20 to 24 in the full one).
    pub concurrency: usize,
    /// Hosts started per second; 0 = as fast as `concurrency` allows.
    pub rate: f64,
    /// How to probe each host (its profile, step timeout and ceiling).
    pub probe: ProbeOptions,
}

impl Schedule {
    /// The deadline of one host: its probe's ceiling, plus a second of grace
    /// for the probe to write its report after the ceiling (it stops itself
    /// there; this is the net under it).
    pub fn host_deadline(&self) -> Duration {
        self.probe.ceiling + Duration::from_secs(1)
    }
}

/// Probes every host of `hosts` and sends each report to `tx` as it
/// finishes (in the order they finish). Returns when every host started has
/// finished, or early when `tx`'s receiver is gone (output closed): hosts in
/// flight are then abandoned.
pub async fn scan<I>(hosts: I, schedule: &Schedule, tx: mpsc::Sender<(Target, ProbeReport)>)
where
    I: Iterator<Item = Target>,
{
    let concurrency = schedule.concurrency.max(1);
    let permits = Arc::new(Semaphore::new(concurrency));
    let opts = Arc::new(schedule.probe.clone());
    let deadline = schedule.host_deadline();
    // One start per tick. `Delay`: a tick missed while every slot was busy
    // is not made up later, so hosts never start faster than `rate`, even
    // when many slots free at once.
    let mut ticks = (schedule.rate > 0.0).then(|| {
        let mut t = tokio::time::interval(Duration::from_secs_f64(1.0 / schedule.rate));
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    for target in hosts {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        if let Some(t) = ticks.as_mut() {
            t.tick().await;
        }
        if tx.is_closed() {
            return;
        }
        let (tx, opts) = (tx.clone(), opts.clone());
        tokio::spawn(async move {
            let report = probe_one(target.clone(), &opts, deadline).await;
            let _ = tx.send((target, report)).await;
            drop(permit);
        });
    }
    // Every permit back = every host done.
    let _ = permits.acquire_many(concurrency as u32).await;
}

/// One host under its deadline. The probe ends itself at its ceiling; should
/// it not, the report says the ceiling was hit and holds what is known: nothing.
async fn probe_one(target: Target, opts: &ProbeOptions, deadline: Duration) -> ProbeReport {
    match tokio::time::timeout(
        deadline,
        rdpdoctor_probe::probe(target.clone(), opts, &NoProgress),
    )
    .await
    {
        Ok(report) => report,
        Err(_) => {
            let mut r = ProbeReport::new(
                target,
                env!("CARGO_PKG_VERSION"),
                rdpdoctor_probe::rfc3339_millis(rdpdoctor_probe::now_millis()).unwrap_or_default(),
            );
            r.timings.ceiling_hit = true;
            r.timings.total_ms = deadline.as_secs_f64() * 1000.0;
            r
        }
    }
}
