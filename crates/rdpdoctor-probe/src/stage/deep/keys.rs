//! The deep probe's key material: the Security Exchange of Standard RDP
//! Security and the client's licensing replies. Every RSA operation under a
//! key the server sent runs through [`super::rsa::off_executor`], bounded by
//! the step budget.

use super::frames::{Stop, send};
use super::rsa::{self, RsaStop};
use crate::io::{Deadline, FramedStream};
use rdpdoctor_evidence::DeepOutcome;
use rdpdoctor_wire::license::{self, LicenseKeys};
use rdpdoctor_wire::mcs;
use rdpdoctor_wire::security::{self, Role, Session, SessionKeys};
use tokio::io::{AsyncRead, AsyncWrite};

fn failed(detail: String) -> Stop {
    DeepOutcome::Failed {
        detail,
        failure_kind: None,
    }
}

pub(super) fn random<const N: usize>() -> Result<[u8; N], Stop> {
    let mut buf = [0u8; N];
    getrandom::getrandom(&mut buf).map_err(|e| failed(format!("no randomness available: {e}")))?;
    Ok(buf)
}

/// Runs `work` (RSA under `key`, to encrypt `what`) off the executor within
/// one step; a key too costly for that is the server's fault, reported as such.
async fn rsa_within_step<T, F>(
    deadline: &Deadline,
    key: &mcs::RsaPublicKey,
    what: &str,
    work: F,
) -> Result<T, Stop>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let budget = deadline.step();
    rsa::off_executor(budget, work)
        .await
        .map_err(|stop| match stop {
            RsaStop::TooSlow => failed(format!(
                "encrypting the {what} under the server's RSA key ({}) did not finish within \
                 the step budget ({:.1} s); no real server's key costs that much",
                rsa::describe(key),
                budget.as_secs_f64()
            )),
            RsaStop::NoThread(e) => failed(format!("encrypting the {what}: {e}")),
        })
}

/// [MS-RDPBCGR 5.3.4] sends the client random under the server's key and
/// derives the session keys.
pub(super) async fn security_exchange<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut FramedStream<S>,
    user_id: u16,
    io_channel: u16,
    keying: &mcs::ServerKeying,
    deadline: &Deadline,
) -> Result<Session, Stop> {
    let Some(key) = &keying.public_key else {
        return Err(failed(format!(
            "the server selected encryption method {} (level {}) but sent no usable public key",
            keying.encryption_method,
            mcs::encryption_level_name(keying.encryption_level)
        )));
    };
    let client_random = random::<{ security::RANDOM_LEN }>()?;
    let owned_key = key.clone();
    let encrypted = rsa_within_step(deadline, key, "client random", move || {
        security::encrypt_client_random(&client_random, &owned_key)
    })
    .await?
    .map_err(|e| failed(e.to_string()))?;
    let keys = SessionKeys::derive(
        keying.encryption_method,
        &client_random,
        &keying.server_random,
    )
    .map_err(|e| failed(e.to_string()))?;
    let session = Session::new(keys, Role::Client).map_err(|e| failed(e.to_string()))?;
    let pdu = security::encode_security_exchange(user_id, io_channel, &encrypted);
    send(framed, &pdu, deadline, "the Security Exchange PDU").await?;
    Ok(session)
}

/// [MS-RDPELE 2.2.2.2] the answer to a License Request, as a client with
/// no stored license sends it: user and machine name "rdpdoctor".
pub(super) async fn new_license_request(
    req: &license::LicenseRequest,
    key: Option<&mcs::RsaPublicKey>,
    deadline: &Deadline,
) -> Result<(Vec<u8>, LicenseKeys), Stop> {
    let Some(key) = key else {
        return Err(failed(
            "the server's License Request carries no certificate to encrypt the premaster secret with".into(),
        ));
    };
    let client_random = random::<32>()?;
    let premaster = random::<{ license::PREMASTER_LEN }>()?;
    let keys = LicenseKeys::derive(&client_random, &req.server_random, &premaster);
    let owned_key = key.clone();
    let message = rsa_within_step(deadline, key, "licensing premaster secret", move || {
        license::encode_new_license_request(
            &client_random,
            &premaster,
            &owned_key,
            "rdpdoctor",
            "rdpdoctor",
        )
    })
    .await?
    .map_err(|e| failed(format!("licensing: {e}")))?;
    Ok((message, keys))
}

/// [MS-RDPELE 2.2.2.5] the answer to a Platform Challenge, with a random
/// hardware id (nothing that identifies the machine running the probe).
pub(super) fn platform_challenge_response(
    body: &[u8],
    keys: &LicenseKeys,
) -> Result<Vec<u8>, Stop> {
    let challenge = license::decode_platform_challenge(body, keys)
        .map_err(|e| failed(format!("licensing platform challenge: {e}")))?;
    let mut hardware_id = random::<20>()?;
    hardware_id[..4].copy_from_slice(&0x0401_0000u32.to_le_bytes());
    Ok(license::encode_platform_challenge_response(
        keys,
        &challenge,
        &hardware_id,
    ))
}
