//! Stage 7: Standard RDP Security ([MS-RDPBCGR 5.3](https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/8e8b2cca-c1fa-456c-8ecb-a82fc60b2322)).
//!
//! One MCS Connect Initial per encryption-method offer; the server's security
//! data in the Connect Response gives its encryption level and the method it
//! picked for that offer.

use super::negotiation::connect_and_negotiate;
use crate::io::{Deadline, FramedStream};
use rdpdoctor_evidence::{
    EncryptionLevel, EncryptionMethod, NegotiationEvidence, NegotiationOutcome,
    RdpSecurityEvidence, RdpSecurityOffer, RdpSecurityOutcome, StepFailure,
};
use rdpdoctor_wire::mcs::{self, encryption_method as em};
use rdpdoctor_wire::{tpkt, x224};
use std::net::SocketAddr;

/// The offers, in report order.
pub const OFFERS: [u32; 5] = [
    em::BIT_40,
    em::BIT_56,
    em::BIT_128,
    em::FIPS,
    em::BIT_40 | em::BIT_56 | em::BIT_128 | em::FIPS,
];

/// The X.224 request that gets Standard RDP Security on this server, if any.
pub fn rdp_request(neg: &NegotiationEvidence) -> Option<Option<u32>> {
    let rdp_selected = |bits: Option<u32>| match neg.outcome_for(bits) {
        Some(NegotiationOutcome::Selected { protocol, .. }) => {
            protocol.bits == Some(x224::protocol::RDP)
        }
        Some(NegotiationOutcome::NoNegotiationData) => true,
        _ => false,
    };
    if rdp_selected(Some(x224::protocol::RDP)) {
        Some(Some(x224::protocol::RDP))
    } else if rdp_selected(None) {
        Some(None)
    } else {
        None
    }
}

/// Runs every offer concurrently.
pub async fn run(
    addr: SocketAddr,
    neg: &NegotiationEvidence,
    deadline: &Deadline,
) -> Option<RdpSecurityEvidence> {
    let request = rdp_request(neg)?;
    let mut tasks = Vec::new();
    for offer in OFFERS {
        let deadline = deadline.clone();
        tasks.push(tokio::spawn(async move {
            (offer, one_offer(addr, request, offer, &deadline).await)
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        if let Ok(r) = t.await {
            results.push(r);
        }
    }
    Some(evidence(results))
}

/// What one offer got: the server's MCS Connect Response, or how and why not.
pub(crate) type OfferResult = Result<mcs::ConnectResponse, (Option<StepFailure>, String)>;

/// The stage's evidence from each offer's result, in the order given.
pub(crate) fn evidence(results: Vec<(u32, OfferResult)>) -> RdpSecurityEvidence {
    let mut ev = RdpSecurityEvidence {
        offers: Vec::new(),
        encryption_level: None,
        server_rdp_version: None,
        server_rdp_version_name: None,
        server_certificate: None,
        server_key_bits: None,
        server_certificate_permanent: None,
    };
    for (offer, result) in results {
        let outcome = match result {
            // A failed result ends the connection whatever blocks follow it.
            Ok(resp) if resp.result != 0 => RdpSecurityOutcome::Refused {
                detail: format!(
                    "MCS result {} ({})",
                    resp.result,
                    mcs::result_name(resp.result).unwrap_or("not defined by T.125")
                ),
                failure_kind: None,
            },
            Ok(resp) => {
                if let Some(core) = &resp.server_core {
                    ev.server_rdp_version = Some(core.version);
                    ev.server_rdp_version_name =
                        mcs::rdp_version_name(core.version).map(str::to_owned);
                }
                match &resp.server_security {
                    Some(sec) => {
                        let level = EncryptionLevel::from_wire(sec.encryption_level);
                        ev.encryption_level = Some(level);
                        if let Some(cert) = &sec.server_certificate {
                            match cert {
                                mcs::ServerCertificate::Proprietary { .. } => {
                                    ev.server_certificate = Some("proprietary".into())
                                }
                                mcs::ServerCertificate::X509 { .. } => {
                                    ev.server_certificate = Some("x509".into())
                                }
                                mcs::ServerCertificate::Unknown { .. } => {}
                            }
                            // The key the client random is sent under: the
                            // proprietary key or the X.509 chain's leaf.
                            ev.server_key_bits = cert.public_key_bits().or(ev.server_key_bits);
                            ev.server_certificate_permanent = sec
                                .server_certificate_permanent
                                .or(ev.server_certificate_permanent);
                        }
                        match EncryptionMethod::from_choice(sec.encryption_method) {
                            // A value that is not exactly one defined method (a
                            // hostile server's 0xFFFFFFFF) is no acceptance.
                            EncryptionMethod::Unknown => RdpSecurityOutcome::Refused {
                                detail: format!(
                                    "the server selected encryption method {:#010x}, which is not one of the methods defined",
                                    sec.encryption_method
                                ),
                                failure_kind: None,
                            },
                            method => RdpSecurityOutcome::Accepted {
                                encryption_method: method,
                                encryption_level: level,
                            },
                        }
                    }
                    None => RdpSecurityOutcome::Refused {
                        detail: "no server security data".into(),
                        failure_kind: None,
                    },
                }
            }
            Err((kind, detail)) => RdpSecurityOutcome::Refused {
                detail,
                failure_kind: kind,
            },
        };
        ev.offers.push(RdpSecurityOffer {
            offered: EncryptionMethod::from_bits(offer),
            offered_bits: offer,
            outcome,
        });
    }
    ev
}

async fn one_offer(
    addr: SocketAddr,
    request: Option<u32>,
    offer: u32,
    deadline: &Deadline,
) -> OfferResult {
    let (outcome, framed) = connect_and_negotiate(addr, request, deadline).await;
    offer_after(&outcome, framed, offer, deadline).await
}

/// One offer on a connection (TCP, or the RD Gateway's channel) whose X.224
/// exchange ended with `outcome` and left `framed` open.
pub(crate) async fn offer_after<S>(
    outcome: &NegotiationOutcome,
    framed: Option<FramedStream<S>>,
    offer: u32,
    deadline: &Deadline,
) -> OfferResult
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let Some(mut framed) = framed else {
        return Err((
            outcome.failure_kind(),
            format!("the X.224 exchange failed: {outcome}"),
        ));
    };
    connect_initial(&mut framed, offer, x224::protocol::RDP, deadline).await
}

/// Sends an MCS Connect Initial and reads the Connect Response; otherwise
/// how and why not.
pub(crate) async fn connect_initial<S>(
    framed: &mut FramedStream<S>,
    encryption_methods: u32,
    selected_protocol: u32,
    deadline: &Deadline,
) -> Result<mcs::ConnectResponse, (Option<StepFailure>, String)>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let pdu = mcs::encode_connect_initial(&mcs::ConnectInitialOptions {
        encryption_methods,
        selected_protocol,
        client_name: "RDPDOCTOR".into(),
        desktop_width: 1024,
        desktop_height: 768,
        channels: Vec::new(),
    });
    let failed = |e: crate::io::ReadError| (Some(e.kind()), e.describe());
    framed.send(&pdu, deadline.step()).await.map_err(failed)?;
    let frame = framed
        .read_frame(tpkt::frame_len, tpkt::MAX_FRAME, deadline.step())
        .await
        .map_err(failed)?;
    mcs::decode_connect_response(&frame).map_err(|e| (Some(StepFailure::Invalid), e.to_string()))
}
