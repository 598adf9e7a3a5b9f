//! `rdpdoctor probe`.

use crate::args::{Format, ProbeArgs, ScanProfile};
use indicatif::{ProgressBar, ProgressStyle};
use rdpdoctor_evidence::LogonOutcome;
use rdpdoctor_probe::{ProbeOptions, Progress, parse_target};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Spinner(ProgressBar);

impl Progress for Spinner {
    fn stage(&self, name: &str) {
        self.0.set_message(name.to_owned());
    }
}

pub fn run(args: ProbeArgs) -> Result<u8, String> {
    // The connection file first: it may name the target.
    let rdp_file = match &args.rdp_file {
        Some(path) => Some(crate::rdp_input::read(path)?),
        None => None,
    };
    let target = match &rdp_file {
        Some(file) => crate::rdp_input::target(file, args.target.as_deref())?,
        None => {
            parse_target(args.target.as_deref().unwrap_or_default()).map_err(|e| e.to_string())?
        }
    };
    // --gateway, else the file's gateway when the file says to use one: the
    // connection is probed the way mstsc makes it.
    let gateway = match (&args.gateway, rdp_file.as_ref().and_then(|f| f.gateway())) {
        (Some(g), _) => Some(rdpdoctor_probe::parse_gateway(g)?),
        (None, Some(g)) if g.usage.uses_gateway() => Some(g),
        _ => None,
    };
    // Check the error hint and read the host evidence before spending time
    // on the network.
    let codes = crate::inputs::read_error_hint(args.error.as_deref())?;
    let host = if args.host_evidence.is_empty() && !args.host_local {
        None
    } else {
        Some(crate::inputs::read(
            &args.host_evidence,
            args.host_local,
            args.since,
            None,
        )?)
    };
    let client =
        crate::inputs::read_client(&args.client_evidence, args.client_local, host.as_ref())?;
    // The password before the network, so a bad one costs no traffic.
    let credentials =
        crate::password::optional(args.user.as_deref(), args.password_file.as_deref())?;
    // krb5.conf as MIT's tools read it: --realm's KDC when --kdc is not
    // given, and the realm of the target's NTLM domain after the probe.
    let krb5 = Arc::new(crate::krb5_input::Krb5Files::load());
    let target_host = (!target.host_is_ip).then(|| target.host.clone());
    let given = crate::kerberos_start::Given {
        kdc: args.kdc.as_deref(),
        user: args.user.as_deref(),
        target_host: target_host.as_deref(),
        step_timeout: Duration::from_secs_f64(args.timeout),
    };
    let realm = match &args.realm {
        Some(realm) => Some(crate::kerberos_start::explicit(realm, &given, &krb5)?),
        None => {
            if let Some(k) = &args.kdc {
                crate::realm::split_kdc(k)?;
            }
            None
        }
    };
    // With --realm and its KDC known before the probe, the logon inside
    // CredSSP tries Kerberos first, as mstsc in a domain.
    let credentials = match (credentials, &realm) {
        (Some(c), Some(plan)) => Some(c.with_kerberos(rdpdoctor_probe::KerberosLogon {
            realm: plan.first.realm.to_ascii_uppercase(),
            kdc: plan.first.kdc.clone(),
            kdc_addr: plan.first.kdc_addr,
            known_by: rdpdoctor_evidence::StartReason::RealmFlag,
            transport: rdpdoctor_evidence::KdcTransport::Tcp,
        })),
        (c, _) => c,
    };
    // Without --realm, on a direct probe with credentials: the realm of the
    // target's NTLM domain is planned as soon as the CredSSP stage has read
    // its CHALLENGE (no password in it), before the logon, which then uses
    // Kerberos as mstsc in that domain would. The plan is kept for the
    // Kerberos stage after the probe: krb5.conf's KDCs resolved once.
    let planned: Arc<Mutex<Option<AutoPlan>>> = Arc::default();
    let kerberos_after_ntlm = (args.realm.is_none() && gateway.is_none())
        .then_some(credentials.as_ref())
        .flatten()
        .map(|c| after_ntlm(c, &args, &krb5, &planned));
    let opts = ProbeOptions {
        step_timeout: Duration::from_secs_f64(args.timeout),
        ceiling: Duration::from_secs_f64(args.ceiling),
        samples: args.samples,
        address: args.address,
        reverse_dns: !args.no_reverse_dns,
        credentials,
        profile: match args.profile {
            ScanProfile::Fast => rdpdoctor_probe::Profile::Fast,
            ScanProfile::Full => rdpdoctor_probe::Profile::Full,
        },
        gateway,
        kerberos_after_ntlm,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;

    // A spinner only when a person watches stderr.
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::new_spinner();
        b.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        b.enable_steady_tick(Duration::from_millis(100));
        Some(b)
    } else {
        None
    };
    let mut report = runtime.block_on(async {
        let spinner = bar.as_ref().map(|b| Spinner(b.clone()));
        let progress: &dyn Progress = match &spinner {
            Some(s) => s,
            None => &rdpdoctor_probe::NoProgress,
        };
        rdpdoctor_probe::probe(target, &opts, progress).await
    });
    // Without --realm: on its own when the target's NTLM names a domain
    // whose KDC is known; else the report says what to pass.
    let realm = realm.or_else(|| {
        // The plan made before the logon, else made now.
        let auto = planned
            .lock()
            .ok()
            .and_then(|mut p| p.take())
            .unwrap_or_else(|| crate::kerberos_start::automatic(&report, &given, &krb5));
        match auto {
            Ok(plan) => Some(plan),
            Err(note) => {
                report.kerberos_start = note.map(|n| *n);
                None
            }
        }
    });
    if let Some(mut plan) = realm {
        let k = &mut plan.first;
        if let Some(b) = &bar {
            b.set_message("Kerberos");
        }
        let automatic = args.realm.is_none();
        match kdc_password(
            opts.credentials.as_ref(),
            opts.gateway.is_some(),
            automatic.then_some(k.realm.as_str()),
            &report,
        ) {
            Ok(c) => k.credentials = c,
            Err(why) => k.password_withheld = Some(why.into()),
        }
        // The logon's package choice already asked this KDC for the SPN
        // with the same user: its answer stands, the KDC is not asked again.
        if let (Some(m), Some(c)) = (
            report.logon.as_ref().and_then(|l| l.mechanism.as_ref()),
            opts.credentials.as_ref(),
        ) && m.kdc.as_deref() == Some(k.kdc.as_str())
            && m.realm.as_deref() == Some(k.realm.to_ascii_uppercase().as_str())
            && k.user.as_deref() == Some(c.user())
        {
            k.service_reply = m.spn_reply.clone();
        }
        let (ev, not_answering) = runtime.block_on(
            rdpdoctor_probe::stage::kerberos_kdcs::run_in_order(k, &plan.more),
        );
        report.kerberos = Some(ev);
        plan.start.kdcs_not_answering = not_answering;
        report.kerberos_start = Some(plan.start);
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    if let Some(h) = &host {
        crate::inputs::same_machine_as_wire(h, &report)?;
    }
    // An .rdp file is mstsc's: its settings make the client predicted,
    // unless --client names others.
    let clients = if args.client.is_empty() && rdp_file.is_some() {
        vec![
            rdpdoctor_diagnose::ClientId::MstscWin10,
            rdpdoctor_diagnose::ClientId::MstscWin11,
        ]
    } else {
        args.client.clone()
    };
    let ctx = rdpdoctor_diagnose::Context {
        clients,
        environment: args.environment,
    };
    let input = host.as_ref().map(|h| rdpdoctor_diagnose::HostInput {
        evidence: h,
        now_unix: crate::inputs::now_unix(),
    });
    let evidence = rdpdoctor_diagnose::Evidence::wire(&report)
        .with_host(input)
        .with_client(client.as_ref().map(|c| rdpdoctor_diagnose::HostInput {
            evidence: c,
            now_unix: crate::inputs::now_unix(),
        }))
        .with_codes(codes.as_ref().map(crate::inputs::ErrorHint::as_user_codes));
    let evidence = rdpdoctor_diagnose::Evidence {
        rdp_file: rdp_file.as_ref(),
        ..evidence
    };
    let judgement = rdpdoctor_diagnose::judge(&evidence, &ctx);
    let out = match args.format {
        Format::Json => {
            let mut v = rdpdoctor_render::probe_json(&report, &judgement);
            if let (Some(h), Some(obj)) = (&host, v.as_object_mut()) {
                obj.insert(
                    "host".to_owned(),
                    serde_json::to_value(h).unwrap_or(serde_json::Value::Null),
                );
            }
            rdpdoctor_render::json(&v)
        }
        Format::Markdown if args.brief => rdpdoctor_render::markdown::answer(
            &rdpdoctor_render::outline::probe_title(&report),
            &judgement,
        ),
        Format::Markdown => {
            rdpdoctor_render::markdown::probe_report(&report, &judgement, host.as_ref())
        }
        Format::Html if args.brief => rdpdoctor_render::html::answer(
            &rdpdoctor_render::outline::probe_title(&report),
            &judgement,
        ),
        Format::Html => rdpdoctor_render::html::probe_report(&report, &judgement, host.as_ref()),
        Format::Text => {
            let style = args.color.style();
            let head = rdpdoctor_render::head::head(&report, &judgement, &style);
            if args.brief {
                rdpdoctor_render::head::brief(head, &judgement)
            } else {
                let mut body = vec![rdpdoctor_render::text::probe_report(
                    &report, &judgement, &style,
                )];
                if let Some(h) = &host {
                    body.push(rdpdoctor_render::host::host_report(h, &judgement, &style));
                }
                rdpdoctor_render::text_report(head, &body, &judgement, &style)
            }
        }
    };
    crate::output::print_out(&out, args.format)?;
    Ok(judgement.verdict.exit_code())
}

/// The automatic start's plan, or the report's note of why not.
type AutoPlan = Result<crate::kerberos_start::Plan, Option<Box<rdpdoctor_evidence::KerberosStart>>>;

/// The planner the probe asks before its logon (without `--realm`): the
/// automatic start's plan from the NTLM facts, kept in `planned`, and its
/// first KDC for the logon when the password may go to that realm
/// ([`domain_may_get_password`]).
fn after_ntlm(
    creds: &rdpdoctor_probe::Credentials,
    args: &ProbeArgs,
    krb5: &Arc<crate::krb5_input::Krb5Files>,
    planned: &Arc<Mutex<Option<AutoPlan>>>,
) -> rdpdoctor_probe::KerberosAfterNtlm {
    let krb5 = Arc::clone(krb5);
    let planned = Arc::clone(planned);
    let domain = user_domain(creds).map(str::to_owned);
    let kdc = args.kdc.clone();
    let user = args.user.clone();
    let step_timeout = Duration::from_secs_f64(args.timeout);
    rdpdoctor_probe::KerberosAfterNtlm(Arc::new(move |report| {
        let target_host = (!report.target.host_is_ip).then(|| report.target.host.clone());
        let given = crate::kerberos_start::Given {
            kdc: kdc.as_deref(),
            user: user.as_deref(),
            target_host: target_host.as_deref(),
            step_timeout,
        };
        let plan = crate::kerberos_start::automatic(report, &given, &krb5);
        let logon = match &plan {
            Ok(p) if domain_may_get_password(domain.as_deref(), &p.first.realm, report) => {
                Some(rdpdoctor_probe::KerberosLogon {
                    realm: p.first.realm.to_ascii_uppercase(),
                    kdc: p.first.kdc.clone(),
                    kdc_addr: p.first.kdc_addr,
                    known_by: rdpdoctor_evidence::StartReason::NtlmDomain,
                    transport: rdpdoctor_evidence::KdcTransport::Tcp,
                })
            }
            _ => None,
        };
        if let Ok(mut slot) = planned.lock() {
            *slot = Some(plan);
        }
        logon
    }))
}

/// Whether a realm the run found on its own (from the target's NTLM
/// domain) may get the password of a user who named `domain`: only the
/// realm of the domain the user named (`CORP\alice`, `alice@corp.example`),
/// never an account of the same name in a realm the user did not name. A
/// user who named no domain is the target domain's.
fn domain_may_get_password(
    domain: Option<&str>,
    realm: &str,
    report: &rdpdoctor_evidence::ProbeReport,
) -> bool {
    let Some(domain) = domain else {
        return true;
    };
    let n = report.ntlm.as_ref();
    let names = [
        n.and_then(|n| n.netbios_domain_name.as_deref()),
        n.and_then(|n| n.dns_domain_name.as_deref()),
        n.and_then(|n| n.dns_tree_name.as_deref()),
        Some(realm),
    ];
    names
        .into_iter()
        .flatten()
        .any(|x| x.trim_end_matches('.').eq_ignore_ascii_case(domain))
}

/// The credentials the KDC may get (`Ok(None)`: none were given), or why
/// they are withheld. At most one refused authentication per run: the
/// password goes to the KDC only when neither the RD Gateway nor the RDP
/// logon refused it, or may have.
fn kdc_password(
    credentials: Option<&rdpdoctor_probe::Credentials>,
    through_gateway: bool,
    automatic_realm: Option<&str>,
    report: &rdpdoctor_evidence::ProbeReport,
) -> Result<Option<rdpdoctor_probe::Credentials>, &'static str> {
    let Some(c) = credentials else {
        return Ok(None);
    };
    // Started on its own: the password goes only to the realm of the
    // domain the user named (`CORP\alice`, `alice@corp.example`), never to
    // an account of the same name in a realm the user did not name.
    if let Some(realm) = automatic_realm
        && !domain_may_get_password(user_domain(c), realm, report)
    {
        return Err(
            "--user names another domain than the realm this check started for on its own: pass --realm for that domain's KDC",
        );
    }
    if through_gateway {
        match &report.gateway {
            // Cut at the probe's time limit: the gateway and the server's
            // logon may both have had the password, with no answer kept.
            None => {
                return Err(
                    "the probe through the RD Gateway stopped at its time limit with these credentials sent: at most one refused attempt per run",
                );
            }
            Some(g) if g.credentials_refused() => {
                return Err("the RD Gateway refused these credentials: one failed attempt per run");
            }
            Some(_) => {}
        }
    }
    match report.logon.as_ref().map(|l| &l.outcome) {
        // NotVerified: the server went on to a session without saying. A
        // Windows server without NLA may have refused (and counted) a wrong
        // password it shows only on its logon screen; the KDC then counts a
        // second. Kept, as the lab's Kerberos rows need it (the lab has no
        // NLA server that knows the realm's password); the note says so.
        None
        | Some(
            LogonOutcome::Authenticated
            | LogonOutcome::AccessDenied
            | LogonOutcome::NotVerified
            | LogonOutcome::NotAttempted,
        ) => Ok(Some(c.clone())),
        Some(LogonOutcome::Error) => Err(
            "the RDP logon may already have sent this password before it failed: one attempt per run",
        ),
        Some(_) => Err(
            "the RDP logon already tried this password without success: one failed attempt per run",
        ),
    }
}

/// The domain `--user` names: `DOMAIN\\user`'s, or a UPN's suffix.
fn user_domain(c: &rdpdoctor_probe::Credentials) -> Option<&str> {
    c.domain()
        .or_else(|| c.user().rsplit_once('@').map(|(_, d)| d))
        .map(|d| d.trim_end_matches('.'))
        .filter(|d| !d.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdpdoctor_evidence::{LogonEvidence, LogonMethod};

    fn creds(user: &str) -> rdpdoctor_probe::Credentials {
        rdpdoctor_probe::Credentials::new(user, zeroize::Zeroizing::new("Pw-1".into())).unwrap()
    }

    /// The recorded NLA host (NTLM names CORP and corp.example), its logon
    /// ended as given.
    fn after_logon(outcome: Option<LogonOutcome>) -> rdpdoctor_evidence::ProbeReport {
        let mut r = rdpdoctor_testkit::reports::nla_optional();
        r.logon = outcome.map(|outcome| LogonEvidence {
            outcome,
            ..rdpdoctor_probe::stage::logon::evidence(
                &creds("CORP\\alice"),
                LogonMethod::ClientInfo,
            )
        });
        r
    }

    #[test]
    fn the_kdc_gets_the_password_only_when_nothing_refused_it() {
        let c = creds("CORP\\alice");
        let sent = |through: bool, auto: Option<&str>, r: &rdpdoctor_evidence::ProbeReport| {
            kdc_password(Some(&c), through, auto, r).map(|c| c.is_some())
        };
        assert_eq!(sent(false, None, &after_logon(None)), Ok(true));
        assert_eq!(
            sent(false, None, &after_logon(Some(LogonOutcome::Authenticated))),
            Ok(true)
        );
        assert!(sent(false, None, &after_logon(Some(LogonOutcome::Rejected))).is_err());
        assert!(sent(false, None, &after_logon(Some(LogonOutcome::Error))).is_err());
        // Through a gateway, a probe cut at its time limit kept no answer.
        let cut = after_logon(None);
        assert!(cut.gateway.is_none());
        assert!(sent(true, None, &cut).is_err());
        assert_eq!(
            kdc_password(None, true, None, &cut).map(|c| c.is_some()),
            Ok(false)
        );
    }

    #[test]
    fn an_automatic_start_sends_no_password_for_another_domain() {
        let r = after_logon(Some(LogonOutcome::Authenticated));
        let sent = |user: &str| {
            kdc_password(Some(&creds(user)), false, Some("CORP.EXAMPLE"), &r).map(|c| c.is_some())
        };
        for same in [
            "CORP\\alice",
            "corp.example\\alice",
            "alice@CORP.EXAMPLE",
            "alice",
        ] {
            assert_eq!(sent(same), Ok(true), "{same}");
        }
        for other in ["FABRIKAM\\alice", "alice@fabrikam.com"] {
            assert!(sent(other).is_err(), "{other}");
        }
        // Asked for by --realm: the user's choice, sent.
        let c = creds("FABRIKAM\\alice");
        assert_eq!(
            kdc_password(Some(&c), false, None, &r).map(|c| c.is_some()),
            Ok(true)
        );
    }
}
