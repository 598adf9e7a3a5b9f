//! Registry → [`HostEvidence`]: every value with where it came from, and the
//! lower-precedence places that also set it.
//!
//! Precedence: a Group Policy value (under `SOFTWARE\Policies\…`) wins over
//! the local setting it overrides (under `SYSTEM\CurrentControlSet\…`); among
//! sources giving the same key, the one given first wins.

mod certs;
mod client;
mod crypto;
mod firewall;
mod machine;

use super::Hives;
use super::view::{Data, Root};
use rdpdoctor_evidence::host::{HostEvidence, Setting, Shadowed};

/// Fills the registry-derived parts of `ev` from the loaded sources.
pub fn extract(hives: &mut Hives, ev: &mut HostEvidence) {
    machine::identity(hives, &mut ev.identity);
    machine::terminal_server(hives, &mut ev.terminal_server);
    machine::services(hives, &mut ev.services);
    machine::time(hives, &mut ev.time);
    let port = ev.terminal_server.port_number.as_ref().map(|s| s.value);
    ev.firewall = firewall::firewall(hives, port);
    ev.certificates = certs::machine_stores(hives);
    crypto::crypto(hives, &mut ev.crypto);
    client::client(hives, &mut ev.client);
}

/// One place a setting can be: root, key path below it, value name.
pub(crate) type Place<'a> = (Root, &'a str, &'a str);

/// `SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services`: where the
/// Remote Desktop Services Group Policy settings are written
/// (<https://learn.microsoft.com/windows-server/remote/remote-desktop-services/clients/remote-desktop-allow-access>,
/// "Computer Configuration\Administrative Templates\Windows Components\Remote
/// Desktop Services").
pub(crate) const TS_POLICY: &str = "Policies\\Microsoft\\Windows NT\\Terminal Services";

/// The setting at the first of `places` (highest precedence first) that any
/// source holds, with every other place that holds it as shadowed. A value
/// of the wrong type is skipped (as Windows ignores it).
pub(crate) fn setting<T>(
    hives: &mut Hives,
    places: &[Place<'_>],
    conv: impl Fn(&Data) -> Option<T>,
) -> Option<Setting<T>> {
    let mut found = Vec::new();
    for (root, path, name) in places {
        for key in hives.keys(*root, path) {
            if let Some(v) = key.value(name).and_then(&conv) {
                found.push(Shadowed {
                    value: v,
                    origin: key.origin(name),
                });
            }
        }
    }
    let mut it = found.into_iter();
    let first = it.next()?;
    Some(Setting {
        value: first.value,
        origin: first.origin,
        shadowed: it.collect(),
    })
}

/// A DWORD setting.
pub(crate) fn number(hives: &mut Hives, places: &[Place<'_>]) -> Option<Setting<u32>> {
    setting(hives, places, Data::as_u32)
}

/// A string setting.
pub(crate) fn text(hives: &mut Hives, places: &[Place<'_>]) -> Option<Setting<String>> {
    setting(hives, places, |d| d.as_str().map(str::to_owned))
}
