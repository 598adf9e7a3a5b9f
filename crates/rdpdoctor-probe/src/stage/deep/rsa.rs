//! RSA under a key the server chose, kept off the async executor and bounded
//! in time.
//!
//! Standard RDP Security encrypts the client random under the server's key
//! ([MS-RDPBCGR 5.3.4.1], <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/8e8b2cca-c1fa-456c-8ecb-a82fc60b2322>),
//! and licensing encrypts the premaster secret under the licence server's
//! ([MS-RDPELE 2.2.2.2], <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpele/>).
//! The server picks modulus and exponent: a hostile 16,384-bit key with a
//! 112,000-bit exponent costs about 12 s of one core. Run on the executor,
//! that would freeze every timer of the probe (the step deadline included);
//! here it runs on its own thread and the probe waits at most the step budget.
//!
//! A plain `std::thread`, not `tokio::task::spawn_blocking`: a runtime waits
//! for its blocking tasks when it shuts down, so an abandoned 12 s modular
//! exponentiation would hold `rdpdoctor probe`'s exit (and every test's) until
//! it finished. A detached thread ends with the process. It cannot be
//! stopped before then: the work is one `modpow` call in the wire crate, whose
//! key-size caps bound what such a thread can cost.

use rdpdoctor_wire::mcs::RsaPublicKey;
use std::time::Duration;

/// Why [`off_executor`] produced nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RsaStop {
    /// Still computing when the budget ran out.
    TooSlow,
    /// No thread could be started (or it died).
    NoThread(String),
}

/// Runs `work` on a thread of its own and waits for it at most `budget`,
/// without blocking the executor.
pub async fn off_executor<T, F>(budget: Duration, work: F) -> Result<T, RsaStop>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("rdpdoctor-rsa".into())
        .spawn(move || {
            // The receiver may be gone (the budget ran out): nothing to do then.
            let _ = tx.send(work());
        })
        .map_err(|e| RsaStop::NoThread(e.to_string()))?;
    match tokio::time::timeout(budget, rx).await {
        Err(_) => Err(RsaStop::TooSlow),
        Ok(Err(_)) => Err(RsaStop::NoThread(
            "the RSA thread ended without a result".into(),
        )),
        Ok(Ok(v)) => Ok(v),
    }
}

/// "a 16384-bit modulus and a 112000-bit exponent", for messages.
pub fn describe(key: &RsaPublicKey) -> String {
    format!(
        "a {}-bit modulus and a {}-bit exponent",
        bits(&key.modulus),
        bits(&key.exponent)
    )
}

/// Bits of a big-endian number without leading zero bytes.
fn bits(be: &[u8]) -> usize {
    let skip = be.iter().take_while(|b| **b == 0).count();
    match be.get(skip) {
        None => 0,
        Some(first) => (be.len() - skip - 1) * 8 + (8 - first.leading_zeros() as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn key_sizes_read_as_bits() {
        let key = RsaPublicKey {
            modulus: vec![0x80, 0, 0],
            exponent: vec![0, 1, 0, 1],
        };
        assert_eq!(describe(&key), "a 24-bit modulus and a 17-bit exponent");
    }

    // A current-thread runtime, as in `#[tokio::test]`: work run on the
    // executor would stall the ticker below until it ended.
    #[tokio::test]
    async fn slow_work_costs_the_budget_and_timers_keep_firing() {
        let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let t2 = ticks.clone();
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                t2.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        });
        let start = Instant::now();
        let r = off_executor(Duration::from_millis(300), || {
            std::thread::sleep(Duration::from_secs(3));
            7
        })
        .await;
        let elapsed = start.elapsed();
        ticker.abort();
        assert_eq!(r, Err(RsaStop::TooSlow));
        assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
        let ticks = ticks.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            ticks >= 10,
            "the executor stalled: {ticks} ticks in {elapsed:?}"
        );
        assert_eq!(
            off_executor(Duration::from_secs(5), || 7).await,
            Ok(7),
            "quick work returns its result"
        );
    }
}
