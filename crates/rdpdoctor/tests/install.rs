//! What an install adds besides the binary: shell completions, manual pages,
//! and a `--version` that names the knowledge base. Runs the real binary; the
//! shells and man/groff check what it prints where they are installed
//! (bash, man-db and groff-base are: lab/install.sh).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn rdpdoctor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rdpdoctor"))
        .args(args)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("run rdpdoctor")
}

/// stdout of a run that must succeed with nothing on stderr.
fn stdout_of(args: &[&str]) -> String {
    let out = rdpdoctor(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "rdpdoctor {args:?}: {err}");
    assert!(err.is_empty(), "rdpdoctor {args:?} wrote to stderr: {err}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Runs `tool args` with `input` on stdin: (status ok, stderr).
fn check_with(tool: &str, args: &[&str], input: &str) -> (bool, String) {
    let mut child = Command::new(tool)
        .args(args)
        .env("LC_ALL", "C.UTF-8")
        .env("MANWIDTH", "80")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {tool}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).expect("write stdin");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The subcommands a user completes most; `demo` only where this build has it.
fn commands() -> Vec<&'static str> {
    let mut c = vec!["probe", "inspect", "explain"];
    if cfg!(feature = "lab") {
        c.push("demo");
    }
    c
}

#[test]
fn completions_for_each_shell_name_the_commands_and_their_options() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = stdout_of(&["completions", shell]);
        assert!(script.len() > 1000, "{shell}: {} bytes", script.len());
        for word in commands()
            .into_iter()
            .chain(["host-evidence", "password-file"])
        {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
        // The values of --client come from the engine's profiles (clap_complete's
        // PowerShell script completes option names only).
        if shell != "powershell" {
            assert!(
                script.contains("mstsc-win10"),
                "{shell}: no --client values"
            );
        }
    }
}

#[test]
fn shells_accept_their_completion_scripts() {
    let bash = stdout_of(&["completions", "bash"]);
    let (ok, err) = check_with("bash", &["-n"], &bash);
    assert!(ok && err.is_empty(), "bash -n: {err}");
    // Completing `rdpdoctor pro` in bash, through the function the script registers.
    let session = format!(
        "{bash}\nCOMP_WORDS=(rdpdoctor pro); COMP_CWORD=1; COMP_LINE='rdpdoctor pro'; COMP_POINT=13\n\
         _rdpdoctor rdpdoctor pro rdpdoctor; printf '%s\\n' \"${{COMPREPLY[@]}}\" >&2"
    );
    let (ok, replies) = check_with("bash", &[], &session);
    assert!(ok, "bash completion run failed: {replies}");
    assert_eq!(replies.trim(), "probe", "completing `rdpdoctor pro`");
    if have("zsh") {
        let (ok, err) = check_with("zsh", &["-n"], &stdout_of(&["completions", "zsh"]));
        assert!(ok && err.is_empty(), "zsh -n: {err}");
    }
    if have("fish") {
        let fish = stdout_of(&["completions", "fish"]);
        let (ok, err) = check_with("fish", &["--no-execute"], &fish);
        assert!(ok && err.is_empty(), "fish --no-execute: {err}");
    }
}

#[test]
fn unknown_shell_is_one_line_and_exit_2() {
    let out = rdpdoctor(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("bash") && err.contains("powershell"), "{err}");
}

/// man -l (through preconv, as man does for an installed page) renders the page
/// without a warning; groff -ww -z is the fallback where man-db is absent.
fn assert_renders(page: &str, what: &str) {
    assert!(page.starts_with(".ie") || page.starts_with(".TH"), "{what}");
    if have("man") {
        let (ok, err) = check_with("man", &["--warnings", "-l", "-"], page);
        assert!(ok && err.is_empty(), "man -l {what}: {err}");
    } else if have("groff") {
        let (ok, err) = check_with("groff", &["-k", "-man", "-Tutf8", "-ww", "-z"], page);
        assert!(ok && err.is_empty(), "groff {what}: {err}");
    }
}

#[test]
fn man_page_renders_and_lists_the_commands() {
    let page = stdout_of(&["man"]);
    assert!(page.contains(".TH rdpdoctor 1"), "{}", &page[..200]);
    for c in commands() {
        assert!(page.contains(c), "the page lacks {c}");
    }
    // The examples and exit statuses of --help are in it too.
    assert!(page.contains("Exit status"));
    assert_renders(&page, "rdpdoctor.1");
}

#[test]
fn man_dir_writes_a_page_per_command() {
    // A folder that does not exist yet: --dir makes it.
    let dir = std::env::temp_dir().join(format!("rdpdoctor-man-{}/man1", std::process::id()));
    let listed = stdout_of(&["man", "--dir", dir.to_str().unwrap()]);
    let mut names: Vec<String> = listed
        .lines()
        .map(|l| {
            Path::new(l)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    for c in commands() {
        assert!(names.contains(&format!("rdpdoctor-{c}.1")), "{names:?}");
    }
    names.sort();
    for name in &names {
        let page = std::fs::read_to_string(dir.join(name)).expect("page written");
        assert_renders(&page, name);
    }
    let probe = std::fs::read_to_string(dir.join("rdpdoctor-probe.1")).unwrap();
    assert!(
        probe.contains("host\\-evidence"),
        "probe's options in its page"
    );
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();

    let out = rdpdoctor(&["man", "--dir", "/dev/null/man1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn version_names_the_knowledge_base() {
    let kb = rdpdoctor_kb::kb();
    let expected = format!(
        "rdpdoctor {} (knowledge base {}, {} codes, {} causes{})\n",
        env!("CARGO_PKG_VERSION"),
        rdpdoctor_kb::VERSION,
        kb.codes().len(),
        kb.causes().len(),
        if cfg!(feature = "lab") {
            ""
        } else {
            "; built without the lab feature"
        }
    );
    assert_eq!(stdout_of(&["--version"]), expected);
    assert_eq!(stdout_of(&["-V"]), expected);
    assert!(rdpdoctor_kb::VERSION.starts_with("20"));
    assert!(kb.codes().len() > 400 && kb.causes().len() > 20);
}

/// A build without the `lab` feature (`.ci/run` tests one) answers `demo` and
/// `lab` with one line and exit 2, and leaves them out of --help.
#[cfg(not(feature = "lab"))]
#[test]
fn lean_build_says_it_has_no_lab_commands() {
    for args in [
        &["demo"][..],
        &["demo", "--format", "json"],
        &["lab", "serve", "--list"],
        &["lab"],
    ] {
        let out = rdpdoctor(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "rdpdoctor: this build has no lab commands (built without the lab feature)\n"
        );
    }
    let help = stdout_of(&["--help"]);
    assert!(
        !help.contains("  demo ") && !help.contains("  lab "),
        "{help}"
    );
}
