//! [MS-NLMP] NTLM messages, as far as a credential-less probe goes: the
//! client's NEGOTIATE_MESSAGE, and the server's CHALLENGE_MESSAGE, which
//! tells the server's names, its OS version and its clock without any
//! credentials.
//!
//! The sspi crate keeps its NTLM parser private, so the CHALLENGE parser is
//! written here.

use serde::Serialize;

use crate::error::WireError;
use crate::reader::{Reader, len_from_u32, utf16le};

/// The 8-byte signature every NTLM message starts with.
pub const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";

/// [MS-NLMP 2.2.2.5] NEGOTIATE flags.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-nlmp/99d90ff4-957f-4c8a-80e4-5bfe5a9a9832>
pub mod flags {
    /// A: Unicode strings.
    pub const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
    /// B: OEM strings.
    pub const NEGOTIATE_OEM: u32 = 0x0000_0002;
    /// C: the server must return TargetName.
    pub const REQUEST_TARGET: u32 = 0x0000_0004;
    /// D: message integrity.
    pub const NEGOTIATE_SIGN: u32 = 0x0000_0010;
    /// E: message confidentiality.
    pub const NEGOTIATE_SEAL: u32 = 0x0000_0020;
    /// F: connectionless authentication.
    pub const NEGOTIATE_DATAGRAM: u32 = 0x0000_0040;
    /// G: LAN Manager session key.
    pub const NEGOTIATE_LM_KEY: u32 = 0x0000_0080;
    /// H: NTLM v1 session security.
    pub const NEGOTIATE_NTLM: u32 = 0x0000_0200;
    /// J: anonymous connection.
    pub const ANONYMOUS: u32 = 0x0000_0800;
    /// K: the domain name is supplied.
    pub const NEGOTIATE_OEM_DOMAIN_SUPPLIED: u32 = 0x0000_1000;
    /// L: the workstation name is supplied.
    pub const NEGOTIATE_OEM_WORKSTATION_SUPPLIED: u32 = 0x0000_2000;
    /// M: always sign.
    pub const NEGOTIATE_ALWAYS_SIGN: u32 = 0x0000_8000;
    /// N: TargetName is a domain name.
    pub const TARGET_TYPE_DOMAIN: u32 = 0x0001_0000;
    /// O: TargetName is a server name.
    pub const TARGET_TYPE_SERVER: u32 = 0x0002_0000;
    /// P: NTLM v2 session security (extended session security).
    pub const NEGOTIATE_EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
    /// Q: identify-level token.
    pub const NEGOTIATE_IDENTIFY: u32 = 0x0010_0000;
    /// R: LMOWF session key.
    pub const REQUEST_NON_NT_SESSION_KEY: u32 = 0x0040_0000;
    /// S: TargetInfo is populated.
    pub const NEGOTIATE_TARGET_INFO: u32 = 0x0080_0000;
    /// T: the Version field is present.
    pub const NEGOTIATE_VERSION: u32 = 0x0200_0000;
    /// U: 128-bit session keys.
    pub const NEGOTIATE_128: u32 = 0x2000_0000;
    /// V: explicit key exchange.
    pub const NEGOTIATE_KEY_EXCH: u32 = 0x4000_0000;
    /// W: 56-bit encryption.
    pub const NEGOTIATE_56: u32 = 0x8000_0000;
}

/// The flags [`encode_negotiate`] sends: those of a Windows 10 client's
/// CredSSP NEGOTIATE (0xE20882B7), the same nmap's rdp-ntlm-info sends.
pub const CLIENT_NEGOTIATE_FLAGS: u32 = flags::NEGOTIATE_56
    | flags::NEGOTIATE_KEY_EXCH
    | flags::NEGOTIATE_128
    | flags::NEGOTIATE_VERSION
    | flags::NEGOTIATE_EXTENDED_SESSIONSECURITY
    | flags::NEGOTIATE_ALWAYS_SIGN
    | flags::NEGOTIATE_NTLM
    | flags::NEGOTIATE_LM_KEY
    | flags::NEGOTIATE_SEAL
    | flags::NEGOTIATE_SIGN
    | flags::REQUEST_TARGET
    | flags::NEGOTIATE_OEM
    | flags::NEGOTIATE_UNICODE;

/// The VERSION [`encode_negotiate`] claims: Windows 10 1809 (10.0.17763),
/// NTLMSSP_REVISION_W2K3 (15).
pub const CLIENT_VERSION: NtlmVersion = NtlmVersion {
    major: 10,
    minor: 0,
    build: 17763,
    ntlm_revision: 15,
};

const NEGOTIATE_MESSAGE: u32 = 1;
const CHALLENGE_MESSAGE: u32 = 2;
/// Fixed part of the CHALLENGE_MESSAGE up to and including TargetInfoFields.
const CHALLENGE_FIXED: usize = 48;

/// [MS-NLMP 2.2.1.1] NEGOTIATE_MESSAGE with [`CLIENT_NEGOTIATE_FLAGS`], empty
/// domain and workstation, and the [`CLIENT_VERSION`] field — 40 bytes, to be
/// carried raw in a TSRequest negoToken.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-nlmp/b34032e5-3aae-4bc6-84c3-c6d80eadf7f2>
pub fn encode_negotiate() -> Vec<u8> {
    let mut out = Vec::with_capacity(40);
    out.extend_from_slice(SIGNATURE);
    out.extend_from_slice(&NEGOTIATE_MESSAGE.to_le_bytes());
    out.extend_from_slice(&CLIENT_NEGOTIATE_FLAGS.to_le_bytes());
    // DomainNameFields and WorkstationFields: empty, offset = end of header.
    for _ in 0..2 {
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&40u32.to_le_bytes());
    }
    out.extend_from_slice(&CLIENT_VERSION.to_bytes());
    out
}

/// [MS-NLMP 2.2.2.10] VERSION: the sender's OS version and NTLM revision.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-nlmp/b1a6ceb2-f8ad-462b-b5af-f18527c48175>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NtlmVersion {
    /// ProductMajorVersion.
    pub major: u8,
    /// ProductMinorVersion.
    pub minor: u8,
    /// ProductBuild.
    pub build: u16,
    /// NTLMRevisionCurrent (15 = NTLMSSP_REVISION_W2K3).
    pub ntlm_revision: u8,
}

impl NtlmVersion {
    fn to_bytes(self) -> [u8; 8] {
        let b = self.build.to_le_bytes();
        [
            self.major,
            self.minor,
            b[0],
            b[1],
            0,
            0,
            0,
            self.ntlm_revision,
        ]
    }

    /// [`windows_release`] for this version.
    pub fn windows_release(&self) -> Option<&'static str> {
        windows_release(self.major, self.minor, self.build)
    }
}

impl std::fmt::Display for NtlmVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.build)
    }
}

/// [MS-NLMP 2.2.1.2] CHALLENGE_MESSAGE, with the [2.2.2.1] AV_PAIRs of its
/// TargetInfo broken out.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-nlmp/801a4681-8809-4be9-ab0d-61dcfe762786>
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Challenge {
    /// NegotiateFlags ([`flags`]).
    pub negotiate_flags: u32,
    /// TargetName: the server's domain (or computer) name, if sent.
    pub target_name: Option<String>,
    /// ServerChallenge: 8 random bytes. Serialised as hex.
    #[serde(serialize_with = "crate::hexser::bytes")]
    pub server_challenge: [u8; 8],
    /// Version, present when NTLMSSP_NEGOTIATE_VERSION is set. Windows
    /// reports its real build; FreeRDP/winpr servers report a fixed
    /// 6.1.7601 whatever they run on.
    pub version: Option<NtlmVersion>,
    /// MsvAvNbComputerName (AvId 1).
    pub netbios_computer_name: Option<String>,
    /// MsvAvNbDomainName (AvId 2).
    pub netbios_domain_name: Option<String>,
    /// MsvAvDnsComputerName (AvId 3).
    pub dns_computer_name: Option<String>,
    /// MsvAvDnsDomainName (AvId 4).
    pub dns_domain_name: Option<String>,
    /// MsvAvDnsTreeName (AvId 5): the forest.
    pub dns_tree_name: Option<String>,
    /// MsvAvTimestamp (AvId 7): the server's clock as a FILETIME (100 ns
    /// ticks since 1601-01-01 UTC); see [`filetime_to_unix_millis`].
    pub timestamp: Option<u64>,
    /// MsvAvFlags (AvId 6).
    pub av_flags: Option<u32>,
}

/// [MS-NLMP 2.2.2.1] AV_PAIR AvId values.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-nlmp/83f5e789-660d-4781-8491-5f8c6641f75e>
pub mod av_id {
    /// End of the list.
    pub const MSV_AV_EOL: u16 = 0;
    /// NetBIOS computer name.
    pub const MSV_AV_NB_COMPUTER_NAME: u16 = 1;
    /// NetBIOS domain name.
    pub const MSV_AV_NB_DOMAIN_NAME: u16 = 2;
    /// DNS computer name (FQDN).
    pub const MSV_AV_DNS_COMPUTER_NAME: u16 = 3;
    /// DNS domain name.
    pub const MSV_AV_DNS_DOMAIN_NAME: u16 = 4;
    /// DNS forest (tree) name.
    pub const MSV_AV_DNS_TREE_NAME: u16 = 5;
    /// Flags (u32).
    pub const MSV_AV_FLAGS: u16 = 6;
    /// FILETIME timestamp (u64).
    pub const MSV_AV_TIMESTAMP: u16 = 7;
}

/// Where an NTLM message starts inside a negoToken: at 0 for a raw NTLMSSP
/// token (what Windows and FreeRDP send in CredSSP), or inside an SPNEGO
/// wrapper. NTLM offsets are relative to the signature, so the slice from it
/// decodes as is. `None` if the token holds no NTLM signature.
pub fn find_ntlmssp(token: &[u8]) -> Option<&[u8]> {
    let at = token
        .windows(SIGNATURE.len())
        .position(|w| w == SIGNATURE)?;
    token.get(at..)
}

/// A [MS-NLMP 2.2.1.2] security buffer (`Len`, `MaxLen`, `BufferOffset`) resolved
/// against the message; `None` if empty.
fn payload_field<'a>(
    msg: &'a [u8],
    fields: &mut Reader<'_>,
    what: &'static str,
) -> Result<Option<&'a [u8]>, WireError> {
    let len = usize::from(fields.u16_le(what)?);
    let _max_len = fields.u16_le(what)?;
    let offset = len_from_u32(fields.u32_le(what)?);
    if len == 0 {
        return Ok(None);
    }
    let end = offset.saturating_add(len);
    msg.get(offset..end).map(Some).ok_or(WireError::Truncated {
        needed: end,
        available: msg.len(),
        what,
    })
}

/// Decode a [MS-NLMP 2.2.1.2] CHALLENGE_MESSAGE that starts at `buf[0]`
/// (use [`find_ntlmssp`] first for an SPNEGO-wrapped token).
///
/// TargetName is read as UTF-16LE when NTLMSSP_NEGOTIATE_UNICODE is set, as
/// 8-bit text otherwise. The Version field is read when
/// NTLMSSP_NEGOTIATE_VERSION is set and the payload leaves room for it. AV_PAIR names are always UTF-16LE; the
/// first occurrence of each AvId wins and the list stops at MsvAvEOL.
pub fn decode_challenge(buf: &[u8]) -> Result<Challenge, WireError> {
    let mut r = Reader::new(buf);
    let sig = r.take(8, "NTLM signature")?;
    if sig != SIGNATURE {
        return Err(WireError::invalid(
            "NTLM signature",
            format!("{sig:02x?}, expected \"NTLMSSP\\0\""),
        ));
    }
    let message_type = r.u32_le("NTLM MessageType")?;
    if message_type != CHALLENGE_MESSAGE {
        return Err(WireError::invalid(
            "NTLM MessageType",
            format!("{message_type}, expected 2 (CHALLENGE_MESSAGE)"),
        ));
    }
    if buf.len() < CHALLENGE_FIXED {
        return Err(WireError::Truncated {
            needed: CHALLENGE_FIXED,
            available: buf.len(),
            what: "CHALLENGE_MESSAGE fixed fields",
        });
    }
    let mut target_name_fields = Reader::new(r.take(8, "TargetNameFields")?);
    let negotiate_flags = r.u32_le("NegotiateFlags")?;
    let server_challenge = r.array::<8>("ServerChallenge")?;
    r.skip(8, "Reserved")?;
    let mut target_info_fields = Reader::new(r.take(8, "TargetInfoFields")?);

    // The Version field sits between the fixed fields and the payload. Some
    // servers set NTLMSSP_NEGOTIATE_VERSION without leaving room for it; then
    // the payload starts at 48 and there is no version to read.
    let payload_start = [&target_name_fields, &target_info_fields]
        .iter()
        .filter_map(|f| {
            let rest = f.rest();
            let len = u16::from_le_bytes([*rest.first()?, *rest.get(1)?]);
            let off =
                u32::from_le_bytes([*rest.get(4)?, *rest.get(5)?, *rest.get(6)?, *rest.get(7)?]);
            (len > 0).then_some(len_from_u32(off))
        })
        .min();
    let has_version_room =
        payload_start.is_none_or(|start| start >= CHALLENGE_FIXED.saturating_add(8));
    let version = if negotiate_flags & flags::NEGOTIATE_VERSION != 0 && has_version_room {
        let v = r.take(8, "Version")?;
        let mut v = Reader::new(v);
        let major = v.u8("ProductMajorVersion")?;
        let minor = v.u8("ProductMinorVersion")?;
        let build = v.u16_le("ProductBuild")?;
        v.skip(3, "Version Reserved")?;
        let ntlm_revision = v.u8("NTLMRevisionCurrent")?;
        Some(NtlmVersion {
            major,
            minor,
            build,
            ntlm_revision,
        })
    } else {
        None
    };

    let target_name = payload_field(buf, &mut target_name_fields, "TargetName")?.map(|bytes| {
        if negotiate_flags & flags::NEGOTIATE_UNICODE != 0 {
            utf16le(bytes)
        } else {
            bytes.iter().map(|b| char::from(*b)).collect()
        }
    });

    let mut challenge = Challenge {
        negotiate_flags,
        target_name,
        server_challenge,
        version,
        netbios_computer_name: None,
        netbios_domain_name: None,
        dns_computer_name: None,
        dns_domain_name: None,
        dns_tree_name: None,
        timestamp: None,
        av_flags: None,
    };
    if let Some(info) = payload_field(buf, &mut target_info_fields, "TargetInfo")? {
        read_av_pairs(info, &mut challenge)?;
    }
    Ok(challenge)
}

fn read_av_pairs(info: &[u8], c: &mut Challenge) -> Result<(), WireError> {
    let mut r = Reader::new(info);
    while !r.is_empty() {
        let id = r.u16_le("AV_PAIR AvId")?;
        let len = usize::from(r.u16_le("AV_PAIR AvLen")?);
        if id == av_id::MSV_AV_EOL {
            break;
        }
        let value = r.take(len, "AV_PAIR Value")?;
        let name = |slot: &mut Option<String>| {
            if slot.is_none() {
                *slot = Some(utf16le(value));
            }
        };
        match id {
            av_id::MSV_AV_NB_COMPUTER_NAME => name(&mut c.netbios_computer_name),
            av_id::MSV_AV_NB_DOMAIN_NAME => name(&mut c.netbios_domain_name),
            av_id::MSV_AV_DNS_COMPUTER_NAME => name(&mut c.dns_computer_name),
            av_id::MSV_AV_DNS_DOMAIN_NAME => name(&mut c.dns_domain_name),
            av_id::MSV_AV_DNS_TREE_NAME => name(&mut c.dns_tree_name),
            av_id::MSV_AV_FLAGS if c.av_flags.is_none() => {
                let v: [u8; 4] = value.try_into().map_err(|_| {
                    WireError::invalid("MsvAvFlags", format!("AvLen {len}, expected 4"))
                })?;
                c.av_flags = Some(u32::from_le_bytes(v));
            }
            av_id::MSV_AV_TIMESTAMP if c.timestamp.is_none() => {
                let v: [u8; 8] = value.try_into().map_err(|_| {
                    WireError::invalid("MsvAvTimestamp", format!("AvLen {len}, expected 8"))
                })?;
                c.timestamp = Some(u64::from_le_bytes(v));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Encode a CHALLENGE_MESSAGE from its facts — for test doubles playing an
/// NLA server. TargetName is written in UTF-16LE when
/// NTLMSSP_NEGOTIATE_UNICODE is set, else as Latin-1; the Version field is
/// written when `version` is `Some` (set NTLMSSP_NEGOTIATE_VERSION too for
/// decoders to read it).
pub fn encode_challenge(c: &Challenge) -> Vec<u8> {
    let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let target_name: Vec<u8> = match &c.target_name {
        Some(t) if c.negotiate_flags & flags::NEGOTIATE_UNICODE != 0 => utf16(t),
        Some(t) => t
            .chars()
            .map(|ch| u8::try_from(u32::from(ch)).unwrap_or(b'?'))
            .collect(),
        None => Vec::new(),
    };
    let mut info = Vec::new();
    let av = |info: &mut Vec<u8>, id: u16, value: &[u8]| {
        info.extend_from_slice(&id.to_le_bytes());
        info.extend_from_slice(&u16::try_from(value.len()).unwrap_or(u16::MAX).to_le_bytes());
        info.extend_from_slice(value);
    };
    for (id, v) in [
        (av_id::MSV_AV_NB_DOMAIN_NAME, &c.netbios_domain_name),
        (av_id::MSV_AV_NB_COMPUTER_NAME, &c.netbios_computer_name),
        (av_id::MSV_AV_DNS_DOMAIN_NAME, &c.dns_domain_name),
        (av_id::MSV_AV_DNS_COMPUTER_NAME, &c.dns_computer_name),
        (av_id::MSV_AV_DNS_TREE_NAME, &c.dns_tree_name),
    ] {
        if let Some(s) = v {
            av(&mut info, id, &utf16(s));
        }
    }
    if let Some(f) = c.av_flags {
        av(&mut info, av_id::MSV_AV_FLAGS, &f.to_le_bytes());
    }
    if let Some(t) = c.timestamp {
        av(&mut info, av_id::MSV_AV_TIMESTAMP, &t.to_le_bytes());
    }
    let has_info = !info.is_empty();
    if has_info {
        av(&mut info, av_id::MSV_AV_EOL, &[]);
    }

    let header_len: usize = if c.version.is_some() {
        56
    } else {
        CHALLENGE_FIXED
    };
    let name_off = header_len;
    let info_off = name_off.saturating_add(target_name.len());
    let field = |len: usize, off: usize| -> [u8; 8] {
        let l = u16::try_from(len).unwrap_or(u16::MAX).to_le_bytes();
        let o = u32::try_from(off).unwrap_or(u32::MAX).to_le_bytes();
        [l[0], l[1], l[0], l[1], o[0], o[1], o[2], o[3]]
    };
    let mut out = Vec::with_capacity(info_off.saturating_add(info.len()));
    out.extend_from_slice(SIGNATURE);
    out.extend_from_slice(&CHALLENGE_MESSAGE.to_le_bytes());
    out.extend_from_slice(&field(target_name.len(), name_off));
    out.extend_from_slice(&c.negotiate_flags.to_le_bytes());
    out.extend_from_slice(&c.server_challenge);
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&field(info.len(), if has_info { info_off } else { 0 }));
    if let Some(v) = c.version {
        out.extend_from_slice(&v.to_bytes());
    }
    out.extend_from_slice(&target_name);
    out.extend_from_slice(&info);
    out
}

/// Seconds between 1601-01-01 and 1970-01-01.
const FILETIME_UNIX_EPOCH_SECS: i64 = 11_644_473_600;
/// 253402300799 = 9999-12-31T23:59:59Z: beyond it, dates do not format.
const MAX_UNIX_SECS: i64 = 253_402_300_799;

/// FILETIME (100 ns ticks since 1601-01-01 UTC) to Unix time in milliseconds.
/// `None` for 0 (a zero MsvAvTimestamp means "not set") and for instants
/// after the year 9999.
pub fn filetime_to_unix_millis(ft: u64) -> Option<i64> {
    if ft == 0 {
        return None;
    }
    let millis = i64::try_from(ft / 10_000).ok()?;
    let unix = millis.checked_sub(FILETIME_UNIX_EPOCH_SECS.checked_mul(1000)?)?;
    (unix <= MAX_UNIX_SECS.checked_mul(1000)?.checked_add(999)?).then_some(unix)
}

/// FILETIME to Unix time in whole seconds (rounded down); `None` as for
/// [`filetime_to_unix_millis`].
pub fn filetime_to_unix_secs(ft: u64) -> Option<i64> {
    filetime_to_unix_millis(ft).map(|ms| ms.div_euclid(1000))
}

/// Names of the [`flags`] set, in bit order (`NTLMSSP_NEGOTIATE_UNICODE`, …).
pub fn negotiate_flag_names(bits: u32) -> Vec<&'static str> {
    const NAMES: [(u32, &str); 22] = [
        (flags::NEGOTIATE_UNICODE, "NTLMSSP_NEGOTIATE_UNICODE"),
        (flags::NEGOTIATE_OEM, "NTLM_NEGOTIATE_OEM"),
        (flags::REQUEST_TARGET, "NTLMSSP_REQUEST_TARGET"),
        (flags::NEGOTIATE_SIGN, "NTLMSSP_NEGOTIATE_SIGN"),
        (flags::NEGOTIATE_SEAL, "NTLMSSP_NEGOTIATE_SEAL"),
        (flags::NEGOTIATE_DATAGRAM, "NTLMSSP_NEGOTIATE_DATAGRAM"),
        (flags::NEGOTIATE_LM_KEY, "NTLMSSP_NEGOTIATE_LM_KEY"),
        (flags::NEGOTIATE_NTLM, "NTLMSSP_NEGOTIATE_NTLM"),
        (flags::ANONYMOUS, "NTLMSSP_ANONYMOUS"),
        (
            flags::NEGOTIATE_OEM_DOMAIN_SUPPLIED,
            "NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED",
        ),
        (
            flags::NEGOTIATE_OEM_WORKSTATION_SUPPLIED,
            "NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED",
        ),
        (
            flags::NEGOTIATE_ALWAYS_SIGN,
            "NTLMSSP_NEGOTIATE_ALWAYS_SIGN",
        ),
        (flags::TARGET_TYPE_DOMAIN, "NTLMSSP_TARGET_TYPE_DOMAIN"),
        (flags::TARGET_TYPE_SERVER, "NTLMSSP_TARGET_TYPE_SERVER"),
        (
            flags::NEGOTIATE_EXTENDED_SESSIONSECURITY,
            "NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY",
        ),
        (flags::NEGOTIATE_IDENTIFY, "NTLMSSP_NEGOTIATE_IDENTIFY"),
        (
            flags::REQUEST_NON_NT_SESSION_KEY,
            "NTLMSSP_REQUEST_NON_NT_SESSION_KEY",
        ),
        (
            flags::NEGOTIATE_TARGET_INFO,
            "NTLMSSP_NEGOTIATE_TARGET_INFO",
        ),
        (flags::NEGOTIATE_VERSION, "NTLMSSP_NEGOTIATE_VERSION"),
        (flags::NEGOTIATE_128, "NTLMSSP_NEGOTIATE_128"),
        (flags::NEGOTIATE_KEY_EXCH, "NTLMSSP_NEGOTIATE_KEY_EXCH"),
        (flags::NEGOTIATE_56, "NTLMSSP_NEGOTIATE_56"),
    ];
    NAMES
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, n)| *n)
        .collect()
}

/// The Windows release a VERSION (major.minor.build) names, e.g.
/// `10.0.17763` → `"Windows Server 2019 / Windows 10 1809"`. `None` for
/// builds not listed (Insider builds, other systems).
///
/// Caveat for diagnoses: FreeRDP/winpr-based servers (freerdp-shadow,
/// gnome-remote-desktop…) send a fixed 6.1.7601 whatever OS they run on.
pub fn windows_release(major: u8, minor: u8, build: u16) -> Option<&'static str> {
    Some(match (major, minor, build) {
        (5, 0, 2195) => "Windows 2000",
        (5, 1, 2600) => "Windows XP",
        (5, 2, 3790) => "Windows Server 2003 / Windows XP x64",
        (6, 0, 6000) => "Windows Vista",
        (6, 0, 6001) => "Windows Server 2008 / Windows Vista SP1",
        (6, 0, 6002) => "Windows Server 2008 SP2 / Windows Vista SP2",
        (6, 0, 6003) => "Windows Server 2008 SP2 (2019+ update)",
        (6, 1, 7600) => "Windows 7 / Windows Server 2008 R2",
        (6, 1, 7601) => "Windows 7 SP1 / Windows Server 2008 R2 SP1",
        (6, 2, 9200) => "Windows 8 / Windows Server 2012",
        (6, 3, 9600) => "Windows 8.1 / Windows Server 2012 R2",
        (10, 0, 10240) => "Windows 10 1507",
        (10, 0, 10586) => "Windows 10 1511",
        (10, 0, 14393) => "Windows Server 2016 / Windows 10 1607",
        (10, 0, 15063) => "Windows 10 1703",
        (10, 0, 16299) => "Windows Server 1709 / Windows 10 1709",
        (10, 0, 17134) => "Windows Server 1803 / Windows 10 1803",
        (10, 0, 17763) => "Windows Server 2019 / Windows 10 1809",
        (10, 0, 18362) => "Windows Server 1903 / Windows 10 1903",
        (10, 0, 18363) => "Windows Server 1909 / Windows 10 1909",
        (10, 0, 19041) => "Windows Server 2004 / Windows 10 2004",
        (10, 0, 19042) => "Windows Server 20H2 / Windows 10 20H2",
        (10, 0, 19043) => "Windows 10 21H1",
        (10, 0, 19044) => "Windows 10 21H2",
        (10, 0, 19045) => "Windows 10 22H2",
        (10, 0, 20348) => "Windows Server 2022",
        (10, 0, 22000) => "Windows 11 21H2",
        (10, 0, 22621) => "Windows 11 22H2",
        (10, 0, 22631) => "Windows 11 23H2",
        (10, 0, 25398) => "Windows Server 23H2",
        (10, 0, 26100) => "Windows Server 2025 / Windows 11 24H2",
        (10, 0, 26200) => "Windows 11 25H2",
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
