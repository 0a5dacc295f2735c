//! One call in virtual time: the participants' (and the SFU's) real peer connections on the
//! NAT lab's simulated internet, signalling with the same delay as the internet crossing,
//! synthetic audio and video written as RTP on every connected leg, RTCP answered (PLI →
//! keyframe; NACK → retransmission by `rtc`'s responder), and every byte on every line
//! counted. The clock jumps from one due moment to the next; nothing sleeps.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::receiver_report::ReceiverReport;
use rtc::rtcp::sender_report::SenderReport;
use rtc::rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;
use rtclab_natlab::media::{MediaKind, MediaPlan, TrackPlan};
use rtclab_natlab::net::{AccessLink, IP_UDP_OVERHEAD, Internet, LinkConditions, NetEventKind};
use rtclab_natlab::peer::{MediaIn, Peer, PeerConfig, PeerEvent, TurnCredentials};
use rtclab_natlab::session::addresses::{STUN_OTHER, STUN_PRIMARY, TURN};
use rtclab_natlab::signal::Signal;
use rtclab_natlab::stun_server::StunServer;
use rtclab_natlab::turn_server::{TurnConfig, TurnServer};

use crate::config::{CallConfig, Topology};
use crate::receive::{StreamRx, Verdict};
use crate::report::*;
use crate::sfu::Forwarder;
use crate::simulcast::{Layer, Selector};
use crate::source::{
    AUDIO_INTERVAL, AudioSource, KeyframeCause, Payload, VideoSource, is_keyframe_start, video_interval,
};

/// The timeline keeps this many events of each kind (a full queue drops thousands of
/// datagrams; the reports, NACKs and PLIs must still be there); every count in the report is
/// complete regardless.
pub const MAX_EVENTS_PER_KIND: usize = 800;
/// Packets written this close to the end may still be on their way: a stream's expected
/// count stops before them.
const SETTLE: Duration = Duration::from_millis(600);
/// Every leg must be up by then, or the call goes on without it.
pub const SETUP_DEADLINE: Duration = Duration::from_secs(15);
const BUCKET: Duration = Duration::from_millis(500);
const STEP_LIMIT: usize = 20_000_000;
const SFU_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 200);

fn participant_ip(i: usize, natted: bool) -> Ipv4Addr {
    if natted { Ipv4Addr::new(10, 0, i as u8 + 1, 2) } else { Ipv4Addr::new(203, 0, 113, 10 + i as u8) }
}

fn nat_ip(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(203, 0, 113, 100 + i as u8)
}

pub fn name(i: usize) -> String {
    format!("P{}", i + 1)
}

fn track_id(sender: usize, kind: MediaKind) -> String {
    format!("{}-{}", name(sender), kind.name())
}

/// A simulcast layer's track (the full layer's is the plain video track).
fn layer_track_id(sender: usize, layer: Layer) -> String {
    format!("{}-video{}", name(sender), layer.suffix())
}

fn parse_track(id: &str) -> Option<(usize, MediaKind, Layer)> {
    let (who, kind) = id.split_once('-')?;
    let n: usize = who.strip_prefix('P')?.parse().ok()?;
    let (kind, layer) = match kind {
        "audio" => (MediaKind::Audio, Layer::High),
        "video" => (MediaKind::Video, Layer::High),
        "video-mid" => (MediaKind::Video, Layer::Mid),
        "video-low" => (MediaKind::Video, Layer::Low),
        _ => return None,
    };
    Some((n.checked_sub(1)?, kind, layer))
}

fn ssrc(seed: u64, parts: [u64; 4]) -> u32 {
    let mut h = seed ^ 0x5bd1_e995;
    for p in parts {
        h = (h ^ p).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
    }
    (h >> 32) as u32 | 1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Party {
    P(usize),
    Sfu,
}

struct Leg {
    peer: Peer,
    owner: Party,
    remote: Party,
    partner: usize,
    connected: Option<Duration>,
    failed: bool,
    tracks: Vec<SendTrack>,
}

/// A track a leg sends, with its next sequence number.
#[derive(Debug, Clone)]
struct SendTrack {
    id: String,
    kind: MediaKind,
    layer: Layer,
    ssrc: u32,
    seq: u16,
}

struct Participant {
    audio: AudioSource,
    /// One video source, or three with simulcast (full layer first).
    video: Vec<(Layer, VideoSource)>,
    next_audio: Duration,
    next_video: Duration,
    packets_sent: u64,
}

/// Counters per party (participants 0..N, the SFU at N).
#[derive(Default, Clone)]
struct Line {
    up_bytes: u64,
    down_bytes: u64,
    up_drops: u64,
    cpu: Duration,
}

pub struct Call {
    cfg: CallConfig,
    net: Internet,
    legs: Vec<Leg>,
    by_host: HashMap<SocketAddr, usize>,
    people: Vec<Participant>,
    rx: HashMap<(usize, usize, MediaKind), StreamRx>,
    nacks: HashMap<(usize, usize, MediaKind), u32>,
    plis: HashMap<(usize, usize, MediaKind), u32>,
    forwarder: Forwarder,
    signals: VecDeque<(Duration, usize, Signal)>,
    now: Duration,
    media_from: Option<Duration>,
    lines: Vec<Line>,
    /// Line counters at media start (setup traffic is not media).
    lines_at_media: Vec<Line>,
    buckets: Vec<Vec<Line>>,
    /// RTP bytes on the wire per leg during media (for one stream's measured rate).
    rtp_bytes: Vec<u64>,
    /// RTP datagrams on the wire per party (retransmissions included).
    rtp_datagrams: Vec<u64>,
    events: Vec<CallEvent>,
    events_left_out: usize,
    kept: HashMap<String, usize>,
    /// RTP packets written per (leg, kind) early enough to have arrived by the end: what a
    /// receiver should have got, even when nothing after a point arrived to show the gap.
    settled: HashMap<(usize, MediaKind), u64>,
    /// Turns: which connection hands its datagrams to the network first.
    turn: usize,
    /// Simulcast: the layer each (receiver, sender) gets.
    selectors: HashMap<(usize, usize), Selector>,
    epoch: Instant,
    /// When each sender report left, by (SSRC, SRTCP index), both readable outside SRTCP's
    /// encryption; then by the (SSRC, middle 32 bits of its NTP time) a receiver report
    /// quotes as LSR. `rtc` anchors that NTP time to the wall clock, which runs slower than
    /// virtual time, so the round trip is taken from when the report left instead.
    sr_sent: HashMap<(u32, u32), Duration>,
    sr_arriving: HashMap<(usize, u32), Duration>,
    lsr_sent: HashMap<(u32, u32), Duration>,
    /// The latest RTT per sending (leg, SSRC), from a report block's LSR and DLSR.
    rtt: HashMap<(usize, u32), f64>,
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call").field("cfg", &self.cfg).field("now", &self.now).finish_non_exhaustive()
    }
}

impl Call {
    pub fn new(cfg: &CallConfig) -> Result<Call, String> {
        cfg.validate()?;
        let n = cfg.participants;
        let link = LinkConditions { latency: cfg.latency, jitter: Duration::ZERO, loss: cfg.loss };
        let mut net = Internet::new(link, cfg.seed);
        net.trace_datagrams = false;
        let natted = cfg.nat.behaviour().is_some();
        for i in 0..n {
            let site =
                net.add_site(&name(i), cfg.nat, participant_ip(i, natted), nat_ip(i), cfg.seed.wrapping_add(i as u64));
            net.set_access(
                site,
                AccessLink { uplink_kbps: cfg.uplink_of(i), downlink_kbps: cfg.downlink_of(i), loss: 0.0 },
            );
        }
        if cfg.topology == Topology::Sfu {
            net.add_site("SFU", rtclab_natlab::nat::NatSpec::None, SFU_IP, SFU_IP, cfg.seed);
        }
        let stun = StunServer::new(STUN_PRIMARY, STUN_OTHER);
        net.stun = Some(stun);
        let turn_listen = SocketAddr::new(IpAddr::V4(TURN), 3478);
        let turn = cfg.turn.then(|| {
            net.turn = Some(TurnServer::new(turn_listen, TurnConfig::default()));
            TurnCredentials {
                server: turn_listen,
                username: TurnConfig::default().users[0].0.clone(),
                password: TurnConfig::default().users[0].1.clone(),
                realm: TurnConfig::default().realm,
            }
        });
        let epoch = Instant::now();
        let mut call = Call {
            cfg: cfg.clone(),
            net,
            legs: vec![],
            by_host: HashMap::new(),
            people: (0..n)
                .map(|i| {
                    let ts = ssrc(cfg.seed, [9, i as u64, 0, 0]);
                    let layers: &[Layer] = if cfg.simulcast { &Layer::ALL } else { &[Layer::High] };
                    Participant {
                        audio: AudioSource::new(ts),
                        // The layers share the capture clock, so a switch keeps the timeline.
                        video: layers
                            .iter()
                            .map(|&l| (l, VideoSource::new(l.kbps(cfg.video_kbps), cfg.keyframe_interval, ts)))
                            .collect(),
                        next_audio: Duration::ZERO,
                        next_video: Duration::ZERO,
                        packets_sent: 0,
                    }
                })
                .collect(),
            rx: HashMap::new(),
            nacks: HashMap::new(),
            plis: HashMap::new(),
            forwarder: Forwarder::new(cfg.seed),
            signals: VecDeque::new(),
            now: Duration::ZERO,
            media_from: None,
            lines: vec![Line::default(); n + 1],
            lines_at_media: vec![],
            buckets: vec![],
            rtp_bytes: vec![],
            rtp_datagrams: vec![0; n + 1],
            events: vec![],
            events_left_out: 0,
            kept: HashMap::new(),
            settled: HashMap::new(),
            turn: 0,
            selectors: HashMap::new(),
            epoch,
            sr_sent: HashMap::new(),
            sr_arriving: HashMap::new(),
            lsr_sent: HashMap::new(),
            rtt: HashMap::new(),
        };
        let stun_addr = stun.primary;
        let natted = cfg.nat.behaviour().is_some();
        let host = |i: usize, port: u16| SocketAddr::new(IpAddr::V4(participant_ip(i, natted)), port);
        match cfg.topology {
            Topology::Mesh => {
                for a in 0..n {
                    for b in a + 1..n {
                        call.add_pair(
                            (Party::P(a), host(a, 5000 + b as u16), Some(stun_addr), turn.clone()),
                            (Party::P(b), host(b, 5000 + a as u16), Some(stun_addr), turn.clone()),
                        )?;
                    }
                }
            }
            Topology::Sfu => {
                for p in 0..n {
                    let sfu_host = SocketAddr::new(IpAddr::V4(SFU_IP), 6000 + p as u16);
                    call.add_pair(
                        (Party::Sfu, sfu_host, None, None),
                        (Party::P(p), host(p, 5000), Some(stun_addr), turn.clone()),
                    )?;
                }
            }
        }
        for l in &mut call.legs {
            l.peer.start(Duration::ZERO)?;
        }
        call.rtp_bytes = vec![0; call.legs.len()];
        Ok(call)
    }

    /// Two legs of one peer connection; the first offers.
    fn add_pair(
        &mut self,
        offerer: (Party, SocketAddr, Option<SocketAddr>, Option<TurnCredentials>),
        answerer: (Party, SocketAddr, Option<SocketAddr>, Option<TurnCredentials>),
    ) -> Result<(), String> {
        let base = self.legs.len();
        let parties = [offerer.0, answerer.0];
        for (k, (owner, host, stun, turn)) in [offerer, answerer].into_iter().enumerate() {
            let remote = parties[1 - k];
            let (tracks, plan) = self.plan_for(owner, remote);
            let peer = Peer::new(
                PeerConfig {
                    name: match owner {
                        Party::P(i) => name(i),
                        Party::Sfu => "SFU".into(),
                    },
                    host,
                    stun,
                    turn,
                    offerer: k == 0,
                    trickle: true,
                    relay_only: false,
                    sdp_edit: None,
                    media: Some(plan),
                },
                self.epoch,
            )?;
            self.by_host.insert(host, base + k);
            self.legs.push(Leg { peer, owner, remote, partner: base + 1 - k, connected: None, failed: false, tracks });
        }
        Ok(())
    }

    fn plan_for(&self, owner: Party, remote: Party) -> (Vec<SendTrack>, MediaPlan) {
        let kinds = [MediaKind::Audio, MediaKind::Video];
        // A simulcast sender sends every layer; the SFU sends each receiver one video per sender.
        let sends_layers = self.cfg.simulcast && matches!(owner, Party::P(_));
        let seed = self.cfg.seed;
        let code = |p: Party| match p {
            Party::P(i) => i as u64,
            Party::Sfu => 99,
        };
        let senders: Vec<usize> = match (owner, remote) {
            (Party::P(i), _) => vec![i],
            (Party::Sfu, Party::P(q)) => (0..self.cfg.participants).filter(|s| *s != q).collect(),
            (Party::Sfu, Party::Sfu) => vec![],
        };
        let mut tracks = vec![];
        for s in senders {
            for k in kinds {
                let layers: &[Layer] = if k == MediaKind::Video && sends_layers { &Layer::ALL } else { &[Layer::High] };
                for &layer in layers {
                    let id = if k == MediaKind::Video { layer_track_id(s, layer) } else { track_id(s, k) };
                    let ssrc = ssrc(seed, [code(owner), code(remote), s as u64, k as u64 * 4 + layer as u64]);
                    tracks.push(SendTrack { id, kind: k, layer, ssrc, seq: (ssrc >> 8) as u16 });
                }
            }
        }
        let mut slots = kinds.to_vec();
        if self.cfg.simulcast {
            slots.extend([MediaKind::Video, MediaKind::Video]);
        }
        let plan = MediaPlan {
            send: tracks.iter().map(|t| TrackPlan { id: t.id.clone(), kind: t.kind, ssrc: t.ssrc }).collect(),
            receive_slots: if owner == Party::Sfu { slots } else { vec![] },
            nack: self.cfg.nack,
            stream: match owner {
                Party::P(i) => name(i),
                Party::Sfu => "sfu".into(),
            },
        };
        (tracks, plan)
    }

    fn party_index(&self, p: Party) -> usize {
        match p {
            Party::P(i) => i,
            Party::Sfu => self.cfg.participants,
        }
    }

    fn party_name(p: Party) -> String {
        match p {
            Party::P(i) => name(i),
            Party::Sfu => "SFU".into(),
        }
    }

    fn event(&mut self, kind: &str, from: String, to: String, summary: String) {
        let kept = self.kept.entry(kind.to_string()).or_default();
        if *kept >= MAX_EVENTS_PER_KIND {
            self.events_left_out += 1;
            return;
        }
        *kept += 1;
        self.events.push(CallEvent { at_ms: self.now.as_secs_f64() * 1000.0, kind: kind.into(), from, to, summary });
    }

    fn all_connected(&self) -> bool {
        self.legs.iter().all(|l| l.connected.is_some() || l.failed)
    }

    /// Runs the call to its end and reports.
    pub fn run(mut self) -> Result<CallReport, String> {
        let wall = Instant::now();
        let mut steps = 0;
        loop {
            steps += 1;
            if steps > STEP_LIMIT {
                return Err(format!(
                    "the call did not settle after {STEP_LIMIT} steps at {:.0} ms",
                    self.now.as_secs_f64() * 1000.0
                ));
            }
            self.flush();
            if self.media_from.is_none() && (self.all_connected() || self.now >= SETUP_DEADLINE) {
                self.start_media();
            }
            let end = self.media_from.map(|m| m + self.cfg.duration);
            let next = self.next_wakeup();
            let Some(next) = next else { break };
            if end.is_some_and(|e| next > e) {
                self.now = end.expect("checked");
                break;
            }
            self.advance_to(next);
        }
        self.flush();
        Ok(self.report(wall.elapsed()))
    }

    fn start_media(&mut self) {
        let now = self.now;
        self.media_from = Some(now);
        self.lines_at_media = self.lines.clone();
        for p in &mut self.people {
            p.next_audio = now;
            p.next_video = now;
        }
        let up = self.legs.iter().filter(|l| l.connected.is_some()).count() / 2;
        self.event(
            "connection",
            "call".into(),
            "all".into(),
            format!("media starts: {up} of {} connections up", self.legs.len() / 2),
        );
    }

    fn next_wakeup(&mut self) -> Option<Duration> {
        let mut next = [self.net.next_event(), self.signals.front().map(|(t, _, _)| *t)].into_iter().flatten().min();
        let mut consider = |t: Option<Duration>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n: Duration| n.min(t)));
            }
        };
        for l in &mut self.legs {
            consider(l.peer.poll_timeout());
        }
        consider(self.net.turn.as_ref().and_then(|t| t.next_expiry()));
        if self.media_from.is_some() {
            for p in &self.people {
                consider(Some(p.next_audio.min(p.next_video)));
            }
        } else {
            consider(Some(SETUP_DEADLINE));
        }
        next.map(|t| t.max(self.now))
    }

    fn bucket(&mut self, party: usize) -> &mut Line {
        let media = self.media_from.unwrap_or(Duration::ZERO);
        let i = (self.now.saturating_sub(media).as_nanos() / BUCKET.as_nanos()) as usize;
        let parties = self.cfg.participants + 1;
        while self.buckets.len() <= i {
            self.buckets.push(vec![Line::default(); parties]);
        }
        &mut self.buckets[i][party]
    }

    fn timed<R>(&mut self, leg: usize, f: impl FnOnce(&mut Peer) -> R) -> R {
        let t = Instant::now();
        let r = f(&mut self.legs[leg].peer);
        let spent = t.elapsed();
        let party = self.party_index(self.legs[leg].owner);
        self.lines[party].cpu += spent;
        if self.media_from.is_some() {
            self.bucket(party).cpu += spent;
        }
        r
    }

    /// Datagrams into the network, signals to the partner, media and events to their owners.
    fn flush(&mut self) {
        // Handling one leg's media can make another leg send (the SFU forwarding): repeat
        // until every leg is quiet, so nothing waits for a later moment.
        for _ in 0..16 {
            if !self.flush_once() {
                break;
            }
        }
    }

    fn flush_once(&mut self) -> bool {
        let now = self.now;
        let delay = self.cfg.latency * 2 + rtclab_natlab::net::LAN_LATENCY * 2;
        let mut busy = false;
        // Connections hand their datagrams to the network in turns, the first one changing
        // each time: in one instant the first in line meets the emptiest queue.
        let count = self.legs.len();
        self.turn += 1;
        let first = self.turn % count.max(1);
        for i in (first..count).chain(0..first) {
            let peer = &self.legs[i].peer;
            busy |= !peer.outbox.is_empty() || !peer.signals.is_empty() || !peer.media_in.is_empty();
            let party = self.party_index(self.legs[i].owner);
            while let Some((from, to, bytes)) = self.legs[i].peer.outbox.pop_front() {
                let wire = (bytes.len() + IP_UDP_OVERHEAD) as u64;
                self.lines[party].up_bytes += wire;
                if is_rtp(&bytes) {
                    self.rtp_datagrams[party] += 1;
                }
                if self.media_from.is_some() {
                    self.bucket(party).up_bytes += wire;
                    if is_rtp(&bytes) {
                        self.rtp_bytes[i] += wire;
                    }
                }
                if let Some(key) = sender_report_key(&bytes) {
                    self.sr_sent.insert(key, now);
                }
                self.net.send(now, from, to, bytes);
            }
            while let Some(sig) = self.legs[i].peer.signals.pop_front() {
                let to = self.legs[i].partner;
                self.signals.push_back((now + delay, to, sig));
            }
            self.take_peer_events(i);
            while let Some(m) = self.legs[i].peer.media_in.pop_front() {
                self.on_media(i, m);
            }
        }
        for e in self.net.take_trace() {
            self.on_net_event(e.kind);
        }
        busy
    }

    fn take_peer_events(&mut self, i: usize) {
        while let Some(e) = self.legs[i].peer.events.pop_front() {
            let (owner, remote) = (self.legs[i].owner, self.legs[i].remote);
            match e {
                PeerEvent::ConnectionState(s) if s == "connected" && self.legs[i].connected.is_none() => {
                    self.legs[i].connected = Some(self.now);
                    let path = self.legs[i].peer.ice_type_of_selected().map(|t| t.name()).unwrap_or("?");
                    self.event(
                        "connection",
                        Self::party_name(owner),
                        Self::party_name(remote),
                        format!("connected (ICE + DTLS) over a {path} candidate pair"),
                    );
                }
                PeerEvent::ConnectionState(s) if s == "failed" => {
                    self.legs[i].failed = true;
                    self.event(
                        "connection",
                        Self::party_name(owner),
                        Self::party_name(remote),
                        "connection failed".into(),
                    );
                }
                PeerEvent::Problem(text) => {
                    self.event("connection", Self::party_name(owner), Self::party_name(remote), text)
                }
                _ => {}
            }
        }
    }

    fn on_net_event(&mut self, kind: NetEventKind) {
        match kind {
            NetEventKind::Dropped { at, reason, .. } => {
                if let Some(who) = at.strip_prefix("uplink of ")
                    && let Some(i) = who.strip_prefix('P').and_then(|n| n.parse::<usize>().ok())
                {
                    self.lines[i - 1].up_drops += 1;
                }
                self.event("drop", at, String::new(), reason);
            }
            NetEventKind::Lost { link } => self.event("drop", link, String::new(), "lost on the way".into()),
            _ => {}
        }
    }

    fn advance_to(&mut self, to: Duration) {
        self.now = self.now.max(to);
        let now = self.now;
        self.net.advance(now);
        self.net.handle_server_timeouts(now);
        while let Some(d) = self.net.poll_delivery() {
            let Some(&leg) = self.by_host.get(&d.to) else { continue };
            let party = self.party_index(self.legs[leg].owner);
            let wire = (d.bytes.len() + IP_UDP_OVERHEAD) as u64;
            self.lines[party].down_bytes += wire;
            if self.media_from.is_some() {
                self.bucket(party).down_bytes += wire;
            }
            if let Some(key) = sender_report_key(&d.bytes)
                && let Some(&sent) = self.sr_sent.get(&key)
            {
                self.sr_arriving.insert((leg, key.0), sent);
            }
            self.timed(leg, |p| p.on_datagram(now, d.from, d.bytes));
        }
        while self.signals.front().is_some_and(|(t, _, _)| *t <= now) {
            let (_, to, sig) = self.signals.pop_front().expect("peeked");
            self.timed(to, |p| p.on_signal(now, sig));
        }
        for leg in 0..self.legs.len() {
            if self.legs[leg].peer.poll_timeout().is_some_and(|t| t <= now) {
                self.timed(leg, |p| p.handle_timeout(now));
            }
        }
        if self.media_from.is_some() {
            for p in 0..self.people.len() {
                self.tick_sources(p);
            }
        }
    }

    /// A participant's due audio packet and video frame, written on every connected leg.
    fn tick_sources(&mut self, p: usize) {
        let now = self.now;
        if self.people[p].next_audio <= now {
            let payload = self.people[p].audio.next_packet();
            self.people[p].next_audio += AUDIO_INTERVAL;
            self.send_media(p, MediaKind::Audio, Layer::High, &[payload]);
            self.check_receivers(p);
        }
        if self.people[p].next_video <= now {
            self.people[p].next_video += video_interval();
            for i in 0..self.people[p].video.len() {
                let (layer, source) = &mut self.people[p].video[i];
                let layer = *layer;
                let (payloads, cause) = source.next_frame();
                let first = source.keyframes <= 1;
                if cause == Some(KeyframeCause::Requested) || (cause.is_some() && first) {
                    let why = if cause == Some(KeyframeCause::Requested) { "asked for (PLI)" } else { "the first" };
                    let bytes: usize = payloads.iter().map(|x| x.data.len()).sum();
                    let which = if self.cfg.simulcast { format!(" ({} layer)", layer.name()) } else { String::new() };
                    self.event(
                        "keyframe",
                        name(p),
                        "all".into(),
                        format!("keyframe{which}, {why}: {} packets, {bytes} B", payloads.len()),
                    );
                }
                self.send_media(p, MediaKind::Video, layer, &payloads);
            }
        }
    }

    fn send_media(&mut self, p: usize, kind: MediaKind, layer: Layer, payloads: &[Payload]) {
        let now = self.now;
        let legs: Vec<usize> = (0..self.legs.len())
            .filter(|&l| self.legs[l].owner == Party::P(p) && self.legs[l].connected.is_some() && !self.legs[l].failed)
            .collect();
        let settles = self.media_from.is_some_and(|m| now + SETTLE <= m + self.cfg.duration);
        for l in legs {
            let Some(t) = self.legs[l].tracks.iter().position(|t| t.kind == kind && t.layer == layer) else { continue };
            for payload in payloads {
                let SendTrack { id, ssrc, seq, .. } = self.legs[l].tracks[t].clone();
                self.legs[l].tracks[t].seq = seq.wrapping_add(1);
                let packet = rtc::rtp::packet::Packet {
                    header: rtc::rtp::header::Header {
                        version: 2,
                        marker: payload.marker,
                        payload_type: kind.payload_type(),
                        sequence_number: seq,
                        timestamp: payload.timestamp,
                        ssrc,
                        ..Default::default()
                    },
                    payload: payload.data.clone(),
                };
                let r = self.timed(l, |peer| peer.write_rtp(now, &id, packet));
                match r {
                    Ok(()) => {
                        self.people[p].packets_sent += 1;
                        if settles && layer == Layer::High {
                            *self.settled.entry((l, kind)).or_default() += 1;
                        }
                    }
                    Err(e) => {
                        let to = Self::party_name(self.legs[l].remote);
                        self.event("connection", name(p), to, format!("RTP not sent: {e}"));
                    }
                }
            }
        }
    }

    /// Gives up on old gaps of what `p` receives; a broken video stream asks for a keyframe.
    fn check_receivers(&mut self, p: usize) {
        let now = self.now;
        let wait = if self.cfg.nack { Duration::from_millis(400) } else { Duration::from_millis(60) };
        let keys: Vec<(usize, usize, MediaKind)> = self.rx.keys().filter(|k| k.0 == p).copied().collect();
        for key in keys {
            let verdict = self.rx.get_mut(&key).expect("key from map").check(now, wait, key.2 == MediaKind::Video);
            if let Verdict::SendPli { lost } = verdict {
                *self.plis.entry(key).or_default() += 1;
                let sender = key.1;
                let leg = (0..self.legs.len()).find(|&l| {
                    self.legs[l].owner == Party::P(p)
                        && match self.cfg.topology {
                            Topology::Mesh => self.legs[l].remote == Party::P(sender),
                            Topology::Sfu => true,
                        }
                });
                let Some(leg) = leg else { continue };
                let track = track_id(sender, MediaKind::Video);
                let to = Self::party_name(self.legs[leg].remote);
                let media_ssrc = self.legs[leg].peer.remote_ssrc(&track).unwrap_or(0);
                let sender_ssrc = self.legs[leg].tracks.first().map(|t| t.ssrc).unwrap_or(0);
                let pli: Box<dyn rtc::rtcp::Packet> = Box::new(PictureLossIndication { sender_ssrc, media_ssrc });
                match self.timed(leg, |peer| peer.write_feedback(now, &track, vec![pli])) {
                    Ok(()) => self.event(
                        "pli",
                        name(p),
                        to,
                        format!("PLI for {track}: {lost} packet(s) will not come back, the picture is frozen until a keyframe"),
                    ),
                    Err(e) => self.event("pli", name(p), to, format!("PLI not sent: {e}")),
                }
            }
        }
    }

    fn on_media(&mut self, leg: usize, m: MediaIn) {
        let owner = self.legs[leg].owner;
        match m {
            MediaIn::Rtp { track, packet } => {
                let Some((sender, kind, layer)) = parse_track(&track) else { return };
                match owner {
                    Party::P(p) => {
                        let key_start = kind == MediaKind::Video && is_keyframe_start(&packet.payload);
                        if !self.rx.contains_key(&(p, sender, kind)) {
                            let h = &packet.header;
                            let summary = format!(
                                "first RTP of {track}: SSRC {:08x}, payload type {}, seq {}, timestamp {}, marker {}, {} B payload{}",
                                h.ssrc,
                                h.payload_type,
                                h.sequence_number,
                                h.timestamp,
                                u8::from(h.marker),
                                packet.payload.len(),
                                if key_start { " (a keyframe's first packet)" } else { "" }
                            );
                            self.event("rtp", Self::party_name(self.legs[leg].remote), name(p), summary);
                        }
                        let rx = self.rx.entry((p, sender, kind)).or_default();
                        let clock = if kind == MediaKind::Audio { 48_000 } else { 90_000 };
                        let fresh =
                            rx.expected() == 0 || packet.header.sequence_number.wrapping_sub(rx.highest_seq()) < 0x8000;
                        if fresh {
                            rx.on_timing(self.now, packet.header.timestamp, clock);
                        }
                        let filled =
                            rx.on_packet(self.now, packet.header.sequence_number, packet.payload.len(), key_start);
                        if let Some(waited) = filled {
                            self.event(
                                "repair",
                                Self::party_name(self.legs[leg].remote),
                                name(p),
                                format!(
                                    "{track} seq {} arrived {:.0} ms after its gap was noticed (retransmission)",
                                    packet.header.sequence_number,
                                    waited.as_secs_f64() * 1000.0
                                ),
                            );
                        }
                    }
                    Party::Sfu => self.forward(sender, kind, layer, packet),
                }
            }
            MediaIn::Rtcp { track, packets } => {
                for pkt in packets {
                    self.on_rtcp(leg, &track, pkt.as_ref());
                }
            }
        }
    }

    /// The SFU sends a participant's packet on to every other connected participant.
    fn forward(&mut self, sender: usize, kind: MediaKind, layer: Layer, packet: rtc::rtp::packet::Packet) {
        let now = self.now;
        self.forwarder.received(sender, kind, layer, packet.payload.len());
        let track = track_id(sender, kind);
        let simulcast = self.cfg.simulcast && kind == MediaKind::Video;
        let key_start = kind == MediaKind::Video && is_keyframe_start(&packet.payload);
        let outs: Vec<usize> = (0..self.legs.len())
            .filter(|&l| {
                self.legs[l].owner == Party::Sfu
                    && self.legs[l].remote != Party::P(sender)
                    && self.legs[l].connected.is_some()
            })
            .collect();
        for l in outs {
            let Party::P(receiver) = self.legs[l].remote else { continue };
            let Some(out_ssrc) = self.legs[l].tracks.iter().find(|t| t.id == track).map(|t| t.ssrc) else { continue };
            if simulcast {
                let selector = self.selectors.entry((receiver, sender)).or_default();
                let (forward, switched) = selector.accept(layer, key_start);
                if !forward {
                    continue;
                }
                if switched {
                    self.forwarder.rebase(sender, kind, receiver, packet.header.sequence_number);
                    self.event(
                        "layer",
                        "SFU".into(),
                        name(receiver),
                        format!(
                            "{} now gets {}'s {} layer (switched at its keyframe)",
                            name(receiver),
                            name(sender),
                            layer.name()
                        ),
                    );
                }
            }
            let header =
                self.forwarder.rewrite(sender, kind, layer, receiver, &packet.header, out_ssrc, packet.payload.len());
            let out = rtc::rtp::packet::Packet { header, payload: packet.payload.clone() };
            let r = self.timed(l, |peer| peer.write_rtp(now, &track, out));
            if let Err(e) = r {
                self.event("connection", "SFU".into(), name(receiver), format!("forwarding {track} failed: {e}"));
            }
        }
    }

    fn on_rtcp(&mut self, leg: usize, track: &str, pkt: &dyn rtc::rtcp::Packet) {
        let now = self.now;
        let owner = self.legs[leg].owner;
        let remote = self.legs[leg].remote;
        let (from, to) = (Self::party_name(remote), Self::party_name(owner));
        let any = pkt.as_any();
        if any.downcast_ref::<PictureLossIndication>().is_some() {
            let Some((sender, _, layer)) = parse_track(track) else { return };
            match owner {
                Party::P(p) => {
                    if let Some((_, source)) = self.people[p].video.iter_mut().find(|(l, _)| *l == layer) {
                        source.request_keyframe();
                    }
                    self.event("pli", from, to, format!("PLI for {track}: the next frame will be a keyframe"));
                }
                Party::Sfu => {
                    // The keyframe the receiver needs is of the layer it gets.
                    let layer = match remote {
                        Party::P(r) if self.cfg.simulcast => {
                            self.selectors.get(&(r, sender)).map_or(Layer::High, |s| s.current)
                        }
                        _ => Layer::High,
                    };
                    let track = &layer_track_id(sender, layer);
                    if self.forwarder.keyframe_request(now, sender, layer) {
                        self.ask_keyframe(sender, layer);
                        self.event(
                            "pli",
                            from,
                            "SFU".into(),
                            format!("PLI for {track}, forwarded to {}", name(sender)),
                        );
                    } else {
                        self.event(
                            "pli",
                            from,
                            "SFU".into(),
                            format!("PLI for {track} absorbed (one went to the sender < 500 ms ago)"),
                        );
                    }
                }
            }
        } else if let Some(nack) = any.downcast_ref::<TransportLayerNack>() {
            let seqs: Vec<u16> = nack.nacks.iter().flat_map(|n| n.packet_list()).collect();
            if let Some((sender, kind, _)) = parse_track(track) {
                let receiver = self.party_index(remote);
                *self.nacks.entry((receiver, sender, kind)).or_default() += 1;
            }
            let shown: Vec<String> = seqs.iter().take(6).map(|s| s.to_string()).collect();
            let more = if seqs.len() > 6 { format!(" and {} more", seqs.len() - 6) } else { String::new() };
            self.event(
                "nack",
                from,
                to,
                format!("NACK for {track}: seq {}{more}; the sender retransmits from its buffer", shown.join(", ")),
            );
        } else if let Some(rr) = any.downcast_ref::<ReceiverReport>() {
            self.report_blocks(leg, &rr.reports);
        } else if let Some(sr) = any.downcast_ref::<SenderReport>() {
            if let Some(sent) = self.sr_arriving.remove(&(leg, sr.ssrc)) {
                self.lsr_sent.insert((sr.ssrc, (sr.ntp_time >> 16) as u32), sent);
            }
            let summary = format!("SR for {track}: {} packets, {} bytes sent so far", sr.packet_count, sr.octet_count);
            self.event("rtcp", from, to, summary);
            self.report_blocks(leg, &sr.reports);
        }
    }

    /// The SFU asks `sender` for a keyframe of `layer` (a PLI on its connection to the sender).
    fn ask_keyframe(&mut self, sender: usize, layer: Layer) {
        let now = self.now;
        let Some(up) =
            (0..self.legs.len()).find(|&l| self.legs[l].owner == Party::Sfu && self.legs[l].remote == Party::P(sender))
        else {
            return;
        };
        let track = layer_track_id(sender, layer);
        let media_ssrc = self.legs[up].peer.remote_ssrc(&track).unwrap_or(0);
        let pli: Box<dyn rtc::rtcp::Packet> = Box::new(PictureLossIndication { sender_ssrc: 0, media_ssrc });
        let _ = self.timed(up, |peer| peer.write_feedback(now, &track, vec![pli]));
    }

    /// Simulcast: a receiver's report on the video the SFU forwards it from `sender` may move
    /// it to another layer (at that layer's next keyframe, which the SFU asks for).
    fn steer_layer(&mut self, receiver: usize, sender: usize, fraction_lost: f64) {
        let selector = self.selectors.entry((receiver, sender)).or_default();
        let from = selector.current;
        let Some(to) = selector.on_report(fraction_lost) else { return };
        self.ask_keyframe(sender, to);
        let why = if to < from {
            format!("{:.0} % of it lost since the last report", fraction_lost * 100.0)
        } else if to > from {
            "its reports clean for a while".to_string()
        } else {
            "still waiting for the keyframe".to_string()
        };
        let summary = format!(
            "{} gets {}'s {} layer, {why}: asking {} for a {} keyframe to switch to",
            name(receiver),
            name(sender),
            from.name(),
            name(sender),
            to.name()
        );
        self.event("layer", "SFU".into(), name(sender), summary);
    }

    /// Report blocks about what this leg sends: loss and jitter as the receiver counted them,
    /// and the round trip (RFC 3550 §6.4.1: arrival − LSR − DLSR, on this sender's NTP clock).
    fn report_blocks(&mut self, leg: usize, blocks: &[rtc::rtcp::reception_report::ReceptionReport]) {
        let (from, to) = (Self::party_name(self.legs[leg].remote), Self::party_name(self.legs[leg].owner));
        for b in blocks {
            let Some(track) = self.legs[leg].tracks.iter().find(|t| t.ssrc == b.ssrc).map(|t| (t.id.clone(), t.kind))
            else {
                continue;
            };
            if self.cfg.simulcast
                && track.1 == MediaKind::Video
                && let (Party::Sfu, Party::P(receiver)) = (self.legs[leg].owner, self.legs[leg].remote)
                && let Some((sender, _, _)) = parse_track(&track.0)
            {
                self.steer_layer(receiver, sender, f64::from(b.fraction_lost) / 256.0);
            }
            let clock = if track.1 == MediaKind::Audio { 48_000.0 } else { 90_000.0 };
            let mut rtt = String::new();
            if b.last_sender_report != 0
                && let Some(&sent) = self.lsr_sent.get(&(b.ssrc, b.last_sender_report))
            {
                let held = Duration::from_secs_f64(f64::from(b.delay) / 65536.0);
                let ms = self.now.saturating_sub(sent).saturating_sub(held).as_secs_f64() * 1000.0;
                self.rtt.insert((leg, b.ssrc), ms);
                rtt = format!(", round trip {ms:.1} ms");
            }
            let summary = format!(
                "report on {}: {:.1} % lost since the last report, {} lost in all, jitter {:.1} ms{rtt}",
                track.0,
                f64::from(b.fraction_lost) / 256.0 * 100.0,
                b.total_lost,
                f64::from(b.jitter) / clock * 1000.0
            );
            self.event("rtcp", from.clone(), to.clone(), summary);
        }
    }

    fn report(mut self, wall: Duration) -> CallReport {
        let n = self.cfg.participants;
        let media_from = self.media_from.unwrap_or(self.now);
        let media = self.now.saturating_sub(media_from).max(Duration::from_millis(1));
        let secs = media.as_secs_f64();
        let kbps = |bytes: u64| bytes as f64 * 8.0 / secs / 1000.0;
        let at_media =
            if self.lines_at_media.is_empty() { vec![Line::default(); n + 1] } else { self.lines_at_media.clone() };
        let delta = |i: usize, l: &Vec<Line>| Line {
            up_bytes: l[i].up_bytes - at_media[i].up_bytes,
            down_bytes: l[i].down_bytes - at_media[i].down_bytes,
            up_drops: l[i].up_drops,
            cpu: l[i].cpu,
        };
        // A stream of which nothing arrived is still a stream, all of it lost.
        let settled: Vec<(usize, MediaKind)> = self.settled.keys().copied().collect();
        for (l, kind) in settled {
            let Party::P(sender) = self.legs[l].owner else { continue };
            let receivers: Vec<usize> = match self.legs[l].remote {
                Party::P(r) => vec![r],
                Party::Sfu => (0..n).filter(|r| *r != sender).collect(),
            };
            for r in receivers {
                self.rx.entry((r, sender, kind)).or_default();
            }
        }
        let mut streams = vec![];
        let mut keys: Vec<_> = self.rx.keys().copied().collect();
        keys.sort_by_key(|k| (k.0, k.1, k.2 as u8));
        for key in keys {
            let (receiver, sender, kind) = key;
            let rx = &self.rx[&key];
            let track = track_id(sender, kind);
            let leg = (0..self.legs.len()).find(|&l| {
                self.legs[l].owner == Party::P(receiver)
                    && match self.cfg.topology {
                        Topology::Mesh => self.legs[l].remote == Party::P(sender),
                        Topology::Sfu => true,
                    }
            });
            // The sending leg of this stream, where the RTT from its receiver reports lives.
            let sending = leg.map(|l| self.legs[l].partner);
            let rtt_ms = sending.and_then(|s| {
                let ssrc = self.legs[s].tracks.iter().find(|t| t.id == track)?.ssrc;
                self.rtt.get(&(s, ssrc)).copied()
            });
            let waits = &rx.keyframe_waits;
            // The stream's first hop: the sender's connection to this receiver, or to the SFU.
            let first_hop = (0..self.legs.len()).find(|&l| {
                self.legs[l].owner == Party::P(sender)
                    && match self.cfg.topology {
                        Topology::Mesh => self.legs[l].remote == Party::P(receiver),
                        Topology::Sfu => true,
                    }
            });
            let sent = first_hop.and_then(|l| self.settled.get(&(l, kind))).copied().unwrap_or(0);
            // With simulcast the receiver's video is whichever layer it was on: only its own
            // sequence numbers say what was sent to it.
            let layered = self.cfg.simulcast && kind == MediaKind::Video;
            let expected = if layered { rx.expected() } else { rx.expected().max(sent) };
            streams.push(StreamReport {
                from: name(sender),
                to: name(receiver),
                kind,
                kbps: kbps(rx.payload_bytes),
                expected,
                received: rx.received(),
                lost: expected.saturating_sub(rx.received()),
                repaired: rx.repaired,
                jitter_ms: Some(rx.jitter * 1000.0),
                rtt_ms,
                nacks: self.nacks.get(&(receiver, sender, kind)).copied().unwrap_or(0),
                plis: self.plis.get(&key).copied().unwrap_or(0),
                layer: self
                    .selectors
                    .get(&(receiver, sender))
                    .filter(|_| self.cfg.simulcast && kind == MediaKind::Video)
                    .map(|s| s.current),
                layer_switches: self.selectors.get(&(receiver, sender)).map_or(0, |s| s.switches),
                keyframe_wait_ms: (!waits.is_empty())
                    .then(|| waits.iter().map(|w| w.as_secs_f64() * 1000.0).sum::<f64>() / waits.len() as f64),
            });
        }
        let participants: Vec<ParticipantReport> = (0..n)
            .map(|i| {
                let l = delta(i, &self.lines);
                let received: Vec<&StreamRx> = self.rx.iter().filter(|(k, _)| k.0 == i).map(|(_, v)| v).collect();
                let lost: u64 = streams.iter().filter(|s| s.to == name(i)).map(|s| s.lost).sum();
                ParticipantReport {
                    id: name(i),
                    uplink_kbps: kbps(l.up_bytes),
                    downlink_kbps: kbps(l.down_bytes),
                    packets_sent: self.people[i].packets_sent,
                    packets_lost: lost,
                    packets_received: received.iter().map(|r| r.received()).sum(),
                    cpu_ms: l.cpu.as_secs_f64() * 1000.0,
                    retransmissions: self.rtp_datagrams[i].saturating_sub(self.people[i].packets_sent),
                    uplink_drops: l.up_drops,
                    connections: self.legs.iter().filter(|x| x.owner == Party::P(i)).count(),
                    uplink_cap_kbps: self.cfg.uplink_of(i),
                }
            })
            .collect();
        let sfu = (self.cfg.topology == Topology::Sfu).then(|| {
            let l = delta(n, &self.lines);
            let payload_in: u64 = self.forwarder.payload_in.values().sum();
            let payload_out: u64 = self.forwarder.payload_out.values().sum();
            // Every payload went out whole: to each receiver all of it, or with simulcast the
            // packets of the layer the receiver was on (never more than came in).
            let simulcast = self.cfg.simulcast;
            let unchanged = self.forwarder.payload_in.iter().all(|(&(s, k, layer), &bytes)| {
                (0..n).filter(|r| *r != s).all(|r| {
                    let out = self.forwarder.payload_out.get(&(s, k, layer, r)).copied().unwrap_or(0);
                    if simulcast && k == MediaKind::Video { out <= bytes } else { out == bytes }
                })
            });
            SfuReport {
                uplink_kbps: kbps(l.up_bytes),
                downlink_kbps: kbps(l.down_bytes),
                cpu_ms: l.cpu.as_secs_f64() * 1000.0,
                payload_in,
                payload_out,
                forwarded_unchanged: unchanged,
                plis_forwarded: self.forwarder.plis_forwarded,
                plis_throttled: self.forwarder.plis_throttled,
            }
        });
        let video: Vec<&StreamReport> = streams.iter().filter(|s| s.kind == MediaKind::Video).collect();
        let expected: u64 = video.iter().map(|s| s.expected).sum();
        let got: u64 = video.iter().map(|s| s.received).sum();
        let totals = Totals {
            uplink_kbps: participants.iter().map(|p| p.uplink_kbps).sum(),
            downlink_kbps: participants.iter().map(|p| p.downlink_kbps).sum(),
            packets_sent: participants.iter().map(|p| p.packets_sent).sum(),
            packets_lost: participants.iter().map(|p| p.packets_lost).sum(),
            cpu_ms: participants.iter().map(|p| p.cpu_ms).sum::<f64>() + sfu.as_ref().map_or(0.0, |s| s.cpu_ms),
            streams: self.legs.iter().map(|l| l.tracks.len()).sum(),
            video_delivered: if expected == 0 { 0.0 } else { got as f64 / expected as f64 },
        };
        let flows = self.flows(secs);
        let media_legs: Vec<u64> = (0..self.legs.len())
            .filter(|&l| matches!(self.legs[l].owner, Party::P(_)) && self.legs[l].connected.is_some())
            .map(|l| self.rtp_bytes[l])
            .collect();
        // The median leg: a leg whose line is overloaded (retransmissions) does not move it.
        let mut media_legs = media_legs;
        media_legs.sort_unstable();
        let stream_kbps = media_legs.get(media_legs.len() / 2).map_or(0.0, |&b| kbps(b));
        let series = self.series();
        let setup = self.legs.iter().filter_map(|l| l.connected).max().unwrap_or(Duration::ZERO);
        let paths: Vec<String> = self
            .legs
            .iter()
            .step_by(2)
            .map(|l| l.peer.ice_type_of_selected().map(|t| t.name().to_string()).unwrap_or_else(|| "failed".into()))
            .collect();
        let failed = self.legs.iter().step_by(2).filter(|l| l.connected.is_none()).count();
        let mut report = CallReport {
            topology: self.cfg.topology,
            simulcast: self.cfg.simulcast,
            participants,
            sfu,
            totals,
            streams,
            flows,
            series,
            events: std::mem::take(&mut self.events),
            events_left_out: self.events_left_out,
            setup_ms: setup.as_secs_f64() * 1000.0,
            failed_connections: failed,
            media_ms: secs * 1000.0,
            paths,
            stream_kbps,
            wall_ms: wall.as_secs_f64() * 1000.0,
            video_kbps: self.cfg.video_kbps,
            notes: vec![],
        };
        report.notes = crate::notes::notes(&self.cfg, &report);
        report
    }

    /// Media bitrate between parties (RTP payload over the media time), for the arrows.
    fn flows(&self, secs: f64) -> Vec<Flow> {
        let mut out = vec![];
        match self.cfg.topology {
            Topology::Mesh => {
                for ((receiver, sender, _), rx) in &self.rx {
                    push_flow(&mut out, name(*sender), name(*receiver), rx.payload_bytes, secs);
                }
            }
            Topology::Sfu => {
                for (&(s, _, _), &bytes) in &self.forwarder.payload_in {
                    push_flow(&mut out, name(s), "SFU".into(), bytes, secs);
                }
                for (&(_, _, _, r), &bytes) in &self.forwarder.payload_out {
                    push_flow(&mut out, "SFU".into(), name(r), bytes, secs);
                }
            }
        }
        out.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
        out
    }

    fn series(&self) -> Vec<SeriesPoint> {
        let secs = BUCKET.as_secs_f64();
        let mut out = vec![];
        for (b, lines) in self.buckets.iter().enumerate() {
            let t_ms = ((b + 1) as f64 * secs * 1000.0) as u32;
            if Duration::from_millis(u64::from(t_ms)) > self.cfg.duration + BUCKET {
                break;
            }
            for (i, l) in lines.iter().enumerate() {
                let id = if i == self.cfg.participants { "SFU".to_string() } else { name(i) };
                if i == self.cfg.participants && self.cfg.topology == Topology::Mesh {
                    continue;
                }
                out.push(SeriesPoint {
                    t_ms,
                    id,
                    uplink_kbps: l.up_bytes as f64 * 8.0 / secs / 1000.0,
                    downlink_kbps: l.down_bytes as f64 * 8.0 / secs / 1000.0,
                    cpu_ms: l.cpu.as_secs_f64() * 1000.0,
                });
            }
        }
        out
    }
}

fn push_flow(out: &mut Vec<Flow>, from: String, to: String, bytes: u64, secs: f64) {
    let kbps = bytes as f64 * 8.0 / secs / 1000.0;
    match out.iter_mut().find(|f| f.from == from && f.to == to) {
        Some(f) => f.kbps += kbps,
        None => out.push(Flow { from, to, kbps }),
    }
}

/// RTP (not RTCP) by RFC 5761's demultiplexing: version 2, and a second byte outside the
/// RTCP packet types 192–223.
fn is_rtp(b: &[u8]) -> bool {
    b.len() >= 12 && (128..=191).contains(&b[0]) && !(192..=223).contains(&b[1])
}

/// A sender report's (SSRC, SRTCP index), read from the parts SRTCP leaves in the clear: the
/// first RTCP header and the index before the 10-byte authentication tag.
fn sender_report_key(b: &[u8]) -> Option<(u32, u32)> {
    if b.len() < 8 + 14 || !(128..=191).contains(&b[0]) || b[1] != 200 {
        return None;
    }
    let ssrc = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
    let at = b.len() - 14;
    let index = u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) & 0x7fff_ffff;
    Some((ssrc, index))
}

/// Runs one call.
pub fn run(cfg: &CallConfig) -> Result<CallReport, String> {
    Call::new(cfg)?.run()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn track_names_round_trip() {
        assert_eq!(parse_track(&track_id(4, MediaKind::Video)), Some((4, MediaKind::Video, Layer::High)));
        assert_eq!(parse_track(&layer_track_id(2, Layer::Low)), Some((2, MediaKind::Video, Layer::Low)));
        assert_eq!(parse_track("chat"), None);
    }
}
