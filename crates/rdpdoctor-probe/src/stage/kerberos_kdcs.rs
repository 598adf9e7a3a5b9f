//! A realm's KDCs tried in order, as MIT's library tries the `kdc` lines of
//! a realm in krb5.conf: the next one only when the one before gave no
//! Kerberos answer on either transport ([RFC 4120 7.2.3]: a client may try
//! each KDC of the realm). The password is sent only after a KDC answered
//! the request without it ([`super::kerberos::run`]), so a KDC that did not
//! answer never had it: trying the next keeps one attempt per run.
//!
//! [RFC 4120 7.2.3]: https://www.rfc-editor.org/rfc/rfc4120#section-7.2.3

use std::net::SocketAddr;

use rdpdoctor_evidence::KerberosEvidence;

use super::kerberos::{KerberosOptions, run};

/// The most KDCs tried in one run: each silent one costs a step timeout.
pub const MAX_KDCS_TRIED: usize = 4;

/// Runs the stage against `first`, then against each of `more` (`host:port`
/// and its address) while none gave a Kerberos answer. Returns the evidence
/// of the last KDC tried and the KDCs tried before it, in order.
pub async fn run_in_order(
    first: &KerberosOptions,
    more: &[(String, SocketAddr)],
) -> (KerberosEvidence, Vec<String>) {
    let mut ev = run(first).await;
    let mut not_answering = Vec::new();
    for (kdc, addr) in more.iter().take(MAX_KDCS_TRIED.saturating_sub(1)) {
        if ev.as_reply.is_some() {
            break;
        }
        not_answering.push(ev.kdc.clone());
        let next = KerberosOptions {
            kdc: kdc.clone(),
            kdc_addr: *addr,
            // The logon asked the first KDC only.
            service_reply: None,
            ..first.clone()
        };
        ev = run(&next).await;
    }
    (ev, not_answering)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdpdoctor_evidence::KdcOutcome;
    use std::time::Duration;

    fn closed() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    #[tokio::test]
    async fn the_next_kdc_is_tried_only_when_one_gives_no_answer() {
        let (a, b) = (closed(), closed());
        let first = super::super::kerberos::tests::options("R.TEST", a, Duration::from_secs(1));
        let more: [(String, SocketAddr); 1] =
            [(format!("127.0.0.1:{b}"), ([127, 0, 0, 1], b).into())];
        let (ev, skipped) = run_in_order(&first, &more).await;
        assert_eq!(skipped, [format!("127.0.0.1:{a}")]);
        assert_eq!(ev.kdc, format!("127.0.0.1:{b}"));
        assert_eq!(ev.tcp.outcome, KdcOutcome::Refused);
        // At most MAX_KDCS_TRIED, whatever the list's length.
        let many = vec![more[0].clone(); 10];
        let (_, skipped) = run_in_order(&first, &many).await;
        assert_eq!(skipped.len(), MAX_KDCS_TRIED - 1);
    }
}
