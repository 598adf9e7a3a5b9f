//! Where the password of `probe --user` comes from: `--password-file`, else
//! `RDPDOCTOR_PASSWORD`, else a prompt without echo on the terminal. Never
//! argv. Every buffer that held it is zeroized; errors never quote it.

use rdpdoctor_probe::Credentials;
use rdpdoctor_probe::credentials::password_from_file_bytes;
use std::path::Path;
use zeroize::Zeroizing;

/// The environment variable read for the password.
pub const PASSWORD_ENV: &str = "RDPDOCTOR_PASSWORD";
/// A password file larger than this is not a password file.
const MAX_PASSWORD_FILE: u64 = 4096;

/// [`credentials`] when a user is given (`--user`), else none.
pub fn optional(user: Option<&str>, file: Option<&Path>) -> Result<Option<Credentials>, String> {
    user.map(|u| credentials(u, file)).transpose()
}

/// The credentials for `--user`, or a one-line error (exit 2).
pub fn credentials(user: &str, file: Option<&Path>) -> Result<Credentials, String> {
    // The user first: a bad --user must not cost a password prompt.
    rdpdoctor_probe::credentials::parse_user(user)?;
    let password = match file {
        Some(path) => from_file(path)?,
        None => match std::env::var_os(PASSWORD_ENV) {
            Some(v) => match v.into_string().map(Zeroizing::new) {
                Ok(s) if s.is_empty() => return Err(format!("{PASSWORD_ENV} is empty")),
                Ok(s) => s,
                Err(_) => return Err(format!("{PASSWORD_ENV} is not valid UTF-8")),
            },
            None => prompt(user)?,
        },
    };
    Credentials::new(user, password)
}

pub(crate) fn from_file(path: &Path) -> Result<Zeroizing<String>, String> {
    use std::io::Read;
    let shown = rdpdoctor_render::safe::quote(&path.to_string_lossy());
    let file = std::fs::File::open(path)
        .map_err(|e| format!("cannot read the password file {shown}: {}", io_reason(&e)))?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_PASSWORD_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the password file {shown}: {}", io_reason(&e)))?;
    if bytes.len() as u64 > MAX_PASSWORD_FILE {
        return Err(format!(
            "the password file {shown} is larger than {MAX_PASSWORD_FILE} bytes: put only the password in it"
        ));
    }
    password_from_file_bytes(std::mem::take(&mut *bytes)).map_err(|e| format!("{e}: {shown}"))
}

/// The OS error without its "(os error N)" tail.
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// Asks on the controlling terminal, without echo.
fn prompt(user: &str) -> Result<Zeroizing<String>, String> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err(format!(
            "no password for --user: set {PASSWORD_ENV}, use --password-file FILE, or run on a terminal to be asked"
        ));
    }
    let shown = rdpdoctor_render::safe::term_max(user, rdpdoctor_render::safe::QUOTE_CHARS);
    let pw = rpassword::prompt_password(format!("Password for {shown}: "))
        .map(Zeroizing::new)
        .map_err(|e| {
            format!(
                "cannot read the password from the terminal: {}",
                io_reason(&e)
            )
        })?;
    if pw.is_empty() {
        return Err("the password is empty".to_owned());
    }
    Ok(pw)
}
