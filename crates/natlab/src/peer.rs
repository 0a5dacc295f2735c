//! One WebRTC peer of the lab: a real `RTCPeerConnection` (sans-IO `rtc`) plus what a browser
//! would do around it and `rtc` leaves to its caller: gathering (the host candidate, a
//! server-reflexive one from a STUN Binding exchange, a relayed one from a TURN allocation),
//! trickling candidates as signalling messages, relaying ICE traffic through the TURN client
//! for the relayed candidate, and a data channel that says hello and echoes.
//!
//! Time is passed in as a `Duration` since the run's start and turned into the `Instant`s
//! `rtc` wants from one fixed epoch, so a run in virtual time never reads the clock.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtc::data_channel::RTCDataChannelId;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::peer_connection::event::{RTCDataChannelEvent, RTCPeerConnectionEvent};
use rtc::peer_connection::message::{RTCMessage, TaggedRTCMessage};
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::transport::{
    CandidateConfig, CandidateHostConfig, CandidateRelayConfig, CandidateServerReflexiveConfig, RTCIceCandidate,
    RTCIceCandidateInit,
};
use rtc::peer_connection::{RTCPeerConnection, RTCPeerConnectionBuilder};
use rtc::sansio::Protocol;
use rtc::shared::{TaggedBytesMut, TransportContext, TransportProtocol};
use rtc::stun::message::{BINDING_REQUEST, BINDING_SUCCESS, Getter, Message, TransactionId};
use rtc::stun::xoraddr::XorMappedAddress;
use rtc::turn::client::{Client as TurnClient, ClientConfig as TurnClientConfig, Event as TurnEvent};

use serde::{Deserialize, Serialize};

use crate::candidate::{Candidate, CandidateType};
use crate::signal::Signal;

/// TURN credentials the peer is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnCredentials {
    pub server: SocketAddr,
    pub username: String,
    pub password: String,
    pub realm: String,
}

#[derive(Debug, Clone)]
pub struct PeerConfig {
    pub name: String,
    pub host: SocketAddr,
    pub stun: Option<SocketAddr>,
    pub turn: Option<TurnCredentials>,
    /// The offerer (and ICE controlling agent).
    pub offerer: bool,
    /// Send candidates as they are found (true) or all in the SDP once gathering ends.
    pub trickle: bool,
    /// Offer only the relayed candidate (a browser's `iceTransportPolicy: "relay"`): every
    /// datagram then goes through the TURN server.
    pub relay_only: bool,
    /// An edit to this peer's description before it is sent (applied after it was set locally).
    pub sdp_edit: Option<crate::sdp_edit::SdpEdit>,
    /// Audio and video tracks (a call); `None` for a data-channel-only peer.
    pub media: Option<crate::media::MediaPlan>,
}

impl PeerConfig {
    /// A peer at `host` with no STUN or TURN server, trickling, every candidate allowed, the
    /// SDP as written.
    pub fn plain(name: &str, host: SocketAddr, offerer: bool) -> PeerConfig {
        PeerConfig {
            name: name.into(),
            host,
            stun: None,
            turn: None,
            offerer,
            trickle: true,
            relay_only: false,
            sdp_edit: None,
            media: None,
        }
    }
}

/// One named moment of the setup, milliseconds from the run's start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct PhaseAt {
    pub name: String,
    pub at_ms: f64,
}

impl Milestones {
    /// The moments that happened, in time order, named for a learner.
    pub fn phases(&self) -> Vec<PhaseAt> {
        let named = [
            ("description sent", self.description_sent),
            ("remote description applied", self.remote_description),
            ("gathering done", self.gathering_done),
            ("ICE connected", self.ice_connected),
            ("pair nominated", self.nominated),
            ("DTLS connected", self.dtls_connected),
            ("data channel open", self.channel_open),
        ];
        let mut out: Vec<PhaseAt> = named
            .into_iter()
            .filter_map(|(name, at)| at.map(|t| PhaseAt { name: name.into(), at_ms: t.as_secs_f64() * 1000.0 }))
            .collect();
        out.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
        out
    }
}

/// When each step of setting up the connection happened, from the run's start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Milestones {
    /// This peer's description (offer or answer) went to signalling.
    pub description_sent: Option<Duration>,
    /// The other peer's description was applied.
    pub remote_description: Option<Duration>,
    pub gathering_done: Option<Duration>,
    /// ICE found a working pair (checks answered).
    pub ice_connected: Option<Duration>,
    /// A pair was nominated (the controlling agent's check with USE-CANDIDATE): DTLS may start.
    pub nominated: Option<Duration>,
    /// DTLS finished: the peer connection is "connected".
    pub dtls_connected: Option<Duration>,
    /// SCTP associated and the data channel opened.
    pub channel_open: Option<Duration>,
}

/// What a peer reports as it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerEvent {
    /// A local candidate was gathered (and, when trickling, sent).
    Gathered(Candidate),
    /// A remote candidate was added (signalled, or learned as peer-reflexive by ICE).
    RemoteCandidate(Candidate),
    /// Gathering ended, with why when a server did not help.
    GatheringDone {
        notes: Vec<String>,
    },
    IceState(String),
    ConnectionState(String),
    DataChannelOpen(String),
    /// A data-channel message arrived.
    Message(String),
    /// A binary data-channel message arrived (a file chunk).
    Binary(Vec<u8>),
    /// The file given to `send_file` is all handed to SCTP and nothing of it is outstanding
    /// (acknowledged, or abandoned on a partially reliable channel).
    FileSent,
    /// Something went wrong that the learner should see (bad SDP, TURN refused, …).
    Problem(String),
    /// A candidate pair's checks, answers, state or nomination changed.
    Pair(crate::stats::PairRow),
}

/// A STUN Binding exchange for the server-reflexive candidate, retransmitted RFC 8489 style.
#[derive(Debug)]
struct SrflxGathering {
    server: SocketAddr,
    tid: TransactionId,
    sent: u32,
    next_send: Duration,
    done: bool,
}

/// Retransmission times of the srflx Binding request (RFC 8489 §6.2.1 with RTO 250 ms, cut short).
const STUN_RETRIES: [Duration; 4] =
    [Duration::ZERO, Duration::from_millis(250), Duration::from_millis(750), Duration::from_millis(1750)];
/// After the last retransmission, how long to wait for a reply before giving up.
const STUN_GIVE_UP_AFTER: Duration = Duration::from_millis(3750);

/// How the offerer's data channel delivers (RTCDataChannelInit's `ordered`, `maxRetransmits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelOptions {
    pub ordered: bool,
    /// `None`: reliable; `Some(0)`: each message is sent once and never retransmitted.
    pub max_retransmits: Option<u16>,
}

impl Default for ChannelOptions {
    fn default() -> Self {
        ChannelOptions { ordered: true, max_retransmits: None }
    }
}

/// At this much unacknowledged data (`bufferedAmount`) the sender pauses...
pub const BUFFER_HIGH: u32 = 1024 * 1024;
/// ...and resumes when it falls to this (`bufferedAmountLowThreshold`).
pub const BUFFER_LOW: u32 = 256 * 1024;
/// Chunks handed to SCTP per `poll`, so events (the high-water mark) are seen between them.
const CHUNKS_PER_POLL: usize = 64;

/// A file going out in chunks, each prefixed with its 4-byte big-endian index.
#[derive(Debug)]
struct FileSend {
    data: std::sync::Arc<[u8]>,
    chunk: usize,
    offset: usize,
    index: u32,
    paused: bool,
    /// Every chunk handed over; waiting for the buffer to drain.
    handed_over: bool,
}

struct RelayGathering {
    client: TurnClient,
    server: SocketAddr,
    allocate: Option<TransactionId>,
    relay: Option<SocketAddr>,
    done: bool,
    permitted: Vec<std::net::IpAddr>,
}

pub struct Peer {
    pub name: String,
    pub host: SocketAddr,
    pc: RTCPeerConnection,
    epoch: Instant,
    offerer: bool,
    trickle: bool,
    relay_only: bool,
    sdp_edit: Option<crate::sdp_edit::SdpEdit>,
    srflx: Option<SrflxGathering>,
    mapped: Option<SocketAddr>,
    relay: Option<RelayGathering>,
    /// Remote candidates that arrived before the remote description.
    early_remote: Vec<RTCIceCandidateInit>,
    /// Local candidates waiting for the description to be sent (trickle sends them after it).
    unsent_local: Vec<RTCIceCandidateInit>,
    description_sent: bool,
    gathering_notes: Vec<String>,
    gathering_done: bool,
    channel: Option<RTCDataChannelId>,
    channel_options: ChannelOptions,
    echo: bool,
    file: Option<FileSend>,
    /// Times the file's sender paused at the high-water mark (over all files sent).
    pub file_pauses: u32,
    hello_sent: bool,
    pub outbox: VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>,
    pub signals: VecDeque<Signal>,
    pub events: VecDeque<PeerEvent>,
    pub received: Vec<String>,
    pub failed_at: Option<Duration>,
    pub milestones: Milestones,
    known_remote: Vec<(SocketAddr, CandidateType)>,
    pairs: crate::stats::PairTracker,
    media: Option<crate::media::MediaPlan>,
    /// This side's sending tracks by track id (ready once the track is added).
    senders: Vec<(String, rtc::rtp_transceiver::RTCRtpSenderId)>,
    /// Remote tracks by id, once their first packet arrived.
    receivers: Vec<(String, rtc::rtp_transceiver::RTCRtpReceiverId, u32)>,
    /// RTP and RTCP that arrived, for the caller to take.
    pub media_in: VecDeque<MediaIn>,
}

/// Media that reached a peer (after SRTP and the interceptors).
#[derive(Debug)]
pub enum MediaIn {
    Rtp { track: String, packet: rtc::rtp::packet::Packet },
    Rtcp { track: String, packets: Vec<Box<dyn rtc::rtcp::Packet>> },
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer").field("name", &self.name).field("host", &self.host).finish_non_exhaustive()
    }
}

/// The data channel's label and the greeting the offerer sends.
pub const CHANNEL_LABEL: &str = "chat";
pub fn hello_from(name: &str) -> String {
    format!("hello from {name}")
}

impl Peer {
    pub fn new(cfg: PeerConfig, epoch: Instant) -> Result<Peer, String> {
        let engine = SettingEngineBuilder::new()
            .with_ice_timeouts(
                Some(Duration::from_secs(5)),
                Some(Duration::from_secs(10)),
                Some(Duration::from_secs(2)),
            )
            .build();
        let mut builder = RTCPeerConnectionBuilder::new()
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_setting_engine(engine);
        if let Some(plan) = &cfg.media {
            let (media_engine, registry) = plan.engine()?;
            builder = builder.with_media_engine(media_engine).with_interceptor_registry(registry);
        }
        let pc = builder
            .build(epoch)
            .map_err(|e| format!("peer {}: could not create the peer connection: {e}", cfg.name))?;
        let relay = match &cfg.turn {
            None => None,
            Some(t) => {
                let client = TurnClient::new(
                    TurnClientConfig {
                        turn_serv_addr: t.server.to_string(),
                        local_addr: cfg.host,
                        transport_protocol: TransportProtocol::UDP,
                        username: t.username.clone(),
                        password: t.password.clone(),
                        realm: t.realm.clone(),
                        software: "rtc-lab peer".into(),
                        rto_in_ms: 250,
                        ..TurnClientConfig::default()
                    },
                    rtc::crypto::default_provider().map_err(|e| e.to_string())?,
                )
                .map_err(|e| format!("peer {}: TURN client: {e}", cfg.name))?;
                Some(RelayGathering {
                    client,
                    server: t.server,
                    allocate: None,
                    relay: None,
                    done: false,
                    permitted: vec![],
                })
            }
        };
        Ok(Peer {
            name: cfg.name,
            host: cfg.host,
            pc,
            epoch,
            offerer: cfg.offerer,
            trickle: cfg.trickle,
            relay_only: cfg.relay_only,
            sdp_edit: cfg.sdp_edit,
            srflx: cfg.stun.map(|server| SrflxGathering {
                server,
                tid: TransactionId::new(),
                sent: 0,
                next_send: Duration::ZERO,
                done: false,
            }),
            mapped: None,
            relay,
            early_remote: vec![],
            unsent_local: vec![],
            description_sent: false,
            gathering_notes: vec![],
            gathering_done: false,
            channel: None,
            channel_options: ChannelOptions::default(),
            echo: true,
            file: None,
            file_pauses: 0,
            hello_sent: false,
            outbox: VecDeque::new(),
            signals: VecDeque::new(),
            events: VecDeque::new(),
            received: vec![],
            failed_at: None,
            milestones: Milestones::default(),
            known_remote: vec![],
            pairs: crate::stats::PairTracker::default(),
            media: cfg.media,
            senders: vec![],
            receivers: vec![],
            media_in: VecDeque::new(),
        })
    }

    fn at(&self, now: Duration) -> Instant {
        self.epoch + now
    }

    /// Starts gathering; the offerer also creates its data channel and offer.
    pub fn start(&mut self, now: Duration) -> Result<(), String> {
        let host = CandidateHostConfig {
            base_config: CandidateConfig {
                network: "udp".into(),
                address: self.host.ip().to_string(),
                port: self.host.port(),
                component: 1,
                ..Default::default()
            },
            ..Default::default()
        }
        .new_candidate_host()
        .map_err(|e| e.to_string())?;
        if !self.relay_only {
            self.add_local(RTCIceCandidate::from(&host).to_json().map_err(|e| e.to_string())?, None)?;
        }
        if let Some(r) = self.relay.as_mut() {
            r.allocate = Some(r.client.allocate(self.epoch + now).map_err(|e| format!("TURN allocate: {e}"))?);
        }
        if self.offerer {
            let o = self.channel_options;
            let init = rtc::data_channel::RTCDataChannelInit {
                ordered: o.ordered,
                max_retransmits: o.max_retransmits,
                ..Default::default()
            };
            self.pc.create_data_channel(CHANNEL_LABEL, Some(init)).map_err(|e| e.to_string())?;
            self.add_offered_media()?;
            if self.trickle {
                self.send_offer(now)?;
            }
        }
        self.poll(now);
        Ok(())
    }

    fn send_offer(&mut self, now: Duration) -> Result<(), String> {
        let offer = self.pc.create_offer(None).map_err(|e| format!("create offer: {e}"))?;
        self.pc.set_local_description(self.at(now), offer).map_err(|e| format!("set local offer: {e}"))?;
        let sdp = self.sent_sdp();
        self.signals.push_back(Signal::Offer { sdp });
        self.milestones.description_sent = Some(now);
        self.after_description_sent();
        Ok(())
    }

    fn local_sdp(&self) -> String {
        self.pc.local_description().map(|d| d.sdp).unwrap_or_default()
    }

    /// The description as it leaves: the local one, with the learner's edit if there is one.
    fn sent_sdp(&self) -> String {
        let sdp = self.local_sdp();
        match self.sdp_edit {
            Some(edit) => edit.apply(&sdp),
            None => sdp,
        }
    }

    fn sends_candidates(&self) -> bool {
        !self.sdp_edit.is_some_and(|e| e.drops_trickled_candidates())
    }

    fn after_description_sent(&mut self) {
        self.description_sent = true;
        if self.trickle {
            for c in std::mem::take(&mut self.unsent_local) {
                if self.sends_candidates() {
                    self.signals.push_back(candidate_signal(c));
                }
            }
            if self.gathering_done {
                self.signals.push_back(Signal::EndOfCandidates);
            }
        }
    }

    fn add_local(&mut self, init: RTCIceCandidateInit, url: Option<String>) -> Result<(), String> {
        let init = RTCIceCandidateInit { url, ..init };
        self.pc.add_local_candidate(init.clone()).map_err(|e| e.to_string())?;
        if let Ok(c) = Candidate::parse(&init.candidate) {
            self.events.push_back(PeerEvent::Gathered(c));
        }
        if self.trickle && self.description_sent {
            if self.sends_candidates() {
                self.signals.push_back(candidate_signal(init));
            }
        } else {
            self.unsent_local.push(init);
        }
        Ok(())
    }

    fn finish_gathering_if_done(&mut self, now: Duration) {
        let srflx_done = self.srflx.as_ref().is_none_or(|s| s.done);
        let relay_done = self.relay.as_ref().is_none_or(|r| r.done);
        if self.gathering_done || !srflx_done || !relay_done {
            return;
        }
        self.gathering_done = true;
        self.milestones.gathering_done = Some(now);
        let _ = self.pc.add_local_candidate(RTCIceCandidateInit::default());
        self.events.push_back(PeerEvent::GatheringDone { notes: self.gathering_notes.clone() });
        if self.trickle {
            if self.description_sent {
                self.signals.push_back(Signal::EndOfCandidates);
            }
        } else if self.offerer {
            // Non-trickle: the offer goes out only now, with every candidate in its SDP.
            self.unsent_local.clear();
            if let Err(e) = self.send_offer(now) {
                self.events.push_back(PeerEvent::Problem(e));
            }
        } else if self.pc.remote_description().is_some() && !self.description_sent {
            self.send_answer(now);
        }
    }

    /// A signalling message from the other peer.
    pub fn on_signal(&mut self, now: Duration, signal: Signal) {
        let result = match signal {
            Signal::Offer { sdp } => self.take_offer(now, sdp),
            Signal::Answer { sdp } => RTCSessionDescription::answer(sdp)
                .and_then(|d| self.pc.set_remote_description(self.at(now), d))
                .map_err(|e| format!("the answer was refused: {e}"))
                .map(|_| {
                    self.milestones.remote_description = Some(now);
                    self.add_early_remote()
                }),
            Signal::Candidate { candidate, sdp_mid, sdp_mline_index } => {
                let init = RTCIceCandidateInit { candidate, sdp_mid, sdp_mline_index, ..Default::default() };
                if self.pc.remote_description().is_none() {
                    self.early_remote.push(init);
                    Ok(())
                } else {
                    self.add_remote(now, init)
                }
            }
            Signal::EndOfCandidates => Ok(()),
        };
        if let Err(e) = result {
            self.events.push_back(PeerEvent::Problem(e));
        }
        self.poll(now);
    }

    fn take_offer(&mut self, now: Duration, sdp: String) -> Result<(), String> {
        crate::sdp::check(&sdp).map_err(|e| format!("the offer was refused: {e}"))?;
        let offer = RTCSessionDescription::offer(sdp).map_err(|e| format!("the offer was refused: {e}"))?;
        self.pc.set_remote_description(self.at(now), offer).map_err(|e| format!("the offer was refused: {e}"))?;
        self.milestones.remote_description = Some(now);
        self.add_early_remote();
        self.add_answered_media()?;
        if self.trickle || self.gathering_done {
            self.send_answer(now);
        }
        Ok(())
    }

    fn send_answer(&mut self, now: Duration) {
        let result = self
            .pc
            .create_answer(None)
            .and_then(|a| self.pc.set_local_description(self.at(now), a))
            .map_err(|e| format!("create answer: {e}"));
        match result {
            Ok(()) => {
                let sdp = self.sent_sdp();
                self.signals.push_back(Signal::Answer { sdp });
                self.milestones.description_sent = Some(now);
                self.after_description_sent();
            }
            Err(e) => self.events.push_back(PeerEvent::Problem(e)),
        }
    }

    fn add_early_remote(&mut self) {
        for c in std::mem::take(&mut self.early_remote) {
            if let Err(e) = self.add_remote(Duration::ZERO, c) {
                self.events.push_back(PeerEvent::Problem(e));
            }
        }
        // Candidates carried in the SDP (non-trickle).
        let lines: Vec<String> = self
            .pc
            .remote_description()
            .map(|d| d.sdp.lines().filter(|l| l.starts_with("a=candidate:")).map(|l| l.to_string()).collect())
            .unwrap_or_default();
        for l in lines {
            self.note_remote(&l);
        }
    }

    fn add_remote(&mut self, now: Duration, init: RTCIceCandidateInit) -> Result<(), String> {
        if init.candidate.is_empty() {
            return Ok(());
        }
        let line = init.candidate.clone();
        self.pc.add_remote_candidate(init).map_err(|e| format!("remote candidate refused: {e}"))?;
        self.note_remote(&line);
        if let Some(addr) = Candidate::parse(&line).ok().and_then(|c| c.socket_addr()) {
            self.permit(now, addr);
        }
        Ok(())
    }

    fn note_remote(&mut self, line: &str) {
        if let Ok(c) = Candidate::parse(line)
            && let Some(addr) = c.socket_addr()
            && !self.known_remote.iter().any(|(a, _)| *a == addr)
        {
            self.known_remote.push((addr, c.typ));
            self.events.push_back(PeerEvent::RemoteCandidate(c));
        }
    }

    /// A check from an address nobody signalled: ICE learns it as a peer-reflexive candidate
    /// (RFC 8445 §7.3.1.3), with the priority the check carried.
    fn learn_prflx(&mut self, from: SocketAddr, bytes: &[u8]) {
        if self.known_remote.iter().any(|(a, _)| *a == from) {
            return;
        }
        let Some(m) = crate::classify::stun(bytes) else { return };
        let Ok(priority) = m.get(rtc::stun::attributes::ATTR_PRIORITY) else { return };
        if m.typ != BINDING_REQUEST || priority.len() != 4 {
            return;
        }
        self.known_remote.push((from, CandidateType::Prflx));
        self.events.push_back(PeerEvent::RemoteCandidate(Candidate {
            foundation: "(learned)".into(),
            component: 1,
            protocol: "udp".into(),
            priority: u32::from_be_bytes([priority[0], priority[1], priority[2], priority[3]]),
            address: from.ip().to_string(),
            port: from.port(),
            typ: CandidateType::Prflx,
            related_address: None,
            related_port: None,
        }));
    }

    fn track_pair(&mut self, now: Duration, changed: Option<(usize, bool)>) {
        let Some((i, significant)) = changed else { return };
        let row = self.pairs.row_at(i).clone();
        if row.nominated {
            self.milestones.nominated.get_or_insert(now);
        }
        let local_type = if Some(row.local) == self.relay_address() { "relay" } else { "host" };
        let remote_type =
            self.known_remote.iter().find(|(a, _)| *a == row.remote).map(|(_, t)| t.name()).unwrap_or("prflx");
        self.pairs.set_types(i, local_type, remote_type);
        if significant {
            self.events.push_back(PeerEvent::Pair(self.pairs.row_at(i).clone()));
        }
    }

    /// A relayed candidate can only reach peers the TURN server has a permission for (per IP).
    fn permit(&mut self, now: Duration, peer: SocketAddr) {
        let at = self.at(now);
        let Some(r) = self.relay.as_mut() else { return };
        let Some(relay) = r.relay else { return };
        if r.permitted.contains(&peer.ip()) {
            return;
        }
        r.permitted.push(peer.ip());
        if let Ok(mut rel) = r.client.relay(relay) {
            let _ = rel.create_permission(at, peer);
        }
    }

    /// A datagram for this peer's host address, from `from` as seen after NATs.
    pub fn on_datagram(&mut self, now: Duration, from: SocketAddr, bytes: Vec<u8>) {
        if let Some(s) = self.srflx.as_mut()
            && from == s.server
            && !s.done
            && let Some(mapped) = binding_reply(&bytes, &s.tid)
        {
            s.done = true;
            self.on_mapped(now, mapped);
            self.finish_gathering_if_done(now);
            self.poll(now);
            return;
        }
        if let Some(r) = self.relay.as_mut()
            && from == r.server
        {
            let msg = TaggedBytesMut {
                now: self.epoch + now,
                transport: TransportContext {
                    local_addr: self.host,
                    peer_addr: from,
                    ecn: None,
                    transport_protocol: TransportProtocol::UDP,
                },
                message: BytesMut::from(&bytes[..]),
            };
            if let Err(e) = r.client.handle_read(msg) {
                self.events.push_back(PeerEvent::Problem(format!("TURN client: {e}")));
            }
            self.poll(now);
            return;
        }
        self.read_into_pc(now, self.host, from, &bytes);
        self.poll(now);
    }

    fn read_into_pc(&mut self, now: Duration, local: SocketAddr, from: SocketAddr, bytes: &[u8]) {
        self.learn_prflx(from, bytes);
        let changed = self.pairs.on_read(now, local, from, bytes);
        self.track_pair(now, changed);
        let msg = TaggedBytesMut {
            now: self.epoch + now,
            transport: TransportContext {
                local_addr: local,
                peer_addr: from,
                ecn: None,
                transport_protocol: TransportProtocol::UDP,
            },
            message: BytesMut::from(bytes),
        };
        // A datagram the stack rejects (e.g. a stray check) is not fatal to the connection.
        let _ = self.pc.handle_read(msg);
    }

    fn on_mapped(&mut self, _now: Duration, mapped: SocketAddr) {
        self.mapped = Some(mapped);
        if mapped == self.host {
            self.gathering_notes.push(format!(
                "the STUN server saw {mapped}, the host address itself: no NAT, so no server-reflexive candidate"
            ));
            return;
        }
        let srflx = CandidateServerReflexiveConfig {
            base_config: CandidateConfig {
                network: "udp".into(),
                address: mapped.ip().to_string(),
                port: mapped.port(),
                component: 1,
                ..Default::default()
            },
            rel_addr: self.host.ip().to_string(),
            rel_port: self.host.port(),
            ..Default::default()
        }
        .new_candidate_server_reflexive();
        let url = self.srflx.as_ref().map(|s| format!("stun:{}", s.server));
        match srflx
            .map_err(|e| e.to_string())
            .and_then(|c| RTCIceCandidate::from(&c).to_json().map_err(|e| e.to_string()))
        {
            Ok(init) => {
                if let Err(e) = self.add_local(init, url) {
                    self.events.push_back(PeerEvent::Problem(e));
                }
            }
            Err(e) => self.events.push_back(PeerEvent::Problem(e)),
        }
    }

    fn on_relay(&mut self, relay: SocketAddr) {
        let related = self.mapped.unwrap_or(self.host);
        let url = self.relay.as_ref().map(|r| format!("turn:{}?transport=udp", r.server));
        let made = CandidateRelayConfig {
            base_config: CandidateConfig {
                network: "udp".into(),
                address: relay.ip().to_string(),
                port: relay.port(),
                component: 1,
                ..Default::default()
            },
            rel_addr: related.ip().to_string(),
            rel_port: related.port(),
            ..Default::default()
        }
        .new_candidate_relay()
        .map_err(|e| e.to_string())
        .and_then(|c| RTCIceCandidate::from(&c).to_json().map_err(|e| e.to_string()));
        match made {
            Ok(init) => {
                if let Err(e) = self.add_local(init, url) {
                    self.events.push_back(PeerEvent::Problem(e));
                }
            }
            Err(e) => self.events.push_back(PeerEvent::Problem(e)),
        }
    }

    /// Moves everything the stacks want to say out: datagrams, signals, events.
    pub fn poll(&mut self, now: Duration) {
        for _ in 0..64 {
            let mut progressed = false;
            while let Some(t) = self.pc.poll_write() {
                progressed = true;
                let local = t.transport.local_addr;
                let changed = self.pairs.on_write(now, local, t.transport.peer_addr, &t.message);
                self.track_pair(now, changed);
                let relay = self.relay.as_ref().and_then(|r| r.relay);
                if Some(local) == relay {
                    let at = self.at(now);
                    if let Some(r) = self.relay.as_mut()
                        && let Ok(mut rel) = r.client.relay(local)
                    {
                        // No permission yet: the check is lost, as it would be on a real relay; ICE retries.
                        let _ = rel.send_to(at, &t.message, t.transport.peer_addr);
                    }
                } else {
                    self.outbox.push_back((local, t.transport.peer_addr, t.message.to_vec()));
                }
            }
            if let Some(r) = self.relay.as_mut() {
                while let Some(t) = r.client.poll_write() {
                    progressed = true;
                    self.outbox.push_back((self.host, t.transport.peer_addr, t.message.to_vec()));
                }
                let mut turn_events = vec![];
                while let Some(e) = r.client.poll_event() {
                    turn_events.push(e);
                }
                for e in turn_events {
                    progressed = true;
                    self.on_turn_event(now, e);
                }
            }
            while let Some(e) = self.pc.poll_event() {
                progressed = true;
                self.on_pc_event(now, e);
            }
            while let Some(TaggedRTCMessage { message, .. }) = self.pc.poll_read() {
                progressed = true;
                let message = match message {
                    RTCMessage::RtpPacket(track, packet) => {
                        self.media_in.push_back(MediaIn::Rtp { track, packet });
                        continue;
                    }
                    RTCMessage::RtcpPacket(track, packets) => {
                        self.media_in.push_back(MediaIn::Rtcp { track, packets });
                        continue;
                    }
                    m => m,
                };
                if let RTCMessage::DataChannelMessage(_, m) = &message
                    && !m.is_string
                {
                    self.events.push_back(PeerEvent::Binary(m.data.to_vec()));
                    continue;
                }
                if let RTCMessage::DataChannelMessage(id, m) = message {
                    let text = String::from_utf8_lossy(&m.data).to_string();
                    self.events.push_back(PeerEvent::Message(text.clone()));
                    self.received.push(text.clone());
                    if !self.offerer
                        && self.echo
                        && let Some(mut dc) = self.pc.data_channel(id)
                    {
                        let _ = dc.send_text(self.epoch + now, format!("echo: {text}"));
                    }
                }
            }
            if self.pump_file(now) {
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
    }

    /// Hands the next chunks of the file to SCTP while less than `BUFFER_HIGH` is outstanding
    /// (the channel's `bufferedAmount`); paused, it resumes once that falls to `BUFFER_LOW`.
    /// Returns whether anything changed.
    fn pump_file(&mut self, now: Duration) -> bool {
        let at = self.at(now);
        let (Some(f), Some(id)) = (self.file.as_mut(), self.channel) else { return false };
        let Some(mut dc) = self.pc.data_channel(id) else { return false };
        let outstanding = dc.outstanding_bytes();
        if f.handed_over {
            if outstanding == 0 {
                self.file = None;
                self.events.push_back(PeerEvent::FileSent);
                return true;
            }
            return false;
        }
        if f.paused {
            if outstanding > BUFFER_LOW as usize {
                return false;
            }
            f.paused = false;
        }
        let mut sent = 0;
        while sent < CHUNKS_PER_POLL && f.offset < f.data.len() {
            if dc.outstanding_bytes() >= BUFFER_HIGH as usize {
                f.paused = true;
                self.file_pauses += 1;
                break;
            }
            let end = (f.offset + f.chunk).min(f.data.len());
            let mut msg = BytesMut::with_capacity(4 + end - f.offset);
            msg.extend_from_slice(&f.index.to_be_bytes());
            msg.extend_from_slice(&f.data[f.offset..end]);
            if dc.send(at, msg).is_err() {
                // SCTP refused more for now: wait for the buffer to drain.
                f.paused = true;
                self.file_pauses += 1;
                break;
            }
            f.offset = end;
            f.index += 1;
            sent += 1;
        }
        f.handed_over = f.offset >= f.data.len();
        sent > 0
    }

    /// Sends `data` on the open channel in chunks of `chunk` bytes (plus a 4-byte index),
    /// pausing at `BUFFER_HIGH` of unacknowledged data and resuming at `BUFFER_LOW`, as a
    /// browser application does with `bufferedAmountLowThreshold`.
    pub fn send_file(&mut self, now: Duration, data: std::sync::Arc<[u8]>, chunk: usize) -> Result<(), String> {
        let id = self.channel.ok_or("the data channel is not open yet")?;
        if chunk == 0 || chunk > 256 * 1024 {
            return Err(format!("the chunk size must be 1 B–256 KiB, not {chunk} B"));
        }
        let mut dc = self.pc.data_channel(id).ok_or("the data channel is gone")?;
        dc.set_buffered_amount_low_threshold(BUFFER_LOW);
        self.file = Some(FileSend { data, chunk, offset: 0, index: 0, paused: false, handed_over: false });
        self.poll(now);
        Ok(())
    }

    /// How the offerer's channel delivers; set before `start`.
    pub fn set_channel_options(&mut self, options: ChannelOptions) {
        self.channel_options = options;
    }

    /// Whether the answerer echoes text messages (on by default).
    pub fn set_echo(&mut self, echo: bool) {
        self.echo = echo;
    }

    fn on_turn_event(&mut self, now: Duration, e: TurnEvent) {
        match e {
            TurnEvent::AllocateResponse(_, relayed) => {
                let relay: SocketAddr = relayed;
                if let Some(r) = self.relay.as_mut() {
                    r.relay = Some(relay);
                    r.done = true;
                }
                self.on_relay(relay);
                // Candidates that arrived before the allocation need their permission now.
                let remotes: Vec<SocketAddr> = self.known_remote.iter().map(|(a, _)| *a).collect();
                for addr in remotes {
                    self.permit(now, addr);
                }
                self.finish_gathering_if_done(now);
            }
            TurnEvent::AllocateError(_, err) => {
                self.gathering_notes.push(format!("TURN allocation failed: {err}"));
                if let Some(r) = self.relay.as_mut() {
                    r.done = true;
                }
                self.events.push_back(PeerEvent::Problem(format!("TURN allocation failed: {err}")));
                self.finish_gathering_if_done(now);
            }
            TurnEvent::TransactionTimeout(tid) => {
                let allocating = self.relay.as_ref().is_some_and(|r| r.allocate == Some(tid) && !r.done);
                if allocating {
                    let server = self.relay.as_ref().map(|r| r.server).expect("allocating");
                    self.gathering_notes.push(format!("the TURN server {server} did not answer: no relayed candidate"));
                    if let Some(r) = self.relay.as_mut() {
                        r.done = true;
                    }
                    self.finish_gathering_if_done(now);
                }
            }
            TurnEvent::DataIndicationOrChannelData(_, from, data) => {
                if let Some(relay) = self.relay.as_ref().and_then(|r| r.relay) {
                    self.read_into_pc(now, relay, from, &data);
                }
            }
            _ => {}
        }
    }

    fn on_pc_event(&mut self, now: Duration, e: RTCPeerConnectionEvent) {
        match e {
            RTCPeerConnectionEvent::OnIceConnectionStateChangeEvent(s) => {
                let state = s.to_string();
                if state == "connected" {
                    self.milestones.ice_connected.get_or_insert(now);
                }
                self.events.push_back(PeerEvent::IceState(state));
            }
            RTCPeerConnectionEvent::OnConnectionStateChangeEvent(s) => {
                let state = s.to_string();
                if state == "connected" {
                    self.milestones.dtls_connected.get_or_insert(now);
                }
                if state == "failed" && self.failed_at.is_none() {
                    self.failed_at = Some(now);
                }
                self.events.push_back(PeerEvent::ConnectionState(state));
            }
            RTCPeerConnectionEvent::OnDataChannel(RTCDataChannelEvent::OnOpen(id)) => {
                self.channel = Some(id);
                self.milestones.channel_open.get_or_insert(now);
                self.events.push_back(PeerEvent::DataChannelOpen(CHANNEL_LABEL.into()));
                if self.offerer && !self.hello_sent {
                    self.hello_sent = true;
                    let hello = hello_from(&self.name);
                    if let Some(mut dc) = self.pc.data_channel(id) {
                        let _ = dc.send_text(self.epoch + now, hello);
                    }
                }
            }
            // Waking up is enough: `pump_file` reads the buffered amount and resumes.
            RTCPeerConnectionEvent::OnDataChannel(RTCDataChannelEvent::OnBufferedAmountLow(_)) => {}
            RTCPeerConnectionEvent::OnIceCandidateEvent(_) => {}
            RTCPeerConnectionEvent::OnTrack(rtc::peer_connection::event::RTCTrackEvent::OnOpen(init)) => {
                self.receivers.push((init.track_id, init.receiver_id, init.ssrc));
            }
            _ => {}
        }
    }

    /// The offerer's media: the receive-only slots first (the answerer's own tracks attach to
    /// them), then its tracks, send-only when it also has slots (an SFU), else send-receive.
    fn add_offered_media(&mut self) -> Result<(), String> {
        let Some(plan) = self.media.clone() else { return Ok(()) };
        use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
        for kind in &plan.receive_slots {
            let init = RTCRtpTransceiverInit {
                direction: RTCRtpTransceiverDirection::Recvonly,
                streams: vec![],
                send_encodings: vec![],
            };
            self.pc.add_transceiver_from_kind(kind.rtc(), Some(init)).map_err(|e| format!("media slot: {e}"))?;
        }
        for t in &plan.send {
            let track = t.track(&plan.stream);
            let id = if plan.receive_slots.is_empty() {
                self.pc.add_track(track)
            } else {
                let init = RTCRtpTransceiverInit {
                    direction: RTCRtpTransceiverDirection::Sendonly,
                    streams: vec![],
                    send_encodings: vec![],
                };
                self.pc.add_transceiver_from_track(track, Some(init)).map(rtc::rtp_transceiver::RTCRtpSenderId::from)
            }
            .map_err(|e| format!("track {}: {e}", t.id))?;
            self.senders.push((t.id.clone(), id));
        }
        Ok(())
    }

    /// The answerer's tracks, added after the offer so they attach to its m-lines.
    fn add_answered_media(&mut self) -> Result<(), String> {
        let Some(plan) = self.media.clone() else { return Ok(()) };
        for t in &plan.send {
            let id = self.pc.add_track(t.track(&plan.stream)).map_err(|e| format!("track {}: {e}", t.id))?;
            self.senders.push((t.id.clone(), id));
        }
        Ok(())
    }

    /// Sends RTP packets (a frame's, say) on this side's track `track` (their SSRC must be the
    /// track's), then moves what the stack wrote out once for all of them.
    pub fn write_rtp(
        &mut self,
        now: Duration,
        track: &str,
        packets: Vec<rtc::rtp::packet::Packet>,
    ) -> Result<(), String> {
        let id = self.senders.iter().find(|(t, _)| t == track).map(|(_, id)| *id).ok_or("no such track")?;
        let at = self.at(now);
        let mut written = Ok(());
        for packet in packets {
            let mut sender = self.pc.rtp_sender(id).ok_or("the track does not send")?;
            written = sender.write_rtp(at, packet).map_err(|e| e.to_string());
            if written.is_err() {
                break;
            }
        }
        self.poll(now);
        written
    }

    /// Sends RTCP feedback (a PLI, say) about the remote track `track`.
    pub fn write_feedback(
        &mut self,
        now: Duration,
        track: &str,
        packets: Vec<Box<dyn rtc::rtcp::Packet>>,
    ) -> Result<(), String> {
        let id = self.receivers.iter().find(|(t, _, _)| t == track).map(|(_, id, _)| *id).ok_or("no such track")?;
        let at = self.at(now);
        let mut receiver = self.pc.rtp_receiver(id).ok_or("the track does not receive")?;
        receiver.write_rtcp(at, packets).map_err(|e| e.to_string())?;
        self.poll(now);
        Ok(())
    }

    /// The SSRC a remote track arrives with (known after its first packet).
    pub fn remote_ssrc(&self, track: &str) -> Option<u32> {
        self.receivers.iter().find(|(t, _, _)| t == track).map(|(_, _, s)| *s)
    }

    /// Sends `text` on the open data channel (the answerer echoes it back, prefixed `echo: `).
    pub fn send_text(&mut self, now: Duration, text: String) -> Result<(), String> {
        let id = self.channel.ok_or("the data channel is not open yet")?;
        let at = self.at(now);
        let mut dc = self.pc.data_channel(id).ok_or("the data channel is gone")?;
        dc.send_text(at, text).map_err(|e| format!("data channel send: {e}"))?;
        self.poll(now);
        Ok(())
    }

    /// The earliest time this peer needs `handle_timeout`.
    pub fn poll_timeout(&mut self) -> Option<Duration> {
        let mut t = self.pc.poll_timeout().map(|i| i.saturating_duration_since(self.epoch));
        if let Some(r) = self.relay.as_mut()
            && let Some(i) = r.client.poll_timeout()
        {
            let d = i.saturating_duration_since(self.epoch);
            t = Some(t.map_or(d, |x| x.min(d)));
        }
        if let Some(s) = self.srflx.as_ref().filter(|s| !s.done) {
            t = Some(t.map_or(s.next_send, |x| x.min(s.next_send)));
        }
        t
    }

    pub fn handle_timeout(&mut self, now: Duration) {
        let at = self.at(now);
        if self.pc.poll_timeout().is_some_and(|t| t <= at) {
            let _ = self.pc.handle_timeout(at);
        }
        if let Some(r) = self.relay.as_mut()
            && r.client.poll_timeout().is_some_and(|t| t <= at)
        {
            let _ = r.client.handle_timeout(at);
        }
        self.stun_timer(now);
        self.finish_gathering_if_done(now);
        self.poll(now);
    }

    fn stun_timer(&mut self, now: Duration) {
        let host = self.host;
        let Some(s) = self.srflx.as_mut() else { return };
        if s.done || s.next_send > now {
            return;
        }
        if (s.sent as usize) < STUN_RETRIES.len() {
            let mut m = Message::new();
            if m.build(&[Box::new(s.tid), Box::new(BINDING_REQUEST)]).is_ok() {
                self.outbox.push_back((host, s.server, m.raw));
            }
            s.sent += 1;
            s.next_send = STUN_RETRIES.get(s.sent as usize).copied().unwrap_or(STUN_GIVE_UP_AFTER);
        } else {
            s.done = true;
            let server = s.server;
            self.gathering_notes.push(format!(
                "the STUN server {server} did not answer {} Binding requests in {} s: no server-reflexive candidate",
                STUN_RETRIES.len(),
                STUN_GIVE_UP_AFTER.as_secs_f64()
            ));
        }
    }

    /// The selected pair's (local, remote) candidates, as this peer's ICE agent reports them.
    pub fn selected_pair(&self) -> Option<(Candidate, Candidate)> {
        let pair = self.pc.sctp()?.transport().ice_transport().get_selected_candidate_pair()?;
        let local = Candidate::parse(&pair.local().to_json().ok()?.candidate).ok()?;
        let remote = Candidate::parse(&pair.remote().to_json().ok()?.candidate).ok()?;
        Some((local, remote))
    }

    pub fn relay_address(&self) -> Option<SocketAddr> {
        self.relay.as_ref().and_then(|r| r.relay)
    }

    /// The candidate pairs as the wire showed them, for the pair table.
    pub fn pair_rows(&self) -> Vec<crate::stats::PairRow> {
        self.pairs.rows().to_vec()
    }

    pub fn ice_type_of_selected(&self) -> Option<CandidateType> {
        self.selected_pair().map(|(l, r)| l.typ.max(r.typ))
    }
}

fn candidate_signal(c: RTCIceCandidateInit) -> Signal {
    Signal::Candidate { candidate: c.candidate, sdp_mid: c.sdp_mid, sdp_mline_index: c.sdp_mline_index }
}

/// The mapped address of a Binding success with this transaction id.
fn binding_reply(bytes: &[u8], tid: &TransactionId) -> Option<SocketAddr> {
    let mut m = Message::new();
    m.unmarshal_binary(bytes).ok()?;
    if m.typ != BINDING_SUCCESS || m.transaction_id != *tid {
        return None;
    }
    let mut x = XorMappedAddress::default();
    x.get_from(&m).ok()?;
    Some(SocketAddr::new(x.ip, x.port))
}
