//! Target lists: what `scan` is asked to probe. Sans-I/O: the caller reads
//! files and stdin and hands the text here.
//!
//! A token is anything `rdpdoctor probe` takes (`server01`, `10.0.0.7:3390`,
//! `[2001:db8::7]:3390`, …) or a CIDR range, IPv4 or IPv6, with an optional
//! port: `10.0.0.0/24`, `10.0.0.0/24:3390`, `2001:db8::/120`,
//! `[2001:db8::/120]:3390`. A range covers every address in it, network and
//! broadcast addresses included (as nmap does: a /16 is 65,536 hosts). A
//! host that appears twice (a name twice, an address inside two ranges) is
//! probed once, where it first appears.

use ipnet::IpNet;
use rdpdoctor_evidence::Target;
use rdpdoctor_probe::{DEFAULT_PORT, parse_target};
use std::collections::HashSet;
use std::net::IpAddr;

/// Addresses one range may cover without `--force` (a /16 in IPv4, a /112 in IPv6).
pub const RANGE_LIMIT: u128 = 1 << 16;
/// Addresses one range may cover even with `--force` (a /8 in IPv4): beyond
/// it a scan would run for days and its result would not fit in memory.
pub const FORCED_RANGE_LIMIT: u128 = 1 << 24;
/// The longest token quoted in an error message.
const QUOTE: usize = 60;

/// A bad target list: one line, naming where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetsError(pub String);

impl std::fmt::Display for TargetsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for TargetsError {}

/// One item of a target list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    /// One host, as `probe` parses it.
    One(Target),
    /// Every address of a network, on one port.
    Range {
        /// The network (host bits cleared).
        net: IpNet,
        /// The TCP port.
        port: u16,
    },
}

impl Spec {
    /// How many hosts it covers (before removing duplicates).
    pub fn len(&self) -> u128 {
        match self {
            Spec::One(_) => 1,
            Spec::Range { net, .. } => range_size(net),
        }
    }

    /// Always false: a spec covers at least one host.
    pub fn is_empty(&self) -> bool {
        false
    }
}

fn range_size(net: &IpNet) -> u128 {
    let free = u32::from(net.max_prefix_len() - net.prefix_len());
    1u128.checked_shl(free).unwrap_or(u128::MAX)
}

/// `s` quoted for an error message: control characters escaped, cut short.
fn quote(s: &str) -> String {
    let mut out: String = s.chars().take(QUOTE).flat_map(char::escape_debug).collect();
    if s.chars().count() > QUOTE {
        out.push('…');
    }
    format!("\"{out}\"")
}

/// Parses one token. `limit`: the most addresses a range may cover.
pub fn parse_token(token: &str, limit: u128) -> Result<Spec, String> {
    if !token.contains('/') || token.starts_with("/v:") || token.contains("://") {
        return parse_target(token)
            .map(Spec::One)
            .map_err(|e| format!("{} is not a target: {e}", quote(token)));
    }
    let (cidr, port) = split_range_port(token)?;
    let net: IpNet = cidr.parse().map_err(|_| {
        format!(
            "{} is not a CIDR range: use ADDRESS/PREFIX, e.g. 10.0.0.0/24 or 2001:db8::/120, optionally :PORT (IPv6 in brackets: [2001:db8::/120]:3390)",
            quote(token)
        )
    })?;
    let net = net.trunc();
    let size = range_size(&net);
    if size > limit {
        let hint = if limit < FORCED_RANGE_LIMIT {
            format!("narrow it, or add --force (up to {FORCED_RANGE_LIMIT} addresses per range)")
        } else {
            "narrow it or split it".to_owned()
        };
        let n = if size == u128::MAX {
            "more than 2^127".to_owned()
        } else {
            size.to_string()
        };
        return Err(format!(
            "range {} covers {n} addresses, more than the limit of {limit}: {hint}",
            quote(token)
        ));
    }
    Ok(Spec::Range { net, port })
}

/// `10.0.0.0/24:3390` → (`10.0.0.0/24`, 3390); `[2001:db8::/120]:3390` →
/// (`2001:db8::/120`, 3390); no port → 3389.
fn split_range_port(token: &str) -> Result<(&str, u16), String> {
    let bad_port = |p: &str| {
        format!(
            "bad port {} in the range {}: use a number from 1 to 65535",
            quote(p),
            quote(token)
        )
    };
    let port_of = |p: &str| match p.parse::<u16>() {
        Ok(n) if n > 0 && !p.starts_with('+') => Ok(n),
        _ => Err(bad_port(p)),
    };
    if let Some(rest) = token.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("{} has '[' without ']'", quote(token)))?;
        return match after {
            "" => Ok((inside, DEFAULT_PORT)),
            a => match a.strip_prefix(':') {
                Some(p) => Ok((inside, port_of(p)?)),
                None => Err(format!("{}: only :PORT may follow ']'", quote(token))),
            },
        };
    }
    // IPv4: the port follows the prefix (`10.0.0.0/24:3390`). IPv6 without
    // brackets has no port (its colons are the address's).
    let (addr, prefix) = token.split_once('/').unwrap_or((token, ""));
    if !addr.contains(':')
        && let Some((pre, p)) = prefix.split_once(':')
    {
        let cidr_len = addr.len() + 1 + pre.len();
        return Ok((token.get(..cidr_len).unwrap_or(token), port_of(p)?));
    }
    Ok((token, DEFAULT_PORT))
}

/// A target list, parsed: every item in order.
#[derive(Debug, Clone, Default)]
pub struct TargetSet {
    specs: Vec<Spec>,
}

impl TargetSet {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one token typed on the command line.
    pub fn add_arg(&mut self, token: &str, limit: u128) -> Result<(), TargetsError> {
        let spec = parse_token(token.trim(), limit).map_err(TargetsError)?;
        self.specs.push(spec);
        Ok(())
    }

    /// Adds every token of a list (`-iL FILE` or stdin): tokens separated by
    /// white space, `#` starts a comment. `source` names it in errors
    /// (`hosts.txt line 7: …`).
    pub fn add_list(&mut self, text: &str, source: &str, limit: u128) -> Result<(), TargetsError> {
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("");
            for token in line.split_whitespace() {
                let spec = parse_token(token, limit)
                    .map_err(|e| TargetsError(format!("{source} line {}: {e}", i + 1)))?;
                self.specs.push(spec);
            }
        }
        Ok(())
    }

    /// The items, in order.
    pub fn specs(&self) -> &[Spec] {
        &self.specs
    }

    /// Every host once, in order of first appearance.
    pub fn iter(&self) -> Hosts<'_> {
        Hosts {
            specs: &self.specs,
            at: 0,
            next_addr: None,
            seen_one: HashSet::new(),
        }
    }

    /// How many hosts [`TargetSet::iter`] yields (duplicates removed).
    pub fn count(&self) -> u64 {
        self.iter().count() as u64
    }
}

/// The key a host is known by: its host part (lower case) and port. The
/// resume file uses it too.
pub fn host_key(host: &str, port: u16) -> (String, u16) {
    (host.to_ascii_lowercase(), port)
}

/// The hosts of a [`TargetSet`], duplicates removed. Memory grows with the
/// number of single targets, never with the size of a range: an address of
/// a range is a duplicate when an earlier range holds it or an earlier
/// single target named it.
pub struct Hosts<'a> {
    specs: &'a [Spec],
    at: usize,
    /// The next address of the range at `at`, when inside one.
    next_addr: Option<IpAddr>,
    seen_one: HashSet<(String, u16)>,
}

impl Hosts<'_> {
    /// Is `ip:port` in a spec before index `before`?
    fn in_earlier_range(&self, ip: IpAddr, port: u16, before: usize) -> bool {
        self.specs.iter().take(before).any(|s| match s {
            Spec::Range { net, port: p } => *p == port && net.contains(&ip),
            Spec::One(_) => false,
        })
    }

    fn range_host(&mut self, net: IpNet, port: u16) -> Option<Target> {
        loop {
            let ip = self.next_addr?;
            self.next_addr = next_ip(ip).filter(|n| net.contains(n));
            let dup = self.in_earlier_range(ip, port, self.at)
                || self.seen_one.contains(&host_key(&ip.to_string(), port));
            if !dup {
                return Some(range_target(ip, port));
            }
        }
    }
}

fn next_ip(ip: IpAddr) -> Option<IpAddr> {
    match ip {
        IpAddr::V4(a) => u32::from(a).checked_add(1).map(|n| IpAddr::V4(n.into())),
        IpAddr::V6(a) => u128::from(a).checked_add(1).map(|n| IpAddr::V6(n.into())),
    }
}

/// The target of one address of a range, as if typed alone.
fn range_target(ip: IpAddr, port: u16) -> Target {
    let host = ip.to_string();
    let input = match (ip, port) {
        (_, DEFAULT_PORT) => host.clone(),
        (IpAddr::V4(_), p) => format!("{host}:{p}"),
        (IpAddr::V6(_), p) => format!("[{host}]:{p}"),
    };
    Target {
        input,
        host,
        port,
        host_is_ip: true,
    }
}

impl Iterator for Hosts<'_> {
    type Item = Target;

    fn next(&mut self) -> Option<Target> {
        loop {
            let spec = self.specs.get(self.at)?;
            match spec {
                Spec::One(t) => {
                    self.at += 1;
                    let key = host_key(&t.host, t.port);
                    let in_range = t
                        .host
                        .parse::<IpAddr>()
                        .is_ok_and(|ip| self.in_earlier_range(ip, t.port, self.at - 1));
                    if !in_range && self.seen_one.insert(key) {
                        return Some(t.clone());
                    }
                }
                Spec::Range { net, port } => {
                    let (net, port) = (*net, *port);
                    if self.next_addr.is_none() {
                        self.next_addr = Some(net.network());
                    }
                    if let Some(t) = self.range_host(net, port) {
                        if self.next_addr.is_none() {
                            self.at += 1;
                        }
                        return Some(t);
                    }
                    self.at += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(args: &[&str]) -> Vec<String> {
        let mut set = TargetSet::new();
        for a in args {
            set.add_arg(a, RANGE_LIMIT).unwrap();
        }
        set.iter().map(|t| t.input).collect()
    }

    #[test]
    fn names_addresses_and_ports() {
        assert_eq!(
            hosts(&[
                "server01",
                "10.0.0.7:3390",
                "[::1]:3390",
                "::1",
                "/v:rdp.example:4000"
            ]),
            [
                "server01",
                "10.0.0.7:3390",
                "[::1]:3390",
                "::1",
                "/v:rdp.example:4000"
            ]
        );
    }

    #[test]
    fn ipv4_range_covers_network_and_broadcast() {
        let h = hosts(&["192.0.2.0/30"]);
        assert_eq!(h, ["192.0.2.0", "192.0.2.1", "192.0.2.2", "192.0.2.3"]);
        let h = hosts(&["192.0.2.5/31:3390"]);
        assert_eq!(h, ["192.0.2.4:3390", "192.0.2.5:3390"]);
        assert_eq!(hosts(&["192.0.2.9/32"]), ["192.0.2.9"]);
    }

    #[test]
    fn ipv6_range_with_and_without_port() {
        assert_eq!(hosts(&["2001:db8::/127"]), ["2001:db8::", "2001:db8::1"]);
        assert_eq!(
            hosts(&["[2001:db8::/127]:3390"]),
            ["[2001:db8::]:3390", "[2001:db8::1]:3390"]
        );
    }

    #[test]
    fn the_last_addresses_of_the_space_end_the_range() {
        assert_eq!(hosts(&["255.255.255.254/31"]).len(), 2);
        assert_eq!(
            hosts(&["ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"]).len(),
            2
        );
    }

    #[test]
    fn duplicates_are_probed_once_where_first_seen() {
        let h = hosts(&[
            "10.0.0.1",
            "10.0.0.0/30",
            "10.0.0.2/31",
            "SERVER",
            "server",
            "10.0.0.3",
        ]);
        assert_eq!(
            h,
            ["10.0.0.1", "10.0.0.0", "10.0.0.2", "10.0.0.3", "SERVER"]
        );
        // Another port is another host.
        assert_eq!(hosts(&["10.0.0.0/31", "10.0.0.0/31:3390"]).len(), 4);
    }

    #[test]
    fn range_limit_and_force() {
        let mut set = TargetSet::new();
        assert!(set.add_arg("10.0.0.0/16", RANGE_LIMIT).is_ok());
        let e = set.add_arg("10.0.0.0/15", RANGE_LIMIT).unwrap_err().0;
        assert!(e.contains("131072") && e.contains("--force"), "{e}");
        assert!(set.add_arg("10.0.0.0/8", FORCED_RANGE_LIMIT).is_ok());
        let e = set.add_arg("10.0.0.0/7", FORCED_RANGE_LIMIT).unwrap_err().0;
        assert!(!e.contains("--force"), "{e}");
        let e = set.add_arg("2001:db8::/64", RANGE_LIMIT).unwrap_err().0;
        assert!(e.contains("18446744073709551616"), "{e}");
        let e = set.add_arg("::/0", FORCED_RANGE_LIMIT).unwrap_err().0;
        assert!(e.contains("2^127"), "{e}");
    }

    #[test]
    fn bad_tokens_are_one_line_errors() {
        for (bad, says) in [
            ("10.0.0.0/33", "not a CIDR range"),
            ("10.0.0/24", "not a CIDR range"),
            ("10.0.0.0/24:0", "bad port"),
            ("10.0.0.0/24:99999", "bad port"),
            ("[2001:db8::/120", "without ']'"),
            ("[2001:db8::/120]x", "only :PORT"),
            ("host:99999", "not a target"),
            ("", "not a target"),
        ] {
            let e = parse_token(bad, RANGE_LIMIT).unwrap_err();
            assert!(e.contains(says) && !e.contains('\n'), "{bad}: {e}");
        }
    }

    #[test]
    fn lists_name_the_bad_line() {
        let mut set = TargetSet::new();
        let text = "# servers\nserver01 server02  # two on a line\n\n10.0.0.0/30\nhost:bad\n";
        let e = set.add_list(text, "hosts.txt", RANGE_LIMIT).unwrap_err().0;
        assert!(e.starts_with("hosts.txt line 5: "), "{e}");
        let mut set = TargetSet::new();
        set.add_list("a\r\nb c\n10.0.0.0/31", "-", RANGE_LIMIT)
            .unwrap();
        assert_eq!(set.count(), 5);
    }
}
