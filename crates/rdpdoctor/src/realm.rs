//! `probe --realm`: the Kerberos stage's options from the command line,
//! checked before any packet is sent (a bad realm or KDC is a one-line error,
//! exit 2), and the stage run after the probe.

use rdpdoctor_evidence::KdcSource;
use rdpdoctor_probe::stage::kerberos::KerberosOptions;
use rdpdoctor_render::safe::quote;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use rdpdoctor_probe::stage::kerberos::KERBEROS_PORT;

/// `HOST[:PORT]`, `[V6]:PORT`, or a `SSPI_KDC_URL` (`tcp://HOST:PORT`,
/// `udp://…`; both transports are checked whichever it names).
pub(crate) fn split_kdc(text: &str) -> Result<(String, u16), String> {
    let bad = || {
        format!(
            "bad KDC {}: use HOST, HOST:PORT or [IPv6]:PORT with a port from 1 to 65535",
            quote(text)
        )
    };
    let t = text
        .strip_prefix("tcp://")
        .or_else(|| text.strip_prefix("udp://"))
        .unwrap_or(text)
        .trim_end_matches('/');
    if t.is_empty() || t.contains(char::is_whitespace) || t.contains('/') {
        return Err(bad());
    }
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Ok((ip.to_string(), KERBEROS_PORT));
    }
    let (host, port) = match t.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.starts_with('[') => {
            let port: u16 = p.parse().map_err(|_| bad())?;
            if port == 0 {
                return Err(bad());
            }
            (h.trim_start_matches('[').trim_end_matches(']'), port)
        }
        Some(_) => return Err(bad()),
        None => (t, KERBEROS_PORT),
    };
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_owned(), port))
}

/// The user's name as the KDC knows it: `DOMAIN\user` and `user@realm` give `user`.
fn user_name(user: &str) -> &str {
    let u = user.rsplit_once('\\').map_or(user, |(_, u)| u);
    u.split_once('@').map_or(u, |(u, _)| u)
}

/// A realm's name as Kerberos and DNS spell it, or a one-line error.
pub(crate) fn check_realm(realm: &str) -> Result<(), String> {
    if realm.is_empty()
        || !realm
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Err(format!(
            "bad realm {}: use the domain's DNS name, e.g. CONTOSO.COM",
            quote(realm)
        ));
    }
    Ok(())
}

/// The stage's options, or a one-line error for bad input. `target_host`
/// is `None` for an IP address target (no SPN names an address).
pub fn options(
    realm: &str,
    kdc: Option<&str>,
    user: Option<&str>,
    target_host: Option<&str>,
    step_timeout: Duration,
) -> Result<KerberosOptions, String> {
    check_realm(realm)?;
    let env = std::env::var("SSPI_KDC_URL").ok().filter(|v| !v.is_empty());
    let (given, source) = match (kdc, env) {
        (Some(k), _) => (k.to_owned(), KdcSource::Flag),
        (None, Some(e)) => (e, KdcSource::Env),
        (None, None) => (realm.to_owned(), KdcSource::Realm),
    };
    let (host, port) = split_kdc(&given)?;
    // A name is resolved once, here, as any other target of the probe.
    let kdc_addr: SocketAddr = (host.as_str(), port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| {
            format!(
                "the KDC {} does not resolve: give its address with --kdc HOST[:PORT]",
                quote(&host)
            )
        })?;
    let user = user.map(user_name).filter(|u| !u.is_empty());
    if let Some(u) = user
        && !u.is_ascii()
    {
        return Err(format!(
            "bad user {} for Kerberos: the name must be ASCII",
            quote(u)
        ));
    }
    Ok(KerberosOptions {
        realm: realm.to_owned(),
        kdc: if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        },
        kdc_addr,
        kdc_source: source,
        user: user.map(str::to_owned),
        service_host: target_host.map(str::to_owned),
        step_timeout,
        // Set after the wire probe (probe_cmd), by what its logon did.
        credentials: None,
        password_withheld: None,
        service_reply: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kdc_forms() {
        assert_eq!(
            split_kdc("dc1.contoso.com").unwrap(),
            ("dc1.contoso.com".into(), 88)
        );
        assert_eq!(
            split_kdc("127.0.0.1:8888").unwrap(),
            ("127.0.0.1".into(), 8888)
        );
        assert_eq!(
            split_kdc("tcp://10.0.0.1:88").unwrap(),
            ("10.0.0.1".into(), 88)
        );
        assert_eq!(split_kdc("[::1]:750").unwrap(), ("::1".into(), 750));
        assert_eq!(split_kdc("::1").unwrap(), ("::1".into(), 88));
        for bad in ["", "dc:0", "dc:99999", "dc:x", "a b", "https://kdc/proxy"] {
            assert!(split_kdc(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn user_forms() {
        assert_eq!(user_name("CONTOSO\\alice"), "alice");
        assert_eq!(user_name("alice@contoso.com"), "alice");
        assert_eq!(user_name("alice"), "alice");
    }
}
