//! HTTP basic authentication ([RFC 7617](https://www.rfc-editor.org/rfc/rfc7617))
//! against the bcrypt hashes of `[web.basic_auth_users]`.
//!
//! bcrypt is slow on purpose (cost 10 is tens of milliseconds of CPU), and
//! Prometheus sends the same credentials every scrape, so a verified
//! (user, password, hash) is remembered by its SHA-256, as exporter-toolkit
//! does; the password itself is kept nowhere. Failures are never remembered,
//! so the cache grows only with correct credentials, and it is bounded.
//! At most [`bcrypt_slots`] verifications run at once, on blocking threads: a
//! flood of wrong passwords costs that many cores, and scrapes whose
//! credentials are cached never wait behind it.

use base64::Engine as _;
use hyper::header::HeaderValue;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Verified credentials remembered (by digest) at most.
const CACHE_ENTRIES: usize = 1024;
/// How long a request waits for a bcrypt slot before it gets 503.
const SLOT_WAIT: Duration = Duration::from_secs(10);

/// What the `WWW-Authenticate` header of a 401 says.
pub const CHALLENGE: &str = "Basic realm=\"rdpdoctor\", charset=\"UTF-8\"";

/// The outcome of checking a request's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A configured user with the right password.
    Allowed,
    /// No, malformed or wrong credentials: 401.
    Denied,
    /// No bcrypt slot freed up in time: 503.
    Busy,
}

/// The users and what was verified.
pub struct Auth {
    users: BTreeMap<String, String>,
    verified: Mutex<HashSet<[u8; 32]>>,
    slots: Arc<Semaphore>,
}

/// bcrypt verifications run at once: half the cores, 1 to 4.
pub fn bcrypt_slots() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get() / 2)
        .clamp(1, 4)
}

impl Auth {
    /// `None` when there are no users (no authentication).
    pub fn new(users: BTreeMap<String, String>) -> Option<Auth> {
        (!users.is_empty()).then(|| Auth {
            users,
            verified: Mutex::new(HashSet::new()),
            slots: Arc::new(Semaphore::new(bcrypt_slots())),
        })
    }

    /// Checks an `Authorization` header.
    pub async fn check(&self, header: Option<&HeaderValue>) -> Verdict {
        let Some((user, password)) = header.and_then(|h| credentials(h.as_bytes())) else {
            return Verdict::Denied;
        };
        let (known, hash) = match self.users.get(&user) {
            Some(h) => (true, h.clone()),
            // An unknown user costs a verification too, against a real hash
            // of the same cost, so timing does not tell which users exist.
            None => match self.users.values().next() {
                Some(h) => (false, h.clone()),
                None => return Verdict::Denied,
            },
        };
        let key = digest(&user, &password, &hash);
        if known && self.verified.lock().is_ok_and(|v| v.contains(&key)) {
            return Verdict::Allowed;
        }
        let Ok(Ok(permit)) =
            tokio::time::timeout(SLOT_WAIT, self.slots.clone().acquire_owned()).await
        else {
            return Verdict::Busy;
        };
        let ok = tokio::task::spawn_blocking(move || {
            let ok = bcrypt::verify(&password, &hash).unwrap_or(false);
            drop(permit);
            ok
        })
        .await
        .unwrap_or(false);
        if !(known && ok) {
            return Verdict::Denied;
        }
        if let Ok(mut v) = self.verified.lock() {
            if v.len() >= CACHE_ENTRIES {
                v.clear();
            }
            v.insert(key);
        }
        Verdict::Allowed
    }
}

/// The user and password of `Basic BASE64(user:password)`; the scheme's name
/// is case-insensitive (RFC 9110 11.1).
fn credentials(header: &[u8]) -> Option<(String, Vec<u8>)> {
    let header = std::str::from_utf8(header).ok()?.trim();
    let (scheme, token) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    let user = String::from_utf8(decoded.get(..colon)?.to_vec()).ok()?;
    let password = decoded.get(colon + 1..)?.to_vec();
    Some((user, password))
}

/// SHA-256 over the three, each with its length first so no two
/// different triples are hashed from the same bytes.
fn digest(user: &str, password: &[u8], hash: &str) -> [u8; 32] {
    let mut d = Sha256::new();
    for part in [user.as_bytes(), hash.as_bytes(), password] {
        d.update((part.len() as u64).to_be_bytes());
        d.update(part);
    }
    d.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user_password: &str) -> HeaderValue {
        let b = base64::engine::general_purpose::STANDARD.encode(user_password);
        HeaderValue::from_str(&format!("Basic {b}")).unwrap()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_right_password_passes_once_verified_it_is_cheap() {
        let mut users = BTreeMap::new();
        users.insert(
            "prometheus".to_owned(),
            bcrypt::hash("s3cret: with colon", 10).unwrap(),
        );
        users.insert("other".to_owned(), bcrypt::hash("x", 10).unwrap());
        let a = Auth::new(users).unwrap();
        let good = basic("prometheus:s3cret: with colon");
        assert_eq!(a.check(Some(&good)).await, Verdict::Allowed);
        // Once verified, no bcrypt runs: with every bcrypt slot taken, the
        // same credentials still pass at once.
        let slots = a
            .slots
            .clone()
            .acquire_many_owned(bcrypt_slots() as u32)
            .await
            .unwrap();
        assert_eq!(a.check(Some(&good)).await, Verdict::Allowed);
        drop(slots);

        for bad in [
            basic("prometheus:s3cret"),
            basic("prometheus:"),
            basic("nobody:s3cret: with colon"),
            basic("other:s3cret: with colon"),
            basic("prometheus"),
            HeaderValue::from_static("Bearer abc"),
            HeaderValue::from_static("Basic !!!"),
        ] {
            assert_eq!(a.check(Some(&bad)).await, Verdict::Denied, "{bad:?}");
        }
        assert_eq!(a.check(None).await, Verdict::Denied);
        // The scheme's name in any case.
        let lower =
            HeaderValue::from_str(&good.to_str().unwrap().replacen("Basic", "bAsIc", 1)).unwrap();
        assert_eq!(a.check(Some(&lower)).await, Verdict::Allowed);
        // Failures are not remembered: one entry, the right password.
        assert_eq!(a.verified.lock().unwrap().len(), 1);
    }
}
