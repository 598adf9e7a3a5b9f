//! The Remote Desktop client's settings in a user's hive
//! (`HKCU\Software\Microsoft\Terminal Server Client`): what mstsc on this
//! machine does when it connects out.
//!
//! `AuthenticationLevelOverride` and `RDGClientTransport`
//! (<https://learn.microsoft.com/troubleshoot/windows-server/remote/remove-entries-from-remote-desktop-connection-computer>
//! lists the key; the values are the client's own, as mstsc writes them);
//! `Servers\<name>\UsernameHint` and `CertHash`, written when the user
//! connects and accepts a server's certificate.

use super::{number, setting, text};
use crate::registry::Hives;
use crate::registry::view::{Data, Root};
use rdpdoctor_evidence::host::{ClientServer, ClientSettings};

const CLIENT: &str = "Software\\Microsoft\\Terminal Server Client";

/// At most this many remembered servers are read (a user's list is short;
/// a hostile hive's need not be).
const MAX_SERVERS: usize = 500;

/// Fills the client settings from every user hive or HKCU export given.
pub fn client(hives: &mut Hives, c: &mut ClientSettings) {
    c.authentication_level_override = number(
        hives,
        &[(Root::User, CLIENT, "AuthenticationLevelOverride")],
    );
    c.rdg_client_transport = number(hives, &[(Root::User, CLIENT, "RDGClientTransport")]);
    let servers = format!("{CLIENT}\\Servers");
    for name in hives
        .subkeys(Root::User, &servers)
        .into_iter()
        .take(MAX_SERVERS)
    {
        let path = format!("{servers}\\{name}");
        c.servers.push(ClientServer {
            username_hint: text(hives, &[(Root::User, &path, "UsernameHint")]),
            cert_hash: setting(hives, &[(Root::User, &path, "CertHash")], thumbprint),
            name,
        });
    }
}

/// `CertHash` is the 20-byte SHA-1 thumbprint, `REG_BINARY`; shown as
/// upper-case hex like the stores' key names. A string is taken as written.
fn thumbprint(d: &Data) -> Option<String> {
    match d {
        Data::Binary(b) if !b.is_empty() => Some(b.iter().map(|x| format!("{x:02X}")).collect()),
        Data::Sz(s) if !s.trim().is_empty() => Some(s.trim().to_ascii_uppercase()),
        _ => None,
    }
}
