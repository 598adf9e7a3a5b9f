//! Stage 6: CredSSP without credentials ([MS-CSSP 3.1.5](https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-cssp/385a7489-d46b-464c-b224-f7340e308a5c)).
//!
//! After TLS, the client's first TSRequest carries an NTLM NEGOTIATE; the
//! server answers with its TSRequest version and an NTLM CHALLENGE that names
//! the machine, its OS build and its clock. No credentials are involved and the
//! exchange stops there.

use super::tls::{client_config, rustls_connect};
use crate::io::{Deadline, FramedStream};
use rdpdoctor_evidence::{CredSspEvidence, NtlmFacts, StepFailure};
use rdpdoctor_wire::x224::protocol::{HYBRID, SSL};
use rdpdoctor_wire::{credssp, ntlm};
use std::net::SocketAddr;
use tokio::io::{AsyncRead, AsyncWrite};

/// The TSRequest version rdpdoctor announces (the newest, as current Windows does).
pub const CLIENT_VERSION: u32 = 6;

/// A record of the stage before any answer.
fn evidence() -> CredSspEvidence {
    CredSspEvidence {
        server_version: None,
        client_version: CLIENT_VERSION,
        error_code: None,
        ntlm_challenge: false,
        error: None,
        failure_kind: None,
    }
}

/// Runs the exchange. `now_millis` is the local clock for the skew estimate.
pub async fn run(
    addr: SocketAddr,
    host: &str,
    deadline: &Deadline,
    now_millis: impl Fn() -> i64,
) -> (CredSspEvidence, Option<NtlmFacts>) {
    let config = client_config(&[&rustls::version::TLS12, &rustls::version::TLS13]);
    match rustls_connect(addr, host, SSL | HYBRID, config, deadline).await {
        Ok((_, _, _, s)) => exchange(s, deadline, now_millis).await,
        Err(e) => {
            let mut ev = evidence();
            ev.error = Some(e.message);
            ev.failure_kind = e.kind;
            (ev, None)
        }
    }
}

/// The exchange over a TLS stream with a server that selected HYBRID (a
/// direct connection, or the RD Gateway's channel).
pub(crate) async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    deadline: &Deadline,
    now_millis: impl Fn() -> i64,
) -> (CredSspEvidence, Option<NtlmFacts>) {
    let mut framed = FramedStream::new(stream);
    let request = credssp::encode_ts_request(CLIENT_VERSION, &ntlm::encode_negotiate());
    let sent_at = now_millis();
    if let Err(e) = framed.send(&request, deadline.step()).await {
        let mut ev = evidence();
        ev.error = Some(e.describe());
        ev.failure_kind = Some(e.kind());
        return (ev, None);
    }
    match read_ts_request(&mut framed, deadline).await {
        Ok(frame) => from_answer(&frame, sent_at, now_millis()),
        Err(e) => {
            let mut ev = evidence();
            ev.error = Some(format!("no TSRequest from the server: {}", e.describe()));
            ev.failure_kind = Some(e.kind());
            (ev, None)
        }
    }
}

/// The stage's evidence from the server's first TSRequest (`frame`), read
/// between `sent_at` and `received_at` by our clock (Unix ms).
pub(crate) fn from_answer(
    frame: &[u8],
    sent_at: i64,
    received_at: i64,
) -> (CredSspEvidence, Option<NtlmFacts>) {
    let mut ev = evidence();
    let ts = match credssp::decode_ts_request(frame) {
        Ok(t) => t,
        Err(e) => {
            ev.error = Some(format!("the server's TSRequest does not decode: {e}"));
            ev.failure_kind = Some(StepFailure::Invalid);
            return (ev, None);
        }
    };
    ev.server_version = Some(ts.version);
    ev.error_code = ts.error_code;
    let Some(token) = ts.nego_token else {
        ev.error = Some("the server's TSRequest carries no NTLM token".into());
        ev.failure_kind = Some(StepFailure::Invalid);
        return (ev, None);
    };
    let challenge = match ntlm::decode_challenge(&token) {
        Ok(c) => c,
        Err(e) => {
            ev.error = Some(format!("the NTLM CHALLENGE does not decode: {e}"));
            ev.failure_kind = Some(StepFailure::Invalid);
            return (ev, None);
        }
    };
    ev.ntlm_challenge = true;
    // The server stamped its clock somewhere between our send and our receive:
    // compare against the midpoint.
    let local_mid = sent_at + (received_at - sent_at) / 2;
    (ev, Some(ntlm_facts(&challenge, local_mid)))
}

/// Reads one whole TSRequest, bounded in size and time.
pub(crate) async fn read_ts_request<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut FramedStream<S>,
    deadline: &Deadline,
) -> Result<Vec<u8>, crate::io::ReadError> {
    framed
        .read_frame(
            credssp::ts_request_len,
            credssp::MAX_TS_REQUEST,
            deadline.step(),
        )
        .await
}

/// Turns a decoded CHALLENGE into evidence; `local_millis` is our clock when the server stamped its own.
pub fn ntlm_facts(c: &ntlm::Challenge, local_millis: i64) -> NtlmFacts {
    let server_millis = c.timestamp.and_then(ntlm::filetime_to_unix_millis);
    NtlmFacts {
        target_name: c.target_name.clone(),
        netbios_computer_name: c.netbios_computer_name.clone(),
        netbios_domain_name: c.netbios_domain_name.clone(),
        dns_computer_name: c.dns_computer_name.clone(),
        dns_domain_name: c.dns_domain_name.clone(),
        dns_tree_name: c.dns_tree_name.clone(),
        os_version: c
            .version
            .as_ref()
            .map(|v| format!("{}.{}.{}", v.major, v.minor, v.build)),
        windows_release: c
            .version
            .as_ref()
            .and_then(|v| ntlm::windows_release(v.major, v.minor, v.build))
            .map(str::to_owned),
        server_time: server_millis.and_then(crate::rfc3339_millis),
        clock_skew_seconds: server_millis.map(|s| (s - local_millis) / 1000),
    }
}
