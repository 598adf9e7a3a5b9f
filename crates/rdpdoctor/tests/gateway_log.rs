//! `inspect` of an RD Gateway's log (TerminalServices-Gateway/Operational):
//! counts, the newest example, the user and the resource of each refusal,
//! judged with the gateway's causes. No real gateway `.evtx` is among the
//! shared fixtures, and none is hand-written: the records are the event
//! groups the `.evtx` reader gives (`rdpdoctor_host::events`), built here.
//! And a user's `RDGClientTransport`, read from an HKCU export and judged.

use rdpdoctor_diagnose::{Evidence, FindingId, HostInput, judge};
use rdpdoctor_evidence::host::HostEvidence;
use rdpdoctor_testkit::reports::event_group;

const CHANNEL: &str = "Microsoft-Windows-TerminalServices-Gateway/Operational";
const PROVIDER: &str = "Microsoft-Windows-TerminalServices-Gateway";

fn gateway_log(records: &[(u32, &[(&str, &str)])]) -> HostEvidence {
    let mut h = HostEvidence::default();
    h.events.groups = records
        .iter()
        .map(|(id, key)| event_group(CHANNEL, PROVIDER, *id, key))
        .collect();
    h
}

fn judged(h: &HostEvidence) -> rdpdoctor_diagnose::Judgement {
    judge(
        &Evidence::host(HostInput {
            evidence: h,
            now_unix: 1_714_700_000,
        }),
        &Default::default(),
    )
}

#[test]
fn a_rap_refusal_names_the_user_and_the_resource_and_its_fix() {
    let h = gateway_log(&[
        (200, &[("Username", "CORP\\bob")]),
        (
            301,
            &[
                ("Username", "CORP\\bob"),
                ("Resource", "rdp01.corp.example"),
            ],
        ),
        (302, &[("Username", "CORP\\ann"), ("Resource", "rdp02")]),
    ]);
    let j = judged(&h);
    let f = j
        .findings
        .iter()
        .find(|f| f.id == FindingId::EventGatewayRapDenied)
        .expect("the RAP finding");
    assert!(
        f.summary.contains("3 events")
            && f.summary
                .contains("301 user CORP\\bob to rdp01.corp.example")
            && f.summary.contains("newest 2024-05-02"),
        "{}",
        f.summary
    );
    // successes are counted in the log, never judged
    assert_eq!(
        j.findings
            .iter()
            .filter(|f| f.id.name().starts_with("event-gateway"))
            .count(),
        1
    );
    let top = &j.diagnosis.causes[0];
    assert_eq!(top.id, "rd-gateway-access-denied");
    assert!(
        top.fixes[0]
            .path
            .as_deref()
            .unwrap_or("")
            .contains("Resource Authorization Policies")
    );
}

#[test]
fn each_refusal_points_at_its_own_cause() {
    for (id, key, finding, cause) in [
        (
            304u32,
            &[
                ("Username", "CORP\\ann"),
                ("Resource", "rdp02"),
                ("ErrorCode", "10060"),
            ][..],
            FindingId::EventGatewayTargetUnreachable,
            "rd-gateway-cannot-reach-host",
        ),
        (
            201,
            &[
                ("Username", "CORP\\cy"),
                ("AuthType", "NTLM"),
                ("ErrorCode", "23003"),
            ][..],
            FindingId::EventGatewayCapDenied,
            "rd-gateway-cap-denied",
        ),
        (
            203,
            &[("Username", "CORP\\dee")][..],
            FindingId::EventGatewayConnectionLimit,
            "rd-gateway-connection-limit",
        ),
        (
            306,
            &[("Username", "CORP\\eve")][..],
            FindingId::EventGatewayTunnelFailed,
            "rd-gateway-cert-invalid",
        ),
    ] {
        let j = judged(&gateway_log(&[(id, key)]));
        assert!(j.has(finding), "{id}");
        assert_eq!(j.diagnosis.causes[0].id, cause, "{id}");
    }
}

#[test]
fn gateway_text_from_the_log_is_neutralised_in_the_report() {
    let h = gateway_log(&[(
        301,
        &[
            ("Username", "CORP\\bob\u{1b}[2J"),
            ("Resource", "rdp01\u{202e}exe.txt"),
        ],
    )]);
    let j = judged(&h);
    let text = rdpdoctor_render::host::host_report(&h, &j, &rdpdoctor_render::style::Style::PLAIN);
    assert!(text.contains("rdp01"), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text}"
    );
}

/// `inspect` of an HKCU export (as `reg export` writes it) with
/// `RDGClientTransport = 1`: the fact, its finding, the cause and the fix
/// that lets mstsc choose the gateway transport again.
#[test]
fn rdgclienttransport_1_is_judged_with_the_setting_and_its_fix() {
    use rdpdoctor_testkit::cli::run;
    let dir = rdpdoctor_testkit::fixtures::scratch("rdgclienttransport");
    let inspect = |name: &str, value: u32| {
        let path = dir.join(name);
        rdpdoctor_testkit::fixtures::write_reg_utf16(
            &path,
            &format!(
                "Windows Registry Editor Version 5.00\n\n\
                 [HKEY_CURRENT_USER\\Software\\Microsoft\\Terminal Server Client]\n\
                 \"RDGClientTransport\"=dword:{value:08x}\n"
            ),
        );
        let (out, _) = run(
            false,
            &["inspect", path.to_str().unwrap(), "--format", "json"],
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("inspect's JSON");
        json
    };
    let json = inspect("rpc.reg", 1);
    assert_eq!(json["host"]["client"]["rdg_client_transport"]["value"], 1);
    let f = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "client-rdg-rpc-transport")
        .expect("the finding");
    assert_eq!(f["evidence"]["RDGClientTransport"]["value"], 1);
    let cause = &json["diagnosis"]["causes"][0];
    assert_eq!(cause["id"], "client-forces-rdg-rpc-transport");
    assert!(cause["fixes"][0]["command"].as_str().unwrap().contains(
        "reg delete \"HKCU\\Software\\Microsoft\\Terminal Server Client\" /v RDGClientTransport"
    ));
    // 0 (or absent) is the default: nothing to say
    let json = inspect("http.reg", 0);
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["id"] != "client-rdg-rpc-transport")
    );
}
