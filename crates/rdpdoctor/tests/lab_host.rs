//! The wire and the host judged together (`probe --host-evidence`), against
//! the lab's real servers and firewalls, with host evidence from real hives
//! and variants made with hivex: the merged diagnoses issue 9 names.
//! `#[ignore]`d: they need the lab (`lab/test.sh` runs them).

use rdpdoctor_testkit::host as hostkit;

use rdpdoctor_testkit::cli::*;
use std::path::Path;

fn top(p: &Probe) -> (String, String) {
    let c = &p.json["diagnosis"]["causes"][0];
    (
        c["id"].as_str().unwrap_or("").to_owned(),
        c["confidence"].as_str().unwrap_or("").to_owned(),
    )
}

fn with_host(name: &str, sources: &[&Path]) -> Probe {
    let mut extra: Vec<String> = Vec::new();
    for s in sources {
        extra.push("--host-evidence".into());
        extra.push(s.display().to_string());
    }
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    probe(name, &extra)
}

/// A filtered port alone could be a firewall anywhere or a host that is
/// not there; the host's own firewall (the Remote Desktop rule inactive on
/// the Public profile, from the real hive) and its network set to Public
/// make it the firewall on a Public network, with high confidence.
#[test]
#[ignore]
fn filtered_port_plus_public_profile_is_the_firewall_with_high_confidence() {
    if !lab_has_netns() {
        panic!("the lab runs without network namespaces: ns-drop is not there");
    }
    let wire_only = probe("ns-drop", &[]);
    wire_only.assert_has("port-filtered");
    let (cause, conf) = top(&wire_only);
    assert_ne!(
        (cause.as_str(), conf.as_str()),
        ("firewall-or-public-network-profile", "high"),
        "the wire alone cannot tell a firewall from an absent host"
    );

    let dir = hostkit::scratch("lab-host-public");
    let reg = hostkit::public_network_reg(&dir, "Network 3");
    let system = hostkit::hive("SYSTEM");
    let p = with_host("ns-drop", &[&system, &reg]);
    p.assert_has("port-filtered");
    p.assert_has("firewall-blocks-rdp");
    assert_eq!(
        top(&p),
        (
            "firewall-or-public-network-profile".to_owned(),
            "high".to_owned()
        ),
        "{:#}",
        p.json["diagnosis"]["causes"][0]
    );
    assert_eq!(p.code, 1);
    // The report carries the host evidence it used.
    assert_eq!(
        p.json["host"]["terminal_server"]["port_number"]["value"],
        3389
    );
}

/// Nothing listens on the port probed, and the host says its listener is
/// configured for another one: connect to the right port.
#[test]
#[ignore]
fn a_closed_port_and_a_listener_on_another_port() {
    let system = hostkit::hive("SYSTEM");
    let p = with_host("closed", &[&system]);
    p.assert_has("port-closed");
    p.assert_has("listener-port-differs");
    let f = p.json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "listener-port-differs")
        .unwrap()
        .clone();
    assert_eq!(f["severity"], "fail");
    assert_eq!(f["evidence"]["PortNumber"]["value"], 3389);
    let (cause, _) = top(&p);
    assert_eq!(cause, "port-closed-or-service-stopped");
    let fixes: Vec<&str> = p.json["diagnosis"]["causes"][0]["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert!(fixes.contains(&"connect-to-right-port"), "{fixes:?}");
}

/// The certificate served on the wire is not the one the registry binds
/// (`SSLCertificateSHA1Hash`, set in a hivex copy of the real hive).
#[test]
#[ignore]
fn the_served_certificate_is_not_the_configured_one() {
    let dir = hostkit::scratch("lab-host-certhash");
    let copy = dir.join("SYSTEM");
    std::fs::copy(hostkit::hive("SYSTEM"), &copy).unwrap();
    let hash = "0123456789abcdef0123456789abcdef01234567";
    let bytes: Vec<String> = (0..20).map(|i| hash[i * 2..i * 2 + 2].to_owned()).collect();
    hostkit::hivex_merge(
        &copy,
        &format!(
            "REGEDIT4\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Terminal Server\\WinStations\\RDP-Tcp]\n\"SSLCertificateSHA1Hash\"=hex:{}\n\n",
            bytes.join(",")
        ),
    );
    // hivexget prints a binary value as hex bytes; the independent reader
    // must see what was written before rdpdoctor is asked.
    let seen = hostkit::hivexget(
        &copy,
        "\\ControlSet001\\Control\\Terminal Server\\WinStations\\RDP-Tcp",
        "SSLCertificateSHA1Hash",
    );
    assert!(!seen.is_empty());
    let p = with_host("xrdp-tls", &[&copy]);
    p.assert_has("served-cert-not-configured");
    let f = p.json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "served-cert-not-configured")
        .unwrap()
        .clone();
    assert_eq!(
        f["evidence"]["SSLCertificateSHA1Hash"]["value"],
        hash.to_uppercase()
    );
    assert_eq!(
        f["evidence"]["served"],
        p.json["certificate"]["sha1_thumbprint"]
    );
}
