//! What a person sees: the answer in the first lines, 80 columns, columns that
//! line up with colour on.

use rdpdoctor_diagnose::{Context, Evidence, judge};
use rdpdoctor_evidence::*;
use rdpdoctor_render::Style;
use rdpdoctor_render::style::visible_width;

fn refused_report() -> ProbeReport {
    let mut r = ProbeReport::new(
        Target {
            input: "rdp.example.com".into(),
            host: "rdp.example.com".into(),
            port: 3389,
            host_is_ip: false,
        },
        "test",
        "2026-11-26T00:00:00Z".into(),
    );
    r.addresses.resolved = vec!["192.0.2.7".parse().unwrap()];
    r.addresses.used = Some("192.0.2.7".parse().unwrap());
    r.tcp = Some(TcpEvidence {
        state: PortState::Refused,
        samples: vec![ConnectSample {
            connected: false,
            elapsed_ms: 0.4,
            error: Some("refused".into()),
        }],
        rtt_ms: None,
        failures: 1,
        first_response: None,
        other_protocol: None,
    });
    r
}

#[test]
fn the_answer_comes_first_within_80_columns() {
    let r = refused_report();
    let j = judge(&Evidence::wire(&r), &Context::default());
    let head = rdpdoctor_render::head::head(&r, &j, &Style::PLAIN);
    let lines: Vec<&str> = head.lines().collect();
    assert!(lines.len() <= 6, "{head}");
    assert!(lines[0].contains("UNREACHABLE"), "{head}");
    assert!(
        lines[..5].iter().any(|l| l.starts_with("Try first:")),
        "{head}"
    );
    for l in &lines {
        assert!(
            l.chars().count() <= 80,
            "{} columns: {l}",
            l.chars().count()
        );
    }
}

#[test]
fn stage_columns_line_up_with_colour_on() {
    let r = refused_report();
    let j = judge(&Evidence::wire(&r), &Context::default());
    let color = Style { color: true };
    let text = rdpdoctor_render::text::probe_report(&r, &j, &color);
    let plain = rdpdoctor_render::text::probe_report(&r, &j, &Style::PLAIN);
    let stage_lines = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.contains("DNS") || l.contains("TCP"))
            .map(str::to_owned)
            .collect()
    };
    let (c, p) = (stage_lines(&text), stage_lines(&plain));
    assert!(!p.is_empty());
    for (c, p) in c.iter().zip(&p) {
        assert_eq!(visible_width(c), p.chars().count(), "{c:?} vs {p:?}");
        assert!(c.contains('\x1b'), "colour is on");
    }
}
