//! Kerberos and secure-channel events (inspect) on hand-built host evidence:
//! the shared fixtures hold no 4768/4769/4771, Kerberos 3/4 or NETLOGON
//! 3210/5719 record, and .evtx files are never hand-written.

use rdpdoctor_diagnose::FindingId;
use rdpdoctor_evidence::host::{EventGroup, EventRecord, HostEvidence};
use std::collections::BTreeMap;

fn group(channel: &str, provider: &str, id: u32, key: &[(&str, &str)], user: &str) -> EventGroup {
    EventGroup {
        computer: Some("DC1.contoso.com".into()),
        channel: channel.into(),
        provider: provider.into(),
        event_id: id,
        key: key
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        count: 3,
        first: "2026-12-01T10:00:00Z".into(),
        newest: EventRecord {
            time: "2026-12-06T10:00:00Z".into(),
            record_id: 42,
            source: "Security.evtx".into(),
            computer: Some("DC1.contoso.com".into()),
            data: BTreeMap::from([("TargetUserName".to_owned(), user.to_owned())]),
        },
    }
}

fn ids(groups: Vec<EventGroup>) -> Vec<(FindingId, String)> {
    let mut h = HostEvidence::default();
    h.events.groups = groups;
    rdpdoctor_diagnose::host::derive(&h, None, 1_796_623_200)
        .into_iter()
        .map(|f| (f.id, f.summary))
        .collect()
}

const SEC: &str = "Microsoft-Windows-Security-Auditing";

#[test]
fn dc_kerberos_failures_are_named_by_their_code() {
    let f = ids(vec![
        group("Security", SEC, 4771, &[("Status", "0x18")], "alice"),
        group("Security", SEC, 4768, &[("Status", "0x12")], "mallory"),
        group("Security", SEC, 4769, &[("Status", "0x7")], "alice"),
        group("Security", SEC, 4771, &[("Status", "0x25")], "bob"),
        // Success: nothing to judge.
        group("Security", SEC, 4768, &[("Status", "0x0")], "carol"),
    ]);
    let find = |id| f.iter().find(|(i, _)| *i == id).map(|(_, s)| s.as_str());
    let pw = find(FindingId::EventKerberosBadPassword).expect("0x18");
    assert!(
        pw.contains("4771 0x18 KDC_ERR_PREAUTH_FAILED for alice"),
        "{pw}"
    );
    assert!(
        find(FindingId::EventKerberosAccount)
            .unwrap()
            .contains("KDC_ERR_CLIENT_REVOKED")
    );
    assert!(
        find(FindingId::EventKerberosSpnUnknown)
            .unwrap()
            .contains("4769 0x7")
    );
    assert!(
        find(FindingId::EventKerberosClockSkew)
            .unwrap()
            .contains("KRB_AP_ERR_SKEW")
    );
    assert_eq!(f.len(), 4, "{f:?}");
}

#[test]
fn member_kerberos_and_netlogon_events() {
    let f = ids(vec![
        group("System", "Microsoft-Windows-Security-Kerberos", 4, &[], "-"),
        group("System", "NETLOGON", 3210, &[], "-"),
        group("System", "NETLOGON", 5719, &[], "-"),
    ]);
    let got: Vec<FindingId> = f.iter().map(|(i, _)| *i).collect();
    assert_eq!(
        got,
        [
            FindingId::EventKerberosModified,
            FindingId::EventSecureChannel
        ]
    );
    assert!(
        f[1].1.contains("NETLOGON 3210; NETLOGON 5719"),
        "{}",
        f[1].1
    );
}

#[test]
fn an_event_id_of_another_provider_is_not_kerberos() {
    // System 4 from another provider is not Kerberos' KRB_AP_ERR_MODIFIED.
    assert!(ids(vec![group("System", "Disk", 4, &[], "-")]).is_empty());
}
