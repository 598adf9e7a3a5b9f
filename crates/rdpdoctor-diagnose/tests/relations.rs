//! The finding → cause relation (KB data) and the ranking on hand-built findings.

use rdpdoctor_diagnose::{Confidence, Finding, FindingId, Qualifier, Severity, rank_findings};

fn f(id: FindingId, severity: Severity) -> Finding {
    Finding {
        id,
        severity,
        summary: format!("{id} seen"),
        qualifier: None,
        evidence: Default::default(),
    }
}

fn top(findings: &[Finding], error: Option<&str>) -> String {
    rank_findings(findings, error)
        .unwrap()
        .first()
        .map(|c| c.id.clone())
        .unwrap_or_default()
}

/// The one written relation agrees with the engine's vocabulary: every
/// finding, qualifier and ruling it names exists, weights are in 0..=1, and
/// every finding that is not purely informational points at some cause.
#[test]
fn every_relation_names_a_real_finding_qualifier_and_cause() {
    let kb = rdpdoctor_kb::kb();
    let qualifiers: Vec<&str> = Qualifier::ALL.iter().map(|q| q.name()).collect();
    for c in kb.causes() {
        for r in &c.evidence {
            assert!(
                FindingId::from_name(&r.finding).is_some(),
                "{}: unknown finding {}",
                c.id,
                r.finding
            );
            if let Some(q) = &r.qualifier {
                assert!(
                    qualifiers.contains(&q.as_str()),
                    "{}: unknown qualifier {q}",
                    c.id
                );
            }
            assert!(
                (0.0..=1.0).contains(&r.weight),
                "{}: weight {}",
                c.id,
                r.weight
            );
            assert!(!r.why.trim().is_empty(), "{}: relation without a why", c.id);
        }
        for ruling in &c.ruled_out_by {
            assert!(
                FindingId::from_name(ruling).is_some(),
                "{}: ruled out by unknown finding {ruling}",
                c.id
            );
        }
    }
    let informational = [
        FindingId::NlaOptional,
        FindingId::ClockInSync,
        FindingId::LogonSucceeded,
        FindingId::LogonNotChecked,
        // The client's logged disconnect reasons point wherever their code
        // does: the summary decodes them (`rdpdoctor explain` ranks them).
        FindingId::EventClientDisconnect,
        // Says the evidence may not be of this machine: no cause of its own.
        FindingId::HostWireDisagree,
        // Both ends have the CredSSP update: rules the mismatch out.
        FindingId::CredsspPairAllowed,
        // `--realm`: the healthy answers of the KDC.
        FindingId::KerberosKdcReachable,
        FindingId::KerberosDcClockInSync,
        // The domain controller accepted the password: rules wrong
        // credentials out.
        FindingId::KerberosPasswordAccepted,
        // Says a hop of the connection was not probed: no cause of its own.
        FindingId::RdpFileGatewayNotProbed,
        // The gateway opened its channel: nothing to fix there.
        FindingId::GatewayChannelOpened,
        // The UDP side channel answers: rules its blocking out.
        FindingId::GatewayUdpReachable,
    ];
    for id in FindingId::ALL {
        let covered = kb
            .causes()
            .iter()
            .any(|c| c.evidence.iter().any(|r| r.finding == id.name()));
        assert!(
            covered || informational.contains(id),
            "no cause for finding {id}"
        );
    }
}

#[test]
fn every_fix_is_for_real_findings_of_its_own_cause() {
    for c in rdpdoctor_kb::kb().causes() {
        for fix in &c.fixes {
            for f in &fix.for_findings {
                assert!(
                    FindingId::from_name(f).is_some(),
                    "fix {} is for unknown finding {f}",
                    fix.id
                );
                assert!(
                    c.evidence.iter().any(|r| &r.finding == f),
                    "fix {} is for {f}, which is no evidence of its cause {}",
                    fix.id,
                    c.id
                );
            }
            for f in &fix.not_for_findings {
                assert!(
                    FindingId::from_name(f).is_some(),
                    "fix {} names unknown finding {f} as the other side's",
                    fix.id
                );
            }
            if let Some(mode) = &fix.forces_protocol {
                assert!(
                    ["rdp", "ssl", "hybrid"].contains(&mode.as_str()) && fix.client.is_some(),
                    "fix {} forces {mode:?}: it must be rdp, ssl or hybrid, for a named client",
                    fix.id
                );
            }
        }
    }
}

#[test]
fn every_confirm_step_names_a_real_finding() {
    for c in rdpdoctor_kb::kb().causes() {
        for s in &c.confirm {
            if let Some(f) = &s.finding {
                assert!(
                    FindingId::from_name(f).is_some(),
                    "cause {} confirm step names unknown finding {f}",
                    c.id
                );
            }
        }
    }
}

#[test]
fn each_decisive_finding_ranks_its_cause_first() {
    use FindingId::*;
    use Severity::*;
    for (finding, sev, cause) in [
        (CertExpired, Warn, "rdp-cert-expired"),
        (CertNotYetValid, Warn, "rdp-cert-not-yet-valid"),
        (PortFiltered, Fail, "firewall-or-public-network-profile"),
        (DnsFailure, Fail, "name-resolution"),
        (CredsspUnpatched, Fail, "credssp-encryption-oracle"),
        (TlsLegacyOnly, Fail, "tls-version-or-cipher-mismatch"),
        (SslCertNotOnServer, Fail, "ssl-cert-not-on-server"),
        (ServerDeniedConnection, Fail, "user-not-allowed"),
        (LicensingError, Fail, "rds-licensing"),
        (ClockSkew, Warn, "clock-skew"),
        (NlaRequired, Info, "nla-required-client-lacks"),
        (NotRdp, Fail, "port-used-by-other-service"),
        (NoProtocolAccepted, Fail, "listener-refuses-every-protocol"),
        (BadCredentials, Fail, "wrong-credentials"),
        (LogonRefusedWithoutStatus, Fail, "wrong-credentials"),
        (PasswordExpired, Fail, "account-restricted"),
        (AccountLocked, Fail, "account-restricted"),
        (AccountDisabled, Fail, "account-restricted"),
        (AccountExpired, Fail, "account-restricted"),
        (AccountRestricted, Fail, "account-restricted"),
        (LogonTypeNotGranted, Fail, "user-not-allowed"),
        (DcTimeSkew, Fail, "clock-skew"),
        (
            LogonServerUnavailable,
            Fail,
            "dc-unreachable-or-trust-broken",
        ),
    ] {
        assert_eq!(top(&[f(finding, sev)], None), cause, "{finding}");
    }
}

#[test]
fn a_reset_port_is_not_blamed_on_the_service_alone_with_high_confidence() {
    // A RST comes from a stopped service *or* a firewall that rejects: the
    // ranking must not claim high confidence for either.
    let causes = rank_findings(&[f(FindingId::PortClosed, Severity::Fail)], None).unwrap();
    assert_eq!(causes[0].id, "port-closed-or-service-stopped");
    assert_ne!(causes[0].confidence, Confidence::High, "{causes:#?}");
    assert!(
        causes
            .iter()
            .any(|c| c.id == "firewall-or-public-network-profile"),
        "a firewall that rejects is an alternative"
    );
}

#[test]
fn a_not_yet_valid_certificate_is_not_blamed_on_clocks_without_clock_evidence() {
    let causes = rank_findings(&[f(FindingId::CertNotYetValid, Severity::Warn)], None).unwrap();
    assert_eq!(causes[0].id, "rdp-cert-not-yet-valid");
    let clock = causes
        .iter()
        .find(|c| c.id == "clock-skew")
        .expect("listed as an alternative");
    assert_eq!(clock.confidence, Confidence::Low);
    // With the server's clock read and right, clocks are ruled out.
    let causes = rank_findings(
        &[
            f(FindingId::CertNotYetValid, Severity::Warn),
            f(FindingId::ClockInSync, Severity::Info),
        ],
        None,
    )
    .unwrap();
    let clock = causes.iter().find(|c| c.id == "clock-skew");
    assert!(
        clock.is_none_or(|c| !c.evidence_against.is_empty()),
        "{clock:?}"
    );
}

#[test]
fn fips_outranks_the_generic_rdp_security_cause() {
    use FindingId::*;
    let fs = [
        f(FipsRequired, Severity::Warn),
        f(RdpSecurityOnly, Severity::Warn),
        f(NlaNotOffered, Severity::Warn),
    ];
    assert_eq!(top(&fs, None), "fips-required");
}

#[test]
fn a_finding_that_rules_a_cause_out_pushes_it_down_and_says_why() {
    use FindingId::*;
    let causes = rank_findings(
        &[
            f(CertExpired, Severity::Warn),
            f(PortClosed, Severity::Fail),
        ],
        None,
    )
    .unwrap();
    assert_eq!(causes[0].id, "port-closed-or-service-stopped");
    let cert = causes
        .iter()
        .find(|c| c.id == "rdp-cert-expired")
        .expect("still listed");
    assert!(
        cert.evidence_against
            .iter()
            .any(|e| e.finding == "port-closed")
    );
    assert!(cert.score < 0.2);
    // Why this ranking: the structured evidence for it carries ids and weights.
    let first = &causes[0].evidence_for[0];
    assert_eq!((first.finding.as_str(), first.weight), ("port-closed", 1.0));
}

#[test]
fn the_error_the_user_saw_focuses_the_ranking() {
    assert_eq!(top(&[], Some("0x904:0x7")), "rdp-cert-expired");
    assert_eq!(top(&[], Some("0x80090302")), "credssp-encryption-oracle");
    let causes = rank_findings(&[], Some("0x904:0x7")).unwrap();
    assert_eq!(
        causes[0].confidence,
        Confidence::Low,
        "an error code alone is thin evidence"
    );
    let causes = rank_findings(
        &[f(FindingId::CredsspUnpatched, Severity::Fail)],
        Some("An authentication error has occurred. The function requested is not supported"),
    )
    .unwrap();
    assert_eq!(causes[0].id, "credssp-encryption-oracle");
    assert_eq!(causes[0].confidence, Confidence::High);
}

#[test]
fn a_bad_error_hint_is_an_error() {
    assert!(rank_findings(&[], Some("hello there")).is_err());
}

#[test]
fn qualified_relations_need_the_qualifier() {
    let mut tls = f(FindingId::TlsHandshakeFailed, Severity::Fail);
    tls.qualifier = Some(Qualifier::NoAnswer);
    assert_eq!(
        top(&[tls.clone()], None),
        "endpoint-protection-interference"
    );
    tls.qualifier = Some(Qualifier::Reset);
    assert_eq!(top(&[tls.clone()], None), "rdp-cert-private-key-broken");
    tls.qualifier = Some(Qualifier::Alert);
    assert_eq!(top(&[tls], None), "tls-version-or-cipher-mismatch");
    let mut icmp = f(FindingId::HostUnreachable, Severity::Fail);
    icmp.qualifier = Some(Qualifier::Fast);
    assert_eq!(
        top(&[icmp.clone()], None),
        "firewall-or-public-network-profile"
    );
    icmp.qualifier = Some(Qualifier::Slow);
    assert_eq!(top(&[icmp], None), "host-offline-or-unroutable");
}

/// A cause's confidence never exceeds what its basis allows: the server
/// demanding FIPS is measured, but that a client lacks FIPS in Standard RDP
/// Security is documented (macOS), not measured, so the cause is at most of
/// medium confidence however strong the finding (xrdp `crypt_level=fips`).
/// The same finding from the host's registry is read, and as documented.
#[test]
fn a_cause_resting_on_documented_client_behaviour_is_at_most_medium() {
    use rdpdoctor_diagnose::Basis;
    let causes = rank_findings(&[f(FindingId::FipsRequired, Severity::Fail)], None).unwrap();
    assert_eq!(causes[0].id, "fips-required");
    assert!(causes[0].score >= 0.9, "{}", causes[0].score);
    assert_eq!(causes[0].basis, Basis::Documented);
    assert_eq!(causes[0].confidence, Confidence::Medium);
    // A measured cause with the same weight still reaches high: the cap is
    // the basis, not the score.
    let causes = rank_findings(&[f(FindingId::CertExpired, Severity::Fail)], None).unwrap();
    assert_eq!(causes[0].basis, Basis::Measured);
    assert_eq!(causes[0].confidence, Confidence::High);
    // Read on the host: as sure as the wire.
    let causes = rank_findings(&[f(FindingId::RdpDisabled, Severity::Fail)], None).unwrap();
    assert_eq!(causes[0].basis, Basis::Read);
    // Only the user's error: low.
    let causes = rank_findings(&[], Some("0x80090302")).unwrap();
    assert_eq!(causes[0].basis, Basis::Reported);
    assert_eq!(causes[0].confidence, Confidence::Low);
}

/// A cause is never below one it explains that it is surer of:
/// RDP switched off (read on the host) explains the closed port, so it comes
/// first, and with it its fix ("enable Remote Desktop"), not "start the
/// service", which is useless while fDenyTSConnections = 1.
#[test]
fn rdp_switched_off_ranks_above_the_closed_port_it_explains() {
    let causes = rank_findings(
        &[
            f(FindingId::PortClosed, Severity::Fail),
            f(FindingId::RdpDisabled, Severity::Fail),
        ],
        None,
    )
    .unwrap();
    let ids: Vec<&str> = causes.iter().map(|c| c.id.as_str()).collect();
    let rd = ids
        .iter()
        .position(|c| *c == "remote-desktop-disabled")
        .unwrap();
    let closed = ids
        .iter()
        .position(|c| *c == "port-closed-or-service-stopped")
        .unwrap();
    assert!(rd < closed, "{ids:?}");
    assert!(causes[rd].confidence > causes[closed].confidence);
    // Every cause an `explains` names exists.
    let kb = rdpdoctor_kb::kb();
    for c in kb.causes() {
        for e in &c.explains {
            assert!(kb.cause(e).is_some(), "{}: explains {e}", c.id);
        }
    }
}

/// Every situation the client predictions name has its sentence in the KB
/// (`[[advice]]` in kb/interop.toml), for any client and any server.
#[test]
fn every_client_advice_case_has_a_sentence_in_the_kb() {
    for case in rdpdoctor_diagnose::clients::ADVICE_CASES {
        for p in rdpdoctor_diagnose::clients::PROFILES {
            for server in ["windows", "xrdp", "freerdp", "ironrdp", "unknown"] {
                assert!(
                    rdpdoctor_kb::client_advice(case, p.id, server).is_some(),
                    "no advice for {case} ({}, {server})",
                    p.id
                );
            }
        }
    }
    for row in rdpdoctor_kb::client_advice_rows() {
        assert!(
            rdpdoctor_diagnose::clients::ADVICE_CASES.contains(&row.case.as_str()),
            "kb/interop.toml: advice for {:?}, a case no prediction names",
            row.case
        );
    }
}
