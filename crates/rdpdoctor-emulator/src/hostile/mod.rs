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
mod tls;

use crate::Error;
use crate::framed::{End, Framed};
use messages as m;
use rdpdoctor_wire::x224::{self, ConnectionConfirm, failure_code, protocol};
use rdpdoctor_wire::{mcs, tpkt};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tls::{Cert, ClientAuth};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// The most one connection is served.
pub const CONNECTION_BUDGET: Duration = Duration::from_secs(30);
/// A client silent this long is dropped.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more are closed on accept.
const MAX_CONNECTIONS: usize = 64;
/// The pace of a dribble.
const DRIBBLE_GAP: Duration = Duration::from_secs(1);
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

/// What every connection of a listener shares.
struct Ctx {
    play: Play,
    /// The `Made` messages, made once, by step index.
    made: Vec<Option<Vec<u8>>>,
    /// One TLS server per certificate the script uses.
    acceptors: Vec<(Cert, ClientAuth, openssl::ssl::SslAcceptor)>,
    /// The rustls server of [`Step::KeyUpdates`].
    rustls: Option<tokio_rustls::TlsAcceptor>,
}

impl Ctx {
    fn new(h: Hostile) -> Result<Ctx, Error> {
        let play = h.play();
        let mut made = Vec::new();
        let mut acceptors = Vec::new();
        let mut rustls = None;
        for step in &play.steps {
            if matches!(step, Step::KeyUpdates) {
                let cfg = crate::FaultConfig::new(crate::Fault::HealthyNla);
                let id = crate::certs::tls_identity(&cfg, std::net::Ipv4Addr::LOCALHOST.into())?;
                if let crate::conn::TlsAcceptor::Rustls(a) =
                    crate::rustls_acceptor(&id, crate::MODERN_TLS)?
                {
                    rustls = Some(a);
                }
            }
            let msg = match step {
                Step::Send(m) | Step::Dribble(m) | Step::Repeat(m, _) => Some(*m),
                _ => None,
            };
            made.push(match msg {
                Some(Msg::Made(f)) => Some(f()?),
                _ => None,
            });
            let tls = match *step {
                Step::Tls(c, a) => Some((c, a)),
                Step::TlsDribbled(c) => Some((c, ClientAuth::None)),
                _ => None,
            };
            if let Some((c, a)) = tls {
                acceptors.push((c, a, tls::acceptor(c, a)?));
            }
        }
        Ok(Ctx {
            play,
            made,
            acceptors,
            rustls,
        })
    }

    fn bytes(&self, i: usize, msg: Msg) -> Vec<u8> {
        match msg {
            Msg::Plain(f) => f(),
            Msg::Made(_) => self.made.get(i).cloned().flatten().unwrap_or_default(),
        }
    }

    fn acceptor(&self, c: Cert, a: ClientAuth) -> Option<&openssl::ssl::SslAcceptor> {
        self.acceptors
            .iter()
            .find(|(cc, aa, _)| *cc == c && *aa == a)
            .map(|(_, _, acc)| acc)
    }
}

/// A listener playing one [`Hostile`] behaviour. Stops, cutting every
/// connection, when dropped.
#[derive(Debug)]
pub struct RunningHostile {
    local_addr: SocketAddr,
    task: JoinHandle<()>,
}

impl RunningHostile {
    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }
}

impl Drop for RunningHostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a listener on `listen` (port 0 picks a free port) playing `h`.
/// Must be called inside a tokio runtime.
pub async fn spawn(h: Hostile, listen: SocketAddr) -> Result<RunningHostile, Error> {
    // Key generation takes a moment: keep it off the async workers.
    let ctx = tokio::task::spawn_blocking(move || Ctx::new(h))
        .await
        .map_err(|e| Error::Certificate(e.to_string()))??;
    let (listener, local_addr) = crate::bind(listen).await?;
    let task = tokio::spawn(accept_loop(listener, Arc::new(ctx)));
    Ok(RunningHostile { local_addr, task })
}

async fn accept_loop(listener: TcpListener, ctx: Arc<Ctx>) {
    // Dropped with this task: every connection is aborted with it.
    let mut connections = JoinSet::new();
    loop {
        if !ctx.play.accept_delay.is_zero() {
            tokio::time::sleep(ctx.play.accept_delay).await;
        }
        while connections.try_join_next().is_some() {}
        match listener.accept().await {
            Ok((tcp, _)) if connections.len() < MAX_CONNECTIONS => {
                let _ = tcp.set_nodelay(true);
                let ctx = ctx.clone();
                connections.spawn(async move {
                    let deadline = Instant::now() + CONNECTION_BUDGET;
                    let io: Box<dyn Io> = Box::new(tcp);
                    let s = Framed::new(io, READ_TIMEOUT, deadline, Duration::ZERO);
                    let _ = tokio::time::timeout_at(deadline, serve(s, &ctx)).await;
                });
            }
            Ok(_) => {}
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// A byte stream: TCP, or TLS over TCP.
trait Io: AsyncRead + AsyncWrite + Unpin + Send + Sync {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> Io for T {}

fn tpkt_framer(b: &[u8]) -> Result<Option<usize>, rdpdoctor_wire::WireError> {
    tpkt::declared_len(b)
}

fn any_framer(b: &[u8]) -> Result<Option<usize>, rdpdoctor_wire::WireError> {
    Ok((!b.is_empty()).then_some(b.len()))
}

/// Plays the script on one connection.
async fn serve(mut s: Framed<Box<dyn Io>>, ctx: &Ctx) -> Result<(), End> {
    for (i, step) in ctx.play.steps.iter().enumerate() {
        match *step {
            Step::Negotiate(policy) => {
                let frame = s.read_frame(tpkt_framer, 1024).await?;
                let request = x224::decode_connection_request(&frame)
                    .map_err(|e| End::Garbage(e.to_string()))?;
                let cc = policy.answer(request.requested_protocols);
                s.send(&x224::encode_connection_confirm(&cc)).await?;
                if matches!(cc, ConnectionConfirm::Failure { .. }) {
                    s.close().await;
                    s.drain(Duration::from_secs(2)).await;
                    return Err(End::Done);
                }
            }
            Step::ReadFrame => {
                s.read_frame(tpkt_framer, tpkt::MAX_FRAME).await?;
            }
            Step::ReadAny => {
                s.read_frame(any_framer, 64 * 1024).await?;
            }
            Step::Tls(cert, auth) => {
                let acceptor = ctx.acceptor(cert, auth).ok_or(End::Done)?;
                s = tls_accept(s, acceptor).await?;
            }
            Step::TlsDribbled(cert) => {
                let acceptor = ctx.acceptor(cert, ClientAuth::None).ok_or(End::Done)?;
                return tls_dribbled(s, acceptor).await;
            }
            Step::Domain => domain(&mut s).await?,
            Step::KeyUpdates => return key_updates(s, ctx).await,
            Step::Send(msg) => s.send(&ctx.bytes(i, msg)).await?,
            Step::Dribble(msg) => {
                for b in ctx.bytes(i, msg) {
                    s.send_now(&[b]).await?;
                    tokio::time::sleep(DRIBBLE_GAP).await;
                }
            }
            Step::Repeat(msg, gap) => {
                let bytes = ctx.bytes(i, msg);
                loop {
                    s.send_now(&bytes).await?;
                    if !gap.is_zero() {
                        tokio::time::sleep(gap).await;
                    }
                }
            }
            Step::Hold => s.drain(CONNECTION_BUDGET).await,
        }
    }
    Ok(())
}

fn ssl(acceptor: &openssl::ssl::SslAcceptor) -> Result<openssl::ssl::Ssl, End> {
    openssl::ssl::Ssl::new(acceptor.context()).map_err(|e| End::Garbage(e.to_string()))
}

/// The TLS server handshake; the stream goes on inside TLS.
async fn tls_accept(
    s: Framed<Box<dyn Io>>,
    acceptor: &openssl::ssl::SslAcceptor,
) -> Result<Framed<Box<dyn Io>>, End> {
    if s.buffered() > 0 {
        return Err(End::Garbage("data before the ClientHello was due".into()));
    }
    let settings = s.settings();
    let mut tls = tokio_openssl::SslStream::new(ssl(acceptor)?, s.into_inner())
        .map_err(|e| End::Garbage(e.to_string()))?;
    match tokio::time::timeout(READ_TIMEOUT, std::pin::Pin::new(&mut tls).accept()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(End::Garbage(format!("TLS handshake: {e}"))),
        Err(_) => return Err(End::Timeout),
    }
    let io: Box<dyn Io> = Box::new(tls);
    Ok(Framed::with_settings(io, settings))
}

/// A real TLS server behind a relay that passes the client's bytes at once
/// and the server's one a second.
async fn tls_dribbled(
    s: Framed<Box<dyn Io>>,
    acceptor: &openssl::ssl::SslAcceptor,
) -> Result<(), End> {
    let (near, far) = tokio::io::duplex(64 * 1024);
    let mut tls = tokio_openssl::SslStream::new(ssl(acceptor)?, far)
        .map_err(|e| End::Garbage(e.to_string()))?;
    let server = async move {
        if std::pin::Pin::new(&mut tls).accept().await.is_ok() {
            let mut sink = [0u8; 4096];
            while matches!(tls.read(&mut sink).await, Ok(n) if n > 0) {}
        }
    };
    let (mut client_r, mut client_w) = tokio::io::split(s.into_inner());
    let (mut near_r, mut near_w) = tokio::io::split(near);
    let upstream = async {
        let _ = tokio::io::copy(&mut client_r, &mut near_w).await;
    };
    let downstream = async {
        let mut byte = [0u8; 1];
        while matches!(near_r.read(&mut byte).await, Ok(1)) {
            if client_w.write_all(&byte).await.is_err() {
                break;
            }
            tokio::time::sleep(DRIBBLE_GAP).await;
        }
    };
    tokio::select! {
        _ = server => {}
        _ = upstream => {}
        _ = downstream => {}
    }
    Err(End::Done)
}

/// TLS 1.3 with rustls, then KeyUpdate requests without end.
async fn key_updates(s: Framed<Box<dyn Io>>, ctx: &Ctx) -> Result<(), End> {
    let acceptor = ctx.rustls.as_ref().ok_or(End::Done)?;
    let mut tls = match tokio::time::timeout(READ_TIMEOUT, acceptor.accept(s.into_inner())).await {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => return Err(End::Garbage(format!("TLS handshake: {e}"))),
        Err(_) => return Err(End::Timeout),
    };
    let mut first = [0u8; 4096];
    match tokio::time::timeout(READ_TIMEOUT, tls.read(&mut first)).await {
        Ok(Ok(n)) if n > 0 => {}
        _ => return Err(End::Closed),
    }
    loop {
        // Fails on TLS 1.2 (no KeyUpdate there): the connection ends.
        tls.get_mut()
            .1
            .refresh_traffic_keys()
            .map_err(|e| End::Garbage(e.to_string()))?;
        match tokio::time::timeout(READ_TIMEOUT, tls.flush()).await {
            Ok(Ok(())) => {}
            _ => return Err(End::Closed),
        }
    }
}

/// Erect Domain, Attach User, Channel Joins, answered; reads the PDU after them.
async fn domain(s: &mut Framed<Box<dyn Io>>) -> Result<(), End> {
    let garbage = |e: rdpdoctor_wire::WireError| End::Garbage(e.to_string());
    let frame = s.read_frame(tpkt_framer, 64).await?;
    mcs::decode_erect_domain_request(&frame).map_err(garbage)?;
    let frame = s.read_frame(tpkt_framer, 64).await?;
    mcs::decode_attach_user_request(&frame).map_err(garbage)?;
    s.send(&m::attach_user_confirm()).await?;
    for _ in 0..=mcs::MAX_CHANNELS.saturating_add(3) {
        let frame = s.read_frame(tpkt_framer, tpkt::MAX_FRAME).await?;
        match mcs::decode_channel_join_request(&frame) {
            Ok((user, channel)) => {
                s.send(&mcs::encode_channel_join_confirm(user, channel))
                    .await?
            }
            Err(_) => return Ok(()),
        }
    }
    Err(End::Garbage("too many Channel Join Requests".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
