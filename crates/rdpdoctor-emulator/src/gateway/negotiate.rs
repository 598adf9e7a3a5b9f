//! The gateway's `Negotiate` scheme ([RFC 4559]: SPNEGO tokens, [RFC 4178],
//! in `Authorization` and `WWW-Authenticate`), accepted by `sspi`'s
//! Negotiate server: NTLM inside SPNEGO ([MS-SPNG 3.3.5]) against the
//! gateway's one account, and Kerberos ([RFC 4121]) for `HTTP/<host>` when
//! the gateway holds that service's key ([`super::GatewayConfig::kerberos`]),
//! as a domain member's IIS does. No KDC is ever asked (no user-to-user).
//!
//! [RFC 4559]: https://www.rfc-editor.org/rfc/rfc4559
//! [RFC 4178]: https://www.rfc-editor.org/rfc/rfc4178

use super::GatewayConfig;
use sspi::generator::GeneratorState;
use sspi::kerberos::ServerProperties;
use sspi::{
    AuthIdentity, BufferType, CredentialUse, DataRepresentation, KerberosConfig,
    KerberosServerConfig, Negotiate, NegotiateConfig, Secret, SecurityBuffer, SecurityStatus,
    ServerRequestFlags, Sspi, SspiImpl, Username,
};
use std::time::Duration;

/// The clock skew the service accepts (RFC 4120 1.6: 5 minutes).
const MAX_SKEW: Duration = Duration::from_secs(300);
/// The gateway's computer name, as `sspi` calls it.
const SERVER_NAME: &str = "RDGW01";

/// One SPNEGO acceptor, for the requests of one HTTP connection.
pub(super) struct Acceptor {
    ctx: Box<Negotiate>,
    creds: Option<sspi::CredentialsBuffers>,
}

impl Acceptor {
    pub(super) fn new(cfg: &GatewayConfig) -> sspi::Result<Self> {
        let config = match &cfg.kerberos {
            Some(service) => NegotiateConfig {
                protocol_config: Box::new(KerberosServerConfig {
                    kerberos_config: KerberosConfig::new_with_kdc_url(
                        "tcp://127.0.0.1:1",
                        SERVER_NAME.to_owned(),
                    ),
                    server_properties: ServerProperties::new(
                        &["HTTP", &service.host],
                        None,
                        MAX_SKEW,
                        Some(Secret::new(service.key.clone())),
                    )?,
                }),
                // Kerberos first; NTLM when the client offers only NTLM.
                package_list: Some("kerberos,ntlm".to_owned()),
                client_computer_name: SERVER_NAME.to_owned(),
            },
            None => NegotiateConfig {
                protocol_config: Box::new(sspi::ntlm::NtlmConfig::new(SERVER_NAME.to_owned())),
                package_list: Some("ntlm".to_owned()),
                client_computer_name: SERVER_NAME.to_owned(),
            },
        };
        let account = AuthIdentity {
            username: Username::new(&cfg.user, None)?,
            password: cfg.password.clone().into(),
        };
        let mut ctx = Box::new(Negotiate::new_server(config, vec![account])?);
        let creds = ctx
            .acquire_credentials_handle()
            .with_credential_use(CredentialUse::Inbound)
            .execute(ctx.as_mut())?
            .credentials_handle;
        Ok(Acceptor { ctx, creds })
    }

    /// One client token in; the token out and whether the client is
    /// authenticated. An error is a refusal (a wrong password, a ticket
    /// this key cannot decrypt, a token that is not SPNEGO).
    pub(super) fn step(&mut self, token: Vec<u8>) -> sspi::Result<(Vec<u8>, bool)> {
        let mut input = vec![SecurityBuffer::new(token, BufferType::Token)];
        let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
        let builder = self
            .ctx
            .accept_security_context()
            .with_credentials_handle(&mut self.creds)
            .with_context_requirements(ServerRequestFlags::ALLOCATE_MEMORY)
            .with_target_data_representation(DataRepresentation::Native)
            .with_input(&mut input)
            .with_output(&mut output);
        let result = {
            let mut generator = self.ctx.accept_security_context_impl(builder)?;
            let mut state = generator.start();
            // The gateway asks no KDC: any request for one is refused.
            loop {
                match state {
                    GeneratorState::Suspended(_) => {
                        state = generator.resume(Err(sspi::Error::new(
                            sspi::ErrorKind::NoAuthenticatingAuthority,
                            "the emulated gateway asks no KDC",
                        )));
                    }
                    GeneratorState::Completed(r) => break r?,
                }
            }
        };
        let out = output.pop().map(|b| b.buffer).unwrap_or_default();
        let done = matches!(
            result.status,
            SecurityStatus::Ok | SecurityStatus::CompleteNeeded
        );
        if result.status == SecurityStatus::CompleteNeeded {
            self.ctx.complete_auth_token(&mut [])?;
        }
        Ok((out, done))
    }
}
