//! SCHANNEL protocol switches, FIPS, CredSSP's encryption oracle policy and
//! NTLM's LmCompatibilityLevel.

use super::number;
use crate::registry::Hives;
use crate::registry::view::{Data, Root};
use rdpdoctor_evidence::host::{CryptoPolicy, Origin, SchannelProtocol, SchannelSide};

const SCHANNEL: &str = "CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols";
const LSA: &str = "CurrentControlSet\\Control\\Lsa";

/// SCHANNEL `Protocols\<protocol>\{Server,Client}` `Enabled`/`DisabledByDefault`
/// (<https://learn.microsoft.com/windows-server/security/tls/tls-registry-settings>);
/// `Lsa\FIPSAlgorithmPolicy\Enabled`; CredSSP `AllowEncryptionOracle`
/// (<https://support.microsoft.com/help/4093492>, CVE-2018-0886);
/// `Lsa\LmCompatibilityLevel`.
pub fn crypto(hives: &mut Hives, c: &mut CryptoPolicy) {
    for (name, id) in [
        ("SSL 3.0", "ssl3.0"),
        ("TLS 1.0", "tls1.0"),
        ("TLS 1.1", "tls1.1"),
        ("TLS 1.2", "tls1.2"),
        ("TLS 1.3", "tls1.3"),
    ] {
        for (side, sub) in [
            (SchannelSide::Server, "Server"),
            (SchannelSide::Client, "Client"),
        ] {
            let path = format!("{SCHANNEL}\\{name}\\{sub}");
            let Some(key) = hives.keys(Root::System, &path).into_iter().next() else {
                continue;
            };
            c.schannel.push(SchannelProtocol {
                protocol: id.to_owned(),
                side,
                enabled: key.value("Enabled").and_then(Data::as_u32),
                disabled_by_default: key.value("DisabledByDefault").and_then(Data::as_u32),
                origin: Origin {
                    source: key.source.clone(),
                    key: key.path.clone(),
                    value: None,
                },
            });
        }
    }
    c.fips_algorithm_policy = number(
        hives,
        &[(
            Root::System,
            &format!("{LSA}\\FIPSAlgorithmPolicy"),
            "Enabled",
        )],
    );
    c.allow_encryption_oracle = number(
        hives,
        &[(
            Root::Software,
            "Microsoft\\Windows\\CurrentVersion\\Policies\\System\\CredSSP\\Parameters",
            "AllowEncryptionOracle",
        )],
    );
    c.lm_compatibility_level = number(hives, &[(Root::System, LSA, "LmCompatibilityLevel")]);
}
