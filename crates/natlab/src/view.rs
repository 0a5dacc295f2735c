//! What the NAT lab's screens draw, computed here so the app, the browser and the CLI show the
//! same thing: the request a learner fills in (validated, with errors that say how to fix
//! them), and a run turned into flat rows — SDP lines explained, the candidate table, the
//! candidate pairs over time, each NAT's mappings and drops, and one summarised row per event
//! with the lane it belongs on. Exported to TypeScript with ts-rs.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::nat::{NatSpec, PRESETS};
use crate::net::{LinkConditions, NetEventKind};
use crate::session::{RunReport, Scenario, SimEventKind, addresses::*};
use crate::signal::Signal;
use crate::theory;

/// A run as the learner sets it up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NatRunRequest {
    pub nat_a: String,
    pub nat_b: String,
    #[serde(default)]
    pub turn: bool,
    /// The password the peers give the TURN server (default: the right one).
    #[serde(default)]
    pub turn_password: Option<String>,
    #[serde(default = "yes")]
    pub stun: bool,
    #[serde(default = "yes")]
    pub trickle: bool,
    /// An edit to the offer or the answer before it is sent (see `sdp_edit`).
    #[serde(default)]
    pub sdp_edit: Option<crate::sdp_edit::SdpEdit>,
    #[serde(default = "default_latency")]
    pub latency_ms: f64,
    #[serde(default)]
    pub jitter_ms: f64,
    #[serde(default)]
    pub loss_percent: f64,
    #[serde(default = "one")]
    #[ts(type = "number")]
    pub seed: u64,
    /// The learner's prediction, made before the run: will the peers connect directly?
    #[serde(default)]
    pub predicted_direct: Option<bool>,
}

fn yes() -> bool {
    true
}
fn one() -> u64 {
    1
}
fn default_latency() -> f64 {
    20.0
}

impl NatRunRequest {
    /// The scenario, or what is wrong with the request and how to fix it.
    pub fn scenario(&self) -> Result<Scenario, String> {
        let nat = |side: &str, s: &str| s.parse::<NatSpec>().map_err(|e| format!("NAT {side}: {e}"));
        let range = |name: &str, v: f64, max: f64, unit: &str| {
            if v.is_finite() && (0.0..=max).contains(&v) {
                Ok(v)
            } else {
                Err(format!("{name} must be between 0 and {max} {unit}, not {v}"))
            }
        };
        let latency = range("latency", self.latency_ms, 1000.0, "ms")?;
        let jitter = range("jitter", self.jitter_ms, 500.0, "ms")?;
        let loss = range("loss", self.loss_percent, 50.0, "%")?;
        Ok(Scenario {
            nat_a: nat("A", &self.nat_a)?,
            nat_b: nat("B", &self.nat_b)?,
            turn: self.turn,
            turn_password: self.turn_password.clone().unwrap_or_else(|| Scenario::default().turn_password),
            stun: self.stun,
            trickle: self.trickle,
            sdp_edit: self.sdp_edit,
            link: LinkConditions {
                latency: Duration::from_secs_f64(latency / 1000.0),
                jitter: Duration::from_secs_f64(jitter / 1000.0),
                loss: loss / 100.0,
            },
            seed: self.seed,
            deadline: Scenario::default().deadline,
        })
    }
}

/// A preset the learner can pick, with its place in RFC 4787's grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NatPreset {
    pub name: String,
    pub words: String,
    /// `eim`, `adm`, `apdm` (empty for none and udp-blocked).
    pub mapping: String,
    pub filtering: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NatCatalog {
    pub presets: Vec<NatPreset>,
    /// The grid values (`eim`, `adm`, `apdm`) and (`eif`, `adf`, `apdf`).
    pub mappings: Vec<String>,
    pub filterings: Vec<String>,
    pub turn_user: String,
    /// The edits a learner can make to the SDP before it is sent.
    pub sdp_edits: Vec<SdpEditChoice>,
    pub defaults: NatRunRequest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SdpEditChoice {
    pub edit: crate::sdp_edit::SdpEdit,
    pub words: String,
}

pub fn catalog() -> NatCatalog {
    let presets = PRESETS
        .iter()
        .map(|p| {
            let spec = NatSpec::preset(p).expect("preset");
            let (mapping, filtering) = match spec.behaviour() {
                Some(b) if !b.blocks_udp => (b.mapping.short().to_string(), b.filtering.short().to_string()),
                _ => (String::new(), String::new()),
            };
            NatPreset { name: p.to_string(), words: spec.describe(), mapping, filtering }
        })
        .collect();
    NatCatalog {
        presets,
        mappings: crate::nat::Mapping::ALL.iter().map(|m| m.short().to_string()).collect(),
        filterings: crate::nat::Filtering::ALL.iter().map(|f| f.short().to_string()).collect(),
        turn_user: crate::turn_server::TurnConfig::default().users[0].0.clone(),
        sdp_edits: crate::sdp_edit::ALL
            .iter()
            .map(|&edit| SdpEditChoice { edit, words: edit.words().to_string() })
            .collect(),
        defaults: NatRunRequest {
            nat_a: "port-restricted".into(),
            nat_b: "symmetric".into(),
            turn: false,
            turn_password: None,
            stun: true,
            trickle: true,
            sdp_edit: None,
            latency_ms: default_latency(),
            jitter_ms: 0.0,
            loss_percent: 0.0,
            seed: 1,
            predicted_direct: None,
        },
    }
}

/// A prediction scored against the run it was made for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NatPredictionView {
    pub predicted_direct: bool,
    pub measured_direct: bool,
    pub right: bool,
    /// "You said direct; they connected through the TURN relay."
    pub says: String,
}

fn score(predicted_direct: bool, r: &RunReport) -> NatPredictionView {
    let measured_direct = r.outcome.is_direct();
    let how = match r.outcome {
        crate::session::Outcome::Failed => "they did not connect at all".to_string(),
        crate::session::Outcome::Relay => "they connected only through the TURN relay".to_string(),
        o => format!("they connected directly ({} path)", o.name()),
    };
    NatPredictionView {
        predicted_direct,
        measured_direct,
        right: predicted_direct == measured_direct,
        says: format!("You said {}; {how}.", if predicted_direct { "directly" } else { "not directly" }),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NatSideView {
    pub peer: String,
    pub host: String,
    pub nat: String,
    pub words: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WhyView {
    pub headline: String,
    pub reasons: Vec<String>,
    pub fix: Option<String>,
    pub cost: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SdpLineView {
    pub number: u32,
    pub text: String,
    pub section: String,
    pub meaning: String,
}

/// One row of the candidate table (local ones as gathered, remote ones as signalled or learned).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CandidateRowView {
    pub peer: String,
    /// `local` or `remote`.
    pub side: String,
    pub at_ms: f64,
    /// Index of the event that added it.
    pub event: u32,
    #[serde(rename = "type")]
    pub typ: String,
    pub type_words: String,
    pub foundation: String,
    pub component: u32,
    pub protocol: String,
    pub address: String,
    pub port: u32,
    pub priority: u32,
    pub type_preference: u32,
    pub local_preference: u32,
    pub component_part: u32,
    pub related: Option<String>,
}

/// A candidate pair's row as of one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PairRowView {
    pub peer: String,
    pub at_ms: f64,
    pub event: u32,
    pub local: String,
    pub local_type: String,
    pub remote: String,
    pub remote_type: String,
    pub state: String,
    pub nominated: bool,
    pub selected: bool,
    pub requests_sent: u32,
    pub responses_received: u32,
    pub requests_received: u32,
    pub responses_sent: u32,
    pub rtt_ms: f64,
    #[ts(type = "number")]
    pub bytes_sent: u64,
    #[ts(type = "number")]
    pub bytes_received: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MappingRowView {
    pub inside: String,
    pub outside: String,
    /// What the mapping is keyed by: `any` (endpoint-independent), an IP, or IP:port.
    pub for_destination: String,
    pub created_ms: f64,
    pub created_event: u32,
    pub last_used_ms: f64,
    pub expired_ms: Option<f64>,
    /// Remotes it has sent to (what its filter admits), in order.
    pub sent_to: Vec<String>,
    pub packets_out: u32,
    pub packets_in: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DropRowView {
    pub at_ms: f64,
    pub event: u32,
    pub from: String,
    pub to: String,
    pub what: String,
    pub rule: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NatTableView {
    pub nat: String,
    pub behaviour: String,
    pub outside_ip: String,
    pub mappings: Vec<MappingRowView>,
    pub drops: Vec<DropRowView>,
}

/// One datagram's (or signalling message's) way, from the lane it left to the lane where it
/// ended, for the sequence diagram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FlightView {
    pub from_lane: String,
    pub to_lane: String,
    pub sent_ms: f64,
    pub end_ms: f64,
    /// What it is ("STUN Binding request (ICE check)", "DTLS handshake", "offer", …).
    pub what: String,
    /// `check` (STUN/ICE), `turn`, `dtls`, `signal` or `other`: what the diagram can filter on.
    pub family: String,
    /// `delivered`, `dropped` or `lost`.
    pub fate: String,
    /// Why it was dropped.
    pub rule: Option<String>,
    /// The event that sent it.
    pub event: u32,
}

/// One event, summarised, on its lane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NatEventView {
    pub index: u32,
    pub at_ms: f64,
    /// `A`, `NAT A`, `internet`, `servers`, `NAT B`, `B` or `signalling`.
    pub lane: String,
    /// signal, candidate, ice, connection, channel, message, problem, pair, sent, translated,
    /// expired, dropped, lost, delivered, server.
    pub kind: String,
    pub summary: String,
    /// Longer text for the inspector (a signal's JSON, a drop's rule, a pair's counters).
    pub detail: String,
    /// The datagram this event is a step of (0 for others): its steps share the number.
    pub datagram: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NatRunView {
    pub a: NatSideView,
    pub b: NatSideView,
    pub turn: bool,
    pub trickle: bool,
    #[ts(type = "number")]
    pub seed: u64,
    pub latency_ms: f64,
    /// host, srflx, prflx, relay or failed: measured.
    pub outcome: String,
    /// What RFC 4787 theory predicts.
    pub expected: String,
    /// The SDP edit of the run (theory knows nothing of it), e.g. `flip-setup`.
    pub sdp_edit: Option<String>,
    pub connect_ms: Option<f64>,
    pub ran_ms: f64,
    pub timed_out: bool,
    #[ts(type = "number")]
    pub relayed_bytes: u64,
    pub why: WhyView,
    pub offer: Vec<SdpLineView>,
    pub answer: Vec<SdpLineView>,
    pub candidates: Vec<CandidateRowView>,
    /// Every change of every pair, in time order (the table at time t is the last row of each pair up to t).
    pub pair_history: Vec<PairRowView>,
    pub nats: Vec<NatTableView>,
    pub events: Vec<NatEventView>,
    #[ts(type = "number")]
    pub events_dropped: u64,
    /// The lanes, top to bottom.
    pub lanes: Vec<String>,
    /// The learner's prediction, scored against this run (absent when none was made).
    pub prediction: Option<NatPredictionView>,
    /// Every datagram's and signal's way, in the order they were sent.
    pub flights: Vec<FlightView>,
}

fn ms(at_us: u64) -> f64 {
    at_us as f64 / 1000.0
}

/// Which lane an address belongs to.
fn lane_of(addr: &SocketAddr) -> String {
    let IpAddr::V4(ip) = addr.ip() else { return "internet".into() };
    if ip == HOST_A_PRIVATE || ip == HOST_A_PUBLIC {
        "A".into()
    } else if ip == HOST_B_PRIVATE || ip == HOST_B_PUBLIC {
        "B".into()
    } else if ip == NAT_A {
        "NAT A".into()
    } else if ip == NAT_B {
        "NAT B".into()
    } else if ip == STUN_PRIMARY || ip == STUN_OTHER || ip == TURN {
        "servers".into()
    } else {
        "internet".into()
    }
}

fn lane_of_place(at: &str) -> String {
    match at {
        "TURN server" => "servers".into(),
        "NAT A" | "NAT B" => at.into(),
        _ => "internet".into(),
    }
}

/// One event's lane, kind, summary and detail.
pub fn describe(kind: &SimEventKind) -> (String, &'static str, String, String) {
    match kind {
        SimEventKind::Signal { from, to, summary, json } => {
            ("signalling".into(), "signal", format!("{from} → {to}: {summary}"), json.clone())
        }
        SimEventKind::Gathered { peer, candidate } => (
            peer.clone(),
            "candidate",
            format!("gathered {} {}", candidate.typ.name(), candidate.addr()),
            format!("{} candidate: {}", candidate.typ.name(), candidate.typ.words()),
        ),
        SimEventKind::RemoteCandidate { peer, candidate } => (
            peer.clone(),
            "candidate",
            format!(
                "{} remote {} {}",
                if candidate.foundation == "(learned)" { "learned" } else { "added" },
                candidate.typ.name(),
                candidate.addr()
            ),
            format!("{} candidate: {}", candidate.typ.name(), candidate.typ.words()),
        ),
        SimEventKind::GatheringDone { peer, notes } => {
            (peer.clone(), "candidate", "gathering complete".into(), notes.join("\n"))
        }
        SimEventKind::IceState { peer, state } => (peer.clone(), "ice", format!("ICE {state}"), String::new()),
        SimEventKind::ConnectionState { peer, state } => (
            peer.clone(),
            "connection",
            format!("connection {state}"),
            "the peer connection's state: ICE, then DTLS".into(),
        ),
        SimEventKind::DataChannelOpen { peer, label } => (
            peer.clone(),
            "channel",
            format!("data channel `{label}` open"),
            "SCTP over DTLS is up and the channel is negotiated".into(),
        ),
        SimEventKind::Message { peer, text } => (peer.clone(), "message", format!("received {text:?}"), String::new()),
        SimEventKind::Problem { peer, text } => (peer.clone(), "problem", text.clone(), text.clone()),
        SimEventKind::Pair { peer, row } => (
            peer.clone(),
            "pair",
            format!(
                "pair {} ↔ {}: {}{} ({}/{} checks answered)",
                row.local,
                row.remote,
                row.state,
                if row.nominated { ", nominated" } else { "" },
                row.responses_received,
                row.requests_sent
            ),
            format!(
                "local {} {}, remote {} {}\nchecks sent {} / answered {}; received {} / answered {}; rtt {:.0} ms",
                row.local_type,
                row.local,
                row.remote_type,
                row.remote,
                row.requests_sent,
                row.responses_received,
                row.requests_received,
                row.responses_sent,
                row.rtt_ms
            ),
        ),
        SimEventKind::Net { event, .. } => describe_net(event),
    }
}

fn describe_net(e: &NetEventKind) -> (String, &'static str, String, String) {
    match e {
        NetEventKind::Sent { from, to, bytes, what } => {
            (lane_of(from), "sent", format!("{what} → {to}"), format!("{from} → {to}, {bytes} bytes"))
        }
        NetEventKind::Translated { nat, inside, outside, remote, created, outbound } => {
            if *outbound {
                (
                    nat.clone(),
                    "translated",
                    format!("{inside} → {outside} ({})", if *created { "new mapping" } else { "mapping reused" }),
                    format!("outbound to {remote}: source {inside} rewritten to {outside}"),
                )
            } else {
                (
                    nat.clone(),
                    "translated",
                    format!("{outside} → {inside}"),
                    format!("inbound from {remote}: destination {outside} rewritten to {inside}"),
                )
            }
        }
        NetEventKind::MappingExpired { nat, inside, outside } => {
            (nat.clone(), "expired", format!("mapping {inside} ↔ {outside} expired"), String::new())
        }
        NetEventKind::Dropped { at, reason, .. } => {
            (lane_of_place(at), "dropped", format!("dropped: {reason}"), reason.clone())
        }
        NetEventKind::Lost { link } => (
            "internet".into(),
            "lost",
            format!("lost on the {link} link"),
            "a random loss of the simulated link".into(),
        ),
        NetEventKind::Delivered { to, from, what } => {
            (lane_of(to), "delivered", format!("{what} from {from}"), format!("arrived at {to} from {from}"))
        }
        NetEventKind::ServerNote { server, note } => {
            ("servers".into(), "server", format!("{server}: {note}"), note.clone())
        }
    }
}

fn sdp_of(r: &RunReport, offer: bool) -> Vec<SdpLineView> {
    let sdp = r.events.iter().find_map(|e| match &e.kind {
        SimEventKind::Signal { json, .. } => match Signal::from_json(json) {
            Ok(Signal::Offer { sdp }) if offer => Some(sdp),
            Ok(Signal::Answer { sdp }) if !offer => Some(sdp),
            _ => None,
        },
        _ => None,
    });
    crate::sdp::explain(&sdp.unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .map(|l| SdpLineView { number: l.number as u32, text: l.text, section: l.section, meaning: l.meaning })
        .collect()
}

pub fn run_view(r: &RunReport, scenario: &Scenario, predicted_direct: Option<bool>) -> NatRunView {
    let side = |i: usize| {
        let p = &r.peers[i];
        NatSideView { peer: p.name.clone(), host: p.host.to_string(), nat: p.nat.clone(), words: p.nat_words.clone() }
    };
    let mut events = Vec::with_capacity(r.events.len());
    let mut candidates = Vec::new();
    let mut pair_history = Vec::new();
    for (i, e) in r.events.iter().enumerate() {
        let (lane, kind, summary, detail) = describe(&e.kind);
        let datagram = match &e.kind {
            SimEventKind::Net { datagram, .. } => *datagram as u32,
            _ => 0,
        };
        events.push(NatEventView {
            index: i as u32,
            at_ms: ms(e.at_us),
            lane,
            kind: kind.into(),
            summary,
            detail,
            datagram,
        });
        match &e.kind {
            SimEventKind::Gathered { peer, candidate } | SimEventKind::RemoteCandidate { peer, candidate } => {
                let (t, l, c) = candidate.priority_parts();
                candidates.push(CandidateRowView {
                    peer: peer.clone(),
                    side: if matches!(e.kind, SimEventKind::Gathered { .. }) {
                        "local".into()
                    } else {
                        "remote".into()
                    },
                    at_ms: ms(e.at_us),
                    event: i as u32,
                    typ: candidate.typ.name().into(),
                    type_words: candidate.typ.words().into(),
                    foundation: candidate.foundation.clone(),
                    component: candidate.component.into(),
                    protocol: candidate.protocol.clone(),
                    address: candidate.address.clone(),
                    port: candidate.port.into(),
                    priority: candidate.priority,
                    type_preference: t,
                    local_preference: l,
                    component_part: c,
                    related: match (&candidate.related_address, candidate.related_port) {
                        (Some(a), Some(p)) => Some(format!("{a}:{p}")),
                        _ => None,
                    },
                });
            }
            SimEventKind::Pair { peer, row } => {
                let selected =
                    r.peers.iter().find(|p| p.name == *peer).and_then(|p| p.selected.as_ref()).is_some_and(
                        |(l, rm)| l.addr() == row.local.to_string() && rm.addr() == row.remote.to_string(),
                    );
                pair_history.push(PairRowView {
                    peer: peer.clone(),
                    at_ms: ms(e.at_us),
                    event: i as u32,
                    local: row.local.to_string(),
                    local_type: row.local_type.clone(),
                    remote: row.remote.to_string(),
                    remote_type: row.remote_type.clone(),
                    state: row.state.clone(),
                    nominated: row.nominated,
                    selected,
                    requests_sent: row.requests_sent as u32,
                    responses_received: row.responses_received as u32,
                    requests_received: row.requests_received as u32,
                    responses_sent: row.responses_sent as u32,
                    rtt_ms: row.rtt_ms,
                    bytes_sent: row.bytes_sent,
                    bytes_received: row.bytes_received,
                });
            }
            _ => {}
        }
    }
    NatRunView {
        a: side(0),
        b: side(1),
        turn: r.turn,
        trickle: r.trickle,
        seed: r.seed,
        latency_ms: r.latency_ms,
        outcome: r.outcome.name().into(),
        expected: theory::expected(scenario.nat_a, scenario.nat_b, scenario.turn).name().into(),
        sdp_edit: r.sdp_edit.map(|e| e.name().to_string()),
        connect_ms: r.connect_ms,
        ran_ms: r.ran_ms,
        timed_out: r.timed_out,
        relayed_bytes: r.relayed_bytes,
        why: WhyView {
            headline: r.why.headline.clone(),
            reasons: r.why.reasons.clone(),
            fix: r.why.fix.clone(),
            cost: r.why.cost.clone(),
        },
        offer: sdp_of(r, true),
        answer: sdp_of(r, false),
        candidates,
        pair_history,
        nats: nat_tables(r, scenario),
        events,
        events_dropped: r.events_dropped,
        lanes: ["A", "NAT A", "signalling", "internet", "servers", "NAT B", "B"].map(String::from).to_vec(),
        prediction: predicted_direct.map(|p| score(p, r)),
        flights: flights(r),
    }
}

fn family(what: &str) -> &'static str {
    if what.starts_with("TURN") {
        "turn"
    } else if what.starts_with("STUN") {
        "check"
    } else if what.starts_with("DTLS") {
        "dtls"
    } else {
        "other"
    }
}

/// Pairs each datagram's `Sent` with where it ended; signals travel the signalling server's
/// reliable path (two LAN hops and two internet crossings).
fn flights(r: &RunReport) -> Vec<FlightView> {
    let mut out: Vec<FlightView> = Vec::new();
    let mut open: std::collections::HashMap<u64, usize> = Default::default();
    let signal_ms = 2.0 * crate::net::LAN_LATENCY.as_secs_f64() * 1000.0 + 2.0 * r.latency_ms;
    for (i, e) in r.events.iter().enumerate() {
        let at = ms(e.at_us);
        match &e.kind {
            SimEventKind::Signal { from, to, summary, .. } => out.push(FlightView {
                from_lane: from.clone(),
                to_lane: to.clone(),
                sent_ms: at,
                end_ms: at + signal_ms,
                what: summary.clone(),
                family: "signal".into(),
                fate: "delivered".into(),
                rule: None,
                event: i as u32,
            }),
            SimEventKind::Net { datagram, event } => match event {
                NetEventKind::Sent { from, what, .. } => {
                    open.insert(*datagram, out.len());
                    out.push(FlightView {
                        from_lane: lane_of(from),
                        to_lane: lane_of(from),
                        sent_ms: at,
                        end_ms: at,
                        what: what.clone(),
                        family: family(what).into(),
                        fate: "delivered".into(),
                        rule: None,
                        event: i as u32,
                    });
                }
                NetEventKind::Delivered { .. } | NetEventKind::Dropped { .. } | NetEventKind::Lost { .. } => {
                    let Some(f) = open.remove(datagram).and_then(|k| out.get_mut(k)) else { continue };
                    f.end_ms = at;
                    match event {
                        NetEventKind::Delivered { to, .. } => f.to_lane = lane_of(to),
                        NetEventKind::Dropped { at: place, reason, .. } => {
                            f.to_lane = lane_of_place(place);
                            f.fate = "dropped".into();
                            f.rule = Some(reason.clone());
                        }
                        _ => {
                            f.to_lane = "internet".into();
                            f.fate = "lost".into();
                        }
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
    out
}

/// Each NAT's mappings over the run (from its translation events) and every datagram it dropped.
fn nat_tables(r: &RunReport, s: &Scenario) -> Vec<NatTableView> {
    let mut out = Vec::new();
    for (name, spec, ip) in [("NAT A", s.nat_a, NAT_A), ("NAT B", s.nat_b, NAT_B)] {
        if spec.behaviour().is_none() {
            continue;
        }
        let mut mappings: Vec<MappingRowView> = Vec::new();
        let mut drops = Vec::new();
        let mut sent: std::collections::HashMap<u64, (String, String, String)> = Default::default();
        for (i, e) in r.events.iter().enumerate() {
            let SimEventKind::Net { datagram, event } = &e.kind else { continue };
            match event {
                NetEventKind::Sent { from, to, what, .. } => {
                    sent.insert(*datagram, (from.to_string(), to.to_string(), what.clone()));
                }
                NetEventKind::Translated { nat, inside, outside, remote, created, outbound } if nat == name => {
                    let live =
                        mappings.iter_mut().rev().find(|m| m.outside == outside.to_string() && m.expired_ms.is_none());
                    match (live, *created) {
                        (Some(m), false) => {
                            m.last_used_ms = ms(e.at_us);
                            if *outbound {
                                m.packets_out += 1;
                                if !m.sent_to.contains(&remote.to_string()) {
                                    m.sent_to.push(remote.to_string());
                                }
                            } else {
                                m.packets_in += 1;
                            }
                        }
                        _ => mappings.push(MappingRowView {
                            inside: inside.to_string(),
                            outside: outside.to_string(),
                            for_destination: for_destination(spec, remote),
                            created_ms: ms(e.at_us),
                            created_event: i as u32,
                            last_used_ms: ms(e.at_us),
                            expired_ms: None,
                            sent_to: vec![remote.to_string()],
                            packets_out: 1,
                            packets_in: 0,
                        }),
                    }
                }
                NetEventKind::MappingExpired { nat, outside, .. } if nat == name => {
                    if let Some(m) =
                        mappings.iter_mut().rev().find(|m| m.outside == outside.to_string() && m.expired_ms.is_none())
                    {
                        m.expired_ms = Some(ms(e.at_us));
                    }
                }
                NetEventKind::Dropped { at, reason, .. } if at == name => {
                    let (from, to, what) = sent.get(datagram).cloned().unwrap_or_default();
                    drops.push(DropRowView {
                        at_ms: ms(e.at_us),
                        event: i as u32,
                        from,
                        to,
                        what,
                        rule: reason.clone(),
                    });
                }
                _ => {}
            }
        }
        out.push(NatTableView {
            nat: name.into(),
            behaviour: format!("{spec}: {}", spec.describe()),
            outside_ip: ip.to_string(),
            mappings,
            drops,
        });
    }
    out
}

fn for_destination(spec: NatSpec, remote: &SocketAddr) -> String {
    match spec.behaviour().map(|b| b.mapping) {
        Some(crate::nat::Mapping::AddressDependent) => remote.ip().to_string(),
        Some(crate::nat::Mapping::AddressAndPortDependent) => remote.to_string(),
        _ => "any".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(a: &str, b: &str) -> NatRunRequest {
        NatRunRequest { nat_a: a.into(), nat_b: b.into(), ..catalog().defaults }
    }

    #[test]
    fn bad_requests_say_what_to_fix() {
        let e = request("cone", "none").scenario().unwrap_err();
        assert!(e.starts_with("NAT A: unknown preset `cone`") && e.contains("symmetric"), "{e}");
        let e = NatRunRequest { loss_percent: 80.0, ..request("none", "none") }.scenario().unwrap_err();
        assert!(e.contains("loss must be between 0 and 50"), "{e}");
        let e = NatRunRequest { latency_ms: f64::NAN, ..request("none", "none") }.scenario().unwrap_err();
        assert!(e.contains("latency"), "{e}");
    }

    #[test]
    fn the_view_of_a_prflx_run_has_every_table_filled_in() {
        let req = request("symmetric", "full-cone");
        let s = req.scenario().unwrap();
        let r = crate::session::run(&s).unwrap();
        let v = run_view(&r, &s, Some(false));
        let p = v.prediction.as_ref().unwrap();
        assert!(!p.right && p.measured_direct && p.says.contains("directly (prflx path)"), "{p:?}");
        assert_eq!((v.outcome.as_str(), v.expected.as_str()), ("prflx", "prflx"));
        assert!(v.offer.iter().any(|l| l.text.starts_with("a=ice-ufrag") && l.meaning.contains("username fragment")));
        assert!(v.answer.iter().any(|l| l.text.starts_with("a=setup:")));
        assert!(v.candidates.iter().any(|c| c.peer == "B" && c.side == "remote" && c.typ == "prflx"));
        assert!(v.pair_history.iter().any(|p| p.selected && p.nominated && p.state == "succeeded"));
        let nat_a = v.nats.iter().find(|n| n.nat == "NAT A").unwrap();
        assert!(nat_a.mappings.len() >= 2, "one mapping per destination");
        assert!(nat_a.mappings.iter().all(|m| m.for_destination != "any"));
        assert!(!nat_a.drops.is_empty() && nat_a.drops.iter().all(|d| d.rule.starts_with("filtered")));
        assert!(v.nats.iter().all(|n| n.nat != "NAT B" || n.mappings.iter().all(|m| m.for_destination == "any")));
        assert!(v.events.iter().all(|e| v.lanes.contains(&e.lane)), "every event is on a lane");
        // Every datagram ends somewhere; A's dropped checks end at a NAT with the rule.
        assert!(v.flights.iter().all(|f| f.end_ms >= f.sent_ms && v.lanes.contains(&f.to_lane)));
        assert!(v.flights.iter().any(|f| f.fate == "dropped"
            && f.to_lane == "NAT A"
            && f.rule.as_deref().unwrap_or("").starts_with("filtered")));
        assert!(v.flights.iter().any(|f| f.family == "signal" && f.from_lane == "A" && f.to_lane == "B"));
        // The events that changed the tables point at real events of the same time.
        for c in &v.candidates {
            assert_eq!(v.events[c.event as usize].at_ms, c.at_ms);
        }
    }
}
