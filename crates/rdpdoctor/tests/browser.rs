//! The HTML reports in a real browser: headless Chromium (Debian `chromium`)
//! loads a probe of an emulated host whose names are markup, an inspect of
//! the real SYSTEM hive with a network named like a script, and a fleet of
//! six hosts, and the test reads the DOM the browser built: the verdict
//! element's words, one fleet row and one drill-down section per host, the
//! payloads as text and no element of theirs. The page's
//! Content-Security-Policy is checked in the same browser: the report's own
//! style sheet applies (its hash matches), and a script and an event handler
//! slipped into the page (an escaping bug's worst case) do not run.
//!
//! A screenshot of each report is kept in `target/tmp/browser-reports/`.
//!
//! `#[ignore]`d (it needs Chromium); `lab/test.sh` runs it, and there, or
//! with `CI` set, a missing Chromium is a failure, not a skip.

use rdpdoctor_testkit::cli;
use rdpdoctor_testkit::host as hostkit;

use rdpdoctor_emulator::{Fault, FaultConfig};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a hostile server names itself (the certificate's subject and
/// names, the NTLM computer and domain).
const SCRIPT: &str = "</td><script>alert(1)</script>";
const IMG: &str = "<img src=x onerror=alert(1)>";

/// Where the reports and their screenshots are kept.
fn out_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-reports");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Chromium, or `None` (with a message) when it is not installed and
/// nothing requires it.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RDPDOCTOR_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let required = std::env::var_os("CI").is_some()
            || std::env::var_os("RDPDOCTOR_REQUIRE_BROWSER").is_some();
        assert!(
            !required,
            "chromium is not installed (lab/install.sh installs it); CI needs this test"
        );
        eprintln!(
            "SKIPPED: chromium is not installed (apt-get install chromium, or lab/install.sh)"
        );
    }
    found
}

/// One headless run: `--dump-dom` (the DOM after parsing, as the browser
/// serialises it) or `--screenshot`; stdout and the console log (stderr).
/// Ends within 90 s or fails.
fn browse(chrome: &Path, args: &[&str], page: &Path) -> (String, String) {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let profile = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chromium-profile-{}-{n}", std::process::id()));
    let mut cmd = Command::new(chrome);
    cmd.args([
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    // Chromium refuses to run its sandbox as root (CI and the lab run as root).
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        cmd.arg("--no-sandbox");
    }
    let mut child = cmd
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 90 s: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_dir_all(&profile);
    (t_out.join().unwrap(), t_err.join().unwrap())
}

/// The DOM of `page`, after checking the browser had nothing to say about
/// its Content-Security-Policy (the style sheet's hash matched).
fn load_dom(chrome: &Path, page: &Path) -> String {
    let (dom, log) = browse(chrome, &["--dump-dom"], page);
    assert!(
        dom.contains("</html>"),
        "no DOM for {}: {log}",
        page.display()
    );
    assert!(
        !log.contains("Content Security Policy"),
        "the page broke its own policy (a style sheet hash that does not match?):\n{log}"
    );
    dom
}

/// A screenshot of `page`, 1280 px wide, kept beside it.
fn screenshot(chrome: &Path, page: &Path, height: u32) -> PathBuf {
    let png = page.with_extension("png");
    let _ = std::fs::remove_file(&png);
    browse(
        chrome,
        &[
            &format!("--screenshot={}", png.display()),
            &format!("--window-size=1280,{height}"),
            "--hide-scrollbars",
        ],
        page,
    );
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(size > 10_000, "{}: {size} bytes", png.display());
    png
}

/// The text inside the element that starts at the first `marker`, tags
/// removed: what the browser shows there.
fn element_text(dom: &str, marker: &str) -> String {
    let start = dom
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in the DOM"));
    let rest = &dom[start + marker.len()..];
    let rest = &rest[rest.find('>').map_or(0, |i| i + 1)..];
    let mut text = String::new();
    let mut depth = 0i32;
    let mut in_tag = false;
    for (i, c) in rest.char_indices() {
        match c {
            '<' => {
                if rest[i..].starts_with("</") {
                    depth -= 1;
                    if depth < 0 {
                        break;
                    }
                } else {
                    depth += 1;
                }
                in_tag = true;
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// No element or attribute of the payloads' in the DOM; the payload shown
/// as text.
fn assert_no_injection(dom: &str) {
    let lower = dom.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "a script element in the DOM");
    assert!(!lower.contains("<img"), "an img element in the DOM");
    for tag in lower.split('<').skip(1) {
        let inside = tag.split('>').next().unwrap_or("");
        assert!(!inside.contains("onerror"), "an event handler: <{inside}>");
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
#[ignore = "needs chromium (lab/install.sh installs it); run by lab/test.sh"]
fn a_probe_report_of_a_hostile_server_reads_as_text_in_chromium() {
    let Some(chrome) = chromium() else { return };
    let rt = runtime();
    let mut cfg = FaultConfig::new(Fault::ExpiredCert);
    // The certificate's subject is CN=<netbios>.<domain>; its names add these.
    cfg.netbios_name = SCRIPT.into();
    cfg.dns_domain = "corp\u{202e}elpmaxe".into();
    cfg.extra_cert_names = vec![IMG.into(), "| x | [a](javascript:alert(1))".into()];
    let emu = rt
        .block_on(rdpdoctor_emulator::spawn(
            cfg,
            "127.0.0.1:0".parse().unwrap(),
        ))
        .unwrap();
    let page = out_dir().join("probe.html");
    let target = emu.local_addr().to_string();
    let started = Instant::now();
    let (out, _) = cli::probe_once(
        &target,
        &["--format", "html", "--output", page.to_str().unwrap()],
    );
    let took = started.elapsed();
    rt.block_on(emu.shutdown());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "--output writes the file, not stdout"
    );

    let dom = load_dom(&chrome, &page);
    let verdict = element_text(&dom, "id=\"verdict\"");
    assert!(verdict.contains("WORKS WITH WARNINGS"), "{verdict:?}");
    let headline = element_text(&dom, "class=\"headline\"");
    assert!(headline.contains("certificate has expired"), "{headline:?}");
    assert_no_injection(&dom);
    // The names, as text: escaped markup, the bidi override shown as an escape.
    assert!(dom.contains("&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(dom.contains("&lt;img src=x onerror=alert(1)&gt;") || dom.contains("img src=x"));
    assert!(dom.contains("corp\\u{202e}elpmaxe"));
    assert!(!dom.contains('\u{202e}'));
    let png = screenshot(&chrome, &page, 2400);
    eprintln!(
        "probe report: {} bytes, probe and render {:.2} s; screenshot {}",
        std::fs::metadata(&page).unwrap().len(),
        took.as_secs_f64(),
        png.display()
    );
}

#[test]
#[ignore = "needs chromium (lab/install.sh installs it); run by lab/test.sh"]
fn an_inspect_report_of_a_real_hive_reads_as_text_in_chromium() {
    let Some(chrome) = chromium() else { return };
    let dir = hostkit::scratch("browser-inspect");
    let system = hostkit::hive("SYSTEM");
    let reg = dir.join("hostile.reg");
    hostkit::write_reg_utf16(
        &reg,
        &format!(
            "Windows Registry Editor Version 5.00\n\n\
             [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\NetworkList\\Profiles\\{{6B1A2C3D-0000-4000-8000-000000000009}}]\n\
             \"ProfileName\"=\"{SCRIPT}\"\n\
             \"Category\"=dword:00000000\n\n\
             [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\n\
             \"ProductName\"=\"Windows {IMG} Server\"\n\n"
        ),
    );
    let page = out_dir().join("inspect.html");
    let out = Command::new(cli::bin())
        .arg("inspect")
        .args([&system, &reg])
        .args(["--format", "html", "-o"])
        .arg(&page)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let dom = load_dom(&chrome, &page);
    let verdict = element_text(&dom, "id=\"verdict\"");
    assert!(verdict.contains("NO CLIENT CONNECTS"), "{verdict:?}");
    assert!(dom.contains("firewall-blocks-rdp"));
    assert_no_injection(&dom);
    assert!(dom.contains("&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    // The host's sources, one row each.
    let sources = element_text(&dom, "class=\"sources\"");
    assert!(
        sources.contains("hostile.reg") && sources.contains("SYSTEM"),
        "{sources}"
    );
    screenshot(&chrome, &page, 2000);
}

#[test]
#[ignore = "needs chromium (lab/install.sh installs it); run by lab/test.sh"]
fn a_fleet_report_has_a_row_and_a_section_per_host_in_chromium() {
    let Some(chrome) = chromium() else { return };
    let rt = runtime();
    let faults = [
        Fault::ExpiredCert,
        Fault::HealthyNla,
        Fault::ServerDenied,
        Fault::RdpSecurityOnly,
        Fault::NlaRequired,
    ];
    let emus: Vec<_> = faults
        .iter()
        .map(|f| {
            rt.block_on(rdpdoctor_emulator::spawn(
                FaultConfig::new(*f),
                "127.0.0.1:0".parse().unwrap(),
            ))
            .unwrap()
        })
        .collect();
    // A closed port: an unreachable host.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_addr = closed.local_addr().unwrap().to_string();
    drop(closed);
    let mut inputs: Vec<String> = emus.iter().map(|e| e.local_addr().to_string()).collect();
    inputs.push(closed_addr);
    let opts = rdpdoctor_probe::ProbeOptions {
        step_timeout: Duration::from_secs(3),
        ceiling: Duration::from_secs(30),
        samples: 1,
        address: None,
        reverse_dns: false,
        credentials: None,
        profile: rdpdoctor_probe::Profile::Full,
        gateway: None,
        kerberos_after_ntlm: None,
    };
    let reports: Vec<_> = inputs
        .iter()
        .map(|t| {
            let target = rdpdoctor_probe::parse_target(t).unwrap();
            rt.block_on(rdpdoctor_probe::probe(
                target,
                &opts,
                &rdpdoctor_probe::NoProgress,
            ))
        })
        .collect();
    for e in emus {
        rt.block_on(e.shutdown());
    }
    let judgements: Vec<_> = reports
        .iter()
        .map(|r| {
            rdpdoctor_diagnose::judge(
                &rdpdoctor_diagnose::Evidence::wire(r),
                &rdpdoctor_diagnose::Context::default(),
            )
        })
        .collect();
    // A host list is a file the user was given: its names are text too.
    inputs[1] = format!("{SCRIPT} {IMG}");
    let rows: Vec<rdpdoctor_render::fleet::HostRow> = inputs
        .iter()
        .zip(&reports)
        .zip(&judgements)
        .map(
            |((input, report), judgement)| rdpdoctor_render::fleet::HostRow {
                input,
                report,
                judgement,
            },
        )
        .collect();
    let started = Instant::now();
    let html = rdpdoctor_render::html::fleet(&rows);
    let render = started.elapsed();
    let page = out_dir().join("fleet.html");
    std::fs::write(&page, &html).unwrap();
    let md = rdpdoctor_render::markdown::fleet(&rows);
    std::fs::write(out_dir().join("fleet.md"), &md).unwrap();

    let dom = load_dom(&chrome, &page);
    let table = dom
        .split("<table id=\"hosts\">")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .expect("the hosts table in the DOM");
    let body = table.split("<tbody>").nth(1).unwrap();
    assert_eq!(body.matches("<tr").count(), rows.len(), "one row per host");
    for i in 1..=rows.len() {
        assert!(
            body.contains(&format!("href=\"#host-{i}\"")),
            "row links host {i}"
        );
        let section = format!("<section class=\"host\" id=\"host-{i}\">");
        assert!(dom.contains(&section), "a section for host {i}");
        let verdict = element_text(&dom, &format!("id=\"verdict-{i}\""));
        assert!(
            [
                "HEALTHY",
                "WORKS WITH WARNINGS",
                "SOME CLIENTS FAIL",
                "NO CLIENT CONNECTS",
                "UNREACHABLE"
            ]
            .iter()
            .any(|v| verdict.contains(v)),
            "host {i}: {verdict:?}"
        );
    }
    // Sections are named by the host's place in the input: the expired
    // certificate (1st) warns, the closed port (last) fails.
    let expired = element_text(&dom, "id=\"verdict-1\"");
    assert!(expired.contains("WORKS WITH WARNINGS"), "{expired:?}");
    let closed = element_text(&dom, &format!("id=\"verdict-{}\"", rows.len()));
    assert!(
        closed.contains("UNREACHABLE") || closed.contains("NO CLIENT CONNECTS"),
        "{closed:?}"
    );
    assert_no_injection(&dom);
    assert!(dom.contains("&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    screenshot(&chrome, &page, 1400);
    eprintln!(
        "fleet of {} hosts: {} bytes of HTML rendered in {:.2} ms; Markdown {} bytes",
        rows.len(),
        html.len(),
        render.as_secs_f64() * 1000.0,
        md.len()
    );

    // A thousand hosts (these six, dealt out again): one page the browser
    // still builds whole, a row and a section each.
    let names: Vec<String> = (0..1000)
        .map(|i| format!("10.0.{}.{}:3389", i / 250, 1 + i % 250))
        .collect();
    let big: Vec<rdpdoctor_render::fleet::HostRow> = names
        .iter()
        .enumerate()
        .map(|(i, input)| rdpdoctor_render::fleet::HostRow {
            input,
            ..rows[i % rows.len()]
        })
        .collect();
    let started = Instant::now();
    let html = rdpdoctor_render::html::fleet(&big);
    let html_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let md = rdpdoctor_render::markdown::fleet(&big);
    let md_ms = started.elapsed().as_secs_f64() * 1000.0;
    let page = out_dir().join("fleet-1000.html");
    std::fs::write(&page, &html).unwrap();
    let started = Instant::now();
    let big_dom = load_dom(&chrome, &page);
    let load = started.elapsed();
    let body = big_dom
        .split("<tbody>")
        .nth(1)
        .and_then(|t| t.split("</tbody>").next())
        .unwrap();
    assert_eq!(body.matches("<tr").count(), 1000);
    assert!(big_dom.contains("<section class=\"host\" id=\"host-1000\">"));
    eprintln!(
        "fleet of 1000 hosts: HTML {} bytes in {html_ms:.1} ms, Markdown {} bytes in {md_ms:.1} ms; \
         chromium loaded and serialised it in {:.2} s",
        html.len(),
        md.len(),
        load.as_secs_f64()
    );
}

/// The second wall: a script element and an event handler put into a real
/// report (what an escaping bug would let through) do not run, because of
/// the report's own policy; without the policy the same page runs them, so
/// the check can fail.
#[test]
#[ignore = "needs chromium (lab/install.sh installs it); run by lab/test.sh"]
fn the_content_security_policy_stops_an_injected_script_in_chromium() {
    let Some(chrome) = chromium() else { return };
    let dir = hostkit::scratch("browser-csp");
    let system = hostkit::hive("SYSTEM");
    let out = Command::new(cli::bin())
        .args(["inspect", system.to_str().unwrap(), "--format", "html"])
        .output()
        .unwrap();
    let html = String::from_utf8(out.stdout).unwrap();
    let injected = html.replacen(
        "<main>",
        "<main><script>document.body.setAttribute('data-pwned','script')</script>\
         <img src=x onerror=\"document.body.setAttribute('data-pwned','handler')\">",
        1,
    );
    let with_policy = dir.join("injected.html");
    std::fs::write(&with_policy, &injected).unwrap();
    let (dom, log) = browse(&chrome, &["--dump-dom"], &with_policy);
    assert!(dom.contains("</html>"), "{log}");
    assert!(
        !dom.contains("<body data-pwned"),
        "an injected script ran despite the policy"
    );
    assert!(log.contains("Content Security Policy"), "{log}");

    let start = injected
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .unwrap();
    let end = start + injected[start..].find('>').unwrap() + 1;
    let without = dir.join("without-policy.html");
    std::fs::write(
        &without,
        format!("{}{}", &injected[..start], &injected[end..]),
    )
    .unwrap();
    let (dom, _) = browse(&chrome, &["--dump-dom"], &without);
    assert!(
        dom.contains("<body data-pwned"),
        "the control page ran no script: the check above proves nothing"
    );
}
