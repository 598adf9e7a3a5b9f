//! The event records that bear on RDP failures: which channel, provider and
//! event id, which fields define a group and which are kept as data.
//!
//! Facts (channels, providers, what each event means, its fields) are in
//! the project's reference `events.tsv` with their sources; decoding the
//! codes (NTSTATUS names, discReason text, TLS alerts) is the KB's job, so
//! the values are kept raw, only normalised (see [`super::decode`]).

/// One kind of record to keep.
#[derive(Debug)]
pub struct Entry {
    /// The channel, as in the record's `System/Channel`.
    pub channel: &'static str,
    /// Providers accepted (`System/Provider/@Name`); empty: any. The System
    /// channel needs this: ids 1056–1059 also belong to other providers.
    pub providers: &'static [&'static str],
    /// The event ids this entry covers.
    pub ids: &'static [u16],
    /// The fields that define a group: `(key name, fields to read it from,
    /// first present wins)`.
    pub key: &'static [(&'static str, &'static [&'static str])],
    /// Further data fields kept with the newest example; empty: every field
    /// (up to [`super::decode::MAX_DATA_FIELDS`]).
    pub data: &'static [&'static str],
}

const RCM: &str = "Microsoft-Windows-TerminalServices-RemoteConnectionManager";
const RDPCORETS: &str = "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational";
const RCM_OPERATIONAL: &str =
    "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational";
const LSM_OPERATIONAL: &str = "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational";
const RDPCLIENT: &str = "Microsoft-Windows-TerminalServices-RDPClient/Operational";
const GATEWAY: &str = "Microsoft-Windows-TerminalServices-Gateway/Operational";

/// What `rdpdoctor inspect` keeps from event logs.
pub static CATALOGUE: &[Entry] = &[
    // System: the listener's certificate could not be made, replaced or was
    // reset (MachineKeys, expired self-signed certificate); 1056 = a new
    // self-signed certificate was made. Classic source name `TermService`
    // on older builds.
    Entry {
        channel: "System",
        providers: &[RCM, "TermService"],
        ids: &[1056, 1057, 1058, 1059],
        key: &[],
        data: &[],
    },
    // System, Schannel: the TLS server credential's private key (36870),
    // creating the credential (36871), no cipher suite in common (36874),
    // fatal alerts received (36887) and sent (36888), with their codes.
    Entry {
        channel: "System",
        providers: &["Schannel", "Microsoft-Windows-Schannel"],
        ids: &[36870, 36871, 36874, 36887, 36888],
        key: &[
            ("ErrorCode", &["ErrorCode"]),
            ("ErrorStatus", &["ErrorStatus"]),
            ("ErrorState", &["ErrorState"]),
            ("AlertDesc", &["AlertDesc"]),
            ("Protocol", &["Protocol"]),
        ],
        data: &[],
    },
    // RdpCoreTS: connection accepted (131), security layer error (139), bad
    // user name or password (140), disconnect reason (103), state
    // transition error (226).
    Entry {
        channel: RDPCORETS,
        providers: &[],
        ids: &[103],
        key: &[("ReasonCode", &["ReasonCode"])],
        data: &[],
    },
    Entry {
        channel: RDPCORETS,
        providers: &[],
        ids: &[226],
        key: &[
            ("StateTransition", &["StateTransition"]),
            ("PreviousStateName", &["PreviousStateName"]),
            ("NewStateName", &["NewStateName"]),
            ("EventName", &["EventName"]),
            ("ErrorCode", &["ErrorCode"]),
        ],
        data: &[],
    },
    Entry {
        channel: RDPCORETS,
        providers: &[],
        ids: &[131, 139, 140],
        key: &[],
        data: &[],
    },
    // RemoteConnectionManager: a TCP connection reached the listener (261),
    // network authentication succeeded (1149: user, domain, address).
    Entry {
        channel: RCM_OPERATIONAL,
        providers: &[],
        ids: &[261, 1149],
        key: &[],
        data: &[],
    },
    // LocalSessionManager: session disconnected, with its reason code.
    Entry {
        channel: LSM_OPERATIONAL,
        providers: &[],
        ids: &[40],
        key: &[("Reason", &["Reason"])],
        data: &[],
    },
    // Security: failed logon (NTSTATUS Status/SubStatus, LogonType).
    Entry {
        channel: "Security",
        providers: &[],
        ids: &[4625],
        key: &[
            ("Status", &["Status"]),
            ("SubStatus", &["SubStatus"]),
            ("LogonType", &["LogonType"]),
        ],
        data: &[
            "TargetUserName",
            "TargetDomainName",
            "IpAddress",
            "IpPort",
            "WorkstationName",
            "LogonProcessName",
            "AuthenticationPackageName",
            "FailureReason",
        ],
    },
    // Security: user denied Remote Desktop access (not in Remote Desktop
    // Users).
    Entry {
        channel: "Security",
        providers: &[],
        ids: &[4825],
        key: &[],
        data: &[],
    },
    // RDPClient (client side): connection started (1024), disconnected with
    // the discReason in decimal (1026, logged as `Value`), connected (1027),
    // user name hash (1029), UDP transport lost (1105).
    Entry {
        channel: RDPCLIENT,
        providers: &[],
        ids: &[1026],
        key: &[("Reason", &["Reason", "Value"])],
        data: &[],
    },
    Entry {
        channel: RDPCLIENT,
        providers: &[],
        ids: &[1024, 1027, 1029, 1105],
        key: &[],
        data: &[],
    },
    // Kerberos on the domain controller (Security): a TGT requested (4768),
    // a service ticket requested (4769), pre-authentication failed (4771),
    // each with its RFC 4120 7.5.9 code in `Status` (hex, 0x0 = success).
    Entry {
        channel: "Security",
        providers: &[],
        ids: &[4768, 4769, 4771],
        key: &[("Status", &["Status"])],
        data: &[
            "TargetUserName",
            "TargetDomainName",
            "ServiceName",
            "IpAddress",
            "TicketEncryptionType",
            "PreAuthType",
        ],
    },
    // Kerberos on a member (System, Security-Kerberos): an error from the
    // KDC or a service (3, with its code), and KRB_AP_ERR_MODIFIED (4: a
    // ticket this machine could not decrypt: duplicate SPN or a stale
    // machine account password).
    Entry {
        channel: "System",
        providers: &["Microsoft-Windows-Security-Kerberos", "Kerberos"],
        ids: &[3, 4],
        key: &[("ErrorCode", &["ErrorCode"])],
        data: &[],
    },
    // NETLOGON: the secure channel to the domain failed (3210: the machine
    // account could not authenticate; 5719: no domain controller reached).
    Entry {
        channel: "System",
        providers: &["NETLOGON"],
        ids: &[3210, 5719],
        key: &[],
        data: &[],
    },
    // RD Gateway: CAP met / not met (200/201), connection limit (203), NAP
    // health policy not met (204), RAP met / not met (300/301), connected
    // to and disconnected from a resource (302/303), resource unreachable
    // (304), authentication method refused (305), tunnel not created (306),
    // session timeout (307), re-authentication failed (309), connection
    // started (312). Each record's `EventInfo` names the user, the client
    // address, the authentication method, the resource and an error code:
    // grouped by user, resource and error.
    Entry {
        channel: GATEWAY,
        providers: &[],
        ids: &[
            200, 201, 203, 204, 300, 301, 302, 303, 304, 305, 306, 307, 309, 312,
        ],
        key: &[
            ("Username", &["Username"]),
            ("Resource", &["Resource"]),
            ("ErrorCode", &["ErrorCode"]),
        ],
        data: &["IpAddress", "AuthType", "ConnectionProtocol"],
    },
];

/// Whether any entry covers this event id: the cheap first test, before the
/// channel is even decoded.
pub fn any_id(id: u16) -> bool {
    CATALOGUE.iter().any(|e| e.ids.contains(&id))
}

/// The entry for a record, with its provider checked.
pub fn find(channel: &str, provider: &str, id: u16) -> Option<&'static Entry> {
    find_index(channel, provider, id).map(|(_, e)| e)
}

/// [`find`], with the entry's index in [`CATALOGUE`].
pub fn find_index(channel: &str, provider: &str, id: u16) -> Option<(usize, &'static Entry)> {
    CATALOGUE.iter().enumerate().find(|(_, e)| {
        e.ids.contains(&id)
            && e.channel.eq_ignore_ascii_case(channel)
            && (e.providers.is_empty()
                || e.providers.iter().any(|p| p.eq_ignore_ascii_case(provider)))
    })
}
