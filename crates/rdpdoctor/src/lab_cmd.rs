//! `rdpdoctor lab serve`: misconfigured Windows RDP hosts, emulated on
//! loopback, one fault per listener, until Ctrl-C or SIGTERM.

use clap::Args;
use rdpdoctor_emulator::{CaPem, Fault, FaultConfig};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

const SERVE_HELP: &str = "Each fault is played by its own listener, which prints one line:
  fault NAME listening on ADDR
and the command runs until Ctrl-C or SIGTERM. Run `rdpdoctor lab serve --list` for the faults.

Examples:
  rdpdoctor lab serve --fault expired-cert --listen 127.0.0.1:3389
  rdpdoctor lab serve --fault server-denied=127.0.0.1:33960 --fault nla-required=127.0.0.1:33961
  rdpdoctor lab serve --fault clock-skew --skew -2h
  rdpdoctor lab serve --fault expired-cert --ca-cert ca.crt --ca-key ca.key  # clients see 'expired'";

/// `rdpdoctor lab serve` options.
#[derive(Debug, Args)]
#[command(after_help = SERVE_HELP)]
pub struct LabServeArgs {
    /// A fault to play: NAME, or NAME=ADDR to give it its own address (repeatable)
    #[arg(
        long = "fault",
        value_name = "NAME[=ADDR]",
        required_unless_present = "list"
    )]
    pub faults: Vec<String>,
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

/// The faults and what they do, for `--list`.
fn list() -> String {
    let mut out = String::new();
    for f in Fault::ALL {
        let ids: Vec<&str> = f.expected_findings().iter().map(|i| i.name()).collect();
        out.push_str(&format!(
            "{:<24}{}\n{:<24}probe finds: {}\n",
            f.name(),
            f.description(),
            "",
            ids.join(", ")
        ));
    }
    out
}

/// Each `--fault` as (fault, address).
fn listeners(args: &LabServeArgs) -> Result<Vec<(Fault, SocketAddr)>, String> {
    let mut out = Vec::new();
    for spec in &args.faults {
        let (name, addr) = match spec.split_once('=') {
            Some((n, a)) => {
                let addr: SocketAddr = a.parse().map_err(|_| {
                    format!(
                        "bad address {} in --fault: use NAME=IP:PORT, e.g. expired-cert=127.0.0.1:3389",
                        crate::cli::quote(a)
                    )
                })?;
                (n, addr)
            }
            None => (spec.as_str(), args.listen),
        };
        // The parser's own message quotes the whole name: quote a bounded part.
        let fault: Fault = name.parse().map_err(|_| {
            let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
            format!(
                "unknown fault {}: use one of {}",
                crate::cli::quote(name),
                names.join(", ")
            )
        })?;
        out.push((fault, addr));
    }
    let mut fixed: Vec<SocketAddr> = out.iter().map(|l| l.1).filter(|a| a.port() != 0).collect();
    fixed.sort();
    if let Some(w) = fixed.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!(
            "two faults on {}: give each its own address with --fault NAME=ADDR",
            w[0]
        ));
    }
    Ok(out)
}

fn load_ca(args: &LabServeArgs) -> Result<Option<CaPem>, String> {
    let (Some(cert), Some(key)) = (&args.ca_cert, &args.ca_key) else {
        return Ok(None);
    };
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    Ok(Some(CaPem {
        cert_pem: read(cert)?,
        key_pem: read(key)?,
    }))
}

/// Runs `rdpdoctor lab serve`.
pub fn run(args: LabServeArgs) -> Result<u8, String> {
    if args.list {
        crate::print_out(&list(), crate::cli::Format::Text)?;
        return Ok(0);
    }
    let listeners = listeners(&args)?;
    let issuer = load_ca(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let mut running = Vec::new();
        let mut stdout_open = true;
        for (fault, addr) in listeners {
            let mut cfg = FaultConfig::new(fault);
            cfg.max_connections = args.max_connections as usize;
            cfg.skew_secs = args.skew;
            cfg.delay = Duration::from_secs_f64(args.delay);
            cfg.issuer = issuer.clone();
            let emu = rdpdoctor_emulator::spawn(cfg, addr)
                .await
                .map_err(|e| format!("fault {fault}: {e}"))?;
            // A reader that went away (`| head -1`) stops the lines, not
            // the servers: they run until Ctrl-C or SIGTERM all the same.
            if stdout_open {
                let line = format!("fault {fault} listening on {}\n", emu.local_addr());
                let mut out = std::io::stdout().lock();
                stdout_open = out
                    .write_all(line.as_bytes())
                    .and_then(|()| out.flush())
                    .is_ok();
            }
            running.push(emu);
        }
        rdpdoctor_emulator::shutdown_signal().await;
        for emu in running {
            emu.shutdown().await;
        }
        Ok(0)
    })
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

    #[test]
    fn the_list_names_every_fault() {
        let l = list();
        for f in Fault::ALL {
            assert!(l.contains(f.name()));
        }
        assert!(l.contains("cert-expired"));
    }
}
