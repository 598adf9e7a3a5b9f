//! The rules: which finding points at which cause, and how strongly.
//!
//! This table is the one place where probe evidence meets the knowledge base.
//! A weight is how much one finding says about one cause: 1.0 when the finding
//! is that cause (an expired certificate *is* the expired-certificate cause),
//! less when it is one of several explanations, and small when it only adds
//! context. The KB's `ruled_out_by` lists, applied in `lib.rs`, supply the
//! evidence against.
//!
//! Finding ids and cause ids are checked by tests: every id here must exist.

/// One rule: `finding` counts `weight` towards `cause`, for the reason `why`.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// A finding id (rdpdoctor-evidence).
    pub finding: &'static str,
    /// A cause id (rdpdoctor-kb).
    pub cause: &'static str,
    /// How much the finding says about the cause (0..1).
    pub weight: f64,
    /// Why, in a few words a reader can check.
    pub why: &'static str,
}

const fn r(finding: &'static str, cause: &'static str, weight: f64, why: &'static str) -> Rule {
    Rule {
        finding,
        cause,
        weight,
        why,
    }
}

/// The rule table, one rule per line.
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    // Reachability.
    r("dns-failure", "name-resolution", 1.0, "the name does not resolve"),
    r("port-closed", "port-closed-or-service-stopped", 1.0, "the port answers with a reset: nothing listens"),
    r("port-closed", "remote-desktop-disabled", 0.6, "a disabled Remote Desktop closes the listener"),
    r("port-filtered", "firewall-or-public-network-profile", 1.0, "SYNs go unanswered: a firewall drops them"),
    r("port-filtered", "host-offline-or-unroutable", 0.6, "a host that is down does not answer either"),
    r("host-unreachable", "host-offline-or-unroutable", 0.8, "an ICMP unreachable came back"),
    r("host-unreachable", "firewall-or-public-network-profile", 0.8, "firewalls reject with ICMP too"),
    r("host-unreachable/fast", "firewall-or-public-network-profile", 0.2, "the ICMP error came at once: a firewall or router rejects on purpose"),
    r("host-unreachable/slow", "host-offline-or-unroutable", 0.2, "the ICMP error came after seconds: no host answered ARP"),
    r("connection-closed-by-server", "endpoint-protection-interference", 0.8, "the connection is accepted, then cut before any RDP answer"),
    r("connection-closed-by-server", "too-many-pending-connections", 0.6, "a saturated listener drops new connections"),
    r("connection-closed-by-server", "rdp-cert-private-key-broken", 0.3, "a listener that cannot load its key fails early"),
    r("server-silent", "too-many-pending-connections", 0.8, "the connection is accepted and never served"),
    r("server-silent", "endpoint-protection-interference", 0.7, "an inspecting proxy or endpoint agent holds the connection"),
    r("server-silent", "firewall-or-public-network-profile", 0.2, "some middleboxes accept and black-hole"),
    r("slow-server", "too-many-pending-connections", 0.5, "the listener answers slowly although TCP is fast"),
    r("slow-server", "endpoint-protection-interference", 0.3, "an inspecting filter delays the handshake"),
    r("slow-server", "session-host-fault", 0.3, "an overloaded server answers late"),
    r("not-rdp", "port-used-by-other-service", 1.0, "another protocol answers on the port"),
    r("unstable-network", "unstable-network", 0.7, "connects fail or stall intermittently"),
    // Security negotiation.
    r("tls-required", "server-requires-tls", 0.5, "the server refuses Standard RDP Security"),
    r("rdp-security-only", "server-forces-rdp-security", 0.7, "the server only speaks Standard RDP Security"),
    r("nla-not-offered", "nla-not-offered-client-insists", 0.3, "the server never selects NLA: clients that insist on it fail"),
    r("nla-required", "nla-required-client-lacks", 0.6, "the server refuses clients without NLA"),
    r("ssl-cert-not-on-server", "ssl-cert-not-on-server", 1.0, "the server says it has no certificate"),
    r("ssl-cert-not-on-server", "rdp-cert-private-key-broken", 0.7, "the usual reason Windows cannot load its certificate"),
    // TLS and the certificate.
    r("tls-handshake-failed", "rdp-cert-private-key-broken", 0.4, "the server selects TLS but cannot complete it"),
    r("tls-handshake-failed", "tls-version-or-cipher-mismatch", 0.3, "no TLS version or cipher in common"),
    r("tls-handshake-failed", "endpoint-protection-interference", 0.3, "a middlebox can cut the handshake"),
    r("tls-handshake-failed/no-answer", "endpoint-protection-interference", 0.6, "the ClientHello is never answered: something on the path swallows it"),
    r("tls-handshake-failed/no-answer", "unstable-network", 0.5, "a VPN or link with a broken MTU drops the large handshake packets"),
    r("tls-handshake-failed/reset", "rdp-cert-private-key-broken", 0.5, "the server resets the handshake: it cannot use its certificate's key"),
    r("tls-handshake-failed/closed", "rdp-cert-private-key-broken", 0.4, "the server gives up on the handshake"),
    r("tls-handshake-failed/alert", "tls-version-or-cipher-mismatch", 0.7, "the server answers with a TLS alert: no version or cipher in common"),
    r("tls-legacy-only", "tls-version-or-cipher-mismatch", 1.0, "current clients have TLS 1.0/1.1 disabled"),
    r("tls13-only", "tls-version-or-cipher-mismatch", 0.6, "older Windows clients cannot speak TLS 1.3"),
    r("tls-legacy-enabled", "tls-version-or-cipher-mismatch", 0.1, "legacy TLS is still on"),
    r("cert-expired", "rdp-cert-expired", 1.0, "the certificate is past its end date"),
    r("cert-expires-soon", "rdp-cert-expired", 0.3, "the certificate expires within 30 days"),
    r("cert-not-yet-valid", "clock-skew", 1.0, "the certificate's start date is in the future: a clock is wrong"),
    r("cert-name-mismatch", "cert-untrusted-or-name-mismatch", 0.6, "the certificate names another host"),
    r("cert-weak-signature", "cert-untrusted-or-name-mismatch", 0.4, "current clients distrust SHA-1/MD5 signatures"),
    r("cert-weak-key", "cert-untrusted-or-name-mismatch", 0.4, "current clients refuse short RSA keys"),
    r("cert-self-signed", "cert-untrusted-or-name-mismatch", 0.1, "self-signed: clients ask the user to trust it"),
    // CredSSP and clocks.
    r("credssp-unpatched", "credssp-encryption-oracle", 1.0, "the server's CredSSP predates the CVE-2018-0886 fix"),
    r("clock-skew", "clock-skew", 0.8, "the server's clock is off by more than 5 minutes"),
    // Standard RDP Security.
    r("fips-required", "fips-required", 1.0, "the server requires FIPS encryption"),
    r("rdp-encryption-weak", "server-forces-rdp-security", 0.1, "weak Standard RDP Security encryption is accepted"),
    // The deep probe.
    r("server-denied-connection", "user-not-allowed", 1.0, "the server sent ERRINFO_SERVER_DENIED_CONNECTION"),
    r("licensing-error", "rds-licensing", 1.0, "the server sent a licensing error"),
    r("server-error-info", "session-host-fault", 0.6, "the server ended the connection sequence with an error"),
];
