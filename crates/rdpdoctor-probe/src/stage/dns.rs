//! Stage 1: name resolution, with the system resolver (what RDP clients use).

use crate::io::Deadline;
use rdpdoctor_evidence::{Addresses, Target};
use std::net::IpAddr;
use std::time::Instant;

/// Resolves the target. `address` overrides the resolver's choice (the user
/// knows the IP and wants the name checked too).
pub async fn resolve(
    target: &Target,
    address: Option<IpAddr>,
    reverse: bool,
    deadline: &Deadline,
) -> Addresses {
    let start = Instant::now();
    let mut out = Addresses::default();
    if target.host_is_ip {
        if let Ok(ip) = target.host.parse::<IpAddr>() {
            out.resolved.push(ip);
        }
    } else {
        let host = format!("{}:{}", target.host, target.port);
        match tokio::time::timeout(deadline.step(), tokio::net::lookup_host(host)).await {
            Err(_) => out.error = Some("the resolver did not answer before the deadline".into()),
            Ok(Err(e)) => out.error = Some(resolver_message(&e)),
            Ok(Ok(addrs)) => {
                for a in addrs {
                    if !out.resolved.contains(&a.ip()) {
                        out.resolved.push(a.ip());
                    }
                }
                if out.resolved.is_empty() {
                    out.error = Some("the name has no A or AAAA records".into());
                }
            }
        }
    }
    out.used = address.or_else(|| out.resolved.first().copied());
    if reverse
        && let Some(ip) = out
            .used
            .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
    {
        let lookup = tokio::task::spawn_blocking(move || dns_lookup::lookup_addr(&ip).ok());
        if let Ok(Ok(Some(name))) = tokio::time::timeout(deadline.step(), lookup).await {
            // getnameinfo() falls back to the numeric form when there is no PTR record.
            if name.parse::<IpAddr>().is_err() {
                out.reverse_name = Some(name);
            }
        }
    }
    out.elapsed_ms = crate::io::elapsed_ms(start);
    out
}

fn resolver_message(e: &std::io::Error) -> String {
    let m = e.to_string();
    // glibc's EAI texts, made plain.
    if m.contains("Name or service not known") || m.contains("No address associated") {
        "no such name (NXDOMAIN or no records)".into()
    } else if m.contains("Temporary failure") {
        "the DNS server could not be reached or did not answer (temporary failure)".into()
    } else {
        m
    }
}
