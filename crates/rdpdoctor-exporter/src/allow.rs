//! The allowlist of target networks: an exporter that probes whatever a
//! request names is a server-side request forgery tool (blackbox_exporter
//! #1639) that maps internal networks for anyone who can reach it. Nothing
//! is allowed until the operator names networks (`--allow CIDR`, `allow` in
//! the config file); every address a target resolves to must be inside one,
//! and the probe then connects to that checked address only.

use ipnet::IpNet;
use std::net::IpAddr;

/// The networks probes may go to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Allowlist(Vec<IpNet>);

/// Why an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not inside any allowed network.
    Outside,
    /// An address no probe should go to whatever the list says (unspecified,
    /// multicast, broadcast): `0.0.0.0` reaches the exporter's own host.
    NeverProbed,
}

impl Allowlist {
    /// Adds a network.
    pub fn push(&mut self, net: IpNet) {
        if !self.0.contains(&net) {
            self.0.push(net);
        }
    }

    /// True when nothing is allowed (the default).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The networks, for the startup line.
    pub fn networks(&self) -> &[IpNet] {
        &self.0
    }

    /// Whether a probe may go to `ip`. An IPv4-mapped IPv6 address
    /// (`::ffff:10.0.0.1`) is judged as the IPv4 address it reaches.
    pub fn check(&self, ip: IpAddr) -> Result<(), Refusal> {
        let ip = ip.to_canonical();
        let never = ip.is_unspecified()
            || ip.is_multicast()
            || matches!(ip, IpAddr::V4(v4) if v4.is_broadcast());
        if never {
            return Err(Refusal::NeverProbed);
        }
        if self.0.iter().any(|n| n.contains(&ip)) {
            Ok(())
        } else {
            Err(Refusal::Outside)
        }
    }
}

/// `10.0.0.0/8`, `2001:db8::/32`, or one address (`192.0.2.7` = a /32).
/// Host bits set under the mask (`10.1.2.3/8`) are refused: that is usually
/// a typo for a smaller network, and guessing either way widens or narrows
/// what is probed.
pub fn parse_cidr(s: &str) -> Result<IpNet, String> {
    let t = s.trim();
    let bad = || {
        format!(
            "bad network {:?} in the allowlist: use CIDR such as 10.20.0.0/16 or 2001:db8::/48, or one address",
            t.chars().take(60).collect::<String>()
        )
    };
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Ok(IpNet::from(ip));
    }
    let net: IpNet = t.parse().map_err(|_| bad())?;
    if net.trunc() != net {
        return Err(format!(
            "network {t} in the allowlist has host bits set: did you mean {}?",
            net.trunc()
        ));
    }
    Ok(net)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(nets: &[&str]) -> Allowlist {
        let mut l = Allowlist::default();
        for n in nets {
            l.push(parse_cidr(n).unwrap());
        }
        l
    }

    #[test]
    fn nothing_is_allowed_by_default() {
        let l = Allowlist::default();
        assert_eq!(l.check("127.0.0.1".parse().unwrap()), Err(Refusal::Outside));
        assert_eq!(l.check("::1".parse().unwrap()), Err(Refusal::Outside));
    }

    #[test]
    fn inside_outside_and_mapped_addresses() {
        let l = list(&["10.20.0.0/16", "2001:db8::/48", "192.0.2.7"]);
        assert!(l.check("10.20.255.1".parse().unwrap()).is_ok());
        assert!(l.check("10.21.0.1".parse().unwrap()).is_err());
        assert!(l.check("192.0.2.7".parse().unwrap()).is_ok());
        assert!(l.check("192.0.2.8".parse().unwrap()).is_err());
        assert!(l.check("2001:db8:0:1::5".parse().unwrap()).is_ok());
        // The IPv4-mapped form reaches 10.20.0.5 and 10.99.0.5.
        assert!(l.check("::ffff:10.20.0.5".parse().unwrap()).is_ok());
        assert!(l.check("::ffff:10.99.0.5".parse().unwrap()).is_err());
    }

    #[test]
    fn unspecified_multicast_and_broadcast_are_never_probed() {
        let l = list(&["0.0.0.0/0", "::/0"]);
        for ip in ["0.0.0.0", "::", "224.0.0.1", "255.255.255.255", "ff02::1"] {
            assert_eq!(
                l.check(ip.parse().unwrap()),
                Err(Refusal::NeverProbed),
                "{ip}"
            );
        }
        assert!(l.check("8.8.8.8".parse().unwrap()).is_ok());
    }

    #[test]
    fn bad_networks_are_refused_with_the_form_to_use() {
        assert!(parse_cidr("10.0.0.0/33").unwrap_err().contains("CIDR"));
        assert!(parse_cidr("ten").unwrap_err().contains("CIDR"));
        assert!(parse_cidr("10.1.2.3/8").unwrap_err().contains("10.0.0.0/8"));
    }
}
