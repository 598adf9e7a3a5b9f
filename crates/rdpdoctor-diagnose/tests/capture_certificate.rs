//! A capture's server certificate is judged by the same function as the
//! probe's: the same certificate gives the same findings, with the same
//! evidence, and ranks into the same causes with the same weights, whichever
//! source saw it.

mod common;

use rdpdoctor_diagnose::finding::FindingId;
use rdpdoctor_diagnose::{Context, Evidence, Judgement, judge};
use rdpdoctor_evidence::capture::{CaptureConfirm, CaptureConnection, CaptureEvidence, CaptureTls};
use rdpdoctor_evidence::{CertificateFacts, ProbeReport, ProtocolSet};

/// A connection to rdp.example.com that got TLS and the server's `leaf`,
/// with `sni` in the ClientHello.
fn capture(leaf: CertificateFacts, sni: Option<&str>) -> CaptureEvidence {
    let mut c = CaptureConnection {
        client: "192.0.2.10:50010".into(),
        server: "192.0.2.20:3389".into(),
        confirm: Some(CaptureConfirm {
            selected: Some(ProtocolSet::from_bits(Some(0x2))),
            flags: Some(0),
            failure_code: None,
            failure: None,
        }),
        tls: Some(CaptureTls {
            server_name: sni.map(str::to_owned),
            certificates: vec![leaf],
            handshake_finished: true,
            client_application_records: 40,
            server_application_records: 60,
            ..CaptureTls::default()
        }),
        ..CaptureConnection::default()
    };
    c.tcp.syns = 1;
    c.tcp.syn_ack = true;
    CaptureEvidence {
        file: "user.pcapng".into(),
        format: "pcapng".into(),
        connections: vec![c],
        ..CaptureEvidence::default()
    }
}

fn from_capture(cap: &CaptureEvidence) -> Judgement {
    let ev = Evidence {
        capture: Some(cap),
        ..Evidence::default()
    };
    judge(&ev, &Context::default())
}

fn from_probe(r: &ProbeReport) -> Judgement {
    let ev = Evidence {
        wire: Some(r),
        ..Evidence::default()
    };
    judge(&ev, &Context::default())
}

const CERT_FINDINGS: [FindingId; 7] = [
    FindingId::CertExpired,
    FindingId::CertNotYetValid,
    FindingId::CertExpiresSoon,
    FindingId::CertNameMismatch,
    FindingId::CertSelfSigned,
    FindingId::CertWeakSignature,
    FindingId::CertWeakKey,
];

/// The certificate findings, with their evidence and summary.
fn cert_findings(j: &Judgement) -> Vec<(FindingId, String)> {
    j.findings
        .iter()
        .filter(|f| CERT_FINDINGS.contains(&f.id))
        .map(|f| {
            let ev = serde_json::to_string(&f.evidence).unwrap();
            (f.id, format!("{ev} {}", f.summary))
        })
        .collect()
}

/// Each cause a certificate finding supports, with that finding's weight.
fn cert_causes(j: &Judgement) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = j
        .diagnosis
        .causes
        .iter()
        .flat_map(|c| {
            c.evidence_for
                .iter()
                .filter(|s| s.finding.starts_with("cert-"))
                .map(|s| (c.id.clone(), s.finding.clone(), format!("{:.3}", s.weight)))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn an_expired_certificate_in_a_capture_is_the_probes_finding_and_cause() {
    let mut leaf = common::cert(-40);
    leaf.self_signed = true;
    let cap = capture(leaf.clone(), Some("rdp.example.com"));
    let mut r = common::report();
    r.certificate = Some(leaf);
    let (c, p) = (from_capture(&cap), from_probe(&r));
    let found: Vec<FindingId> = cert_findings(&c).into_iter().map(|f| f.0).collect();
    assert_eq!(found, [FindingId::CertExpired, FindingId::CertSelfSigned]);
    assert_eq!(cert_findings(&c), cert_findings(&p));
    let causes = cert_causes(&c);
    assert!(
        causes.iter().any(|(_, f, _)| f == "cert-expired"),
        "{causes:?}"
    );
    assert_eq!(causes, cert_causes(&p));
}

#[test]
fn the_capture_checks_the_name_the_client_asked_for_and_the_signature_by_oid() {
    let mut leaf = common::cert(300);
    leaf.key_bits = Some(1024);
    leaf.signature_algorithm = "sha1WithRSAEncryption".into();
    leaf.signature_oid = "1.2.840.113549.1.1.5".into();
    // The certificate names rdp.example.com; the client asked for another name.
    let c = from_capture(&capture(leaf.clone(), Some("rds.other.example")));
    let found: Vec<FindingId> = cert_findings(&c).into_iter().map(|f| f.0).collect();
    assert_eq!(
        found,
        [
            FindingId::CertNameMismatch,
            FindingId::CertWeakSignature,
            FindingId::CertWeakKey
        ]
    );
    // No SNI (a client that connected by address): the name is not judged.
    let c = from_capture(&capture(leaf.clone(), None));
    assert!(
        !cert_findings(&c)
            .iter()
            .any(|f| f.0 == FindingId::CertNameMismatch)
    );
    // Its own name: no mismatch; a healthy certificate: no certificate finding.
    let c = from_capture(&capture(common::cert(300), Some("RDP.example.com")));
    assert!(cert_findings(&c).is_empty(), "{:?}", cert_findings(&c));
}

/// On the hop to the RD Gateway (`inspect --gateway`) the certificate is the
/// gateway's: its own findings and cause (mstsc offers no way past it),
/// never the session host's `cert-*` and `rdp-cert-*`.
#[test]
fn a_gateways_certificate_in_a_capture_is_the_gateways_finding_and_cause() {
    let mut leaf = common::cert(-40);
    leaf.self_signed = true;
    let mut cap = capture(leaf, Some("rdgw.example.com"));
    let c = &mut cap.connections[0];
    c.server = "192.0.2.30:443".into();
    c.confirm = None;
    c.detected_by = Some(rdpdoctor_evidence::capture::DetectedBy::GatewaySni);
    cap.gateway = Some("rdgw.example.com".into());
    let j = from_capture(&cap);
    let ids: Vec<FindingId> = j.findings.iter().map(|f| f.id).collect();
    assert_eq!(
        ids,
        [
            FindingId::GatewayCertExpired,
            FindingId::GatewayCertNameMismatch,
            FindingId::GatewayCertSelfSigned
        ],
        "{:?}",
        j.findings
    );
    assert!(cert_findings(&j).is_empty());
    assert_eq!(j.diagnosis.causes[0].id, "rd-gateway-cert-invalid");
    assert!(
        j.findings[0].summary.contains("192.0.2.30:443"),
        "{}",
        j.findings[0].summary
    );
}
