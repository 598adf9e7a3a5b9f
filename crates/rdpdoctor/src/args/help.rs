//! The text each command's `--help` prints after its options: examples,
//! what the command checks, and its exit statuses. Data only; `args`
//! attaches each text to its command.

pub const EXIT_CODES: &str = "Examples:
  rdpdoctor probe rdp.example.com
  rdpdoctor scan 10.0.0.0/24                    # many hosts: what fails, grouped by cause
  rdpdoctor inspect /mnt/vmdisk                 # a stopped VM's Windows volume
  rdpdoctor explain 0x904 0x7
  rdpdoctor demo

Exit status (probe; scan: the worst host):
  0  verdict healthy or works-with-warnings (every client connects)
  1  some clients fail, none connects, unreachable, or inconclusive
  2  bad usage or input (a one-line error on stderr)";

pub const COMPLETIONS_HELP: &str = "Examples:
  rdpdoctor completions bash > ~/.local/share/bash-completion/completions/rdpdoctor
  rdpdoctor completions zsh > ~/.zfunc/_rdpdoctor      # with fpath+=(~/.zfunc) before compinit
  rdpdoctor completions fish > ~/.config/fish/completions/rdpdoctor.fish
  rdpdoctor completions powershell | Out-String | Invoke-Expression   # a line for $PROFILE

They come from this binary's own command-line definition: regenerate after an upgrade.";

pub const MAN_HELP: &str = "Examples:
  rdpdoctor man | man -l -
  rdpdoctor man --dir ~/.cargo/share/man/man1     # then: man rdpdoctor-probe";

#[cfg(feature = "lab")]
pub const LAB_HELP: &str = "Examples:
  rdpdoctor lab serve --list
  rdpdoctor lab serve --fault expired-cert=127.0.0.1:13389";

pub const EXPLAIN_HELP: &str = "Examples:
  rdpdoctor explain 0x904 0x7                 # mstsc: Error code + Extended error code
  rdpdoctor explain 2308 7                    # the same, in decimal
  rdpdoctor explain ERRINFO_SERVER_DENIED_CONNECTION
  rdpdoctor explain 'ERRCONNECT_TLS_CONNECT_FAILED [0x00020008]'
  rdpdoctor explain 0x80090302                # SSPI / NTSTATUS
  rdpdoctor explain event 1058
  rdpdoctor explain \"An authentication error has occurred. The function requested is not supported\"
  rdpdoctor explain --format json 0x904 0x7   # options go anywhere
  rdpdoctor explain 0x904 0x7 --format markdown -o ticket.md   # to paste into a ticket
  rdpdoctor explain 0x904 0x7 --brief         # the codes and the causes' titles only
  xclip -o | rdpdoctor explain -              # pasted text or a log on stdin (at most 1 MiB)
  rdpdoctor explain --file freerdp.log        # a log file (at most 1 MiB)

Exit status:
  0  the input was recognised
  2  nothing in the input was recognised, more than 1 MiB of input, or bad usage";

#[cfg(feature = "lab")]
pub const DEMO_HELP: &str =
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

pub const PROBE_HELP: &str =
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
  rdpdoctor probe server01 --gateway rdgw.example.com --user 'CONTOSO\\alice'   # through the RD Gateway, hop by hop
  rdpdoctor probe --rdp-file work.rdp --user 'CONTOSO\\alice'   # as the .rdp file connects (its gateway too)
  rdpdoctor probe server01.contoso.com --realm CONTOSO.COM   # the domain's KDC and its clock too

Credentials (--user): at most one refused authentication per run, never retried and
never looped over passwords or users, so a probe cannot lock an account: the RD
Gateway (--gateway), the server's logon and the KDC (--realm) each get the password
only when none before them refused it. The password comes from a prompt without echo
on a terminal, else from the RDPDOCTOR_PASSWORD environment variable, or from
--password-file FILE (which wins over the variable); never from the command line.
A password file holds the password on its first line: one trailing line end
(\\n or \\r\\n) is removed, anything else (spaces included) is part of the password.
With NLA the check is CredSSP (Kerberos where a KDC is known and knows the target's
TERMSRV SPN, NTLM otherwise, as mstsc chooses) and reports the server's answer;
without NLA the credentials go in a Client Info PDU.

Kerberos (--realm REALM, or on its own): the KDC from --kdc, else SSPI_KDC_URL, else
the realm's kdc lines in krb5.conf (KRB5_CONFIG, else /etc/krb5.conf; on Windows
%ProgramData%\\MIT\\Kerberos5\\krb5.ini), else the realm's DNS SRV records
(_kerberos._tcp.REALM, then _udp). Without --realm, when the server's NTLM names a DNS
domain whose realm has a KDC known from --kdc or krb5.conf, the domain's KDC is
checked too (no SRV lookup; the password only when --user names no other domain),
and the NLA logon uses that KDC as mstsc in the domain would (TCP, else UDP); else
the report says what to pass.

The first lines answer: the verdict, the most likely cause, the fix to try first.

Exit status:
  0  verdict healthy or works-with-warnings (every client connects)
  1  verdict some-clients-fail, no-client-connects, unreachable or inconclusive

  2  bad usage or input: a target that is not a usable name or address is refused
     before anything is sent (IPv4 shorthands such as 10.5, names longer than DNS allows)";

pub const INSPECT_HELP: &str = "Sources, recognised by their content (not their names):
  hive files          SYSTEM, SOFTWARE, a user's NTUSER.DAT (their .LOG1/.LOG2 are applied)
  reg export files    reg export HKLM\\SYSTEM sys.reg (REGEDIT5 UTF-16 or REGEDIT4)
  event logs          .evtx files (wevtutil epl System sys.evtx), or a folder of them
  a Windows volume    the folder holding Windows\\System32 (a stopped VM's disk, mounted)
  packet captures     pcap or pcapng (tcpdump, Wireshark, pktmon etl2pcap): the user's own connection
  --local             the running Windows machine

Examples:
  rdpdoctor inspect /mnt/vm                              # a mounted disk of a stopped VM
  rdpdoctor inspect SYSTEM SOFTWARE System.evtx Security.evtx
  rdpdoctor inspect rdp-settings.reg --since 3d --format json
  rdpdoctor inspect client.pcapng --rdp-file work.rdp   # the user's failing connection, its gateway from the .rdp
  rdpdoctor inspect /mnt/vm --format html -o vm.html    # one self-contained file, no external assets
  rdpdoctor probe server01 --host-evidence /mnt/server01  # the wire and the host together
  rdpdoctor probe server01 --client-local     # on your Windows client: pair its CredSSP policy with the server

The first lines answer: the verdict, the most likely cause, the fix to try first.
A source that cannot be read is named on stderr, one line each; what could be read is used.
When two sources hold the same registry value, the one named first wins (the report
lists the others as overridden).

Exit status:
  0  nothing read stops RDP (warnings may still be listed)
  1  something read stops some or all clients, or the sources say too little to tell
  2  bad usage, or nothing usable in any source";

pub const EXPORTER_HELP: &str =
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

pub const SCAN_HELP: &str = "Examples:
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

#[cfg(feature = "lab")]
pub const SERVE_HELP: &str = "Each fault is played by its own listener, which prints one line:
  fault NAME listening on ADDR
and the command runs until Ctrl-C or SIGTERM. Run `rdpdoctor lab serve --list` for the faults.

Examples:
  rdpdoctor lab serve --fault expired-cert --listen 127.0.0.1:3389
  rdpdoctor lab serve --fault server-denied=127.0.0.1:33960 --fault nla-required=127.0.0.1:33961
  rdpdoctor lab serve --fault clock-skew --skew -2h
  rdpdoctor lab serve --fault expired-cert --ca-cert ca.crt --ca-key ca.key  # clients see 'expired'";
