//! CredSSP served by `sspi`'s server side, as a domain member serves it
//! ([MS-CSSP 3.1.5]): a SPNEGO token carrying a Kerberos AP-REQ
//! (RFC 4120 3.2, RFC 4121 4.1) is accepted with the key the service holds
//! for `TERMSRV/<host>` ([`crate::KerberosService`]); a raw NTLM NEGOTIATE,
//! as mstsc sends when it falls back ([MS-CSSP 3.1.5], "NTLM messages
//! without SPNEGO"), is checked against the [`crate::DEMO_USER`] account,
//! or, with [`crate::KerberosService::ntlm_names_domain`], answered by
//! `super::nla` (the CHALLENGE naming the domain, the logon refused).
//! Then the server's public-key echo, the delegated TSCredentials and, under
//! HYBRID_EX, the Early User Authorization Result ([MS-RDPBCGR 2.2.10.2]).
//!
//! A failure is answered as `sspi` answers it: a TSRequest whose errorCode
//! is `sspi`'s code for the error (for a ticket this key cannot decrypt,
//! SEC_E_MESSAGE_ALTERED's low word in an NTSTATUS, 0xC007030F).

use super::{Ctx, garbage};
use crate::framed::{End, Framed};
use crate::{DEMO_PASSWORD, DEMO_USER};
use rdpdoctor_wire::credssp::{self, ts_request_declared_len as ts_framer};
use sspi::credssp::{CredSspServer, CredentialsProxy, ServerMode, ServerState, TsRequest};
use sspi::generator::GeneratorState;
use sspi::kerberos::ServerProperties;
use sspi::{AuthIdentity, KerberosConfig, KerberosServerConfig, NegotiateConfig, Secret, Username};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// The clock skew the service accepts (RFC 4120 1.6: 5 minutes, as Windows).
const MAX_SKEW: Duration = Duration::from_secs(300);
/// The emulator's computer name, as `sspi` calls it.
const SERVER_NAME: &str = "WIN-RDP01";
/// At most this many TSRequests from the client (NEGOTIATE or AP-REQ,
/// AUTHENTICATE or mechListMIC, pubKeyAuth, authInfo, and one spare).
const MAX_TURNS: usize = 6;

/// The one account the emulator knows for NTLM.
struct DemoAccount;

impl CredentialsProxy for DemoAccount {
    type AuthenticationData = AuthIdentity;

    fn auth_data_by_user(&mut self, username: &Username) -> std::io::Result<AuthIdentity> {
        if !username.account_name().eq_ignore_ascii_case(DEMO_USER) {
            return Err(std::io::Error::other("no such account"));
        }
        Ok(AuthIdentity {
            username: username.clone(),
            password: Secret::new(DEMO_PASSWORD.to_owned()),
        })
    }

    fn auth_data(&mut self) -> std::io::Result<Vec<AuthIdentity>> {
        let username =
            Username::new(DEMO_USER, None).map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(vec![AuthIdentity {
            username,
            password: Secret::new(DEMO_PASSWORD.to_owned()),
        }])
    }
}

/// The server mode for a first token: NTLM for a raw NTLMSSP message,
/// else SPNEGO with Kerberos as the only mechanism.
fn mode(first_token: &[u8], ctx: &Ctx) -> Result<ServerMode, End> {
    if first_token.starts_with(b"NTLMSSP\0") {
        // The CHALLENGE's MsvAvTimestamp ([MS-NLMP 2.2.2.1]) is `sspi`'s:
        // 0.23.1 counts FILETIME from 1601-01-01 00:01:01 instead of
        // midnight, so this server's clock reads 61 s slow to a probe (a
        // `healthy-nla` under libfaketime +360 reads 299 s ahead). It can't
        // be corrected here: the message is covered by the MIC. The emulator
        // without `--kerberos-realm` writes its own CHALLENGE, on time.
        return Ok(ServerMode::Ntlm(sspi::ntlm::NtlmConfig::new(
            SERVER_NAME.to_owned(),
        )));
    }
    let service = ctx
        .cfg
        .kerberos
        .as_ref()
        .ok_or_else(|| garbage("no Kerberos service configured"))?;
    let properties = ServerProperties::new(
        &["TERMSRV", &service.host],
        None,
        MAX_SKEW,
        Some(Secret::new(service.key.clone())),
    )
    .map_err(garbage)?;
    Ok(ServerMode::Negotiate(NegotiateConfig {
        protocol_config: Box::new(KerberosServerConfig {
            // The service never asks a KDC (no user-to-user).
            kerberos_config: KerberosConfig::new_with_kdc_url(
                "tcp://127.0.0.1:1",
                SERVER_NAME.to_owned(),
            ),
            server_properties: properties,
        }),
        package_list: Some("kerberos,!ntlm".to_owned()),
        client_computer_name: SERVER_NAME.to_owned(),
    }))
}

/// Serves CredSSP on `s` (TLS is up) until the client is authenticated or
/// refused.
pub(super) async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Framed<S>,
    ctx: &Arc<Ctx>,
    hybrid_ex: bool,
) -> Result<(), End> {
    let public_key = ctx
        .public_key
        .clone()
        .ok_or_else(|| garbage("no certificate to bind"))?;
    let mut server: Option<CredSspServer<DemoAccount>> = None;
    for _ in 0..MAX_TURNS {
        let frame = s.read_frame(ts_framer, credssp::MAX_TS_REQUEST).await?;
        let request = TsRequest::from_buffer(&frame).map_err(garbage)?;
        let server = match &mut server {
            Some(sv) => sv,
            None => {
                let token = request.nego_tokens.as_deref().unwrap_or_default();
                if token.starts_with(b"NTLMSSP\0")
                    && ctx
                        .cfg
                        .kerberos
                        .as_ref()
                        .is_some_and(|k| k.ntlm_names_domain)
                {
                    return super::nla::after_first(s, ctx, &frame).await;
                }
                let sv = CredSspServer::new(public_key.clone(), DemoAccount, mode(token, ctx)?)
                    .map_err(garbage)?;
                server.insert(sv)
            }
        };
        let mut generator = server.process(request);
        let mut state = generator.start();
        // The service asks no KDC: any request for one is refused.
        let result = loop {
            match state {
                GeneratorState::Suspended(_) => {
                    state = generator.resume(Err(sspi::Error::new(
                        sspi::ErrorKind::NoAuthenticatingAuthority,
                        "the emulated service asks no KDC",
                    )));
                }
                GeneratorState::Completed(r) => break r,
            }
        };
        match result {
            Ok(ServerState::ReplyNeeded(reply)) => s.send(&encode(&reply)?).await?,
            Ok(ServerState::Finished(_)) => {
                if hybrid_ex {
                    s.send(&credssp::AUTHZ_SUCCESS.to_le_bytes()).await?;
                }
                return Err(End::Done);
            }
            Err(e) => {
                if let Some(reply) = e.ts_request {
                    s.send(&encode(&reply)?).await?;
                }
                return Err(End::Done);
            }
        }
    }
    Err(garbage("too many TSRequests"))
}

fn encode(ts: &TsRequest) -> Result<Vec<u8>, End> {
    let mut out = Vec::new();
    ts.encode_ts_request(&mut out).map_err(garbage)?;
    Ok(out)
}
