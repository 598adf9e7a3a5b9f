//! [MS-TSGU 2.2.6] The HRESULTs an RD Gateway answers with, typed; a value
//! not listed is kept raw ([`ProxyError::Other`]).

use serde::Serialize;

/// An RD Gateway status code. Names are the E_PROXY_* constants of
/// [MS-TSGU 2.2.6]; some gateways send the bare code (`0x000059E6`)
/// instead of the HRESULT (`0x800759E6`): both decode to the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProxyError {
    /// S_OK / ERROR_SUCCESS.
    Success,
    /// 0x800759D8: the gateway hit an internal error.
    EProxyInternalerror,
    /// 0x800759DA: the resource authorization policy (RAP) denies the user this target.
    EProxyRapAccessdenied,
    /// 0x800759DB: the connection authorization policy (CAP, "NAP") denies the user.
    EProxyNapAccessdenied,
    /// 0x800759DD: the gateway could not connect to the target.
    EProxyTsConnectfailed,
    /// 0x800759DF: the tunnel or channel is already disconnected.
    EProxyAlreadydisconnected,
    /// 0x800759E6: the gateway reached its connection limit.
    EProxyMaxconnectionsreached,
    /// 0x800759E8: the request is not supported.
    EProxyNotsupported,
    /// 0x800759E9: client and gateway have no common capability.
    EProxyCapabilitymismatch,
    /// 0x800759ED: the quarantine (NAP health) policy denies the client.
    EProxyQuarantineAccessdenied,
    /// 0x800759EE: no certificate is available for the gateway.
    EProxyNocertavailable,
    /// 0x800759F6: the session timed out.
    EProxySessiontimeout,
    /// 0x800759F7: the PAA cookie is malformed.
    EProxyCookieBadpacket,
    /// 0x800759F8: the PAA cookie was refused.
    EProxyCookieAuthenticationAccessDenied,
    /// 0x800759F9: the gateway does not support the authentication method.
    EProxyUnsupportedAuthenticationMethod,
    /// 0x800759FA: re-authentication failed.
    EProxyReauthAuthnFailed,
    /// 0x800759FB: the CAP failed at re-authentication.
    EProxyReauthCapFailed,
    /// 0x800759FC: the RAP failed at re-authentication.
    EProxyReauthRapFailed,
    /// 0x800759FD: the NAP failed at re-authentication.
    EProxyReauthNapFailed,
    /// 0x800704D4 (ERROR_CONNECTION_ABORTED as an HRESULT): the connection was aborted.
    EProxyConnectionaborted,
    /// Any other value, kept as sent.
    Other(u32),
}

const TABLE: &[(u32, ProxyError, &str)] = &[
    (
        0x8007_59D8,
        ProxyError::EProxyInternalerror,
        "E_PROXY_INTERNALERROR",
    ),
    (
        0x8007_59DA,
        ProxyError::EProxyRapAccessdenied,
        "E_PROXY_RAP_ACCESSDENIED",
    ),
    (
        0x8007_59DB,
        ProxyError::EProxyNapAccessdenied,
        "E_PROXY_NAP_ACCESSDENIED",
    ),
    (
        0x8007_59DD,
        ProxyError::EProxyTsConnectfailed,
        "E_PROXY_TS_CONNECTFAILED",
    ),
    (
        0x8007_59DF,
        ProxyError::EProxyAlreadydisconnected,
        "E_PROXY_ALREADYDISCONNECTED",
    ),
    (
        0x8007_59E6,
        ProxyError::EProxyMaxconnectionsreached,
        "E_PROXY_MAXCONNECTIONSREACHED",
    ),
    (
        0x8007_59E8,
        ProxyError::EProxyNotsupported,
        "E_PROXY_NOTSUPPORTED",
    ),
    (
        0x8007_59E9,
        ProxyError::EProxyCapabilitymismatch,
        "E_PROXY_CAPABILITYMISMATCH",
    ),
    (
        0x8007_59ED,
        ProxyError::EProxyQuarantineAccessdenied,
        "E_PROXY_QUARANTINE_ACCESSDENIED",
    ),
    (
        0x8007_59EE,
        ProxyError::EProxyNocertavailable,
        "E_PROXY_NOCERTAVAILABLE",
    ),
    (
        0x8007_59F6,
        ProxyError::EProxySessiontimeout,
        "E_PROXY_SESSIONTIMEOUT",
    ),
    (
        0x8007_59F7,
        ProxyError::EProxyCookieBadpacket,
        "E_PROXY_COOKIE_BADPACKET",
    ),
    (
        0x8007_59F8,
        ProxyError::EProxyCookieAuthenticationAccessDenied,
        "E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED",
    ),
    (
        0x8007_59F9,
        ProxyError::EProxyUnsupportedAuthenticationMethod,
        "E_PROXY_UNSUPPORTED_AUTHENTICATION_METHOD",
    ),
    (
        0x8007_59FA,
        ProxyError::EProxyReauthAuthnFailed,
        "E_PROXY_REAUTH_AUTHN_FAILED",
    ),
    (
        0x8007_59FB,
        ProxyError::EProxyReauthCapFailed,
        "E_PROXY_REAUTH_CAP_FAILED",
    ),
    (
        0x8007_59FC,
        ProxyError::EProxyReauthRapFailed,
        "E_PROXY_REAUTH_RAP_FAILED",
    ),
    (
        0x8007_59FD,
        ProxyError::EProxyReauthNapFailed,
        "E_PROXY_REAUTH_NAP_FAILED",
    ),
    (
        0x8007_04D4,
        ProxyError::EProxyConnectionaborted,
        "E_PROXY_CONNECTIONABORTED",
    ),
];

impl ProxyError {
    /// The typed value of a status code from the wire.
    pub fn from_u32(v: u32) -> Self {
        if v == 0 {
            return ProxyError::Success;
        }
        // The bare code (facility and severity bits clear) names the same error.
        let full = if v & 0xFFFF_0000 == 0 {
            v | 0x8007_0000
        } else {
            v
        };
        TABLE
            .iter()
            .find(|(code, _, _)| *code == full)
            .map_or(ProxyError::Other(v), |(_, e, _)| *e)
    }

    /// The HRESULT (the full form for a named value, as sent for `Other`).
    pub fn code(self) -> u32 {
        match self {
            ProxyError::Success => 0,
            ProxyError::Other(v) => v,
            named => TABLE
                .iter()
                .find(|(_, e, _)| *e == named)
                .map_or(0, |(code, _, _)| *code),
        }
    }

    /// The E_PROXY_* name, `S_OK`, or `None` for an unknown value.
    pub fn name(self) -> Option<&'static str> {
        match self {
            ProxyError::Success => Some("S_OK"),
            ProxyError::Other(_) => None,
            named => TABLE
                .iter()
                .find(|(_, e, _)| *e == named)
                .map(|(_, _, n)| *n),
        }
    }

    /// Whether the gateway said yes.
    pub fn is_success(self) -> bool {
        self == ProxyError::Success
    }
}

/// [MS-TSGU 2.2.6] The name of a gateway status code, `None` if unknown.
pub fn proxy_error_name(v: u32) -> Option<&'static str> {
    ProxyError::from_u32(v).name()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_code_round_trips_and_bare_codes_share_the_name() {
        for (code, e, name) in TABLE {
            assert_eq!(ProxyError::from_u32(*code), *e);
            assert_eq!(e.code(), *code);
            assert_eq!(e.name(), Some(*name));
        }
        assert_eq!(
            ProxyError::from_u32(0x0000_59E6),
            ProxyError::EProxyMaxconnectionsreached
        );
        assert_eq!(
            ProxyError::from_u32(0x8000_4005),
            ProxyError::Other(0x8000_4005)
        );
        assert_eq!(ProxyError::Other(7).code(), 7);
        assert_eq!(
            proxy_error_name(0x800759DB),
            Some("E_PROXY_NAP_ACCESSDENIED")
        );
    }
}
