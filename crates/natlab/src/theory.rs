//! What RFC 4787 and RFC 8445 predict for two peers, without running a WebRTC stack: the
//! NATs (the same RFC 4787 model the simulator uses, unit-tested on its own) and an ideal ICE
//! agent that retries every check until nothing new can happen. Each round, both peers send a
//! check from their host socket to every remote candidate they know (signalled or learned as
//! peer-reflexive); a check that arrives is answered from the receiver's host socket, and
//! the pair is valid when the answer comes back from the address the check was sent to
//! (RFC 8445 §7.2.5.2.1). The measured run must agree with this; where it does not, either
//! the NAT model or the stack is wrong — which is what the matrix test is for.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::candidate::CandidateType;
use crate::nat::{Nat, NatSpec};
use crate::session::{Outcome, addresses::*};

struct Side {
    host: SocketAddr,
    nat: Option<Nat>,
    srflx: Option<SocketAddr>,
    blocked: bool,
}

/// A remote candidate as one side knows it.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Known {
    addr: SocketAddr,
    typ: CandidateType,
}

const T: Duration = Duration::ZERO;

impl Side {
    fn new(
        spec: NatSpec,
        private: std::net::Ipv4Addr,
        public: std::net::Ipv4Addr,
        outside: std::net::Ipv4Addr,
    ) -> Side {
        match spec.behaviour() {
            None => {
                Side { host: SocketAddr::new(IpAddr::V4(public), PEER_PORT), nat: None, srflx: None, blocked: false }
            }
            Some(b) => Side {
                host: SocketAddr::new(IpAddr::V4(private), PEER_PORT),
                nat: Some(Nat::new(*b, outside, 0)),
                srflx: None,
                blocked: b.blocks_udp,
            },
        }
    }

    /// The source a datagram from the host to `to` leaves the site with, if it leaves.
    fn out(&mut self, to: SocketAddr) -> Option<SocketAddr> {
        match self.nat.as_mut() {
            None => Some(self.host),
            Some(n) => n.outbound(self.host, to, T).ok().map(|o| o.outside()),
        }
    }

    /// Whether a datagram from `from` to the public address `to` reaches this host.
    fn admits(&self, from: SocketAddr, to: SocketAddr) -> bool {
        match self.nat.as_ref() {
            None => to == self.host,
            Some(n) => IpAddr::V4(n.outside_ip) == to.ip() && n.inbound(from, to.port()).is_ok(),
        }
    }

    fn candidates(&self) -> Vec<Known> {
        let mut c = vec![Known { addr: self.host, typ: CandidateType::Host }];
        if let Some(s) = self.srflx.filter(|s| *s != self.host) {
            c.push(Known { addr: s, typ: CandidateType::Srflx });
        }
        c
    }
}

/// The outcome theory predicts for `a` × `b`, with or without a TURN server.
pub fn expected(a: NatSpec, b: NatSpec, turn: bool) -> Outcome {
    let mut sides =
        [Side::new(a, HOST_A_PRIVATE, HOST_A_PUBLIC, NAT_A), Side::new(b, HOST_B_PRIVATE, HOST_B_PUBLIC, NAT_B)];
    let stun = SocketAddr::new(IpAddr::V4(STUN_PRIMARY), 3478);
    for s in &mut sides {
        s.srflx = s.out(stun);
    }
    if let Some(direct) = direct(&mut sides) {
        return direct;
    }
    // A relay works when both peers can reach the TURN server over UDP.
    if turn && sides.iter().all(|s| !s.blocked) { Outcome::Relay } else { Outcome::Failed }
}

fn direct(sides: &mut [Side; 2]) -> Option<Outcome> {
    let mut known: [Vec<Known>; 2] = [sides[1].candidates(), sides[0].candidates()];
    // Valid 5-tuples: (checker, remote as the checker knows it, the checker's source as the other side knows it).
    let mut valid: Vec<(Known, CandidateType)> = Vec::new();
    for _round in 0..8 {
        let before = (known[0].len(), known[1].len(), valid.len());
        // Both sides send first (their NATs open), then the checks arrive: ICE retransmits,
        // so a check that a later outbound packet would let through gets through eventually.
        let mut flights = Vec::new();
        for x in 0..2 {
            for r in known[x].clone() {
                if let Some(src) = sides[x].out(r.addr) {
                    flights.push((x, r, src));
                }
            }
        }
        for (x, r, src) in flights {
            let y = 1 - x;
            if !sides[y].admits(src, r.addr) {
                continue;
            }
            let seen_as = match known[y].iter().find(|k| k.addr == src) {
                Some(k) => k.typ,
                None => {
                    known[y].push(Known { addr: src, typ: CandidateType::Prflx });
                    CandidateType::Prflx
                }
            };
            // The answer leaves Y's host for `src`; it must come from `r.addr` and get in.
            if let Some(answer_src) = sides[y].out(src)
                && answer_src == r.addr
                && sides[x].admits(answer_src, src)
                && !valid.iter().any(|(k, t)| *k == r && *t == seen_as)
            {
                valid.push((r, seen_as));
            }
        }
        if before == (known[0].len(), known[1].len(), valid.len()) {
            break;
        }
    }
    // The pair ICE prefers is the one with the most preferred remote types (host > prflx > srflx).
    let pref = |t: CandidateType| match t {
        CandidateType::Host => 3,
        CandidateType::Prflx => 2,
        CandidateType::Srflx => 1,
        CandidateType::Relay => 0,
    };
    valid
        .into_iter()
        .max_by_key(|(r, seen)| (pref(r.typ).min(pref(*seen)), pref(r.typ).max(pref(*seen))))
        .map(|(r, seen)| Outcome::from_type(r.typ.max(seen)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(a: &str, b: &str, turn: bool) -> Outcome {
        expected(a.parse().unwrap(), b.parse().unwrap(), turn)
    }

    /// The classic results, as the NAT-traversal literature states them.
    #[test]
    fn the_classic_pairings_come_out_as_the_literature_says() {
        assert_eq!(e("none", "none", false), Outcome::Host);
        assert_eq!(e("full-cone", "full-cone", false), Outcome::Srflx);
        assert_eq!(e("port-restricted", "port-restricted", false), Outcome::Srflx);
        assert_eq!(e("symmetric", "full-cone", false), Outcome::Prflx);
        assert_eq!(e("symmetric", "restricted-cone", false), Outcome::Prflx);
        assert_eq!(e("symmetric", "port-restricted", false), Outcome::Failed);
        assert_eq!(e("symmetric", "symmetric", false), Outcome::Failed);
        assert_eq!(e("symmetric", "symmetric", true), Outcome::Relay);
        assert_eq!(e("udp-blocked", "none", true), Outcome::Failed);
        assert_eq!(e("none", "symmetric", false), Outcome::Prflx);
        assert_eq!(e("port-restricted", "port-restricted", true), Outcome::Srflx, "TURN is not used when direct works");
    }

    #[test]
    fn the_prediction_is_symmetric_in_the_two_peers() {
        for a in crate::nat::PRESETS {
            for b in crate::nat::PRESETS {
                assert_eq!(e(a, b, false), e(b, a, false), "{a} × {b}");
            }
        }
    }
}
