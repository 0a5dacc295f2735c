//! The simulated internet: sites (a LAN with one host, behind a NAT or on a public address),
//! the public side with the lab's STUN and TURN servers, link latency, jitter and loss
//! (seeded), and a trace of every datagram: sent, translated by a NAT (mapping created or
//! reused), dropped (and by which rule), lost on a link, delivered. Time is the caller's:
//! `send` and `advance` take `now`, nothing reads a clock.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::classify;
use crate::nat::{DropRule, Nat, NatSpec, Outbound};
use crate::stun_server::StunServer;
use crate::turn_server::TurnServer;

/// One LAN: its host and, unless the host is public, the NAT in front of it.
#[derive(Debug)]
pub struct Site {
    pub name: String,
    pub host_ip: Ipv4Addr,
    pub nat: Option<Nat>,
    /// The capacity and loss of the site's own line to the internet.
    pub access: AccessLink,
    uplink: Shaper,
    downlink: Shaper,
}

/// A site's line to the internet, as a home connection has: a capacity each way (a
/// bottleneck with a drop-tail queue) and a loss of its own. `None` is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct AccessLink {
    pub uplink_kbps: Option<u32>,
    pub downlink_kbps: Option<u32>,
    /// Probability in [0, 1) that a datagram is lost on this line (each direction).
    pub loss: f64,
}

/// How long a bottleneck's queue may hold datagrams before it drops new ones (a home
/// router's buffer).
pub const QUEUE_LIMIT: Duration = Duration::from_millis(250);
/// IPv4 + UDP headers: what a datagram costs a line beyond its payload.
pub const IP_UDP_OVERHEAD: usize = 28;

/// A rate-limited line: datagrams leave one after another at its rate.
#[derive(Debug, Default, Clone, Copy)]
struct Shaper {
    free_at: Duration,
}

impl Shaper {
    /// When a datagram of `bytes` handed over at `now` has left the line, or the queue delay
    /// it would have met when the queue is full.
    fn admit(&mut self, now: Duration, bytes: usize, kbps: Option<u32>) -> Result<Duration, Duration> {
        let Some(kbps) = kbps else { return Ok(now) };
        let start = self.free_at.max(now);
        let waited = start - now;
        if waited > QUEUE_LIMIT {
            return Err(waited);
        }
        let bits = ((bytes + IP_UDP_OVERHEAD) * 8) as f64;
        self.free_at = start + Duration::from_secs_f64(bits / (f64::from(kbps.max(1)) * 1000.0));
        Ok(self.free_at)
    }
}

/// Impairment of the internet crossing (each direction, each datagram).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LinkConditions {
    #[serde(serialize_with = "micros")]
    pub latency: Duration,
    #[serde(serialize_with = "micros")]
    pub jitter: Duration,
    /// Probability in [0, 1) that a datagram is lost.
    pub loss: f64,
}

fn micros<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_micros() as u64)
}

impl Default for LinkConditions {
    fn default() -> Self {
        LinkConditions { latency: Duration::from_millis(20), jitter: Duration::ZERO, loss: 0.0 }
    }
}

/// The hop inside a LAN (host ↔ its NAT).
pub const LAN_LATENCY: Duration = Duration::from_millis(1);

/// What happened to a datagram at one point of its way.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NetEventKind {
    Sent {
        from: SocketAddr,
        to: SocketAddr,
        bytes: usize,
        what: String,
    },
    Translated {
        nat: String,
        inside: SocketAddr,
        outside: SocketAddr,
        remote: SocketAddr,
        /// A new mapping (true) or an existing one reused.
        created: bool,
        /// Outbound (inside → outside) or inbound.
        outbound: bool,
    },
    MappingExpired {
        nat: String,
        inside: SocketAddr,
        outside: SocketAddr,
    },
    Dropped {
        at: String,
        reason: String,
        rule: Option<DropRule>,
    },
    Lost {
        link: String,
    },
    /// A server changed its tables (TURN allocation, permission, channel, expiry).
    ServerNote {
        server: String,
        note: String,
    },
    Delivered {
        to: SocketAddr,
        from: SocketAddr,
        what: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct NetEvent {
    #[serde(rename = "at_us", serialize_with = "micros")]
    pub at: Duration,
    /// Which datagram (every `Sent` starts a new one; 0 for table events).
    pub datagram: u64,
    #[serde(flatten)]
    pub kind: NetEventKind,
}

/// A datagram handed to a host.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub at: Duration,
    pub to: SocketAddr,
    /// The source as the host sees it (after any NAT).
    pub from: SocketAddr,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Leg {
    /// Crossing a LAN from its host to its NAT.
    Nat(usize),
    /// Crossing the internet to a public address.
    Public,
    /// Crossing a LAN from its NAT to its host.
    Host(usize),
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Flight {
    at: Duration,
    seq: u64,
    leg: Leg,
    datagram: u64,
    src: SocketAddr,
    dst: SocketAddr,
    bytes: Vec<u8>,
}

#[derive(Debug)]
pub struct Internet {
    pub sites: Vec<Site>,
    pub stun: Option<StunServer>,
    pub turn: Option<TurnServer>,
    pub link: LinkConditions,
    rng: StdRng,
    in_flight: BinaryHeap<Reverse<Flight>>,
    deliveries: VecDeque<Delivery>,
    trace: Vec<NetEvent>,
    /// Record every datagram's way (sent, translated, delivered); drops and losses are always
    /// recorded. A call sends thousands of packets a second: its driver turns this off.
    pub trace_datagrams: bool,
    seq: u64,
    datagrams: u64,
}

fn is_private(ip: Ipv4Addr) -> bool {
    ip.is_private() || ip.is_loopback() || ip.is_link_local()
}

impl Internet {
    pub fn new(link: LinkConditions, seed: u64) -> Self {
        Internet {
            sites: Vec::new(),
            stun: None,
            turn: None,
            link,
            rng: StdRng::seed_from_u64(seed ^ 0x6e65_745f_6c6f_7373),
            in_flight: BinaryHeap::new(),
            deliveries: VecDeque::new(),
            trace: Vec::new(),
            trace_datagrams: true,
            seq: 0,
            datagrams: 0,
        }
    }

    /// Adds a site: a host at `host_ip` behind `spec` (the NAT's outside IP is `outside_ip`;
    /// with no NAT the host's address must be public). Returns the site's index.
    pub fn add_site(&mut self, name: &str, spec: NatSpec, host_ip: Ipv4Addr, outside_ip: Ipv4Addr, seed: u64) -> usize {
        let nat = spec.behaviour().map(|b| Nat::new(*b, outside_ip, seed));
        self.sites.push(Site {
            name: name.to_string(),
            host_ip,
            nat,
            access: AccessLink::default(),
            uplink: Shaper::default(),
            downlink: Shaper::default(),
        });
        self.sites.len() - 1
    }

    /// Sets a site's line to the internet.
    pub fn set_access(&mut self, site: usize, access: AccessLink) {
        self.sites[site].access = access;
    }

    pub fn trace(&self) -> &[NetEvent] {
        &self.trace
    }

    pub fn take_trace(&mut self) -> Vec<NetEvent> {
        std::mem::take(&mut self.trace)
    }

    fn note(&mut self, at: Duration, datagram: u64, kind: NetEventKind) {
        let routine = matches!(
            kind,
            NetEventKind::Sent { .. } | NetEventKind::Translated { .. } | NetEventKind::Delivered { .. }
        );
        if routine && !self.trace_datagrams {
            return;
        }
        self.trace.push(NetEvent { at, datagram, kind });
    }

    fn site_of_host(&self, ip: IpAddr) -> Option<usize> {
        self.sites.iter().position(|s| IpAddr::V4(s.host_ip) == ip)
    }

    fn site_of_outside(&self, ip: IpAddr) -> Option<usize> {
        self.sites.iter().position(|s| s.nat.as_ref().is_some_and(|n| IpAddr::V4(n.outside_ip) == ip))
    }

    /// A host (or a server, from a public address) sends a datagram.
    pub fn send(&mut self, now: Duration, from: SocketAddr, to: SocketAddr, bytes: Vec<u8>) {
        self.datagrams += 1;
        let id = self.datagrams;
        if self.trace_datagrams {
            let what = classify::describe(&bytes);
            self.note(now, id, NetEventKind::Sent { from, to, bytes: bytes.len(), what });
        }
        let site = self.site_of_host(from.ip());
        if let Some(site) = site
            && to.ip() == from.ip()
        {
            return self.schedule(now, Leg::Host(site), id, from, to, bytes);
        }
        let now = match site {
            Some(site) => match self.through_access(now, id, site, true, bytes.len()) {
                Some(left) => left,
                None => return,
            },
            None => now,
        };
        match site {
            Some(site) if self.sites[site].nat.is_some() => {
                self.schedule(now + LAN_LATENCY, Leg::Nat(site), id, from, to, bytes)
            }
            _ => self.cross_internet(now, id, from, to, bytes),
        }
    }

    /// A datagram crosses a site's line (up or down): lost, dropped by a full queue, or the
    /// moment it has left the line.
    fn through_access(&mut self, now: Duration, id: u64, site: usize, up: bool, bytes: usize) -> Option<Duration> {
        let s = &mut self.sites[site];
        let access = s.access;
        let line = format!("{} {}", if up { "uplink of" } else { "downlink of" }, s.name);
        if access.loss > 0.0 && self.rng.random::<f64>() < access.loss {
            self.note(now, id, NetEventKind::Lost { link: line });
            return None;
        }
        let (shaper, kbps) =
            if up { (&mut s.uplink, access.uplink_kbps) } else { (&mut s.downlink, access.downlink_kbps) };
        match shaper.admit(now, bytes, kbps) {
            Ok(left) => Some(left),
            Err(waited) => {
                let reason = format!(
                    "queue full: {} kbit/s line already {:.0} ms behind (limit {} ms)",
                    kbps.unwrap_or(0),
                    waited.as_secs_f64() * 1000.0,
                    QUEUE_LIMIT.as_millis()
                );
                self.note(now, id, NetEventKind::Dropped { at: line, reason, rule: None });
                None
            }
        }
    }

    fn schedule(&mut self, at: Duration, leg: Leg, datagram: u64, src: SocketAddr, dst: SocketAddr, bytes: Vec<u8>) {
        self.seq += 1;
        self.in_flight.push(Reverse(Flight { at, seq: self.seq, leg, datagram, src, dst, bytes }));
    }

    fn cross_internet(&mut self, now: Duration, id: u64, src: SocketAddr, dst: SocketAddr, bytes: Vec<u8>) {
        if self.link.loss > 0.0 && self.rng.random::<f64>() < self.link.loss {
            self.note(now, id, NetEventKind::Lost { link: "internet".into() });
            return;
        }
        let jitter = if self.link.jitter.is_zero() {
            Duration::ZERO
        } else {
            self.link.jitter.mul_f64(self.rng.random::<f64>())
        };
        self.schedule(now + self.link.latency + jitter, Leg::Public, id, src, dst, bytes);
    }

    /// When the next datagram arrives somewhere, or a NAT mapping may expire.
    pub fn next_event(&self) -> Option<Duration> {
        self.in_flight.peek().map(|Reverse(f)| f.at)
    }

    /// Moves every datagram due by `now` one leg on; hosts' datagrams wait in `deliveries`.
    pub fn advance(&mut self, now: Duration) {
        self.expire_mappings(now);
        while self.in_flight.peek().is_some_and(|Reverse(f)| f.at <= now) {
            let Reverse(f) = self.in_flight.pop().expect("peeked");
            match f.leg {
                Leg::Nat(site) => self.at_nat_from_inside(site, f),
                Leg::Public => self.at_public(f),
                Leg::Host(_) => {
                    if self.trace_datagrams {
                        let what = classify::describe(&f.bytes);
                        self.note(f.at, f.datagram, NetEventKind::Delivered { to: f.dst, from: f.src, what });
                    }
                    self.deliveries.push_back(Delivery { at: f.at, to: f.dst, from: f.src, bytes: f.bytes });
                }
            }
        }
    }

    fn expire_mappings(&mut self, now: Duration) {
        let mut expired = Vec::new();
        for site in &mut self.sites {
            if let Some(nat) = site.nat.as_mut() {
                for b in nat.expire(now) {
                    expired.push(NetEventKind::MappingExpired {
                        nat: format!("NAT {}", site.name),
                        inside: b.inside,
                        outside: b.outside,
                    });
                }
            }
        }
        for kind in expired {
            self.note(now, 0, kind);
        }
    }

    fn at_nat_from_inside(&mut self, site: usize, f: Flight) {
        let name = format!("NAT {}", self.sites[site].name);
        let nat = self.sites[site].nat.as_mut().expect("only NATed sites route through a NAT");
        let hairpin = IpAddr::V4(nat.outside_ip) == f.dst.ip();
        if hairpin && !nat.behaviour.hairpin {
            let rule = DropRule::HairpinOff;
            self.note(f.at, f.datagram, NetEventKind::Dropped { at: name, reason: rule.explain(), rule: Some(rule) });
            return;
        }
        match nat.outbound(f.src, f.dst, f.at) {
            Err(rule) => {
                self.note(
                    f.at,
                    f.datagram,
                    NetEventKind::Dropped { at: name, reason: rule.explain(), rule: Some(rule) },
                );
            }
            Ok(out) => {
                let outside = out.outside();
                let created = matches!(out, Outbound::Created { .. });
                self.note(
                    f.at,
                    f.datagram,
                    NetEventKind::Translated {
                        nat: name,
                        inside: f.src,
                        outside,
                        remote: f.dst,
                        created,
                        outbound: true,
                    },
                );
                if hairpin {
                    // RFC 4787 REQ-9: back in through the outside address, seen from `outside`.
                    self.schedule(f.at, Leg::Public, f.datagram, outside, f.dst, f.bytes);
                } else {
                    self.cross_internet(f.at, f.datagram, outside, f.dst, f.bytes);
                }
            }
        }
    }

    fn at_public(&mut self, f: Flight) {
        let IpAddr::V4(dst_ip) = f.dst.ip() else {
            return self.drop_public(f, "IPv6 is not simulated");
        };
        if let Some(site) = self.site_of_outside(f.dst.ip()) {
            let name = format!("NAT {}", self.sites[site].name);
            let nat = self.sites[site].nat.as_ref().expect("outside address of a NAT");
            match nat.inbound(f.src, f.dst.port()) {
                Ok(inside) => {
                    let Some(at) = self.through_access(f.at, f.datagram, site, false, f.bytes.len()) else { return };
                    self.note(
                        f.at,
                        f.datagram,
                        NetEventKind::Translated {
                            nat: name,
                            inside,
                            outside: f.dst,
                            remote: f.src,
                            created: false,
                            outbound: false,
                        },
                    );
                    self.schedule(at + LAN_LATENCY, Leg::Host(site), f.datagram, f.src, inside, f.bytes);
                }
                Err(rule) => {
                    self.note(
                        f.at,
                        f.datagram,
                        NetEventKind::Dropped { at: name, reason: rule.explain(), rule: Some(rule) },
                    );
                }
            }
            return;
        }
        if let Some(site) = self.site_of_host(f.dst.ip())
            && self.sites[site].nat.is_none()
        {
            let Some(at) = self.through_access(f.at, f.datagram, site, false, f.bytes.len()) else { return };
            return self.schedule(at, Leg::Host(site), f.datagram, f.src, f.dst, f.bytes);
        }
        if let Some(stun) = self.stun
            && stun.serves(f.dst)
        {
            match stun.answer(&f.bytes, f.src, f.dst) {
                Ok((source, reply)) => {
                    let what = classify::describe(&f.bytes);
                    self.note(f.at, f.datagram, NetEventKind::Delivered { to: f.dst, from: f.src, what });
                    self.send(f.at, source, f.src, reply);
                }
                Err(e) => self.drop_public(f, &format!("STUN server ignored it: {e}")),
            }
            return;
        }
        if let Some(turn) = self.turn.as_mut()
            && turn.owns(f.dst)
        {
            let out = turn.receive(f.at, f.src, f.dst, &f.bytes);
            let what = classify::describe(&f.bytes);
            self.note(f.at, f.datagram, NetEventKind::Delivered { to: f.dst, from: f.src, what });
            for note in out.notes {
                self.note(f.at, f.datagram, NetEventKind::ServerNote { server: "TURN server".into(), note });
            }
            for note in out.refused {
                self.note(
                    f.at,
                    f.datagram,
                    NetEventKind::Dropped { at: "TURN server".into(), reason: note, rule: None },
                );
            }
            for (from, to, bytes) in out.sends {
                self.send(f.at, from, to, bytes);
            }
            return;
        }
        if is_private(dst_ip) {
            return self.drop_public(f, "a private address is not routable on the internet");
        }
        self.drop_public(f, "no host has this address")
    }

    fn drop_public(&mut self, f: Flight, reason: &str) {
        self.note(f.at, f.datagram, NetEventKind::Dropped { at: "internet".into(), reason: reason.into(), rule: None });
    }

    /// The next datagram that reached a host.
    pub fn poll_delivery(&mut self) -> Option<Delivery> {
        self.deliveries.pop_front()
    }

    /// Gives the TURN server its timers (allocation, permission and channel lifetimes).
    pub fn handle_server_timeouts(&mut self, now: Duration) {
        let Some(turn) = self.turn.as_mut() else { return };
        turn.expire(now);
        for note in turn.take_notes() {
            self.note(now, 0, NetEventKind::ServerNote { server: "TURN server".into(), note });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn internet(spec: &str) -> Internet {
        let mut net = Internet::new(LinkConditions::default(), 1);
        net.add_site("A", spec.parse().unwrap(), Ipv4Addr::new(10, 0, 1, 2), Ipv4Addr::new(203, 0, 113, 1), 1);
        net.stun = Some(StunServer::new(Ipv4Addr::new(192, 0, 2, 10), Ipv4Addr::new(192, 0, 2, 11)));
        net
    }

    fn run(net: &mut Internet, until: Duration) -> Vec<Delivery> {
        let mut now = Duration::ZERO;
        while let Some(t) = net.next_event().filter(|t| *t <= until) {
            now = t;
            net.advance(now);
        }
        let _ = now;
        std::iter::from_fn(|| net.poll_delivery()).collect()
    }

    fn binding_request() -> Vec<u8> {
        use rtc::stun::message::{BINDING_REQUEST, Message, TransactionId};
        let mut m = Message::new();
        m.build(&[Box::new(TransactionId::new()), Box::new(BINDING_REQUEST)]).unwrap();
        m.raw
    }

    #[test]
    fn a_binding_request_crosses_the_nat_and_the_reply_comes_back_translated() {
        let mut net = internet("port-restricted");
        net.send(Duration::ZERO, a("10.0.1.2:5000"), a("192.0.2.10:3478"), binding_request());
        let got = run(&mut net, Duration::from_secs(1));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].to, a("10.0.1.2:5000"));
        assert_eq!(got[0].from, a("192.0.2.10:3478"));
        // 1 ms LAN + 20 ms internet, twice.
        assert_eq!(got[0].at, Duration::from_millis(42));
        let kinds: Vec<&str> = net
            .trace()
            .iter()
            .map(|e| match &e.kind {
                NetEventKind::Sent { .. } => "sent",
                NetEventKind::Translated { created: true, .. } => "mapped",
                NetEventKind::Translated { .. } => "translated",
                NetEventKind::Delivered { .. } => "delivered",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["sent", "mapped", "delivered", "sent", "translated", "delivered"]);
    }

    #[test]
    fn a_stranger_is_dropped_by_the_filter_and_the_trace_names_the_rule() {
        let mut net = internet("port-restricted");
        net.send(Duration::ZERO, a("10.0.1.2:5000"), a("192.0.2.10:3478"), binding_request());
        run(&mut net, Duration::from_secs(1));
        net.send(Duration::from_secs(1), a("192.0.2.10:3479"), a("203.0.113.1:5000"), vec![0xff]);
        assert!(run(&mut net, Duration::from_secs(2)).is_empty());
        let last = net.trace().last().unwrap();
        assert!(matches!(&last.kind, NetEventKind::Dropped { rule: Some(DropRule::Filtered { .. }), .. }), "{last:?}");
    }

    #[test]
    fn hairpinning_loops_back_through_the_outside_address_or_is_dropped_when_off() {
        for (spec, arrives) in [("full-cone", true), ("eim-eif,hairpin=off", false)] {
            let mut net = internet(spec);
            // Open a mapping for the inside host, then send to it from inside via the outside address.
            net.send(Duration::ZERO, a("10.0.1.2:5000"), a("192.0.2.10:3478"), binding_request());
            run(&mut net, Duration::from_secs(1));
            net.send(Duration::from_secs(1), a("10.0.1.2:6000"), a("203.0.113.1:5000"), vec![0xff]);
            let got = run(&mut net, Duration::from_secs(2));
            assert_eq!(got.len(), usize::from(arrives), "{spec}");
            if arrives {
                assert_eq!(got[0].to, a("10.0.1.2:5000"));
                assert_eq!(got[0].from.ip(), "203.0.113.1".parse::<IpAddr>().unwrap(), "seen from the outside address");
            }
        }
    }

    #[test]
    fn private_destinations_are_not_routed_on_the_internet() {
        let mut net = internet("none");
        net.sites[0].host_ip = Ipv4Addr::new(203, 0, 113, 10);
        net.send(Duration::ZERO, a("203.0.113.10:5000"), a("10.9.9.9:5000"), vec![0xff]);
        run(&mut net, Duration::from_secs(1));
        assert!(
            matches!(&net.trace().last().unwrap().kind, NetEventKind::Dropped { reason, .. } if reason.contains("private"))
        );
    }

    #[test]
    fn loss_is_seeded() {
        let lossy = LinkConditions { loss: 0.5, ..LinkConditions::default() };
        let lost = |seed| {
            let mut net = Internet::new(lossy, seed);
            for i in 0..100 {
                net.send(Duration::from_millis(i), a("198.51.100.1:1"), a("198.51.100.2:1"), vec![0xff]);
            }
            net.trace().iter().filter(|e| matches!(e.kind, NetEventKind::Lost { .. })).count()
        };
        assert_eq!(lost(3), lost(3));
        assert!((30..70).contains(&lost(3)), "{}", lost(3));
    }
}
