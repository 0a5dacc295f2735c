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
}

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub nat_a: String,
    pub nat_b: String,
    pub turn: bool,
    pub trickle: bool,
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

pub fn run(s: &Scenario) -> Result<RunReport, String> {
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
            },
            epoch,
        )
    });
    if let Some(Err(e)) = peers.iter().find(|p| p.is_err()) {
        return Err(e.clone());
    }
    let mut peers: [Peer; 2] = peers.map(|p| p.expect("checked above"));

    let mut log = EventLog::default();
    let mut signals: VecDeque<(Duration, usize, Signal)> = VecDeque::new();
    let signal_delay = LAN_LATENCY * 2 + s.link.latency * 2;
    let mut now = Duration::ZERO;
    let mut offer_at: Option<Duration> = None;
    for p in &mut peers {
        p.start(now)?;
    }
    let mut steps = 0;
    let mut timed_out = false;
    loop {
        steps += 1;
        if steps > MAX_STEPS {
            return Err(format!("the simulation did not settle after {MAX_STEPS} steps at {:.0} ms", ms(now)));
        }
        // Everything the peers produced goes out at `now`.
        for (i, p) in peers.iter_mut().enumerate() {
            while let Some((from, to, bytes)) = p.outbox.pop_front() {
                net.send(now, from, to, bytes);
            }
            while let Some(sig) = p.signals.pop_front() {
                if matches!(sig, Signal::Offer { .. }) {
                    offer_at.get_or_insert(now);
                }
                let other = 1 - i;
                log.push(SimEvent {
                    at_us: now.as_micros() as u64,
                    kind: SimEventKind::Signal {
                        from: p.name.clone(),
                        to: if other == 0 { "A".into() } else { "B".into() },
                        summary: sig.summary(),
                        json: sig.to_json(),
                    },
                });
                signals.push_back((now + signal_delay, other, sig));
            }
            drain_peer_events(p, now, &mut log);
        }
        for e in net.take_trace() {
            log.push(net_event(e));
        }
        let hello = hello_from("A");
        if peers[0].received.iter().any(|m| *m == format!("echo: {hello}")) {
            break;
        }
        if peers.iter().all(|p| p.failed_at.is_some()) {
            break;
        }
        let next = [
            net.next_event(),
            signals.front().map(|(t, _, _)| *t),
            peers[0].poll_timeout(),
            peers[1].poll_timeout(),
            net.turn.as_ref().and_then(|t| t.next_expiry()),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else { break };
        if next > s.deadline {
            timed_out = true;
            now = s.deadline;
            break;
        }
        now = now.max(next);
        net.advance(now);
        net.handle_server_timeouts(now);
        while let Some(d) = net.poll_delivery() {
            if let Some(p) = peers.iter_mut().find(|p| p.host == d.to) {
                p.on_datagram(now, d.from, d.bytes);
            }
        }
        while signals.front().is_some_and(|(t, _, _)| *t <= now) {
            let (_, to, sig) = signals.pop_front().expect("peeked");
            peers[to].on_signal(now, sig);
        }
        for p in &mut peers {
            if p.poll_timeout().is_some_and(|t| t <= now) {
                p.handle_timeout(now);
            }
        }
    }
    for e in net.take_trace() {
        log.push(net_event(e));
    }
    for p in &mut peers {
        drain_peer_events(p, now, &mut log);
    }

    let connected =
        peers.iter().all(|p| p.channel_open_at.is_some()) && peers[0].received.iter().any(|m| m.starts_with("echo: "));
    let outcome = if connected {
        peers.iter().filter_map(|p| p.ice_type_of_selected()).max().map(Outcome::from_type).unwrap_or(Outcome::Failed)
    } else {
        Outcome::Failed
    };
    let connect_ms = match (offer_at, peers[0].channel_open_at, peers[1].channel_open_at) {
        (Some(o), Some(a), Some(b)) if connected => Some(ms(a.max(b).saturating_sub(o))),
        _ => None,
    };
    let relayed_bytes = net.turn.as_ref().map(|t| t.allocations().map(|a| a.bytes_relayed).sum()).unwrap_or(0);
    let EventLog { events, dropped: events_dropped } = log;
    let specs = [s.nat_a, s.nat_b];
    let reports: Vec<PeerReport> =
        peers.iter_mut().enumerate().map(|(i, p)| peer_report(p, &specs[i], &net, i, &events)).collect();
    let [ra, rb]: [PeerReport; 2] = reports.try_into().expect("two peers");
    let mut report = RunReport {
        nat_a: s.nat_a.to_string(),
        nat_b: s.nat_b.to_string(),
        turn: s.turn,
        trickle: s.trickle,
        seed: s.seed,
        latency_ms: ms(s.link.latency),
        outcome,
        connect_ms,
        ran_ms: ms(now),
        timed_out,
        peers: [ra, rb],
        relayed_bytes,
        events,
        events_dropped,
        why: crate::why::Why { headline: String::new(), reasons: vec![], fix: None, cost: None },
    };
    report.why = crate::why::explain(&report);
    Ok(report)
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
        connected_ms: p.connected_at.map(ms),
        channel_open_ms: p.channel_open_at.map(ms),
        received: p.received.clone(),
        problems,
        gathering_notes,
        nat_table: net.sites[site].nat.as_ref().map(|n| n.bindings().cloned().collect()).unwrap_or_default(),
    }
}
