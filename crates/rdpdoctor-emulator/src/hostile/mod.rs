//! Hostile servers: the server side of the hostile-server suite
//! (`crates/rdpdoctor/tests/hostile.rs`). Where [`crate::Fault`] plays a
//! misconfigured Windows host, a [`Hostile`] plays a broken or malicious one,
//! at one protocol layer: X.224, TLS, CredSSP/NTLM, MCS/GCC, Standard RDP
//! Security, and the rest of the connection sequence that the deep probe
//! walks. At each layer it is silent, dribbles (one byte a second), never
//! stops sending, lies about lengths, sends malformed encodings, absurd
//! values or codes nobody defined; and at the TLS layer it also sends
//! HelloRequests, asks for a client certificate, and presents huge
//! certificates, huge chains, absurd dates and an RSA-512 key.
//!
//! Whatever it does, a client must end within its deadlines with a finding,
//! in bounded memory. Every case is one line of [`Hostile::play`]: a short
//! script of [`Step`]s, the valid messages built with the wire crate's
//! encoders and then bent ([`messages`]).
//!
//! Connections are served for at most [`CONNECTION_BUDGET`]; the listener
//! and every connection stop when the [`RunningHostile`] is dropped.

mod messages;
mod run;
mod tls;

use crate::Error;
use messages as m;
use rdpdoctor_wire::x224::{ConnectionConfirm, failure_code, protocol};
pub use run::{RunningHostile, spawn};
use std::time::Duration;
use tls::{Cert, ClientAuth};

/// The most one connection is served.
pub const CONNECTION_BUDGET: Duration = Duration::from_secs(30);
/// The delay before each accept of `slow-accept`.
const SLOW_ACCEPT: Duration = Duration::from_secs(2);

macro_rules! hostile {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// One hostile server behaviour.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Hostile {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Hostile {
            /// Every behaviour, by layer.
            pub const ALL: &'static [Hostile] = &[$(Hostile::$variant,)*];

            /// The kebab-case name, e.g. `tls-hello-request-flood`.
            pub fn name(self) -> &'static str {
                match self { $(Hostile::$variant => $name,)* }
            }

            /// One line: what the server does.
            pub fn description(self) -> &'static str {
                match self { $(Hostile::$variant => concat!($($doc),*).trim_start(),)* }
            }
        }
    };
}

hostile! {
    /// Reads the Connection Request and never answers.
    X224Silent = "x224-silent",
    /// Sends a Connection Confirm selecting TLS, one byte a second.
    X224Dribble = "x224-dribble",
    /// Answers with 16 KiB of `A` after 16 KiB of `A`, for as long as the client reads.
    X224Endless = "x224-endless",
    /// A TPKT header announcing 65535 bytes, a Connection Confirm's worth, then silence.
    X224LengthTooLong = "x224-length-too-long",
    /// A TPKT header announcing 2 bytes, less than the header itself.
    X224LengthTooShort = "x224-length-too-short",
    /// A Connection Confirm whose length indicator and RDP_NEG length both lie.
    X224NegLengthsLie = "x224-neg-lengths-lie",
    /// A Connection Confirm with an RDP_NEG type nobody defined.
    X224NegUnknownType = "x224-neg-unknown-type",
    /// An X.224 TPDU of an unknown code where the Connection Confirm belongs.
    X224UnknownTpdu = "x224-unknown-tpdu",
    /// RDP_NEG_FAILURE with failureCode 0xDEADBEEF to every request.
    NegFailureDeadbeef = "neg-failure-deadbeef",
    /// RDP_NEG_RSP selecting protocol 0xFFFFFFFF to every request, then silence.
    NegSelectAllBits = "neg-select-ffffffff",
    /// Accepts each connection 2 s late, then a healthy TLS handshake.
    SlowAccept = "slow-accept",
    /// Selects TLS, reads the ClientHello, never answers.
    TlsSilent = "tls-silent",
    /// Selects TLS, then a HelloRequest record every second instead of a ServerHello.
    TlsHelloRequestEverySecond = "tls-hello-request-every-second",
    /// Selects TLS, then HelloRequest records as fast as the client reads.
    TlsHelloRequestFlood = "tls-hello-request-flood",
    /// Selects TLS, then a real handshake one byte a second.
    TlsDribble = "tls-dribble",
    /// Selects TLS, then 16 KiB handshake records of garbage without end.
    TlsEndless = "tls-endless",
    /// Selects TLS, then a record header announcing 65535 bytes, and silence.
    TlsRecordLengthLies = "tls-record-length-lies",
    /// Selects TLS, then a handshake record holding a sentence.
    TlsNotAServerHello = "tls-not-a-server-hello",
    /// Selects TLS, then a ServerHello choosing version, suite and compression 0xFF..
    TlsAbsurdServerHello = "tls-absurd-server-hello",
    /// Selects TLS, then a fatal alert of an undefined description (255).
    TlsUnknownAlert = "tls-unknown-alert",
    /// Requires NLA; a TLS 1.3 server (rustls) that answers the TSRequest
    /// with KeyUpdate requests, as fast as the client takes them.
    TlsKeyUpdateFlood = "tls-key-update-flood",
    /// A TLS server that requires a client certificate.
    TlsClientCertRequired = "tls-client-cert-required",
    /// A TLS server whose certificate has 3000 subject alternative names (60 KB).
    TlsHugeCertificate = "tls-huge-certificate",
    /// A TLS server sending a chain of 301 certificates (250 KB).
    TlsHugeChain = "tls-huge-chain",
    /// A TLS certificate valid from the year 1.
    TlsCertYear1 = "tls-cert-year-0001",
    /// A TLS certificate valid from 9999-01-01 to 9999-12-31.
    TlsCertYear9999 = "tls-cert-year-9999",
    /// A TLS 1.0-only server with an RSA-512 key.
    TlsRsa512 = "tls-rsa-512",
    /// Requires NLA; after TLS, reads the TSRequest and never answers.
    CredsspSilent = "credssp-silent",
    /// Requires NLA; the TSRequest with the NTLM CHALLENGE one byte a second.
    CredsspDribble = "credssp-dribble",
    /// Requires NLA; 16 KiB of `A` after 16 KiB of `A` inside TLS.
    CredsspEndless = "credssp-endless",
    /// Requires NLA; a TSRequest announcing 2 GiB.
    CredsspLengthLies = "credssp-length-lies",
    /// Requires NLA; a TSRequest whose version INTEGER overruns its SEQUENCE.
    CredsspMalformed = "credssp-malformed",
    /// Requires NLA; TSRequest version 2^32-1, a CHALLENGE with the last FILETIME, 3000-character names.
    CredsspAbsurd = "credssp-absurd",
    /// Requires NLA; a CHALLENGE whose name and target-info fields point past its end.
    NtlmFieldsLie = "ntlm-fields-lie",
    /// Requires NLA; a TSRequest with errorCode 0xDEADBEEF and no token.
    CredsspUnknownError = "credssp-unknown-error",
    /// Standard RDP Security; reads the MCS Connect Initial and never answers.
    McsSilent = "mcs-silent",
    /// Standard RDP Security; the Connect Response one byte a second.
    McsDribble = "mcs-dribble",
    /// Standard RDP Security; 16 KiB of `A` after 16 KiB of `A` for the Connect Initial.
    McsEndless = "mcs-endless",
    /// Standard RDP Security; a Connect Response whose BER length announces 2 GiB.
    McsLengthLies = "mcs-length-lies",
    /// Standard RDP Security; garbage inside valid TPKT and X.224 headers.
    McsGarbage = "mcs-garbage",
    /// Standard RDP Security; a Connect Response with every number out of range.
    McsAbsurd = "mcs-absurd",
    /// Standard RDP Security; a Connect Response with T.125 result 200.
    McsUnknownResult = "mcs-unknown-result",
    /// Standard RDP Security with a 0-bit server key.
    RdpZeroKey = "rdp-zero-key",
    /// Standard RDP Security with a proprietary key of 2^32-1 bits and exponent 2^32-1.
    RdpAbsurdKey = "rdp-absurd-key",
    /// Standard RDP Security with an X.509 chain of garbage.
    RdpX509Garbage = "rdp-x509-garbage",
    /// Standard RDP Security with an RSA_PUBLIC_KEY whose keylen says 2^32-1 bytes.
    RdpKeyLengthLies = "rdp-key-length-lies",
    /// Standard RDP Security with a sane key; silence after the Client Info.
    RdpSilent = "rdp-silent",
    /// Standard RDP Security with a sane key; 16 KiB of `A` after 16 KiB of `A` after the Client Info.
    RdpEndless = "rdp-endless",
    /// Standard RDP Security with an undefined certificate version and encryption method.
    RdpUnknownCertificate = "rdp-unknown-certificate",
    /// Standard RDP Security with a 16384-bit key and a 16383-bit exponent (X.509).
    RdpHugeExponent = "rdp-huge-exponent",
    /// TLS; a Connect Response, then silence.
    DeepSilent = "deep-silent",
    /// TLS; the Connect Response one byte a second.
    DeepDribble = "deep-dribble",
    /// TLS; after the Client Info, share PDUs of an undefined type without end.
    DeepEndless = "deep-endless",
    /// TLS; after the Client Info, a share PDU of an undefined type every
    /// 0.9 s: each read ends within a step, only the probe's ceiling ends them all.
    DeepTrickle = "deep-trickle",
    /// TLS; an Attach User Confirm whose TPKT length announces 65535 bytes.
    DeepAttachLengthLies = "deep-attach-length-lies",
    /// TLS; after the Client Info, bytes that are neither TPKT nor fast-path.
    DeepGarbage = "deep-garbage",
    /// TLS; a Connect Response naming channel 0 for I/O and every virtual channel.
    DeepChannelsZero = "deep-channels-zero",
    /// TLS; Set Error Info 0xDEADBEEF after the Client Info.
    DeepUnknownErrorInfo = "deep-unknown-error-info",
    /// TLS; a licensing error of undefined code and state after the Client Info.
    DeepUnknownLicenseError = "deep-unknown-license-error",
}

impl Hostile {
    /// Looks a behaviour up by its [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Hostile> {
        Hostile::ALL.iter().copied().find(|h| h.name() == name)
    }

    /// The script of each behaviour: the table of the suite, one line per case.
    #[rustfmt::skip]
    fn play(self) -> Play {
        use Hostile::*;
        use Msg::{Made, Plain as P};
        use Step::*;
        const NOW: Duration = Duration::ZERO;
        const SEC: Duration = Duration::from_secs(1);
        let good = Tls(Cert::Good, ClientAuth::None);
        let tls = |cert| vec![Negotiate(Policy::Tls), Tls(cert, ClientAuth::None), Hold];
        // Where each layer's misbehaviour starts: after the Connection
        // Request, the ClientHello, the TSRequest, the Connect Initial (with
        // Standard RDP Security or over TLS), the Client Info.
        let x224 = |rest: &[Step]| [&[ReadFrame], rest].concat();
        let ssl = |rest: &[Step]| [&[Negotiate(Policy::Tls), ReadAny], rest].concat();
        let nla = |rest: &[Step]| [&[Negotiate(Policy::Nla), good, ReadAny], rest].concat();
        let mcs = |rest: &[Step]| [&[Negotiate(Policy::Rdp), ReadFrame], rest].concat();
        let deep = |rest: &[Step]| [&[Negotiate(Policy::Tls), good, ReadFrame], rest].concat();
        let joined = |rest: &[Step]| deep(&[&[Send(P(m::connect_response)), Domain], rest].concat());
        let steps: Vec<Step> = match self {
            X224Silent => x224(&[Hold]),
            X224Dribble => x224(&[Dribble(P(m::cc_select_ssl))]),
            X224Endless => x224(&[Repeat(P(m::junk), NOW)]),
            X224LengthTooLong => x224(&[Send(P(m::tpkt_longer_than_sent)), Hold]),
            X224LengthTooShort => x224(&[Send(P(m::tpkt_shorter_than_header)), Hold]),
            X224NegLengthsLie => x224(&[Send(P(m::neg_lengths_lie)), Hold]),
            X224NegUnknownType => x224(&[Send(P(m::neg_unknown_type)), Hold]),
            X224UnknownTpdu => x224(&[Send(P(m::x224_unknown_tpdu)), Hold]),
            NegFailureDeadbeef => vec![Negotiate(Policy::Fail(0xDEAD_BEEF))],
            NegSelectAllBits => vec![Negotiate(Policy::Select(u32::MAX)), Hold],
            SlowAccept => tls(Cert::Good),
            TlsSilent => ssl(&[Hold]),
            TlsHelloRequestEverySecond => ssl(&[Repeat(P(m::hello_request), SEC)]),
            TlsHelloRequestFlood => ssl(&[Repeat(P(m::hello_requests), NOW)]),
            TlsDribble => vec![Negotiate(Policy::Tls), TlsDribbled(Cert::Good)],
            TlsEndless => ssl(&[Repeat(P(m::tls_garbage_record), NOW)]),
            TlsRecordLengthLies => ssl(&[Send(P(m::tls_record_longer_than_sent)), Hold]),
            TlsNotAServerHello => ssl(&[Send(P(m::tls_not_a_server_hello)), Hold]),
            TlsAbsurdServerHello => ssl(&[Send(P(m::tls_absurd_server_hello)), Hold]),
            TlsUnknownAlert => ssl(&[Send(P(m::tls_unknown_alert)), Hold]),
            TlsKeyUpdateFlood => vec![Negotiate(Policy::Nla), KeyUpdates],
            TlsClientCertRequired => vec![Negotiate(Policy::Tls), Tls(Cert::Good, ClientAuth::Required), Hold],
            TlsHugeCertificate => tls(Cert::HugeSan),
            TlsHugeChain => tls(Cert::HugeChain),
            TlsCertYear1 => tls(Cert::Year1),
            TlsCertYear9999 => tls(Cert::Year9999),
            TlsRsa512 => tls(Cert::Rsa512),
            CredsspSilent => nla(&[Hold]),
            CredsspDribble => nla(&[Dribble(P(m::ts_challenge))]),
            CredsspEndless => nla(&[Repeat(P(m::junk), NOW)]),
            CredsspLengthLies => nla(&[Send(P(m::ts_longer_than_sent)), Hold]),
            CredsspMalformed => nla(&[Send(P(m::ts_malformed)), Hold]),
            CredsspAbsurd => nla(&[Send(P(m::ts_absurd)), Hold]),
            NtlmFieldsLie => nla(&[Send(P(m::ts_ntlm_fields_lie)), Hold]),
            CredsspUnknownError => nla(&[Send(P(m::ts_unknown_error)), Hold]),
            McsSilent => mcs(&[Hold]),
            McsDribble => mcs(&[Dribble(P(m::connect_response))]),
            McsEndless => mcs(&[Repeat(P(m::junk), NOW)]),
            McsLengthLies => mcs(&[Send(P(m::connect_response_longer_than_sent)), Hold]),
            McsGarbage => mcs(&[Send(P(m::connect_response_garbage)), Hold]),
            McsAbsurd => mcs(&[Send(P(m::connect_response_absurd)), Domain, Hold]),
            McsUnknownResult => mcs(&[Send(P(m::connect_response_unknown_result)), Hold]),
            RdpZeroKey => mcs(&[Send(P(m::rdp_zero_key)), Domain, Hold]),
            RdpAbsurdKey => mcs(&[Send(P(m::rdp_absurd_key)), Domain, Hold]),
            RdpX509Garbage => mcs(&[Send(P(m::rdp_x509_garbage)), Domain, Hold]),
            RdpKeyLengthLies => mcs(&[Send(P(m::rdp_key_length_lies)), Domain, Hold]),
            RdpSilent => mcs(&[Send(Made(m::rdp_x509_rsa2048)), Domain, ReadFrame, Hold]),
            RdpEndless => mcs(&[Send(Made(m::rdp_x509_rsa2048)), Domain, ReadFrame, Repeat(P(m::junk), NOW)]),
            RdpUnknownCertificate => mcs(&[Send(P(m::rdp_unknown_certificate)), Domain, Hold]),
            RdpHugeExponent => mcs(&[Send(Made(m::rdp_huge_exponent)), Domain, Hold]),
            DeepSilent => deep(&[Send(P(m::connect_response)), Hold]),
            DeepDribble => deep(&[Dribble(P(m::connect_response))]),
            DeepEndless => joined(&[Repeat(P(m::unknown_share_pdu), NOW)]),
            DeepTrickle => joined(&[Repeat(P(m::unknown_share_pdu), Duration::from_millis(900))]),
            DeepAttachLengthLies => deep(&[Send(P(m::connect_response)), ReadFrame, ReadFrame, Send(P(m::attach_user_confirm_longer_than_sent)), Hold]),
            DeepGarbage => joined(&[Send(P(m::neither_tpkt_nor_fast_path)), Hold]),
            DeepChannelsZero => deep(&[Send(P(m::connect_response_channels_zero)), Domain, Hold]),
            DeepUnknownErrorInfo => joined(&[Send(P(m::set_error_info_unknown)), Hold]),
            DeepUnknownLicenseError => joined(&[Send(P(m::license_error_unknown)), Hold]),
        };
        let accept_delay = if self == SlowAccept {
            SLOW_ACCEPT
        } else {
            Duration::ZERO
        };
        Play {
            accept_delay,
            steps,
        }
    }
}

/// How the server answers the X.224 Connection Request ([MS-RDPBCGR 2.2.1.2]).
#[derive(Debug, Clone, Copy)]
enum Policy {
    /// PROTOCOL_SSL to requests that offer it, SSL_REQUIRED_BY_SERVER to the rest.
    Tls,
    /// PROTOCOL_HYBRID to requests that offer it, HYBRID_REQUIRED_BY_SERVER to the rest.
    Nla,
    /// PROTOCOL_RDP to every request (no negotiation data to a legacy one).
    Rdp,
    /// This selectedProtocol to every request.
    Select(u32),
    /// This failureCode to every request.
    Fail(u32),
}

impl Policy {
    fn answer(self, requested: Option<u32>) -> ConnectionConfirm {
        let select = |selected_protocol| ConnectionConfirm::Response {
            selected_protocol,
            flags: 0x1F,
        };
        let offers = |bit: u32| requested.is_some_and(|r| r & bit != 0);
        match self {
            Policy::Tls if offers(protocol::SSL) => select(protocol::SSL),
            Policy::Tls => ConnectionConfirm::Failure {
                code: failure_code::SSL_REQUIRED_BY_SERVER,
            },
            Policy::Nla if offers(protocol::HYBRID) => select(protocol::HYBRID),
            Policy::Nla => ConnectionConfirm::Failure {
                code: failure_code::HYBRID_REQUIRED_BY_SERVER,
            },
            Policy::Rdp if requested.is_none() => ConnectionConfirm::NoNegotiationData,
            Policy::Rdp => select(protocol::RDP),
            Policy::Select(p) => select(p),
            Policy::Fail(code) => ConnectionConfirm::Failure { code },
        }
    }
}

/// A message of a script: made on every send, or once when the listener starts.
#[derive(Clone, Copy)]
enum Msg {
    Plain(fn() -> Vec<u8>),
    Made(fn() -> Result<Vec<u8>, Error>),
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Msg")
    }
}

/// One step of a hostile server's script. The connection ends after the last step.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Read the Connection Request; answer as the policy says (a failure ends the connection).
    Negotiate(Policy),
    /// Read one TPKT frame.
    ReadFrame,
    /// Read whatever comes first (a ClientHello, a TSRequest).
    ReadAny,
    /// Be the TLS server.
    Tls(Cert, ClientAuth),
    /// Be the TLS server, sending each of its bytes a second after the last.
    TlsDribbled(Cert),
    /// Erect Domain, Attach User and Channel Joins, answered as Windows does
    /// ([MS-RDPBCGR 2.2.1.5–2.2.1.9]); ends having read the next PDU (the
    /// Security Exchange or the Client Info).
    Domain,
    /// Be a TLS 1.3 server (rustls), read the client's first message, then
    /// send KeyUpdate requests ([RFC 8446 4.6.3]) until the client leaves.
    KeyUpdates,
    /// Send a message.
    Send(Msg),
    /// Send a message one byte a second.
    Dribble(Msg),
    /// Send a message again and again, this far apart, until the client leaves.
    Repeat(Msg, Duration),
    /// Say nothing until the client leaves.
    Hold,
}

struct Play {
    accept_delay: Duration,
    steps: Vec<Step>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdpdoctor_wire::x224;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn names_are_unique_and_round_trip() {
        for h in Hostile::ALL {
            assert_eq!(Hostile::from_name(h.name()), Some(*h));
            assert!(!h.description().is_empty(), "{h:?}");
            assert!(!h.play().steps.is_empty(), "{h:?}");
        }
    }

    #[tokio::test]
    async fn a_scripted_server_answers_as_its_policy_says() {
        let h = spawn(Hostile::NegFailureDeadbeef, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let mut c = tokio::net::TcpStream::connect(h.local_addr())
            .await
            .unwrap();
        c.write_all(&x224::encode_connection_request(Some(protocol::SSL), None))
            .await
            .unwrap();
        let mut buf = vec![0u8; 64];
        let n = c.read(&mut buf).await.unwrap();
        assert_eq!(
            x224::decode_connection_confirm(&buf[..n]),
            Ok(ConnectionConfirm::Failure { code: 0xDEAD_BEEF })
        );
    }
}
