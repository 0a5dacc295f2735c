//! The chapter's WebSockets-vs-WebRTC table, measured: the same text messages echoed between
//! two clients three ways in one run —
//!
//! - `websocket`: A → the lab's WebSocket relay → B, and B's echo back the same way;
//! - `p2p`: a WebRTC data channel straight between the peers (host candidates on loopback);
//! - `turn`: the same data channel with peer A allowed only its relayed candidate, so every
//!   datagram crosses the lab's TURN server.
//!
//! Places get distances (peers `peers` apart, the server `server` from each; a delay link on
//! TCP, a pacer on UDP), so the topology shows in the numbers: a relayed message crosses the
//! server's distance twice each way. Setup is timed by phase, and the server's load is the
//! bytes it received plus sent per echoed message (a tap for WebSocket and signalling, the
//! TURN server's own count for relayed datagrams).

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use rtclab_natlab::peer::{Milestones, PeerConfig, PeerEvent};
use rtclab_techniques::metrics::percentile;
use rtclab_techniques::signalling::{SignalLink, Signalling};
use rtclab_trace::Recorder;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::turn_udp::LoopbackTurn;
use crate::udp_peer::{Command, Distances, RunningPeer};

/// The TURN server's own loopback address: peers tell its datagrams by address.
pub const SERVER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
/// How long a path may take to connect before its row reports a failure.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long after the last message its echo may still arrive.
const ECHO_GRACE: Duration = Duration::from_secs(3);

/// What to measure.
#[derive(Debug, Clone)]
pub struct CompareRequest {
    pub distances: Distances,
    /// Messages echoed on each path.
    pub messages: u32,
    /// Time between two messages (they do not wait for the echo).
    pub interval: Duration,
    /// Size of each message's text, bytes.
    pub payload: usize,
    /// Also run the three paths with no distances (plain loopback).
    pub with_loopback: bool,
}

impl Default for CompareRequest {
    fn default() -> Self {
        CompareRequest {
            distances: Distances { peers: Duration::from_millis(10), server: Duration::from_millis(40) },
            messages: 50,
            interval: Duration::from_millis(20),
            payload: 100,
            with_loopback: true,
        }
    }
}

/// The request as a screen sends it (milliseconds and counts), checked by [`TableRequest::check`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "WebrtcVsWsRequest")]
pub struct TableRequest {
    pub peers_ms: f64,
    pub server_ms: f64,
    pub messages: u32,
    pub interval_ms: f64,
    pub payload_bytes: u32,
    pub loopback: bool,
}

impl Default for TableRequest {
    fn default() -> Self {
        let r = CompareRequest::default();
        TableRequest {
            peers_ms: ms(r.distances.peers),
            server_ms: ms(r.distances.server),
            messages: r.messages,
            interval_ms: ms(r.interval),
            payload_bytes: r.payload as u32,
            loopback: r.with_loopback,
        }
    }
}

impl TableRequest {
    /// The run it asks for, or what is out of range and the range.
    pub fn check(&self) -> Result<CompareRequest, String> {
        let delay = |what: &str, v: f64| {
            if v.is_finite() && (0.0..=500.0).contains(&v) {
                Ok(Duration::from_secs_f64(v / 1000.0))
            } else {
                Err(format!("{what} must be 0–500 ms, not {v}"))
            }
        };
        let req = CompareRequest {
            distances: Distances {
                peers: delay("the distance between the peers", self.peers_ms)?,
                server: delay("the distance to the server", self.server_ms)?,
            },
            messages: self.messages,
            interval: delay("the time between messages", self.interval_ms)?.max(Duration::from_millis(1)),
            payload: self.payload_bytes as usize,
            with_loopback: self.loopback,
        };
        req.validate()?;
        Ok(req)
    }
}

impl CompareRequest {
    /// What is out of range, and the range.
    pub fn validate(&self) -> Result<(), String> {
        if self.messages == 0 || self.messages > 10_000 {
            return Err(format!("messages must be 1–10000, not {}", self.messages));
        }
        if self.payload < 16 || self.payload > 16_000 {
            return Err(format!("the message size must be 16–16000 bytes, not {}", self.payload));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PathKind {
    P2p,
    Turn,
    Websocket,
}

impl PathKind {
    pub fn name(self) -> &'static str {
        match self {
            PathKind::P2p => "p2p",
            PathKind::Turn => "turn",
            PathKind::Websocket => "websocket",
        }
    }

    /// The least an echo can take with these distances: how many one-way crossings it makes.
    pub fn floor(self, d: Distances) -> Duration {
        match self {
            PathKind::P2p => 2 * d.peers,
            PathKind::Turn | PathKind::Websocket => 4 * d.server,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "EchoRtt")]
pub struct Rtt {
    pub p50: f64,
    pub p95: f64,
    pub min: f64,
    pub max: f64,
}

/// A moment of the setup, from the row's start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SetupPhase")]
pub struct Phase {
    pub name: String,
    pub at_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "WebrtcVsWsRow")]
pub struct PathRow {
    pub path: PathKind,
    /// Echo round-trip times of the messages that came back (null when none did).
    pub rtt_ms: Option<Rtt>,
    /// The least an echo can take with the run's distances.
    pub floor_ms: f64,
    /// From the first byte of setup to the path carrying application messages.
    pub setup_ms: Option<f64>,
    pub phases: Vec<Phase>,
    /// Bytes the server received plus sent per echoed message (message and echo).
    pub server_bytes_per_message: f64,
    /// Bytes through the server while setting up (handshakes, signalling, TURN allocation).
    pub setup_server_bytes: u64,
    pub sent: u32,
    pub echoed: u32,
    /// Where the messages went, e.g. the data channel's selected candidate pair.
    pub route: String,
    /// Why the row has no figures, when it has none.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "WebrtcVsWsRun")]
pub struct TableRun {
    pub peers_ms: f64,
    pub server_ms: f64,
    pub rows: Vec<PathRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "WebrtcVsWsReport")]
pub struct CompareReport {
    pub messages: u32,
    pub payload_bytes: u32,
    pub interval_ms: f64,
    pub peers_ms: f64,
    pub server_ms: f64,
    /// The run with distances.
    pub rows: Vec<PathRow>,
    /// The same three paths on plain loopback, when asked for.
    pub loopback: Option<TableRun>,
    /// What the numbers say, computed from them.
    pub notes: Vec<String>,
}

/// The row of `path` in a table's rows.
pub fn path_row(rows: &[PathRow], path: PathKind) -> Option<&PathRow> {
    rows.iter().find(|r| r.path == path)
}

impl CompareReport {
    /// The row of `path` in the run with distances.
    pub fn row(&self, path: PathKind) -> Option<&PathRow> {
        path_row(&self.rows, path)
    }

    /// The echo round trips of `path` in the run with distances, if any came back.
    pub fn rtt(&self, path: PathKind) -> Option<Rtt> {
        self.row(path)?.rtt_ms
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs the three paths with the request's distances (and on plain loopback if asked),
/// recording the WebSocket and signalling frames into `recorder` as `experiment`/….
pub async fn run(req: &CompareRequest, recorder: &Recorder, experiment: &str) -> Result<CompareReport, String> {
    req.validate()?;
    let rows = run_table(req, req.distances, recorder, experiment).await?;
    let loopback = if req.with_loopback {
        let rows = run_table(req, Distances::NONE, recorder, &format!("{experiment}/loopback")).await?;
        Some(TableRun { peers_ms: 0.0, server_ms: 0.0, rows })
    } else {
        None
    };
    let mut report = CompareReport {
        messages: req.messages,
        payload_bytes: req.payload as u32,
        interval_ms: ms(req.interval),
        peers_ms: ms(req.distances.peers),
        server_ms: ms(req.distances.server),
        rows,
        loopback,
        notes: vec![],
    };
    report.notes = crate::notes::explain(&report);
    Ok(report)
}

async fn run_table(
    req: &CompareRequest,
    d: Distances,
    recorder: &Recorder,
    experiment: &str,
) -> Result<Vec<PathRow>, String> {
    let mut rows = vec![];
    for path in [PathKind::P2p, PathKind::Turn, PathKind::Websocket] {
        let name = format!("{experiment}/{}", path.name());
        let row = match path {
            PathKind::Websocket => websocket_row(req, d, recorder, &name).await?,
            PathKind::P2p | PathKind::Turn => webrtc_row(req, d, path, recorder, &name).await?,
        };
        rows.push(row);
    }
    Ok(rows)
}

/// Bytes the tap recorded for `experiment` after event `since`.
fn tapped_bytes(recorder: &Recorder, experiment: &str, since: u64) -> u64 {
    recorder
        .events_since(since)
        .iter()
        .filter(|e| &*e.experiment == experiment && e.conn.is_some())
        .map(|e| e.bytes.total())
        .sum()
}

/// The text of message `seq`, padded to `size` bytes.
pub fn message_text(seq: u32, size: usize) -> String {
    let head = format!("ping {seq:05} ");
    format!("{head}{}", "x".repeat(size.saturating_sub(head.len())))
}

/// The sequence number of an echo (`echo: ping 00042 …`).
pub fn echoed_seq(text: &str) -> Option<u32> {
    text.strip_prefix("echo: ping ")?.get(..5)?.parse().ok()
}

/// Sends `n` messages `interval` apart through `send` and times each echo found by `seq_of`
/// in `incoming`; stops when all came back or `ECHO_GRACE` after the last was sent.
async fn echo_rounds<T>(
    req: &CompareRequest,
    mut send: impl FnMut(String),
    incoming: &mut mpsc::UnboundedReceiver<T>,
    seq_of: impl Fn(&T) -> Option<u32>,
) -> Vec<f64> {
    let n = req.messages;
    let mut sent_at: Vec<Option<Instant>> = vec![None; n as usize];
    let mut rtts = vec![];
    let mut next = 0u32;
    let mut tick = tokio::time::interval(req.interval);
    let mut deadline = Instant::now() + req.interval * n + ECHO_GRACE;
    loop {
        tokio::select! {
            _ = tick.tick(), if next < n => {
                sent_at[next as usize] = Some(Instant::now());
                send(message_text(next, req.payload));
                next += 1;
                if next == n {
                    deadline = Instant::now() + ECHO_GRACE;
                }
            }
            got = incoming.recv() => {
                let Some(got) = got else { break };
                if let Some(at) = seq_of(&got).and_then(|s| sent_at.get_mut(s as usize)).and_then(Option::take) {
                    rtts.push(ms(at.elapsed()));
                }
            }
            _ = tokio::time::sleep_until(deadline) => break,
        }
        if next == n && rtts.len() == n as usize {
            break;
        }
    }
    rtts
}

fn rtt(mut values: Vec<f64>) -> Option<Rtt> {
    values.sort_by(f64::total_cmp);
    Some(Rtt {
        p50: percentile(&values, 50.0),
        p95: percentile(&values, 95.0),
        min: *values.first()?,
        max: *values.last()?,
    })
}

async fn websocket_row(
    req: &CompareRequest,
    d: Distances,
    recorder: &Recorder,
    experiment: &str,
) -> Result<PathRow, String> {
    let before = recorder.next_seq();
    let mut relay = Signalling::start_away(recorder, experiment, d.server).await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut a = relay.join(0, "relay", "A").await.map_err(|e| e.to_string())?;
    let setup = started.elapsed();
    let b = relay.join(1, "relay", "B").await.map_err(|e| e.to_string())?;
    let echo = tokio::spawn(echo_over_relay(b));
    let window = recorder.next_seq();
    let setup_server_bytes = tapped_bytes(recorder, experiment, before);
    let outgoing = a.outgoing.clone();
    let rtts = echo_rounds(
        req,
        |text| {
            let _ = outgoing.send(serde_json::json!({"type": "ping", "text": text}).to_string());
        },
        &mut a.incoming,
        |msg: &String| {
            let v: serde_json::Value = serde_json::from_str(msg).ok()?;
            echoed_seq(v.get("text")?.as_str()?)
        },
    )
    .await;
    let echoed = rtts.len() as u32;
    let server_bytes = tapped_bytes(recorder, experiment, window);
    drop(a);
    relay.shutdown().await;
    echo.abort();
    Ok(PathRow {
        path: PathKind::Websocket,
        rtt_ms: rtt(rtts),
        floor_ms: ms(PathKind::Websocket.floor(d)),
        setup_ms: Some(ms(setup)),
        phases: vec![Phase { name: "TCP handshake + HTTP Upgrade → 101".into(), at_ms: ms(setup) }],
        server_bytes_per_message: per_message(server_bytes, echoed),
        setup_server_bytes,
        sent: req.messages,
        echoed,
        route: "A → WebSocket server → B, and back".into(),
        problem: (echoed == 0).then(|| "no echo came back through the WebSocket relay".into()),
    })
}

/// B's side of the WebSocket path: every ping goes back as an echo.
async fn echo_over_relay(mut b: SignalLink) {
    while let Some(msg) = b.incoming.recv().await {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&msg) else { continue };
        if v.get("type").and_then(|t| t.as_str()) != Some("ping") {
            continue;
        }
        let text = v.get("text").and_then(|t| t.as_str()).unwrap_or_default();
        let echo = serde_json::json!({"type": "echo", "text": format!("echo: {text}")});
        if b.outgoing.send(echo.to_string()).is_err() {
            return;
        }
    }
}

fn per_message(bytes: u64, echoed: u32) -> f64 {
    if echoed == 0 { 0.0 } else { bytes as f64 / echoed as f64 }
}

/// A plain peer; its host address is the socket `RunningPeer` binds.
pub(crate) fn peer_config(name: &str, offerer: bool) -> PeerConfig {
    PeerConfig::plain(name, std::net::SocketAddr::from(([127, 0, 0, 1], 0)), offerer)
}

async fn webrtc_row(
    req: &CompareRequest,
    d: Distances,
    path: PathKind,
    recorder: &Recorder,
    experiment: &str,
) -> Result<PathRow, String> {
    let before = recorder.next_seq();
    let turn = match path {
        PathKind::Turn => Some(LoopbackTurn::start(SERVER_IP, 2, d.server).await.map_err(|e| format!("TURN: {e}"))?),
        _ => None,
    };
    let mut signalling = Signalling::start_away(recorder, experiment, d.server).await.map_err(|e| e.to_string())?;
    // B is on the signalling server already, waiting for a call; the clock starts with A.
    let link_b = signalling.join(1, "call", "B").await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    let link_a = signalling.join(0, "call", "A").await.map_err(|e| e.to_string())?;
    let joined = started.elapsed();
    let mut cfg_a = peer_config("A", true);
    if let Some(t) = &turn {
        cfg_a.turn = Some(t.credentials());
        cfg_a.relay_only = true;
    }
    let mut a = RunningPeer::start(cfg_a, link_a, SERVER_IP, d).await?;
    let peer_epoch = started.elapsed();
    let mut b = RunningPeer::start(peer_config("B", false), link_b, SERVER_IP, d).await?;
    let peer_epoch_b = started.elapsed();
    let mut problems = vec![];
    let opened = a
        .wait_for(
            CONNECT_TIMEOUT,
            |(_, e)| {
                if let PeerEvent::Problem(p) = e {
                    problems.push(p.clone());
                }
            },
            |(_, e)| matches!(e, PeerEvent::DataChannelOpen(_)).then_some(()),
        )
        .await
        .is_some();
    let turn_bytes = |t: &Option<LoopbackTurn>| t.as_ref().map_or(0, |t| t.count().bytes());
    let setup_server_bytes = tapped_bytes(recorder, experiment, before) + turn_bytes(&turn);
    let window = recorder.next_seq();
    let turn_before = turn_bytes(&turn);
    // B's events are not needed one by one (its milestones are read at the end); keep its
    // queue from growing until the run is over.
    let (stop_b, mut b_stopped) = tokio::sync::oneshot::channel::<()>();
    let drain_b = tokio::spawn(async move {
        loop {
            tokio::select! {
                got = b.events.recv() => if got.is_none() { break },
                _ = &mut b_stopped => break,
            }
        }
        b
    });
    let rtts = if opened {
        let commands = a.commands.clone();
        echo_rounds(
            req,
            |text| {
                let _ = commands.send(Command::Send(text));
            },
            &mut a.events,
            |(_, e): &(Duration, PeerEvent)| match e {
                PeerEvent::Message(text) => echoed_seq(text),
                _ => None,
            },
        )
        .await
    } else {
        vec![]
    };
    let echoed = rtts.len() as u32;
    let server_bytes = tapped_bytes(recorder, experiment, window) + turn_bytes(&turn) - turn_before;
    let peer_a = a.stop().await.map(|s| s.peer);
    let _ = stop_b.send(());
    let peer_b = match drain_b.await {
        Ok(b) => b.stop().await.map(|s| s.peer),
        Err(_) => None,
    };
    signalling.shutdown().await;
    drop(turn);
    let milestones = peer_a.as_ref().map(|p| p.milestones).unwrap_or_default();
    let route = peer_a
        .as_ref()
        .and_then(|p| p.selected_pair())
        .map(|(l, r)| {
            format!("A {} {}:{} ⇄ B {} {}:{}", l.typ.name(), l.address, l.port, r.typ.name(), r.address, r.port)
        })
        .unwrap_or_else(|| "no pair selected".into());
    let problem = if !opened {
        Some(format!(
            "the data channel did not open in {} s{}",
            CONNECT_TIMEOUT.as_secs(),
            problems.first().map(|p| format!(": {p}")).unwrap_or_default()
        ))
    } else if echoed == 0 {
        Some("no echo came back over the data channel".into())
    } else {
        None
    };
    Ok(PathRow {
        path,
        rtt_ms: rtt(rtts),
        floor_ms: ms(path.floor(d)),
        setup_ms: milestones.channel_open.map(|t| ms(peer_epoch + t)),
        phases: phases(
            joined,
            (peer_epoch, &milestones),
            (peer_epoch_b, &peer_b.map(|p| p.milestones).unwrap_or_default()),
            path == PathKind::Turn,
        ),
        server_bytes_per_message: per_message(server_bytes, echoed),
        setup_server_bytes,
        sent: if opened { req.messages } else { 0 },
        echoed,
        route,
        problem,
    })
}

/// Both peers' milestones as moments from the row's start, in time order. B's ICE and DTLS
/// moments show what the controlled side waited for.
fn phases(
    joined: Duration,
    (epoch, m): (Duration, &Milestones),
    (epoch_b, b): (Duration, &Milestones),
    relayed: bool,
) -> Vec<Phase> {
    let mut out =
        vec![Phase { name: "A on the signalling server (WebSocket; B was there already)".into(), at_ms: ms(joined) }];
    let of_b =
        [("B: ICE connected (nominated pair selected)", b.ice_connected), ("B: DTLS handshake done", b.dtls_connected)];
    for (name, at) in of_b {
        if let Some(at) = at {
            out.push(Phase { name: name.into(), at_ms: ms(epoch_b + at) });
        }
    }
    let named = [
        ("offer sent", m.description_sent),
        ("answer received", m.remote_description),
        (if relayed { "TURN allocation done (relayed candidate)" } else { "gathering done" }, m.gathering_done),
        ("ICE connected (checks answered)", m.ice_connected),
        ("pair nominated (USE-CANDIDATE)", m.nominated),
        ("DTLS handshake done", m.dtls_connected),
        ("SCTP association + data channel open", m.channel_open),
    ];
    for (name, at) in named {
        if let Some(at) = at {
            out.push(Phase { name: name.into(), at_ms: ms(epoch + at) });
        }
    }
    out.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_echo_names_its_message() {
        let text = message_text(42, 100);
        assert_eq!(text.len(), 100);
        assert_eq!(echoed_seq(&format!("echo: {text}")), Some(42));
        assert_eq!(echoed_seq(&text), None);
    }

    #[test]
    fn a_relayed_echo_crosses_the_server_distance_four_times() {
        let d = Distances { peers: Duration::from_millis(10), server: Duration::from_millis(40) };
        assert_eq!(PathKind::P2p.floor(d), Duration::from_millis(20));
        assert_eq!(PathKind::Websocket.floor(d), Duration::from_millis(160));
        assert_eq!(PathKind::Turn.floor(d), Duration::from_millis(160));
    }
}
