//! The three real SYSTEM hives in shared/fixtures/hives, read as an admin
//! would give them to `rdpdoctor inspect`, against the values an
//! independent parser (regipy) read from them (SOURCES.tsv).

use rdpdoctor_evidence::host::{FirewallProfileName, ServiceStart, SourceKind, SourceStatus};
use rdpdoctor_testkit::host::{hive, problem, run, source};

#[test]
fn system_hive_gives_the_rdp_settings_firewall_and_services_regipy_read() {
    let path = hive("SYSTEM");
    let ev = run(&[&path]);
    let s = source(&ev, &path);
    assert_eq!(s.kind, SourceKind::SystemHive);
    assert_eq!(s.status, SourceStatus::Read);
    assert_eq!(ev.identity.current_control_set, Some(1));

    let ts = &ev.terminal_server;
    let v = |s: &Option<rdpdoctor_evidence::host::Setting<u32>>| s.as_ref().map(|s| s.value);
    assert_eq!(v(&ts.deny_ts_connections), Some(0), "RDP enabled");
    assert_eq!(v(&ts.single_session_per_user), Some(1));
    assert_eq!(v(&ts.port_number), Some(3389));
    assert_eq!(v(&ts.security_layer), Some(1));
    assert_eq!(v(&ts.user_authentication), Some(0));
    assert_eq!(v(&ts.min_encryption_level), Some(2));
    assert_eq!(ts.max_outstanding_connections, None, "not set in this hive");
    // Where it came from, as Windows names it, CurrentControlSet resolved.
    let origin = &ts.security_layer.as_ref().unwrap().origin;
    assert_eq!(origin.source, path.display().to_string());
    assert_eq!(
        origin.key,
        "HKLM\\SYSTEM\\ControlSet001\\Control\\Terminal Server\\WinStations\\RDP-Tcp"
    );
    assert_eq!(origin.value.as_deref(), Some("SecurityLayer"));
    assert!(ts.security_layer.as_ref().unwrap().shadowed.is_empty());

    for svc in ["TermService", "SessionEnv", "UmRdpService"] {
        let c = ev.services.iter().find(|c| c.name == svc).unwrap();
        assert_eq!(
            c.start.as_ref().map(|s| s.value),
            Some(ServiceStart::Manual),
            "{svc}"
        );
    }

    let fw = ev.firewall.as_ref().expect("firewall read");
    for p in &fw.profiles {
        assert_eq!(p.enabled.as_ref().map(|s| s.value), Some(1), "{:?}", p.name);
    }
    let rule = |id: &str| {
        fw.rules
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("no rule {id} in {:#?}", fw.rules))
    };
    let tcp = rule("RemoteDesktop-In-TCP");
    assert!(tcp.active);
    assert_eq!(
        tcp.profiles,
        [FirewallProfileName::Domain, FirewallProfileName::Private]
    );
    assert_eq!(tcp.local_ports, ["3389"]);
    assert_eq!(tcp.protocol, Some(6));
    let public = rule("RemoteDesktop-In-TCP_1");
    assert!(!public.active, "the Public profile's rule is inactive");
    assert_eq!(public.profiles, [FirewallProfileName::Public]);
    assert!(!rule("RemoteDesktop-UserMode-In-TCP").active);
    assert!(
        fw.rules
            .iter()
            .all(|r| r.id.contains("RemoteDesktop") || r.local_ports.iter().any(|p| p == "3389")),
        "only rules that bear on Remote Desktop: {:#?}",
        fw.rules.iter().map(|r| &r.id).collect::<Vec<_>>()
    );
    assert_eq!(
        ev.time.sync_type.as_ref().map(|s| s.value.as_str()),
        Some("NT5DS")
    );
}

#[test]
fn windows_10_1709_hive_has_remote_desktop_disabled_and_is_marked_dirty() {
    let path = hive("SYSTEM_WIN_10_1709");
    let ev = run(&[&path]);
    let ts = &ev.terminal_server;
    let v = |s: &Option<rdpdoctor_evidence::host::Setting<u32>>| s.as_ref().map(|s| s.value);
    assert_eq!(
        v(&ts.deny_ts_connections),
        Some(1),
        "Remote Desktop disabled"
    );
    assert_eq!(v(&ts.port_number), Some(3389));
    assert_eq!(v(&ts.security_layer), Some(2));
    assert_eq!(v(&ts.user_authentication), Some(1));
    assert_eq!(v(&ts.min_encryption_level), Some(2));
    let fw = ev.firewall.as_ref().unwrap();
    for p in &fw.profiles {
        assert_eq!(p.enabled.as_ref().map(|s| s.value), Some(1));
    }
    for id in [
        "RemoteDesktop-UserMode-In-TCP",
        "RemoteDesktop-UserMode-In-UDP",
    ] {
        let r = fw.rules.iter().find(|r| r.id == id).unwrap();
        assert!(!r.active, "{id}");
    }
    let ws = fw
        .rules
        .iter()
        .find(|r| r.id == "RemoteDesktop-In-TCP-WS")
        .unwrap();
    assert_eq!(ws.local_ports, ["3387"]);
    assert!(!ws.active);
    // Its base block's sequence numbers differ (4317/4316) and no .LOG1/.LOG2
    // lies beside it: read, but said to be possibly stale.
    let s = source(&ev, &path);
    assert!(matches!(s.status, SourceStatus::Partial { .. }));
    assert!(problem(s).contains("transaction logs"), "{}", problem(s));
    assert!(ev.anything_read());
}

#[test]
fn damaged_hive_gives_what_it_can_and_says_what_it_could_not() {
    let path = hive("corrupted_system_hive");
    let ev = run(&[&path]);
    let s = source(&ev, &path);
    assert_eq!(s.kind, SourceKind::SystemHive);
    let SourceStatus::Partial { problem } = &s.status else {
        panic!("damaged hive read as {:?}", s.status)
    };
    assert!(
        problem.starts_with(&path.display().to_string()),
        "{problem}"
    );
    assert!(problem.contains("ControlSet001\\Control"), "{problem}");
    assert_eq!(problem.lines().count(), 1);
    // What survived is kept: the computer name and the control set.
    assert_eq!(
        ev.identity.computer_name.as_ref().map(|s| s.value.as_str()),
        Some("GINEVRA")
    );
    assert_eq!(ev.identity.current_control_set, Some(1));
    assert!(ev.anything_read());
}

#[test]
fn reading_the_largest_fixture_is_quick() {
    let path = hive("SYSTEM_WIN_10_1709");
    let started = std::time::Instant::now();
    let ev = run(&[&path]);
    let took = started.elapsed();
    assert!(ev.terminal_server.port_number.is_some());
    // 15 MB; about 0.1 s in a debug build on the CI machine. The bound is
    // generous: it catches a walk of the whole hive, not noise.
    assert!(took.as_secs_f64() < 5.0, "took {took:?}");
}
