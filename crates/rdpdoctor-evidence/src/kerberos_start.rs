//! How the Kerberos stage found its realm and its KDC, and whether it
//! started on its own: `--kdc`, else the MIT `krb5.conf` that MIT's tools
//! read (`KRB5_CONFIG`, else `/etc/krb5.conf`); without `--realm`, the DNS
//! domain the target's NTLM CHALLENGE names ([MS-NLMP 2.2.2.1]
//! MsvAvDnsDomainName, else MsvAvDnsTreeName) mapped to a realm. Plain
//! data: the stage's own answers are in [`crate::KerberosEvidence`].
//!
//! [MS-NLMP 2.2.2.1]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-nlmp/83f5e789-660d-4781-8491-5f8c6641f75e

use serde::{Deserialize, Serialize};

/// Where the KDC's address came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KdcSource {
    /// `--kdc`.
    Flag,
    /// `SSPI_KDC_URL`.
    Env,
    /// A `kdc` line of the realm in krb5.conf (`KerberosStart::kdc_config`).
    Krb5Conf,
    /// The realm's own DNS name, port 88 (an explicit `--realm` without a
    /// KDC known).
    Realm,
    /// The realm's DNS SRV records (`_kerberos._tcp.REALM`, then
    /// `_kerberos._udp.REALM`; an explicit `--realm` only).
    DnsSrv,
}

/// Why the stage ran, or was considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StartReason {
    /// The user asked (`--realm`).
    RealmFlag,
    /// On its own: the target's NTLM named a DNS domain and no `--realm`
    /// was given.
    NtlmDomain,
}

/// How the realm was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RealmFrom {
    /// `--realm`.
    Flag,
    /// krb5.conf's `[domain_realm]` mapped the NTLM DNS domain.
    DomainRealm,
    /// The NTLM DNS domain upper-cased (as AD names its realm).
    DnsDomain,
    /// krb5.conf's `[libdefaults] default_realm` (`--kdc` without
    /// `--realm`, the target's NTLM naming no domain).
    DefaultRealm,
}

/// One krb5.conf file looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Krb5ConfRead {
    /// Its path.
    pub path: String,
    /// `read`, `not-found` (MIT skips a missing file too) or `unusable`.
    pub status: String,
    /// Why unusable, or what it holds that was not followed (`include`
    /// lines, lines not understood), one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// How the Kerberos stage was started and where its KDC came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KerberosStart {
    /// Why the stage ran or was considered.
    pub reason: StartReason,
    /// True when the stage ran (`kerberos` holds its answers).
    pub started: bool,
    /// The DNS domain the target's NTLM named (server-controlled text),
    /// when it named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ntlm_dns_domain: Option<String>,
    /// The realm chosen, when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    /// How the realm was chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm_from: Option<RealmFrom>,
    /// Where the KDC came from, when one was known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdc_source: Option<KdcSource>,
    /// The krb5.conf file that named the KDC (`kdc_source` `krb5-conf`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdc_config: Option<String>,
    /// KDCs of the krb5.conf or DNS SRV list tried before the one in
    /// `kerberos.kdc` that gave no Kerberos answer, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kdcs_not_answering: Vec<String>,
    /// The krb5.conf files looked at, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub krb5_conf: Vec<Krb5ConfRead>,
    /// The SRV name that gave the KDC (`kdc_source` `dns-srv`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdc_srv_name: Option<String>,
    /// Why the DNS SRV lookup gave no KDC, when it was made without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srv_not_found: Option<String>,
    /// When not started: why, and what to pass (one line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_started: Option<String>,
}
