//! Runs the deep probe against one server and prints its evidence as JSON.
//!
//! ```sh
//! cargo run -p rdpdoctor-probe --example deep -- 127.0.0.1:33901 [auto|tls|rdp|legacy]
//! ```
//! `auto` runs the X.224 matrix first and picks the path as `rdpdoctor probe` does.

use rdpdoctor_probe::io::Deadline;
use rdpdoctor_probe::stage::{deep, negotiation};
use std::time::Duration;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let Some(addr) = args.next().and_then(|a| a.parse().ok()) else {
        eprintln!("usage: deep ADDRESS:PORT [auto|tls|rdp|legacy]");
        std::process::exit(2);
    };
    let deadline = Deadline::new(Duration::from_secs(5), Duration::from_secs(30));
    let via = match args.next().as_deref().unwrap_or("auto") {
        "tls" => Some(deep::Via::Tls),
        "rdp" => Some(deep::Via::Rdp(Some(0))),
        "legacy" => Some(deep::Via::Rdp(None)),
        _ => deep::choose(&negotiation::run(addr, &deadline).await),
    };
    let Some(via) = via else {
        println!("null");
        return;
    };
    let ev = deep::run_via(addr, "localhost", via, &deadline)
        .await
        .evidence;
    println!("{}", serde_json::to_string_pretty(&ev).unwrap_or_default());
}
