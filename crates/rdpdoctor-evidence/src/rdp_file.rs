//! A Remote Desktop connection file (`.rdp`), as mstsc and RD Web write
//! them: what the client is told to connect to and how. Plain data; the
//! parser is `rdpdoctor_host::rdp_file`, the judgement
//! `rdpdoctor_diagnose`'s `client_file`.
//!
//! Setting names and values: "Supported Remote Desktop RDP file settings"
//! (learn.microsoft.com/azure/virtual-desktop/rdp-properties) and mstsc's
//! own files (lines `name:type:value`, type `i` integer, `s` string,
//! `b` binary).

use serde::{Deserialize, Serialize};

/// How the file's text was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RdpFileEncoding {
    /// UTF-16LE with a byte order mark: what mstsc writes.
    Utf16LeBom,
    /// UTF-8 with a byte order mark.
    Utf8Bom,
    /// UTF-8 (or ASCII) without a byte order mark.
    Utf8,
}

/// One `name:type:value` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RdpSetting {
    /// Its line number (1-based).
    pub line: usize,
    /// The name, lowercased, spaces kept (`full address`).
    pub name: String,
    /// `i`, `s` or `b`.
    pub kind: char,
    /// The value as written (file-controlled text: renderers neutralise it).
    pub value: String,
}

/// How the client uses an RD Gateway (`gatewayusagemethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GatewayUsage {
    /// 0: never use a gateway.
    Never,
    /// 1: always use the gateway.
    Always,
    /// 2: use the gateway only when a direct connection fails.
    WhenDirectFails,
    /// 3: the client's default gateway settings.
    ClientDefault,
    /// 4: no gateway, and bypass it for local addresses (mstsc: "do not use").
    Bypass,
}

impl GatewayUsage {
    /// From `gatewayusagemethod`'s integer.
    pub fn from_value(v: i64) -> Option<GatewayUsage> {
        Some(match v {
            0 => GatewayUsage::Never,
            1 => GatewayUsage::Always,
            2 => GatewayUsage::WhenDirectFails,
            3 => GatewayUsage::ClientDefault,
            4 => GatewayUsage::Bypass,
            _ => return None,
        })
    }

    /// Whether a connection with this setting goes through the gateway
    /// (always, or when the direct path fails).
    pub fn uses_gateway(self) -> bool {
        matches!(self, GatewayUsage::Always | GatewayUsage::WhenDirectFails)
    }
}

/// The RD Gateway a connection goes through: the probe's options carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayTarget {
    /// The gateway's host name or address (`gatewayhostname`, without port).
    pub host: String,
    /// Its HTTPS port (443 unless `gatewayhostname` names one).
    pub port: u16,
    /// When the client uses it.
    pub usage: GatewayUsage,
    /// `gatewaycredentialssource`: 0 ask for a password (NTLM), 1 smart
    /// card, 2 the signed-in user's credentials, 3 ask later, 4 any, 5
    /// cookie-based (PAA); kept as written.
    pub credentials_source: Option<i64>,
}

/// An `.rdp` file, read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RdpFile {
    /// How it was encoded.
    pub encoding: RdpFileEncoding,
    /// Every well-formed line, in file order.
    pub settings: Vec<RdpSetting>,
    /// Lines that were not understood (bad syntax, unknown type, a value
    /// that is not a number for an `i` setting), each a short note; at most
    /// [`RdpFile::MAX_NOTES`], the rest counted in `notes_dropped`.
    pub notes: Vec<String>,
    /// Notes left out beyond [`RdpFile::MAX_NOTES`].
    pub notes_dropped: usize,
}

impl RdpFile {
    /// The most notes kept.
    pub const MAX_NOTES: usize = 20;

    /// The last line that sets `name` (mstsc keeps the last one).
    pub fn get(&self, name: &str) -> Option<&RdpSetting> {
        self.settings.iter().rev().find(|s| s.name == name)
    }

    /// A string setting.
    pub fn string(&self, name: &str) -> Option<&str> {
        self.get(name)
            .filter(|s| s.kind == 's')
            .map(|s| s.value.trim())
            .filter(|v| !v.is_empty())
    }

    /// An integer setting.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name)
            .filter(|s| s.kind == 'i')
            .and_then(|s| s.value.trim().parse().ok())
    }

    /// `full address` (or `alternate full address` when it is absent).
    pub fn full_address(&self) -> Option<&str> {
        self.string("full address")
            .or_else(|| self.string("alternate full address"))
    }

    /// `server port`, when set and valid.
    pub fn server_port(&self) -> Option<u16> {
        self.int("server port")
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p != 0)
    }

    /// `enablecredsspsupport:i:0` turns CredSSP (NLA) off in the client.
    pub fn credssp_disabled(&self) -> bool {
        self.int("enablecredsspsupport") == Some(0)
    }

    /// `negotiate security layer:i:0`: the client does not negotiate and
    /// uses Standard RDP Security only.
    pub fn negotiation_disabled(&self) -> bool {
        self.int("negotiate security layer") == Some(0)
    }

    /// `authentication level` (0 connect without warning, 1 do not connect
    /// when server authentication fails, 2 warn, 3 no requirement).
    pub fn authentication_level(&self) -> Option<i64> {
        self.int("authentication level")
    }

    /// The gateway the file names, when it names one (`gatewayhostname`,
    /// with `:PORT` or 443), and how it is used (`gatewayusagemethod`,
    /// "always" when the file names a gateway but no usable method).
    pub fn gateway(&self) -> Option<GatewayTarget> {
        let raw = self.string("gatewayhostname")?;
        let (host, port) = match raw.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') || h.ends_with(']') => match p.parse::<u16>() {
                Ok(p) if p != 0 => (h, p),
                _ => (raw, 443),
            },
            _ => (raw, 443),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return None;
        }
        Some(GatewayTarget {
            host: host.to_owned(),
            port,
            usage: self
                .int("gatewayusagemethod")
                .and_then(GatewayUsage::from_value)
                .unwrap_or(GatewayUsage::Always),
            credentials_source: self.int("gatewaycredentialssource"),
        })
    }
}
