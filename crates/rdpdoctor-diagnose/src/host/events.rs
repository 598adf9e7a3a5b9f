//! Event-log findings: certificate and key failures, TLS mismatches, logons
//! refused, and the client's own disconnect reasons, each with its count and
//! newest example.

use super::Out;
use crate::facts::host::{EventFacts, EventGroupFacts};
use crate::finding::{FindingId as F, Severity};
use rdpdoctor_evidence::host::{EventGroup, HostEvidence};
use rdpdoctor_kb::{Family, kb};

/// What a failed logon's NTSTATUS says, for the findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogonFailure {
    NotAllowed,
    BadCredentials,
    PasswordExpired,
    Account,
}

/// The NTSTATUS of a 4625 (`SubStatus` when it says more than `Status`), by
/// [MS-ERREF 2.3](https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-erref/596a1078-e883-4972-9bbc-49e60bebca55).
fn logon_failure(status: u32) -> Option<LogonFailure> {
    use LogonFailure::*;
    Some(match status {
        0xC000_015B => NotAllowed,
        0xC000_006A | 0xC000_0064 | 0xC000_006D => BadCredentials,
        0xC000_0071 | 0xC000_0224 => PasswordExpired,
        0xC000_006E | 0xC000_006F | 0xC000_0070 | 0xC000_0072 | 0xC000_0193 | 0xC000_0234
        | 0xC000_0413 => Account,
        _ => return None,
    })
}

/// A key field of a group, by name, ignoring case.
pub(super) fn field<'a>(g: &'a EventGroup, name: &str) -> Option<&'a str> {
    g.key
        .iter()
        .chain(g.newest.data.iter())
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `0xC000015B`, `c000015b`, `-1073741477` or decimal, as a u32.
pub(super) fn number(s: &str) -> Option<u32> {
    let t = s.trim();
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u32::from_str_radix(h, 16).ok();
    }
    if let Ok(n) = t.parse::<i64>() {
        return u32::try_from(n)
            .ok()
            .or_else(|| i32::try_from(n).ok().map(|n| n as u32));
    }
    u32::from_str_radix(t, 16).ok()
}

pub(super) fn code_name(family: Family, value: u32) -> Option<String> {
    kb().lookup(family, value).map(|c| c.name.clone())
}

fn status_text(v: u32) -> String {
    match code_name(Family::Ntstatus, v) {
        Some(n) => format!("0x{v:08X} {n}"),
        None => format!("0x{v:08X}"),
    }
}

pub(super) fn is(g: &EventGroup, channel_part: &str, ids: &[u32]) -> bool {
    ids.contains(&g.event_id)
        && (g.channel.to_ascii_lowercase().contains(channel_part)
            || g.provider.to_ascii_lowercase().contains(channel_part))
}

#[derive(Default)]
pub(super) struct Bucket<'a> {
    groups: Vec<&'a EventGroup>,
    parts: Vec<String>,
}

impl<'a> Bucket<'a> {
    pub(super) fn push(&mut self, g: &'a EventGroup, part: String) {
        self.groups.push(g);
        self.parts.push(part);
    }
    fn count(&self) -> u64 {
        self.groups.iter().map(|g| g.count).sum()
    }
    fn newest(&self) -> &str {
        self.groups
            .iter()
            .map(|g| g.newest.time.as_str())
            .max()
            .unwrap_or("")
    }
    pub(super) fn emit(self, out: &mut Out, id: F, sev: Severity, what: &str) {
        if self.groups.is_empty() {
            return;
        }
        let n = self.count();
        let newest = self.newest().to_owned();
        let mut parts = self.parts.clone();
        parts.sort();
        parts.dedup();
        // Which machine logged them: a folder of logs may hold several.
        let mut computers: Vec<&str> = self
            .groups
            .iter()
            .filter_map(|g| g.computer.as_deref())
            .collect();
        computers.sort_by_key(|c| c.to_ascii_lowercase());
        computers.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        let on = match computers.as_slice() {
            [] => String::new(),
            [one] => format!(", recorded on {one}"),
            many => format!(", recorded on {}", many.join(", ")),
        };
        out.add(
            id,
            sev,
            format!(
                "{what}: {n} event{} ({}), newest {newest}{on}",
                if n == 1 { "" } else { "s" },
                parts.join("; ")
            ),
            &EventFacts {
                count: n,
                newest,
                computers,
                events: self.groups.iter().map(|g| EventGroupFacts::of(g)).collect(),
            },
        );
    }
}

/// The event groups of this host. Records logged on another machine than
/// the one the registry names say nothing about this host: they are shown
/// as such, never judged.
pub(super) fn this_host(h: &HostEvidence) -> impl Iterator<Item = &EventGroup> {
    h.events
        .groups
        .iter()
        .filter(|g| !h.is_other_machine(g.computer.as_deref()))
}

pub(super) fn derive(h: &HostEvidence, out: &mut Out) {
    let mut key = Bucket::default();
    let mut renewal = Bucket::default();
    let mut reset = Bucket::default();
    let mut tls = Bucket::default();
    let mut denied = Bucket::default();
    let mut bad = Bucket::default();
    let mut account = Bucket::default();
    let mut expired = Bucket::default();
    let mut client = Bucket::default();
    let mut seclayer = Bucket::default();
    for g in this_host(h) {
        let id = g.event_id;
        if is(g, "schannel", &[36870]) {
            key.push(
                g,
                "Schannel 36870: the TLS server credential's private key".into(),
            );
        } else if is(g, "system", &[1057]) {
            key.push(
                g,
                "1057: could not create the self-signed certificate".into(),
            );
        } else if is(g, "system", &[1058]) {
            renewal.push(g, "1058".into());
        } else if is(g, "system", &[1059]) {
            reset.push(g, "1059".into());
        } else if is(g, "schannel", &[36871, 36874, 36888]) {
            let alert = field(g, "AlertDesc").or_else(|| field(g, "Alert"));
            tls.push(
                g,
                match alert {
                    Some(a) => format!("Schannel {id} alert {a}"),
                    None => format!("Schannel {id}"),
                },
            );
        } else if is(g, "security", &[4825]) {
            denied.push(g, "4825: denied Remote Desktop access".into());
        } else if is(g, "security", &[4625]) {
            let status = field(g, "Status").and_then(number);
            let sub = field(g, "SubStatus").and_then(number).filter(|s| *s != 0);
            let Some(code) = sub.or(status) else { continue };
            let logon_type = field(g, "LogonType").unwrap_or("?");
            let part = format!("4625 {} logon type {logon_type}", status_text(code));
            match logon_failure(code).or_else(|| status.and_then(logon_failure)) {
                Some(LogonFailure::NotAllowed) => denied.push(g, part),
                Some(LogonFailure::BadCredentials) => bad.push(g, part),
                Some(LogonFailure::PasswordExpired) => expired.push(g, part),
                Some(LogonFailure::Account) => account.push(g, part),
                None => {}
            }
        } else if is(g, "rdpcorets", &[140]) {
            bad.push(g, "RdpCoreTS 140: user name or password not correct".into());
        } else if is(g, "rdpcorets", &[139]) {
            seclayer.push(g, "RdpCoreTS 139".into());
        } else if is(g, "rdpclient", &[1026]) {
            let Some(reason) = field(g, "Reason").and_then(number) else {
                continue;
            };
            // discReason 1–3 are the user's or the server's normal ends.
            if reason <= 3 {
                continue;
            }
            let name = code_name(Family::MstscDisconnect, reason)
                .map(|n| format!(" {n}"))
                .unwrap_or_default();
            client.push(g, format!("reason 0x{reason:X}{name}"));
        }
    }
    key.emit(
        out,
        F::EventCertPrivateKey,
        Severity::Fail,
        "The RDP certificate's private key could not be used",
    );
    renewal.emit(
        out,
        F::EventCertRenewalFailed,
        Severity::Warn,
        "Windows failed to replace the expired self-signed RDP certificate",
    );
    reset.emit(
        out,
        F::EventCertConfigReset,
        Severity::Warn,
        "The RDP certificate configuration was invalid and was reset",
    );
    tls.emit(
        out,
        F::EventTlsMismatch,
        Severity::Warn,
        "TLS handshakes failed on protocol or cipher",
    );
    denied.emit(
        out,
        F::EventNotAllowedRdp,
        Severity::Fail,
        "Users were refused Remote Desktop logon rights",
    );
    bad.emit(
        out,
        F::EventBadCredentials,
        Severity::Warn,
        "Logons failed on the user name or password",
    );
    account.emit(
        out,
        F::EventAccountProblem,
        Severity::Warn,
        "Logons failed on the account (locked, disabled, expired or restricted)",
    );
    expired.emit(
        out,
        F::EventPasswordExpired,
        Severity::Warn,
        "Logons failed because the password expired or must change",
    );
    client.emit(
        out,
        F::EventClientDisconnect,
        Severity::Warn,
        "The Remote Desktop client logged failed connections",
    );
    seclayer.emit(
        out,
        F::EventSecurityLayerError,
        Severity::Warn,
        "The server's security layer dropped clients",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_in_every_form_windows_logs_them() {
        assert_eq!(number("0xC000015B"), Some(0xC000_015B));
        assert_eq!(number("0xc000006d"), Some(0xC000_006D));
        assert_eq!(number("-1073741477"), Some(0xC000_015B));
        assert_eq!(number("2308"), Some(2308));
        assert_eq!(logon_failure(0xC000_015B), Some(LogonFailure::NotAllowed));
        assert_eq!(logon_failure(0xC000_006E), Some(LogonFailure::Account));
    }
}
