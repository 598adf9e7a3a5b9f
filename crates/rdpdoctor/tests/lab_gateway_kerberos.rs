//! A domain user's path through an RD Gateway against a real MIT KDC on
//! loopback (issues 19 and 21): `probe TARGET --gateway GW --realm --kdc
//! --user` authenticates to the gateway with Negotiate (Kerberos for
//! `HTTP/<gateway>` when the realm has it, NTLM inside SPNEGO otherwise)
//! and logs on at the target through the channel with Kerberos for
//! `TERMSRV/<target>`, as mstsc in a domain does. Each row of
//! lab/ground-truth-gateway-kerberos.tsv is a realm (testkit's `kdc`), an
//! emulated Kerberos NLA target and an emulated gateway, all in-process or
//! on loopback; the password is watched for in every process and output.
//! Needs krb5-kdc, krb5-admin-server and krb5-user (lab/install.sh).
//! `cargo test -p rdpdoctor --test lab_gateway_kerberos -- --ignored`

use rdpdoctor_emulator::{Fault, FaultConfig, GatewayConfig, GatewayFault, KerberosService};
use rdpdoctor_testkit::cli::*;
use rdpdoctor_testkit::kdc::{self, Kdc, KdcOptions};

/// The password of `HTTP/localhost` in the realm: the gateway's key.
const HTTP_PASSWORD: &str = "Lab-Http-Key-5127";

struct Row {
    name: String,
    gateway: GatewayFault,
    http_spn: bool,
    /// The gateway holds a key from another password than the KDC's.
    stale_key: bool,
    gateway_auth: String,
    logon: String,
    verdict: String,
}

fn rows() -> Vec<Row> {
    let path = repo_root().join("lab/ground-truth-gateway-kerberos.tsv");
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 7, "7 columns: {l}");
            Row {
                name: f[0].into(),
                gateway: GatewayFault::from_name(f[1]).expect("a gateway fault"),
                http_spn: f[2] != "no",
                stale_key: f[2] == "stale",
                gateway_auth: f[3].into(),
                logon: f[4].into(),
                verdict: f[5].into(),
            }
        })
        .collect()
}

#[test]
#[ignore = "needs krb5-kdc, krb5-admin-server and krb5-user (lab/install.sh)"]
fn a_domain_users_path_through_the_gateway_is_kerberos_on_both_hops() {
    let rows = rows();
    assert!(rows.len() >= 2);
    let rt = rdpdoctor_testkit::run::runtime();
    let any = "127.0.0.1:0".parse().unwrap();
    let dir = std::env::temp_dir().join(format!("rdpdoctor-lab-gw-krb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pw_file = dir.join("pw");
    std::fs::write(&pw_file, kdc::USER_PASSWORD).unwrap();
    let mut errors = Vec::new();
    for row in &rows {
        let opts = KdcOptions {
            service_password: Some(kdc::SERVICE_PASSWORD),
            ..KdcOptions::default()
        };
        let realm = Kdc::start(&format!("gw-{}", row.name), opts);
        if row.http_spn {
            realm.add_principal(&format!("HTTP/{}", kdc::SERVICE_HOST), HTTP_PASSWORD);
        }
        let mut target = FaultConfig::new(Fault::HealthyNla);
        target.kerberos = Some(KerberosService {
            host: kdc::SERVICE_HOST.into(),
            key: kdc::service_key(kdc::SERVICE_PASSWORD),
            ntlm_names_domain: false,
        });
        let target = rt.block_on(rdpdoctor_emulator::spawn(target, any)).unwrap();
        let mut gw = GatewayConfig::new(row.gateway);
        gw.relay_to = Some(target.local_addr());
        if row.http_spn {
            let password = if row.stale_key {
                "Lab-Http-Key-Old-0001"
            } else {
                HTTP_PASSWORD
            };
            gw.kerberos = Some(
                KerberosService::from_password_for("HTTP", password, kdc::REALM, kdc::SERVICE_HOST)
                    .unwrap(),
            );
        }
        let gw = rt
            .block_on(rdpdoctor_emulator::spawn_gateway(gw, any))
            .unwrap();
        let target_arg = format!("{}:{}", kdc::SERVICE_HOST, target.local_addr().port());
        let gw_arg = format!("{}:{}", kdc::SERVICE_HOST, gw.local_addr().port());
        let kdc_at = realm.address();
        let mut args: Vec<std::ffi::OsString> = kdc::probe_args(&target_arg, &kdc_at)
            .into_iter()
            .chain(["--gateway", gw_arg.as_str(), "--user", kdc::USER])
            .map(Into::into)
            .collect();
        args.push("--password-file".into());
        args.push(pw_file.clone().into());
        let p = rdpdoctor_testkit::secrets::probe_watched(args, kdc::USER_PASSWORD);
        let j = &p.json;
        let a = &j["gateway"]["auth"];
        let got = format!(
            "{}:{}:{}",
            a["scheme"].as_str().unwrap_or("none"),
            a["mechanism"]["package"].as_str().unwrap_or("none"),
            a["mechanism"]["reason"].as_str().unwrap_or("none")
        );
        let l = &j["logon"];
        let logon = format!(
            "{}:{}",
            l["mechanism"]["package"].as_str().unwrap_or("none"),
            l["outcome"].as_str().unwrap_or("none")
        );
        println!(
            "{:<20} gateway {got} · logon {logon} · {} · {:?}",
            row.name,
            j["verdict"],
            p.finding_ids()
        );
        if got != row.gateway_auth {
            errors.push(format!("{}: gateway auth {got}: {a}", row.name));
        }
        if logon != row.logon {
            errors.push(format!("{}: logon {logon}: {l}", row.name));
        }
        if j["verdict"] != row.verdict.as_str() {
            errors.push(format!("{}: verdict {}", row.name, j["verdict"]));
        }
        // The gateway refuses exactly when its key is stale.
        if p.finding_ids().contains(&"gateway-auth-refused".to_owned()) != row.stale_key {
            errors.push(format!("{}: gateway-auth-refused", row.name));
        }
        rt.block_on(gw.shutdown());
        rt.block_on(target.shutdown());
        drop(realm);
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}
