#!/usr/bin/env bash
# Install what the lab (lab/up.sh) and the Rust build/tests need on Debian 12.
# Idempotent: installs only missing packages, and runs `apt-get update` once, only
# when something has to be installed. Needs root (CI and dev machines run as root).
set -euo pipefail

PACKAGES=(
    xrdp                # RDP server: rdp/tls/negotiate security, no NLA
    freerdp2-x11        # xfreerdp, the reference client (lab/xfreerdp.sh)
    freerdp2-shadow-x11 # freerdp-shadow-cli: the NLA server
    winpr-utils         # winpr-hash: SAM file for the shadow server's NTLM check
    xvfb                # X display for the shadow server and for xfreerdp
    faketime            # libfaketime: server clock skew, expired self-signed cert
    nmap                # rdp-ntlm-info / rdp-enum-encryption cross-checks
    nftables            # drop/reject rules inside netns rdplab-s
    iproute2            # ip netns, veth
    openssl             # lab CA and certificates
    python3             # lab/fakesrv.py, lab/check.py
    procps              # ps/pgrep/pkill for debugging and tests
    util-linux          # flock, setsid (essential, listed for clarity)
    ca-certificates
    libssl-dev          # the Rust openssl crate links against system OpenSSL
    pkg-config          # ... and finds it with pkg-config
    libopus-dev         # IronRDP's example server links libopus (lab/build-ironrdp.sh)
    libhivex-bin        # hivexget: the independent hive reader the host tests check with
    libwin-hivex-perl   # hivexregedit --merge: writes the host tests' fault variants into hive copies
    xz-utils            # xz -dc: the hive fixtures are xz-compressed
    man-db              # man -l: tests/install.rs renders the generated manual pages
    groff-base          # ... with groff, warnings on
    zsh                 # zsh -n / fish --no-execute: tests/install.rs checks the
    fish                # ... completion scripts rdpdoctor generates
    wine                # runs the Windows .exe in tests/lab_wine.rs (the `wine` command)
    wine64              # ... its 64-bit loader (the .exe is x86_64)
    chromium            # tests/browser.rs loads the HTML reports headless and reads the DOM
    prometheus          # a real Prometheus scraping `rdpdoctor exporter` (tests/lab_exporter.rs); promtool
    curl                # bench/exporter-load.sh: 200 concurrent /probe requests
    tshark              # rdpdoctor-wire/tests/zeek_captures.rs: ServerHello extensions of the recorded captures
    tcpdump             # tests/lab_capture.rs: records xfreerdp's own connections for inspect CAPTURE
    gnutls-bin          # gnutls-serv: a TLS 1.0 server without secure renegotiation (tests/recorded_servers.rs)
    krb5-kdc            # krb5kdc, kdb5_util: the throwaway realm of the Kerberos tests (testkit kdc.rs)
    krb5-admin-server   # kadmin.local: its principals and the TERMSRV keytab
    krb5-user           # kinit, kvno: each KDC state checked with MIT's own tools
    dnsmasq-base        # dnsmasq: the realm's DNS SRV records inside a test's namespace (lab_kerberos_srv)
)

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
apt_install_missing lab/install.sh "${PACKAGES[@]}"

# xrdp reads /etc/xrdp/rsakeys.ini whatever --config says (Standard RDP Security
# keys). The package's postinst makes it, but a half-configured install may not.
if [[ ! -s /etc/xrdp/rsakeys.ini ]]; then
    echo "lab/install.sh: generating /etc/xrdp/rsakeys.ini"
    xrdp-keygen xrdp auto
fi

# Fail here, not later in up.sh, if a package did not bring what we use.
for cmd in /usr/sbin/xrdp xfreerdp freerdp-shadow-cli winpr-hash Xvfb faketime nmap \
    nft ip openssl /usr/bin/python3 flock setsid pkg-config wine wineboot chromium prometheus promtool curl tshark gnutls-serv tcpdump /usr/sbin/dnsmasq; do
    command -v "$cmd" >/dev/null || {
        echo "lab/install.sh: ERROR: $cmd not found after install" >&2
        exit 1
    }
done

# IronRDP's example server (ironrdp-* scenarios): built once per machine into a cache
# outside the repository (2-8 min cold, see lab/README.md), a no-op when it is there.
bash "$(dirname "${BASH_SOURCE[0]}")/build-ironrdp.sh"
