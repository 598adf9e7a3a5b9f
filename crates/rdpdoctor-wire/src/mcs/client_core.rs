//! [MS-RDPBCGR 2.2.1.3.2] Client Core Data (TS_UD_CS_CORE): who the client
//! is — its build, its computer name, keyboard, colour depth, product id.
//! Sent in the clear in the Connect Initial under Standard RDP Security
//! (under TLS or CredSSP it is inside the encrypted channel), so a capture
//! shows it only then.
//!
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/00f1da4a-ee9c-421a-852f-c19f92343d73>

use serde::Serialize;

use crate::reader::{Reader, utf16le};

/// `earlyCapabilityFlags` RNS_UD_CS_WANT_32BPP_SESSION ([2.2.1.3.2]).
const WANT_32BPP_SESSION: u16 = 0x0002;

/// The fields of TS_UD_CS_CORE a reader of a capture reports. The fields
/// after `imeFileName` are optional in the spec: each is `None` when the
/// block ends before it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClientCore {
    /// `version`: the RDP version the client speaks (0x00080004 = RDP 5.0+).
    pub version: u32,
    /// `desktopWidth`.
    pub desktop_width: u16,
    /// `desktopHeight`.
    pub desktop_height: u16,
    /// `keyboardLayout`: the active input locale identifier (0x409 = US).
    pub keyboard_layout: Option<u32>,
    /// `clientBuild`: the client's build number (Windows' build for mstsc).
    pub client_build: Option<u32>,
    /// `clientName`: the client computer's NetBIOS name (up to 15
    /// characters, UTF-16LE, cut at the first NUL).
    pub client_name: Option<String>,
    /// `highColorDepth`.
    pub high_color_depth: Option<u16>,
    /// `earlyCapabilityFlags`.
    pub early_capability_flags: Option<u16>,
    /// `clientDigProductId`: the client's product id (a GUID for mstsc).
    pub client_dig_product_id: Option<String>,
}

impl ClientCore {
    /// The colour depth the client asks for in bits: 32 when it sets
    /// RNS_UD_CS_WANT_32BPP_SESSION, else `highColorDepth`.
    pub fn requested_color_depth(&self) -> Option<u16> {
        match self.early_capability_flags {
            Some(f) if f & WANT_32BPP_SESSION != 0 => Some(32),
            _ => self.high_color_depth,
        }
    }
}

/// A UTF-16LE string field of `len` bytes, cut at the first NUL unit.
fn utf16_field(r: &mut Reader<'_>, len: usize, what: &'static str) -> Option<String> {
    let bytes = r.take(len, what).ok()?;
    let units: Vec<u8> = bytes
        .chunks(2)
        .take_while(|c| *c != [0, 0])
        .flatten()
        .copied()
        .collect();
    Some(utf16le(&units))
}

/// Reads a TS_UD_CS_CORE body (after its TS_UD_HEADER): what is there, the
/// optional fields `None` where the block ends. `None` when even the
/// mandatory `version`, `desktopWidth` and `desktopHeight` are cut.
pub fn decode_client_core(body: &[u8]) -> Option<ClientCore> {
    let mut r = Reader::new(body);
    let mut core = ClientCore {
        version: r.u32_le("TS_UD_CS_CORE version").ok()?,
        desktop_width: r.u16_le("TS_UD_CS_CORE desktopWidth").ok()?,
        desktop_height: r.u16_le("TS_UD_CS_CORE desktopHeight").ok()?,
        ..ClientCore::default()
    };
    // colorDepth, SASSequence.
    if r.skip(4, "TS_UD_CS_CORE colorDepth").is_err() {
        return Some(core);
    }
    core.keyboard_layout = r.u32_le("TS_UD_CS_CORE keyboardLayout").ok();
    core.client_build = r.u32_le("TS_UD_CS_CORE clientBuild").ok();
    core.client_name = utf16_field(&mut r, 32, "TS_UD_CS_CORE clientName");
    // keyboardType, keyboardSubType, keyboardFunctionKey, imeFileName (64),
    // postBeta2ColorDepth, clientProductId, serialNumber.
    if r.skip(12 + 64 + 2 + 2 + 4, "TS_UD_CS_CORE keyboardType")
        .is_err()
    {
        return Some(core);
    }
    core.high_color_depth = r.u16_le("TS_UD_CS_CORE highColorDepth").ok();
    let _supported = r.u16_le("TS_UD_CS_CORE supportedColorDepths");
    core.early_capability_flags = r.u16_le("TS_UD_CS_CORE earlyCapabilityFlags").ok();
    core.client_dig_product_id = utf16_field(&mut r, 64, "TS_UD_CS_CORE clientDigProductId");
    Some(core)
}

/// The Windows release a client's `clientBuild` names (mstsc sends the
/// build of the Windows it runs on), from the one table of releases
/// ([`crate::ntlm::windows_release`]): `7601` → `Windows 7 SP1 / Windows
/// Server 2008 R2 SP1`. `None` for builds not listed (FreeRDP, the Mac
/// client and others send their own numbers).
pub fn client_build_release(build: u32) -> Option<&'static str> {
    let build = u16::try_from(build).ok()?;
    [
        (5, 0),
        (5, 1),
        (5, 2),
        (6, 0),
        (6, 1),
        (6, 2),
        (6, 3),
        (10, 0),
    ]
    .into_iter()
    .find_map(|(major, minor)| crate::ntlm::windows_release(major, minor, build))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TS_UD_CS_CORE body as mstsc 6.0 writes it (the Zeek capture's
    /// values), built field by field.
    fn body() -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&0x0008_0004u32.to_le_bytes());
        b.extend_from_slice(&1152u16.to_le_bytes());
        b.extend_from_slice(&864u16.to_le_bytes());
        b.extend_from_slice(&0xCA01u16.to_le_bytes());
        b.extend_from_slice(&0xAA03u16.to_le_bytes());
        b.extend_from_slice(&0x409u32.to_le_bytes());
        b.extend_from_slice(&6000u32.to_le_bytes());
        let mut name: Vec<u8> = "FROG-POND"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        name.resize(32, 0);
        b.extend_from_slice(&name);
        b.extend_from_slice(&[0; 12 + 64 + 2 + 2 + 4]);
        b.extend_from_slice(&0x18u16.to_le_bytes());
        b.extend_from_slice(&0x0fu16.to_le_bytes());
        b.extend_from_slice(&0x0002u16.to_le_bytes());
        b.extend_from_slice(&[0; 64]);
        b
    }

    #[test]
    fn reads_the_build_name_and_depth() {
        let core = decode_client_core(&body()).unwrap();
        assert_eq!(core.client_build, Some(6000));
        assert_eq!(core.client_name.as_deref(), Some("FROG-POND"));
        assert_eq!(core.keyboard_layout, Some(0x409));
        assert_eq!(core.requested_color_depth(), Some(32));
        assert_eq!(core.client_dig_product_id.as_deref(), Some(""));
        assert_eq!(client_build_release(6000), Some("Windows Vista"));
        assert_eq!(client_build_release(70000), None);
    }

    #[test]
    fn every_truncation_keeps_what_came_before_and_never_panics() {
        let full = body();
        for n in 0..full.len() {
            let core = decode_client_core(&full[..n]);
            if n < 8 {
                assert_eq!(core, None, "{n}");
                continue;
            }
            let core = core.unwrap();
            assert_eq!(core.desktop_width, 1152);
            // The build is kept once its four bytes are there.
            assert_eq!(core.client_build.is_some(), n >= 20, "{n}");
            assert_eq!(core.client_name.is_some(), n >= 52, "{n}");
        }
    }
}
