//! `rdpdoctor lab serve`: misconfigured Windows RDP hosts, emulated on
//! loopback, one fault per listener, until Ctrl-C or SIGTERM.

use crate::args::LabServeArgs;
use rdpdoctor_emulator::{CaPem, Fault, FaultConfig, GatewayConfig, GatewayFault};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    for g in GatewayFault::ALL {
        out.push_str(&format!(
            "{:<24}{} (--gateway)\n",
            g.name(),
            g.description()
        ));
    }
    out
}

/// Each `--gateway` as (fault, address).
fn gateway_listeners(args: &LabServeArgs) -> Result<Vec<(GatewayFault, SocketAddr)>, String> {
    let mut out = Vec::new();
    for spec in &args.gateways {
        let (name, addr) = match spec.split_once('=') {
            Some((n, a)) => {
                let addr: SocketAddr = a.parse().map_err(|_| {
                    format!(
                        "bad address {} in --gateway: use NAME=IP:PORT, e.g. gw-healthy=127.0.0.1:8443",
                        rdpdoctor_render::safe::quote(a)
                    )
                })?;
                (n, addr)
            }
            None => (spec.as_str(), args.listen),
        };
        let fault = GatewayFault::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = GatewayFault::ALL.iter().map(|f| f.name()).collect();
            format!(
                "unknown gateway fault {}: use one of {}",
                rdpdoctor_render::safe::quote(name),
                names.join(", ")
            )
        })?;
        out.push((fault, addr));
    }
    Ok(out)
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
                        rdpdoctor_render::safe::quote(a)
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
                rdpdoctor_render::safe::quote(name),
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
        crate::output::print_out(&list(), crate::args::Format::Text)?;
        return Ok(0);
    }
    let listeners = listeners(&args)?;
    let gateways = gateway_listeners(&args)?;
    let issuer = load_ca(&args)?;
    // The realm's key for TERMSRV/<host> (the RDP listeners) and for
    // HTTP/<host> (the gateways' Negotiate), both from the one password.
    let (kerberos, gateway_kerberos) = match (&args.kerberos_realm, &args.kerberos_password_file) {
        (Some(realm), Some(file)) => {
            let password = crate::password::from_file(file)?;
            let service = |class| {
                rdpdoctor_emulator::KerberosService::from_password_for(
                    class,
                    &password,
                    realm,
                    &args.kerberos_host,
                )
            };
            let mut termsrv = service("TERMSRV")?;
            termsrv.ntlm_names_domain = args.kerberos_ntlm_domain;
            (Some(termsrv), Some(service("HTTP")?))
        }
        _ => (None, None),
    };
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
            cfg.kerberos = kerberos.clone();
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
        let mut gws = Vec::new();
        for (fault, addr) in gateways {
            let mut cfg = GatewayConfig::new(fault);
            cfg.kerberos = gateway_kerberos.clone();
            let gw = rdpdoctor_emulator::spawn_gateway(cfg, addr)
                .await
                .map_err(|e| format!("gateway {}: {e}", fault.name()))?;
            if stdout_open {
                let udp = gw
                    .udp_port()
                    .map(|p| format!(" (UDP side channel on port {p})"))
                    .unwrap_or_default();
                let line = format!(
                    "gateway {} listening on {}{udp}\n",
                    fault.name(),
                    gw.local_addr()
                );
                let mut out = std::io::stdout().lock();
                stdout_open = out
                    .write_all(line.as_bytes())
                    .and_then(|()| out.flush())
                    .is_ok();
            }
            gws.push(gw);
        }
        rdpdoctor_emulator::shutdown_signal().await;
        for emu in running {
            emu.shutdown().await;
        }
        for gw in gws {
            gw.shutdown().await;
        }
        Ok(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_names_every_fault() {
        let l = list();
        for f in Fault::ALL {
            assert!(l.contains(f.name()));
        }
        assert!(l.contains("cert-expired"));
    }
}
