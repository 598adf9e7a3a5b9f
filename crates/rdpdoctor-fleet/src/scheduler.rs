//! The scheduler: probes hosts concurrently, at most `concurrency` at once,
//! starting at most `rate` hosts per second, each under its own deadline.
//!
//! A host whose probe timed out after it answered TCP is held back and probed
//! again after the pass, at low concurrency ([`Schedule::retries`]): on a
//! loaded machine a step can time out because the scanner was starved, not
//! because the server was slow, and a fleet admin acts on the verdict.
//!
//! Pacing *within* a host is the probe's own: `rdpdoctor_probe::probe` starts
//! its connections to one target at least 15 ms apart (`io::Pacer`), because
//! a server with a tiny listen backlog (xrdp: 2) drops a burst of SYNs. Hosts
//! are independent, so nothing paces connections across them but `rate`.

use rdpdoctor_evidence::{ProbeReport, Target};
use rdpdoctor_probe::{NoProgress, ProbeOptions};
use std::sync::{Arc, Mutex};
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
    /// Re-checks of a host whose probe timed out after it answered TCP
    /// ([`ProbeReport::timed_out_after_answer`]): 0 = none. Each round runs
    /// after the one before has finished, at most [`RECHECK_CONCURRENCY`]
    /// hosts at once, still under `rate`.
    pub retries: u32,
}

/// The most hosts a re-check round probes at once. A step that timed out in
/// the main pass may have done so because the scanner itself was starved
/// (too many hosts at once for the machine's cores); a re-check at high
/// concurrency would be starved alike.
pub const RECHECK_CONCURRENCY: usize = 8;

impl Schedule {
    /// The deadline of one host: its probe's ceiling, plus a second of grace
    /// for the probe to write its report after the ceiling (it stops itself
    /// there; this is the net under it).
    pub fn host_deadline(&self) -> Duration {
        self.probe.ceiling + Duration::from_secs(1)
    }
}

/// What [`scan`] tells its caller, as it happens.
#[derive(Debug)]
pub enum Event {
    /// A host's final report: it is not probed again. `report.attempts`
    /// says how many probes it took.
    Done(Target, ProbeReport),
    /// A host's probe timed out after the host answered TCP: it will be
    /// probed again after the pass, and that report replaces this one
    /// (given only to be compared with the final one; nothing to write).
    Held(Target, ProbeReport),
    /// A re-check round starts (`round` 1 is the first re-check) on `hosts`
    /// hosts held by the pass before it.
    Recheck {
        /// 1 for the first re-check.
        round: u32,
        /// How many hosts it probes.
        hosts: usize,
    },
}

/// Probes every host of `hosts` and sends an [`Event`] to `tx` as each
/// finishes (in the order they finish); then, `schedule.retries` times at
/// most, probes again the hosts whose probe timed out after they answered
/// TCP. Returns when every host has its final report, or early when `tx`'s
/// receiver is gone (output closed): hosts in flight are then abandoned.
pub async fn scan<I>(hosts: I, schedule: &Schedule, tx: mpsc::Sender<Event>)
where
    I: Iterator<Item = Target>,
{
    let opts = Arc::new(schedule.probe.clone());
    // One start per tick. `Delay`: a tick missed while every slot was busy
    // is not made up later, so hosts never start faster than `rate`, even
    // when many slots free at once.
    let mut ticks = (schedule.rate > 0.0).then(|| {
        let mut t = tokio::time::interval(Duration::from_secs_f64(1.0 / schedule.rate));
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    let mut pass = Pass {
        concurrency: schedule.concurrency.max(1),
        attempt: 1,
        last: schedule.retries == 0,
        deadline: schedule.host_deadline(),
        opts,
        held: Arc::new(Mutex::new(Vec::new())),
    };
    if !pass.run(hosts, &mut ticks, &tx).await {
        return;
    }
    for round in 1..=schedule.retries {
        let again = std::mem::take(&mut *lock(&pass.held));
        if again.is_empty() {
            return;
        }
        let event = Event::Recheck {
            round,
            hosts: again.len(),
        };
        if tx.send(event).await.is_err() {
            return;
        }
        pass.concurrency = schedule.concurrency.clamp(1, RECHECK_CONCURRENCY);
        pass.attempt = round + 1;
        pass.last = round == schedule.retries;
        if !pass.run(again.into_iter(), &mut ticks, &tx).await {
            return;
        }
    }
}

/// One pass over a list of hosts: the main one, or a re-check round.
struct Pass {
    concurrency: usize,
    /// The attempt this pass is, for every host in it (1 = the main pass).
    attempt: u32,
    /// No re-check follows: every report is final.
    last: bool,
    deadline: Duration,
    opts: Arc<ProbeOptions>,
    /// Hosts to probe again in the next round.
    held: Arc<Mutex<Vec<Target>>>,
}

impl Pass {
    /// False when the output closed.
    async fn run<I>(
        &self,
        hosts: I,
        ticks: &mut Option<tokio::time::Interval>,
        tx: &mpsc::Sender<Event>,
    ) -> bool
    where
        I: Iterator<Item = Target>,
    {
        let permits = Arc::new(Semaphore::new(self.concurrency));
        for target in hosts {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            if let Some(t) = ticks.as_mut() {
                t.tick().await;
            }
            if tx.is_closed() {
                return false;
            }
            let (tx, opts, held) = (tx.clone(), self.opts.clone(), self.held.clone());
            let (attempt, last, deadline) = (self.attempt, self.last, self.deadline);
            tokio::spawn(async move {
                let mut report = probe_one(target.clone(), &opts, deadline).await;
                report.attempts = attempt;
                let event = if !last && report.timed_out_after_answer() {
                    lock(&held).push(target.clone());
                    Event::Held(target, report)
                } else {
                    Event::Done(target, report)
                };
                let _ = tx.send(event).await;
                drop(permit);
            });
        }
        // Every permit back = every host done.
        let _ = permits.acquire_many(self.concurrency as u32).await;
        !tx.is_closed()
    }
}

/// The list of held hosts (a panic elsewhere cannot leave it half-written:
/// a push is whole or not at all).
fn lock(m: &Mutex<Vec<Target>>) -> std::sync::MutexGuard<'_, Vec<Target>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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
