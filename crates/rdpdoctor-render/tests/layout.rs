//! What a person sees: the answer in the first lines, 80 columns, columns that
//! line up with colour on.

use rdpdoctor_diagnose::{Context, Evidence, judge};
use rdpdoctor_render::Style;
use rdpdoctor_render::style::visible_width;
use rdpdoctor_testkit::reports::closed_port;

#[test]
fn the_answer_comes_first_within_80_columns() {
    let r = closed_port();
    let j = judge(&Evidence::wire(&r), &Context::default());
    let head = rdpdoctor_render::head::head(&r, &j, &Style::PLAIN);
    let lines: Vec<&str> = head.lines().collect();
    // Verdict, headline (2), the fix's title (2), its command (up to 3:
    // every line of it, so that it does what it says), the server.
    assert!(lines.len() <= 9, "{head}");
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
    let r = closed_port();
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

/// A command is never cut in the head (a cut command would run as something
/// else): too wide for its line, it is said so, and `--brief` prints it
/// whole after the head.
#[test]
fn the_head_never_cuts_a_command_and_brief_prints_it_whole() {
    let r = rdpdoctor_testkit::reports::nla_optional();
    let j = judge(&Evidence::wire(&r), &Context::default());
    let command = first_command(&j);
    let first = command.lines().next().unwrap().trim();
    assert!(first.chars().count() > 78, "the case needs a wide command");
    let head = rdpdoctor_render::head::head(&r, &j, &Style::PLAIN);
    let prefix: String = first.chars().take(20).collect();
    assert!(
        !head.lines().any(|l| l.trim_start().starts_with(&prefix)),
        "{head}"
    );
    let brief = rdpdoctor_render::head::brief(head, &j);
    assert!(brief.lines().any(|l| l.trim() == first), "{brief}");
}

/// "Unreachable" is "no RDP service answered": when TCP itself connected,
/// the verdict's line says so (and a closed port says nothing more).
#[test]
fn an_unreachable_verdict_says_when_tcp_connected() {
    use rdpdoctor_evidence::PortState;
    let line = |state: PortState| {
        let mut r = closed_port();
        r.limits.step_timeout_ms = 5000.0;
        if let Some(t) = r.tcp.as_mut() {
            t.state = state;
            t.samples[0].connected = state != PortState::Refused;
        }
        let j = judge(&Evidence::wire(&r), &Context::default());
        assert_eq!(j.verdict, rdpdoctor_diagnose::Verdict::Unreachable);
        let head = rdpdoctor_render::head::head(&r, &j, &Style::PLAIN);
        // The verdict's note is on its line, or under it when too long.
        let mut lines = head.lines();
        let first = lines.next().unwrap().to_owned();
        match lines.next() {
            Some(l) if l.starts_with("  (") => format!("{first} {}", l.trim()),
            _ => first,
        }
    };
    assert!(
        line(PortState::AcceptedAndSilent)
            .ends_with("UNREACHABLE (TCP connects; no RDP answer within 5 s)"),
        "{}",
        line(PortState::AcceptedAndSilent)
    );
    assert!(
        line(PortState::AcceptedThenClosed).contains("TCP connects, then closes: no RDP answer")
    );
    assert!(line(PortState::Refused).ends_with("UNREACHABLE"));
}

/// A fix of several lines shows whole in the head (`Set-Service … -StartupType
/// Manual` alone does not start the service), or not at all with `--brief`
/// printing it whole.
#[test]
fn a_command_of_several_lines_is_shown_whole() {
    let r = closed_port();
    let j = judge(&Evidence::wire(&r), &Context::default());
    let command = first_command(&j);
    let lines: Vec<&str> = command
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert!(
        lines.len() > 1,
        "the case needs a command of several lines: {command}"
    );
    let head = rdpdoctor_render::head::head(&r, &j, &Style::PLAIN);
    let brief = rdpdoctor_render::head::brief(head, &j);
    for l in lines {
        assert!(
            brief.lines().any(|b| b.trim() == l),
            "{l:?} missing:\n{brief}"
        );
    }
}

/// The command of the fix to try first.
fn first_command(j: &rdpdoctor_diagnose::Judgement) -> String {
    j.diagnosis
        .first_fix
        .as_ref()
        .and_then(|f| f.fix.command.clone())
        .expect("a first fix with a command")
}

/// Another protocol on the port: TCP itself is fine (the failure is that no
/// RDP answers, a negotiation fault), and what answered is shown readable.
#[test]
fn another_protocol_is_not_a_tcp_failure_and_reads_as_text() {
    use rdpdoctor_evidence::PortState;
    let mut r = closed_port();
    if let Some(t) = r.tcp.as_mut() {
        t.state = PortState::Open;
        t.samples[0].connected = true;
        t.samples[0].error = None;
        t.failures = 0;
        t.other_protocol = Some("http".into());
        // `<!DOCTYPE HTML>\n<html>` as the probe records it (hex).
        t.first_response = Some("3c21444f43545950452048544d4c3e0a3c68746d6c3e".into());
    }
    let j = judge(&Evidence::wire(&r), &Context::default());
    assert!(j.has(rdpdoctor_diagnose::FindingId::NotRdp));
    let text = rdpdoctor_render::text::probe_report(&r, &j, &Style::PLAIN);
    let tcp = text.lines().find(|l| l.contains("] TCP")).unwrap();
    assert!(tcp.starts_with("[ ok ]"), "{text}");
    assert!(
        text.contains(r#"answered like http: "<!DOCTYPE HTML> <html>""#),
        "{text}"
    );
}
