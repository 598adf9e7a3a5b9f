//! Command-line interface.

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "Exit status (probe):
  0  verdict healthy or works-with-warnings (every client connects)
  1  some clients fail, none connects, unreachable, or inconclusive
  2  bad usage or input (a one-line error on stderr)";

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
    Probe(ProbeArgs),
    /// Explain an error code or pasted error text, with its likely causes and fixes
    #[command(after_help = EXPLAIN_HELP)]
    Explain(ExplainArgs),
    /// Start every emulated misconfiguration on loopback, probe and diagnose each one
    #[command(after_help = DEMO_HELP)]
    Demo(DemoArgs),
    /// Emulated misconfigured RDP hosts, for trying rdpdoctor and clients against them
    Lab {
        #[command(subcommand)]
        cmd: LabCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// Serve one or more faults (misconfigured Windows hosts) until Ctrl-C
    Serve(crate::lab_cmd::LabServeArgs),
}

const EXPLAIN_HELP: &str = "Examples:
  rdpdoctor explain 0x904 0x7                 # mstsc: Error code + Extended error code
  rdpdoctor explain 2308 7                    # the same, in decimal
  rdpdoctor explain ERRINFO_SERVER_DENIED_CONNECTION
  rdpdoctor explain 'ERRCONNECT_TLS_CONNECT_FAILED [0x00020008]'
  rdpdoctor explain 0x80090302                # SSPI / NTSTATUS
  rdpdoctor explain event 1058
  rdpdoctor explain \"An authentication error has occurred. The function requested is not supported\"

Exit status:
  0  the input was recognised
  2  nothing in the input was recognised, or bad usage";

const DEMO_HELP: &str =
    "Starts the built-in emulator of misconfigured Windows RDP hosts (one per fault,
on 127.0.0.1), probes each one as `rdpdoctor probe` would, and prints what it
found and the cause it ranked first. Needs no installed packages and no network.

Examples:
  rdpdoctor demo
  rdpdoctor demo --format json | jq '.rows[] | select(.correct | not)'

Exit status:
  0  every fault was diagnosed correctly
  1  at least one was not
  2  bad usage";

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seconds allowed for each network step of each probe
    #[arg(long, default_value_t = 3.0, value_name = "SECS", value_parser = positive_secs)]
    pub timeout: f64,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
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
    /// Colour in the text report
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Codes, names or pasted error text
    #[arg(required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true, value_name = "CODE OR TEXT")]
    pub input: Vec<String>,
}

const PROBE_HELP: &str =
    "Stages: DNS → TCP (5 connect samples) → X.224 security negotiation (8 requests) →
TLS and the certificate (with every TLS version) → CredSSP/NTLM (OS build, server clock) →
Standard RDP Security (each encryption method). Stages after the negotiation run at once.

Examples:
  rdpdoctor probe rdp.example.com
  rdpdoctor probe 10.0.0.5:3390 --timeout 2
  rdpdoctor probe '[::1]:3389' --format json | jq '.findings[].id'
  rdpdoctor probe rdp.example.com --address 10.0.0.5   # check the name, connect to this IP
  rdpdoctor probe rdp.example.com --error 0x904:0x7     # rank the causes of the error you saw
  rdpdoctor probe rdp.example.com --client mstsc-win10 --on azure --brief

The first lines answer: the verdict, the most likely cause, the fix to try first.

Exit status:
  0  verdict healthy or works-with-warnings (every client connects)
  1  verdict some-clients-fail, no-client-connects, unreachable or inconclusive
  2  bad usage or input";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A report for people.
    Text,
    /// The versioned JSON schema (docs/json-schema.md).
    Json,
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

impl ColorChoice {
    /// The style for stdout: this choice, whether stdout is a terminal, and `NO_COLOR`.
    pub fn style(self) -> rdpdoctor_render::Style {
        use std::io::IsTerminal;
        let choice = match self {
            ColorChoice::Auto => "auto",
            ColorChoice::Always => "always",
            ColorChoice::Never => "never",
        };
        rdpdoctor_render::Style::decide(
            choice,
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        )
    }
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// HOST, HOST:PORT, IPv4[:PORT] or [IPv6][:PORT] (port 3389 by default)
    pub target: String,
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
    #[arg(long, value_enum, value_name = "CLIENT")]
    pub client: Vec<ClientArg>,
    /// Where the server runs: orders the fixes for how you can reach it (e.g. Azure Run Command)
    #[arg(long = "on", value_enum, value_name = "WHERE")]
    pub environment: Option<EnvArg>,
    /// Print only the answer: the verdict, the most likely cause and the fix to try first
    #[arg(long)]
    pub brief: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Colour in the text report
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// A client profile, as `--client` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientArg {
    /// mstsc on Windows 7 SP1 without the 2016–2018 updates
    MstscWin7,
    /// mstsc on Windows 10 / Server 2016–2019
    MstscWin10,
    /// mstsc or Windows App on Windows 11 / Server 2022+
    MstscWin11,
    /// Windows App / Microsoft Remote Desktop on macOS
    Macos,
    /// xfreerdp 2.x
    Xfreerdp2,
    /// xfreerdp 3.x
    Xfreerdp3,
}

impl From<ClientArg> for rdpdoctor_diagnose::ClientId {
    fn from(c: ClientArg) -> Self {
        use rdpdoctor_diagnose::ClientId as C;
        match c {
            ClientArg::MstscWin7 => C::MstscWin7,
            ClientArg::MstscWin10 => C::MstscWin10,
            ClientArg::MstscWin11 => C::MstscWin11,
            ClientArg::Macos => C::Macos,
            ClientArg::Xfreerdp2 => C::Xfreerdp2,
            ClientArg::Xfreerdp3 => C::Xfreerdp3,
        }
    }
}

/// Where the server runs, as `--on` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvArg {
    /// An Azure VM (Run Command works when RDP does not)
    Azure,
    /// A Hyper-V guest (the VM console works when RDP does not)
    HyperV,
    /// A VMware guest
    Vmware,
    /// A domain member (Group Policy makes settings stick)
    DomainMember,
    /// A workgroup machine (local settings)
    Workgroup,
}

impl From<EnvArg> for rdpdoctor_diagnose::Environment {
    fn from(e: EnvArg) -> Self {
        use rdpdoctor_diagnose::Environment as E;
        match e {
            EnvArg::Azure => E::Azure,
            EnvArg::HyperV => E::HyperV,
            EnvArg::Vmware => E::Vmware,
            EnvArg::DomainMember => E::DomainMember,
            EnvArg::Workgroup => E::Workgroup,
        }
    }
}

fn positive_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 3600.0 => Ok(v),
        _ => Err(format!(
            "{s:?} is not a number of seconds between 0 and 3600"
        )),
    }
}
