//! `rdpdoctor inspect` as a user runs it, on real Windows hives and event
//! logs (../shared/fixtures) and on fault variants made from them with
//! hivex: the verdict, the exit status, the findings and the cause ranked
//! first, and one-line errors for what cannot be read.

use rdpdoctor_testkit::cli;
use rdpdoctor_testkit::host as hostkit;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rdpdoctor")
}

struct Run {
    out: Output,
    json: Option<Value>,
}

impl Run {
    fn code(&self) -> i32 {
        self.out.status.code().unwrap_or(-1)
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    fn json(&self) -> &Value {
        self.json.as_ref().unwrap_or_else(|| {
            panic!(
                "no JSON on stdout; stderr: {}\nstdout: {}",
                self.stderr(),
                String::from_utf8_lossy(&self.out.stdout)
            )
        })
    }
    fn findings(&self) -> Vec<String> {
        self.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect()
    }
    fn finding(&self, id: &str) -> &Value {
        self.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("no finding {id} in {:?}", self.findings()))
    }
    fn top_cause(&self) -> (String, String) {
        let c = &self.json()["diagnosis"]["causes"][0];
        (
            c["id"].as_str().unwrap_or("").to_owned(),
            c["confidence"].as_str().unwrap_or("").to_owned(),
        )
    }
    fn verdict(&self) -> &str {
        self.json()["verdict"].as_str().unwrap()
    }
}

fn inspect(args: &[&Path], extra: &[&str]) -> Run {
    let mut cmd = Command::new(bin());
    cmd.arg("inspect").args(args).args(extra);
    if !extra.contains(&"--format") {
        cmd.args(["--format", "json"]);
    }
    let out = cmd.output().expect("rdpdoctor runs");
    let json = serde_json::from_slice(&out.stdout).ok();
    assert_ne!(
        out.status.code(),
        Some(101),
        "rdpdoctor panicked: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Run { out, json }
}

#[test]
fn a_real_system_hive_with_rdp_on_is_healthy_and_names_the_inactive_public_rule() {
    let system = hostkit::hive("SYSTEM");
    let r = inspect(&[&system], &[]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    assert_eq!(r.verdict(), "healthy");
    let host = &r.json()["host"];
    // The values SOURCES.tsv lists for this hive (read there with regipy).
    assert_eq!(host["terminal_server"]["deny_ts_connections"]["value"], 0);
    assert_eq!(host["terminal_server"]["port_number"]["value"], 3389);
    assert_eq!(host["terminal_server"]["security_layer"]["value"], 1);
    assert_eq!(host["terminal_server"]["user_authentication"]["value"], 0);
    let fw = r.finding("firewall-rule-inactive");
    assert_eq!(fw["severity"], "warn");
    assert_eq!(
        fw["evidence"]["blocked_profiles"],
        serde_json::json!(["public"])
    );
    assert!(
        fw["evidence"]["inactive_rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "RemoteDesktop-In-TCP_1"),
        "{fw}"
    );
    assert!(r.findings().contains(&"host-nla-off".to_owned()));
    assert!(r.json()["diagnosis"]["first_fix"].is_null());
}

#[test]
fn rdp_switched_off_is_the_answer_with_its_fix_first() {
    let hive = hostkit::hive("SYSTEM_WIN_10_1709");
    let r = inspect(&[&hive], &[]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    assert_eq!(r.verdict(), "no-client-connects");
    assert_eq!(r.finding("rdp-disabled")["severity"], "fail");
    assert_eq!(
        r.top_cause(),
        ("remote-desktop-disabled".to_owned(), "high".to_owned())
    );
    assert_eq!(
        r.json()["diagnosis"]["first_fix"]["cause"],
        "remote-desktop-disabled"
    );
    // The hive is dirty with no transaction logs beside it: read, and said so.
    let err = r.stderr();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("SYSTEM_WIN_10_1709") && err.contains("read in part"),
        "{err}"
    );
    // The text report answers in its first lines.
    let text = inspect(&[&hive], &["--format", "text", "--color", "never"]);
    let out = String::from_utf8_lossy(&text.out.stdout).into_owned();
    let head: Vec<&str> = out.lines().take(3).collect();
    assert!(head[0].contains("NO CLIENT CONNECTS"), "{out}");
    assert!(head[1].contains("Remote Desktop is turned off"), "{out}");
    assert!(head[2].starts_with("Try first:"), "{out}");
}

#[test]
fn a_public_network_turns_the_inactive_rule_into_the_cause() {
    let dir = hostkit::scratch("inspect-public");
    let system = hostkit::hive("SYSTEM");
    let reg = hostkit::public_network_reg(&dir, "Network 2");
    let r = inspect(&[&system, &reg], &[]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    assert_eq!(r.verdict(), "no-client-connects");
    let f = r.finding("firewall-blocks-rdp");
    assert_eq!(f["severity"], "fail");
    assert_eq!(f["evidence"]["networks"][0]["name"], "Network 2");
    assert_eq!(
        r.top_cause(),
        (
            "firewall-or-public-network-profile".to_owned(),
            "high".to_owned()
        )
    );
}

#[test]
fn termservice_disabled_in_a_hivex_variant_is_found() {
    let dir = hostkit::scratch("inspect-termservice");
    let copy = dir.join("SYSTEM");
    std::fs::copy(hostkit::hive("SYSTEM"), &copy).unwrap();
    hostkit::hivex_merge(
        &copy,
        "REGEDIT4\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\services\\TermService]\n\"Start\"=dword:00000004\n\n",
    );
    // The independent reader agrees before rdpdoctor is asked.
    assert_eq!(
        hostkit::hivexget(&copy, "\\ControlSet001\\services\\TermService", "Start"),
        "4"
    );
    let r = inspect(&[&copy], &[]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    assert_eq!(r.finding("rdp-service-disabled")["severity"], "fail");
    assert_eq!(r.top_cause().0, "port-closed-or-service-stopped");
}

#[test]
fn a_group_policy_security_layer_wins_and_says_what_it_overrides() {
    let dir = hostkit::scratch("inspect-gp");
    let system = hostkit::hive("SYSTEM");
    let reg = dir.join("policy.reg");
    hostkit::write_reg_utf16(
        &reg,
        "Windows Registry Editor Version 5.00\n\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services]\n\
         \"SecurityLayer\"=dword:00000000\n\n",
    );
    let r = inspect(&[&system, &reg], &[]);
    let f = r.finding("host-security-layer-rdp");
    assert!(
        f["summary"].as_str().unwrap().contains("Group Policy"),
        "{f}"
    );
    let ev = &f["evidence"]["SecurityLayer"];
    assert_eq!(ev["value"], 0);
    assert!(ev["from"].as_str().unwrap().contains("Policies"), "{ev}");
    assert_eq!(ev["overrides"][0]["value"], 1, "{ev}");
    assert!(
        ev["overrides"][0]["from"]
            .as_str()
            .unwrap()
            .contains("RDP-Tcp"),
        "{ev}"
    );
    assert_eq!(r.top_cause().0, "server-forces-rdp-security");
}

#[test]
fn what_cannot_be_read_is_one_line_each_and_exit_2_only_when_nothing_was() {
    let dir = hostkit::scratch("inspect-bad");
    let junk = dir.join("notes.txt");
    std::fs::write(&junk, "not a hive\n").unwrap();
    // Nothing usable: exit 2, a line naming the file, and the summary line.
    let r = inspect(&[&junk], &[]);
    assert_eq!(r.code(), 2);
    let err = r.stderr();
    assert!(err.lines().count() <= 2, "{err}");
    assert!(err.lines().next().unwrap().contains("notes.txt"), "{err}");
    assert!(r.out.stdout.is_empty());
    // Beside a good hive: the report, and the bad file named on stderr.
    let system = hostkit::hive("SYSTEM");
    let r = inspect(&[&junk, &system], &[]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    assert_eq!(r.stderr().lines().count(), 1, "{}", r.stderr());
    let sources = r.json()["host"]["sources"].as_array().unwrap();
    assert!(sources.iter().any(|s| s["status"]["state"] == "unusable"));
    // A folder that is no Windows volume.
    let empty = hostkit::scratch("inspect-empty-folder");
    let r = inspect(&[&empty], &[]);
    assert_eq!(r.code(), 2, "{}", r.stderr());
    // The damaged hive: what could be read, never a panic, and no verdict
    // it cannot back.
    let damaged = hostkit::hive("corrupted_system_hive");
    let r = inspect(&[&damaged], &[]);
    assert_eq!(r.verdict(), "inconclusive");
    assert_eq!(r.code(), 1);
    assert!(r.json()["diagnosis"]["first_fix"].is_null());
    // A bad --since is usage.
    let r = inspect(&[&system], &["--since", "yesterday"]);
    assert_eq!(r.code(), 2);
    assert_eq!(r.stderr().lines().count(), 1);
}

/// `inspect --local` and `probe --host-local` off Windows: one line, exit 2;
/// the probe reads the machine before the network, so no connection is made.
#[test]
fn local_off_windows_is_one_line_exit_2_and_no_traffic() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let target = listener.local_addr().unwrap().to_string();
    for args in [
        &["inspect", "--local"][..],
        &["probe", &target, "--no-reverse-dns", "--host-local"][..],
    ] {
        let out = Command::new(bin()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("needs Windows"), "{err}");
    }
    assert!(
        listener.accept().is_err(),
        "a connection was made before the host was read"
    );
    // Both ways of naming the host at once: usage.
    let out = Command::new(bin())
        .args(["probe", &target, "--host-local", "--host-evidence", "x.reg"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A disk image can hold anything: names read from it reach the terminal
/// only neutralised (no escape sequences, no bidi overrides, no bells).
#[test]
fn hostile_names_in_the_registry_never_reach_the_terminal_raw() {
    let dir = hostkit::scratch("inspect-hostile");
    let system = hostkit::hive("SYSTEM");
    let reg = dir.join("hostile.reg");
    hostkit::write_reg_utf16(
        &reg,
        "Windows Registry Editor Version 5.00\n\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\NetworkList\\Profiles\\{6B1A2C3D-0000-4000-8000-000000000009}]\n\
         \"ProfileName\"=\"Net\u{1b}]0;pwned\u{7}\u{202e}work\u{9b}2J\"\n\
         \"Category\"=dword:00000000\n\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\n\
         \"ProductName\"=\"Windows\u{1b}[2J Server\"\n\n",
    );
    let r = inspect(&[&system, &reg], &["--format", "text", "--color", "never"]);
    let out = String::from_utf8_lossy(&r.out.stdout).into_owned();
    assert!(out.contains("firewall-blocks-rdp"), "{out}");
    for bad in ['\u{1b}', '\u{7}', '\u{202e}', '\u{9b}'] {
        assert!(!out.contains(bad), "raw {:?} in the report:\n{out}", bad);
    }
    // The name is still there to read, escaped.
    assert!(out.contains("Net\\x1b]0;pwned"), "{out}");
}

/// A `reg export` of only the listener's key: what Azure's ResetRDPCert
/// leaves behind is named, and the firewall it does not hold is not judged.
#[test]
fn a_partial_export_is_judged_on_what_it_holds() {
    let dir = hostkit::scratch("inspect-reset");
    let reg = dir.join("rdp-tcp.reg");
    hostkit::write_reg_utf16(
        &reg,
        "Windows Registry Editor Version 5.00\n\n\
         [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server]\n\
         \"fDenyTSConnections\"=dword:00000000\n\n\
         [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp]\n\
         \"PortNumber\"=dword:00000d3d\n\
         \"SecurityLayer\"=dword:00000000\n\
         \"MinEncryptionLevel\"=dword:00000001\n\n",
    );
    let r = inspect(&[&reg], &[]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let f = r.finding("host-security-layer-rdp");
    assert!(
        f["summary"].as_str().unwrap().contains("ResetRDPCert"),
        "{f}"
    );
    let ids = r.findings();
    assert!(
        !ids.iter().any(|i| i.starts_with("firewall")),
        "no firewall policy was read, so none is judged: {ids:?}"
    );
    assert_eq!(r.top_cause().0, "server-forces-rdp-security");
}

/// A stopped VM's disk as a rescue machine mounts it, in the letter case a
/// copy may have: the real SYSTEM hive, a SOFTWARE-shaped hive with its
/// MachineGuid (made with hivex), and MachineKeys holding other keys.
fn mounted_volume(name: &str, guid: &str) -> (PathBuf, PathBuf) {
    let root = hostkit::scratch(name);
    let config = root.join("WINDOWS/system32/Config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::copy(hostkit::hive("SYSTEM"), config.join("SYSTEM")).unwrap();
    hostkit::software_hive(&config.join("software"), guid);
    let keys = root.join("programdata/MICROSOFT/Crypto/rsa/MachineKeys");
    std::fs::create_dir_all(&keys).unwrap();
    // Other machine keys, among them one of another machine's RDP key.
    for other in [
        "6de9cb26d2b98c01ec4e9e8b34824aa2_0b1c2d3e-0000-4000-8000-000000000001".to_owned(),
        "d6d986f09a1ee04e24c949879fdb506c_0b1c2d3e-0000-4000-8000-000000000001".to_owned(),
        "f686aace6942fb7f7ceb231212eef4a4_0b1c2d3e-0000-4000-8000-000000000001".to_owned(),
    ] {
        std::fs::write(keys.join(other), vec![1u8; 2048]).unwrap();
    }
    (root, keys)
}

#[test]
fn a_mounted_volume_without_its_rdp_key_file_blames_the_private_key() {
    let guid = "7c1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6";
    let (root, keys) = mounted_volume("inspect-volume-no-key", guid);
    let r = inspect(&[&root], &[]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let host = &r.json()["host"];
    assert_eq!(host["identity"]["machine_guid"]["value"], guid);
    assert_eq!(host["terminal_server"]["port_number"]["value"], 3389);
    let key_file = format!("f686aace6942fb7f7ceb231212eef4a4_{guid}");
    let mk = r.finding("machinekeys-key-missing");
    assert_eq!(mk["evidence"]["key_file"], key_file.as_str());
    assert_eq!(mk["evidence"]["files"], 3);
    assert_eq!(r.top_cause().0, "rdp-cert-private-key-broken");

    // The key file back, not empty: the finding goes.
    std::fs::write(keys.join(&key_file), vec![7u8; 1234]).unwrap();
    let r = inspect(&[&root], &[]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    assert!(
        !r.findings().contains(&"machinekeys-key-missing".to_owned()),
        "{:?}",
        r.findings()
    );
    assert_eq!(r.json()["host"]["machine_keys"]["rdp_key_present"], true);
    assert_ne!(r.top_cause().0, "rdp-cert-private-key-broken");
}

/// The wire and the disk together: an emulated Windows host that has no
/// usable certificate (RDP_NEG_FAILURE SSL_CERT_NOT_ON_SERVER), and its
/// disk, whose MachineKeys lacks the self-signed certificate's key file.
/// Either alone leaves two causes close; together the broken private key
/// is the answer, with high confidence.
#[test]
fn no_usable_certificate_on_the_wire_and_no_key_file_on_the_disk() {
    let guid = "7c1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d7";
    let (root, _) = mounted_volume("inspect-wire-and-volume", guid);
    let lab = cli::LabServe::start(&["ssl-cert-not-on-server"]);
    let addr = lab.listeners[0].1.clone();
    let probe = |extra: &[&str]| {
        let mut args = vec!["probe", addr.as_str(), "--format", "json", "--timeout", "3"];
        args.extend_from_slice(extra);
        let out = Command::new(bin()).args(&args).output().unwrap();
        let json: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        json
    };
    let top = |j: &Value| {
        (
            j["diagnosis"]["causes"][0]["id"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
            j["diagnosis"]["causes"][0]["confidence"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        )
    };
    let wire = probe(&[]);
    assert_ne!(
        top(&wire),
        ("rdp-cert-private-key-broken".to_owned(), "high".to_owned()),
        "the wire alone cannot tell a broken key from a missing certificate"
    );
    let root_s = root.display().to_string();
    let both = probe(&["--host-evidence", &root_s]);
    let ids: Vec<&str> = both["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert!(ids.contains(&"ssl-cert-not-on-server"), "{ids:?}");
    assert!(ids.contains(&"machinekeys-key-missing"), "{ids:?}");
    assert_eq!(
        top(&both),
        ("rdp-cert-private-key-broken".to_owned(), "high".to_owned()),
        "{:#}",
        both["diagnosis"]["causes"]
    );
}

/// The wire and the host together: a closed port on a machine whose
/// registry has Remote Desktop switched off. RDP off explains the closed
/// port, so it is the answer (high, read on the host) and its fix comes
/// first, not "start Remote Desktop Services", useless while
/// fDenyTSConnections = 1.
#[test]
fn a_closed_port_on_a_host_with_rdp_off_answers_rdp_off() {
    let hive = hostkit::hive("SYSTEM_WIN_10_1709");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let target = format!("127.0.0.1:{port}");
    let out = Command::new(bin())
        .args(["probe", &target, "--no-reverse-dns", "--format", "json"])
        .arg("--host-evidence")
        .arg(&hive)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["diagnosis"];
    assert_eq!(d["causes"][0]["id"], "remote-desktop-disabled", "{d}");
    assert_eq!(d["causes"][0]["confidence"], "high", "{d}");
    assert_eq!(d["causes"][0]["basis"], "measured", "{d}");
    assert_eq!(d["first_fix"]["cause"], "remote-desktop-disabled", "{d}");
}

fn text_of(r: &Run) -> String {
    String::from_utf8_lossy(&r.out.stdout).into_owned()
}

/// Two real hives of two computers: refused in one line naming both, never
/// one machine's answer with the other's settings silently dropped.
#[test]
fn hives_of_two_machines_are_refused_naming_both() {
    let (a, b) = (hostkit::hive("SYSTEM"), hostkit::hive("SYSTEM_WIN_10_1709"));
    for format in ["text", "json"] {
        let r = inspect(&[&a, &b], &["--format", format]);
        assert_eq!(r.code(), 2, "{}", r.stderr());
        let err = r.stderr();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("WKS-WIN732BITA") && err.contains("DESKTOP-2KGM189"),
            "{err}"
        );
        assert!(r.out.stdout.is_empty());
    }
    // The same machine's hive twice is one machine.
    let r = inspect(&[&a, &a], &[]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
}

/// The real hive of WKS-WIN732BITA beside event logs of other computers:
/// their 4825 and 4625 are shown as recorded elsewhere and never become
/// findings about this host, in the default window or with `--since all`.
#[test]
fn events_of_other_computers_are_shown_as_such_and_never_blamed_on_the_host() {
    let system = hostkit::hive("SYSTEM");
    let evtx = hostkit::evtx_fixtures();
    for since in ["30d", "all"] {
        let mut extra = vec!["--since", since];
        if since == "30d" {
            extra.clear();
        }
        let r = inspect(&[&system, &evtx], &extra);
        assert_eq!(r.code(), 0, "{}", r.stderr());
        assert_eq!(r.verdict(), "healthy");
        let events: Vec<String> = r
            .findings()
            .into_iter()
            .filter(|f| f.starts_with("event-"))
            .collect();
        assert!(events.is_empty(), "blamed on the host: {events:?}");
        let groups = r.json()["host"]["events"]["groups"].as_array().unwrap();
        assert!(
            groups
                .iter()
                .any(|g| g["event_id"] == 4825 && g["computer"] == "fs02.offsec.lan"),
            "{groups:?}"
        );
    }
    let r = inspect(&[&system, &evtx], &["--format", "text", "--color", "never"]);
    let out = text_of(&r);
    assert!(
        out.contains("recorded on fs02.offsec.lan, not on this host"),
        "{out}"
    );
    // The head does not count those logs as this host's.
    let head: String = out.lines().take(4).collect::<Vec<_>>().join(" ");
    assert!(
        head.contains("The event logs are of 7 other computers, not this host's"),
        "{out}"
    );
}

/// A folder gathered from many machines and no hive to say which is the
/// host: refused naming them, or read for the one `--computer` names, whose
/// default window counts back from its own newest record (so fs02's 4825,
/// a year older than the newest log, is found by default).
#[test]
fn logs_of_many_computers_are_read_one_computer_at_a_time() {
    let evtx = hostkit::evtx_fixtures();
    let r = inspect(&[&evtx], &[]);
    assert_eq!(r.code(), 2, "{}", r.stderr());
    let err = r.stderr();
    let last = err.lines().last().unwrap_or("");
    assert!(
        last.contains("7 computers") && last.contains("--computer"),
        "{err}"
    );
    assert!(r.out.stdout.is_empty());

    let r = inspect(&[&evtx], &["--computer", "fs02.offsec.lan"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    let f = r.finding("event-not-allowed-rdp");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("recorded on fs02.offsec.lan"),
        "{f}"
    );
    // FS03's failed logons are not fs02's.
    assert!(
        !r.findings().contains(&"event-account-problem".to_owned()),
        "{:?}",
        r.findings()
    );
    let ev = &r.json()["host"]["events"];
    assert_eq!(ev["records_matched"], 2, "{ev}");
    assert_eq!(ev["window"]["since"], "2020-06-13T00:00:00Z", "{ev}");
    // A name the logs do not hold: one line, exit 2.
    let r = inspect(&[&evtx], &["--computer", "nosuchhost"]);
    assert_eq!(r.code(), 2);
    assert_eq!(r.stderr().lines().count(), 1, "{}", r.stderr());
}

/// One machine's real logs (DESKTOP-1N4R894's RdpCoreTS, RemoteConnection
/// Manager and System logs): the default window says how many records it
/// left out and how to include them; `--since all` includes them.
#[test]
fn the_default_window_says_what_it_left_out() {
    let dir = hostkit::scratch("inspect-window");
    let evtx = hostkit::evtx_fixtures();
    for f in [
        "omerbenamram_evtx__2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS-Operational.evtx",
        "omerbenamram_evtx__2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager-Operational.evtx",
        "omerbenamram_evtx__2-vss_7-System.evtx",
    ] {
        std::fs::copy(evtx.join(f), dir.join(f)).unwrap();
    }
    let r = inspect(&[&dir], &[]);
    let ev = &r.json()["host"]["events"];
    assert_eq!(ev["records_left_out"], 1, "{ev}");
    assert_eq!(ev["left_out"][0]["event_id"], 1056, "{ev}");
    let in_window = ev["records_matched"].as_u64().unwrap();
    let t = inspect(&[&dir], &["--format", "text", "--color", "never"]);
    let out = text_of(&t);
    assert!(
        out.contains("1 older left out (--since all includes them)"),
        "{out}"
    );
    let all = inspect(&[&dir], &["--since", "all"]);
    let ev = &all.json()["host"]["events"];
    assert_eq!(ev["records_left_out"], 0, "{ev}");
    assert_eq!(ev["records_matched"].as_u64(), Some(in_window + 1), "{ev}");
}

/// When the only evidence is outside the window, the head says so (not
/// "no findings") and how to include it.
#[test]
fn evidence_only_outside_the_window_is_said_in_the_head() {
    let log = hostkit::evtx_fixtures()
        .join("Yamato-Security_hayabusa-sample-evtx__ID4825-Denied_RDP_connection_with_valid_credentials.evtx");
    let r = inspect(
        &[&log],
        &[
            "--since",
            "2021-01-01",
            "--format",
            "text",
            "--color",
            "never",
        ],
    );
    let out = text_of(&r);
    let head: String = out.lines().take(4).collect::<Vec<_>>().join(" ");
    assert!(
        head.contains("2 older RDP events (4825)") && head.contains("--since all"),
        "{out}"
    );
    assert!(!head.contains("read the findings below"), "{out}");
    let r = inspect(&[&log], &["--since", "all"]);
    assert!(r.findings().contains(&"event-not-allowed-rdp".to_owned()));
}

/// The damaged real hive: the head says the hive could not be read and
/// what to give instead, not "read the findings below" over no findings.
#[test]
fn a_damaged_hive_says_so_in_the_head_with_what_to_give_instead() {
    let damaged = hostkit::hive("corrupted_system_hive");
    let r = inspect(&[&damaged], &["--format", "text", "--color", "never"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    let out = text_of(&r);
    let head: String = out.lines().take(4).collect::<Vec<_>>().join(" ");
    assert!(head.contains("SYSTEM hive could not be read"), "{out}");
    assert!(
        head.contains(".LOG1/.LOG2") && head.contains("reg export"),
        "{out}"
    );
    assert!(!head.contains("read the findings below"), "{out}");
    let md = inspect(&[&damaged], &["--format", "markdown", "--brief"]);
    assert!(
        text_of(&md).contains("SYSTEM hive could not be read"),
        "{}",
        text_of(&md)
    );
}

/// `probe --host-evidence` with the hive of another machine than the one
/// that answers (NTLM names it WIN-RDP01): one line naming both, exit 2.
#[test]
fn probe_with_another_machines_hive_is_refused() {
    let lab = rdpdoctor_testkit::run::LabServe::start(&["healthy-nla"]);
    let addr = lab.listeners[0].1.clone();
    let hive = hostkit::hive("SYSTEM").display().to_string();
    let out = Command::new(bin())
        .args([
            "probe",
            addr.as_str(),
            "--no-reverse-dns",
            "--timeout",
            "3",
            "--host-evidence",
            &hive,
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("WKS-WIN732BITA") && err.contains("WIN-RDP01"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

/// Both ends from registries alone: a server whose policy is Force Updated
/// Clients (AllowEncryptionOracle = 0, Windows Server 2022) and a Windows 7
/// client, whose CredSSP update can't be seen in its registry: the pair is
/// blocked if the client lacks it, and the side to change is the client.
/// The same machine given as both ends is refused in one line.
#[test]
fn inspect_pairs_the_clients_state_with_the_servers() {
    let dir = hostkit::scratch("inspect-both-ends");
    let system = hostkit::hive("SYSTEM");
    let server_policy = dir.join("server-software.reg");
    hostkit::write_reg_utf16(
        &server_policy,
        "Windows Registry Editor Version 5.00\n\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\n\
         \"CurrentBuild\"=\"20348\"\n\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\CredSSP\\Parameters]\n\
         \"AllowEncryptionOracle\"=dword:00000000\n\n",
    );
    let client = dir.join("client-software.reg");
    hostkit::write_reg_utf16(
        &client,
        "Windows Registry Editor Version 5.00\n\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\n\
         \"CurrentBuild\"=\"7601\"\n\n",
    );
    let client_arg = client.to_str().unwrap();
    let r = inspect(
        &[&system, &server_policy],
        &["--client-evidence", client_arg],
    );
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let f = r.finding("credssp-pair-blocked");
    assert_eq!(f["severity"], "warn", "{f}");
    assert_eq!(f["evidence"]["change"], "client", "{f}");
    assert_eq!(f["evidence"]["server_allow_encryption_oracle"], 0, "{f}");
    assert!(
        f["evidence"]["client_updated"]
            .as_str()
            .unwrap()
            .contains("7601"),
        "{f}"
    );
    // Without the client, the server's policy alone is only a fact.
    let alone = inspect(&[&system, &server_policy], &[]);
    assert!(
        !alone
            .findings()
            .iter()
            .any(|id| id.starts_with("credssp-pair"))
    );

    // The server's own hive given as the client: refused, one line, exit 2.
    let same = inspect(&[&system], &["--client-evidence", system.to_str().unwrap()]);
    assert_eq!(same.code(), 2);
    let err = same.stderr();
    assert!(err.contains("both of") && err.lines().count() == 1, "{err}");
}
