//! One NAT-lab run: two real peers (A offers, B answers), each on its own site behind the NAT
//! the learner chose, the lab's STUN server and (optionally) TURN server on the public side,
//! and signalling over a reliable path through the lab's signalling server. Driven as a
//! discrete-event loop in virtual time: the next moment anything happens is computed (a
//! datagram arriving, a signal arriving, a stack's timer), the clock jumps there, and
//! everything due runs. The run ends when A's greeting has come back as B's echo, when both
//! ICE agents failed, or at the deadline.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::candidate::{Candidate, CandidateType};
use crate::nat::{Binding, NatSpec};
use crate::net::{Internet, LAN_LATENCY, LinkConditions, NetEvent, NetEventKind};
use crate::peer::{Peer, PeerConfig, PeerEvent, TurnCredentials, hello_from};
use crate::signal::Signal;
use crate::stats::PairRow;
use crate::stun_server::StunServer;
use crate::turn_server::{TurnConfig, TurnServer};

/// The addresses of the simulated internet (documentation ranges of RFC 5737 and private LANs).
pub mod addresses {
    use super::*;
    pub const HOST_A_PRIVATE: Ipv4Addr = Ipv4Addr::new(10, 0, 1, 2);
    pub const HOST_B_PRIVATE: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);
    pub const NAT_A: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
    pub const NAT_B: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
    pub const HOST_A_PUBLIC: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);
    pub const HOST_B_PUBLIC: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);
    pub const STUN_PRIMARY: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
    pub const STUN_OTHER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 11);
    pub const TURN: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 20);
    pub const PEER_PORT: u16 = 5000;
}
use addresses::*;

/// Everything a run depends on.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub nat_a: NatSpec,
    pub nat_b: NatSpec,
    pub turn: bool,
    /// The password peers use with TURN (the server knows `secret`); a wrong one shows the 401.
    pub turn_password: String,
    pub stun: bool,
    pub trickle: bool,
    /// An edit to the offer (made by A) or the answer (made by B) before it is sent.
    pub sdp_edit: Option<crate::sdp_edit::SdpEdit>,
    pub link: LinkConditions,
    pub seed: u64,
    /// A run that has neither connected nor failed by then is reported as timed out.
    pub deadline: Duration,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            nat_a: NatSpec::None,
            nat_b: NatSpec::None,
            turn: false,
            turn_password: TurnConfig::default().users[0].1.clone(),
            stun: true,
            trickle: true,
            sdp_edit: None,
            link: LinkConditions::default(),
            seed: 1,
            deadline: Duration::from_secs(30),
        }
    }
}

/// How the peers ended up talking: the selected pair's most relayed candidate type, or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Outcome {
    Host,
    Srflx,
    Prflx,
    Relay,
    Failed,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Host => "host",
            Outcome::Srflx => "srflx",
            Outcome::Prflx => "prflx",
            Outcome::Relay => "relay",
            Outcome::Failed => "failed",
        }
    }
    pub fn from_name(s: &str) -> Option<Outcome> {
        [Outcome::Host, Outcome::Srflx, Outcome::Prflx, Outcome::Relay, Outcome::Failed]
            .into_iter()
            .find(|o| o.name() == s)
    }
    pub fn from_type(t: CandidateType) -> Outcome {
        match t {
            CandidateType::Host => Outcome::Host,
            CandidateType::Srflx => Outcome::Srflx,
            CandidateType::Prflx => Outcome::Prflx,
            CandidateType::Relay => Outcome::Relay,
        }
    }
    pub fn is_direct(self) -> bool {
        matches!(self, Outcome::Host | Outcome::Srflx | Outcome::Prflx)
    }
}

/// What one peer did, in order.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SimEventKind {
    /// A datagram's step through the network (see `NetEventKind`).
    Net {
        datagram: u64,
        #[serde(flatten)]
        event: NetEventKind,
    },
    /// A signalling message left `from` for `to` through the signalling server.
    Signal {
        from: String,
        to: String,
        summary: String,
        json: String,
    },
    Gathered {
        peer: String,
        candidate: Candidate,
    },
    RemoteCandidate {
        peer: String,
        candidate: Candidate,
    },
    GatheringDone {
        peer: String,
        notes: Vec<String>,
    },
    IceState {
        peer: String,
        state: String,
    },
    ConnectionState {
        peer: String,
        state: String,
    },
    DataChannelOpen {
        peer: String,
        label: String,
    },
    Message {
        peer: String,
        text: String,
    },
    Problem {
        peer: String,
        text: String,
    },
    /// A candidate pair's row after a check, an answer, a state change or a nomination.
    Pair {
        peer: String,
        row: PairRow,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct SimEvent {
    pub at_us: u64,
    #[serde(flatten)]
    pub kind: SimEventKind,
}

/// One peer's view at the end of the run.
#[derive(Debug, Clone, Serialize)]
pub struct PeerReport {
    pub name: String,
    pub host: SocketAddr,
    pub nat: String,
    pub nat_words: String,
    pub local_candidates: Vec<Candidate>,
    pub remote_candidates: Vec<Candidate>,
    pub selected: Option<(Candidate, Candidate)>,
    pub pairs: Vec<PairRow>,
    pub connected_ms: Option<f64>,
    pub channel_open_ms: Option<f64>,
    pub received: Vec<String>,
    pub problems: Vec<String>,
    pub gathering_notes: Vec<String>,
    /// The NAT's mappings at the end (empty without a NAT).
    pub nat_table: Vec<Binding>,
    /// When each step of the setup happened for this peer, virtual ms from the start.
    pub milestones: Vec<crate::peer::PhaseAt>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub nat_a: String,
    pub nat_b: String,
    pub turn: bool,
    pub trickle: bool,
    /// The edit made to a description before it was sent, if any.
    pub sdp_edit: Option<crate::sdp_edit::SdpEdit>,
    pub seed: u64,
    /// One-way latency of the internet crossing.
    pub latency_ms: f64,
    pub outcome: Outcome,
    /// Offer sent → data channel open on both sides, virtual milliseconds.
    pub connect_ms: Option<f64>,
    /// Virtual time the run covered.
    pub ran_ms: f64,
    pub timed_out: bool,
    pub peers: [PeerReport; 2],
    /// Bytes the TURN server relayed (both ways, all allocations).
    pub relayed_bytes: u64,
    pub events: Vec<SimEvent>,
    /// Events past `MAX_EVENTS`, counted but not kept.
    pub events_dropped: u64,
    /// The plain-language explanation (see `why`).
    pub why: crate::why::Why,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Events kept per run; beyond this they are counted, not stored (a pair of NATs that map
/// per destination and let anyone in makes the peers learn a new address with every check).
pub const MAX_EVENTS: usize = 60_000;

/// Upper bound on loop iterations: a run that needs more is a bug, not a slow network.
const MAX_STEPS: usize = 2_000_000;

/// Runs `s` in virtual time: the clock jumps from one due moment to the next, and the
/// signalling server is modelled as the reliable path (LAN and internet latency, both ways).
pub fn run(s: &Scenario) -> Result<RunReport, String> {
    let mut session = Session::new(s)?;
    let mut signals: VecDeque<(Duration, usize, Signal)> = VecDeque::new();
    let mut steps = 0;
    let mut timed_out = false;
    loop {
        steps += 1;
        if steps > MAX_STEPS {
            return Err(format!("the simulation did not settle after {MAX_STEPS} steps at {:.0} ms", ms(session.now)));
        }
        for (to, sig) in session.flush() {
            signals.push_back((session.now + session.signal_delay(), to, sig));
        }
        if session.is_over() {
            break;
        }
        let next = [session.next_wakeup(), signals.front().map(|(t, _, _)| *t)].into_iter().flatten().min();
        let Some(next) = next else { break };
        if next > s.deadline {
            timed_out = true;
            session.now = s.deadline;
            break;
        }
        session.advance_to(next);
        while signals.front().is_some_and(|(t, _, _)| *t <= session.now) {
            let (_, to, sig) = signals.pop_front().expect("peeked");
            session.deliver_signal(to, sig);
        }
        session.fire_timers();
    }
    Ok(session.finish(timed_out))
}

/// One run's parties and clock, stepped by a driver: [`run`] in virtual time, or
/// [`crate::paced::run`] at a pace the learner sets, with signalling over real WebSockets.
/// A step is: `flush` what the peers produced (datagrams into the network, signals to the
/// driver), find the `next_wakeup`, `advance_to` it (deliveries), hand over due signals,
/// `fire_timers`.
pub struct Session {
    scenario: Scenario,
    net: Internet,
    peers: [Peer; 2],
    log: EventLog,
    /// Virtual time.
    pub now: Duration,
    offer_at: Option<Duration>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("scenario", &self.scenario).field("now", &self.now).finish_non_exhaustive()
    }
}

impl Session {
    pub fn new(s: &Scenario) -> Result<Session, String> {
        let epoch = Instant::now();
        let mut net = Internet::new(s.link, s.seed);
        let host = |spec: &NatSpec, private, public| if spec.behaviour().is_some() { private } else { public };
        let host_a = host(&s.nat_a, HOST_A_PRIVATE, HOST_A_PUBLIC);
        let host_b = host(&s.nat_b, HOST_B_PRIVATE, HOST_B_PUBLIC);
        net.add_site("A", s.nat_a, host_a, NAT_A, s.seed.wrapping_mul(31).wrapping_add(1));
        net.add_site("B", s.nat_b, host_b, NAT_B, s.seed.wrapping_mul(31).wrapping_add(2));
        let stun = StunServer::new(STUN_PRIMARY, STUN_OTHER);
        net.stun = Some(stun);
        let turn_listen = SocketAddr::new(IpAddr::V4(TURN), 3478);
        if s.turn {
            net.turn = Some(TurnServer::new(turn_listen, TurnConfig::default()));
        }
        let turn_creds = s.turn.then(|| TurnCredentials {
            server: turn_listen,
            username: TurnConfig::default().users[0].0.clone(),
            password: s.turn_password.clone(),
            realm: TurnConfig::default().realm,
        });
        let peers = [("A", host_a, true), ("B", host_b, false)].map(|(name, ip, offerer)| {
            Peer::new(
                PeerConfig {
                    name: name.into(),
                    host: SocketAddr::new(IpAddr::V4(ip), PEER_PORT),
                    stun: s.stun.then_some(stun.primary),
                    turn: turn_creds.clone(),
                    offerer,
                    trickle: s.trickle,
                    relay_only: false,
                    media: None,
                    sdp_edit: s.sdp_edit.filter(|e| (e.target() == crate::sdp_edit::Target::Offer) == offerer),
                },
                epoch,
            )
        });
        if let Some(Err(e)) = peers.iter().find(|p| p.is_err()) {
            return Err(e.clone());
        }
        let mut peers: [Peer; 2] = peers.map(|p| p.expect("checked above"));
        for p in &mut peers {
            p.start(Duration::ZERO)?;
        }
        Ok(Session { scenario: s.clone(), net, peers, log: EventLog::default(), now: Duration::ZERO, offer_at: None })
    }

    /// What the signalling path adds to a message: each peer's LAN and internet crossing.
    pub fn signal_delay(&self) -> Duration {
        LAN_LATENCY * 2 + self.scenario.link.latency * 2
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Sends what the peers produced into the network and logs it; returns the signals they
    /// sent, each with the index of the peer it is for (0 = A, 1 = B).
    pub fn flush(&mut self) -> Vec<(usize, Signal)> {
        let now = self.now;
        let mut out = Vec::new();
        for (i, p) in self.peers.iter_mut().enumerate() {
            while let Some((from, to, bytes)) = p.outbox.pop_front() {
                self.net.send(now, from, to, bytes);
            }
            while let Some(sig) = p.signals.pop_front() {
                if matches!(sig, Signal::Offer { .. }) {
                    self.offer_at.get_or_insert(now);
                }
                let other = 1 - i;
                self.log.push(SimEvent {
                    at_us: now.as_micros() as u64,
                    kind: SimEventKind::Signal {
                        from: p.name.clone(),
                        to: if other == 0 { "A".into() } else { "B".into() },
                        summary: sig.summary(),
                        json: sig.to_json(),
                    },
                });
                out.push((other, sig));
            }
            drain_peer_events(p, now, &mut self.log);
        }
        for e in self.net.take_trace() {
            self.log.push(net_event(e));
        }
        out
    }

    /// A's greeting came back as B's echo, or both ICE agents failed.
    pub fn is_over(&self) -> bool {
        let echo = format!("echo: {}", hello_from("A"));
        self.peers[0].received.contains(&echo) || self.peers.iter().all(|p| p.failed_at.is_some())
    }

    /// When the network, a peer or the TURN server next needs to act (signals in flight are
    /// the driver's).
    pub fn next_wakeup(&mut self) -> Option<Duration> {
        [
            self.net.next_event(),
            self.peers[0].poll_timeout(),
            self.peers[1].poll_timeout(),
            self.net.turn.as_ref().and_then(|t| t.next_expiry()),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Moves the clock to `to` (never back) and delivers the datagrams due by then.
    pub fn advance_to(&mut self, to: Duration) {
        self.now = self.now.max(to);
        let now = self.now;
        self.net.advance(now);
        self.net.handle_server_timeouts(now);
        while let Some(d) = self.net.poll_delivery() {
            if let Some(p) = self.peers.iter_mut().find(|p| p.host == d.to) {
                p.on_datagram(now, d.from, d.bytes);
            }
        }
    }

    pub fn deliver_signal(&mut self, to: usize, sig: Signal) {
        self.peers[to].on_signal(self.now, sig);
    }

    /// Notes on the run's timeline that a signalling message could not be used.
    pub fn signal_problem(&mut self, to: usize, text: String) {
        let peer = self.peers[to].name.clone();
        self.log.push(SimEvent { at_us: self.now.as_micros() as u64, kind: SimEventKind::Problem { peer, text } });
    }

    /// Runs the peers' timers that are due.
    pub fn fire_timers(&mut self) {
        let now = self.now;
        for p in &mut self.peers {
            if p.poll_timeout().is_some_and(|t| t <= now) {
                p.handle_timeout(now);
            }
        }
    }

    /// The report of the run so far (what a live view draws while it goes on).
    pub fn snapshot(&mut self) -> RunReport {
        let events = self.log.events.clone();
        self.report(events, self.log.dropped, false)
    }

    /// Ends the run: the last events, then the report.
    pub fn finish(mut self, timed_out: bool) -> RunReport {
        for e in self.net.take_trace() {
            self.log.push(net_event(e));
        }
        let now = self.now;
        for p in &mut self.peers {
            drain_peer_events(p, now, &mut self.log);
        }
        let EventLog { events, dropped } = std::mem::take(&mut self.log);
        self.report(events, dropped, timed_out)
    }

    fn report(&mut self, events: Vec<SimEvent>, events_dropped: u64, timed_out: bool) -> RunReport {
        let s = &self.scenario;
        let peers = &mut self.peers;
        let connected = peers.iter().all(|p| p.milestones.channel_open.is_some())
            && peers[0].received.iter().any(|m| m.starts_with("echo: "));
        let outcome = if connected {
            peers
                .iter()
                .filter_map(|p| p.ice_type_of_selected())
                .max()
                .map(Outcome::from_type)
                .unwrap_or(Outcome::Failed)
        } else {
            Outcome::Failed
        };
        let connect_ms = match (self.offer_at, peers[0].milestones.channel_open, peers[1].milestones.channel_open) {
            (Some(o), Some(a), Some(b)) if connected => Some(ms(a.max(b).saturating_sub(o))),
            _ => None,
        };
        let net = &self.net;
        let relayed_bytes = net.turn.as_ref().map(|t| t.allocations().map(|a| a.bytes_relayed).sum()).unwrap_or(0);
        let specs = [s.nat_a, s.nat_b];
        let reports: Vec<PeerReport> =
            peers.iter_mut().enumerate().map(|(i, p)| peer_report(p, &specs[i], net, i, &events)).collect();
        let [ra, rb]: [PeerReport; 2] = reports.try_into().expect("two peers");
        let mut report = RunReport {
            nat_a: s.nat_a.to_string(),
            nat_b: s.nat_b.to_string(),
            turn: s.turn,
            trickle: s.trickle,
            sdp_edit: s.sdp_edit,
            seed: s.seed,
            latency_ms: ms(s.link.latency),
            outcome,
            connect_ms,
            ran_ms: ms(self.now),
            timed_out,
            peers: [ra, rb],
            relayed_bytes,
            events,
            events_dropped,
            why: crate::why::Why { headline: String::new(), reasons: vec![], fix: None, cost: None },
        };
        report.why = crate::why::explain(&report);
        report
    }
}

/// The run's events, bounded by `MAX_EVENTS`.
#[derive(Debug, Default)]
struct EventLog {
    events: Vec<SimEvent>,
    dropped: u64,
}

impl EventLog {
    fn push(&mut self, e: SimEvent) {
        if self.events.len() < MAX_EVENTS {
            self.events.push(e);
        } else {
            self.dropped += 1;
        }
    }
}

fn net_event(e: NetEvent) -> SimEvent {
    SimEvent { at_us: e.at.as_micros() as u64, kind: SimEventKind::Net { datagram: e.datagram, event: e.kind } }
}

fn drain_peer_events(p: &mut Peer, now: Duration, log: &mut EventLog) {
    let peer = p.name.clone();
    while let Some(e) = p.events.pop_front() {
        let kind = match e {
            PeerEvent::Gathered(candidate) => SimEventKind::Gathered { peer: peer.clone(), candidate },
            PeerEvent::RemoteCandidate(candidate) => SimEventKind::RemoteCandidate { peer: peer.clone(), candidate },
            PeerEvent::GatheringDone { notes } => SimEventKind::GatheringDone { peer: peer.clone(), notes },
            PeerEvent::IceState(state) => SimEventKind::IceState { peer: peer.clone(), state },
            PeerEvent::ConnectionState(state) => SimEventKind::ConnectionState { peer: peer.clone(), state },
            PeerEvent::DataChannelOpen(label) => SimEventKind::DataChannelOpen { peer: peer.clone(), label },
            PeerEvent::Message(text) => SimEventKind::Message { peer: peer.clone(), text },
            PeerEvent::Problem(text) => SimEventKind::Problem { peer: peer.clone(), text },
            PeerEvent::Pair(row) => SimEventKind::Pair { peer: peer.clone(), row },
            // The NAT lab's runs send no files.
            PeerEvent::Binary(_) | PeerEvent::FileSent => continue,
        };
        log.push(SimEvent { at_us: now.as_micros() as u64, kind });
    }
}

fn peer_report(p: &mut Peer, spec: &NatSpec, net: &Internet, site: usize, events: &[SimEvent]) -> PeerReport {
    let name = p.name.as_str();
    let (mut local, mut remote, mut problems, mut gathering_notes) = (vec![], vec![], vec![], vec![]);
    for e in events {
        match &e.kind {
            SimEventKind::Gathered { peer, candidate } if peer == name => local.push(candidate.clone()),
            SimEventKind::RemoteCandidate { peer, candidate } if peer == name => remote.push(candidate.clone()),
            SimEventKind::Problem { peer, text } if peer == name => problems.push(text.clone()),
            SimEventKind::GatheringDone { peer, notes } if peer == name => {
                gathering_notes.extend(notes.iter().cloned())
            }
            _ => {}
        }
    }
    PeerReport {
        name: p.name.clone(),
        host: p.host,
        nat: spec.to_string(),
        nat_words: spec.describe(),
        local_candidates: local,
        remote_candidates: remote,
        selected: p.selected_pair(),
        pairs: p.pair_rows(),
        connected_ms: p.milestones.dtls_connected.map(ms),
        channel_open_ms: p.milestones.channel_open.map(ms),
        received: p.received.clone(),
        problems,
        gathering_notes,
        nat_table: net.sites[site].nat.as_ref().map(|n| n.bindings().cloned().collect()).unwrap_or_default(),
        milestones: p.milestones.phases(),
    }
}
