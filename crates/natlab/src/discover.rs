//! NAT behaviour discovery (RFC 5780 §4.3, §4.4) against the lab's STUN server, the way
//! `stunclient --mode full` does it, over the simulated internet: the learner sees what the
//! NAT they chose looks like from outside. The mapping tests use one socket, the filtering
//! tests a fresh one that has only ever talked to the primary address, so the first tests
//! cannot open the filter for the later ones.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use rtc::stun::addr::MappedAddress;
use rtc::stun::attributes::{ATTR_CHANGE_REQUEST, ATTR_OTHER_ADDRESS};
use rtc::stun::message::{BINDING_REQUEST, BINDING_SUCCESS, Getter, Message, TransactionId};
use rtc::stun::xoraddr::XorMappedAddress;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::nat::{Filtering, Mapping, NatSpec};
use crate::net::{Internet, LinkConditions};
use crate::session::addresses::*;
use crate::stun_server::{CHANGE_IP, CHANGE_PORT, StunServer};

/// One request of the procedure and what came back.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DiscoveryStep {
    pub test: String,
    #[ts(as = "String")]
    pub from: SocketAddr,
    #[ts(as = "String")]
    pub to: SocketAddr,
    pub change_request: String,
    /// The mapped address in the answer, if one came.
    #[ts(as = "Option<String>")]
    pub mapped: Option<SocketAddr>,
    #[ts(as = "Option<String>")]
    pub answered_from: Option<SocketAddr>,
}

/// `nat_discover`: the NAT to look at from outside.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NatDiscoverRequest {
    pub nat: String,
    #[serde(default)]
    #[ts(type = "number")]
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Discovery {
    pub nat: String,
    pub steps: Vec<DiscoveryStep>,
    /// `None` when there is no NAT or nothing came back.
    pub mapping: Option<Mapping>,
    pub filtering: Option<Filtering>,
    pub no_nat: bool,
    pub udp_blocked: bool,
    pub conclusion: String,
}

/// How long to wait for each answer, with retransmissions at these offsets.
const RETRANSMIT_AT: [Duration; 3] = [Duration::ZERO, Duration::from_millis(250), Duration::from_millis(750)];
const WAIT: Duration = Duration::from_millis(1750);

struct Prober {
    net: Internet,
    now: Duration,
}

impl Prober {
    /// Sends a Binding request (retransmitting) and returns the answer's mapped and source address.
    fn ask(
        &mut self,
        from: SocketAddr,
        to: SocketAddr,
        change: u32,
    ) -> (Option<SocketAddr>, Option<SocketAddr>, Option<SocketAddr>) {
        let tid = TransactionId::new();
        let mut m = Message::new();
        m.build(&[Box::new(tid), Box::new(BINDING_REQUEST)]).expect("a Binding request encodes");
        if change != 0 {
            m.add(ATTR_CHANGE_REQUEST, &change.to_be_bytes());
            m.write_length();
        }
        let start = self.now;
        let mut next = 0;
        let deadline = start + WAIT;
        loop {
            if next < RETRANSMIT_AT.len() && start + RETRANSMIT_AT[next] <= self.now {
                self.net.send(self.now, from, to, m.raw.clone());
                next += 1;
            }
            while let Some(d) = self.net.poll_delivery() {
                if d.to != from {
                    continue;
                }
                let mut r = Message::new();
                if r.unmarshal_binary(&d.bytes).is_ok() && r.typ == BINDING_SUCCESS && r.transaction_id == tid {
                    let mut x = XorMappedAddress::default();
                    let mut other = MappedAddress::default();
                    let mapped = x.get_from(&r).ok().map(|_| SocketAddr::new(x.ip, x.port));
                    let other =
                        other.get_from_as(&r, ATTR_OTHER_ADDRESS).ok().map(|_| SocketAddr::new(other.ip, other.port));
                    return (mapped, Some(d.from), other);
                }
            }
            let retransmit = RETRANSMIT_AT.get(next).map(|t| start + *t);
            let wake =
                [self.net.next_event(), retransmit, Some(deadline)].into_iter().flatten().min().expect("deadline");
            if wake >= deadline && self.net.next_event().is_none_or(|t| t > deadline) {
                self.now = deadline;
                return (None, None, None);
            }
            self.now = self.now.max(wake);
            self.net.advance(self.now);
        }
    }
}

fn flags(change: u32) -> String {
    match change {
        0 => "none".into(),
        CHANGE_PORT => "change port".into(),
        CHANGE_IP => "change IP".into(),
        _ => "change IP and port".into(),
    }
}

pub fn discover(spec: NatSpec, seed: u64) -> Discovery {
    let mut net = Internet::new(LinkConditions::default(), seed);
    let host_ip = if spec.behaviour().is_some() { HOST_A_PRIVATE } else { HOST_A_PUBLIC };
    net.add_site("A", spec, host_ip, NAT_A, seed);
    let server = StunServer::new(STUN_PRIMARY, STUN_OTHER);
    net.stun = Some(server);
    let mut p = Prober { net, now: Duration::ZERO };
    let mut steps = Vec::new();
    let mut step = |p: &mut Prober, test: &str, from: SocketAddr, to: SocketAddr, change: u32| {
        let (mapped, answered_from, other) = p.ask(from, to, change);
        steps.push(DiscoveryStep { test: test.into(), from, to, change_request: flags(change), mapped, answered_from });
        (mapped, other)
    };
    let local = SocketAddr::new(IpAddr::V4(host_ip), PEER_PORT);
    let primary = server.primary;
    let (x1, other) = step(&mut p, "mapping test I", local, primary, 0);
    let nat = spec.to_string();
    let Some(x1) = x1 else {
        return Discovery {
            nat,
            steps,
            mapping: None,
            filtering: None,
            no_nat: false,
            udp_blocked: true,
            conclusion: "no answer to any Binding request: UDP is blocked (or the STUN server is unreachable)".into(),
        };
    };
    let other = other.unwrap_or(server.other);
    let no_nat = x1 == local;
    let mapping = if no_nat {
        None
    } else {
        let (x2, _) = step(&mut p, "mapping test II", local, SocketAddr::new(other.ip(), primary.port()), 0);
        if x2 == Some(x1) {
            Some(Mapping::EndpointIndependent)
        } else {
            let (x3, _) = step(&mut p, "mapping test III", local, other, 0);
            if x3 == x2 { Some(Mapping::AddressDependent) } else { Some(Mapping::AddressAndPortDependent) }
        }
    };
    let fresh = SocketAddr::new(IpAddr::V4(host_ip), PEER_PORT + 1);
    step(&mut p, "filtering test I", fresh, primary, 0);
    let (f2, _) = step(&mut p, "filtering test II", fresh, primary, CHANGE_IP | CHANGE_PORT);
    let filtering = if f2.is_some() {
        Some(Filtering::EndpointIndependent)
    } else {
        let (f3, _) = step(&mut p, "filtering test III", fresh, primary, CHANGE_PORT);
        Some(if f3.is_some() { Filtering::AddressDependent } else { Filtering::AddressAndPortDependent })
    };
    let conclusion = match (no_nat, mapping, filtering) {
        (true, _, Some(Filtering::EndpointIndependent)) => {
            "no NAT: the server saw the host's own address, and answers from anywhere arrive".into()
        }
        (true, _, _) => "no NAT, but a firewall filters what comes in".into(),
        (false, Some(m), Some(f)) => format!("the NAT {} ({}) and {} ({})", m.words(), m.short(), f.words(), f.short()),
        _ => "inconclusive".into(),
    };
    Discovery { nat, steps, mapping, filtering: filtering.filter(|_| !no_nat), no_nat, udp_blocked: false, conclusion }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_reports_the_configured_behaviour_of_every_preset_and_grid_point() {
        for spec in crate::nat::PRESETS.iter().map(|p| p.to_string()).chain(
            Mapping::ALL
                .iter()
                .flat_map(|m| Filtering::ALL.iter().map(move |f| format!("{}-{}", m.short(), f.short()))),
        ) {
            let nat: NatSpec = spec.parse().unwrap();
            let d = discover(nat, 3);
            match nat.behaviour() {
                None => assert!(d.no_nat && d.mapping.is_none(), "{spec}: {d:?}"),
                Some(b) if b.blocks_udp => assert!(d.udp_blocked, "{spec}"),
                Some(b) => {
                    assert_eq!(d.mapping, Some(b.mapping), "{spec}: {:?}", d.steps);
                    assert_eq!(d.filtering, Some(b.filtering), "{spec}: {:?}", d.steps);
                }
            }
        }
    }
}
