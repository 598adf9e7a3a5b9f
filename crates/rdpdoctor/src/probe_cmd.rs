//! `rdpdoctor probe`.

use crate::args::{Format, ProbeArgs, ScanProfile};
use indicatif::{ProgressBar, ProgressStyle};
use rdpdoctor_evidence::LogonOutcome;
use rdpdoctor_probe::{ProbeOptions, Progress, parse_target};
use std::io::IsTerminal;
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
    let krb5 = crate::krb5_input::Krb5Files::load();
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
    let realm = realm.or_else(
        || match crate::kerberos_start::automatic(&report, &given, &krb5) {
            Ok(plan) => Some(plan),
            Err(note) => {
                report.kerberos_start = note.map(|n| *n);
                None
            }
        },
    );
    if let Some(mut plan) = realm {
        let k = &mut plan.first;
        if let Some(b) = &bar {
            b.set_message("Kerberos");
        }
        // At most one attempt per run can count against a lockout: the
        // password goes to the KDC only when the RDP logon has not already
        // been refused with it (right, or never sent).
        match (&opts.credentials, report.logon.as_ref().map(|l| &l.outcome)) {
            (Some(_), _) if report.gateway.is_some() => {
                k.password_withheld = Some(
                    "the RD Gateway already had these credentials: one attempt per run".into(),
                );
            }
            (
                Some(c),
                None
                | Some(
                    LogonOutcome::Authenticated
                    | LogonOutcome::AccessDenied
                    | LogonOutcome::NotVerified
                    | LogonOutcome::NotAttempted,
                ),
            ) => {
                k.credentials = Some(c.clone());
            }
            (Some(_), Some(outcome)) => {
                k.password_withheld = Some(if *outcome == LogonOutcome::Error {
                    "the RDP logon may already have sent this password before it failed: one attempt per run".into()
                } else {
                    "the RDP logon already tried this password without success: one failed attempt per run".into()
                });
            }
            (None, _) => {}
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
