//! Facts of a connection file's findings (`probe --rdp-file`): the `.rdp`
//! settings that limit its client, and its RD Gateway.

use super::facts;
use rdpdoctor_evidence::GatewayUsage;

facts! {
    /// A setting that limits what the file's client offers
    /// (`rdp-file-nla-off`, `rdp-file-negotiation-off`).
    pub struct RdpFileSettingFacts<'a> for [RdpFileNlaOff, RdpFileNegotiationOff] {
        /// The line's setting, e.g. `enablecredsspsupport:i:0`.
        pub setting: &'a str,
        /// Its line number, or null.
        pub line: Option<usize>,
        /// The protocols the file's client offers.
        pub offered: Vec<&'static str>,
        /// Whether the server takes one of them; null when not measured.
        pub gets_through: Option<bool>,
    }

    /// The file's RD Gateway, not probed (`rdp-file-gateway-not-probed`).
    pub struct RdpFileGatewayFacts<'a> for [RdpFileGatewayNotProbed] {
        /// `gatewayhostname`'s host.
        pub host: &'a str,
        /// Its port.
        pub port: u16,
        /// `gatewayusagemethod`.
        pub usage: GatewayUsage,
        /// `gatewaycredentialssource` as written, or null.
        pub credentials_source: Option<i64>,
    }
}
