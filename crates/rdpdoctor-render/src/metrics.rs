//! One probe report and its judgement as Prometheus metrics: the body of the
//! exporter's `/probe` answer, in the text exposition format 0.0.4
//! (<https://prometheus.io/docs/instrumenting/exposition_formats/>).
//!
//! Names follow Prometheus conventions
//! (<https://prometheus.io/docs/practices/naming/>): base units (`_seconds`),
//! `_info` for facts carried by labels (value 1), `_timestamp_seconds` for
//! points in time, `probe_` for what every blackbox-style probe reports. A
//! metric appears only when its evidence exists: no certificate, no
//! `rdp_cert_*`; nothing is a made-up zero. The certificate's end date stays
//! exported once it has passed (blackbox_exporter #1119 drops it).
//!
//! Label values that come from the server (certificate names, NTLM names)
//! are passed through [`crate::safe::term_max`] first: control and bidi
//! characters become visible escapes and the length is capped, so a
//! dashboard shows what the server sent without obeying it. The encoder
//! then escapes backslash, quote and newline as the format requires.

mod gateway;

use crate::safe;
use crate::text::kebab;
use prometheus::proto::{Gauge, LabelPair, Metric, MetricFamily, MetricType};
use rdpdoctor_diagnose::{Judgement, NlaPolicy, SecurityLayer, Verdict};
use rdpdoctor_evidence::{DeepOutcome, PortState, ProbeReport};

/// The most characters of a server-controlled label value.
pub const MAX_LABEL_CHARS: usize = 128;

const HELP_SUCCESS: &str = "1 when an RDP service answered and the host could be judged (see rdp_verdict), 0 when it is unreachable or the probe could not tell.";
const HELP_DURATION: &str = "How long the probe took.";
const HELP_DEADLINE: &str = "1 when the probe's overall deadline cut it short.";

/// Every verdict, for the `rdp_verdict` state set.
const VERDICTS: [Verdict; 6] = [
    Verdict::Healthy,
    Verdict::WorksWithWarnings,
    Verdict::SomeClientsFail,
    Verdict::NoClientConnects,
    Verdict::Unreachable,
    Verdict::Inconclusive,
];

/// Every port state, for the `rdp_port_state` state set.
const PORT_STATES: [PortState; 6] = [
    PortState::Open,
    PortState::Refused,
    PortState::Filtered,
    PortState::Unreachable,
    PortState::AcceptedThenClosed,
    PortState::AcceptedAndSilent,
];

/// The metric families, in the order they are written. A family with no
/// sample (its evidence is missing) is left out.
struct Families(Vec<MetricFamily>);

impl Families {
    fn gauge(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        if !value.is_finite() {
            return;
        }
        let mut g = Gauge::default();
        g.set_value(value);
        let mut m = Metric::from_gauge(g);
        m.set_label(
            labels
                .iter()
                .map(|(k, v)| {
                    let mut p = LabelPair::default();
                    p.set_name((*k).to_owned());
                    p.set_value((*v).to_owned());
                    p
                })
                .collect(),
        );
        match self.0.iter_mut().find(|f| f.name() == name) {
            Some(f) => f.mut_metric().push(m),
            None => {
                let mut f = MetricFamily::default();
                f.set_name(name.to_owned());
                f.set_help(help.to_owned());
                f.set_field_type(MetricType::GAUGE);
                f.set_metric(vec![m]);
                self.0.push(f);
            }
        }
    }

    fn flag(&mut self, name: &str, help: &str, value: bool) {
        self.gauge(name, help, &[], if value { 1.0 } else { 0.0 });
    }
}

/// A server-controlled label value: escapes visible, length capped.
pub fn label_value(s: &str) -> String {
    safe::term_max(s, MAX_LABEL_CHARS)
}

/// True when the probe got far enough to judge the host: an RDP service
/// answered (`probe_success`). A host that answers and that no client can
/// use still counts: the verdict and the findings say what is wrong.
pub fn probe_succeeded(judgement: &Judgement) -> bool {
    !matches!(
        judgement.verdict,
        Verdict::Unreachable | Verdict::Inconclusive
    )
}

/// The metrics of one probe, as Prometheus text exposition format 0.0.4.
pub fn probe_metrics(report: &ProbeReport, judgement: &Judgement) -> String {
    let mut f = Families(Vec::new());
    general(&mut f, report, judgement);
    security(&mut f, report, judgement);
    certificate(&mut f, report);
    credssp(&mut f, report);
    judged(&mut f, report, judgement);
    if let Some(g) = &report.gateway {
        gateway::gateway(&mut f, g);
    }
    encode(&f.0)
}

/// The metrics of a probe that produced no report in time (the exporter's
/// guard fired): it failed, it took `duration_secs`, its deadline was hit.
pub fn cut_short(duration_secs: f64) -> String {
    let mut f = Families(Vec::new());
    f.flag("probe_success", HELP_SUCCESS, false);
    f.gauge("probe_duration_seconds", HELP_DURATION, &[], duration_secs);
    f.flag("rdp_probe_deadline_hit", HELP_DEADLINE, true);
    encode(&f.0)
}

/// The text form of metric families (the encoder fails only on an empty
/// family, which [`Families`] never makes).
pub fn encode(families: &[MetricFamily]) -> String {
    prometheus::TextEncoder::new()
        .encode_to_string(families)
        .unwrap_or_default()
}

fn general(f: &mut Families, r: &ProbeReport, j: &Judgement) {
    f.flag("probe_success", HELP_SUCCESS, probe_succeeded(j));
    f.gauge(
        "probe_duration_seconds",
        HELP_DURATION,
        &[],
        secs(r.timings.total_ms),
    );
    if let Some(ip) = r.addresses.used {
        f.gauge(
            "probe_ip_protocol",
            "The IP version of the address probed (4 or 6).",
            &[],
            if ip.is_ipv4() { 4.0 } else { 6.0 },
        );
    }
    for (stage, ms) in &r.timings.stages_ms {
        f.gauge(
            "rdp_phase_duration_seconds",
            "Wall time of each stage of the probe (dns, tcp, negotiation, tls, credssp, rdp-security, deep).",
            &[("phase", &kebab(stage))],
            secs(*ms),
        );
    }
    f.flag(
        "rdp_probe_deadline_hit",
        HELP_DEADLINE,
        r.timings.ceiling_hit,
    );
    if let Some(tcp) = &r.tcp {
        for s in PORT_STATES {
            f.gauge(
                "rdp_port_state",
                "How the TCP port behaved: 1 for the observed state, 0 for the others.",
                &[("state", &kebab(&s))],
                if tcp.state == s { 1.0 } else { 0.0 },
            );
        }
        if let Some(rtt) = tcp.rtt_ms {
            f.gauge(
                "rdp_tcp_connect_seconds",
                "Median TCP connect time over the samples that connected.",
                &[],
                secs(rtt.median),
            );
        }
    }
}

fn security(f: &mut Families, r: &ProbeReport, j: &Judgement) {
    if let Some(p) = &j.security {
        if p.layer != SecurityLayer::Unknown {
            f.gauge(
                "rdp_security_layer_info",
                "The server's security layer as an admin configures it (rdp, tls, negotiate).",
                &[("layer", &kebab(&p.layer))],
                1.0,
            );
        }
        for proto in &p.selectable {
            f.gauge(
                "rdp_security_protocol_info",
                "A security protocol the server selected for some X.224 request (rdp, ssl, hybrid, hybrid-ex, rdstls, rdsaad).",
                &[("protocol", proto.name())],
                1.0,
            );
        }
        if p.nla != NlaPolicy::Unknown {
            f.flag(
                "rdp_nla_required",
                "1 when the server requires Network Level Authentication (CredSSP), 0 when clients get in without it.",
                p.nla == NlaPolicy::Required,
            );
        }
    }
    if let Some(tls) = &r.tls {
        if let Some(v) = tls.version {
            f.gauge(
                "rdp_tls_info",
                "The TLS version and cipher suite a modern client negotiated.",
                &[
                    ("version", &kebab(&v)),
                    (
                        "cipher_suite",
                        &label_value(tls.cipher_suite.as_deref().unwrap_or("")),
                    ),
                ],
                1.0,
            );
        }
        for v in &tls.versions {
            if let Some(accepted) = v.accepted {
                f.gauge(
                    "rdp_tls_version_accepted",
                    "1 when the server accepts a handshake limited to this TLS version, 0 when it refuses it.",
                    &[("version", &kebab(&v.version))],
                    if accepted { 1.0 } else { 0.0 },
                );
            }
        }
    }
}

fn certificate(f: &mut Families, r: &ProbeReport) {
    let Some(c) = &r.certificate else {
        return;
    };
    f.gauge(
        "rdp_cert_not_after_timestamp_seconds",
        "End of the TLS certificate's validity (Unix time); still exported after it has passed.",
        &[],
        c.not_after_unix as f64,
    );
    f.gauge(
        "rdp_cert_not_before_timestamp_seconds",
        "Start of the TLS certificate's validity (Unix time).",
        &[],
        c.not_before_unix as f64,
    );
    f.flag(
        "rdp_cert_expired",
        "1 when the certificate had expired at the time of the probe.",
        c.expired,
    );
    f.flag(
        "rdp_cert_not_yet_valid",
        "1 when the certificate was not valid yet at the time of the probe.",
        c.not_yet_valid,
    );
    f.flag(
        "rdp_cert_self_signed",
        "1 when the certificate is self-signed.",
        c.self_signed,
    );
    if let Some(m) = c.matches_target {
        f.flag(
            "rdp_cert_name_match",
            "1 when the certificate names the host probed (CN or SAN).",
            m,
        );
    }
    // The key size is a label, not a gauge: a size in bits reads as a data
    // size to Prometheus's linter (base unit bytes), which it is not.
    let key_bits = c.key_bits.map(|b| b.to_string()).unwrap_or_default();
    f.gauge(
        "rdp_cert_info",
        "The certificate's identity: subject common name, issuer, SHA-1 thumbprint (as Windows shows it), key type and size, signature algorithm.",
        &[
            (
                "subject_cn",
                &label_value(c.common_name.as_deref().unwrap_or("")),
            ),
            ("issuer", &label_value(&c.issuer)),
            ("sha1_thumbprint", &label_value(&c.sha1_thumbprint)),
            ("key_type", &label_value(&c.key_type)),
            ("key_bits", &key_bits),
            ("signature_algorithm", &label_value(&c.signature_algorithm)),
        ],
        1.0,
    );
}

fn credssp(f: &mut Families, r: &ProbeReport) {
    if let Some(v) = r.credssp.as_ref().and_then(|c| c.server_version) {
        f.gauge(
            "rdp_credssp_version",
            "The CredSSP TSRequest version the server answered with (below 6 predates the CVE-2018-0886 fix on Windows).",
            &[],
            f64::from(v),
        );
    }
    let Some(n) = &r.ntlm else {
        return;
    };
    if let Some(skew) = n.clock_skew_seconds {
        f.gauge(
            "rdp_clock_skew_seconds",
            "The server's clock (from its NTLM challenge) minus the exporter's; positive when the server is ahead.",
            &[],
            skew as f64,
        );
    }
    let v = |s: &Option<String>| label_value(s.as_deref().unwrap_or(""));
    f.gauge(
        "rdp_ntlm_info",
        "What the server says about itself in its NTLM challenge: computer and domain names, OS version.",
        &[
            ("netbios_computer", &v(&n.netbios_computer_name)),
            ("netbios_domain", &v(&n.netbios_domain_name)),
            ("dns_computer", &v(&n.dns_computer_name)),
            ("dns_domain", &v(&n.dns_domain_name)),
            ("os_version", &v(&n.os_version)),
        ],
        1.0,
    );
}

fn judged(f: &mut Families, r: &ProbeReport, j: &Judgement) {
    if let Some(deep) = &r.deep {
        f.flag(
            "rdp_logon_screen_reached",
            "1 when the connection sequence reached the logon screen (Demand Active), 0 when the server stopped it; only where NLA is not required.",
            deep.outcome == DeepOutcome::LogonScreen,
        );
    }
    if j.server.implementation != rdpdoctor_diagnose::Implementation::Unknown {
        f.gauge(
            "rdp_server_info",
            "The server implementation judged from its wire behaviour, and its version where the wire tells it.",
            &[
                ("implementation", &kebab(&j.server.implementation)),
                ("version", &label_value(j.server.version.as_deref().unwrap_or(""))),
            ],
            1.0,
        );
    }
    for finding in &j.findings {
        f.gauge(
            "rdp_finding",
            "A finding of the probe (stable id, see docs/json-schema.md) with its severity; only findings present are listed.",
            &[
                ("id", finding.id.name()),
                ("severity", finding.severity.name()),
            ],
            1.0,
        );
    }
    for v in VERDICTS {
        f.gauge(
            "rdp_verdict",
            "The verdict on the host: 1 for the verdict reached, 0 for the others.",
            &[("verdict", v.name())],
            if j.verdict == v { 1.0 } else { 0.0 },
        );
    }
}

/// Milliseconds as seconds, to the microsecond (what the probe's clock
/// resolves; `0.03119`, not `0.031190000000000002`).
fn secs(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1_000_000.0
}
