//! "Why did they (not) connect directly?" — a plain-language explanation built from the run's
//! trace by one rule per situation: what each NAT does, which of its rules dropped which
//! checks, what ICE learned, and, when the path went through TURN, what the relay cost.
//! Every sentence is derived from the report; nothing is said that the run did not show.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::net::NetEventKind;
use crate::session::{Outcome, RunReport, SimEventKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Why {
    /// One sentence: what happened.
    pub headline: String,
    /// The reasons, in the order they matter.
    pub reasons: Vec<String>,
    /// What would make it work (failed runs) or work directly (relayed runs).
    pub fix: Option<String>,
    /// What the relay cost (relayed runs).
    pub cost: Option<String>,
}

/// Dropped connectivity checks, per place and rule text.
fn dropped_checks(r: &RunReport) -> BTreeMap<(String, String), usize> {
    let mut what: BTreeMap<u64, String> = BTreeMap::new();
    let mut drops = BTreeMap::new();
    for e in &r.events {
        if let SimEventKind::Net { datagram, event } = &e.kind {
            match event {
                NetEventKind::Sent { what: w, .. } => {
                    what.insert(*datagram, w.clone());
                }
                NetEventKind::Dropped { at, reason, .. }
                    if what.get(datagram).is_some_and(|w| w.contains("ICE check")) =>
                {
                    *drops.entry((at.clone(), short_reason(reason))).or_insert(0) += 1;
                }
                _ => {}
            }
        }
    }
    drops
}

/// The rule without the addresses that vary per datagram.
fn short_reason(reason: &str) -> String {
    match reason.split_once(':') {
        Some((head, _)) if head.starts_with("filtered") => head.to_string(),
        _ => reason.to_string(),
    }
}

fn udp_blocked_side(r: &RunReport) -> Option<&str> {
    r.peers.iter().find(|p| p.nat == "udp-blocked" || p.nat.contains("udp=blocked")).map(|p| p.name.as_str())
}

pub fn explain(r: &RunReport) -> Why {
    let mut why = explain_network(r);
    if let Some(story) = crate::why_sdp::story(r) {
        // The edit is the first thing to know; the NAT lines stay as context.
        let at = why.reasons.len().min(2);
        why.reasons.splice(at..at, story.reasons);
        if let Some(headline) = story.headline {
            why.headline = headline;
        }
        if story.fix.is_some() {
            why.fix = story.fix;
        }
    }
    why
}

fn explain_network(r: &RunReport) -> Why {
    let [a, b] = &r.peers;
    let nat_line = |p: &crate::session::PeerReport| format!("NAT {} ({}) {}.", p.name, p.nat, p.nat_words);
    let mut reasons = vec![nat_line(a), nat_line(b)];
    for p in &r.peers {
        for n in p.gathering_notes.iter().chain(&p.problems) {
            let line = format!("{}: {n}.", p.name);
            if !reasons.contains(&line) {
                reasons.push(line);
            }
        }
    }
    let refused_401 = r.peers.iter().any(|p| p.problems.iter().any(|x| x.contains("401")));
    if refused_401 {
        reasons.push(
            "The TURN server answered Allocate with 401 Unauthorized: the MESSAGE-INTEGRITY the peer computed from username, realm and password did not match, so it allocated nothing and there was no relayed candidate."
                .into(),
        );
    }
    let drops = dropped_checks(r);
    let drop_lines: Vec<String> = drops
        .iter()
        .map(|((at, rule), n)| {
            let plural = if *n == 1 { "" } else { "s" };
            if rule.contains("private address") {
                format!("The internet dropped {n} check{plural} sent to the other peer's host candidate: {rule}.")
            } else {
                format!("{at} dropped {n} connectivity check{plural}: {rule}.")
            }
        })
        .collect();
    // The pair as seen by the peer whose view shows the outcome (the most relayed type).
    let most_relayed = |p: &crate::session::PeerReport| p.selected.as_ref().map(|(l, rm)| l.typ.max(rm.typ));
    let selected = if most_relayed(b) > most_relayed(a) {
        b.selected.as_ref()
    } else {
        a.selected.as_ref().or(b.selected.as_ref())
    };
    let path = selected
        .map(|(l, rm)| format!("{} {} ↔ {} {}", l.typ.name(), l.addr(), rm.typ.name(), rm.addr()))
        .unwrap_or_default();
    match r.outcome {
        Outcome::Host => Why {
            headline: format!("Connected directly between the host addresses ({path})."),
            reasons: {
                reasons.push(
                    "Neither peer is behind a NAT, so each one's own address is reachable from the other.".into(),
                );
                reasons
            },
            fix: None,
            cost: None,
        },
        Outcome::Srflx => {
            reasons.push(format!(
                "The selected pair is {path}: a server-reflexive address, the mapping the STUN server saw, was also the mapping the checks used, because the NAT keeps one outside port per inside socket."
            ));
            let filters = r.peers.iter().any(|p| {
                p.nat
                    .parse::<crate::nat::NatSpec>()
                    .ok()
                    .and_then(|s| s.behaviour().map(|b| b.filtering))
                    .is_some_and(|f| f != crate::nat::Filtering::EndpointIndependent)
            });
            if filters {
                reasons.push(
                    "Both peers sent checks at the same time, so each filtering NAT had already sent to the other side when the other side's checks arrived: the filters let them in."
                        .into(),
                );
            }
            reasons.extend(drop_lines);
            Why { headline: format!("Connected directly through the NATs ({path})."), reasons, fix: None, cost: None }
        }
        Outcome::Prflx => {
            let learned: Vec<String> = r
                .peers
                .iter()
                .filter_map(|p| {
                    p.selected.as_ref().filter(|(_, rm)| rm.typ == crate::candidate::CandidateType::Prflx).map(|(_, rm)| {
                        format!(
                            "{} learned {} from the checks themselves (peer-reflexive): the other NAT sent them from a new port for this destination, one that no STUN server saw and nobody signalled.",
                            p.name,
                            rm.addr()
                        )
                    })
                })
                .collect();
            reasons.extend(learned);
            reasons.extend(drop_lines);
            Why {
                headline: format!("Connected directly, on an address learned during the checks ({path})."),
                reasons,
                fix: None,
                cost: None,
            }
        }
        Outcome::Relay => {
            reasons.extend(drop_lines);
            reasons.push(format!("Every direct pair failed, so ICE selected the relayed pair {path}."));
            let rtt = r
                .peers
                .iter()
                .flat_map(|p| p.pairs.iter())
                .filter(|p| p.nominated && p.rtt_ms > 0.0)
                .map(|p| p.rtt_ms)
                .next();
            let direct_rtt = 2.0 * (2.0 * crate::net::LAN_LATENCY.as_secs_f64() * 1000.0 + r.latency_ms);
            let cost = format!(
                "Every datagram now crosses the TURN server: it relayed {} bytes in this run{}, and connecting took {:.0} ms because ICE waits before it accepts a relayed pair, hoping for a direct one.",
                r.relayed_bytes,
                rtt.map(|x| format!(", the relayed round trip measured {x:.0} ms where a direct path on these links takes {direct_rtt:.0} ms")).unwrap_or_default(),
                r.connect_ms.unwrap_or(0.0)
            );
            Why {
                headline: format!("Connected through the TURN relay ({path})."),
                reasons,
                fix: Some("A direct path needs at least one side whose NAT keeps one port per socket (endpoint-independent mapping) or lets strangers in (endpoint-independent filtering).".into()),
                cost: Some(cost),
            }
        }
        Outcome::Failed => {
            let fix;
            if let Some(side) = udp_blocked_side(r) {
                reasons.push(format!(
                    "{side}'s network drops every outgoing UDP datagram: not even its STUN request got out, and WebRTC's checks and media are UDP."
                ));
                fix = Some("Real deployments reach such networks with TURN over TCP or TLS on port 443; this lab relays over UDP only, so no setting here connects this pair.".into());
            } else {
                reasons.extend(drop_lines);
                let learned: usize = r
                    .peers
                    .iter()
                    .map(|p| {
                        p.remote_candidates.iter().filter(|c| c.typ == crate::candidate::CandidateType::Prflx).count()
                    })
                    .sum();
                if learned > 4 {
                    reasons.push(format!(
                        "The checks did get in, each from a new port: both NATs open a new port per destination and let anyone in, so the peers learned {learned} peer-reflexive addresses, but every answer came back from a different port than the one checked, and ICE only accepts an answer from the address it checked (RFC 8445 §7.2.5.2.1)."
                    ));
                }
                let filtered = drops.keys().any(|(at, rule)| at.starts_with("NAT") && rule.starts_with("filtered"));
                let both_behind_nats = r.peers.iter().all(|p| p.nat != "none");
                if filtered && !both_behind_nats {
                    reasons.push(
                        "The NAT dropped the other peer's checks: a filter passes a check only from an address and port its inside host has already sent to."
                            .into(),
                    );
                } else if filtered {
                    reasons.push(
                        "Neither NAT let the other's checks in: a check only passes a filter that has seen the inside host send to exactly where the check comes from, and a NAT that opens a new port per destination never sends from the port the other side expects."
                            .into(),
                    );
                }
                fix = Some(if refused_401 {
                    "Give the peers the TURN server's credentials (the lab's server knows user `learner`, password `secret`).".into()
                } else if r.turn {
                    "The TURN relay did not work either (see the reasons above): check the TURN credentials and that both peers reach the server.".into()
                } else {
                    "No TURN server was configured: add TURN (--turn) and the peers will relay through it.".into()
                });
            }
            Why {
                headline: if r.timed_out {
                    "No connection before the deadline.".into()
                } else {
                    "No connection: ICE failed on every candidate pair.".into()
                },
                reasons,
                fix,
                cost: None,
            }
        }
    }
}
