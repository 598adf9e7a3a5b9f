//! The RD Gateway section of a probe report (`probe --gateway`): the hops
//! in order, each with its outcome and status. Gateway text (the reason
//! phrase, the `Server` field, the certificate's subject, error details)
//! goes through [`term`].

use super::Builder;
use crate::safe::term;
use rdpdoctor_diagnose::Section as Sec;
use rdpdoctor_evidence::{GatewayEvidence, HopOutcome};

fn outcome(o: HopOutcome) -> &'static str {
    match o {
        HopOutcome::Ok => "ok",
        HopOutcome::Refused => "refused",
        HopOutcome::NoAnswer => "no answer",
        HopOutcome::Closed => "closed",
        HopOutcome::Failed => "failed",
    }
}

/// The gateway's section, first: it is the first hop of the path.
pub(super) fn section(d: &mut Builder<'_>, g: &GatewayEvidence) {
    let at = term(&format!("{}:{}", g.host, g.port));
    let summary = match g.failed_hop() {
        Some(h) => format!(
            "{at} · stops at {}: {}{}",
            h.hop.title(),
            outcome(h.outcome),
            h.status_name
                .as_deref()
                .map(|s| format!(" ({})", term(s)))
                .unwrap_or_default()
        ),
        None if g.channel_opened && g.target_probed => {
            format!("{at} · channel to the target opened; the target was probed through it (below)")
        }
        None if g.channel_opened => format!(
            "{at} · channel to the target opened; the target itself was not probed through the gateway"
        ),
        None => format!("{at} · answers; the tunnel was not followed (no --user)"),
    };
    d.stage(Sec::Gateway, true, &summary);
    for h in &g.hops {
        let mut line = format!(
            "{} {} ({:.0} ms)",
            h.hop.name(),
            outcome(h.outcome),
            h.elapsed_ms
        );
        if let Some(s) = &h.status_name {
            line.push_str(&format!(" · {}", term(s)));
        }
        if let Some(x) = &h.detail {
            line.push_str(&format!(" · {}", term(x)));
        }
        d.detail(&line);
    }
    if let Some(c) = &g.certificate {
        d.detail(&format!(
            "gateway certificate {} · until {}{}",
            term(&c.subject),
            term(&c.not_after),
            if c.self_signed { " · self-signed" } else { "" }
        ));
    }
    if !g.auth_schemes.is_empty() {
        let schemes: Vec<String> = g.auth_schemes.iter().map(|s| term(s)).collect();
        d.detail(&format!("offers {}", schemes.join(", ")));
    }
    if let Some(a) = &g.auth {
        let (package, why) = super::kerberos::package_and_why(&a.mechanism, "HTTP/<gateway>");
        let kdc = match (&a.mechanism.kdc_error_name, a.mechanism.kdc_error) {
            (Some(n), Some(c)) => format!("; the KDC refused: {} ({c})", term(n)),
            _ => String::new(),
        };
        let scheme = match a.scheme {
            rdpdoctor_evidence::HttpAuthScheme::Ntlm => "NTLM".to_owned(),
            rdpdoctor_evidence::HttpAuthScheme::Negotiate => format!("Negotiate with {package}"),
        };
        d.detail(&format!("HTTP authentication: {scheme} ({why}){kdc}"));
    }
    match g.websocket {
        Some(true) => d.detail("WebSocket transport accepted"),
        Some(false) => d.detail("WebSocket transport refused: legacy HTTP transport only"),
        None => {}
    }
    if let Some(rpc) = &g.rpc_over_http {
        let said = match (rpc.status, &rpc.detail) {
            (Some(s), _) => s.to_string(),
            (None, Some(why)) => term(why),
            (None, None) => "nothing".into(),
        };
        let schemes: Vec<String> = rpc.auth_schemes.iter().map(|s| term(s)).collect();
        d.detail(&format!(
            "RPC over HTTP (RPC_IN_DATA): {said}{}",
            if schemes.is_empty() {
                String::new()
            } else {
                format!(", offers {}", schemes.join(", "))
            }
        ));
    }
    if let Some(s) = &g.server_header {
        d.detail(&format!("Server: {}", term(s)));
    }
    if let Some(e) = &g.channel_end {
        d.detail(&format!("channel to the target ended: {}", term(e)));
    }
    if let Some(u) = &g.udp {
        d.detail(&udp_line(u));
    }
}

/// The UDP side channel's check, one line: `UDP side channel 3391
/// reachable · DTLSv1.2 (59 ms)`.
fn udp_line(u: &rdpdoctor_evidence::UdpSideChannel) -> String {
    let mut line = format!("UDP side channel {} {}", u.port, u.outcome.name());
    if let Some(v) = &u.dtls_version {
        line.push_str(&format!(" · {}", term(v)));
    }
    if let Some(x) = &u.detail {
        line.push_str(&format!(" · {}", term(x)));
    }
    line.push_str(&format!(" ({:.0} ms)", u.elapsed_ms));
    line
}

/// Which hop answered the credentials, in the gateway's section: the
/// gateway accepted them (a channel opened), and the target's own logon
/// through the channel accepted or refused them.
pub(super) fn target_logon(d: &mut Builder<'_>, r: &rdpdoctor_evidence::ProbeReport) {
    use rdpdoctor_evidence::LogonOutcome as O;
    let (Some(g), Some(l)) = (&r.gateway, &r.logon) else {
        return;
    };
    if !g.target_probed {
        return;
    }
    let said = match l.outcome {
        O::Authenticated => "accepted by the gateway and by the target's logon",
        O::AccessDenied | O::Rejected | O::Closed => {
            "accepted by the gateway, refused by the target's logon: the target is the hop that fails"
        }
        O::NotVerified => {
            "accepted by the gateway; the target went on without saying whether it accepts them"
        }
        O::NoAnswer | O::NotAttempted | O::Error => {
            "accepted by the gateway; the target's logon did not come to an answer"
        }
    };
    d.detail(&format!("credentials of {} {said}", term(&l.user)));
}

/// Through the channel, the target's TCP is the gateway's own connection:
/// not measured.
pub(super) fn through_before(d: &mut Builder<'_>) {
    d.stage(
        Sec::Tcp,
        false,
        "not measured: the RD Gateway connects to the target",
    );
}

/// The stages after the certificate, as the direct probe shows them where
/// they ran through the gateway (CredSSP on the channel whose target
/// selected NLA, Standard RDP Security and the deep probe on channels of
/// their own) or where the target's answers leave nothing to check; else
/// "not probed through the RD Gateway".
pub(super) fn through_after(
    d: &mut Builder<'_>,
    r: &rdpdoctor_evidence::ProbeReport,
    judgement: &rdpdoctor_diagnose::Judgement,
) {
    use rdpdoctor_evidence::Stage;
    let not = |d: &mut Builder<'_>, sec| d.stage(sec, false, "not probed through the RD Gateway");
    match r.not_checked.contains(&Stage::Credssp) {
        true => not(d, Sec::Credssp),
        false => super::probe::credssp(d, r, judgement),
    }
    match r.not_checked.contains(&Stage::RdpSecurity) {
        true => not(d, Sec::RdpSecurity),
        false => super::probe::rdp_security(d, r),
    }
    match r.not_checked.contains(&Stage::Deep) {
        true => not(d, Sec::LogonScreen),
        false => super::probe::logon_screen(d, r),
    }
}

/// The target's own stages, which `probe --gateway` does not run (they would
/// go through the gateway's channel): shown as not probed, never as failed.
pub(super) fn target_not_probed(d: &mut Builder<'_>) {
    for sec in [
        Sec::Tcp,
        Sec::Negotiation,
        Sec::Tls,
        Sec::Certificate,
        Sec::Credssp,
        Sec::RdpSecurity,
        Sec::LogonScreen,
    ] {
        d.stage(
            sec,
            false,
            "not probed: the target was reached only through the RD Gateway",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdpdoctor_evidence::{UdpOutcome, UdpSideChannel};

    #[test]
    fn the_udp_side_channel_is_one_line_of_the_gateway_section() {
        let mut u = UdpSideChannel {
            port: 3391,
            outcome: UdpOutcome::NoAnswer,
            dtls_version: None,
            datagrams: 0,
            detail: Some("no answer within 3 s".into()),
            elapsed_ms: 3001.2,
        };
        assert_eq!(
            udp_line(&u),
            "UDP side channel 3391 no-answer · no answer within 3 s (3001 ms)"
        );
        u.outcome = UdpOutcome::Reachable;
        u.dtls_version = Some("DTLSv1.2".into());
        u.detail = None;
        u.elapsed_ms = 59.0;
        assert_eq!(
            udp_line(&u),
            "UDP side channel 3391 reachable · DTLSv1.2 (59 ms)"
        );
    }
}
