//! A Windows Firewall rule as the registry stores it, parsed without I/O:
//! `v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|Profile=Domain|LPort=3389|Name=…|EmbedCtxt=…|`
//! — a version, then `Key=Value` fields separated by `|`; a key may repeat
//! (`Profile`, `LPort`). The format is [MS-GPFAS 2.2.2.19] "Firewall Rule
//! and the Firewall Rule Grammar Rule"
//! (<https://learn.microsoft.com/openspecs/windows_protocols/ms-gpfas/2efe0b76-7b4a-41ff-9050-1023f8196d16>);
//! the same strings are under `SharedAccess\Parameters\FirewallPolicy\FirewallRules`
//! and, from Group Policy, `SOFTWARE\Policies\Microsoft\WindowsFirewall\FirewallRules`.

/// A parsed rule string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleString {
    /// `v2.30` → `2.30`.
    pub version: String,
    /// The fields in order, keys as written.
    pub fields: Vec<(String, String)>,
}

/// Why a rule string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// It does not start with `v<version>|`.
    #[error("a firewall rule that does not start with a version (v2.x|)")]
    NoVersion,
    /// A field without `=`.
    #[error("a firewall rule field without = ({0:.40})")]
    BadField(String),
}

impl RuleString {
    /// The first value of `key` (keys compared ignoring case).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses one rule string.
pub fn parse(s: &str) -> Result<RuleString, RuleError> {
    let mut parts = s.split('|');
    let version = parts
        .next()
        .and_then(|v| v.strip_prefix('v').or_else(|| v.strip_prefix('V')))
        .filter(|v| !v.is_empty())
        .ok_or(RuleError::NoVersion)?;
    let mut fields = Vec::new();
    for part in parts {
        if part.is_empty() {
            continue;
        }
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| RuleError::BadField(part.to_owned()))?;
        fields.push((k.to_owned(), v.to_owned()));
    }
    Ok(RuleString {
        version: version.to_owned(),
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_and_the_trailing_bar() {
        let r = parse("v2.30|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Domain|Profile=Private|LPort=3389|Name=@FirewallAPI.dll,-28753|").unwrap();
        assert_eq!(r.version, "2.30");
        assert_eq!(r.get("active"), Some("FALSE"));
        assert_eq!(r.all("Profile").collect::<Vec<_>>(), ["Domain", "Private"]);
        assert_eq!(r.get("Name"), Some("@FirewallAPI.dll,-28753"));
        assert_eq!(parse("Action=Allow|"), Err(RuleError::NoVersion));
        assert!(matches!(parse("v2.1|Oops|"), Err(RuleError::BadField(_))));
    }
}
