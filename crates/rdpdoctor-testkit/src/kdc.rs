//! A throwaway MIT Kerberos realm on loopback for the Kerberos tests (feature
//! `kdc`): `kdb5_util` makes the database in a scratch folder, `kadmin.local`
//! adds the principals (commands and passwords on its stdin, never in argv),
//! `krb5kdc -n` serves it on a free loopback port over TCP and UDP, under
//! libfaketime when the KDC's clock must be skewed. Dropping the `Kdc` stops
//! the KDC and removes the folder.
//!
//! Needs Debian's `krb5-kdc`, `krb5-admin-server`, `krb5-user` and
//! `faketime` (lab/install.sh).

use std::io::Write;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The lab realm's name.
pub const REALM: &str = "RDPLAB.TEST";
/// A user with a known password (the lab's throwaway one); the name of the
/// emulator's demo account, so that a probe's NLA logon to `lab serve`
/// succeeds beside the Kerberos check.
pub const USER: &str = "demo";
/// Its password: the emulator's demo password
/// (`rdpdoctor_emulator::DEMO_PASSWORD`, a test holds them equal), so that
/// the same password is right for the RDP logon and for the domain. Only
/// ever written to a child's stdin.
pub const USER_PASSWORD: &str = "Demo-Pass-1";
/// Another password for the same user ([`KdcOptions::other_password`]): the
/// domain's account differs from the one the RDP server accepts.
pub const OTHER_PASSWORD: &str = "Lab-Kerberos-Pass-7431";
/// A principal that may not get tickets (`-allow_tix`: disabled, as a locked
/// or disabled account in AD answers KDC_ERR_CLIENT_REVOKED).
pub const LOCKED_USER: &str = "mallory";
/// The RDP service's host name; its SPN is `TERMSRV/<this>`. `localhost`:
/// a name the tests can give as a target without any DNS lookup.
pub const SERVICE_HOST: &str = "localhost";
/// A host name with no SPN in the realm.
pub const NO_SPN_HOST: &str = "nospn.rdplab.test";

/// Debian's libfaketime (package `faketime`).
pub const FAKETIME_LIB: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// How a lab KDC is made.
#[derive(Debug, Clone, Copy, Default)]
pub struct KdcOptions {
    /// The KDC's clock ahead of this machine's by this many seconds
    /// (negative: behind), through libfaketime.
    pub skew_secs: i64,
    /// No `TERMSRV/<SERVICE_HOST>` principal: the SPN is missing.
    pub without_spn: bool,
    /// [`USER`]'s password in the realm is [`OTHER_PASSWORD`], not
    /// [`USER_PASSWORD`].
    pub other_password: bool,
    /// `TERMSRV/<SERVICE_HOST>`'s keys from this password (kvno 1) instead
    /// of random ones, so that the emulated RDP service can hold them
    /// ([`service_key`]).
    pub service_password: Option<&'static str>,
    /// The KDC listens on UDP only (kdc.conf `kdc_tcp_listen` empty, which
    /// MIT reads as no TCP listener): a KDC behind a firewall that passes
    /// only UDP 88. MIT's client tools of this realm then use UDP too.
    pub udp_only: bool,
}

/// The password of `TERMSRV/<SERVICE_HOST>` in a realm made with
/// [`KdcOptions::service_password`]: the computer account's, known to the
/// service.
pub const SERVICE_PASSWORD: &str = "Lab-Termsrv-Key-2291";
/// Another one: the KDC's key after a rotation the service missed.
pub const ROTATED_SERVICE_PASSWORD: &str = "Lab-Termsrv-Key-8830";

/// The AES256 key of `TERMSRV/<SERVICE_HOST>@REALM` from `password`, as the
/// emulated RDP service holds it.
pub fn service_key(password: &str) -> Vec<u8> {
    rdpdoctor_wire::kerberos::aes256_key(password, REALM, &["TERMSRV", SERVICE_HOST])
        .expect("AES string-to-key")
}

/// A running lab KDC.
pub struct Kdc {
    pub dir: PathBuf,
    pub port: u16,
    child: Child,
}

fn free_port() -> u16 {
    // A port free for both TCP and UDP on 127.0.0.1 (the KDC serves both).
    for _ in 0..50 {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no loopback port free for both TCP and UDP");
}

fn run_with_stdin(cmd: &mut Command, stdin: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (lab/install.sh installs krb5-kdc, krb5-user)"));
    // A tool that fails before it reads its stdin (kinit finding no KDC
    // before it asks for the password) has closed the pipe: not an error.
    let written = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{cmd:?}: {e}");
    }
    child.wait_with_output().unwrap()
}

impl Kdc {
    /// Makes the realm and starts its KDC; returns when it accepts TCP.
    pub fn start(test: &str, options: KdcOptions) -> Kdc {
        Self::start_realm(test, options, REALM)
    }

    /// [`Kdc::start`] for another realm than [`REALM`] (the same principals).
    pub fn start_realm(test: &str, options: KdcOptions, realm: &str) -> Kdc {
        Self::start_in(test, options, realm, None)
    }

    /// [`Kdc::start_realm`], the KDC serving the loopback of the network
    /// namespace `netns` (`ip netns exec`), ready when its log says so.
    pub fn start_in(test: &str, options: KdcOptions, realm: &str, netns: Option<&str>) -> Kdc {
        let dir = crate::fixtures::target_tmp().join("kdc").join(test);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let d = dir.display();
        // MIT: an empty kdc_tcp_listen is no TCP listener (kdc.conf(5)).
        let tcp = if options.udp_only {
            "\"\"".to_owned()
        } else {
            format!("127.0.0.1:{port}")
        };
        std::fs::write(
            dir.join("kdc.conf"),
            format!(
                "[kdcdefaults]\n kdc_listen = 127.0.0.1:{port}\n kdc_tcp_listen = {tcp}\n\
                 [realms]\n {realm} = {{\n  database_name = {d}/principal\n  key_stash_file = {d}/stash\n\
                 \x20 acl_file = {d}/kadm5.acl\n  default_principal_flags = +preauth\n\
                 \x20 supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal\n }}\n\
                 [logging]\n kdc = FILE:{d}/kdc.log\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.join("kadm5.acl"), "").unwrap();
        std::fs::write(
            dir.join("krb5.conf"),
            krb5_conf(port, realm, options.udp_only),
        )
        .unwrap();

        // The master key is a throwaway too; it goes on stdin (twice: kdb5_util
        // asks for it and then to verify it).
        let out = run_with_stdin(
            Command::new("kdb5_util")
                .args(["create", "-s", "-r", realm])
                .envs(Self::env_of(&dir)),
            "lab-master-key\nlab-master-key\n",
        );
        assert!(out.status.success(), "kdb5_util create: {out:?}");
        let user_password = if options.other_password {
            OTHER_PASSWORD
        } else {
            USER_PASSWORD
        };
        let mut script = format!(
            "addprinc -pw {user_password} {USER}\n\
             addprinc -pw {USER_PASSWORD} -allow_tix {LOCKED_USER}\n"
        );
        if let (false, Some(pw)) = (options.without_spn, options.service_password) {
            script.push_str(&format!("addprinc -pw {pw} TERMSRV/{SERVICE_HOST}\n"));
        } else if !options.without_spn {
            script.push_str(&format!(
                "addprinc -randkey TERMSRV/{SERVICE_HOST}\n\
                 ktadd -k {d}/termsrv.keytab TERMSRV/{SERVICE_HOST}\n"
            ));
        }
        let out = run_with_stdin(
            Command::new("kadmin.local")
                .args(["-r", realm])
                .envs(Self::env_of(&dir)),
            &script,
        );
        assert!(out.status.success(), "kadmin.local: {out:?}");

        let mut cmd = match netns {
            // `ip netns exec` execs the KDC in place: the child is the KDC.
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "krb5kdc"]);
                c
            }
            None => Command::new("krb5kdc"),
        };
        if options.skew_secs != 0 {
            // libfaketime preloaded directly rather than through the `faketime`
            // wrapper, which forks: the child we kill must be the KDC itself.
            cmd.env("LD_PRELOAD", FAKETIME_LIB)
                .env("FAKETIME", format!("{:+}", options.skew_secs))
                .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
        }
        let child = cmd
            .args(["-n", "-r", realm])
            .envs(Self::env_of(&dir))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.join("krb5kdc.stderr")).unwrap(),
            ))
            .spawn()
            .expect("krb5kdc starts (lab/install.sh installs krb5-kdc)");
        let kdc = Kdc { dir, port, child };
        let start = Instant::now();
        let ready = || match netns {
            _ if options.udp_only => std::fs::read_to_string(kdc.dir.join("kdc.log"))
                .is_ok_and(|l| l.contains("commencing operation")),
            Some(_) => std::fs::read_to_string(kdc.dir.join("kdc.log"))
                .is_ok_and(|l| l.contains("commencing operation")),
            None => TcpStream::connect(("127.0.0.1", port)).is_ok(),
        };
        while !ready() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the lab KDC listens within 10 s: {}",
                std::fs::read_to_string(kdc.dir.join("krb5kdc.stderr")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        kdc
    }

    fn env_of(dir: &Path) -> Vec<(String, String)> {
        vec![
            (
                "KRB5_CONFIG".into(),
                dir.join("krb5.conf").display().to_string(),
            ),
            (
                "KRB5_KDC_PROFILE".into(),
                dir.join("kdc.conf").display().to_string(),
            ),
            (
                "KRB5CCNAME".into(),
                format!("FILE:{}", dir.join("ccache").display()),
            ),
        ]
    }

    /// The environment MIT's client tools need to use this realm only.
    pub fn env(&self) -> Vec<(String, String)> {
        Self::env_of(&self.dir)
    }

    /// `HOST:PORT` of the KDC, as `--kdc` takes it.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `kinit PRINCIPAL` with the password on stdin: its exit status and
    /// stderr (MIT's own words for the failure).
    pub fn kinit(&self, principal: &str, password: &str) -> (bool, String) {
        let out = run_with_stdin(
            Command::new("kinit").arg(principal).envs(self.env()),
            &format!("{password}\n"),
        );
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `kadmin.local cpw -pw PASSWORD PRINCIPAL` (the password on stdin):
    /// the principal's keys change and its kvno goes up, as when a computer
    /// account's password is reset behind the service's back.
    pub fn change_password(&self, principal: &str, password: &str) {
        self.kadmin(&format!("cpw -pw {password} {principal}"));
    }

    /// One `kadmin.local` request, given on its stdin (never in argv).
    fn kadmin(&self, request: &str) {
        let out = run_with_stdin(
            Command::new("kadmin.local")
                .args(["-r", REALM])
                .envs(self.env()),
            &format!("{request}\n"),
        );
        assert!(out.status.success(), "kadmin.local: {out:?}");
    }

    /// `kadmin.local addprinc -pw PASSWORD PRINCIPAL` (the password on
    /// stdin): a service such as `HTTP/<gateway>` whose key the test gives
    /// an emulated service.
    pub fn add_principal(&self, principal: &str, password: &str) {
        self.kadmin(&format!("addprinc -pw {password} {principal}"));
    }

    /// `kvno SPN` with the ticket cache `kinit` left: success, and what it
    /// said (stdout, `SPN: kvno = N`, then stderr).
    pub fn kvno(&self, spn: &str) -> (bool, String) {
        let out = Command::new("kvno")
            .arg(spn)
            .envs(self.env())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }
}

fn krb5_conf(port: u16, realm: &str, udp_only: bool) -> String {
    // TCP only for MIT's tools (udp_preference_limit = 1), unless the KDC
    // has no TCP listener; then MIT's default (UDP for small messages).
    let limit = if udp_only { 1465 } else { 1 };
    format!(
        "[libdefaults]\n default_realm = {realm}\n dns_lookup_kdc = false\n dns_lookup_realm = false\n\
         \x20rdns = false\n dns_canonicalize_hostname = false\n udp_preference_limit = {limit}\n\
         [realms]\n {realm} = {{\n  kdc = 127.0.0.1:{port}\n }}\n\
         [domain_realm]\n .rdplab.test = {realm}\n"
    )
}

/// `probe TARGET --realm REALM --kdc KDC`, JSON, one TCP sample, 2 s steps:
/// the arguments every Kerberos lab test starts from.
pub fn probe_args<'a>(target: &'a str, kdc_at: &'a str) -> Vec<&'a str> {
    vec![
        "probe",
        target,
        "--realm",
        REALM,
        "--kdc",
        kdc_at,
        "--samples",
        "1",
        "--timeout",
        "2",
        "--format",
        "json",
    ]
}

/// A probe's quick options (one TCP sample, 2 s steps), as JSON.
pub const QUICK: [&str; 7] = [
    "--samples",
    "1",
    "--timeout",
    "2",
    "--no-reverse-dns",
    "--format",
    "json",
];

/// A loopback port where nothing listens (TCP refused, UDP unanswered).
pub fn closed_port() -> u16 {
    free_port()
}

impl Drop for Kdc {
    fn drop(&mut self) {
        // Only the KDC this helper started, by its id.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
