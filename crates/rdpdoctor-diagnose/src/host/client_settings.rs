//! A user's Remote Desktop client settings (HKCU\Software\Microsoft\
//! Terminal Server Client, from NTUSER.DAT or an HKCU export) judged: what
//! they make this machine's mstsc do when it connects out.

use super::{Out, SettingFacts};
use crate::facts::host::RdgClientTransportFacts;
use crate::finding::{FindingId as F, Severity};
use rdpdoctor_evidence::host::HostEvidence;

pub(super) fn derive(h: &HostEvidence, out: &mut Out) {
    // RDGClientTransport = 1: RPC over HTTP only, never the gateway's HTTP
    // transport ([MS-TSGU] 2.1: RDG_OUT_DATA / WebSocket) nor UDP.
    if let Some(s) = h
        .client
        .rdg_client_transport
        .as_ref()
        .filter(|s| s.value == 1)
    {
        out.add(
            F::ClientRdgRpcTransport,
            Severity::Warn,
            "RDGClientTransport = 1: this user's mstsc reaches RD Gateways over RPC over HTTP only; a gateway without RPC over HTTP refuses it".to_owned(),
            &RdgClientTransportFacts {
                RDGClientTransport: SettingFacts::of(s),
            },
        );
    }
}
