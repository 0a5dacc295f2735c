//! One NAT as RFC 4787 describes it: mapping behaviour and filtering behaviour are two
//! independent choices (each endpoint-independent, address-dependent or
//! address-and-port-dependent), plus port assignment, hairpinning and a binding lifetime that
//! runs on the simulation clock (the caller passes `now`; nothing here reads a wall clock).
//!
//! Written by hand: no crate models a NAT without also owning sockets and time. The shape
//! (pick the outgoing source for `(inside, remote, now)`, pick the inside destination for
//! `(remote, outside port, now)`) follows tailscale's natlab; unlike pion's vnet, a mapping is
//! keyed by the mapping behaviour only, and filtering is checked against what that mapping
//! has sent to.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// How a NAT chooses the outside address for packets from one inside address (RFC 4787 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, PartialOrd, Ord, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Mapping {
    /// One outside address per inside address, whatever the destination (`eim`).
    EndpointIndependent,
    /// A new outside address per destination IP (`adm`).
    AddressDependent,
    /// A new outside address per destination IP and port (`apdm`).
    AddressAndPortDependent,
}

/// Which outside senders a NAT lets through to a mapping (RFC 4787 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, PartialOrd, Ord, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Filtering {
    /// Anyone may send to a mapping (`eif`).
    EndpointIndependent,
    /// Only IPs the mapping has sent to (`adf`).
    AddressDependent,
    /// Only IP and port pairs the mapping has sent to (`apdf`).
    AddressAndPortDependent,
}

/// How the outside port of a new mapping is picked (RFC 4787 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortAssignment {
    /// The inside port when it is free, else the next free one.
    Preserving,
    /// A random free port (seeded).
    Random,
}

impl Mapping {
    pub const ALL: [Mapping; 3] =
        [Mapping::EndpointIndependent, Mapping::AddressDependent, Mapping::AddressAndPortDependent];
    pub fn short(self) -> &'static str {
        match self {
            Mapping::EndpointIndependent => "eim",
            Mapping::AddressDependent => "adm",
            Mapping::AddressAndPortDependent => "apdm",
        }
    }
    /// The words a learner reads.
    pub fn words(self) -> &'static str {
        match self {
            Mapping::EndpointIndependent => "keeps one outside port per inside socket",
            Mapping::AddressDependent => "opens a new outside port per destination address",
            Mapping::AddressAndPortDependent => "opens a new outside port per destination address and port",
        }
    }
}

impl Filtering {
    pub const ALL: [Filtering; 3] =
        [Filtering::EndpointIndependent, Filtering::AddressDependent, Filtering::AddressAndPortDependent];
    pub fn short(self) -> &'static str {
        match self {
            Filtering::EndpointIndependent => "eif",
            Filtering::AddressDependent => "adf",
            Filtering::AddressAndPortDependent => "apdf",
        }
    }
    pub fn words(self) -> &'static str {
        match self {
            Filtering::EndpointIndependent => "lets anyone send to an open port",
            Filtering::AddressDependent => "lets in only addresses the inside host has sent to from that port",
            Filtering::AddressAndPortDependent => {
                "lets in only address and port pairs the inside host has sent to from that port"
            }
        }
    }
}

/// One point of RFC 4787's grid, plus the knobs the RFC leaves to the implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NatBehaviour {
    pub mapping: Mapping,
    pub filtering: Filtering,
    pub ports: PortAssignment,
    pub hairpin: bool,
    /// A mapping unused (outbound) for this long is removed.
    #[serde(serialize_with = "as_millis")]
    pub binding_lifetime: Duration,
    /// A firewall rather than a NAT: every outbound UDP datagram is dropped.
    pub blocks_udp: bool,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

/// RFC 4787 REQ-5: a UDP mapping must not expire in less than two minutes.
pub const DEFAULT_BINDING_LIFETIME: Duration = Duration::from_secs(120);

impl NatBehaviour {
    pub fn new(mapping: Mapping, filtering: Filtering) -> Self {
        NatBehaviour {
            mapping,
            filtering,
            ports: if mapping == Mapping::EndpointIndependent {
                PortAssignment::Preserving
            } else {
                PortAssignment::Random
            },
            hairpin: true,
            binding_lifetime: DEFAULT_BINDING_LIFETIME,
            blocks_udp: false,
        }
    }

    /// The one-line description a learner reads.
    pub fn describe(&self) -> String {
        if self.blocks_udp {
            return "drops every outgoing UDP datagram".into();
        }
        format!("{} and {}", self.mapping.words(), self.filtering.words())
    }
}

/// What sits between a peer and the internet: a named preset or a grid point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NatSpec {
    /// No NAT: the peer has a public address.
    None,
    Nat(NatBehaviour),
}

/// The presets, by the names the CLI and the lessons use.
pub const PRESETS: [&str; 6] = ["none", "full-cone", "restricted-cone", "port-restricted", "symmetric", "udp-blocked"];

impl NatSpec {
    pub fn preset(name: &str) -> Option<NatSpec> {
        use Filtering as F;
        use Mapping as M;
        Some(match name {
            "none" => NatSpec::None,
            "full-cone" => NatSpec::Nat(NatBehaviour::new(M::EndpointIndependent, F::EndpointIndependent)),
            "restricted-cone" => NatSpec::Nat(NatBehaviour::new(M::EndpointIndependent, F::AddressDependent)),
            "port-restricted" => NatSpec::Nat(NatBehaviour::new(M::EndpointIndependent, F::AddressAndPortDependent)),
            "symmetric" => NatSpec::Nat(NatBehaviour::new(M::AddressAndPortDependent, F::AddressAndPortDependent)),
            "udp-blocked" => NatSpec::Nat(NatBehaviour {
                blocks_udp: true,
                ..NatBehaviour::new(M::EndpointIndependent, F::AddressAndPortDependent)
            }),
            _ => return None,
        })
    }

    /// The name of the preset this is, if it is one.
    pub fn preset_name(&self) -> Option<&'static str> {
        PRESETS.into_iter().find(|p| NatSpec::preset(p).as_ref() == Some(self))
    }

    pub fn behaviour(&self) -> Option<&NatBehaviour> {
        match self {
            NatSpec::None => None,
            NatSpec::Nat(b) => Some(b),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            NatSpec::None => "no NAT: the peer has a public address".into(),
            NatSpec::Nat(b) => b.describe(),
        }
    }
}

impl fmt::Display for NatSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = self.preset_name() {
            return f.write_str(name);
        }
        let b = self.behaviour().expect("`none` is a preset");
        write!(f, "{}-{}", b.mapping.short(), b.filtering.short())?;
        let default = NatBehaviour::new(b.mapping, b.filtering);
        if b.ports != default.ports {
            write!(f, ",ports={}", if b.ports == PortAssignment::Random { "random" } else { "preserving" })?;
        }
        if b.hairpin != default.hairpin {
            write!(f, ",hairpin={}", if b.hairpin { "on" } else { "off" })?;
        }
        if b.binding_lifetime != default.binding_lifetime {
            write!(f, ",lifetime={}s", b.binding_lifetime.as_secs())?;
        }
        if b.blocks_udp {
            f.write_str(",udp=blocked")?;
        }
        Ok(())
    }
}

/// A NAT description that could not be read, with what would have been accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem} in NAT `{input}`: {allowed}")]
pub struct NatSpecError {
    pub input: String,
    pub problem: String,
    pub allowed: String,
}

const GRID_HELP: &str = "use a preset (none, full-cone, restricted-cone, port-restricted, symmetric, \
udp-blocked) or a grid point MAPPING-FILTERING with MAPPING one of eim, adm, apdm and FILTERING \
one of eif, adf, apdf (e.g. apdm-eif), optionally followed by ,ports=preserving|random \
,hairpin=on|off ,lifetime=SECONDSs";

impl FromStr for NatSpec {
    type Err = NatSpecError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |problem: String| NatSpecError { input: input.to_string(), problem, allowed: GRID_HELP.to_string() };
        let text = input.trim().to_ascii_lowercase();
        let mut parts = text.split(',');
        let head = parts.next().unwrap_or_default();
        let mut behaviour = match NatSpec::preset(head) {
            Some(NatSpec::None) if text.contains(',') => {
                return Err(err("`none` takes no options".into()));
            }
            Some(NatSpec::None) => return Ok(NatSpec::None),
            Some(NatSpec::Nat(b)) => b,
            None => {
                let (m, f) = head.split_once('-').ok_or_else(|| err(format!("unknown preset `{head}`")))?;
                let mapping = Mapping::ALL
                    .into_iter()
                    .find(|x| x.short() == m)
                    .ok_or_else(|| err(format!("unknown mapping `{m}`")))?;
                let filtering = Filtering::ALL
                    .into_iter()
                    .find(|x| x.short() == f)
                    .ok_or_else(|| err(format!("unknown filtering `{f}`")))?;
                NatBehaviour::new(mapping, filtering)
            }
        };
        for option in parts {
            let (key, value) =
                option.split_once('=').ok_or_else(|| err(format!("option `{option}` is not KEY=VALUE")))?;
            match (key, value) {
                ("ports", "preserving") => behaviour.ports = PortAssignment::Preserving,
                ("ports", "random") => behaviour.ports = PortAssignment::Random,
                ("hairpin", "on") => behaviour.hairpin = true,
                ("hairpin", "off") => behaviour.hairpin = false,
                ("udp", "blocked") => behaviour.blocks_udp = true,
                ("lifetime", v) => {
                    let secs: u64 = v
                        .strip_suffix('s')
                        .and_then(|n| n.parse().ok())
                        .filter(|n| *n > 0)
                        .ok_or_else(|| err(format!("lifetime `{v}` is not a number of seconds like 30s")))?;
                    behaviour.binding_lifetime = Duration::from_secs(secs);
                }
                _ => return Err(err(format!("unknown option `{option}`"))),
            }
        }
        Ok(NatSpec::Nat(behaviour))
    }
}

/// The part of the destination a mapping is keyed by (the mapping behaviour decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum MappingKey {
    Any,
    Ip(IpAddr),
    IpPort(SocketAddr),
}

/// One binding: inside address ↔ outside port, with the remotes it has sent to.
#[derive(Debug, Clone, Serialize)]
pub struct Binding {
    pub inside: SocketAddr,
    pub outside: SocketAddr,
    /// The destination this mapping is for (`None` under endpoint-independent mapping).
    pub for_destination: Option<String>,
    /// Remotes this mapping has sent to: what address- and port-dependent filtering admits.
    pub sent_to: Vec<SocketAddr>,
    #[serde(skip)]
    key: MappingKey,
    #[serde(skip)]
    last_outbound: Duration,
}

/// What happened to an outgoing datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    /// Translated from a new mapping.
    Created { outside: SocketAddr },
    /// Translated from an existing mapping.
    Reused { outside: SocketAddr },
}

impl Outbound {
    pub fn outside(&self) -> SocketAddr {
        match self {
            Outbound::Created { outside } | Outbound::Reused { outside } => *outside,
        }
    }
}

/// Why a NAT dropped a datagram: the rule, in words a learner can check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "kebab-case")]
pub enum DropRule {
    /// Outgoing UDP is blocked.
    UdpBlocked,
    /// Nothing is mapped at this outside port.
    NoMapping { port: u16 },
    /// Endpoint-dependent filtering: the mapping never sent to this sender.
    Filtered { filtering: Filtering, port: u16, from: SocketAddr, sent_to: Vec<SocketAddr> },
    /// A packet from inside to the NAT's own outside address, and hairpinning is off.
    HairpinOff,
    /// Every port of the outside address is in use.
    PortsExhausted,
}

impl DropRule {
    pub fn explain(&self) -> String {
        match self {
            DropRule::UdpBlocked => "outgoing UDP is blocked".into(),
            DropRule::NoMapping { port } => format!("no mapping at outside port {port}"),
            DropRule::Filtered { filtering, port, from, sent_to } => {
                let sent: Vec<String> = sent_to.iter().map(|a| a.to_string()).collect();
                let needed = match filtering {
                    Filtering::AddressDependent => format!("{} was never sent to", from.ip()),
                    _ => format!("{from} was never sent to"),
                };
                format!(
                    "filtered ({}): {needed} from port {port} (it sent only to {})",
                    filtering.short(),
                    if sent.is_empty() { "nobody".into() } else { sent.join(", ") }
                )
            }
            DropRule::HairpinOff => "hairpinning is off".into(),
            DropRule::PortsExhausted => "no outside port is free".into(),
        }
    }
}

/// A NAT with its live table.
#[derive(Debug)]
pub struct Nat {
    pub behaviour: NatBehaviour,
    pub outside_ip: Ipv4Addr,
    bindings: BTreeMap<u16, Binding>,
    rng: StdRng,
}

/// Ports a NAT hands out (the dynamic range, RFC 6335).
const PORT_RANGE: std::ops::RangeInclusive<u16> = 49152..=65535;

impl Nat {
    pub fn new(behaviour: NatBehaviour, outside_ip: Ipv4Addr, seed: u64) -> Self {
        Nat { behaviour, outside_ip, bindings: BTreeMap::new(), rng: StdRng::seed_from_u64(seed) }
    }

    fn key_for(&self, remote: SocketAddr) -> MappingKey {
        match self.behaviour.mapping {
            Mapping::EndpointIndependent => MappingKey::Any,
            Mapping::AddressDependent => MappingKey::Ip(remote.ip()),
            Mapping::AddressAndPortDependent => MappingKey::IpPort(remote),
        }
    }

    /// Removes the mappings idle for longer than the lifetime; returns them.
    pub fn expire(&mut self, now: Duration) -> Vec<Binding> {
        let lifetime = self.behaviour.binding_lifetime;
        let stale: Vec<u16> = self
            .bindings
            .iter()
            .filter(|(_, b)| now.saturating_sub(b.last_outbound) > lifetime)
            .map(|(p, _)| *p)
            .collect();
        stale.into_iter().filter_map(|p| self.bindings.remove(&p)).collect()
    }

    /// The outside source for a datagram `inside → remote`, creating or refreshing a mapping.
    pub fn outbound(&mut self, inside: SocketAddr, remote: SocketAddr, now: Duration) -> Result<Outbound, DropRule> {
        if self.behaviour.blocks_udp {
            return Err(DropRule::UdpBlocked);
        }
        let key = self.key_for(remote);
        if let Some(b) = self.bindings.values_mut().find(|b| b.inside == inside && b.key == key) {
            b.last_outbound = now;
            if !b.sent_to.contains(&remote) {
                b.sent_to.push(remote);
            }
            return Ok(Outbound::Reused { outside: b.outside });
        }
        let port = self.free_port(inside.port()).ok_or(DropRule::PortsExhausted)?;
        let outside = SocketAddr::new(IpAddr::V4(self.outside_ip), port);
        self.bindings.insert(
            port,
            Binding {
                inside,
                outside,
                for_destination: match key {
                    MappingKey::Any => None,
                    MappingKey::Ip(ip) => Some(ip.to_string()),
                    MappingKey::IpPort(a) => Some(a.to_string()),
                },
                sent_to: vec![remote],
                key,
                last_outbound: now,
            },
        );
        Ok(Outbound::Created { outside })
    }

    fn free_port(&mut self, inside_port: u16) -> Option<u16> {
        if self.bindings.len() >= PORT_RANGE.len() {
            return None;
        }
        let start = match self.behaviour.ports {
            PortAssignment::Preserving => inside_port,
            PortAssignment::Random => self.rng.random_range(PORT_RANGE),
        };
        if !self.bindings.contains_key(&start) {
            return Some(start);
        }
        // Taken: the next free port of the dynamic range, wrapping.
        let span = PORT_RANGE.len() as u32;
        let first = if PORT_RANGE.contains(&start) { u32::from(start - PORT_RANGE.start()) } else { 0 };
        (1..=span).map(|i| PORT_RANGE.start() + ((first + i) % span) as u16).find(|p| !self.bindings.contains_key(p))
    }

    /// The inside destination for a datagram `remote → outside_port`, or the rule that drops it.
    pub fn inbound(&self, remote: SocketAddr, outside_port: u16) -> Result<SocketAddr, DropRule> {
        let b = self.bindings.get(&outside_port).ok_or(DropRule::NoMapping { port: outside_port })?;
        let admitted = match self.behaviour.filtering {
            Filtering::EndpointIndependent => true,
            Filtering::AddressDependent => b.sent_to.iter().any(|s| s.ip() == remote.ip()),
            Filtering::AddressAndPortDependent => b.sent_to.contains(&remote),
        };
        if admitted {
            Ok(b.inside)
        } else {
            Err(DropRule::Filtered {
                filtering: self.behaviour.filtering,
                port: outside_port,
                from: remote,
                sent_to: b.sent_to.clone(),
            })
        }
    }

    /// The live table, ordered by outside port.
    pub fn bindings(&self) -> impl Iterator<Item = &Binding> {
        self.bindings.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSIDE: &str = "10.0.0.2:5000";
    const R1: &str = "192.0.2.1:3478";
    const R1_OTHER_PORT: &str = "192.0.2.1:3479";
    const R2: &str = "198.51.100.7:3478";

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }
    fn nat(m: Mapping, f: Filtering) -> Nat {
        Nat::new(NatBehaviour::new(m, f), Ipv4Addr::new(203, 0, 113, 1), 7)
    }
    const T0: Duration = Duration::ZERO;

    #[test]
    fn mapping_is_reused_or_changed_as_each_grid_point_says() {
        for m in Mapping::ALL {
            let mut n = nat(m, Filtering::EndpointIndependent);
            let first = n.outbound(a(INSIDE), a(R1), T0).unwrap();
            assert!(matches!(first, Outbound::Created { .. }));
            let same = n.outbound(a(INSIDE), a(R1), T0).unwrap();
            assert_eq!(same, Outbound::Reused { outside: first.outside() }, "{m:?}");
            let other_port = n.outbound(a(INSIDE), a(R1_OTHER_PORT), T0).unwrap().outside();
            let other_ip = n.outbound(a(INSIDE), a(R2), T0).unwrap().outside();
            match m {
                Mapping::EndpointIndependent => {
                    assert_eq!(other_port, first.outside());
                    assert_eq!(other_ip, first.outside());
                }
                Mapping::AddressDependent => {
                    assert_eq!(other_port, first.outside());
                    assert_ne!(other_ip, first.outside());
                }
                Mapping::AddressAndPortDependent => {
                    assert_ne!(other_port, first.outside());
                    assert_ne!(other_ip, first.outside());
                    assert_ne!(other_ip, other_port);
                }
            }
        }
    }

    #[test]
    fn filtering_admits_exactly_what_each_grid_point_says() {
        for f in Filtering::ALL {
            let mut n = nat(Mapping::EndpointIndependent, f);
            let port = n.outbound(a(INSIDE), a(R1), T0).unwrap().outside().port();
            assert_eq!(n.inbound(a(R1), port), Ok(a(INSIDE)), "the remote it sent to, {f:?}");
            let same_ip = n.inbound(a(R1_OTHER_PORT), port);
            let stranger = n.inbound(a(R2), port);
            match f {
                Filtering::EndpointIndependent => {
                    assert!(same_ip.is_ok() && stranger.is_ok());
                }
                Filtering::AddressDependent => {
                    assert!(same_ip.is_ok());
                    assert!(matches!(stranger, Err(DropRule::Filtered { .. })));
                }
                Filtering::AddressAndPortDependent => {
                    assert!(matches!(same_ip, Err(DropRule::Filtered { .. })));
                    assert!(matches!(stranger, Err(DropRule::Filtered { .. })));
                }
            }
            assert_eq!(n.inbound(a(R1), port.wrapping_add(1)), Err(DropRule::NoMapping { port: port + 1 }));
        }
    }

    #[test]
    fn filtering_is_per_mapping_not_per_host() {
        // Under address-dependent mapping, having sent to R2 from another mapping does not
        // open the mapping towards R1 to R2.
        let mut n = nat(Mapping::AddressDependent, Filtering::AddressDependent);
        let p1 = n.outbound(a(INSIDE), a(R1), T0).unwrap().outside().port();
        n.outbound(a(INSIDE), a(R2), T0).unwrap();
        assert!(matches!(n.inbound(a(R2), p1), Err(DropRule::Filtered { .. })));
    }

    #[test]
    fn ports_are_preserved_when_free_and_random_otherwise() {
        let mut n = nat(Mapping::EndpointIndependent, Filtering::EndpointIndependent);
        assert_eq!(n.outbound(a(INSIDE), a(R1), T0).unwrap().outside().port(), 5000);
        // A second inside host with the same port cannot have 5000 again.
        let other = n.outbound(a("10.0.0.3:5000"), a(R1), T0).unwrap().outside().port();
        assert_ne!(other, 5000);
        let mut s = nat(Mapping::AddressAndPortDependent, Filtering::AddressAndPortDependent);
        let p = s.outbound(a(INSIDE), a(R1), T0).unwrap().outside().port();
        assert!(PORT_RANGE.contains(&p));
        let mut again = nat(Mapping::AddressAndPortDependent, Filtering::AddressAndPortDependent);
        assert_eq!(again.outbound(a(INSIDE), a(R1), T0).unwrap().outside().port(), p, "seeded");
    }

    #[test]
    fn bindings_expire_on_the_simulation_clock_and_outbound_refreshes_them() {
        let mut n = nat(Mapping::EndpointIndependent, Filtering::EndpointIndependent);
        n.behaviour.binding_lifetime = Duration::from_secs(30);
        let port = n.outbound(a(INSIDE), a(R1), T0).unwrap().outside().port();
        assert!(n.expire(Duration::from_secs(20)).is_empty());
        n.outbound(a(INSIDE), a(R1), Duration::from_secs(20)).unwrap();
        assert!(n.expire(Duration::from_secs(45)).is_empty(), "refreshed at 20 s");
        let gone = n.expire(Duration::from_secs(51));
        assert_eq!(gone.len(), 1);
        assert_eq!(n.inbound(a(R1), port), Err(DropRule::NoMapping { port }));
        assert!(matches!(n.outbound(a(INSIDE), a(R1), Duration::from_secs(52)), Ok(Outbound::Created { .. })));
    }

    #[test]
    fn udp_blocked_drops_every_outbound_datagram() {
        let NatSpec::Nat(b) = NatSpec::preset("udp-blocked").unwrap() else { panic!() };
        let mut n = Nat::new(b, Ipv4Addr::new(203, 0, 113, 1), 1);
        assert_eq!(n.outbound(a(INSIDE), a(R1), T0), Err(DropRule::UdpBlocked));
    }

    #[test]
    fn presets_and_grid_points_parse_and_print_back() {
        for p in PRESETS {
            let spec: NatSpec = p.parse().unwrap();
            assert_eq!(spec.to_string(), p);
        }
        let s: NatSpec = "apdm-eif,hairpin=off,lifetime=30s".parse().unwrap();
        let b = s.behaviour().unwrap();
        assert_eq!((b.mapping, b.filtering), (Mapping::AddressAndPortDependent, Filtering::EndpointIndependent));
        assert!(!b.hairpin);
        assert_eq!(b.binding_lifetime, Duration::from_secs(30));
        assert_eq!(s.to_string(), "apdm-eif,hairpin=off,lifetime=30s");
        assert_eq!("eim-apdf".parse::<NatSpec>().unwrap().to_string(), "port-restricted");
    }

    #[test]
    fn bad_nat_names_say_what_is_allowed() {
        for (input, problem) in [
            ("cone", "unknown preset `cone`"),
            ("xim-eif", "unknown mapping `xim`"),
            ("eim-zz", "unknown filtering `zz`"),
            ("eim-eif,ports=odd", "unknown option `ports=odd`"),
            ("eim-eif,lifetime=soon", "lifetime `soon`"),
            ("none,hairpin=on", "`none` takes no options"),
        ] {
            let e = input.parse::<NatSpec>().unwrap_err();
            assert!(e.problem.contains(problem), "{input}: {}", e.problem);
            assert!(e.to_string().contains("symmetric") && e.to_string().contains("apdm"));
        }
    }
}
