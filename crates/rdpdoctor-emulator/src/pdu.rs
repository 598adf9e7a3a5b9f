//! The channel and share numbers the emulated host uses, and the one field
//! of a security header it reads. Every PDU is encoded and decoded by
//! `rdpdoctor_wire` (`mcs`, `rdp`), the same codecs the probe uses.

/// [MS-RDPBCGR 2.2.1.4] the MCS channel of the server ("pduSource" of its
/// share control PDUs and initiator of its Send Data Indications).
pub(crate) const SERVER_CHANNEL_ID: u16 = 1002;
/// The I/O channel (MCSChannelId of SC_NET), as Windows numbers it.
pub(crate) const IO_CHANNEL_ID: u16 = 1003;
/// The user id given to the (only) client of a connection.
pub(crate) const USER_ID: u16 = 1007;
/// The share id of the Demand Active PDU, as Windows forms it (0x10000 + server channel).
pub(crate) const SHARE_ID: u32 = 0x0001_0000 | SERVER_CHANNEL_ID as u32;

/// [MS-RDPBCGR 2.2.8.1.1.2.1] the `flags` of a basic security header.
pub(crate) fn security_flags(data: &[u8]) -> Option<u16> {
    Some(u16::from_le_bytes([*data.first()?, *data.get(1)?]))
}
