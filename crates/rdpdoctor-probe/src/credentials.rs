//! The credentials of the credentialed check. The password lives in a
//! [`Zeroizing`] buffer (wiped when dropped), is never formatted (`Debug`
//! prints `<redacted>`), and leaves this process only inside the CredSSP or
//! Client Info exchange with the target.

use zeroize::Zeroizing;

/// Longest user name accepted, in characters (a UPN is at most 1024 bytes;
/// a SAM account name 20 characters).
pub const MAX_USER_CHARS: usize = 256;
/// Longest password accepted, in characters (Windows allows 256).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A user name and password for one logon attempt.
#[derive(Clone)]
pub struct Credentials {
    user: String,
    domain: Option<String>,
    password: Zeroizing<String>,
    /// Only for the RD Gateway's authentication, never a logon at the
    /// target (a scan's or an exporter module's gateway credentials).
    gateway_only: bool,
    /// The realm's KDC for a Kerberos logon inside CredSSP.
    kerberos: Option<KerberosLogon>,
}

/// Where the logon's Kerberos goes: the realm and its KDC (over TCP,
/// [RFC 4120 7.2.2]), known before the probe (`--realm` with its KDC) or,
/// without `--realm`, from the target's NTLM domain before the logon
/// ([`crate::ProbeOptions::kerberos_after_ntlm`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KerberosLogon {
    /// The realm, upper-case.
    pub realm: String,
    /// The KDC as given, `HOST:PORT`.
    pub kdc: String,
    /// Its address.
    pub kdc_addr: std::net::SocketAddr,
    /// How the run knew this KDC (`--realm`, or the target's NTLM domain).
    pub known_by: rdpdoctor_evidence::StartReason,
    /// How its requests travel: TCP as planned; UDP where the package
    /// choice found the KDC answering only there.
    pub transport: rdpdoctor_evidence::KdcTransport,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("domain", &self.domain)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// `user` is `USER`, `DOMAIN\USER` or `USER@DOMAIN` (a UPN, sent as is).
    /// Errors are one line for the user, and never quote the password.
    pub fn new(user: &str, password: Zeroizing<String>) -> Result<Credentials, String> {
        let (domain, name) = parse_user(user)?;
        if password.is_empty() {
            return Err("the password is empty".to_owned());
        }
        if password.chars().count() > MAX_PASSWORD_CHARS {
            return Err(format!(
                "the password is longer than {MAX_PASSWORD_CHARS} characters"
            ));
        }
        if password.chars().any(|c| c == '\0') {
            return Err("the password contains a NUL character".to_owned());
        }
        Ok(Credentials {
            user: name.to_owned(),
            domain: domain.map(str::to_owned),
            password,
            gateway_only: false,
            kerberos: None,
        })
    }

    /// The same credentials, for the RD Gateway only: a probe through the
    /// gateway then makes no logon at the target (`scan` and the exporter,
    /// where one logon per host would be one failed logon per host when the
    /// target refuses the password, enough to lock the account).
    pub fn for_the_gateway_only(mut self) -> Credentials {
        self.gateway_only = true;
        self
    }

    /// The same credentials, logging on with Kerberos through this realm's
    /// KDC where the KDC knows the target's `TERMSRV` SPN (NTLM otherwise,
    /// as mstsc falls back).
    pub fn with_kerberos(mut self, plan: KerberosLogon) -> Credentials {
        self.kerberos = Some(plan);
        self
    }

    /// The realm and KDC of a Kerberos logon, when known.
    pub fn kerberos(&self) -> Option<&KerberosLogon> {
        self.kerberos.as_ref()
    }

    /// Whether these credentials are for the RD Gateway only.
    pub fn gateway_only(&self) -> bool {
        self.gateway_only
    }

    /// The account name, without the domain.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The NetBIOS domain (or computer) name given before `\`.
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// The user as given: `DOMAIN\user` or `user` (for reports).
    pub fn display_user(&self) -> String {
        match &self.domain {
            Some(d) => format!("{d}\\{}", self.user),
            None => self.user.clone(),
        }
    }

    /// The password, for the one exchange that sends it.
    pub(crate) fn password(&self) -> &Zeroizing<String> {
        &self.password
    }
}

/// Splits `[DOMAIN\]USER`: `(domain, user)`. A UPN (`user@domain`) is one
/// user name. Refuses what no server accepts, in one line.
pub fn parse_user(s: &str) -> Result<(Option<&str>, &str), String> {
    if s.is_empty() {
        return Err("--user is empty: use USER or DOMAIN\\USER".to_owned());
    }
    if s.chars().count() > MAX_USER_CHARS {
        return Err(format!(
            "--user is longer than {MAX_USER_CHARS} characters: use USER or DOMAIN\\USER"
        ));
    }
    if s.chars().any(char::is_control) {
        return Err("--user contains a control character: use USER or DOMAIN\\USER".to_owned());
    }
    let (domain, user) = match s.split_once('\\') {
        Some((d, u)) => (Some(d), u),
        None => (None, s),
    };
    if domain == Some("") {
        return Err(
            "--user has no domain before the backslash: use USER or DOMAIN\\USER".to_owned(),
        );
    }
    if user.is_empty() {
        return Err(
            "--user has no user name after the backslash: use DOMAIN\\USER, e.g. CONTOSO\\alice"
                .to_owned(),
        );
    }
    if user.trim() != user || domain.is_some_and(|d| d.trim() != d) {
        return Err(
            "--user starts or ends with a space: use USER or DOMAIN\\USER, without spaces around"
                .to_owned(),
        );
    }
    Ok((domain, user))
}

/// The password from a file's bytes: UTF-8, with **one** trailing line end
/// (`\n` or `\r\n`) removed, as `echo pw > file` and editors leave one; any
/// other whitespace is part of the password. Empty is an error.
pub fn password_from_file_bytes(bytes: Vec<u8>) -> Result<Zeroizing<String>, String> {
    let bytes = Zeroizing::new(bytes);
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(_) => return Err("the password file is not UTF-8 text".to_owned()),
    };
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    if text.is_empty() {
        return Err("the password file is empty".to_owned());
    }
    if text.contains(['\n', '\r']) {
        return Err(
            "the password file has more than one line: put only the password in it".to_owned(),
        );
    }
    Ok(Zeroizing::new(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users() {
        assert_eq!(parse_user("alice"), Ok((None, "alice")));
        assert_eq!(parse_user("CONTOSO\\alice"), Ok((Some("CONTOSO"), "alice")));
        assert_eq!(
            parse_user("alice@contoso.com"),
            Ok((None, "alice@contoso.com"))
        );
        // Windows' own forms with two backslashes (`.\\AzureAD\\user`) pass through.
        assert_eq!(parse_user(".\\AzureAD\\a"), Ok((Some("."), "AzureAD\\a")));
        for bad in ["", "CONTOSO\\", "\\alice", "a\\", " alice", "al\tice"] {
            assert!(parse_user(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn password_files() {
        let p = |b: &[u8]| password_from_file_bytes(b.to_vec()).map(|z| z.to_string());
        assert_eq!(p(b"pw\n").unwrap(), "pw");
        assert_eq!(p(b"pw\r\n").unwrap(), "pw");
        assert_eq!(p(b"pw").unwrap(), "pw");
        assert_eq!(p(b" pw \n").unwrap(), " pw ");
        assert!(p(b"pw\n\n").is_err());
        assert!(p(b"\n").is_err());
        assert!(p(b"").is_err());
        assert!(p(b"\xff\xfe").is_err());
    }

    #[test]
    fn debug_never_shows_the_password() {
        let c = Credentials::new("alice", Zeroizing::new("S3cret!".into())).unwrap();
        assert!(!format!("{c:?}").contains("S3cret"));
    }
}
