//! The NLA side of an emulated connection: CredSSP ([MS-CSSP 3.1.5]) with
//! the NTLM CHALLENGE a domain-joined Windows host sends ([MS-NLMP 2.2.1.2]),
//! its clock as the fault sets it, and the logon's NTSTATUS.

use super::{Ctx, STATUS_LOGON_FAILURE, garbage};
use crate::FaultConfig;
use crate::fault::Fault;
use crate::framed::{End, Framed};
use rdpdoctor_wire::credssp::{self, TsRequest, ts_request_declared_len as ts_framer};
use rdpdoctor_wire::ntlm;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncRead, AsyncWrite};

/// The CredSSP version this host speaks.
fn credssp_version(fault: Fault) -> u32 {
    if fault == Fault::CredsspV2 { 2 } else { 6 }
}

/// [MS-CSSP 3.1.5] NEGOTIATE in, CHALLENGE out; the client's AUTHENTICATE
/// ([MS-NLMP 2.2.1.3]) is answered with the fault's NTSTATUS
/// ([`Fault::logon_status`]) or STATUS_LOGON_FAILURE (the emulator has no
/// accounts), or by closing for CredSSP 2, which has no errorCode.
pub(super) async fn credssp_exchange<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Framed<S>,
    ctx: &Arc<Ctx>,
) -> Result<(), End> {
    let frame = s.read_frame(ts_framer, credssp::MAX_TS_REQUEST).await?;
    after_first(s, ctx, &frame).await
}

/// [`credssp_exchange`] once the client's first TSRequest (`frame`) is read.
pub(super) async fn after_first<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Framed<S>,
    ctx: &Arc<Ctx>,
    frame: &[u8],
) -> Result<(), End> {
    let ts = credssp::decode_ts_request(frame).map_err(garbage)?;
    let token = ts
        .nego_token
        .ok_or_else(|| garbage("TSRequest without negoToken"))?;
    let msg = ntlm::find_ntlmssp(&token).ok_or_else(|| garbage("negoToken without NTLMSSP"))?;
    if msg.get(8..12) != Some(&[1, 0, 0, 0]) {
        return Err(garbage("the first NTLM message is not a NEGOTIATE_MESSAGE"));
    }
    let version = credssp_version(ctx.cfg.fault);
    let challenge = ntlm::encode_challenge(&ntlm_challenge(&ctx.cfg));
    let reply = TsRequest {
        version,
        nego_token: Some(challenge),
        error_code: None,
        has_auth_info: false,
        has_pub_key_auth: false,
        client_nonce: None,
    };
    s.send(&reply.to_der()).await?;
    // AUTHENTICATE_MESSAGE + pubKeyAuth.
    let frame = s.read_frame(ts_framer, credssp::MAX_TS_REQUEST).await?;
    let ts = credssp::decode_ts_request(&frame).map_err(garbage)?;
    let authenticate = ts
        .nego_token
        .as_deref()
        .and_then(ntlm::find_ntlmssp)
        .filter(|m| m.get(8..12) == Some(&[3, 0, 0, 0]));
    if authenticate.is_none() {
        return Err(garbage(
            "the second TSRequest carries no NTLM AUTHENTICATE_MESSAGE",
        ));
    }
    if version >= 3 {
        let code = ctx.cfg.fault.logon_status().unwrap_or(STATUS_LOGON_FAILURE);
        s.send(&ts_request_error(version, code)).await?;
    }
    Err(End::Done)
}

/// `TSRequest { version, errorCode }`, the errorCode as Windows writes it.
fn ts_request_error(version: u32, code: u32) -> Vec<u8> {
    credssp::TsRequest {
        version,
        error_code: Some(code),
        ..credssp::TsRequest::default()
    }
    .to_der()
}

/// FILETIME (100 ns since 1601-01-01 UTC) of `now + skew`.
fn filetime(skew_secs: i64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let ticks = i128::from(now.as_secs() as i64)
        .saturating_add(i128::from(skew_secs))
        .saturating_add(11_644_473_600)
        .saturating_mul(10_000_000)
        .saturating_add(i128::from(now.subsec_nanos() / 100));
    u64::try_from(ticks.max(1)).unwrap_or(u64::MAX)
}

/// 8 bytes that differ from one call to the next; the challenge is never
/// verified, so this needs no cryptographic strength.
pub(super) fn nonce() -> [u8; 8] {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish().to_le_bytes()
}

/// [MS-NLMP 2.2.1.2] the CHALLENGE_MESSAGE a domain-joined Windows host sends.
pub(crate) fn ntlm_challenge(cfg: &FaultConfig) -> ntlm::Challenge {
    use ntlm::flags::*;
    let (major, minor, build) = if cfg.fault == Fault::CredsspV2 {
        (6, 1, 7601) // Windows Server 2008 R2 SP1
    } else {
        (10, 0, 20348) // Windows Server 2022
    };
    let skew = if cfg.fault == Fault::ClockSkew {
        cfg.skew_secs
    } else {
        0
    };
    ntlm::Challenge {
        negotiate_flags: NEGOTIATE_UNICODE
            | REQUEST_TARGET
            | NEGOTIATE_SIGN
            | NEGOTIATE_SEAL
            | NEGOTIATE_NTLM
            | NEGOTIATE_ALWAYS_SIGN
            | TARGET_TYPE_DOMAIN
            | NEGOTIATE_EXTENDED_SESSIONSECURITY
            | NEGOTIATE_TARGET_INFO
            | NEGOTIATE_VERSION
            | NEGOTIATE_128
            | NEGOTIATE_KEY_EXCH
            | NEGOTIATE_56,
        target_name: Some(cfg.netbios_domain.clone()),
        server_challenge: nonce(),
        version: Some(ntlm::NtlmVersion {
            major,
            minor,
            build,
            ntlm_revision: 15,
        }),
        netbios_computer_name: Some(cfg.netbios_name.clone()),
        netbios_domain_name: Some(cfg.netbios_domain.clone()),
        dns_computer_name: Some(cfg.fqdn()),
        dns_domain_name: Some(cfg.dns_domain.clone()),
        dns_tree_name: Some(cfg.dns_domain.clone()),
        timestamp: Some(filetime(skew)),
        av_flags: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_logon_failure_decodes() {
        let der = ts_request_error(6, STATUS_LOGON_FAILURE);
        let ts = credssp::decode_ts_request(&der).unwrap();
        assert_eq!((ts.version, ts.error_code), (6, Some(STATUS_LOGON_FAILURE)));
        assert_eq!(credssp::ts_request_len(&der), Ok(Some(der.len())));
    }

    #[test]
    fn challenge_facts() {
        let mut cfg = FaultConfig::new(Fault::ClockSkew);
        cfg.skew_secs = 3600;
        let c = ntlm::decode_challenge(&ntlm::encode_challenge(&ntlm_challenge(&cfg))).unwrap();
        assert_eq!(c.netbios_computer_name.as_deref(), Some("WIN-RDP01"));
        assert_eq!(
            c.dns_computer_name.as_deref(),
            Some("WIN-RDP01.corp.example")
        );
        assert_eq!(c.version.unwrap().to_string(), "10.0.20348");
        let server = ntlm::filetime_to_unix_secs(c.timestamp.unwrap()).unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!((server - now - 3600).abs() < 5);
    }
}
