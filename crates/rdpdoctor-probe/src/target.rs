//! Parsing what the user typed as the probe target.

use rdpdoctor_evidence::Target;
use std::net::IpAddr;

/// The default RDP port.
pub const DEFAULT_PORT: u16 = 3389;

/// Why a target string is not usable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    /// Nothing was given.
    #[error(
        "the target is empty: give a host name or address, e.g. rdp.example.com or 10.0.0.5:3390"
    )]
    Empty,
    /// A port that is not a number from 1 to 65535.
    #[error("bad port {0:?} in the target: use a number from 1 to 65535")]
    BadPort(String),
    /// An IPv6 literal without brackets around it while a port is present, or unclosed brackets.
    #[error("bad IPv6 address {0:?}: write it in brackets, e.g. [::1]:3389")]
    BadIpv6(String),
    /// Characters no host name can contain.
    #[error("bad host name {0:?}: only letters, digits, '-', '_' and '.' are allowed")]
    BadHost(String),
}

/// Parses `HOST`, `HOST:PORT`, `IPv4[:PORT]`, `[IPv6][:PORT]` or a bare IPv6
/// literal. Also accepts the `rdp://HOST[:PORT]` form some tools print.
pub fn parse_target(input: &str) -> Result<Target, TargetError> {
    let trimmed = input.trim();
    let s = trimmed
        .strip_prefix("rdp://")
        .unwrap_or(trimmed)
        .trim_end_matches('/');
    if s.is_empty() {
        return Err(TargetError::Empty);
    }
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| TargetError::BadIpv6(s.to_owned()))?;
        if inside.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(TargetError::BadIpv6(s.to_owned()));
        }
        let port = match after {
            "" => DEFAULT_PORT,
            p => parse_port(
                p.strip_prefix(':')
                    .ok_or_else(|| TargetError::BadIpv6(s.to_owned()))?,
            )?,
        };
        (inside.to_owned(), port)
    } else if s.matches(':').count() > 1 {
        // A bare IPv6 literal (more than one colon cannot be host:port).
        if s.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(TargetError::BadIpv6(s.to_owned()));
        }
        (s.to_owned(), DEFAULT_PORT)
    } else if let Some((h, p)) = s.split_once(':') {
        (h.to_owned(), parse_port(p)?)
    } else {
        (s.to_owned(), DEFAULT_PORT)
    };
    if host.is_empty() {
        return Err(TargetError::Empty);
    }
    let host_is_ip = host.parse::<IpAddr>().is_ok();
    if !host_is_ip
        && !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(TargetError::BadHost(host));
    }
    Ok(Target {
        input: input.to_owned(),
        host,
        port,
        host_is_ip,
    })
}

fn parse_port(p: &str) -> Result<u16, TargetError> {
    match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(TargetError::BadPort(p.to_owned())),
        Ok(n) => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hp(s: &str) -> (String, u16, bool) {
        let t = parse_target(s).unwrap();
        (t.host, t.port, t.host_is_ip)
    }

    #[test]
    fn accepts_the_forms_users_type() {
        assert_eq!(
            hp("rdp.example.com"),
            ("rdp.example.com".into(), 3389, false)
        );
        assert_eq!(hp("10.0.0.5:3390"), ("10.0.0.5".into(), 3390, true));
        assert_eq!(hp("[::1]:3389"), ("::1".into(), 3389, true));
        assert_eq!(hp("[::1]"), ("::1".into(), 3389, true));
        assert_eq!(hp("fe80::1"), ("fe80::1".into(), 3389, true));
        assert_eq!(hp("rdp://host:4000/"), ("host".into(), 4000, false));
    }

    #[test]
    fn rejects_garbage_with_a_reason() {
        assert_eq!(parse_target(""), Err(TargetError::Empty));
        assert_eq!(
            parse_target("host:0"),
            Err(TargetError::BadPort("0".into()))
        );
        assert_eq!(
            parse_target("host:99999"),
            Err(TargetError::BadPort("99999".into()))
        );
        assert!(matches!(parse_target("[::1"), Err(TargetError::BadIpv6(_))));
        assert!(matches!(
            parse_target("[zz]:1"),
            Err(TargetError::BadIpv6(_))
        ));
        assert!(matches!(parse_target("a b"), Err(TargetError::BadHost(_))));
        assert!(matches!(
            parse_target("::zz::1"),
            Err(TargetError::BadIpv6(_))
        ));
    }
}
