//! nmap is the peer to beat. Against the lab's real servers:
//! - where nmap's rdp-enum-encryption reports "CredSSP (NLA): SUCCESS" for
//!   xrdp (which has no NLA: it answered a HYBRID request by selecting RDP),
//!   rdpdoctor says NLA is absent, and the reference client agrees with
//!   rdpdoctor (`xfreerdp /sec:nla` fails);
//! - nmap's rdp-ntlm-info, an independent NTLM parser, reads the same names,
//!   OS version and clock from the NLA servers as rdpdoctor does.
//!
//! Run by lab/test.sh.

use rdpdoctor_testkit::cli::*;
use std::collections::HashMap;
use std::process::Command;

fn nmap(script: &str, port: u16) -> String {
    let out = Command::new("nmap")
        .args([
            "-Pn",
            "-n",
            "-sT",
            "-p",
            &port.to_string(),
            "--script",
            &format!("+{script}"),
            "127.0.0.1",
        ])
        .output()
        .expect("run nmap (lab/install.sh installs it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `|   Key: value` lines of a script's output.
fn fields(out: &str) -> HashMap<String, String> {
    out.lines()
        .filter_map(|l| l.trim_start_matches(['|', '_', ' ']).split_once(": "))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

#[test]
#[ignore = "needs the lab: run lab/test.sh"]
fn nmap_says_nla_on_xrdp_rdpdoctor_says_absent_and_xfreerdp_agrees() {
    let s = scenario("xrdp-negotiate");
    let nmap_out = nmap("rdp-enum-encryption", s.port);
    // nmap's false positive, pinned: if nmap fixes it, this test says so.
    assert!(
        nmap_out.contains("CredSSP (NLA): SUCCESS"),
        "nmap output changed:\n{nmap_out}"
    );
    let p = probe("xrdp-negotiate", &[]);
    assert_eq!(p.json["security"]["nla"], "absent");
    let hybrid = p.json["negotiation"]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["requested"]["protocols"] == serde_json::json!(["hybrid"]))
        .unwrap();
    assert_eq!(
        hybrid["outcome"]["protocol"]["protocols"],
        serde_json::json!(["rdp"]),
        "xrdp selects RDP for a HYBRID-only request"
    );
    assert_eq!(p.gets_through("nla"), Some(false));
    // The reference client settles it.
    let out = Command::new("bash")
        .arg(repo_root().join("lab/xfreerdp.sh"))
        .args([&s.address, &s.port.to_string(), "nla"])
        .output()
        .unwrap();
    assert_ne!(
        out.status.code(),
        Some(0),
        "xfreerdp /sec:nla must fail against xrdp"
    );
}

#[test]
#[ignore = "needs the lab: run lab/test.sh"]
fn ntlm_facts_match_nmaps_independent_parser() {
    for name in ["shadow-nla", "shadow-skew"] {
        let s = scenario(name);
        let f = fields(&nmap("rdp-ntlm-info", s.port));
        let p = probe(name, &[]);
        let n = &p.json["ntlm"];
        assert_eq!(
            n["netbios_computer_name"],
            f["NetBIOS_Computer_Name"].as_str(),
            "{name}"
        );
        assert_eq!(
            n["netbios_domain_name"],
            f["NetBIOS_Domain_Name"].as_str(),
            "{name}"
        );
        assert_eq!(
            n["dns_computer_name"],
            f["DNS_Computer_Name"].as_str(),
            "{name}"
        );
        assert_eq!(n["os_version"], f["Product_Version"].as_str(), "{name}");
        // The same server clock (two connections a moment apart).
        let ours = n["server_time"].as_str().unwrap();
        let theirs = &f["System_Time"];
        let gap = (unix_secs(ours) - unix_secs(theirs)).abs();
        assert!(gap < 60, "{name}: {ours} vs {theirs}");
    }
}

/// Seconds since 1970 of `YYYY-MM-DDTHH:MM:SS…` (UTC), by the civil-from-days algorithm.
fn unix_secs(t: &str) -> i64 {
    let n = |a: usize, b: usize| {
        t.get(a..b)
            .and_then(|x| x.parse::<i64>().ok())
            .unwrap_or_else(|| panic!("bad time {t}"))
    };
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    days * 86_400 + n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19)
}

#[test]
fn unix_secs_reads_rfc3339() {
    assert_eq!(unix_secs("1970-01-01T00:00:00Z"), 0);
    assert_eq!(unix_secs("2035-06-01T00:00:00+00:00"), 2_064_268_800);
}
