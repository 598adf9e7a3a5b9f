//! `rdpdoctor exporter`: the command line over `rdpdoctor_exporter`.

use crate::args::ExporterArgs;
use rdpdoctor_exporter::{Config, allow::parse_cidr};

pub fn run(args: ExporterArgs) -> Result<u8, String> {
    let mut config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    for cidr in &args.allow {
        config
            .allow
            .push(parse_cidr(cidr).map_err(|e| format!("--allow: {e}"))?);
    }
    if let Some(n) = args.max_concurrent_probes {
        if !(1..=4096).contains(&n) {
            return Err(format!(
                "--max-concurrent-probes {n}: use a number from 1 to 4096"
            ));
        }
        config.max_concurrent_probes = n;
    }
    rdpdoctor_exporter::run(args.listen, config)?;
    Ok(crate::exit::EXIT_OK)
}
