//! CredSSP with Kerberos as mstsc makes it ([MS-CSSP 3.1.5]): SPNEGO
//! carrying a plain AP-REQ for `TERMSRV/<target>` ([RFC 4120 3.2], [RFC 4121
//! 4.1]), then the public-key binding (pubKeyAuth, a SHA-256 over the
//! client nonce and the server's public key, version 5 and later), the
//! server's echo, and the delegated TSCredentials.
//!
//! `sspi`'s own `CredSspClient` always asks its Kerberos for user-to-user
//! (USE_SESSION_KEY: a TGT-REQUEST to the server first, [MS-KILE 3.4.5.1]),
//! which mstsc never does: a ticket then comes encrypted in the server's TGT
//! session key, not in the service's key, and a service holding the wrong
//! key would go unseen. So the SPNEGO context (`sspi`'s Negotiate with
//! Kerberos only) is driven here without it, and the TSRequests are this
//! module's; the KDC requests go through [`super::logon_kerberos::resolve`].
//!
//! [MS-CSSP 3.1.5]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-cssp/385a7489-d46b-464c-b224-f7340e308a5c

use super::logon_kerberos::{KdcLog, negotiate_config, resolve};
use crate::credentials::KerberosLogon;
use sha2::{Digest, Sha256};
use sspi::credssp::{CredSspMode, TsRequest, write_ts_credentials};
use sspi::{
    BufferType, ClientRequestFlags, CredentialUse, CredentialsBuffers, DataRepresentation,
    EncryptionFlags, Negotiate, SecurityBuffer, SecurityBufferRef, SecurityStatus, Sspi, SspiImpl,
};
use std::time::Duration;

/// [MS-CSSP 3.1.5] the client's binding hash magic (with its NUL).
const CLIENT_MAGIC: &[u8] = b"CredSSP Client-To-Server Binding Hash\0";
/// [MS-CSSP 3.1.5] the server's.
const SERVER_MAGIC: &[u8] = b"CredSSP Server-To-Client Binding Hash\0";
/// The split of a sealed message into its token and data, as `sspi` seals.
const SEAL_SPLIT: usize = 16;

/// One Kerberos CredSSP client.
pub struct KerberosCredssp {
    ctx: Negotiate,
    creds: Option<CredentialsBuffers>,
    nonce: [u8; 32],
    public_key: Vec<u8>,
    spn: String,
}

impl KerberosCredssp {
    /// A client for `spn` through `plan`'s KDC, bound to `public_key`.
    pub fn new(
        plan: &KerberosLogon,
        identity: sspi::Credentials,
        public_key: Vec<u8>,
        spn: String,
        workstation: &str,
    ) -> sspi::Result<Self> {
        let mut ctx = Negotiate::new_client(negotiate_config(plan, workstation))?;
        let acquired = ctx
            .acquire_credentials_handle()
            .with_credential_use(CredentialUse::Outbound)
            .with_auth_data(&identity)
            .execute(&mut ctx)?;
        let mut nonce = [0u8; 32];
        getrandom::getrandom(&mut nonce)
            .map_err(|e| sspi::Error::new(sspi::ErrorKind::InternalError, e.to_string()))?;
        Ok(KerberosCredssp {
            ctx,
            creds: acquired.credentials_handle,
            nonce,
            public_key,
            spn,
        })
    }

    /// One SPNEGO step: the server's token in (empty at first), ours out,
    /// and whether the context is complete. Mutual authentication, no
    /// user-to-user.
    pub async fn step(
        &mut self,
        input: Vec<u8>,
        plan: &KerberosLogon,
        step: Duration,
        log: &mut KdcLog,
    ) -> sspi::Result<(Vec<u8>, bool)> {
        let mut input = [SecurityBuffer::new(input, BufferType::Token)];
        let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
        let mut creds = self.creds.take();
        let flags = ClientRequestFlags::MUTUAL_AUTH
            | ClientRequestFlags::INTEGRITY
            | ClientRequestFlags::CONFIDENTIALITY;
        let status = {
            let mut builder = self
                .ctx
                .initialize_security_context()
                .with_credentials_handle(&mut creds)
                .with_context_requirements(flags)
                .with_target_data_representation(DataRepresentation::Native)
                .with_target_name(&self.spn)
                .with_input(&mut input)
                .with_output(&mut output);
            let generator = self.ctx.initialize_security_context_impl(&mut builder)?;
            resolve(generator, Some(plan), step, log).await?.status
        };
        self.creds = creds;
        let token = output.pop().map(|b| b.buffer).unwrap_or_default();
        Ok((token, status == SecurityStatus::Ok))
    }

    /// The TSRequest after the context completed: the last token (if
    /// any), pubKeyAuth and the client nonce.
    pub fn binding(&mut self, last_token: Vec<u8>, version: u32) -> sspi::Result<TsRequest> {
        let hash = self.hash(CLIENT_MAGIC);
        Ok(TsRequest {
            version,
            nego_tokens: (!last_token.is_empty()).then_some(last_token),
            pub_key_auth: Some(self.seal(&hash)?),
            client_nonce: Some(self.nonce),
            ..TsRequest::default()
        })
    }

    /// Whether the server's pubKeyAuth is its binding hash: it holds the
    /// session key, so it accepted the AP-REQ, and it is the TLS peer.
    pub fn echo_verifies(&mut self, pub_key_auth: &[u8]) -> sspi::Result<bool> {
        let opened = self.open(pub_key_auth)?;
        Ok(opened == self.hash(SERVER_MAGIC))
    }

    /// The TSRequest delegating the credentials (TSCredentials, sealed).
    pub fn credentials(&mut self, version: u32) -> sspi::Result<TsRequest> {
        let creds = self.creds.as_ref().ok_or_else(|| {
            sspi::Error::new(sspi::ErrorKind::WrongCredentialHandle, "no credentials")
        })?;
        let plain = write_ts_credentials(creds, CredSspMode::WithCredentials)?;
        Ok(TsRequest {
            version,
            auth_info: Some(self.seal(&plain)?),
            ..TsRequest::default()
        })
    }

    fn hash(&self, magic: &[u8]) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update(magic);
        h.update(self.nonce);
        h.update(&self.public_key);
        h.finalize().to_vec()
    }

    fn seal(&mut self, input: &[u8]) -> sspi::Result<Vec<u8>> {
        let mut token = [0u8; 1024];
        let mut data = input.to_vec();
        let mut buffers = [
            SecurityBufferRef::token_buf(token.as_mut_slice()),
            SecurityBufferRef::data_buf(data.as_mut_slice()),
        ];
        self.ctx
            .encrypt_message(EncryptionFlags::empty(), &mut buffers)?;
        let mut out = SecurityBufferRef::find_buffer(&buffers, BufferType::Token)?
            .data()
            .to_vec();
        out.extend_from_slice(SecurityBufferRef::find_buffer(&buffers, BufferType::Data)?.data());
        Ok(out)
    }

    fn open(&mut self, input: &[u8]) -> sspi::Result<Vec<u8>> {
        if input.len() < SEAL_SPLIT {
            return Err(sspi::Error::new(
                sspi::ErrorKind::InvalidToken,
                "a sealed message shorter than its header",
            ));
        }
        let mut input = input.to_vec();
        let (token, data) = input.split_at_mut(SEAL_SPLIT);
        let mut buffers = [
            SecurityBufferRef::data_buf(data),
            SecurityBufferRef::token_buf(token),
        ];
        self.ctx.decrypt_message(&mut buffers)?;
        Ok(SecurityBufferRef::find_buffer(&buffers, BufferType::Data)?
            .data()
            .to_vec())
    }
}
