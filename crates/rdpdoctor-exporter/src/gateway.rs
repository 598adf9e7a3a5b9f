//! A module's RD Gateway (`gateway`, `gateway_user`,
//! `gateway_password_file` in `[modules.NAME]`): every target a scrape of
//! that module names is probed through it ([MS-TSGU]), hop by hop, and with
//! the user the target's channel is opened and the target probed through it.
//!
//! The gateway is the config's, never the scrape's: a `gateway=` URL
//! parameter would let whoever can scrape send the module's credentials to
//! a host of their choosing. For the same reason the allowlist (`allow`)
//! is checked against the gateway's addresses, where the probe's packets
//! go; the gateway resolves and reaches the target under its own resource
//! policy (RAP), and a target that is an address is checked as well.

use rdpdoctor_probe::{Credentials, GatewayTarget};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use zeroize::Zeroizing;

/// The largest gateway password file read (a password is one line).
const MAX_PASSWORD_FILE: u64 = 4096;

/// The gateway of one module, and the credentials it gets.
#[derive(Debug, Clone)]
pub struct ModuleGateway {
    /// The gateway.
    pub target: GatewayTarget,
    /// Its user and password, when the module names one.
    pub credentials: Option<Credentials>,
    /// The gateway refused these credentials once: they are not sent again
    /// (every scrape of every target would be one more failed logon towards
    /// the account's lockout) until the configuration is read again.
    pub refused: Arc<AtomicBool>,
}

impl PartialEq for ModuleGateway {
    /// The same gateway and user (passwords are not compared).
    fn eq(&self, other: &Self) -> bool {
        self.target == other.target
            && self.credentials.as_ref().map(Credentials::user)
                == other.credentials.as_ref().map(Credentials::user)
    }
}

impl ModuleGateway {
    /// From a module's lines; errors are one line naming the module.
    pub fn from_file(
        module: &str,
        gateway: Option<&str>,
        user: Option<&str>,
        password_file: Option<&str>,
        dir: &Path,
    ) -> Result<Option<ModuleGateway>, String> {
        let Some(gateway) = gateway else {
            if user.is_some() || password_file.is_some() {
                return Err(format!(
                    "module {module}: gateway_user and gateway_password_file need gateway = \"HOST[:PORT]\""
                ));
            }
            return Ok(None);
        };
        let target = rdpdoctor_probe::parse_gateway(gateway)
            .map_err(|e| format!("module {module}: gateway = {gateway:?}: {e}"))?;
        let credentials = match (user, password_file) {
            (None, None) => None,
            // The gateway's only: no logon at the targets behind it.
            (Some(u), Some(f)) => Some(
                Credentials::new(u, read_password(&dir.join(f))?)
                    .map_err(|e| format!("module {module}: gateway_user: {e}"))?
                    .for_the_gateway_only(),
            ),
            _ => {
                return Err(format!(
                    "module {module}: give gateway_user and gateway_password_file together"
                ));
            }
        };
        Ok(Some(ModuleGateway {
            target,
            credentials,
            refused: Arc::default(),
        }))
    }

    /// The credentials for the next probe: none once the gateway refused them.
    pub fn credentials_to_send(&self) -> Option<Credentials> {
        if self.refused.load(Ordering::Relaxed) {
            None
        } else {
            self.credentials.clone()
        }
    }

    /// Remembers a refusal of the credentials in `report` (HTTP 401 after
    /// NTLM at the gateway).
    pub fn note(&self, report: &rdpdoctor_evidence::ProbeReport) {
        if report
            .gateway
            .as_ref()
            .is_some_and(|g| g.credentials_refused())
        {
            self.refused.store(true, Ordering::Relaxed);
        }
    }
}

/// The password file's one line (one trailing line end removed).
fn read_password(path: &Path) -> Result<Zeroizing<String>, String> {
    use std::io::Read;
    let shown = path.display();
    let file = std::fs::File::open(path)
        .map_err(|e| format!("cannot read the gateway password file {shown}: {e}"))?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_PASSWORD_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the gateway password file {shown}: {e}"))?;
    if bytes.len() as u64 > MAX_PASSWORD_FILE {
        return Err(format!(
            "the gateway password file {shown} is over 4 KiB: it holds one line, the password"
        ));
    }
    // The same rule as the command line's --password-file: one line, one
    // trailing line end removed, anything else is part of the password.
    rdpdoctor_probe::credentials::password_from_file_bytes(std::mem::take(&mut *bytes))
        .map_err(|e| format!("the gateway password file {shown}: {e}"))
}
