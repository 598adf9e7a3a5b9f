//! `rdpdoctor lab serve`'s options and their value parsers (the command
//! itself is `lab_cmd`).

use super::help::SERVE_HELP;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// `rdpdoctor lab serve` options.
#[derive(Debug, Args)]
#[command(after_help = SERVE_HELP)]
pub struct LabServeArgs {
    /// A fault to play: NAME, or NAME=ADDR to give it its own address (repeatable)
    #[arg(
        long = "fault",
        value_name = "NAME[=ADDR]",
        required_unless_present_any = ["list", "gateways"]
    )]
    pub faults: Vec<String>,
    /// An emulated RD Gateway to play (gw-healthy, gw-cap-denied, …; see --list): NAME or NAME=ADDR (repeatable). Its account is the demo's
    #[arg(long = "gateway", value_name = "NAME[=ADDR]")]
    pub gateways: Vec<String>,
    /// Where a fault given without =ADDR listens (port 0: a free port for each)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// clock-skew: how far the server's clock is off: seconds, or with a unit (90m, -2h, 3d)
    #[arg(long, value_name = "OFFSET", default_value = "1h", allow_hyphen_values = true, value_parser = parse_offset)]
    pub skew: i64,
    /// slow: seconds before each reply
    #[arg(long, value_name = "SECS", default_value_t = 2.5, value_parser = parse_delay)]
    pub delay: f64,
    /// Sign the TLS certificates with this CA certificate (PEM) instead of self-signing them
    #[arg(long, value_name = "FILE", requires = "ca_key")]
    pub ca_cert: Option<PathBuf>,
    /// The CA's private key (PKCS#8 PEM), with --ca-cert
    #[arg(long, value_name = "FILE", requires = "ca_cert")]
    pub ca_key: Option<PathBuf>,
    /// Connections each fault serves at once; more are closed on accept (a
    /// bench playing many hosts needs more than the default)
    #[arg(long, value_name = "N", default_value_t = 128, value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub max_connections: u32,
    /// List the faults, what each does, and the findings a probe reports for it
    #[arg(long)]
    pub list: bool,
    /// Serve NLA as a member of this Kerberos realm: CredSSP accepts an AP-REQ
    /// for TERMSRV/<--kerberos-host> with the key from --kerberos-password-file
    /// (and NTLM for the demo account); each --gateway's Negotiate accepts a
    /// ticket for HTTP/<--kerberos-host> made with the same password
    #[arg(long, value_name = "REALM", requires = "kerberos_password_file")]
    pub kerberos_realm: Option<String>,
    /// The host name of the service's SPN, TERMSRV/<HOST>
    #[arg(long, value_name = "HOST", default_value = "localhost")]
    pub kerberos_host: String,
    /// A file holding the password TERMSRV/<HOST> was made with in the realm
    /// (its keytab's key is derived from it)
    #[arg(long, value_name = "FILE", requires = "kerberos_realm")]
    pub kerberos_password_file: Option<PathBuf>,
    /// With --kerberos-realm: answer raw NTLM with a CHALLENGE naming the
    /// fault's domain (corp.example), as a domain member's does, and refuse
    /// the NTLM logon, instead of checking it against the demo account
    #[arg(long, requires = "kerberos_realm")]
    pub kerberos_ntlm_domain: bool,
}

fn parse_offset(s: &str) -> Result<i64, String> {
    let bad = || {
        format!("bad offset {s:?}: use seconds or a number with s, m, h or d (e.g. 3600, 90m, -2h)")
    };
    let t = s.trim();
    let (num, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (t.get(..i).unwrap_or(""), c),
        _ => (t, 's'),
    };
    let n: i64 = num.parse().map_err(|_| bad())?;
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(mult)
        .filter(|v| v.abs() <= 100 * 365 * 86_400)
        .ok_or_else(bad)
}

fn parse_delay(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=600.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "{s:?} is not a number of seconds between 0 and 600"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("3600"), Ok(3600));
        assert_eq!(parse_offset("-2h"), Ok(-7200));
        assert_eq!(parse_offset("90m"), Ok(5400));
        assert_eq!(parse_offset("3d"), Ok(259_200));
        assert!(parse_offset("2y").is_err());
        assert!(parse_offset("h").is_err());
        assert!(parse_offset("99999999999d").is_err());
    }
}
