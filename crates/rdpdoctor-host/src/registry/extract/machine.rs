//! Who the machine is, its Remote Desktop listener settings, the services
//! Remote Desktop needs, and W32Time.

use super::{Place, TS_POLICY, number, setting, text};
use crate::registry::Hives;
use crate::registry::view::{Data, Root};
use rdpdoctor_evidence::host::{
    ServiceConfig, ServiceStart, Setting, TerminalServerSettings, TimeSettings, WindowsIdentity,
};
use rdpdoctor_wire::cert::hex_upper;

const TS: &str = "CurrentControlSet\\Control\\Terminal Server";
const RDP_TCP: &str = "CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp";
const CURRENT_VERSION: &str = "Microsoft\\Windows NT\\CurrentVersion";

/// `SOFTWARE\Microsoft\Windows NT\CurrentVersion` (ProductName, CurrentBuild,
/// DisplayVersion/ReleaseId), `SYSTEM\…\Control\ComputerName\ComputerName`,
/// `SOFTWARE\Microsoft\Cryptography\MachineGuid`, `SYSTEM\Select\Current`.
pub fn identity(hives: &mut Hives, id: &mut WindowsIdentity) {
    id.computer_name = text(
        hives,
        &[(
            Root::System,
            "CurrentControlSet\\Control\\ComputerName\\ComputerName",
            "ComputerName",
        )],
    );
    let current_version = |name| (Root::Software, CURRENT_VERSION, name);
    id.product_name = text(hives, &[current_version("ProductName")]);
    id.build = text(
        hives,
        &[
            current_version("CurrentBuild"),
            current_version("CurrentBuildNumber"),
        ],
    );
    // DisplayVersion (20H2 on) replaced ReleaseId (up to 2009), which later
    // builds keep at 2009: DisplayVersion first.
    id.display_version = text(
        hives,
        &[
            current_version("DisplayVersion"),
            current_version("ReleaseId"),
        ],
    );
    id.machine_guid = text(
        hives,
        &[(Root::Software, "Microsoft\\Cryptography", "MachineGuid")],
    );
    id.current_control_set = hives
        .value(Root::System, "Select", "Current")
        .and_then(|(d, _)| d.as_u32());
}

/// The Terminal Server and RDP-Tcp listener settings
/// (<https://learn.microsoft.com/troubleshoot/windows-server/remote/remote-desktop-listener-certificate-configurations>,
/// <https://learn.microsoft.com/windows-server/remote/remote-desktop-services/clients/change-listening-port>),
/// Group Policy first where a policy exists.
pub fn terminal_server(hives: &mut Hives, ts: &mut TerminalServerSettings) {
    let gp_then = |name, local| policy_then(TS_POLICY, local, name);
    ts.deny_ts_connections = number(hives, &gp_then("fDenyTSConnections", TS));
    ts.single_session_per_user = number(hives, &gp_then("fSingleSessionPerUser", TS));
    ts.max_outstanding_connections =
        number(hives, &[(Root::System, TS, "MaxOutstandingConnections")]);
    ts.port_number = number(hives, &[(Root::System, RDP_TCP, "PortNumber")]);
    ts.security_layer = number(hives, &gp_then("SecurityLayer", RDP_TCP));
    ts.user_authentication = number(hives, &gp_then("UserAuthentication", RDP_TCP));
    ts.min_encryption_level = number(hives, &gp_then("MinEncryptionLevel", RDP_TCP));
    ts.max_instance_count = number(hives, &gp_then("MaxInstanceCount", RDP_TCP));
    ts.ssl_certificate_sha1_hash = setting(
        hives,
        &gp_then("SSLCertificateSHA1Hash", RDP_TCP),
        thumbprint,
    );
}

/// The value `name` under the policy key `policy` (SOFTWARE) first, then
/// under the local key `local` (SYSTEM).
fn policy_then(
    policy: &'static str,
    local: &'static str,
    name: &'static str,
) -> [Place<'static>; 2] {
    [(Root::Software, policy, name), (Root::System, local, name)]
}

/// A thumbprint as Windows shows it: REG_BINARY → upper-case hex; a string
/// (`REG ADD … /t REG_SZ` by hand) loses its spaces and is upper-cased.
pub fn thumbprint(d: &Data) -> Option<String> {
    match d {
        Data::Binary(b) if !b.is_empty() => Some(hex_upper(b)),
        Data::Sz(s) => {
            let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            (!s.is_empty()).then(|| s.to_ascii_uppercase())
        }
        _ => None,
    }
}

/// The services Remote Desktop needs: TermService (Remote Desktop Services),
/// SessionEnv (Configuration), UmRdpService (UserMode Port Redirector).
pub const RDP_SERVICES: [&str; 3] = ["TermService", "SessionEnv", "UmRdpService"];

/// Each service's start type (`SYSTEM\…\Services\<name>\Start`).
pub fn services(hives: &mut Hives, out: &mut Vec<ServiceConfig>) {
    if !hives.covers(Root::System) {
        return;
    }
    for name in RDP_SERVICES {
        out.push(ServiceConfig {
            name: name.to_owned(),
            start: service_start(hives, name),
        });
    }
}

fn service_start(hives: &mut Hives, name: &str) -> Option<Setting<ServiceStart>> {
    let path = format!("CurrentControlSet\\Services\\{name}");
    setting(hives, &[(Root::System, &path, "Start")], |d| {
        d.as_u32().map(ServiceStart::from_raw)
    })
}

/// W32Time (<https://learn.microsoft.com/windows-server/networking/windows-time-service/windows-time-service-tools-and-settings>):
/// `Parameters\Type` and `NtpServer`, the policy
/// (`SOFTWARE\Policies\Microsoft\W32Time\Parameters`) first.
pub fn time(hives: &mut Hives, t: &mut TimeSettings) {
    const LOCAL: &str = "CurrentControlSet\\Services\\W32Time\\Parameters";
    const POLICY: &str = "Policies\\Microsoft\\W32Time\\Parameters";
    t.sync_type = text(hives, &policy_then(POLICY, LOCAL, "Type"));
    t.ntp_server = text(hives, &policy_then(POLICY, LOCAL, "NtpServer"));
    t.service_start = service_start(hives, "W32Time");
}
