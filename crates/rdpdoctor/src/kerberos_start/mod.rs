//! Which realm and KDC the Kerberos stage asks, and whether it starts at
//! all. With `--realm`: the KDC from `--kdc`, else `SSPI_KDC_URL`, else the
//! realm's `kdc` lines in krb5.conf (tried in order), else the realm's DNS
//! SRV records, else the realm's own name (as before). Without `--realm`,
//! after the wire probe: when the target's NTLM CHALLENGE names a DNS
//! domain ([MS-NLMP 2.2.2.1] MsvAvDnsDomainName, else MsvAvDnsTreeName),
//! its realm (krb5.conf
//! `[domain_realm]`, else the domain upper-cased) is checked as if
//! `--realm` had been given, but only when a KDC for it is known from
//! `--kdc` or krb5.conf: nothing is resolved or sent otherwise (no DNS
//! lookup of a name the server chose), and the report says what to pass.

use crate::krb5_input::Krb5Files;
use rdpdoctor_evidence::{KdcSource, KerberosStart, ProbeReport, RealmFrom, StartReason};
use rdpdoctor_probe::stage::kerberos::KerberosOptions;
use rdpdoctor_render::safe::quote;
use std::net::SocketAddr;
use std::time::Duration;

/// What the stage will do: the first KDC's options, the KDCs to try after
/// it, and how it was started.
pub struct Plan {
    pub first: KerberosOptions,
    pub more: Vec<(String, SocketAddr)>,
    pub start: KerberosStart,
}

/// What the command line gave, beside the realm.
pub struct Given<'a> {
    pub kdc: Option<&'a str>,
    pub user: Option<&'a str>,
    pub target_host: Option<&'a str>,
    pub step_timeout: Duration,
}

fn start(reason: StartReason, realm: &str, realm_from: RealmFrom) -> KerberosStart {
    KerberosStart {
        reason,
        started: false,
        ntlm_dns_domain: None,
        realm: Some(realm.to_owned()),
        realm_from: Some(realm_from),
        kdc_source: None,
        kdc_config: None,
        kdcs_not_answering: Vec::new(),
        krb5_conf: Vec::new(),
        kdc_srv_name: None,
        srv_not_found: None,
        not_started: None,
    }
}

/// The first KDC's options and the others to try, (`host:port`, address).
type Kdcs = (KerberosOptions, Vec<(String, SocketAddr)>);

/// The realm's KDCs from krb5.conf, resolved: the first as the stage's
/// options, the rest as (`host:port`, address). A line that is not a KDC
/// address or does not resolve is noted and skipped. `Err` (a sentence)
/// when no line gives one.
fn from_conf(
    realm: &str,
    g: &Given<'_>,
    conf: &Krb5Files,
    start: &mut KerberosStart,
) -> Result<Option<Kdcs>, String> {
    start.krb5_conf = conf.reads();
    let Some((path, kdcs)) = conf.kdcs(realm) else {
        return Ok(None);
    };
    let mut found: Vec<KerberosOptions> = Vec::new();
    let mut skipped = Vec::new();
    // Only the lines a run may try are looked up (each a blocking lookup
    // of a name the user's krb5.conf gave).
    for kdc in kdcs
        .iter()
        .take(rdpdoctor_probe::stage::kerberos_kdcs::MAX_KDCS_TRIED)
    {
        match crate::realm::options(realm, Some(kdc), g.user, g.target_host, g.step_timeout) {
            Ok(o) => found.push(o),
            Err(e) => skipped.push(e),
        }
    }
    if let Some(file) = start.krb5_conf.iter_mut().find(|r| r.path == path) {
        file.notes
            .extend(skipped.iter().map(|e| format!("kdc skipped: {e}")));
    }
    let mut found = found.into_iter();
    let Some(mut first) = found.next() else {
        return Err(format!(
            "no KDC of {} in {} could be used ({}): give one with --kdc HOST[:PORT]",
            quote(realm),
            quote(path),
            skipped.join("; ")
        ));
    };
    first.kdc_source = KdcSource::Krb5Conf;
    start.kdc_source = Some(KdcSource::Krb5Conf);
    start.kdc_config = Some(path.to_owned());
    let more = found.map(|o| (o.kdc, o.kdc_addr)).collect();
    Ok(Some((first, more)))
}

/// The realm's KDCs from its DNS SRV records (only for an explicit
/// `--realm` with no KDC known otherwise), looked up before the probe.
fn from_srv(realm: &str, g: &Given<'_>, start: &mut KerberosStart) -> Result<Option<Kdcs>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let found = runtime.block_on(rdpdoctor_probe::stage::kerberos_srv::lookup(
        &realm.to_ascii_uppercase(),
        g.step_timeout,
    ));
    let mut kdcs = found.kdcs.into_iter();
    let Some((kdc, addr)) = kdcs.next() else {
        start.srv_not_found = found.detail;
        return Ok(None);
    };
    // The first KDC's options as --kdc would give them, at the address
    // DNS gave (no second resolution).
    let mut first = crate::realm::options(
        realm,
        Some(&addr.to_string()),
        g.user,
        g.target_host,
        g.step_timeout,
    )?;
    first.kdc = kdc;
    first.kdc_source = KdcSource::DnsSrv;
    start.kdc_source = Some(KdcSource::DnsSrv);
    start.kdc_srv_name = found.name;
    Ok(Some((first, kdcs.collect())))
}

/// `--realm REALM`: checked before any packet; a bad realm or `--kdc`, or
/// a KDC that does not resolve, is a one-line error.
pub fn explicit(realm: &str, g: &Given<'_>, conf: &Krb5Files) -> Result<Plan, String> {
    crate::realm::check_realm(realm)?;
    let mut st = start(StartReason::RealmFlag, realm, RealmFrom::Flag);
    st.started = true;
    let env = std::env::var("SSPI_KDC_URL").is_ok_and(|v| !v.is_empty());
    if g.kdc.is_none()
        && !env
        && let Some((first, more)) = from_conf(realm, g, conf, &mut st)?
    {
        return Ok(Plan {
            first,
            more,
            start: st,
        });
    }
    if g.kdc.is_none()
        && !env
        && let Some((first, more)) = from_srv(realm, g, &mut st)?
    {
        return Ok(Plan {
            first,
            more,
            start: st,
        });
    }
    let first = crate::realm::options(realm, g.kdc, g.user, g.target_host, g.step_timeout)
        .map_err(|e| match &st.srv_not_found {
            // Say what DNS answered too: the SRV records were asked first.
            Some(srv) => format!("{e} (DNS SRV: {srv})"),
            None => e,
        })?;
    st.kdc_source = Some(first.kdc_source);
    Ok(Plan {
        first,
        more: Vec::new(),
        start: st,
    })
}

/// The DNS domain the target's NTLM named, if any. A machine outside a
/// domain (a workgroup) names itself there: its own computer name is not a
/// domain.
fn ntlm_domain(report: &ProbeReport) -> Option<String> {
    let n = report.ntlm.as_ref()?;
    let own = [&n.netbios_computer_name, &n.dns_computer_name];
    [&n.dns_domain_name, &n.dns_tree_name]
        .into_iter()
        .flatten()
        .map(|d| d.trim().trim_end_matches('.'))
        .find(|d| !d.is_empty())
        .filter(|d| !own.into_iter().flatten().any(|c| c.eq_ignore_ascii_case(d)))
        .map(str::to_owned)
}

/// The longest DNS name (RFC 1035 2.3.4): a longer "domain" is no realm.
const MAX_NAME: usize = 253;

/// Without `--realm`, after the probe: the plan when the stage starts on
/// its own, else the report's note of why not (`None`: nothing to say,
/// the target named no domain and no `--kdc` was given).
pub fn automatic(
    report: &ProbeReport,
    g: &Given<'_>,
    conf: &Krb5Files,
) -> Result<Plan, Option<Box<KerberosStart>>> {
    let domain = ntlm_domain(report);
    let (realm, realm_from) = match &domain {
        Some(d) => match conf.realm_of_domain(d) {
            Some(r) => (r, RealmFrom::DomainRealm),
            None => (d.to_ascii_uppercase(), RealmFrom::DnsDomain),
        },
        None if g.kdc.is_some() => match conf.default_realm() {
            Some(r) => (r, RealmFrom::DefaultRealm),
            None => {
                let mut st = start(StartReason::NtlmDomain, "", RealmFrom::Flag);
                st.realm = None;
                st.realm_from = None;
                st.krb5_conf = conf.reads();
                st.not_started = Some(format!(
                    "--kdc was given, but the target's NTLM named no DNS domain and no krb5.conf ({}) a default_realm: pass --realm REALM",
                    conf.paths()
                ));
                return Err(Some(Box::new(st)));
            }
        },
        None => return Err(None),
    };
    let mut st = start(StartReason::NtlmDomain, &realm, realm_from);
    st.ntlm_dns_domain = domain.clone();
    let named = match &domain {
        Some(d) => format!("the target's NTLM names the domain {}", quote(d)),
        None => "krb5.conf's default_realm".to_owned(),
    };
    if realm.len() > MAX_NAME || crate::realm::check_realm(&realm).is_err() {
        st.realm = None;
        st.not_started = Some(format!(
            "{named}, which is not a realm's name: pass --realm REALM --kdc HOST[:PORT] to check the domain's Kerberos"
        ));
        return Err(Some(Box::new(st)));
    }
    let planned = if let Some(kdc) = g.kdc {
        st.krb5_conf = Vec::new();
        crate::realm::options(&realm, Some(kdc), g.user, g.target_host, g.step_timeout)
            .map(|o| Some((o, Vec::new())))
    } else {
        from_conf(&realm, g, conf, &mut st)
    };
    match planned {
        Ok(Some((first, more))) => {
            st.started = true;
            st.kdc_source = Some(first.kdc_source);
            Ok(Plan {
                first,
                more,
                start: st,
            })
        }
        Ok(None) => {
            st.not_started = Some(format!(
                "{named} (realm {}), but no KDC is known for it (none in {}): pass --realm {} --kdc HOST[:PORT] to check the domain's Kerberos",
                quote(&realm),
                conf.paths(),
                realm
            ));
            Err(Some(Box::new(st)))
        }
        Err(e) => {
            st.not_started = Some(e);
            Err(Some(Box::new(st)))
        }
    }
}

#[cfg(test)]
mod tests;
