//! The exporter's configuration file (TOML): the allowed target networks,
//! the concurrency bound, and the modules a scrape names with `module=`.
//!
//! ```toml
//! allow = ["10.20.0.0/16", "192.168.7.0/24"]   # target networks (with --allow); none by default
//! max_concurrent_probes = 32
//! timeout_offset_seconds = 0.5                 # kept back from Prometheus's scrape timeout
//! default_module = "fast"
//!
//! [modules.fast]
//! profile = "fast"            # fast | full
//! timeout_seconds = 20        # the most one probe may take (the scrape timeout may cut it shorter)
//! step_timeout_seconds = 5    # one network step (connect, one answer, one handshake)
//! port = 3389                 # when the target names no port
//! tcp_samples = 3
//! reverse_dns = false
//!
//! [modules.behind_gateway]    # every target of this module through an RD Gateway
//! gateway = "rdgw.corp.example:443"
//! gateway_user = 'CORP\svc-rdpmon'
//! gateway_password_file = "rdgw.pw"   # its first line; relative to this file
//!
//! [web.tls_server_config]     # TLS and basic auth: see `web`
//! cert_file = "exporter.crt"
//! key_file = "exporter.key"
//! [web.basic_auth_users]
//! prometheus = "$2y$10$…"
//! ```

use crate::allow::{Allowlist, parse_cidr};
use crate::web::{FileWeb, Web};
use rdpdoctor_probe::Profile;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// The largest config file read (it is a few lines).
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// The exporter's settings, from the file and the command line.
#[derive(Debug, Clone)]
pub struct Config {
    /// Target networks a probe may go to.
    pub allow: Allowlist,
    /// Probes running at once; more wait for a slot (see `server`).
    pub max_concurrent_probes: usize,
    /// Kept back from Prometheus's `X-Prometheus-Scrape-Timeout-Seconds`, so
    /// the answer arrives before Prometheus gives up.
    pub timeout_offset: Duration,
    /// The module used when a scrape names none.
    pub default_module: String,
    /// Modules by name.
    pub modules: BTreeMap<String, Module>,
    /// TLS and basic-auth users (`[web]`).
    pub web: Web,
}

/// How one kind of scrape probes.
#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    /// How much to probe.
    pub profile: Profile,
    /// The most one probe may take (its ceiling); the scrape timeout may cut it shorter.
    pub timeout: Duration,
    /// One network step.
    pub step_timeout: Duration,
    /// The port when the target names none.
    pub port: u16,
    /// TCP connect samples.
    pub tcp_samples: u32,
    /// A PTR lookup of the address probed.
    pub reverse_dns: bool,
    /// The RD Gateway every target of this module is reached through.
    pub gateway: Option<crate::gateway::ModuleGateway>,
}

impl Module {
    /// Everything `rdpdoctor probe` does, under `probe`'s default step timeout.
    pub fn full() -> Module {
        Module {
            profile: Profile::Full,
            timeout: Duration::from_secs(30),
            ..Module::fast()
        }
    }

    /// What matters fleet-wide (TCP, X.224, TLS and the certificate, NTLM).
    pub fn fast() -> Module {
        Module {
            profile: Profile::Fast,
            timeout: Duration::from_secs(15),
            step_timeout: Duration::from_secs(5),
            port: rdpdoctor_probe::DEFAULT_PORT,
            tcp_samples: 3,
            reverse_dns: false,
            gateway: None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        let mut modules = BTreeMap::new();
        modules.insert("fast".to_owned(), Module::fast());
        modules.insert("full".to_owned(), Module::full());
        Config {
            allow: Allowlist::default(),
            max_concurrent_probes: 32,
            timeout_offset: Duration::from_millis(500),
            default_module: "fast".to_owned(),
            modules,
            web: Web::default(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    allow: Vec<String>,
    max_concurrent_probes: Option<usize>,
    timeout_offset_seconds: Option<f64>,
    default_module: Option<String>,
    #[serde(default)]
    modules: BTreeMap<String, FileModule>,
    #[serde(default)]
    web: FileWeb,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileModule {
    profile: Option<String>,
    timeout_seconds: Option<f64>,
    step_timeout_seconds: Option<f64>,
    port: Option<u16>,
    tcp_samples: Option<u32>,
    reverse_dns: Option<bool>,
    gateway: Option<String>,
    gateway_user: Option<String>,
    gateway_password_file: Option<String>,
}

impl Config {
    /// Reads `path`. Errors are one line, naming the file.
    pub fn load(path: &Path) -> Result<Config, String> {
        let name = path.display();
        let meta = std::fs::metadata(path).map_err(|e| format!("{name}: {e}"))?;
        if meta.len() > MAX_CONFIG_BYTES {
            return Err(format!(
                "{name}: more than 1 MiB; a config file is a few lines"
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
        let dir = path.parent().unwrap_or(Path::new(""));
        Config::parse_in(&text, dir).map_err(|e| format!("{name}: {e}"))
    }

    /// [`Config::parse_in`] the current directory.
    pub fn parse(text: &str) -> Result<Config, String> {
        Config::parse_in(text, Path::new(""))
    }

    /// Parses a config file's text over the defaults: modules named in it
    /// replace the built-in ones of the same name, the others stay. Files
    /// named by `[web]` are read from `dir` when their paths are relative.
    pub fn parse_in(text: &str, dir: &Path) -> Result<Config, String> {
        let file: File = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| format!(" (line {})", line_of(text, s.start)))
                .unwrap_or_default();
            format!("{}{at}", e.message().trim())
        })?;
        let mut c = Config::default();
        for cidr in &file.allow {
            c.allow.push(parse_cidr(cidr)?);
        }
        if let Some(n) = file.max_concurrent_probes {
            if !(1..=4096).contains(&n) {
                return Err(format!(
                    "max_concurrent_probes = {n}: use a number from 1 to 4096"
                ));
            }
            c.max_concurrent_probes = n;
        }
        if let Some(s) = file.timeout_offset_seconds {
            c.timeout_offset = seconds("timeout_offset_seconds", s, 0.0, 60.0)?;
        }
        for (name, m) in file.modules {
            if name.is_empty()
                || name.len() > 64
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            {
                return Err(format!(
                    "module name {name:?}: use up to 64 letters, digits, '_', '-' or '.'"
                ));
            }
            let module = module(&name, m, dir)?;
            c.modules.insert(name, module);
        }
        if let Some(d) = file.default_module {
            if !c.modules.contains_key(&d) {
                return Err(format!("default_module = {d:?}: no module of that name"));
            }
            c.default_module = d;
        }
        c.web = Web::load(file.web, dir)?;
        Ok(c)
    }

    /// The longest a probe of any module may take: how long a graceful
    /// shutdown waits for probes in flight.
    pub fn longest_timeout(&self) -> Duration {
        self.modules
            .values()
            .map(|m| m.timeout)
            .max()
            .unwrap_or_default()
    }
}

fn module(name: &str, m: FileModule, dir: &Path) -> Result<Module, String> {
    let mut out = match m.profile.as_deref() {
        None | Some("fast") => Module::fast(),
        Some("full") => Module::full(),
        Some(p) => {
            return Err(format!(
                "module {name}: profile = {p:?}: use \"fast\" or \"full\""
            ));
        }
    };
    if let Some(s) = m.timeout_seconds {
        out.timeout = seconds(&format!("module {name}: timeout_seconds"), s, 0.1, 600.0)?;
    }
    if let Some(s) = m.step_timeout_seconds {
        out.step_timeout = seconds(
            &format!("module {name}: step_timeout_seconds"),
            s,
            0.1,
            600.0,
        )?;
    }
    if let Some(p) = m.port {
        if p == 0 {
            return Err(format!("module {name}: port = 0: use 1 to 65535"));
        }
        out.port = p;
    }
    if let Some(n) = m.tcp_samples {
        if !(1..=20).contains(&n) {
            return Err(format!("module {name}: tcp_samples = {n}: use 1 to 20"));
        }
        out.tcp_samples = n;
    }
    if let Some(r) = m.reverse_dns {
        out.reverse_dns = r;
    }
    out.gateway = crate::gateway::ModuleGateway::from_file(
        name,
        m.gateway.as_deref(),
        m.gateway_user.as_deref(),
        m.gateway_password_file.as_deref(),
        dir,
    )?;
    Ok(out)
}

fn seconds(what: &str, s: f64, min: f64, max: f64) -> Result<Duration, String> {
    if s.is_finite() && (min..=max).contains(&s) {
        Ok(Duration::from_secs_f64(s))
    } else {
        Err(format!("{what} = {s}: use seconds from {min} to {max}"))
    }
}

fn line_of(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(0, |t| t.matches('\n').count()) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_the_defaults_and_keeps_the_other_modules() {
        let c = Config::parse(
            "allow = [\"10.0.0.0/8\"]\nmax_concurrent_probes = 4\n[modules.fast]\nport = 3390\ntimeout_seconds = 9\n[modules.lan]\nprofile = \"full\"\n",
        )
        .unwrap();
        assert_eq!(c.max_concurrent_probes, 4);
        assert_eq!(c.modules["fast"].port, 3390);
        assert_eq!(c.modules["fast"].timeout, Duration::from_secs(9));
        assert_eq!(c.modules["full"], Module::full());
        assert_eq!(c.modules["lan"].profile, Profile::Full);
        assert!(c.allow.check("10.1.2.3".parse().unwrap()).is_ok());
    }

    #[test]
    fn mistakes_are_one_line_naming_what_is_wrong() {
        for (text, says) in [
            ("allow = [\"10.0.0.0/33\"]", "10.0.0.0/33"),
            ("alow = []", "unknown field"),
            ("[modules.x]\nprofile = \"slow\"", "fast"),
            ("max_concurrent_probes = 0", "1 to 4096"),
            ("[modules.x]\ntimeout_seconds = -1", "timeout_seconds"),
            ("default_module = \"nope\"", "no module"),
            ("[modules.\"a b\"]", "module name"),
            ("[web.tls_server_config]\ncertfile = \"x\"", "unknown field"),
            ("[web]\nusers = {}", "unknown field"),
        ] {
            let e = Config::parse(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }
}
