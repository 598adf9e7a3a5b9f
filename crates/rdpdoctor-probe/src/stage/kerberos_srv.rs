//! A realm's KDCs from DNS, as Windows and MIT find them without a
//! configured KDC: the SRV records `_kerberos._tcp.REALM`, then
//! `_kerberos._udp.REALM` ([RFC 4120 7.2.3.2], [RFC 2782]), their targets
//! in priority order (the lowest first; within one priority, the heaviest
//! first) resolved to addresses. Through the system's resolver
//! configuration (/etc/resolv.conf), with `hickory-resolver`; each lookup
//! within the step timeout, one attempt, nothing cached across runs. Only
//! for an explicit `--realm` without a KDC known: the automatic start never
//! asks DNS for a name the server chose.
//!
//! [RFC 4120 7.2.3.2]: https://www.rfc-editor.org/rfc/rfc4120#section-7.2.3.2
//! [RFC 2782]: https://www.rfc-editor.org/rfc/rfc2782

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::TokioResolver;

/// The most SRV targets kept (each silent KDC costs a step timeout).
pub const MAX_TARGETS: usize = 4;

/// What the SRV lookup found.
#[derive(Debug, Clone, Default)]
pub struct SrvKdcs {
    /// The SRV name that answered, e.g. `_kerberos._tcp.CONTOSO.COM`.
    pub name: Option<String>,
    /// Its KDCs in order: (`host:port`, address).
    pub kdcs: Vec<(String, SocketAddr)>,
    /// Why none was found, one line.
    pub detail: Option<String>,
}

fn resolver(budget: Duration) -> Result<TokioResolver, String> {
    let mut b = TokioResolver::builder_tokio()
        .map_err(|e| format!("the system's DNS configuration cannot be read: {e}"))?;
    let o = b.options_mut();
    o.timeout = budget;
    o.attempts = 1;
    o.cache_size = 0;
    Ok(b.build())
}

/// Looks up the realm's KDCs, all of it within twice the step timeout.
/// Never fails: what went wrong is `detail`.
pub async fn lookup(realm: &str, budget: Duration) -> SrvKdcs {
    let whole = budget * 2;
    tokio::time::timeout(whole, lookup_within(realm, budget))
        .await
        .unwrap_or_else(|_| SrvKdcs {
            detail: Some(format!("no answer within {} s", whole.as_secs_f64())),
            ..SrvKdcs::default()
        })
}

/// A DNS error in a few words: "no record" rather than the query's dump.
fn dns_error(e: &hickory_resolver::ResolveError) -> String {
    if e.is_nx_domain() {
        "no such name".into()
    } else if e.is_no_records_found() {
        "no SRV record".into()
    } else {
        e.to_string()
    }
}

async fn lookup_within(realm: &str, budget: Duration) -> SrvKdcs {
    let resolver = match resolver(budget) {
        Ok(r) => r,
        Err(e) => {
            return SrvKdcs {
                detail: Some(e),
                ..SrvKdcs::default()
            };
        }
    };
    let mut why = Vec::new();
    for proto in ["tcp", "udp"] {
        // Absolute (a trailing dot): no search domain is appended.
        let name = format!("_kerberos._{proto}.{realm}");
        let answer =
            tokio::time::timeout(budget * 2, resolver.srv_lookup(format!("{name}."))).await;
        let srv = match answer {
            Err(_) => {
                why.push(format!(
                    "{name}: no answer within {} s",
                    (budget * 2).as_secs_f64()
                ));
                continue;
            }
            Ok(Err(e)) => {
                why.push(format!("{name}: {}", dns_error(&e)));
                continue;
            }
            Ok(Ok(s)) => s,
        };
        let mut records: Vec<_> = srv
            .iter()
            // A target of "." says the service is not offered here.
            .filter(|r| !r.target().is_root())
            .map(|r| (r.priority(), r.weight(), r.port(), r.target().to_ascii()))
            .collect();
        records.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut kdcs = Vec::new();
        for (_, _, port, target) in records.into_iter().take(MAX_TARGETS) {
            let host = target.trim_end_matches('.').to_owned();
            let ips = tokio::time::timeout(budget * 2, resolver.lookup_ip(target.as_str())).await;
            match ips {
                Ok(Ok(ips)) => {
                    if let Some(ip) = ips.iter().next() {
                        kdcs.push((format!("{host}:{port}"), SocketAddr::new(ip, port)));
                    }
                }
                Ok(Err(e)) => why.push(format!("{host}: {}", dns_error(&e))),
                Err(_) => why.push(format!(
                    "{host}: no answer within {} s",
                    (budget * 2).as_secs_f64()
                )),
            }
        }
        if !kdcs.is_empty() {
            return SrvKdcs {
                name: Some(name),
                kdcs,
                detail: None,
            };
        }
    }
    SrvKdcs {
        detail: Some(why.join("; ")),
        ..SrvKdcs::default()
    }
}
