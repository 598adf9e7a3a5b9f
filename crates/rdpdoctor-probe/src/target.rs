//! Parsing what the user typed as the probe target.
//!
//! Everything is decided here, before any resolver call: the system
//! resolver reads a lot into a string that is not a dotted quad
//! (`inet_aton`: `1.2.3` is 1.2.0.3, `0x7f.1` is 127.0.0.1, `010.0.0.1` is
//! 8.0.0.1) and would send packets somewhere the user did not mean, and an
//! impossible name (`999.1.1.1`, a 300-character name) would be sent to the
//! DNS server as a query.

use rdpdoctor_evidence::Target;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The default RDP port.
pub const DEFAULT_PORT: u16 = 3389;

/// The longest label of a host name ([RFC 1035 2.3.4](https://www.rfc-editor.org/rfc/rfc1035#section-2.3.4)).
pub const MAX_LABEL: usize = 63;
/// The longest host name, without the final dot ([RFC 1035 2.3.4]; 255
/// octets on the wire are 253 characters written out).
pub const MAX_NAME: usize = 253;

/// How many characters of the input an error message quotes.
const QUOTED: usize = 80;

/// Why a target string is not usable. Messages quote at most 80 characters
/// of the input, with control characters escaped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    /// Nothing was given.
    #[error(
        "the target is empty: give a host name or address, e.g. rdp.example.com or 10.0.0.5:3390"
    )]
    Empty,
    /// A port that is not a number from 1 to 65535.
    #[error("bad port {} in the target: use a number from 1 to 65535", quoted(.0))]
    BadPort(String),
    /// An IPv6 literal without brackets around it while a port is present, or unclosed brackets.
    #[error("bad IPv6 address {}: write it in brackets, e.g. [::1]:3389", quoted(.0))]
    BadIpv6(String),
    /// Something that reads as an IPv4 address (its last part is a number)
    /// but is not four decimal numbers from 0 to 255.
    #[error(
        "bad IPv4 address {}: write four decimal numbers from 0 to 255, e.g. 10.0.0.5 (shorthands such as 10.5 or 0x7f.1 are not accepted)",
        quoted(.0)
    )]
    BadIpv4(String),
    /// Characters no host name can contain.
    #[error(
        "bad host name {}: only letters, digits, '-', '_' and '.' are allowed",
        quoted(.0)
    )]
    BadHost(String),
    /// An empty label: two dots in a row, or a dot first.
    #[error("bad host name {}: a dot at the start or two dots in a row", quoted(.0))]
    EmptyLabel(String),
    /// A label longer than 63 characters.
    #[error(
        "bad host name {q}: a part between dots is {n} characters long, at most 63 are allowed",
        q = quoted(.0),
        n = .1
    )]
    LongLabel(String, usize),
    /// A name longer than 253 characters.
    #[error(
        "bad host name {q}: {n} characters long, at most 253 are allowed",
        q = quoted(.0),
        n = .1
    )]
    LongName(String, usize),
    /// A name with characters beyond ASCII that IDNA cannot convert.
    #[error(
        "bad international host name {}: it has no punycode (IDNA) form",
        quoted(.0)
    )]
    BadIdn(String),
}

/// `s` quoted for a message: at most [`QUOTED`] characters, control and
/// bidi characters escaped (as Rust's `Debug` of a string does).
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    out.extend(s.chars().take(QUOTED).flat_map(char::escape_debug));
    if s.chars().nth(QUOTED).is_some() {
        out.push('…');
    }
    out.push('"');
    out
}

/// Parses `HOST`, `HOST:PORT`, `IPv4[:PORT]`, `[IPv6][:PORT]` or a bare IPv6
/// literal, as typed, as given to mstsc (`/v:HOST[:PORT]`), as a line of a
/// `.rdp` file (`full address:s:HOST[:PORT]`), or as the `rdp://HOST[:PORT]`
/// some tools print. An international name is converted to its punycode
/// form (`bücher.example` → `xn--bcher-kva.example`), as a client does
/// before it asks the resolver.
pub fn parse_target(input: &str) -> Result<Target, TargetError> {
    let s = strip_form(input.trim());
    if s.is_empty() {
        return Err(TargetError::Empty);
    }
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| TargetError::BadIpv6(s.to_owned()))?;
        if inside.parse::<Ipv6Addr>().is_err() {
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
        if s.parse::<Ipv6Addr>().is_err() {
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
    let (host, host_is_ip) = if host.parse::<Ipv6Addr>().is_ok() {
        (host, true)
    } else {
        check_host(&host)?
    };
    Ok(Target {
        input: input.to_owned(),
        host,
        port,
        host_is_ip,
    })
}

/// The target inside the forms other tools write: `rdp://H/`, mstsc's
/// `/v:H`, a `.rdp` file's `full address:s:H`.
fn strip_form(s: &str) -> &str {
    let lower = s.to_ascii_lowercase();
    for prefix in [
        "rdp://",
        "/v:",
        "full address:s:",
        "alternate full address:s:",
    ] {
        if lower.starts_with(prefix) {
            let rest = s.get(prefix.len()..).unwrap_or("").trim();
            return rest.strip_suffix('/').unwrap_or(rest);
        }
    }
    s
}

/// A host that is not an IPv6 literal: an IPv4 literal, or a name. Returns
/// the form to use (punycode for an international name) and whether it is
/// an address.
fn check_host(host: &str) -> Result<(String, bool), TargetError> {
    // Only the final dot of a fully qualified name may end it.
    let name = host.strip_suffix('.').unwrap_or(host);
    let ascii = if !name.is_ascii() || has_ace_label(name) {
        idna::domain_to_ascii_cow(name.as_bytes(), idna::AsciiDenyList::URL)
            .map_err(|_| TargetError::BadIdn(host.to_owned()))?
            .into_owned()
    } else {
        name.to_owned()
    };
    // A name whose last label is a number is an IPv4 address to every
    // resolver (WHATWG URL "ends in a number"), so only the strict form passes.
    let last = ascii.rsplit('.').next().unwrap_or("");
    if is_numeric_label(last) {
        return match ascii.parse::<Ipv4Addr>() {
            Ok(ip) => Ok((ip.to_string(), true)),
            Err(_) => Err(TargetError::BadIpv4(host.to_owned())),
        };
    }
    if !ascii
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(TargetError::BadHost(host.to_owned()));
    }
    if ascii.split('.').any(str::is_empty) {
        return Err(TargetError::EmptyLabel(host.to_owned()));
    }
    if let Some(long) = ascii.split('.').find(|l| l.len() > MAX_LABEL) {
        return Err(TargetError::LongLabel(host.to_owned(), long.len()));
    }
    if ascii.len() > MAX_NAME {
        return Err(TargetError::LongName(host.to_owned(), ascii.len()));
    }
    Ok((ascii, false))
}

/// `xn--` labels are punycode already: let IDNA check them.
fn has_ace_label(name: &str) -> bool {
    name.split('.')
        .any(|l| l.len() >= 4 && l.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--")))
}

/// Decimal digits, or `0x` and hex digits: a number to `inet_aton`.
fn is_numeric_label(label: &str) -> bool {
    let hex = label
        .strip_prefix("0x")
        .or_else(|| label.strip_prefix("0X"));
    match hex {
        Some(h) => h.bytes().all(|b| b.is_ascii_hexdigit()),
        None => !label.is_empty() && label.bytes().all(|b| b.is_ascii_digit()),
    }
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
        let t = parse_target(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
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
        assert_eq!(hp("WIN-RDP01"), ("WIN-RDP01".into(), 3389, false));
        assert_eq!(hp("_srv.example"), ("_srv.example".into(), 3389, false));
        assert_eq!(hp("host.example."), ("host.example".into(), 3389, false));
        assert_eq!(hp("10.0.0.5."), ("10.0.0.5".into(), 3389, true));
        assert_eq!(hp("1e100.net"), ("1e100.net".into(), 3389, false));
    }

    #[test]
    fn accepts_mstsc_and_rdp_file_forms() {
        assert_eq!(
            hp("/v:rdp.example.com:3390"),
            ("rdp.example.com".into(), 3390, false)
        );
        assert_eq!(hp("/V:10.0.0.5"), ("10.0.0.5".into(), 3389, true));
        assert_eq!(hp("/v:[::1]:3390"), ("::1".into(), 3390, true));
        assert_eq!(
            hp("full address:s:rdp.example.com:3390"),
            ("rdp.example.com".into(), 3390, false)
        );
        assert_eq!(
            hp("  Full Address:s:10.0.0.5\r\n"),
            ("10.0.0.5".into(), 3389, true)
        );
        assert_eq!(
            hp("alternate full address:s:h.example"),
            ("h.example".into(), 3389, false)
        );
        assert_eq!(parse_target("/v:"), Err(TargetError::Empty));
        assert_eq!(parse_target("full address:s:"), Err(TargetError::Empty));
    }

    #[test]
    fn converts_international_names_to_punycode() {
        assert_eq!(
            hp("bücher.example"),
            ("xn--bcher-kva.example".into(), 3389, false)
        );
        assert_eq!(
            hp("bücher.example:3390"),
            ("xn--bcher-kva.example".into(), 3390, false)
        );
        assert_eq!(
            hp("例え.テスト"),
            ("xn--r8jz45g.xn--zckzah".into(), 3389, false)
        );
        // Already punycode: checked, kept.
        assert_eq!(
            hp("xn--bcher-kva.example"),
            ("xn--bcher-kva.example".into(), 3389, false)
        );
        // Fullwidth digits are digits (UTS 46): the strict IPv4 rule applies.
        assert_eq!(hp("１０.０.０.５"), ("10.0.0.5".into(), 3389, true));
        assert!(matches!(
            parse_target("１.２.３"),
            Err(TargetError::BadIpv4(_))
        ));
        assert!(matches!(
            parse_target("xn--a.example"),
            Err(TargetError::BadIdn(_))
        ));
    }

    #[test]
    fn rejects_what_the_resolver_would_misread() {
        for bad in [
            "999.1.1.1",
            "256.0.0.1",
            "1.2.3",
            "10.5",
            "2130706433",
            "127.1",
            "0x7f.1",
            "0x7f.0.0.1",
            "010.0.0.1",
            "10.0.0.010",
            "1.2.3.4.5",
            "host.0x10",
            "example.123",
            "0x",
            "1.2.3:3389",
        ] {
            assert_eq!(
                parse_target(bad),
                Err(TargetError::BadIpv4(
                    bad.split(':').next().unwrap_or(bad).into()
                )),
                "{bad}"
            );
        }
    }

    #[test]
    fn rejects_names_dns_cannot_carry() {
        let label64 = format!("{}.example", "a".repeat(64));
        assert_eq!(
            parse_target(&label64),
            Err(TargetError::LongLabel(label64.clone(), 64))
        );
        let label63 = format!("{}.example", "a".repeat(63));
        assert!(parse_target(&label63).is_ok());
        let long = ["abcdefghi"; 26].join("."); // 26*9 + 25 = 259
        assert_eq!(
            parse_target(&long),
            Err(TargetError::LongName(long.clone(), 259))
        );
        let fits = [&"a".repeat(63)[..]; 4].join("."); // 255
        assert!(matches!(
            parse_target(&fits),
            Err(TargetError::LongName(_, 255))
        ));
        let fits = format!("{}.{}", [&"a".repeat(63)[..]; 3].join("."), "a".repeat(61));
        assert_eq!(fits.len(), 253);
        assert!(parse_target(&fits).is_ok());
        for bad in ["a..b", ".a", "a.b.."] {
            assert!(
                matches!(parse_target(bad), Err(TargetError::EmptyLabel(_))),
                "{bad}"
            );
        }
        // An international label that is short in Unicode, long in punycode.
        let idn = format!("{}.example", "ü".repeat(60));
        assert!(matches!(
            parse_target(&idn),
            Err(TargetError::LongLabel(_, _))
        ));
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
        assert!(matches!(
            parse_target("evil\u{1b}]0;x\u{7}"),
            Err(TargetError::BadHost(_) | TargetError::BadIdn(_))
        ));
    }

    #[test]
    fn messages_quote_little_and_escape_controls() {
        let huge = format!("{}\u{1b}[2J", "x y".repeat(50_000));
        let msg = parse_target(&huge).unwrap_err().to_string();
        assert!(msg.len() < 250, "{} bytes", msg.len());
        assert!(!msg.contains('\u{1b}'));
        let msg = parse_target("a\u{1b}[2J\rb c").unwrap_err().to_string();
        assert!(msg.contains(r#""a\u{1b}[2J\rb c""#), "{msg}");
        let msg = parse_target("1.2.3").unwrap_err().to_string();
        assert!(msg.starts_with("bad IPv4 address \"1.2.3\""), "{msg}");
    }
}
