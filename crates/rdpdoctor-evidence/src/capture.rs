//! What a packet capture (pcap, pcapng) shows of the RDP connections in it:
//! one record per client→server connection, read by `rdpdoctor-capture`.
//! Only what crossed the wire in the clear: everything inside TLS (CredSSP,
//! the logon, the session) is counted, never read.

use serde::{Deserialize, Serialize};

use crate::{CertificateFacts, ProtocolSet};

/// A capture file and the RDP connections found in it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaptureEvidence {
    /// The file as the user named it.
    pub file: String,
    /// `pcap` or `pcapng`.
    pub format: String,
    /// Packets read.
    pub packets: u64,
    /// Why reading stopped before the end of the file (a cut last record, a
    /// corrupt block), one line naming the file; what was read before is kept.
    pub note: Option<String>,
    /// The RDP connections, in the order their first packet appears.
    pub connections: Vec<CaptureConnection>,
    /// TCP connections not tracked because the table was full.
    pub connections_not_tracked: u64,
    /// RDP-UDP ([MS-RDPEMT]/[MS-RDPEUDP]) flows seen by their SYN datagrams.
    pub udp: Vec<RdpUdpFlow>,
    /// The RD Gateway's name the user gave (`inspect --gateway NAME`, else
    /// the `gatewayhostname` of `inspect --rdp-file FILE`): TLS
    /// connections to it are reported as connections (`detected_by`
    /// `gateway-sni` or `gateway-certificate`).
    pub gateway: Option<String>,
    /// The SNI names of TLS connections to port 443 that were not the
    /// gateway (none named, or another name), distinct, at most 16: where
    /// to look for a gateway the user did not name.
    pub other_tls_server_names: Vec<String>,
}

/// Which peer sent something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// The connection's initiator.
    Client,
    /// The listener.
    Server,
}

/// How the connection was recognised as RDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DetectedBy {
    /// TCP port 3389.
    Port,
    /// A TPKT + X.224 Connection Request at the start of the client's bytes.
    Content,
    /// The hop to the RD Gateway the user named (`inspect --gateway`): a TLS
    /// ClientHello whose SNI is that name. The RDP connection to the target
    /// runs inside this TLS ([MS-TSGU] over HTTPS) and cannot be seen.
    GatewaySni,
    /// The hop to the RD Gateway the user named, by the server certificate's
    /// names (the client sent no SNI, as for a gateway given by address).
    GatewayCertificate,
    /// The hop to the RD Gateway the user named by its IP address (and
    /// port, 443 unless given): known from the client's SYN, so a gateway
    /// that never answers or refuses the connection is seen too.
    GatewayAddress,
}

/// One client→server RDP connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaptureConnection {
    /// The client's address and port (`192.0.2.1:50000`, `[::1]:50000`).
    pub client: String,
    /// The server's address and port.
    pub server: String,
    /// When its first packet was captured (Unix milliseconds, from the file).
    pub start_unix_ms: u64,
    /// `port` or `content`.
    pub detected_by: Option<DetectedBy>,
    /// The TCP story.
    pub tcp: CaptureTcp,
    /// [MS-RDPBCGR 2.2.1.1] the client's X.224 Connection Request.
    pub request: Option<CaptureRequest>,
    /// [MS-RDPBCGR 2.2.1.2] the server's X.224 Connection Confirm.
    pub confirm: Option<CaptureConfirm>,
    /// TLS as far as it is in the clear.
    pub tls: Option<CaptureTls>,
    /// Standard RDP Security in the clear ([MS-RDPBCGR 2.2.1.3–2.2.1.4]).
    pub standard_security: Option<CaptureStandardSecurity>,
    /// The messages each side sent, in capture order (names like
    /// `x224-connection-request`, `tls-client-hello`, `tls-server-hello`,
    /// `tls-alert`, `tls-application-data`, `mcs-connect-initial`).
    pub messages: Vec<CaptureMessage>,
}

/// One message of the conversation and when its last byte was captured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureMessage {
    /// Who sent it.
    pub from: Side,
    /// What it is.
    pub name: MessageKind,
    /// Milliseconds after the connection's first packet.
    pub at_ms: f64,
}

/// The messages a capture names: those sent in the clear before or around
/// security starts. Everything later is counted as records, never read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageKind {
    /// [MS-RDPBCGR 2.2.1.1] Client X.224 Connection Request PDU.
    X224ConnectionRequest,
    /// [MS-RDPBCGR 2.2.1.2] Server X.224 Connection Confirm PDU.
    X224ConnectionConfirm,
    /// [RFC 8446 4.1.2] ClientHello.
    TlsClientHello,
    /// [RFC 8446 4.1.3] ServerHello.
    TlsServerHello,
    /// Another TLS handshake record in the clear.
    TlsHandshake,
    /// A TLS ChangeCipherSpec record.
    TlsChangeCipherSpec,
    /// A TLS alert record ([`CaptureAlert`] holds what it said).
    TlsAlert,
    /// A TLS application_data record (encrypted: counted, not read).
    TlsApplicationData,
    /// [MS-RDPBCGR 2.2.1.3] MCS Connect Initial PDU (Standard RDP Security).
    McsConnectInitial,
    /// [MS-RDPBCGR 2.2.1.4] MCS Connect Response PDU.
    McsConnectResponse,
    /// Another RDP PDU under Standard RDP Security.
    RdpPdu,
    /// Only in a close's [`CaptureClose::after`]: payload the message list
    /// does not name (past its cap, or unreadable) came after the last
    /// message named.
    LaterData,
}

impl MessageKind {
    /// Its name, as JSON has it (`x224-connection-request`).
    pub fn name(self) -> &'static str {
        match self {
            Self::X224ConnectionRequest => "x224-connection-request",
            Self::X224ConnectionConfirm => "x224-connection-confirm",
            Self::TlsClientHello => "tls-client-hello",
            Self::TlsServerHello => "tls-server-hello",
            Self::TlsHandshake => "tls-handshake",
            Self::TlsChangeCipherSpec => "tls-change-cipher-spec",
            Self::TlsAlert => "tls-alert",
            Self::TlsApplicationData => "tls-application-data",
            Self::McsConnectInitial => "mcs-connect-initial",
            Self::McsConnectResponse => "mcs-connect-response",
            Self::RdpPdu => "rdp-pdu",
            Self::LaterData => "later-data",
        }
    }
}

/// How a TCP connection was ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloseKind {
    /// A segment with RST.
    Rst,
    /// A segment with FIN.
    Fin,
}

impl CloseKind {
    /// `RST` or `FIN`, as a text report names the segment.
    pub fn segment(self) -> &'static str {
        match self {
            Self::Rst => "RST",
            Self::Fin => "FIN",
        }
    }
}

/// [RFC 5246 7.2] AlertLevel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertLevel {
    /// warning(1)
    Warning,
    /// fatal(2): the sender ends the connection.
    Fatal,
}

/// The TCP part of a connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaptureTcp {
    /// SYNs the client sent (more than one: retransmitted).
    pub syns: u32,
    /// The server answered with SYN+ACK.
    pub syn_ack: bool,
    /// Round-trip time from the first SYN to the SYN+ACK, milliseconds
    /// (as seen where the capture was taken).
    pub rtt_ms: Option<f64>,
    /// Payload bytes the client sent (all of them, even past the cap).
    pub client_bytes: u64,
    /// Payload bytes the server sent.
    pub server_bytes: u64,
    /// Segments with payload.
    pub segments: u64,
    /// Segments whose bytes had all been seen already.
    pub retransmissions: u64,
    /// Holes in a direction's bytes (a segment never captured).
    pub gaps: u32,
    /// A direction went past the per-direction cap and was kept only in part.
    pub truncated: bool,
    /// Resets and FINs, in order.
    pub closes: Vec<CaptureClose>,
    /// ICMP errors about this connection (`destination-unreachable code 13`).
    pub icmp: Vec<String>,
}

/// A reset or FIN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureClose {
    /// Who sent it.
    pub by: Side,
    /// RST or FIN.
    pub kind: CloseKind,
    /// The last message of the conversation before it (see
    /// [`CaptureConnection::messages`]), `None` before any.
    pub after: Option<MessageKind>,
    /// Milliseconds after the connection's first packet.
    pub at_ms: f64,
}

/// What the client asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureRequest {
    /// `requestedProtocols` (`bits: null` = no RDP_NEG_REQ, a legacy request).
    pub requested: ProtocolSet,
    /// RDP_NEG_REQ `flags`.
    pub flags: u8,
    /// The routing token or cookie line (`Cookie: mstshash=user`), as sent.
    pub cookie: Option<String>,
    /// The `mstshash` user name of the cookie.
    pub mstshash: Option<String>,
}

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureConfirm {
    /// The selected protocol (RDP_NEG_RSP; `rdp` for no negotiation data).
    pub selected: Option<ProtocolSet>,
    /// RDP_NEG_RSP `flags`.
    pub flags: Option<u8>,
    /// RDP_NEG_FAILURE `failureCode`.
    pub failure_code: Option<u32>,
    /// Its name (`HYBRID_REQUIRED_BY_SERVER`).
    pub failure: Option<String>,
}

/// TLS in the clear.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaptureTls {
    /// The versions the ClientHello offered (`tls1.0` …).
    pub client_versions: Vec<String>,
    /// Its cipher suites (`0x002f`), in order.
    pub client_cipher_suites: Vec<String>,
    /// Its SNI.
    pub server_name: Option<String>,
    /// The ServerHello's version.
    pub server_version: Option<String>,
    /// The ServerHello's cipher suite.
    pub cipher_suite: Option<String>,
    /// The ServerHello carried renegotiation_info (RFC 5746).
    pub secure_renegotiation: Option<bool>,
    /// The certificate chain, leaf first, judged at the capture's time.
    pub certificates: Vec<CertificateFacts>,
    /// Alerts in the clear, with who sent them.
    pub alerts: Vec<CaptureAlert>,
    /// Both sides sent ChangeCipherSpec: the handshake finished.
    pub handshake_finished: bool,
    /// Encrypted records each side sent after the handshake.
    pub client_application_records: u64,
    /// The server's.
    pub server_application_records: u64,
}

/// A TLS alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureAlert {
    /// Who sent it.
    pub from: Side,
    /// Fatal or warning.
    pub level: AlertLevel,
    /// Its description (`protocol_version`).
    pub description: String,
}

/// Standard RDP Security as sent in the clear.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaptureStandardSecurity {
    /// CS_SECURITY `encryptionMethods` the client offered (`128bit`, …).
    pub client_encryption_methods: Vec<String>,
    /// SC_SECURITY `encryptionMethod` the server chose.
    pub encryption_method: Option<String>,
    /// SC_SECURITY `encryptionLevel`.
    pub encryption_level: Option<String>,
    /// `proprietary` or `x509`.
    pub certificate_type: Option<String>,
    /// The certificate's RSA key size.
    pub key_bits: Option<u32>,
    /// Permanently issued (`dwVersion` t = 0).
    pub permanent: Option<bool>,
    /// X.509 chain length.
    pub chain_length: Option<usize>,
    /// The client's Core Data ([MS-RDPBCGR 2.2.1.3.2]), in the clear here.
    pub client_core: Option<CaptureClientCore>,
}

/// [MS-RDPBCGR 2.2.1.3.2] the client's Core Data (TS_UD_CS_CORE) and its
/// static channels ([2.2.1.3.4] CS_NET), as the Connect Initial sent them
/// in the clear under Standard RDP Security: who the client is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaptureClientCore {
    /// `clientBuild` (mstsc sends its Windows' build: 7601, 19045, …).
    pub client_build: Option<u32>,
    /// The Windows release that build names (`Windows 7 SP1 / Windows
    /// Server 2008 R2 SP1`), when it is one of Windows' builds.
    pub windows_release: Option<String>,
    /// `clientName`: the client computer's name.
    pub client_name: Option<String>,
    /// `keyboardLayout` (1033 = English, United States).
    pub keyboard_layout: Option<u32>,
    /// `desktopWidth`.
    pub desktop_width: u16,
    /// `desktopHeight`.
    pub desktop_height: u16,
    /// The colour depth asked for, in bits (32 with
    /// RNS_UD_CS_WANT_32BPP_SESSION, else `highColorDepth`).
    pub color_depth: Option<u16>,
    /// `clientDigProductId`.
    pub client_dig_product_id: Option<String>,
    /// The static virtual channels requested (CS_NET), in order.
    pub channels: Vec<String>,
}

/// An RDP-UDP flow ([MS-RDPEUDP 3.1.5.1.1]): the SYN datagrams and whether a
/// SYN+ACK came back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RdpUdpFlow {
    /// The client's address and port.
    pub client: String,
    /// The server's address and port.
    pub server: String,
    /// SYN datagrams the client sent.
    pub syns: u32,
    /// The server answered SYN+ACK.
    pub syn_ack: bool,
}

impl DetectedBy {
    /// A hop to the RD Gateway rather than an RDP connection.
    pub fn is_gateway(self) -> bool {
        matches!(
            self,
            DetectedBy::GatewaySni | DetectedBy::GatewayCertificate | DetectedBy::GatewayAddress
        )
    }
}

impl CaptureEvidence {
    /// The connection the report is about: the first that failed with no
    /// later connection to the same server getting through (a client that
    /// retried and got in was not stopped), else the last one (the latest
    /// attempt).
    pub fn focus(&self) -> Option<&CaptureConnection> {
        let later_got_through = |i: usize, c: &CaptureConnection| {
            self.connections
                .iter()
                .skip(i + 1)
                .any(|l| l.server == c.server && l.went_on())
        };
        self.connections
            .iter()
            .enumerate()
            .find(|(i, c)| c.failed() && !later_got_through(*i, c))
            .map(|(_, c)| c)
            .or(self.connections.last())
    }
}

impl CaptureConnection {
    /// Did this connection visibly fail?
    pub fn failed(&self) -> bool {
        let unanswered = self.tcp.syns > 0 && !self.tcp.syn_ack;
        let refused = self
            .confirm
            .as_ref()
            .is_some_and(|c| c.failure_code.is_some());
        let alert = self
            .tls
            .as_ref()
            .is_some_and(|t| t.alerts.iter().any(|a| a.level == AlertLevel::Fatal));
        let reset_early = self.tcp.closes.iter().any(|c| {
            c.kind == CloseKind::Rst
                && !self.tls.as_ref().is_some_and(|t| t.handshake_finished)
                && self.standard_security.is_none()
        });
        unanswered
            || refused
            || alert
            || reset_early
            || self.closed_after_credssp()
            || self.client_closed_after_confirm().is_some()
            || self.request_unanswered_ms().is_some()
    }

    /// Did either side send a message of this kind?
    pub fn has(&self, kind: MessageKind) -> bool {
        self.messages.iter().any(|m| m.name == kind)
    }

    /// The client's TLS ClientHello got no ServerHello (the capture shows
    /// none): where a cut or alert then ended the handshake.
    pub fn hello_unanswered(&self) -> bool {
        self.has(MessageKind::TlsClientHello) && !self.has(MessageKind::TlsServerHello)
    }

    /// The client's SYN was answered with a reset from the server's side,
    /// never a SYN+ACK: refused (nothing listens, or a rejecting firewall),
    /// which is an answer, unlike SYNs that got none.
    pub fn syn_refused(&self) -> bool {
        self.tcp.syns > 0
            && !self.tcp.syn_ack
            && self
                .tcp
                .closes
                .iter()
                .any(|x| x.by == Side::Server && x.kind == CloseKind::Rst)
    }

    /// The connection went past where a capture can see, with nothing
    /// failing: the TLS handshake finished and the session went on (more
    /// than a CredSSP exchange), or Standard RDP Security got to its MCS
    /// Connect Response.
    pub fn went_on(&self) -> bool {
        let tls_session = self.tls.as_ref().is_some_and(|t| {
            t.handshake_finished
                && t.server_application_records > 4 + t.encrypted_handshake_records()
        });
        let standard = self.has(MessageKind::McsConnectResponse);
        (tls_session || standard) && !self.failed()
    }

    /// An NLA connection whose TLS handshake finished, that exchanged only a
    /// few encrypted records (the CredSSP exchange) before the server closed:
    /// what a refused logon looks like from outside TLS.
    pub fn closed_after_credssp(&self) -> bool {
        let nla = self
            .confirm
            .as_ref()
            .and_then(|c| c.selected.as_ref())
            .and_then(|s| s.single())
            .is_some_and(|p| p.is_nla());
        let Some(tls) = &self.tls else { return false };
        nla && tls.handshake_finished
            && tls.server_application_records <= 4 + tls.encrypted_handshake_records()
            && tls.client_application_records >= 1
            && self.server_closed_first()
    }

    /// The client's close, when it ended the connection right after the
    /// server's Connection Confirm ([MS-RDPBCGR 2.2.1.2]), before any byte
    /// of the security protocol the confirm selected, and before any close
    /// by the server: the client refused what the server selected.
    pub fn client_closed_after_confirm(&self) -> Option<&CaptureClose> {
        let first = self.tcp.closes.first()?;
        let selected = self.confirm.as_ref()?.selected.as_ref()?;
        (first.by == Side::Client
            && selected.single().is_some()
            && first.after == Some(MessageKind::X224ConnectionConfirm))
        .then_some(first)
    }

    /// How long the server left the client's Connection Request unanswered
    /// before the connection ended, when that was at least [`SILENCE_MS`]:
    /// no Connection Confirm, no failure, and the first close (either
    /// side's) came that long after the request. `None` when the server
    /// answered, closed sooner (a cut, not a silence), or nothing ended the
    /// connection in the capture (how long it waited is unknown).
    pub fn request_unanswered_ms(&self) -> Option<f64> {
        if self.confirm.is_some() {
            return None;
        }
        let request = self
            .messages
            .iter()
            .find(|m| m.name == MessageKind::X224ConnectionRequest)?;
        let first = self.tcp.closes.first()?;
        let waited = first.at_ms - request.at_ms;
        (waited >= SILENCE_MS).then_some(waited)
    }

    /// The server ended the connection: its close came first, or within
    /// [`CLOSE_RACE_MS`] of the client's (on a fast path the client that
    /// read the server's last record may close a few microseconds before
    /// the server's own FIN is seen: measured on loopback against FreeRDP's
    /// shadow server refusing an NLA logon).
    fn server_closed_first(&self) -> bool {
        let closes = &self.tcp.closes;
        let Some(first) = closes.first() else {
            return false;
        };
        first.by == Side::Server
            || closes
                .iter()
                .any(|c| c.by == Side::Server && c.at_ms - first.at_ms <= CLOSE_RACE_MS)
    }
}

/// How long (milliseconds) a server may leave a Connection Request
/// unanswered before the capture calls it silent: far above any round trip
/// or accept delay a working server shows, far below the 20–30 s after which
/// clients give up.
pub const SILENCE_MS: f64 = 2000.0;

/// How close (milliseconds) the server's close may follow the client's and
/// still count as the server ending the connection.
pub const CLOSE_RACE_MS: f64 = 5.0;

impl CaptureTls {
    /// How many of the server's application_data records may be its own
    /// handshake: TLS 1.3 ([RFC 8446 2]) encrypts EncryptedExtensions,
    /// Certificate, CertificateVerify and Finished, and sends its
    /// NewSessionTickets after the handshake (OpenSSL: two), each as an
    /// application_data record; before 1.3 none (measured: FreeRDP's shadow
    /// server over TLS 1.3 sends 8 such records to a refused NLA logon, 4 of
    /// them CredSSP's).
    pub fn encrypted_handshake_records(&self) -> u64 {
        if self.server_version.as_deref() == Some("tls1.3") {
            6
        } else {
            0
        }
    }
}
