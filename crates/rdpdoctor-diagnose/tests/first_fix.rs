//! The fix to try first, on hand-built evidence of the lab's servers: it is
//! on the side that must change, written for the server implementation the
//! engine identified, and never one that weakens security where a safe one
//! exists (the same expectations as the ground truth's "first fix" columns).

use rdpdoctor_diagnose::context::{ClientId, Environment};
use rdpdoctor_diagnose::server::Implementation;
use rdpdoctor_diagnose::{Context, Evidence, Judgement, Verdict, judge};
use rdpdoctor_evidence::*;
use rdpdoctor_kb::{AppliesTo, Platform};

mod common;
use common::report;

/// Three TCP connects: all accepted (`Open`), or all refused.
fn tcp(state: PortState) -> TcpEvidence {
    let connected = state == PortState::Open;
    TcpEvidence {
        state,
        samples: vec![
            ConnectSample {
                failure_kind: None,
                connected,
                elapsed_ms: 0.3,
                error: (!connected).then(|| "connection refused".to_owned()),
            };
            3
        ],
        rtt_ms: Stats::of(if connected { &[0.3, 0.3, 0.3] } else { &[] }),
        failures: if connected { 0 } else { 3 },
        first_response: None,
        other_protocol: None,
    }
}

fn open_report() -> ProbeReport {
    let mut r = report();
    r.tcp = Some(tcp(PortState::Open));
    r
}

fn sel(bits: u32, flags: u8) -> NegotiationOutcome {
    NegotiationOutcome::Selected {
        protocol: ProtocolSet::from_bits(Some(bits)),
        flags,
        flag_names: vec![],
    }
}

fn failure(code: u32, name: &str) -> NegotiationOutcome {
    NegotiationOutcome::Failure {
        code,
        name: Some(name.into()),
    }
}

fn neg(rows: Vec<(Option<u32>, NegotiationOutcome)>) -> NegotiationEvidence {
    NegotiationEvidence {
        attempts: rows
            .into_iter()
            .map(|(b, o)| NegotiationAttempt {
                requested: ProtocolSet::from_bits(b),
                outcome: o,
                connect_ms: 1.0,
                answer_ms: 1.0,
            })
            .collect(),
    }
}

fn tls(accepted: &[TlsVersion]) -> TlsEvidence {
    let best = [TlsVersion::Tls13, TlsVersion::Tls12]
        .into_iter()
        .find(|v| accepted.contains(v));
    TlsEvidence {
        failure_kind: None,
        via: Protocol::Ssl,
        version: best,
        cipher_suite: None,
        error: None,
        failure: None,
        versions: [
            TlsVersion::Tls10,
            TlsVersion::Tls11,
            TlsVersion::Tls12,
            TlsVersion::Tls13,
        ]
        .into_iter()
        .map(|version| TlsVersionResult {
            failure_kind: None,
            version,
            accepted: Some(accepted.contains(&version)),
            cipher_suite: None,
            detail: (!accepted.contains(&version))
                .then(|| "alert 70 (protocol_version)".to_owned()),
            elapsed_ms: Some(2.0),
            secure_renegotiation: None,
        })
        .collect(),
    }
}

fn cert(days_left: i64, self_signed: bool) -> CertificateFacts {
    let mut c = common::cert(days_left);
    c.self_signed = self_signed;
    c
}

/// xrdp with `security_layer=tls`: it answers a request it cannot serve with
/// an MCS Disconnect Provider Ultimatum.
fn xrdp_tls(accepted: &[TlsVersion]) -> ProbeReport {
    let mut r = open_report();
    let ultimatum = || NegotiationOutcome::Disconnected {
        reason: "rn-user-requested".into(),
    };
    r.negotiation = Some(neg(vec![
        (Some(0), failure(1, "SSL_REQUIRED_BY_SERVER")),
        (Some(1), sel(1, 0)),
        (Some(2), ultimatum()),
        (Some(3), sel(1, 0)),
        (None, ultimatum()),
    ]));
    r.tls = Some(tls(accepted));
    r.certificate = Some(cert(300, false));
    r
}

fn judged(r: &ProbeReport, ctx: &Context) -> Judgement {
    judge(&Evidence::wire(r), ctx)
}

fn first(j: &Judgement) -> &rdpdoctor_kb::Fix {
    &j.diagnosis
        .first_fix
        .as_ref()
        .unwrap_or_else(|| panic!("no fix to try first: {}", j.diagnosis.headline))
        .fix
}

/// Windows' commands (reg, wmic, w32tm, PowerShell's Verb-Noun cmdlets,
/// Windows consoles), which are no fix for a server that is not Windows.
fn windows_command(f: &rdpdoctor_kb::Fix) -> bool {
    let text = format!(
        "{} {}",
        f.command.as_deref().unwrap_or(""),
        f.path.as_deref().unwrap_or("")
    );
    let lower = text.to_lowercase();
    let cmdlet = |w: &str| {
        let mut parts = w.split('-');
        let starts_upper = |p: Option<&str>| {
            p.and_then(|p| p.chars().next())
                .is_some_and(|c| c.is_ascii_uppercase())
        };
        starts_upper(parts.next()) && starts_upper(parts.next())
    };
    [
        "reg ", "reg.exe", "wmic", "w32tm", "hklm", "gpedit", "certlm", ".msc",
    ]
    .iter()
    .any(|w| lower.contains(w))
        || text.split_whitespace().any(cmdlet)
}

/// The client table's row for one profile.
fn prediction<'a>(j: &'a Judgement, id: &str) -> &'a rdpdoctor_diagnose::clients::ClientPrediction {
    j.diagnosis.clients.iter().find(|c| c.client == id).unwrap()
}

fn client(c: ClientId) -> Context {
    Context {
        clients: vec![c],
        ..Context::default()
    }
}

#[test]
fn a_tls13_only_xrdp_is_fixed_on_the_server_in_xrdp_ini() {
    let r = xrdp_tls(&[TlsVersion::Tls13]);
    let j = judged(&r, &Context::default());
    assert_eq!(j.server.implementation, Implementation::Xrdp);
    assert_eq!(j.verdict, Verdict::SomeClientsFail);
    let f = first(&j);
    assert_eq!(f.side, AppliesTo::Server, "{f:#?}");
    assert_eq!(f.platform, Some(Platform::Xrdp), "{f:#?}");
    assert!(
        f.command
            .as_deref()
            .unwrap_or("")
            .contains("TLSv1.2, TLSv1.3"),
        "{f:#?}"
    );
    assert!(!f.weakens_security);
    // The client table says the same side.
    let win10 = prediction(&j, "mstsc-win10");
    let says = win10.fix.as_deref().unwrap_or("");
    assert!(
        says.contains("on the server") && says.contains("ssl_protocols"),
        "{says}"
    );
    // Enabling TLS 1.0 or TLS 1.2 on a client does nothing here: it is
    // never offered before the server's fix.
    let tls_cause = &j.diagnosis.causes[0];
    let server_at = tls_cause
        .fixes
        .iter()
        .position(|x| x.id == "xrdp-enable-tls12")
        .unwrap();
    for (i, x) in tls_cause.fixes.iter().enumerate() {
        if x.weakens_security || x.id == "enable-tls12-client" {
            assert!(i > server_at, "{} before the server's fix", x.id);
        }
    }
    // Windows server fixes and confirm steps are gone for xrdp.
    assert!(
        tls_cause
            .fixes
            .iter()
            .all(|x| x.id != "enable-tls12-server")
    );
    assert!(
        tls_cause
            .confirm
            .iter()
            .all(|s| !s.command.as_deref().unwrap_or("").contains("reg query")),
        "{:#?}",
        tls_cause.confirm
    );
    // The user on Windows 10 is told the same: the server must change.
    let j = judged(&r, &client(ClientId::MstscWin10));
    assert_eq!(first(&j).side, AppliesTo::Server);
    assert_eq!(first(&j).id, "xrdp-enable-tls12");
}

#[test]
fn a_tls13_only_windows_server_gets_the_schannel_server_key() {
    let mut r = xrdp_tls(&[TlsVersion::Tls13]);
    // Windows: RDP_NEG_RSP with the restricted-admin flag, failure codes.
    r.negotiation = Some(neg(vec![
        (Some(0), failure(1, "SSL_REQUIRED_BY_SERVER")),
        (Some(1), sel(1, 0x1f)),
        (Some(2), sel(2, 0x1f)),
        (Some(3), sel(2, 0x1f)),
        (None, failure(1, "SSL_REQUIRED_BY_SERVER")),
    ]));
    let j = judged(&r, &client(ClientId::MstscWin10));
    assert_eq!(j.server.implementation, Implementation::Windows);
    let f = first(&j);
    assert_eq!(f.id, "enable-tls12-server", "{f:#?}");
    assert_eq!(f.side, AppliesTo::Server);
    assert!(f.command.as_deref().unwrap_or("").contains("SCHANNEL"));
}

#[test]
fn a_client_that_connects_is_not_told_it_has_no_tls_in_common() {
    // Windows 11 speaks TLS 1.3: the client table says it connects, so the
    // head must not blame a TLS mismatch for it. xrdp's certificate is
    // self-signed, so it connects after a prompt.
    let mut r = xrdp_tls(&[TlsVersion::Tls13]);
    r.certificate = Some(cert(300, true));
    let j = judged(&r, &client(ClientId::MstscWin11));
    let win11 = prediction(&j, "mstsc-win11");
    assert_eq!(win11.verdict, rdpdoctor_diagnose::clients::Verdict::Warns);
    assert_eq!(j.verdict, Verdict::WorksWithWarnings);
    assert!(
        !j.diagnosis.headline.contains("No TLS version"),
        "{}",
        j.diagnosis.headline
    );
    assert_ne!(j.diagnosis.causes[0].id, "tls-version-or-cipher-mismatch");
}

#[test]
fn an_expired_certificate_is_renewed_on_the_server_it_is_on() {
    let mut r = xrdp_tls(&[TlsVersion::Tls12, TlsVersion::Tls13]);
    r.certificate = Some(cert(-30, false));
    let j = judged(&r, &Context::default());
    assert_eq!(j.diagnosis.causes[0].id, "rdp-cert-expired");
    let f = first(&j);
    assert_eq!(
        (f.side, f.platform),
        (AppliesTo::Server, Some(Platform::Xrdp))
    );
    assert!(!windows_command(f), "{f:#?}");
    assert!(
        j.diagnosis.causes[0].confirm.iter().any(|s| s
            .command
            .as_deref()
            .unwrap_or("")
            .contains("/etc/xrdp")),
        "xrdp's own confirm step"
    );
    // The same certificate on Windows: the Windows fix, Azure's on Azure.
    r.negotiation = Some(neg(vec![
        (Some(0), failure(1, "SSL_REQUIRED_BY_SERVER")),
        (Some(1), sel(1, 0x1f)),
        (Some(2), failure(5, "HYBRID_REQUIRED_BY_SERVER")),
        (Some(3), sel(1, 0x1f)),
        (None, failure(1, "SSL_REQUIRED_BY_SERVER")),
    ]));
    let j = judged(&r, &Context::default());
    assert_eq!(j.server.implementation, Implementation::Windows);
    let f = first(&j);
    assert_eq!(
        (f.side, f.server_platform()),
        (AppliesTo::Server, Some(Platform::Windows))
    );
    // On Azure with a self-signed certificate, Run Command's ResetRDPCert
    // also turns TLS off: a safe fix goes first, ResetRDPCert after it.
    r.certificate = Some(cert(-30, true));
    let azure = Context {
        environment: Some(Environment::Azure),
        ..Context::default()
    };
    let j = judged(&r, &azure);
    let f = first(&j);
    assert!(!f.weakens_security, "{f:#?}");
    assert!(
        j.diagnosis.causes[0]
            .fixes
            .iter()
            .any(|x| x.id == "renew-self-signed-rdp-cert-azure"),
        "Run Command is still offered on Azure"
    );
}

/// xrdp with `security_layer=rdp`: PROTOCOL_RDP for every request, 128-bit
/// RC4 at the given level.
fn xrdp_rdp(level: EncryptionLevel) -> ProbeReport {
    let mut r = open_report();
    r.negotiation = Some(neg(vec![
        (Some(0), sel(0, 0)),
        (Some(1), sel(0, 0)),
        (Some(2), sel(0, 0)),
        (Some(3), sel(0, 0)),
        (None, NegotiationOutcome::NoNegotiationData),
    ]));
    r.rdp_security = Some(RdpSecurityEvidence {
        offers: vec![RdpSecurityOffer {
            offered: vec![EncryptionMethod::Bits128],
            offered_bits: 0x02,
            outcome: RdpSecurityOutcome::Accepted {
                encryption_method: EncryptionMethod::Bits128,
                encryption_level: level,
            },
        }],
        encryption_level: Some(level),
        server_rdp_version: None,
        server_rdp_version_name: None,
        server_certificate: Some("proprietary".into()),
        server_key_bits: Some(512),
        server_certificate_permanent: None,
    });
    r
}

#[test]
fn xfreerdp2_is_not_told_to_force_a_mode_its_prediction_says_fails() {
    let r = xrdp_rdp(EncryptionLevel::High);
    let j = judged(&r, &client(ClientId::Xfreerdp2));
    assert_eq!(j.server.implementation, Implementation::Xrdp);
    let xf = prediction(&j, "xfreerdp2");
    assert_eq!(xf.modes.get(&Protocol::Rdp).copied().flatten(), Some(false));
    // mstsc connects after a prompt; what it needs is said for xrdp.
    let j_all = judged(&r, &Context::default());
    let mstsc = prediction(&j_all, "mstsc-win11");
    assert!(
        mstsc.fix.as_deref().unwrap_or("").contains("xrdp.ini"),
        "{:?}",
        mstsc.fix
    );
    let f = first(&j);
    assert!(
        !f.command.as_deref().unwrap_or("").contains("/sec:rdp"),
        "{f:#?}"
    );
    assert_eq!(
        (f.side, f.platform),
        (AppliesTo::Server, Some(Platform::Xrdp))
    );
    let cause = &j.diagnosis.causes[0];
    assert!(cause.fixes.iter().all(|x| x.id != "xfreerdp-sec-rdp"));
    assert!(
        cause
            .confirm
            .iter()
            .all(|s| !s.command.as_deref().unwrap_or("").contains("reg query")),
        "{:#?}",
        cause.confirm
    );
}

/// IronRDP closes requests it does not serve without an RDP_NEG_FAILURE.
fn ironrdp_tls() -> ProbeReport {
    let mut r = open_report();
    r.negotiation = Some(neg(vec![
        (Some(0), NegotiationOutcome::Closed),
        (Some(1), sel(1, 0x01)),
        (Some(2), NegotiationOutcome::Closed),
        (Some(3), sel(1, 0x01)),
        (None, NegotiationOutcome::Closed),
    ]));
    r.tls = Some(tls(&[TlsVersion::Tls12, TlsVersion::Tls13]));
    r
}

#[test]
fn ironrdp_gets_no_windows_command_first() {
    for (days, self_signed) in [(-5, false), (300, true), (-5, true)] {
        let mut r = ironrdp_tls();
        let mut c = cert(days, self_signed);
        c.matches_target = Some(!self_signed);
        r.certificate = Some(c);
        let j = judged(&r, &Context::default());
        assert_eq!(j.server.implementation, Implementation::Ironrdp);
        let Some(ff) = &j.diagnosis.first_fix else {
            continue;
        };
        assert!(!windows_command(&ff.fix), "{:#?}", ff.fix);
        if ff.fix.side == AppliesTo::Server {
            assert_eq!(ff.fix.platform, Some(Platform::Ironrdp), "{:#?}", ff.fix);
        }
        for c in &j.diagnosis.causes {
            assert!(
                c.fixes.iter().all(|f| f.server_platform().is_none()
                    || f.server_platform() == Some(Platform::Ironrdp)),
                "{}: {:#?}",
                c.id,
                c.fixes
            );
        }
    }
    // An expired certificate: the KB has no fix for IronRDP's server, and
    // the fix to try first says so instead of offering Windows'.
    let mut r = ironrdp_tls();
    r.certificate = Some(cert(-5, false));
    let j = judged(&r, &Context::default());
    let f = first(&j);
    assert!(f.title.starts_with("no fix known for IronRDP"), "{f:#?}");
}

/// FreeRDP's shadow server: flags 0x03, winpr's NTLM version, NLA required,
/// and here a clock two years ahead.
#[test]
fn freerdp_shadow_with_a_wrong_clock_is_fixed_on_its_linux_host() {
    let mut r = open_report();
    r.negotiation = Some(neg(vec![
        (Some(0), failure(5, "HYBRID_REQUIRED_BY_SERVER")),
        (Some(1), failure(5, "HYBRID_REQUIRED_BY_SERVER")),
        (Some(2), sel(2, 0x03)),
        (Some(3), sel(2, 0x03)),
        (None, failure(5, "HYBRID_REQUIRED_BY_SERVER")),
    ]));
    r.tls = Some(tls(&[TlsVersion::Tls12, TlsVersion::Tls13]));
    r.certificate = Some(cert(300, false));
    r.ntlm = Some(NtlmFacts {
        os_version: Some("6.1.7601".into()),
        clock_skew_seconds: Some(2 * 365 * 86_400),
        ..Default::default()
    });
    let j = judged(&r, &Context::default());
    assert_eq!(j.server.implementation, Implementation::Freerdp);
    let clock = j
        .diagnosis
        .causes
        .iter()
        .find(|c| c.id == "clock-skew")
        .expect("the clock is a cause");
    let f = clock.fixes.first().unwrap();
    assert_eq!(
        (f.side, f.platform),
        (AppliesTo::Server, Some(Platform::Freerdp))
    );
    assert!(!windows_command(f), "{f:#?}");
    assert!(
        clock
            .confirm
            .iter()
            .all(|s| !s.command.as_deref().unwrap_or("").contains("w32tm /query")),
        "{:#?}",
        clock.confirm
    );
    if let Some(ff) = &j.diagnosis.first_fix {
        assert!(!windows_command(&ff.fix), "{:#?}", ff.fix);
    }
}

#[test]
fn a_weak_certificate_is_replaced_on_xrdp_and_a_wrong_name_is_fixed_by_the_client() {
    // RSA 1024 signed with SHA-1: clients refuse it; connecting by another
    // name changes nothing, the certificate must change on the server.
    let mut r = xrdp_tls(&[TlsVersion::Tls12, TlsVersion::Tls13]);
    let mut c = cert(300, false);
    c.key_bits = Some(1024);
    c.signature_algorithm = "sha1WithRSAEncryption".into();
    c.signature_oid = "1.2.840.113549.1.1.5".into();
    r.certificate = Some(c);
    let j = judged(&r, &Context::default());
    assert_eq!(j.diagnosis.causes[0].id, "cert-untrusted-or-name-mismatch");
    let f = first(&j);
    assert_eq!(f.id, "xrdp-deploy-ca-cert", "{f:#?}");
    assert_eq!(
        (f.side, f.platform),
        (AppliesTo::Server, Some(Platform::Xrdp))
    );
    // A good certificate for another name: the least invasive fix is the
    // client's, connecting with the name on the certificate.
    let mut c = cert(300, false);
    c.matches_target = Some(false);
    r.certificate = Some(c);
    let j = judged(&r, &Context::default());
    let f = first(&j);
    assert_eq!(f.id, "connect-by-cert-name", "{f:#?}");
    assert_eq!(f.side, AppliesTo::Client);
}

#[test]
fn the_fix_to_try_first_reaches_a_vm_the_way_its_host_allows() {
    // Nothing listens: RDP is no way in to fix it.
    let mut r = report();
    r.tcp = Some(tcp(PortState::Refused));
    let on = |environment| Context {
        environment,
        ..Context::default()
    };
    let plain = judged(&r, &on(None));
    let cause = plain.diagnosis.causes[0].id.clone();
    let first_id = |j: &Judgement| first(j).id.clone();
    assert!(
        !first_id(&plain).ends_with("-hyper-v"),
        "{}",
        first_id(&plain)
    );
    let hv = judged(&r, &on(Some(Environment::HyperV)));
    assert_eq!(hv.diagnosis.causes[0].id, cause);
    let f = first(&hv);
    assert!(f.id.ends_with("-hyper-v"), "{f:#?}");
    assert!(
        f.command.as_deref().unwrap_or("").contains("-VMName"),
        "{f:#?}"
    );
    let vm = judged(&r, &on(Some(Environment::Vmware)));
    let f = first(&vm);
    assert!(f.id.ends_with("-vmware"), "{f:#?}");
    assert!(
        f.command
            .as_deref()
            .unwrap_or("")
            .contains("Invoke-VMScript")
    );
    // Elsewhere a hypervisor's way in is no fix at all.
    let az = judged(&r, &on(Some(Environment::Azure)));
    for c in &az.diagnosis.causes {
        assert!(
            c.fixes.iter().all(|f| f.on.is_none()),
            "{}: {:#?}",
            c.id,
            c.fixes
        );
    }
}
