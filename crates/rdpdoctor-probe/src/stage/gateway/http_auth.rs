//! Which HTTP authentication the probe speaks to an RD Gateway, and its
//! tokens ([MS-TSGU 3.3.5.1]: the HTTP transport authenticates each
//! `RDG_OUT_DATA` request with the schemes of the gateway's 401).
//!
//! [MS-TSGU] documents the client's side: with password credentials, "the
//! RDG client uses Negotiate as the preselected authentication scheme"
//! (connection setup of the HTTP transport), so mstsc speaks `Negotiate`
//! ([RFC 4559], SPNEGO [RFC 4178]: Kerberos for `HTTP/<gateway>` where it
//! can get that ticket, NTLM inside SPNEGO otherwise); FreeRDP 2 speaks only
//! `NTLM` to a gateway (FreeRDP issue 4881; Negotiate came with FreeRDP 3).
//! A Windows RD Gateway offers both by default; one set up for Negotiate
//! alone refuses the `NTLM` scheme. The probe picks:
//! - `Negotiate` when the 401 offers it and the run knows a KDC of a realm
//!   (`--realm`): the domain user's path, as mstsc makes it, with the
//!   mechanism chosen as the target's logon chooses it
//!   ([`super::super::logon_kerberos::choose_for`] for `HTTP/<gateway>`);
//! - `Negotiate` carrying NTLM when the 401 offers `Negotiate` and not
//!   `NTLM` (no KDC known);
//! - `NTLM` otherwise: without a KDC, Negotiate would carry the same NTLM
//!   check, and raw NTLM is what FreeRDP 2, the lab's reference client,
//!   sends, so the probe's evidence and xfreerdp's stay comparable.
//!
//! `Basic` is never sent: it would hand the gateway the password itself (in
//! base64), where NTLM and Kerberos prove it without sending it, and the
//! documented client preselects Negotiate. A gateway offering only Basic is
//! reported with the schemes it offers, not tried.
//!
//! [RFC 4559]: https://www.rfc-editor.org/rfc/rfc4559
//! [RFC 4178]: https://www.rfc-editor.org/rfc/rfc4178

use super::super::logon::{WORKSTATION, sspi_identity};
use super::super::logon_kerberos::{KdcLog, choose_for, mechanism, negotiate_config, resolve};
use crate::Credentials;
use crate::credentials::KerberosLogon;
use rdpdoctor_evidence::{AuthPackage, GatewayAuth, HttpAuthScheme, MechanismReason};
use sspi::{
    BufferType, ClientRequestFlags, CredentialUse, DataRepresentation, Negotiate, NegotiateConfig,
    SecurityBuffer, SecurityStatus, Sspi, SspiImpl,
};
use std::time::Duration;

/// The scheme and mechanism for a gateway whose 401 offered `offered`,
/// or `None` when it offers no scheme the probe speaks (Basic alone).
/// An empty list (a gateway that did not answer 401) is tried with NTLM,
/// the scheme every Windows gateway accepts by default.
pub(super) async fn choose(
    offered: &[String],
    gw_host: &str,
    creds: &Credentials,
    step: Duration,
) -> Option<GatewayAuth> {
    let has = |s: &str| offered.iter().any(|o| o.eq_ignore_ascii_case(s));
    let (negotiate, ntlm) = (has("Negotiate"), has("NTLM") || offered.is_empty());
    if negotiate && (creds.kerberos().is_some() || !ntlm) {
        let mechanism = choose_for("HTTP", gw_host, creds, step).await;
        return Some(GatewayAuth {
            scheme: HttpAuthScheme::Negotiate,
            mechanism,
        });
    }
    if !ntlm {
        return None;
    }
    let reason = if creds.kerberos().is_some() {
        MechanismReason::NegotiateNotOffered
    } else {
        MechanismReason::NoKdcKnown
    };
    Some(GatewayAuth {
        scheme: HttpAuthScheme::Ntlm,
        mechanism: mechanism(AuthPackage::Ntlm, reason),
    })
}

/// One client context: raw NTLM, or SPNEGO carrying Kerberos or NTLM.
/// Both are `sspi`'s Negotiate; raw NTLM is its NTLM mechanism's tokens
/// without the SPNEGO wrapping.
pub(super) struct Client {
    ctx: ClientCtx,
    /// The scheme's name, for errors.
    scheme: &'static str,
    target: String,
    kdc: Option<KerberosLogon>,
    flags: ClientRequestFlags,
    pub(super) log: KdcLog,
}

enum ClientCtx {
    Ntlm(Box<sspi::Ntlm>, Option<sspi::AuthIdentityBuffers>),
    Negotiate(Box<Negotiate>, Option<sspi::CredentialsBuffers>),
}

impl Client {
    pub(super) fn new(auth: &GatewayAuth, creds: &Credentials, host: &str) -> Result<Self, String> {
        let target = format!("HTTP/{host}");
        let kerberos = auth.mechanism.package == AuthPackage::Kerberos;
        let kdc = creds.kerberos().filter(|_| kerberos).cloned();
        let identity = sspi_identity(creds, kdc.as_ref().map(|p| p.realm.as_str()))?;
        let what = auth.scheme.header_name();
        let sspi::Credentials::AuthIdentity(id) = &identity else {
            return Err(format!("{what}: a password is needed"));
        };
        let (ctx, flags) = match auth.scheme {
            HttpAuthScheme::Ntlm => {
                let mut n =
                    sspi::Ntlm::with_config(sspi::ntlm::NtlmConfig::new(WORKSTATION.to_owned()));
                let handle = n
                    .acquire_credentials_handle()
                    .with_credential_use(CredentialUse::Outbound)
                    .with_auth_data(id)
                    .execute(&mut n)
                    .map_err(|e| format!("{what}: {e}"))?
                    .credentials_handle;
                (
                    ClientCtx::Ntlm(Box::new(n), handle),
                    ClientRequestFlags::ALLOCATE_MEMORY,
                )
            }
            HttpAuthScheme::Negotiate => {
                let config = match &kdc {
                    Some(plan) => negotiate_config(plan, WORKSTATION),
                    // SPNEGO with NTLM only: no KDC is looked for.
                    None => NegotiateConfig {
                        protocol_config: Box::new(sspi::ntlm::NtlmConfig::new(
                            WORKSTATION.to_owned(),
                        )),
                        package_list: Some("ntlm".to_owned()),
                        client_computer_name: WORKSTATION.to_owned(),
                    },
                };
                let mut n = Negotiate::new_client(config).map_err(|e| format!("{what}: {e}"))?;
                let handle = n
                    .acquire_credentials_handle()
                    .with_credential_use(CredentialUse::Outbound)
                    .with_auth_data(&identity)
                    .execute(&mut n)
                    .map_err(|e| format!("{what}: {e}"))?
                    .credentials_handle;
                // Mutual authentication: the gateway's last token proves it
                // holds the service key (Kerberos) or the session (NTLM's
                // mechListMIC). No user-to-user, as mstsc.
                (
                    ClientCtx::Negotiate(Box::new(n), handle),
                    ClientRequestFlags::MUTUAL_AUTH | ClientRequestFlags::INTEGRITY,
                )
            }
        };
        Ok(Client {
            ctx,
            scheme: what,
            target,
            kdc,
            flags,
            log: KdcLog::default(),
        })
    }

    /// One step: the gateway's token in (none at first), ours out, and
    /// whether the context is complete. KDC requests go to the plan's KDC
    /// only, each within `step`.
    pub(super) async fn step(
        &mut self,
        input: Option<Vec<u8>>,
        step: Duration,
    ) -> Result<(Vec<u8>, bool), String> {
        let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
        let mut input = vec![SecurityBuffer::new(
            input.unwrap_or_default(),
            BufferType::Token,
        )];
        let turn = Turn {
            flags: self.flags,
            target: &self.target,
            kdc: self.kdc.as_ref(),
            step,
        };
        let io = (&mut input, &mut output);
        let log = &mut self.log;
        let status = match &mut self.ctx {
            ClientCtx::Ntlm(n, creds) => initialize(n.as_mut(), creds, &turn, io, log).await,
            ClientCtx::Negotiate(n, creds) => initialize(n.as_mut(), creds, &turn, io, log).await,
        }
        .map_err(|e| format!("{}: {e}", self.scheme))?;
        let token = output.pop().map(|b| b.buffer).unwrap_or_default();
        Ok((token, status == SecurityStatus::Ok))
    }
}

/// What each turn of a context asks the same way.
struct Turn<'a> {
    flags: ClientRequestFlags,
    target: &'a str,
    kdc: Option<&'a KerberosLogon>,
    step: Duration,
}

/// One `InitializeSecurityContext` of `ctx`, its KDC requests answered by
/// [`resolve`] (NTLM asks none).
async fn initialize<S: SspiImpl + Sspi>(
    ctx: &mut S,
    creds: &mut S::CredentialsHandle,
    turn: &Turn<'_>,
    (input, output): (&mut Vec<SecurityBuffer>, &mut Vec<SecurityBuffer>),
    log: &mut KdcLog,
) -> Result<SecurityStatus, String> {
    let mut builder = ctx
        .initialize_security_context()
        .with_credentials_handle(creds)
        .with_context_requirements(turn.flags)
        .with_target_data_representation(DataRepresentation::Native)
        .with_target_name(turn.target)
        .with_input(input)
        .with_output(output);
    let generator = ctx
        .initialize_security_context_impl(&mut builder)
        .map_err(|e| e.description)?;
    Ok(resolve(generator, turn.kdc, turn.step, log)
        .await
        .map_err(|e| e.description)?
        .status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered(schemes: &[&str]) -> Option<(HttpAuthScheme, MechanismReason)> {
        let creds = Credentials::new("demo", "pw".to_owned().into()).unwrap();
        let list: Vec<String> = schemes.iter().map(|s| (*s).to_owned()).collect();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(choose(
            &list,
            "rdgw.example",
            &creds,
            Duration::from_secs(1),
        ))
        .map(|a| (a.scheme, a.mechanism.reason))
    }

    #[test]
    fn the_scheme_follows_the_401_and_the_run() {
        use HttpAuthScheme::*;
        // Both offered and no KDC: raw NTLM, as FreeRDP 2.
        assert_eq!(
            offered(&["Negotiate", "NTLM"]),
            Some((Ntlm, MechanismReason::NoKdcKnown))
        );
        // Negotiate alone: SPNEGO with NTLM inside.
        assert_eq!(
            offered(&["Negotiate"]),
            Some((Negotiate, MechanismReason::NoKdcKnown))
        );
        // A gateway that asked for nothing is tried with NTLM.
        assert_eq!(offered(&[]), Some((Ntlm, MechanismReason::NoKdcKnown)));
        // Basic alone is never tried.
        assert_eq!(offered(&["Basic"]), None);
        assert_eq!(
            offered(&["Basic", "NTLM"]),
            Some((Ntlm, MechanismReason::NoKdcKnown))
        );
    }
}
