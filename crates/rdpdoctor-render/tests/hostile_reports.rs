//! Markdown and HTML reports of hostile input: a real probe report (the
//! emulator's, tests/data) and real host evidence (the SYSTEM fixture and
//! the event-log fixtures, tests/data) with *every* free-text string in
//! them replaced by an attack on the format — markup, table pipes, links,
//! fences, bidi overrides, newlines, 10,000-character values — then judged
//! by the real engine (whose finding summaries quote those strings) and
//! rendered. A Markdown reader (pulldown-cmark) and the tag structure of
//! the HTML must show every payload as text.

use rdpdoctor_diagnose::{Context, Evidence, HostInput, UserCodes, judge, read_codes};
use rdpdoctor_evidence::ProbeReport;
use rdpdoctor_evidence::host::HostEvidence;
use rdpdoctor_render::safe;
use serde::de::DeserializeOwned;
use serde_json::Value;

mod common;

/// Attacks on Markdown, HTML and the terminal; each free-text field gets
/// one, in turn.
const PAYLOADS: &[&str] = &[
    "</td><script>alert(1)</script>",
    "| x | y |",
    "[a](javascript:alert(1))",
    "abc\u{202e}fed",
    "line1\n# heading\r\n---\n| a |",
    "<img src=x onerror=alert(1)>",
    "``` \n~~~\n`code`",
    "*em* _u_ ~~s~~ $m$ @here https://evil.example www.evil.example",
    "&#x202e;&lt;b&gt;",
    "- item\n1. first\n> quote",
    "\" onmouseover='alert(1)' x=\"",
    "\u{1b}]0;pwned\u{7}\u{9b}2J\u{2066}",
];

fn long() -> String {
    "W".repeat(10_000)
}

/// How many ways to deal the payloads out: each field gets each payload
/// (and the long value) in one of them.
const DEALS: usize = PAYLOADS.len() + 1;

/// `value` with every string leaf that may hold any text replaced by a
/// payload, the `deal`-th way round (leaves that are enums, addresses or
/// dates refuse arbitrary text: they are kept). Returns how many were
/// replaced.
fn poison<T: DeserializeOwned>(value: &mut Value, deal: usize) -> usize {
    let mut paths = Vec::new();
    leaves(value, &mut Vec::new(), &mut paths);
    let mut replaced = 0;
    for (i, path) in paths.iter().enumerate() {
        let k = (i + deal) % DEALS;
        let payload = PAYLOADS.get(k).map_or_else(long, |p| p.to_string());
        let old = std::mem::replace(at(value, path), Value::String(payload));
        if serde_json::from_value::<T>(value.clone()).is_ok() {
            replaced += 1;
        } else {
            *at(value, path) = old;
        }
    }
    replaced
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn leaves(v: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Value::String(_) => out.push(path.clone()),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(Step::Index(i));
                leaves(x, path, out);
                path.pop();
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                path.push(Step::Key(k.clone()));
                leaves(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at<'v>(v: &'v mut Value, path: &[Step]) -> &'v mut Value {
    path.iter().fold(v, |v, s| match s {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

fn hostile_probe(deal: usize) -> ProbeReport {
    let mut v: Value = rdpdoctor_testkit::reports::recorded_probe_json();
    let n = poison::<ProbeReport>(&mut v, deal);
    assert!(n >= 40, "only {n} probe strings could be replaced");
    serde_json::from_value(v).unwrap()
}

fn hostile_host(deal: usize) -> HostEvidence {
    let mut v: Value = rdpdoctor_testkit::reports::host_system_json();
    let n = poison::<HostEvidence>(&mut v, deal);
    assert!(n >= 40, "only {n} host strings could be replaced");
    serde_json::from_value(v).unwrap()
}

/// The tags our HTML reports are made of; any other is an injection.
const TAGS: &[&str] = &[
    "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "main", "header", "footer",
    "section", "h1", "h2", "h3", "p", "span", "strong", "div", "pre", "code", "ul", "li", "table",
    "thead", "tbody", "tr", "th", "td", "details", "summary", "a",
];

/// The attributes our HTML reports write.
const ATTRS: &[&str] = &[
    "lang",
    "charset",
    "http-equiv",
    "content",
    "name",
    "class",
    "id",
    "href",
    "data-verdict",
];

/// Every `<` opens one of [`TAGS`] (or closes it); no control or bidi
/// character; the script payload is there as text.
fn assert_inert_html(html: &str) {
    assert_our_html_only(html);
    assert!(
        html.contains("&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the script payload is not shown as text"
    );
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
}

/// Every `<` opens one of [`TAGS`] (or closes it), with only [`ATTRS`]; no
/// control or bidi character; no script; the page's policy.
fn assert_our_html_only(html: &str) {
    for (i, _) in html.match_indices('<') {
        let rest = &html[i + 1..];
        let name: String = rest
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .collect();
        assert!(
            TAGS.contains(&name.as_str()),
            "an element <{name}> that the report does not make, at: {}",
            &html[i..(i + 80).min(html.len())]
        );
    }
    // Inside every tag, only the attributes the report writes, each value
    // in double quotes.
    for tag in html.split('<').skip(1) {
        let inside = tag.split('>').next().unwrap_or("");
        if inside.starts_with('!') || inside.starts_with('/') {
            continue;
        }
        let mut rest = inside.trim_start_matches(|c: char| c.is_ascii_alphanumeric());
        loop {
            rest = rest.trim_start();
            if rest.is_empty() {
                break;
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            assert!(
                ATTRS.contains(&name.as_str()),
                "attribute {name:?} in <{inside}>"
            );
            rest = &rest[name.len()..];
            let value = rest
                .strip_prefix("=\"")
                .unwrap_or_else(|| panic!("unquoted attribute in <{inside}>"));
            let end = value.find('"').expect("a closing quote");
            rest = &value[end + 1..];
        }
    }
    for c in html.chars() {
        assert!(
            c == '\n' || !(c.is_control() || rdpdoctor_render::safe::is_unsafe(c)),
            "raw {c:?} in the HTML"
        );
    }
    assert!(!html.contains("<script"), "a script element");
    // The policy that would stop what escaping missed.
    assert!(html.contains("content=\"default-src 'none'; style-src 'sha256-"));
}

/// Rendered by a Markdown reader (CommonMark with GFM tables and
/// strikethrough): no element from the payloads, every payload as text.
/// Returns the reader's HTML.
fn assert_inert_markdown(md: &str) -> String {
    let html = markdown_without_payload_elements(md);
    // The payloads survive as text: the pipes, the link, the markup.
    for text in [
        "&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
        "| x | y |",
        "[a](javascript:alert(1))",
        "&lt;img src=x onerror=alert(1)&gt;",
        "*em* _u_ ~~s~~",
        "line1\\x0a# heading\\x0d\\x0a---\\x0a| a |",
    ] {
        assert!(html.contains(text), "{text:?} not shown as text:\n{html}");
    }
    html
}

/// `md` read by a Markdown reader (CommonMark with GFM tables and
/// strikethrough): no raw control character, no element from the payloads,
/// one top heading. Returns the reader's HTML.
fn markdown_without_payload_elements(md: &str) -> String {
    for c in md.chars() {
        assert!(
            c == '\n' || !(c.is_control() || rdpdoctor_render::safe::is_unsafe(c)),
            "raw {c:?} in the Markdown"
        );
    }
    let opts =
        pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_STRIKETHROUGH;
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new_ext(md, opts));
    for bad in [
        "<script",
        "<img",
        "<a ",
        "<del",
        "<blockquote",
        "<h4",
        "<h5",
        "<h6",
        "<hr />\n<h",
    ] {
        assert!(
            !html.contains(bad),
            "{bad} in the rendered Markdown:\n{html}"
        );
    }
    // Exactly one top heading (ours): no payload made a heading or a rule.
    assert_eq!(html.matches("<h1>").count(), 1, "{html}");
    html
}

/// Whether a table cell holds the pipes payload whole (it split no cell).
fn pipes_in_a_cell(html: &str) -> bool {
    html.split("<td>").skip(1).any(|cell| {
        cell.split("</td>")
            .next()
            .unwrap_or("")
            .contains("| x | y |")
    })
}

#[test]
fn a_hostile_probe_report_is_inert_in_markdown_html_and_json() {
    let ctx = Context::default();
    let said = "0x904 </td><script>alert(1)</script> | x |";
    let codes = read_codes(said).unwrap();
    let user = UserCodes {
        input: said,
        explanation: &codes,
    };
    let mut split_no_cell = false;
    for deal in 0..DEALS {
        let r = hostile_probe(deal);
        let j = judge(&Evidence::wire(&r).with_codes(Some(user)), &ctx);
        let host = hostile_host(deal);
        let md = rdpdoctor_render::markdown::probe_report(&r, &j, Some(&host));
        split_no_cell |= pipes_in_a_cell(&assert_inert_markdown(&md));
        let html = rdpdoctor_render::html::probe_report(&r, &j, Some(&host));
        assert_inert_html(&html);
        // Capped: 10,000-character values make no 10,000-character line.
        assert!(html.len() < 200_000, "{} bytes", html.len());
        assert!(md.lines().all(|l| l.chars().count() < 3_000));
        // JSON: nothing a terminal obeys, raw; the same value read back.
        let value = rdpdoctor_render::probe_json(&r, &j);
        for json in [
            rdpdoctor_render::json(&value),
            rdpdoctor_render::json_line(&value).unwrap(),
        ] {
            assert!(
                !json.chars().any(|c| c >= '\u{7f}' && safe::is_unsafe(c)),
                "{json}"
            );
            assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), value);
        }
    }
    assert!(
        split_no_cell,
        "the pipes payload never reached a table cell"
    );
}

#[test]
fn a_hostile_host_is_inert_in_markdown_and_html() {
    let mut split_no_cell = false;
    for deal in 0..DEALS {
        let h = hostile_host(deal);
        let j = judge(
            &Evidence::host(HostInput {
                evidence: &h,
                now_unix: 1_790_000_000,
            }),
            &Context::default(),
        );
        let md = rdpdoctor_render::markdown::inspect_report(&h, &j, "2026-11-26T00:00:00Z");
        split_no_cell |= pipes_in_a_cell(&assert_inert_markdown(&md));
        assert_inert_html(&rdpdoctor_render::html::inspect_report(
            &h,
            &j,
            "2026-11-26T00:00:00Z",
        ));
    }
    assert!(
        split_no_cell,
        "the pipes payload never reached a table cell"
    );
}

#[test]
fn a_hostile_fleet_is_inert_and_keeps_one_row_per_host() {
    let r = hostile_probe(0);
    let j = judge(&Evidence::wire(&r), &Context::default());
    let inputs: Vec<String> = PAYLOADS
        .iter()
        .map(|p| p.to_string())
        .chain([long()])
        .collect();
    let rows = common::same_host_rows(&inputs, &r, &j);
    let html = rdpdoctor_render::html::fleet(&rows);
    assert_inert_html(&html);
    let table = html
        .split("<table id=\"hosts\">")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .expect("the hosts table");
    assert_eq!(table.matches("<tr class=").count(), rows.len());
    for i in 1..=rows.len() {
        assert!(
            table.contains(&format!("<a href=\"#host-{i}\">")),
            "no link to host {i}"
        );
        assert!(html.contains(&format!("<section class=\"host\" id=\"host-{i}\">")));
    }

    let md = rdpdoctor_render::markdown::fleet(&rows);
    for c in md.chars() {
        assert!(c == '\n' || !rdpdoctor_render::safe::is_unsafe(c), "{c:?}");
    }
    let opts = pulldown_cmark::Options::ENABLE_TABLES;
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, pulldown_cmark::Parser::new_ext(&md, opts));
    assert!(!out.contains("<script") && !out.contains("<a ") && !out.contains("<img"));
    // The fleet table: a header and one row per host, six cells each, the
    // host's name whole in its cell.
    let table = out
        .split("<table>")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .expect("the fleet table");
    let body = table.split("<tbody>").nth(1).unwrap();
    assert_eq!(body.matches("<tr>").count(), rows.len());
    for row in body.split("<tr>").skip(1) {
        assert_eq!(row.matches("<td").count(), 6, "{row}");
    }
    assert!(body.contains("<td>| x | y |</td>"), "{body}");
    assert_eq!(
        out.matches("<h2>").count(),
        rows.len(),
        "one section per host"
    );
}

/// Real capture evidence (Zeek's captures of Windows: a TLS connection with
/// its SNI and certificate, Standard RDP Security with its cookie), every
/// string replaced by a payload.
fn hostile_capture(name: &str, deal: usize) -> rdpdoctor_evidence::CaptureEvidence {
    let path = rdpdoctor_testkit::fixtures::fixtures()
        .join("pcap")
        .join(name);
    let file = std::fs::File::open(&path).expect("a capture fixture");
    let cap = rdpdoctor_capture::read(std::io::BufReader::new(file), name).expect("a capture");
    let mut v = serde_json::to_value(&cap).unwrap();
    let n = poison::<rdpdoctor_evidence::CaptureEvidence>(&mut v, deal);
    assert!(n >= 10, "only {n} capture strings could be replaced");
    serde_json::from_value(v).unwrap()
}

#[test]
fn a_hostile_capture_is_inert_in_text_markdown_and_html() {
    // Each payload, dealt to every string of the file in turn, must be
    // shown as text somewhere (the file name keeps only what follows its
    // last `/`, addresses are capped: not every deal shows every payload).
    let shown = [
        "&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
        "&lt;img src=x onerror=alert(1)&gt;",
    ];
    for name in [
        "zeek-rdp-to-ssl.pcap",
        "zeek-rdp-proprietary-encryption.pcap",
    ] {
        let mut seen = [false; 2];
        for deal in 0..DEALS {
            let cap = hostile_capture(name, deal);
            let ev = Evidence {
                capture: Some(&cap),
                ..Evidence::default()
            };
            let j = judge(&ev, &Context::default());
            let md = rdpdoctor_render::markdown::capture_report(&cap, None, &j, None);
            assert!(md.contains("## Evidence from the capture"), "{md}");
            let _ = markdown_without_payload_elements(&md);
            let html = rdpdoctor_render::html::capture_report(&cap, None, &j, None);
            assert!(html.contains("<section id=\"capture\">"), "{html}");
            assert_our_html_only(&html);
            for (s, p) in seen.iter_mut().zip(shown) {
                *s |= html.contains(p);
            }
            let text = rdpdoctor_render::capture::capture_report(
                &cap,
                &j,
                true,
                &rdpdoctor_render::Style::PLAIN,
            );
            for c in text.chars() {
                assert!(
                    c == '\n' || !(c.is_control() || safe::is_unsafe(c)),
                    "{name}: raw {c:?} in the text report:\n{text}"
                );
            }
            assert!(text.lines().all(|l| l.chars().count() < 3_000));
        }
        assert_eq!(seen, [true; 2], "{name}: a payload never shown as text");
    }
}
