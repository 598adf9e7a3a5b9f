//! Event logs: real `.evtx` files (../shared/fixtures/evtx, read in place,
//! values from its SOURCES.tsv) give the groups, counts, decoded fields and
//! newest examples a user would read; windows; several files merged.

use rdpdoctor_evidence::host::{EventEvidence, EventGroup, HostSource, SourceStatus};
use rdpdoctor_host::InspectOptions;
use rdpdoctor_host::events::Reader;

use rdpdoctor_testkit::host::evtx_fixtures as fixtures;

const RDPCORETS: &str = "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational";
const RCM: &str = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational";
const LSM: &str = "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational";
/// 2027-01-15: "now" for the tests, long after every fixture.
const NOW: i64 = 1_800_000_000;

/// Reads the named fixtures with records since `since` (None: default window).
fn read(names: &[&str], since: Option<i64>) -> (Vec<HostSource>, EventEvidence) {
    let dir = fixtures();
    let mut reader = Reader::new(&InspectOptions {
        since_unix: since,
        now_unix: NOW,
    });
    let sources = names
        .iter()
        .map(|n| reader.read_file(&dir.join(n)))
        .collect();
    (sources, reader.finish())
}

fn all_fixtures() -> Vec<String> {
    let dir = fixtures();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".evtx"))
        .collect();
    names.sort();
    names
}

/// The group with this channel, id and key fields.
fn group<'a>(
    ev: &'a EventEvidence,
    channel: &str,
    id: u32,
    key: &[(&str, &str)],
) -> &'a EventGroup {
    ev.groups
        .iter()
        .find(|g| {
            g.channel == channel
                && g.event_id == id
                && g.key.len() == key.len()
                && key
                    .iter()
                    .all(|(k, v)| g.key.get(*k).map(String::as_str) == Some(*v))
        })
        .unwrap_or_else(|| panic!("no group {channel} {id} {key:?} in {:#?}", ev.groups))
}

fn ids(ev: &EventEvidence) -> Vec<(u32, u64)> {
    ev.groups.iter().map(|g| (g.event_id, g.count)).collect()
}

#[test]
fn failed_rdp_logons_are_grouped_by_status_substatus_and_logon_type() {
    let (sources, ev) = read(
        &[
            "Yamato-Security_hayabusa-sample-evtx__ID4625-failed_login_with_denied_access_due_to_account_restriction.evtx",
        ],
        Some(0),
    );
    assert_eq!(sources[0].status, SourceStatus::Read);
    assert_eq!(ev.records_scanned, 2);
    // 0xc000006e as logged, upper-cased so that spellings merge.
    let g = group(
        &ev,
        "Security",
        4625,
        &[
            ("Status", "0xC000006E"),
            ("SubStatus", "0x0"),
            ("LogonType", "10"),
        ],
    );
    assert_eq!(g.count, 2);
    assert_eq!(g.provider, "Microsoft-Windows-Security-Auditing");
    assert_eq!(g.first, "2021-10-23T21:50:11.6665197Z");
    assert_eq!(g.newest.time, "2021-10-23T21:51:57.2125134Z");
    assert_eq!(g.newest.data["IpAddress"], "10.23.23.9");
    assert!(g.newest.source.ends_with("account_restriction.evtx"));
    assert_eq!(ev.groups.len(), 1);
}

#[test]
fn a_security_log_keeps_4625_and_leaves_the_other_events() {
    let (_, ev) = read(
        &["omerbenamram_evtx__Security_short_selected.evtx"],
        Some(0),
    );
    // 4611, 4625, 4673, 4776, 5152 x2, 5157: only 4625 bears on RDP.
    assert_eq!(ev.records_scanned, 7);
    assert_eq!(ids(&ev), [(4625, 1)]);
    let g = group(
        &ev,
        "Security",
        4625,
        &[
            ("Status", "0xC000006D"),
            ("SubStatus", "0xC000006A"),
            ("LogonType", "10"),
        ],
    );
    assert_eq!(g.newest.data["TargetUserName"], "Administrator");
    assert_eq!(g.newest.data["IpAddress"], "23.94.153.202");
    assert_eq!(g.newest.computer.as_deref(), Some("temporal"));
    // Fields outside the list kept for 4625 (SIDs, logon ids) are not kept.
    assert!(!g.newest.data.contains_key("SubjectUserSid"));
}

#[test]
fn a_user_denied_remote_desktop_is_counted_with_the_account() {
    let (_, ev) = read(
        &[
            "Yamato-Security_hayabusa-sample-evtx__ID4825-Denied_RDP_connection_with_valid_credentials.evtx",
        ],
        Some(0),
    );
    let g = group(&ev, "Security", 4825, &[]);
    assert_eq!(g.count, 2);
    assert_eq!(g.newest.data["AccountName"], "svc6test1");
    assert_eq!(g.newest.data["ClientAddress"], "10.23.23.9");
}

#[test]
fn rdpcorets_disconnect_reasons_and_state_errors_are_grouped() {
    let name = "omerbenamram_evtx__2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS-Operational.evtx";
    let (sources, ev) = read(&[name], Some(0));
    // 1910 records, 4 of them unreadable (SOURCES.tsv): the file is read in
    // part, and the one line says which file and what.
    assert_eq!(ev.records_scanned, 1910);
    assert_eq!(ev.records_unreadable, 4);
    match &sources[0].status {
        SourceStatus::Partial { problem } => {
            assert!(
                problem.contains(name) && problem.contains("4 records"),
                "{problem}"
            );
            assert!(!problem.contains('\n'));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        group(&ev, RDPCORETS, 103, &[("ReasonCode", "14")]).count,
        120
    );
    assert_eq!(group(&ev, RDPCORETS, 103, &[("ReasonCode", "0")]).count, 8);
    assert_eq!(group(&ev, RDPCORETS, 103, &[("ReasonCode", "13")]).count, 1);
    let disconnect = group(
        &ev,
        RDPCORETS,
        226,
        &[
            ("StateTransition", "RDP_TCP"),
            ("PreviousStateName", "StateUnknown"),
            ("NewStateName", "StateDisconnected"),
            ("EventName", "Event_Disconnect"),
            ("ErrorCode", "0x80070040"),
        ],
    );
    assert_eq!(disconnect.count, 117);
    let sec = group(
        &ev,
        RDPCORETS,
        226,
        &[
            ("StateTransition", "RDP_SEC"),
            ("PreviousStateName", "FStatePassthrough"),
            ("NewStateName", "FStateError"),
            ("EventName", "FEventCheckAndCompleteReadsFailed"),
            ("ErrorCode", "0x8007139F"),
        ],
    );
    assert_eq!(sec.count, 1);
    assert_eq!(sec.newest.time, "2018-08-07T19:31:13.9416086Z");
    assert_eq!(group(&ev, RDPCORETS, 131, &[]).count, 126);
    let bad_password = group(&ev, RDPCORETS, 140, &[]);
    assert_eq!(bad_password.count, 126);
    assert_eq!(bad_password.newest.data["IPString"], "193.238.46.35");
    // 65, 72, 102, 141, 143, 145, 148, 227, … are not kept.
    let mut kept: Vec<u32> = ev.groups.iter().map(|g| g.event_id).collect();
    kept.dedup();
    assert_eq!(kept, [103, 131, 140, 226]);
    assert_eq!(ev.records_matched, 120 + 8 + 1 + 117 + 1 + 126 + 126);
}

#[test]
fn rdp_connection_attempts_are_counted() {
    let (_, ev) = read(
        &["Yamato-Security_hayabusa-sample-evtx__ID131-RDP_brutforce_(no_user_info).evtx"],
        Some(0),
    );
    let g = group(&ev, RDPCORETS, 131, &[]);
    assert_eq!(g.count, 154);
    assert_eq!(g.newest.data["ConnType"], "TCP");
    assert!(g.newest.data["ClientIP"].starts_with("10.23.123.11:"));
}

#[test]
fn listener_connections_and_network_logons_are_counted() {
    let (sources, ev) = read(
        &[
            "omerbenamram_evtx__2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager-Operational.evtx",
        ],
        Some(0),
    );
    // SOURCES.tsv says 261 x1769 from 1774 records and 2 errors: that reader
    // (PyPI evtx 0.14) leaves a chunk at its first bad record header, while
    // evtx 0.15 goes on to the next record: records 401576-401596 (21 more
    // 261s, consecutive ids, same days) follow the bad header.
    assert_eq!(ev.records_scanned, 1795);
    assert_eq!(ev.records_unreadable, 2);
    assert!(matches!(sources[0].status, SourceStatus::Partial { .. }));
    assert_eq!(group(&ev, RCM, 261, &[]).count, 1769 + 21);
    assert_eq!(group(&ev, RCM, 1149, &[]).count, 5);
}

#[test]
fn a_network_logon_keeps_user_and_address() {
    let (_, ev) = read(
        &["Velocidex_velociraptor__RDPAuth_RemoteConnectionManager.evtx"],
        Some(0),
    );
    // 258 and 1136 are not kept.
    assert_eq!(ids(&ev), [(261, 1), (1149, 1)]);
    let g = group(&ev, RCM, 1149, &[]);
    assert_eq!(g.newest.data["Param1"], "vagrant");
    assert_eq!(g.newest.data["Param3"], "192.168.38.1");
    assert_eq!(
        group(&ev, RCM, 261, &[]).newest.data["listenerName"],
        "RDP-Tcp"
    );
}

#[test]
fn session_disconnects_are_grouped_by_reason() {
    let (_, ev) = read(
        &["Velocidex_velociraptor__RDPAuth_LocalSessionManager.evtx"],
        Some(0),
    );
    assert_eq!(ev.records_scanned, 17);
    assert_eq!(group(&ev, LSM, 40, &[("Reason", "5")]).count, 2);
    assert_eq!(group(&ev, LSM, 40, &[("Reason", "0")]).count, 1);
    let r12 = group(&ev, LSM, 40, &[("Reason", "12")]);
    assert_eq!(r12.count, 1);
    assert_eq!(r12.newest.data["Session"], "1");
    assert_eq!(ev.groups.len(), 3);
}

#[test]
fn a_system_log_gives_only_the_rdp_certificate_event() {
    let (sources, ev) = read(&["omerbenamram_evtx__2-vss_7-System.evtx"], Some(0));
    assert_eq!(sources[0].status, SourceStatus::Read);
    assert_eq!(ev.records_scanned, 1160);
    assert_eq!(ids(&ev), [(1056, 1)]);
    let g = group(&ev, "System", 1056, &[]);
    assert_eq!(
        g.provider,
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager"
    );
    // The new self-signed certificate's name and SHA-1 thumbprint.
    assert_eq!(g.newest.data["Data1"], "DESKTOP-1N4R894");
    assert_eq!(
        g.newest.data["Binary"],
        "59EFF2E3B509C83137E81085E02A1AC63A7E61AA"
    );
}

/// The groups with this channel and id, by computer.
fn by_computer(ev: &EventEvidence, channel: &str, id: u32) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = ev
        .groups
        .iter()
        .filter(|g| g.channel == channel && g.event_id == id)
        .map(|g| (g.computer.clone().unwrap_or_default(), g.count))
        .collect();
    v.sort();
    v
}

#[test]
fn files_are_merged_into_one_set_of_groups_per_computer() {
    let names = all_fixtures();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (sources, ev) = read(&names, Some(0));
    assert_eq!(sources.len(), 11);
    // 131: 126 (vss RdpCoreTS) + 154 (hayabusa), two machines kept apart.
    assert_eq!(
        by_computer(&ev, RDPCORETS, 131),
        [
            ("DESKTOP-1N4R894".to_owned(), 126),
            ("mssql01.offsec.lan".to_owned(), 154)
        ]
    );
    // 1149: 5 + 1 + 11, the 11 of the hayabusa file by its newest record's
    // computer.
    let logons = by_computer(&ev, RCM, 1149);
    assert_eq!(logons.iter().map(|(_, n)| n).sum::<u64>(), 17, "{logons:?}");
    assert!(
        logons.contains(&("adfs01.offsec.lan".to_owned(), 11)),
        "{logons:?}"
    );
    let newest = ev
        .groups
        .iter()
        .filter(|g| g.channel == RCM && g.event_id == 1149)
        .max_by(|a, b| a.newest.time.cmp(&b.newest.time))
        .unwrap();
    // The newest of the 17 comes from the hayabusa file (2021-12-16).
    assert!(
        newest.newest.source.contains("ID1149"),
        "{}",
        newest.newest.source
    );
    assert_eq!(ev.records_unreadable, 6);
    let window = ev.window.as_ref().unwrap();
    assert_eq!(window.since, "1970-01-01T00:00:00Z");
    assert_eq!(window.default_days, None);
    assert_eq!(
        window.newest_seen.as_deref(),
        Some("2021-12-16T10:23:39.1362551Z")
    );
}

#[test]
fn the_default_window_is_30_days_up_to_the_newest_record_not_now() {
    let names = all_fixtures();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (_, ev) = read(&names, None);
    let window = ev.window.as_ref().unwrap();
    assert_eq!(window.default_days, Some(30));
    assert_eq!(
        window.newest_seen.as_deref(),
        Some("2021-12-16T10:23:39.1362551Z")
    );
    // Each computer's window ends with its own newest record: mssql01's
    // and adfs01's in December 2021 (the window all logs had before), the
    // 2018 RdpCoreTS records' computer in August 2018, fs02's in July 2020.
    let since = |c: &str| {
        ev.machines
            .iter()
            .find(|m| m.computer.as_deref() == Some(c))
            .map(|m| m.since.clone())
            .unwrap_or_else(|| panic!("no machine {c} in {:#?}", ev.machines))
    };
    assert_eq!(since("mssql01.offsec.lan"), "2021-11-17T00:00:00Z");
    assert_eq!(since("adfs01.offsec.lan"), "2021-11-17T00:00:00Z");
    assert_eq!(since("DESKTOP-1N4R894"), "2018-07-10T00:00:00Z");
    assert_eq!(since("fs02.offsec.lan"), "2020-06-13T00:00:00Z");
    assert_eq!(ev.machines.len(), 7);
    // The window's own start is the earliest of theirs.
    assert_eq!(window.since, "2016-05-31T00:00:00Z");
    assert_eq!(
        by_computer(&ev, RDPCORETS, 131)[1],
        ("mssql01.offsec.lan".to_owned(), 154)
    );
    assert_eq!(
        by_computer(&ev, "Security", 4825),
        [("fs02.offsec.lan".to_owned(), 2)]
    );
    // Only DESKTOP-1N4R894's 1056 of 2018-07-06 is older than its window:
    // left out, and counted as such; with --since all the 2471 are in.
    assert_eq!(ev.records_matched, 2470);
    assert_eq!(ev.records_left_out, 1);
    assert_eq!(ev.left_out.len(), 1);
    assert_eq!(
        (ev.left_out[0].event_id, ev.left_out[0].computer.as_deref()),
        (1056, Some("DESKTOP-1N4R894"))
    );
    assert_eq!(ev.records_scanned, 5076);
}

#[test]
fn since_cuts_between_two_records() {
    // The two 4625s: 21:50:11 and 21:51:57 on 2021-10-23.
    let since = 1_635_025_860; // 2021-10-23T21:51:00Z
    let (_, ev) = read(
        &[
            "Yamato-Security_hayabusa-sample-evtx__ID4625-failed_login_with_denied_access_due_to_account_restriction.evtx",
        ],
        Some(since),
    );
    assert_eq!(ids(&ev), [(4625, 1)]);
    let g = &ev.groups[0];
    assert_eq!(g.first, "2021-10-23T21:51:57.2125134Z");
    assert_eq!(ev.window.as_ref().unwrap().since, "2021-10-23T21:51:00Z");
    // A window after every record: nothing matched, the records still read.
    let (_, ev) = read(
        &["omerbenamram_evtx__Security_short_selected.evtx"],
        Some(NOW),
    );
    assert!(ev.groups.is_empty());
    assert_eq!(ev.records_scanned, 7);
    assert_eq!(ev.records_matched, 0);
}

#[test]
fn since_all_has_no_lower_bound_and_starts_at_the_oldest_record() {
    let name = "Yamato-Security_hayabusa-sample-evtx__ID4625-failed_login_with_denied_access_due_to_account_restriction.evtx";
    let (_, all) = read(&[name], Some(rdpdoctor_host::events::SINCE_ALL));
    let w = all.window.as_ref().unwrap();
    // Not a year-minus-9999 date: the oldest record read.
    assert_eq!(w.since, "2021-10-23T21:50:11.6665197Z");
    assert!(w.unbounded);
    assert_eq!(w.default_days, None);
    assert_eq!(ids(&all), [(4625, 2)]);
    // A fixed --since is bounded.
    let (_, since) = read(&[name], Some(0));
    assert!(!since.window.as_ref().unwrap().unbounded);
    assert_eq!(since.groups, all.groups);
}
