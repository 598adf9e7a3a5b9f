//! What the command line accepts, declared for clap: `Cli` and its
//! commands, each command's options, the small shared choices (`Format`,
//! `ColorChoice`) and the value parsers that turn a typed value into one.
//! Only declarations and checks of what was typed: `cli` parses and
//! dispatches, the `*_cmd` modules run.

mod help;
#[cfg(feature = "lab")]
mod lab;

use clap::{Args, Parser, Subcommand, ValueEnum};
use help::*;
#[cfg(feature = "lab")]
pub use lab::LabServeArgs;
#[cfg(not(feature = "lab"))]
use std::ffi::OsString;
use std::path::PathBuf;

/// Tells you why a Remote Desktop connection fails, and how to fix it.
#[derive(Debug, Parser)]
#[command(name = "rdpdoctor", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Probe one RDP host over the wire, without credentials, and report what fails
    #[command(after_help = PROBE_HELP)]
    Probe(Box<ProbeArgs>),
    /// Probe many RDP hosts (names, addresses, CIDR ranges, lists) and summarise what fails and why
    #[command(after_help = SCAN_HELP)]
    Scan(ScanArgs),
    /// Read a Windows host's own state (registry, certificate store, firewall, event logs) and diagnose it
    #[command(after_help = INSPECT_HELP)]
    Inspect(InspectArgs),
    /// Explain an error code or pasted error text, with its likely causes and fixes
    #[command(after_help = EXPLAIN_HELP)]
    Explain(ExplainArgs),
    /// Start every emulated misconfiguration on loopback, probe and diagnose each one
    #[cfg(feature = "lab")]
    #[command(after_help = DEMO_HELP)]
    Demo(DemoArgs),
    /// Emulated misconfigured RDP hosts, for trying rdpdoctor and clients against them
    #[cfg(feature = "lab")]
    #[command(after_help = LAB_HELP)]
    Lab {
        #[command(subcommand)]
        cmd: LabCommand,
    },
    /// Not in this build (without the `lab` feature): says so
    #[cfg(not(feature = "lab"))]
    #[command(hide = true)]
    Demo(NoLabArgs),
    /// Not in this build (without the `lab` feature): says so
    #[cfg(not(feature = "lab"))]
    #[command(hide = true)]
    Lab(NoLabArgs),
    /// Serve Prometheus metrics: /probe?target=HOST probes one RDP host per scrape, in allowed networks only
    #[command(after_help = EXPORTER_HELP)]
    Exporter(ExporterArgs),
    /// Print shell completions for SHELL to standard output
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write one page per command with --dir
    #[command(after_help = MAN_HELP)]
    Man(ManArgs),
}

/// `demo` and `lab` in a build without the emulator: whatever follows is
/// accepted, so the answer is always "this build has no lab commands".
#[cfg(not(feature = "lab"))]
#[derive(Debug, Args)]
pub struct NoLabArgs {
    #[arg(hide = true, num_args = 0.., allow_hyphen_values = true, trailing_var_arg = true)]
    pub rest: Vec<OsString>,
}

#[cfg(feature = "lab")]
#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// Serve one or more faults (misconfigured Windows hosts) until Ctrl-C
    Serve(LabServeArgs),
}

#[cfg(feature = "lab")]
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seconds allowed for each network step of each probe
    #[arg(long, default_value_t = 3.0, value_name = "SECS", value_parser = positive_secs)]
    pub timeout: f64,
    /// Output format
    #[arg(long, value_parser = text_or_json(), default_value = "text")]
    pub format: Format,
    /// Colour in the text report
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Only the codes and the causes' titles, without how to confirm and fix
    #[arg(long)]
    pub brief: bool,
    /// Colour in the text report
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Write the report to FILE (UTF-8, no byte order mark) instead of stdout; `-` is stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Read the text to explain from FILE (at most 1 MiB; `-` is standard input)
    #[arg(long, value_name = "FILE", conflicts_with = "input")]
    pub file: Option<PathBuf>,
    /// Codes, names or pasted error text; `-` reads it from standard input
    #[arg(
        required_unless_present = "file",
        num_args = 1..,
        allow_negative_numbers = true,
        value_name = "CODE OR TEXT"
    )]
    pub input: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Hive files, .reg exports, .evtx files, folders of them, a mounted Windows volume, or a packet capture (pcap, pcapng)
    #[arg(value_name = "SOURCE", required_unless_present = "local")]
    pub sources: Vec<PathBuf>,
    /// Read the running Windows machine (registry, certificate store, event logs)
    #[arg(long, conflicts_with = "sources")]
    pub local: bool,
    /// Event records since WHEN: 7d, 12h, 30m, a date (2026-11-01), an RFC 3339 time, or all
    #[arg(long, value_name = "WHEN", value_parser = since_parser)]
    pub since: Option<i64>,
    /// The machine to report on when the event logs hold records of several computers (its name as the records give it, or its first label)
    #[arg(long, value_name = "NAME")]
    pub computer: Option<String>,
    /// The state of the client machine you connect from (its SOFTWARE hive, NTUSER.DAT, .reg exports; repeatable): paired with the server where a failure needs both ends (the CredSSP update)
    #[arg(long, value_name = "SOURCE")]
    pub client_evidence: Vec<PathBuf>,
    /// This Windows machine's own state as the client (as `inspect --local`), paired with the server
    #[arg(long, conflicts_with = "client_evidence")]
    pub client_local: bool,
    /// The error the client showed (e.g. 0x904:0x7): ranks the causes that produce it first
    #[arg(long, value_name = "CODE")]
    pub error: Option<String>,
    /// Where the server runs: orders the fixes for how you can reach it
    #[arg(long = "on", value_name = "WHERE", value_parser = environment_parser())]
    pub environment: Option<rdpdoctor_diagnose::Environment>,
    /// Print only the answer: the verdict, the most likely cause and the fix to try first
    #[arg(long)]
    pub brief: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Colour in the text report
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Write the report to FILE (UTF-8, no byte order mark) instead of stdout; `-` is stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// With a capture: your RD Gateway's name (as in the .rdp file's gatewayhostname); TLS connections to it (by SNI, or by its certificate's names) are read as the gateway hop
    #[arg(long, value_name = "NAME", value_parser = gateway_name_parser)]
    pub gateway: Option<String>,
    /// With a capture: the .rdp file the client connected with; the RD Gateway it names (gatewayhostname) is the capture's, unless --gateway names one
    #[arg(long, value_name = "FILE")]
    pub rdp_file: Option<PathBuf>,
}

/// A gateway name as a host name, an address, or either with `:port`.
fn gateway_name_parser(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b));
    if ok {
        Ok(s.to_owned())
    } else {
        Err("use the gateway's host name or address, e.g. gw.example.com".into())
    }
}

fn since_parser(s: &str) -> Result<i64, String> {
    crate::inputs::parse_since(s)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A report for people.
    Text,
    /// The versioned JSON schema (docs/json-schema.md).
    Json,
    /// Markdown to paste into a ticket (GitHub-flavoured: tables, fenced commands).
    Markdown,
    /// One self-contained HTML file (no external assets, no script).
    Html,
}

/// `--format` of the commands that print only text or JSON (`explain`, `demo`).
fn text_or_json() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["text", "json"]).map(|s| {
        if s == "json" {
            Format::Json
        } else {
            Format::Text
        }
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Args)]
pub struct ExporterArgs {
    /// Where to serve HTTP (HTTPS with [web.tls_server_config] in the config file)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9389")]
    pub listen: std::net::SocketAddr,
    /// The config file (TOML): modules, allowed networks, the concurrency bound, TLS and users
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A network targets may be in, as CIDR or one address (repeatable; added to the config file's)
    #[arg(long = "allow", value_name = "CIDR")]
    pub allow: Vec<String>,
    /// The most probes that run at once (overrides the config file)
    #[arg(long, value_name = "N")]
    pub max_concurrent_probes: Option<usize>,
}

/// `--format` of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// A summary for people: the answer, grouped by cause and finding, then one line per host.
    Text,
    /// One JSON report per host and line, as it finishes (the `probe` schema).
    Ndjson,
    /// One row per host (columns in docs/json-schema.md).
    Csv,
    /// A fleet table and a section per host, to paste into a ticket (at most 10,000 hosts).
    Markdown,
    /// One self-contained HTML page: a fleet table with a drill-down per host (at most 10,000 hosts).
    Html,
}

/// `--profile` of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanProfile {
    /// TCP, X.224 (the NLA verdict), TLS and the certificate, the NTLM facts: 11 to 14 connections a host
    Fast,
    /// Every stage `rdpdoctor probe` runs.
    Full,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// HOST, HOST:PORT, IPv4, [IPv6]:PORT, CIDR ranges (10.0.0.0/24, 10.0.0.0/24:3390, [2001:db8::/120]:3390), or - for stdin
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Read targets from FILE (whitespace-separated, # comments); also spelled -iL (repeatable)
    #[arg(long = "input-list", value_name = "FILE")]
    pub input_list: Vec<PathBuf>,
    /// Allow ranges over 65,536 addresses (up to 16,777,216)
    #[arg(long)]
    pub force: bool,
    /// How much to check per host
    #[arg(long, value_enum, default_value_t = ScanProfile::Fast)]
    pub profile: ScanProfile,
    /// Hosts probed at once
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,
    /// Hosts started per second (0: as fast as --concurrency allows)
    #[arg(long, default_value_t = 100.0, value_name = "HOSTS", value_parser = rate_parser)]
    pub rate: f64,
    /// Seconds allowed for each network step of a host
    #[arg(long, default_value_t = 3.0, value_name = "SECS", value_parser = positive_secs)]
    pub timeout: f64,
    /// Seconds allowed for one host (its deadline)
    #[arg(long, default_value_t = 20.0, value_name = "SECS", value_parser = positive_secs)]
    pub ceiling: f64,
    /// Probe again, after the main pass and at most 8 at once, hosts that answered TCP and then timed out (0: never)
    #[arg(long, visible_alias = "max-retries", default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=5))]
    pub retries: u32,
    /// TCP connect samples per host
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub samples: u32,
    /// Look up each address's reverse (PTR) name (off: one more query per host)
    #[arg(long)]
    pub reverse_dns: bool,
    /// Append each host's report to FILE as it finishes; hosts already in it are not probed again
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,
    /// Write the output to FILE (UTF-8, no byte order mark) instead of stdout; `-` is stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Colour in the text report
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Reach every target through this RD Gateway (GATEWAY[:PORT], port 443 by default), hop by hop
    #[arg(long, value_name = "GATEWAY[:PORT]")]
    pub gateway: Option<String>,
    /// The gateway's user (USER, DOMAIN\USER or USER@DOMAIN): with it, each target's channel is opened and the target probed through it; needs --gateway
    #[arg(long, value_name = "[DOMAIN\\]USER", requires = "gateway")]
    pub user: Option<String>,
    /// Read the gateway user's password from FILE (its first line); needs --user
    #[arg(long, value_name = "FILE", requires = "user")]
    pub password_file: Option<PathBuf>,
}

fn rate_parser(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=100_000.0).contains(&v) => Ok(v),
        _ => Err("use a number of hosts per second from 0 (no limit) to 100000".to_owned()),
    }
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// HOST, HOST:PORT, IPv4[:PORT] or [IPv6][:PORT] (port 3389 by default); also /v:HOST[:PORT] and `full address:s:HOST[:PORT]`
    #[arg(required_unless_present = "rdp_file")]
    pub target: Option<String>,
    /// Anything after the target (only to answer `probe HOST 3389` with a hint)
    #[arg(hide = true)]
    pub extra: Vec<String>,
    /// Seconds allowed for each network step (connect, one answer, one handshake)
    #[arg(long, default_value_t = 5.0, value_name = "SECS", value_parser = positive_secs)]
    pub timeout: f64,
    /// Seconds allowed for the whole probe
    #[arg(long, default_value_t = 60.0, value_name = "SECS", value_parser = positive_secs)]
    pub ceiling: f64,
    /// TCP connect samples (to see an unstable path)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub samples: u32,
    /// Connect to this IP address instead of what the name resolves to
    #[arg(long, value_name = "IP")]
    pub address: Option<std::net::IpAddr>,
    /// Skip the reverse (PTR) lookup of the address
    #[arg(long)]
    pub no_reverse_dns: bool,
    /// The error the client showed (e.g. 0x904:0x7, or quoted text): ranks the causes that produce it first
    #[arg(long, value_name = "CODE")]
    pub error: Option<String>,
    /// The client(s) you connect with: predictions and fixes for them only (repeatable)
    #[arg(long, value_name = "CLIENT", value_parser = client_parser())]
    pub client: Vec<rdpdoctor_diagnose::ClientId>,
    /// Where the server runs: orders the fixes for how you can reach it (e.g. Azure Run Command)
    #[arg(long = "on", value_name = "WHERE", value_parser = environment_parser())]
    pub environment: Option<rdpdoctor_diagnose::Environment>,
    /// Log on once as this user: USER, DOMAIN\USER or USER@DOMAIN (see Credentials below)
    #[arg(long, value_name = "[DOMAIN\\]USER")]
    pub user: Option<String>,
    /// Read the password from FILE (its first line; one trailing newline is removed); needs --user
    #[arg(long, value_name = "FILE", requires = "user")]
    pub password_file: Option<PathBuf>,
    /// Go through this RD Gateway (GATEWAY[:PORT], port 443 by default), hop by hop; with --user, the gateway gets the same credentials
    #[arg(long, value_name = "GATEWAY[:PORT]")]
    pub gateway: Option<String>,
    /// How much to check: full (every stage) or fast (what `scan` checks by default)
    #[arg(long, value_enum, default_value_t = ScanProfile::Full)]
    pub profile: ScanProfile,
    /// Print only the answer: the verdict, the most likely cause and the fix to try first
    #[arg(long)]
    pub brief: bool,
    /// Host evidence of the same machine, judged with the wire: hives, .reg exports, .evtx files, a volume (repeatable)
    #[arg(long, value_name = "SOURCE")]
    pub host_evidence: Vec<PathBuf>,
    /// This Windows machine's own state (as `inspect --local`), judged with the wire: for a probe of the machine you are on
    #[arg(long, conflicts_with = "host_evidence")]
    pub host_local: bool,
    /// With --host-evidence or --host-local: event records since WHEN (7d, 12h, a date, all)
    #[arg(long, value_name = "WHEN", value_parser = since_parser)]
    pub since: Option<i64>,
    /// The state of the client machine you connect from (its SOFTWARE hive, NTUSER.DAT, .reg exports; repeatable): paired with the server where a failure needs both ends (the CredSSP update)
    #[arg(long, value_name = "SOURCE")]
    pub client_evidence: Vec<PathBuf>,
    /// This Windows machine's own state as the client (as `inspect --local`), paired with the server
    #[arg(long, conflicts_with = "client_evidence")]
    pub client_local: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Colour in the text report
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Write the report to FILE (UTF-8, no byte order mark) instead of stdout; `-` is stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Check the domain's Kerberos for this realm (e.g. CONTOSO.COM): the KDC on TCP and UDP 88, its clock, with --user the account, the TERMSRV SPN and one pre-authentication with the password (only when the server's logon did not refuse it)
    #[arg(long, value_name = "REALM")]
    pub realm: Option<String>,
    /// The KDC to ask, HOST[:PORT] (default: SSPI_KDC_URL, else the realm's kdc lines in krb5.conf (KRB5_CONFIG, else /etc/krb5.conf; on Windows %ProgramData%\MIT\Kerberos5\krb5.ini), else the realm's DNS SRV records, else the realm's name, port 88); without --realm, the realm is the one the target's NTLM names
    #[arg(long, value_name = "HOST[:PORT]")]
    pub kdc: Option<String>,
    /// Probe as this .rdp file connects: target, port and the client's security settings from FILE (as mstsc saves it); TARGET, if given, replaces its address
    #[arg(long, value_name = "FILE")]
    pub rdp_file: Option<PathBuf>,
}

/// `--client`: one of the engine's client profiles (the engine owns the list).
fn client_parser() -> impl clap::builder::TypedValueParser<Value = rdpdoctor_diagnose::ClientId> {
    use clap::builder::TypedValueParser;
    use rdpdoctor_diagnose::ClientId;
    clap::builder::PossibleValuesParser::new(ClientId::ALL.map(ClientId::id))
        .try_map(|s| ClientId::from_id(&s).ok_or("not a client profile"))
}

/// `--on`: one of the engine's environments.
fn environment_parser()
-> impl clap::builder::TypedValueParser<Value = rdpdoctor_diagnose::Environment> {
    use clap::builder::TypedValueParser;
    use rdpdoctor_diagnose::Environment;
    clap::builder::PossibleValuesParser::new(Environment::ALL.map(Environment::name))
        .try_map(|s| Environment::from_name(&s).ok_or("not an environment"))
}

impl ProbeArgs {
    /// What clap cannot say: a port given as a second argument.
    pub fn check(&self) -> Result<(), String> {
        let Some(extra) = self.extra.first() else {
            return Ok(());
        };
        if !extra.is_empty() && extra.len() <= 5 && extra.bytes().all(|b| b.is_ascii_digit()) {
            let host = self.target.as_deref().unwrap_or_default().trim();
            let host = if host.contains(':') && !host.starts_with('[') {
                format!("[{host}]")
            } else {
                host.to_owned()
            };
            return Err(format!(
                "a port is not a second argument: use HOST:PORT, e.g. {}:{extra}",
                rdpdoctor_render::safe::term_max(&host, rdpdoctor_render::safe::QUOTE_CHARS)
            ));
        }
        if self
            .target
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("full"))
            && extra.to_ascii_lowercase().starts_with("address:")
        {
            return Err(
                "quote a .rdp line, it has a space: rdpdoctor probe 'full address:s:HOST:PORT'"
                    .to_owned(),
            );
        }
        Err(format!(
            "unexpected argument {} after the target (see rdpdoctor probe --help)",
            rdpdoctor_render::safe::quote(extra)
        ))
    }
}

fn positive_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 3600.0 => Ok(v),
        _ => Err("use a number of seconds greater than 0, at most 3600".to_owned()),
    }
}

/// `rdpdoctor completions` options.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `rdpdoctor man` options.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write rdpdoctor.1 and one page per command (rdpdoctor-probe.1, …) into DIR (made if missing)
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}
