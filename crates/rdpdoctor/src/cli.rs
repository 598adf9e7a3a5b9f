//! Command-line interface: the arguments, their help, and usage errors as
//! one line each (clap's own are several lines and quote input unbounded).

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

const EXIT_CODES: &str = "Examples:
  rdpdoctor probe rdp.example.com
  rdpdoctor scan 10.0.0.0/24                    # many hosts: what fails, grouped by cause
  rdpdoctor inspect /mnt/vmdisk                 # a stopped VM's Windows volume
  rdpdoctor explain 0x904 0x7
  rdpdoctor demo

Exit status (probe; scan: the worst host):
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
    Completions(crate::install_cmd::CompletionsArgs),
    /// Print the manual page (roff), or write one page per command with --dir
    #[command(after_help = MAN_HELP)]
    Man(crate::install_cmd::ManArgs),
}

/// `demo` and `lab` in a build without the emulator: whatever follows is
/// accepted, so the answer is always "this build has no lab commands".
#[cfg(not(feature = "lab"))]
#[derive(Debug, Args)]
pub struct NoLabArgs {
    #[arg(hide = true, num_args = 0.., allow_hyphen_values = true, trailing_var_arg = true)]
    pub rest: Vec<OsString>,
}

const COMPLETIONS_HELP: &str = "Examples:
  rdpdoctor completions bash > ~/.local/share/bash-completion/completions/rdpdoctor
  rdpdoctor completions zsh > ~/.zfunc/_rdpdoctor      # with fpath+=(~/.zfunc) before compinit
  rdpdoctor completions fish > ~/.config/fish/completions/rdpdoctor.fish
  rdpdoctor completions powershell | Out-String | Invoke-Expression   # a line for $PROFILE

They come from this binary's own command-line definition: regenerate after an upgrade.";

const MAN_HELP: &str = "Examples:
  rdpdoctor man | man -l -
  rdpdoctor man --dir ~/.cargo/share/man/man1     # then: man rdpdoctor-probe";

#[cfg(feature = "lab")]
const LAB_HELP: &str = "Examples:
  rdpdoctor lab serve --list
  rdpdoctor lab serve --fault expired-cert=127.0.0.1:13389";

#[cfg(feature = "lab")]
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
  rdpdoctor explain --format json 0x904 0x7   # options go anywhere
  xclip -o | rdpdoctor explain -              # pasted text or a log on stdin (at most 1 MiB)
  rdpdoctor explain --file freerdp.log        # a log file (at most 1 MiB)

Exit status:
  0  the input was recognised
  2  nothing in the input was recognised, more than 1 MiB of input, or bad usage";

#[cfg(feature = "lab")]
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
    #[arg(long, value_parser = text_or_json(), default_value = "text")]
    pub format: Format,
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

const PROBE_HELP: &str =
    "Stages: DNS → TCP (5 connect samples) → X.224 security negotiation (8 requests) →
TLS and the certificate (with every TLS version) → CredSSP/NTLM (OS build, server clock) →
Standard RDP Security (each encryption method). Stages after the negotiation run at once.

Examples:
  rdpdoctor probe rdp.example.com
  rdpdoctor scan 10.0.0.0/24                    # many hosts: what fails, grouped by cause
  rdpdoctor probe 10.0.0.5:3390 --timeout 2
  rdpdoctor probe /v:rdp.example.com:3390                  # as given to mstsc
  rdpdoctor probe 'full address:s:rdp.example.com:3390'   # a line of a .rdp file
  rdpdoctor probe bücher.example                           # international names (punycode)
  rdpdoctor probe '[::1]:3389' --format json | jq '.findings[].id'
  rdpdoctor probe rdp.example.com --format markdown          # to paste into a ticket
  rdpdoctor probe rdp.example.com --format html -o rdp.html  # one file to mail or attach
  rdpdoctor probe rdp.example.com --address 10.0.0.5   # check the name, connect to this IP
  rdpdoctor probe rdp.example.com --error 0x904:0x7     # rank the causes of the error you saw
  rdpdoctor probe rdp.example.com --client mstsc-win10 --on azure --brief
  rdpdoctor probe rdp.example.com --host-evidence /mnt/vm  # weigh the host's own state too
  rdpdoctor probe localhost --host-local   # on the Windows server itself, with its own state
  rdpdoctor probe rdp.example.com --user 'CONTOSO\\alice'   # one logon attempt (asks for the password)

Credentials (--user): one authentication attempt per run, never retried and never
looped over passwords or users, so a probe cannot lock an account. The password
comes from a prompt without echo on a terminal, else from the RDPDOCTOR_PASSWORD
environment variable, or from --password-file FILE (which wins over the variable);
never from the command line. A password file holds the password on its first line:
one trailing line end (\n or \r\n) is removed, anything else (spaces included) is
part of the password. With NLA the check is CredSSP/NTLM and reports the server's
NTSTATUS; without NLA the credentials go in a Client Info PDU.

The first lines answer: the verdict, the most likely cause, the fix to try first.

Exit status:
  0  verdict healthy or works-with-warnings (every client connects)
  1  verdict some-clients-fail, no-client-connects, unreachable or inconclusive

  2  bad usage or input: a target that is not a usable name or address is refused
     before anything is sent (IPv4 shorthands such as 10.5, names longer than DNS allows)";

const INSPECT_HELP: &str = "Sources, recognised by their content (not their names):
  hive files          SYSTEM, SOFTWARE, a user's NTUSER.DAT (their .LOG1/.LOG2 are applied)
  reg export files    reg export HKLM\\SYSTEM sys.reg (REGEDIT5 UTF-16 or REGEDIT4)
  event logs          .evtx files (wevtutil epl System sys.evtx), or a folder of them
  a Windows volume    the folder holding Windows\\System32 (a stopped VM's disk, mounted)
  --local             the running Windows machine

Examples:
  rdpdoctor inspect /mnt/vm                              # a mounted disk of a stopped VM
  rdpdoctor inspect SYSTEM SOFTWARE System.evtx Security.evtx
  rdpdoctor inspect rdp-settings.reg --since 3d --format json
  rdpdoctor inspect /mnt/vm --format html -o vm.html    # one self-contained file, no external assets
  rdpdoctor probe server01 --host-evidence /mnt/server01  # the wire and the host together

The first lines answer: the verdict, the most likely cause, the fix to try first.
A source that cannot be read is named on stderr, one line each; what could be read is used.
When two sources hold the same registry value, the one named first wins (the report
lists the others as overridden).

Exit status:
  0  nothing read stops RDP (warnings may still be listed)
  1  something read stops some or all clients, or the sources say too little to tell
  2  bad usage, or nothing usable in any source";

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Hive files, .reg exports, .evtx files, folders of them, or a mounted Windows volume
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
}

fn since_parser(s: &str) -> Result<i64, String> {
    crate::inspect_cmd::parse_since(s)
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

impl ColorChoice {
    /// The style for stdout: this choice, whether stdout is a terminal (not
    /// with `--output`), `NO_COLOR`, and on Windows whether the console
    /// takes escape sequences.
    pub fn style(self) -> rdpdoctor_render::Style {
        use std::io::IsTerminal;
        let choice = match self {
            ColorChoice::Auto => "auto",
            ColorChoice::Always => "always",
            ColorChoice::Never => "never",
        };
        // Windows 10+ consoles show colour once VT processing is switched on
        // (ENABLE_VIRTUAL_TERMINAL_PROCESSING); an older console refuses, and then
        // `auto` means no colour. None elsewhere: nothing to switch on.
        let vt = self != ColorChoice::Never
            && anstyle_query::windows::enable_ansi_colors().unwrap_or(true);
        rdpdoctor_render::Style::decide(
            choice,
            !crate::output::is_file() && std::io::stdout().is_terminal() && vt,
            std::env::var_os("NO_COLOR").as_deref(),
        )
    }
}

const EXPORTER_HELP: &str =
    "Prometheus scrapes /probe?target=HOST[:PORT]&module=NAME (the blackbox_exporter
pattern; deploy/prometheus.yml shows the relabelling), /metrics for the exporter itself.
Nothing is probed outside the --allow networks: other targets get 403 before any packet
is sent to them, and with no --allow every target does. A name must resolve only to
allowed addresses; the probe then connects to the address that was checked.

Examples:
  rdpdoctor exporter --allow 10.20.0.0/16                       # on 127.0.0.1:9389
  rdpdoctor exporter --listen 0.0.0.0:9389 --config /etc/rdpdoctor/exporter.toml
  rdpdoctor exporter --allow 192.168.7.0/24 --allow 2001:db8:7::/48
  curl 'http://127.0.0.1:9389/probe?target=rdp01.corp.example&module=fast'
  curl --cacert ca.crt --netrc-file prom.netrc 'https://rdpmon:9389/metrics'   # with [web]

Config file (TOML; every key optional, see deploy/exporter.toml):
  allow = [\"10.20.0.0/16\"]        max_concurrent_probes = 32
  timeout_offset_seconds = 0.5     default_module = \"fast\"
  [modules.fast]  profile = \"fast\"  timeout_seconds = 15  step_timeout_seconds = 5
                  port = 3389  tcp_samples = 3  reverse_dns = false
  [web.tls_server_config]  cert_file = \"exporter.crt\"  key_file = \"exporter.key\"
                  (HTTPS; client_auth_type, client_ca_file, min_version as exporter-toolkit)
  [web.basic_auth_users]  prometheus = \"$2y$10$...\"   (a bcrypt hash: htpasswd -nBC 10 \"\")
  With users, every request needs them: 401 before anything is looked at or probed.

The per-probe timeout is Prometheus's X-Prometheus-Scrape-Timeout-Seconds less the offset,
capped by the module's timeout_seconds. Over max_concurrent_probes a request waits for a
slot for half its timeout, then gets 503. SIGTERM or Ctrl-C: no new connections; requests
in flight finish (each probe ends by its deadline).

Exit status:
  0  stopped by SIGTERM or Ctrl-C
  2  bad usage, a bad config file, or the address cannot be listened on";

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

const SCAN_HELP: &str = "Examples:
  rdpdoctor scan 10.0.0.0/24                        # every address of a range, port 3389
  rdpdoctor scan server01 server02:3390 '[2001:db8::7]:3390' 2001:db8::/120
  rdpdoctor scan -iL hosts.txt                      # one or more targets per line, # comments
  cut -d, -f1 servers.csv | rdpdoctor scan -        # targets on stdin
  rdpdoctor scan 10.0.0.0/16 --format ndjson > fleet.ndjson    # one probe report per line
  rdpdoctor scan 10.0.0.0/16 --format csv > fleet.csv
  rdpdoctor scan -iL hosts.txt --format html -o fleet.html   # a page with a section per host
  rdpdoctor scan -iL hosts.txt --resume scan.ndjson  # rerun after a stop: done hosts are skipped
  rdpdoctor scan 10.0.0.0/8 --force --rate 500 --concurrency 200
  rdpdoctor scan 10.0.0.0/16 --concurrency 128 --retries 2   # re-check timed-out hosts twice

A range larger than 65,536 addresses (a /16, or an IPv6 /112) needs --force
(at most 16,777,216). --profile fast (the default) checks what matters
fleet-wide: TCP, the X.224 negotiation (the NLA verdict), TLS and the
certificate, the NTLM facts; what it leaves out reads \"not checked\".
--profile full runs every stage of `rdpdoctor probe`. Each host gets the
verdict `rdpdoctor probe` would give it; no reverse DNS unless --reverse-dns.

Re-checks: a host that answered TCP and then timed out (X.224, TLS or
CredSSP got no answer within --timeout, or the host hit --ceiling) is probed
once more after the main pass, at most 8 hosts at once, still under --rate:
on a busy machine or at a high --concurrency the scanner itself can be too
starved to read a server's answer in time. The re-check's report replaces
the first and says \"attempts\": 2; if it times out again, that stands.
Hosts silent at TCP (filtered, down) are not re-checked. --retries N: up to
N re-checks (default 1); --retries 0: none. ndjson and csv hold back only
those hosts' lines until their re-check; --resume writes a host once its
result is final.

Output: text (a summary grouped by cause and by finding, then a table, worst
first), ndjson (one line per host as it finishes: `probe --format json` of
that host), csv (columns: docs/json-schema.md), markdown or html (a fleet table, worst
first, and each host's report; these keep every report until the end, so at
most 10,000 hosts). A progress bar only when
stderr is a terminal. More than about 80 hosts at once may need a higher
open-file limit (ulimit -n): a host holds 11 to 14 sockets (fast).

Exit status:
  0  every host: healthy or works-with-warnings (every client connects)
  1  at least one host: some clients fail, none connects, unreachable, or inconclusive
  2  bad usage or input (a one-line error on stderr; no host is probed)";

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
    pub target: String,
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
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Colour in the text report
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Write the report to FILE (UTF-8, no byte order mark) instead of stdout; `-` is stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
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
            let host = self.target.trim();
            let host = if host.contains(':') && !host.starts_with('[') {
                format!("[{host}]")
            } else {
                host.to_owned()
            };
            return Err(format!(
                "a port is not a second argument: use HOST:PORT, e.g. {}:{extra}",
                rdpdoctor_render::safe::term_max(&host, QUOTE_CHARS)
            ));
        }
        if self.target.eq_ignore_ascii_case("full")
            && extra.to_ascii_lowercase().starts_with("address:")
        {
            return Err(
                "quote a .rdp line, it has a space: rdpdoctor probe 'full address:s:HOST:PORT'"
                    .to_owned(),
            );
        }
        Err(format!(
            "unexpected argument {} after the target (see rdpdoctor probe --help)",
            quote(extra)
        ))
    }
}

fn positive_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 3600.0 => Ok(v),
        _ => Err("use a number of seconds greater than 0, at most 3600".to_owned()),
    }
}

/// How many characters of what the user typed an error message quotes.
pub const QUOTE_CHARS: usize = 80;

/// `s` in quotes for an error message: control characters escaped, at most
/// [`QUOTE_CHARS`] characters (a 100 KB argument must not become a 100 KB line).
pub fn quote(s: &str) -> String {
    format!("\"{}\"", rdpdoctor_render::safe::term_max(s, QUOTE_CHARS))
}

/// What `main` does with the command line.
pub enum Parsed {
    /// Run this.
    Run(Box<Cli>),
    /// `--help` or `--version` was printed: exit 0.
    Printed,
    /// A usage error, as one line (without the `rdpdoctor: ` prefix).
    Usage(String),
}

/// Parses the command line. Help and version go to stdout as clap writes
/// them; every usage error becomes one line.
pub fn parse(args: Vec<OsString>) -> Parsed {
    use clap::{CommandFactory, FromArgMatches};
    // nmap's spelling of a target list file, `-iL FILE`, as clap's long option.
    let args: Vec<OsString> = args
        .into_iter()
        .map(|a| if a == "-iL" { "--input-list".into() } else { a })
        .collect();
    let mut command = Cli::command();
    // Only `--version` pays for loading the knowledge base to count it.
    if args.iter().skip(1).any(|a| a == "--version" || a == "-V") {
        let version: &'static str = long_version().leak();
        command = command.version(version).long_version(version);
    }
    match command
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => Parsed::Run(Box::new(cli)),
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                // A closed stdout (`--help | head -1`) is not an error.
                let _ = e.print();
                Parsed::Printed
            }
            _ => Parsed::Usage(usage_error(&e, &args)),
        },
    }
}

/// `0.1.0 (knowledge base 2026-11-26, 500 codes, 39 causes)`: the binary's
/// version and that of the knowledge base built into it.
pub fn long_version() -> String {
    let kb = rdpdoctor_kb::kb();
    let lab = if cfg!(feature = "lab") {
        ""
    } else {
        "; built without the lab feature"
    };
    format!(
        "{} (knowledge base {}, {} codes, {} causes{lab})",
        env!("CARGO_PKG_VERSION"),
        rdpdoctor_kb::VERSION,
        kb.codes().len(),
        kb.causes().len()
    )
}

fn context(e: &clap::Error, kind: ContextKind) -> Option<String> {
    let text = match e.get(kind)? {
        ContextValue::None => return None,
        ContextValue::Bool(b) => b.to_string(),
        ContextValue::String(s) => s.clone(),
        ContextValue::Strings(v) => v.join(", "),
        ContextValue::StyledStr(s) => s.to_string(),
        ContextValue::StyledStrs(v) => v
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        ContextValue::Number(n) => n.to_string(),
        _ => return None,
    };
    Some(text)
}

/// The command the user ran, e.g. `rdpdoctor lab serve`, from the
/// arguments (clap's usage line is not in every error).
fn command_path(args: &[OsString]) -> String {
    let mut words = args
        .iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .filter(|a| !a.starts_with('-'));
    match words.next() {
        Some(c @ ("probe" | "inspect" | "explain" | "demo" | "completions" | "man")) => {
            format!("rdpdoctor {c}")
        }
        Some("lab") if words.next() == Some("serve") => "rdpdoctor lab serve".to_owned(),
        Some("lab") => "rdpdoctor lab".to_owned(),
        _ => "rdpdoctor".to_owned(),
    }
}

/// `--format` from "--format <FORMAT>"; `CODE OR TEXT` from "[CODE OR TEXT]...".
fn arg_name(s: &str) -> String {
    let name = if s.starts_with(['<', '[']) {
        s.trim_end_matches('.').trim_matches(['<', '>', '[', ']'])
    } else {
        s.split_whitespace().next().unwrap_or(s)
    };
    rdpdoctor_render::safe::term_max(name, QUOTE_CHARS)
}

/// One line for a clap error: what was wrong, what is accepted, where the
/// help is. User input is quoted with [`quote`].
pub fn usage_error(e: &clap::Error, args: &[OsString]) -> String {
    let cmd = command_path(args);
    let help = format!("see {cmd} --help");
    let arg = context(e, ContextKind::InvalidArg).map(|a| arg_name(&a));
    let value = context(e, ContextKind::InvalidValue);
    let valid = context(e, ContextKind::ValidValue);
    match e.kind() {
        ErrorKind::InvalidValue => {
            let arg = arg.unwrap_or_default();
            let valid = valid
                .map(|v| format!(": use {}", v.replace(", ", " or ")))
                .unwrap_or_default();
            match value.as_deref() {
                None | Some("") => format!("{arg} needs a value{valid}"),
                Some(v) => format!("invalid value {} for {arg}{valid}", quote(v)),
            }
        }
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(e)
                .map(|s| format!(": {}", rdpdoctor_render::safe::line(&s.to_string(), 200)))
                .unwrap_or_default();
            format!(
                "invalid value {} for {}{why}",
                quote(value.as_deref().unwrap_or("")),
                arg.unwrap_or_default()
            )
        }
        ErrorKind::UnknownArgument => {
            let typed = context(e, ContextKind::InvalidArg).unwrap_or_default();
            let hint = match context(e, ContextKind::SuggestedArg) {
                Some(s) => format!(" (did you mean {}?)", arg_name(&s)),
                None if typed.starts_with('-') && cmd == "rdpdoctor explain" => {
                    " (to explain it as text, put -- before it)".to_owned()
                }
                None => String::new(),
            };
            format!(
                "unexpected argument {} for {cmd}{hint} ({help})",
                quote(&typed)
            )
        }
        ErrorKind::InvalidSubcommand => {
            let typed = context(e, ContextKind::InvalidSubcommand).unwrap_or_default();
            let hint = context(e, ContextKind::SuggestedSubcommand)
                .map(|s| format!(" (did you mean {}?)", arg_name(&s)))
                .unwrap_or_default();
            let commands = if cmd == "rdpdoctor lab" {
                "serve"
            } else {
                "probe, explain, demo or lab serve"
            };
            format!(
                "unknown command {}{hint}: use {commands} ({help})",
                quote(&typed)
            )
        }
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            if cmd == "rdpdoctor lab" {
                format!("give a command: rdpdoctor lab serve ({help})")
            } else {
                format!("give a command: probe, explain, demo or lab serve ({help})")
            }
        }
        ErrorKind::MissingRequiredArgument => {
            let missing = context(e, ContextKind::InvalidArg).unwrap_or_default();
            let what = match cmd.as_str() {
                "rdpdoctor probe" if missing.contains("<TARGET>") => {
                    "the host to probe is missing: rdpdoctor probe HOST[:PORT]".to_owned()
                }
                "rdpdoctor explain" => {
                    "nothing to explain: give a code or text, `-` for standard input, or --file FILE"
                        .to_owned()
                }
                _ => format!("missing {}", rdpdoctor_render::safe::line(&missing, 200)),
            };
            format!("{what} ({help})")
        }
        ErrorKind::ArgumentConflict => {
            let prior = context(e, ContextKind::PriorArg)
                .map(|p| arg_name(&p))
                .unwrap_or_default();
            format!(
                "{} cannot be used with {prior} ({help})",
                arg.unwrap_or_default()
            )
        }
        ErrorKind::InvalidUtf8 => format!("an argument is not valid UTF-8 ({help})"),
        _ => {
            // Anything else: clap's first line, without its "error: ".
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("bad usage");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            format!("{} ({help})", rdpdoctor_render::safe::line(first, 200))
        }
    }
}
