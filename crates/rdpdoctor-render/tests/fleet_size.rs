//! A fleet report grows by a few kilobytes per host, whatever the hosts
//! say, and renders in linear time. Prints the figures (`--nocapture`; the
//! README's come from `cargo test --release -p rdpdoctor-render --test
//! fleet_size -- --nocapture`).

use rdpdoctor_diagnose::{Context, Evidence, judge};
use rdpdoctor_evidence::ProbeReport;
use std::time::Instant;

mod common;

#[test]
fn a_thousand_host_fleet_stays_small_per_host() {
    let r: ProbeReport =
        serde_json::from_value(rdpdoctor_testkit::reports::recorded_probe_json()).unwrap();
    let j = judge(&Evidence::wire(&r), &Context::default());
    let names: Vec<String> = (0..1000)
        .map(|i| format!("10.0.{}.{}:3389", i / 250, 1 + i % 250))
        .collect();
    let rows = common::same_host_rows(&names, &r, &j);
    let t = Instant::now();
    let html = rdpdoctor_render::html::fleet(&rows);
    let html_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let md = rdpdoctor_render::markdown::fleet(&rows);
    let md_ms = t.elapsed().as_secs_f64() * 1000.0;
    let one = rdpdoctor_render::html::fleet(&rows[..1]);
    eprintln!(
        "fleet of 1000 hosts: HTML {} bytes ({} per host) in {html_ms:.1} ms, \
         Markdown {} bytes in {md_ms:.1} ms; a fleet of 1: {} bytes",
        html.len(),
        html.len() / 1000,
        md.len(),
        one.len()
    );
    assert!(
        html.len() / 1000 < 8_000,
        "{} bytes per host",
        html.len() / 1000
    );
    assert!(
        md.len() / 1000 < 4_000,
        "{} bytes per host",
        md.len() / 1000
    );
    assert_eq!(html.matches("<section class=\"host\"").count(), 1000);
}
