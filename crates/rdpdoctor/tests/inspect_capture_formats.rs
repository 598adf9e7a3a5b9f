//! `rdpdoctor inspect CAPTURE` in every format a person reads: the text,
//! Markdown and HTML reports of Zeek's recorded Windows captures
//! (`shared/fixtures/pcap`, read in place) are one document laid out three
//! ways, so each shows the capture's connections and the conversation of
//! the one the findings are about. Whole-output snapshots in
//! `tests/snapshots/capture/` (`UPDATE_EXPECT=1` rewrites them).

use rdpdoctor_testkit::cli;
use rdpdoctor_testkit::fixtures::fixtures;
use std::path::Path;

fn inspect(format: &str, name: &str) -> String {
    let file = fixtures().join("pcap").join(name);
    let file = file.to_string_lossy();
    let args = ["inspect", "--color", "never", "--format", format, &file];
    let (out, _) = cli::run_env(false, &args, &[("COLUMNS", "80"), ("NO_COLOR", "1")]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn every_format_shows_the_capture_section() {
    for name in ["zeek-rdp-to-ssl", "zeek-rdp-proprietary-encryption"] {
        let pcap = format!("{name}.pcap");
        let text = inspect("text", &pcap);
        let md = inspect("markdown", &pcap);
        let html = inspect("html", &pcap);
        // The same facts in each: the connections and the focus connection's
        // TCP line, what a capture cannot show.
        for fact in [
            "Connections",
            "the one the findings are about",
            "TCP: 1 SYN(s), answered",
            "never why",
        ] {
            assert!(text.contains(fact), "{name} text: {fact}\n{text}");
            assert!(md.contains(fact), "{name} markdown: {fact}\n{md}");
            assert!(html.contains(fact), "{name} html: {fact}\n{html}");
        }
        assert!(md.contains("## Evidence from the capture"), "{md}");
        assert!(html.contains("<section id=\"capture\">"), "{html}");
        for (ext, out) in [("txt", &text), ("md", &md), ("html", &html)] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/snapshots/capture/formats")
                .join(format!("{name}.{ext}"));
            rdpdoctor_testkit::snapshot::check(&path, out);
        }
    }
}
