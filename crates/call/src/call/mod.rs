//! One call in virtual time: the participants' (and the SFU's) real peer connections on the
//! NAT lab's simulated internet, signalling with the same delay as the internet crossing,
//! synthetic audio and video written as RTP on every connected leg, RTCP answered (PLI →
//! keyframe; NACK → retransmission by `rtc`'s responder), and every byte on every line
//! counted. The clock jumps from one due moment to the next; nothing sleeps.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtclab_natlab::media::{MediaKind, MediaPlan, TrackPlan};
use rtclab_natlab::net::{AccessLink, IP_UDP_OVERHEAD, Internet, LinkConditions, NetEventKind};
use rtclab_natlab::peer::{MediaIn, Peer, PeerConfig, PeerEvent, TurnCredentials};
use rtclab_natlab::session::addresses::{STUN_OTHER, STUN_PRIMARY, TURN};
use rtclab_natlab::signal::Signal;
use rtclab_natlab::stun_server::StunServer;
use rtclab_natlab::turn_server::{TurnConfig, TurnServer};

mod rtcp;
mod summary;

use rtcp::sender_report_key;

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
            let SendTrack { id, ssrc, seq, .. } = self.legs[l].tracks[t].clone();
            self.legs[l].tracks[t].seq = seq.wrapping_add(payloads.len() as u16);
            let packets: Vec<rtc::rtp::packet::Packet> = payloads
                .iter()
                .enumerate()
                .map(|(i, payload)| rtc::rtp::packet::Packet {
                    header: rtc::rtp::header::Header {
                        version: 2,
                        marker: payload.marker,
                        payload_type: kind.payload_type(),
                        sequence_number: seq.wrapping_add(i as u16),
                        timestamp: payload.timestamp,
                        ssrc,
                        ..Default::default()
                    },
                    payload: payload.data.clone(),
                })
                .collect();
            match self.timed(l, |peer| peer.write_rtp(now, &id, packets)) {
                Ok(()) => {
                    let count = payloads.len() as u64;
                    self.people[p].packets_sent += count;
                    if settles && layer == Layer::High {
                        *self.settled.entry((l, kind)).or_default() += count;
                    }
                }
                Err(e) => {
                    let to = Self::party_name(self.legs[l].remote);
                    self.event("connection", name(p), to, format!("RTP not sent: {e}"));
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
            let r = self.timed(l, |peer| peer.write_rtp(now, &track, vec![out]));
            if let Err(e) = r {
                self.event("connection", "SFU".into(), name(receiver), format!("forwarding {track} failed: {e}"));
            }
        }
    }
}

/// RTP (not RTCP) by RFC 5761's demultiplexing: version 2, and a second byte outside the
/// RTCP packet types 192–223.
fn is_rtp(b: &[u8]) -> bool {
    b.len() >= 12 && (128..=191).contains(&b[0]) && !(192..=223).contains(&b[1])
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
