//! Data types of the knowledge base. They deserialize from the embedded TOML
//! files and serialize to JSON for `rdpdoctor explain --json` and reports.
//! This file holds the codes (their families and references) and the error
//! texts people paste; `cause` the causes with their relations, confirm
//! steps and fixes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod cause;

pub use crate::fix::{
    AppliesTo, CertKind, Client, ConfirmStep, Fix, FixKind, Platform, Shell, VmHost,
};
pub use cause::{Cause, CauseCode, Check, Reach, Relation, Side};

/// A table of codes: one file under `kb/codes/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// mstsc "Error code" (IMsTscAxEvents::OnDisconnected discReason).
    MstscDisconnect,
    /// mstsc "Extended error code" (ExtendedDisconnectReasonCode); same numbers as [`Family::Errinfo`].
    MstscExtended,
    /// mstsc "Because of a protocol error detected at the client (code 0x…)".
    MstscProtocolError,
    /// MS-RDPBCGR Set Error Info PDU (ERRINFO_*); FreeRDP prints it as class 1 (0x0001xxxx).
    Errinfo,
    /// FreeRDP connect errors (ERRCONNECT_*); FreeRDP prints them as class 2 (0x0002xxxx).
    Errconnect,
    /// FreeRDP error class markers (the upper 16 bits of a FreeRDP error code).
    FreerdpErrorClass,
    /// xfreerdp (FreeRDP 2.x X11 client) process exit codes.
    XfreerdpExit,
    /// RDP_NEG_FAILURE failure codes.
    RdpNegFailure,
    /// RDP_NEG_REQ requestedProtocols / RDP_NEG_RSP selectedProtocol.
    RdpNegProtocol,
    /// RDP_NEG_REQ flags.
    RdpNegReqFlags,
    /// RDP_NEG_RSP flags.
    RdpNegRspFlags,
    /// Negotiation message type byte.
    RdpNegType,
    /// SSPI / Schannel SECURITY_STATUS (SEC_E_*).
    Sspi,
    /// NTSTATUS (event 4625 Status/Sub Status, CredSSP errorCode).
    Ntstatus,
    /// TLS alert descriptions (Schannel 36887/36888).
    TlsAlert,
    /// CredSSP TSRequest version.
    CredsspVersion,
    /// AllowEncryptionOracle values.
    CredsspOraclePolicy,
    /// Logon Type of Security events 4624/4625.
    LogonType,
    /// Windows events: TerminalServices-RDPClient/Operational (ClientActiveXCore).
    EventRdpClient,
    /// Windows events: Remote Connection Manager (Operational and System log).
    EventRcm,
    /// Windows events: Local Session Manager.
    EventLsm,
    /// Windows events: RemoteDesktopServices-RdpCoreTS.
    EventRdpcorets,
    /// Windows events: Schannel.
    EventSchannel,
    /// Windows events: Security log.
    EventSecurity,
    /// Windows events: RD Connection Broker.
    EventSessionBroker,
    /// Kerberos error codes of a KRB-ERROR (RFC 4120 7.5.9).
    Kerberos,
    /// [MS-TSGU 2.2.6] the RD Gateway's HRESULTs (E_PROXY_*), in the
    /// gateway's tunnel, channel and authorization responses.
    TsguHresult,
    /// Windows events: TerminalServices-Gateway/Operational (the RD Gateway's log).
    EventGateway,
}

impl Family {
    /// Every family, in the order the knowledge base lists them.
    pub const ALL: [Family; 28] = [
        Family::MstscDisconnect,
        Family::MstscExtended,
        Family::MstscProtocolError,
        Family::Errinfo,
        Family::Errconnect,
        Family::FreerdpErrorClass,
        Family::XfreerdpExit,
        Family::RdpNegFailure,
        Family::RdpNegProtocol,
        Family::RdpNegReqFlags,
        Family::RdpNegRspFlags,
        Family::RdpNegType,
        Family::Sspi,
        Family::Ntstatus,
        Family::TlsAlert,
        Family::CredsspVersion,
        Family::CredsspOraclePolicy,
        Family::LogonType,
        Family::EventRdpClient,
        Family::EventRcm,
        Family::EventLsm,
        Family::EventRdpcorets,
        Family::EventSchannel,
        Family::EventSecurity,
        Family::EventSessionBroker,
        Family::Kerberos,
        Family::TsguHresult,
        Family::EventGateway,
    ];

    /// The stable kebab-case id (also the file name under `kb/codes/`).
    pub fn id(self) -> &'static str {
        match self {
            Family::MstscDisconnect => "mstsc-disconnect",
            Family::MstscExtended => "mstsc-extended",
            Family::MstscProtocolError => "mstsc-protocol-error",
            Family::Errinfo => "errinfo",
            Family::Errconnect => "errconnect",
            Family::FreerdpErrorClass => "freerdp-error-class",
            Family::XfreerdpExit => "xfreerdp-exit",
            Family::RdpNegFailure => "rdp-neg-failure",
            Family::RdpNegProtocol => "rdp-neg-protocol",
            Family::RdpNegReqFlags => "rdp-neg-req-flags",
            Family::RdpNegRspFlags => "rdp-neg-rsp-flags",
            Family::RdpNegType => "rdp-neg-type",
            Family::Sspi => "sspi",
            Family::Ntstatus => "ntstatus",
            Family::TlsAlert => "tls-alert",
            Family::CredsspVersion => "credssp-version",
            Family::CredsspOraclePolicy => "credssp-oracle-policy",
            Family::LogonType => "logon-type",
            Family::EventRdpClient => "event-rdp-client",
            Family::EventRcm => "event-rcm",
            Family::EventLsm => "event-lsm",
            Family::EventRdpcorets => "event-rdpcorets",
            Family::EventSchannel => "event-schannel",
            Family::EventSecurity => "event-security",
            Family::EventSessionBroker => "event-session-broker",
            Family::Kerberos => "kerberos",
            Family::TsguHresult => "tsgu-hresult",
            Family::EventGateway => "event-gateway",
        }
    }

    /// True for the Windows event-ID families (values are decimal event IDs).
    pub fn is_event(self) -> bool {
        matches!(
            self,
            Family::EventRdpClient
                | Family::EventRcm
                | Family::EventLsm
                | Family::EventRdpcorets
                | Family::EventSchannel
                | Family::EventSecurity
                | Family::EventSessionBroker
                | Family::EventGateway
        )
    }

    /// Families whose values people write in decimal.
    pub fn is_decimal(self) -> bool {
        self.is_event()
            || matches!(
                self,
                Family::XfreerdpExit
                    | Family::TlsAlert
                    | Family::CredsspVersion
                    | Family::CredsspOraclePolicy
                    | Family::LogonType
                    | Family::Kerberos
            )
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Family {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Family::ALL
            .into_iter()
            .find(|f| f.id() == s)
            .ok_or_else(|| format!("unknown code family `{s}`"))
    }
}

/// The header of a family file: what the family is and how to read it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyInfo {
    pub id: Family,
    pub title: String,
    pub description: String,
    /// Default source for codes that do not name their own.
    pub source: String,
    /// The family names used in /work/shared/reference/codes.tsv (or event providers in events.tsv).
    #[serde(default)]
    pub reference: Vec<String>,
    /// How likely a bare number belongs to this family (0..1); orders ambiguous answers.
    pub prior: f64,
    /// FreeRDP error class (upper 16 bits) under which FreeRDP prints this family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freerdp_class: Option<u16>,
    /// Name prefixes that may be left out when typing a symbolic name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub short_prefixes: Vec<String>,
    /// Only matched when the input says so explicitly (e.g. `exit 147`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub explicit_only: bool,
    /// "code" (default) or "event".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A reference to one code: `family:0xVALUE` in the data files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodeRef {
    pub family: Family,
    pub value: u32,
}

impl fmt::Display for CodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.family.is_decimal() {
            write!(f, "{}:{}", self.family, self.value)
        } else {
            write!(f, "{}:0x{:X}", self.family, self.value)
        }
    }
}

impl FromStr for CodeRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (fam, val) = s
            .split_once(':')
            .ok_or_else(|| format!("code reference `{s}` is not `family:value`"))?;
        let family: Family = fam.parse()?;
        let value = match val.strip_prefix("0x").or_else(|| val.strip_prefix("0X")) {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => val.parse(),
        }
        .map_err(|e| format!("code reference `{s}`: bad value: {e}"))?;
        Ok(CodeRef { family, value })
    }
}

impl Serialize for CodeRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CodeRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A code points at a cause with a likelihood (0..1). A code's weights add up to at most 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CauseWeight {
    pub cause: String,
    pub weight: f64,
}

/// One code of one family.
#[derive(Debug, Clone, Serialize)]
pub struct Code {
    pub family: Family,
    pub value: u32,
    /// Symbolic name (for events: a short label).
    pub name: String,
    /// Other names the same code goes by.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// What it means, for a sysadmin.
    pub meaning: String,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Events only: the log the event is written to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Events only: the event provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The same value in another family (extended error code ↔ ERRINFO, xfreerdp exit ↔ ERRCONNECT …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub same_as: Vec<CodeRef>,
    /// Candidate causes with their likelihood. Codes without their own list inherit
    /// the list of the first `same_as` code that has one.
    /// The code is only ever seen after the client's TCP connection was
    /// made (the server sent it, or it reports a connection that closed):
    /// a probe that finds the port closed contradicts it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub after_connect: bool,
    pub causes: Vec<CauseWeight>,
}

impl Code {
    pub fn code_ref(&self) -> CodeRef {
        CodeRef {
            family: self.family,
            value: self.value,
        }
    }

    /// `0x904`-style hexadecimal form of the value.
    pub fn hex(&self) -> String {
        format!("0x{:X}", self.value)
    }

    /// The name and aliases.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// An error text people paste (mstsc dialog, FreeRDP output, server log line).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub id: String,
    /// Where the text comes from: mstsc, xfreerdp, server-log …
    pub client: String,
    /// The text as the user sees it (shortened).
    pub text: String,
    /// Any group matches when all its (lowercase) strings occur in the input.
    #[serde(rename = "match")]
    pub match_any: Vec<Vec<String>>,
    /// Codes the text stands for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub implies: Vec<CodeRef>,
    /// Causes; when empty the implied codes' causes are used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<CauseWeight>,
    /// Generic text: its causes only count when nothing more specific was found.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fallback: bool,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Message {
    /// Does this message occur in `normalized` (see [`normalize_text`])?
    pub fn matches(&self, normalized: &str) -> bool {
        self.match_any
            .iter()
            .any(|group| !group.is_empty() && group.iter().all(|s| normalized.contains(s.as_str())))
    }
}

/// Lowercase, fold typographic quotes to ASCII and collapse whitespace, so that
/// text copied from a dialog matches the message patterns.
pub fn normalize_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' | '\u{00B4}' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' {
            if !space && !out.is_empty() {
                out.push(' ');
            }
            space = true;
        } else {
            space = false;
            out.extend(c.to_lowercase());
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}
