//! A real browser as a peer: the lab's signalling relay behind a tap, and a Rust peer (the
//! answerer) waiting in a room for the browser's offer. The page creates its own
//! `RTCPeerConnection`, joins the room over WebSocket, offers a data channel and trickles its
//! candidates; the Rust peer answers, and echoes every message (`echo: …`). The signalling
//! frames of both sides cross the tap, so the browser's offer and candidates are on the trace
//! beside the Rust peer's answer; what the Rust peer saw is in [`BrowserPeerView`].

use std::time::Duration;

use rtclab_natlab::peer::PeerEvent;
use rtclab_natlab::stats::PairRow;
use rtclab_techniques::signalling::Signalling;
use rtclab_trace::Recorder;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::compare::SERVER_IP;
use crate::udp_peer::{Distances, RunningPeer};

/// The room and the names the browser and the Rust peer take in it.
pub const ROOM: &str = "browser";
pub const BROWSER: &str = "browser";
pub const RUST: &str = "rust";
/// Lines of the Rust peer's log kept (a long chat keeps the newest).
const MAX_LOG: usize = 500;

/// One line of what the Rust peer saw, from the moment it joined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct PeerLogLine {
    pub at_ms: f64,
    pub text: String,
}

/// A candidate pair as the Rust peer's ICE agent used it (counted from the wire).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct RustPairView {
    pub local: String,
    pub local_type: String,
    pub remote: String,
    pub remote_type: String,
    pub state: String,
    pub nominated: bool,
    pub requests_sent: u32,
    pub responses_received: u32,
    pub requests_received: u32,
    pub responses_sent: u32,
    pub rtt_ms: f64,
}

impl From<&PairRow> for RustPairView {
    fn from(r: &PairRow) -> Self {
        RustPairView {
            local: r.local.to_string(),
            local_type: r.local_type.clone(),
            remote: r.remote.to_string(),
            remote_type: r.remote_type.clone(),
            state: r.state.clone(),
            nominated: r.nominated,
            requests_sent: r.requests_sent as u32,
            responses_received: r.responses_received as u32,
            requests_received: r.requests_received as u32,
            responses_sent: r.responses_sent as u32,
            rtt_ms: r.rtt_ms,
        }
    }
}

/// The Rust side of a browser call, as the screen shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct BrowserPeerView {
    /// Where the page joins the room (the tap in front of the signalling relay).
    pub signal_url: String,
    /// The Rust peer's UDP socket.
    pub rust_host: String,
    /// The Rust peer connection's state: new, connecting, connected, failed…
    pub connection: String,
    pub ice: String,
    pub channel_open: bool,
    /// Messages the Rust peer received (it echoes each).
    pub received: u32,
    pub log: Vec<PeerLogLine>,
    pub pairs: Vec<RustPairView>,
    /// The selected pair as the Rust peer reports it, once there is one.
    pub selected: Option<String>,
}

/// Runs until `stop` turns true: the relay and tap, the Rust peer in the room, each change of
/// what it saw passed to `update`. Returns the last view.
pub async fn run(
    recorder: &Recorder,
    experiment: &str,
    mut stop: watch::Receiver<bool>,
    update: impl Fn(&BrowserPeerView),
) -> Result<BrowserPeerView, String> {
    let mut signalling = Signalling::start(recorder, experiment).await.map_err(|e| e.to_string())?;
    let link = signalling.join(0, ROOM, RUST).await.map_err(|e| e.to_string())?;
    let cfg = crate::compare::peer_config(RUST, false);
    let mut peer = RunningPeer::start(cfg, link, SERVER_IP, Distances::NONE).await?;
    let mut view = BrowserPeerView {
        signal_url: format!("ws://{}/signal?room={ROOM}&peer={BROWSER}", signalling.addr()),
        rust_host: peer.host.to_string(),
        connection: "new".into(),
        ice: "new".into(),
        channel_open: false,
        received: 0,
        log: vec![PeerLogLine { at_ms: 0.0, text: format!("waiting in room {ROOM:?} for the browser's offer") }],
        pairs: vec![],
        selected: None,
    };
    update(&view);
    let started = Instant::now();
    loop {
        tokio::select! {
            got = peer.events.recv() => {
                let Some((_, event)) = got else { break };
                apply(&mut view, started.elapsed(), event);
                update(&view);
            }
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
    if let Some(p) = peer.stop().await.map(|s| s.peer) {
        view.selected = p.selected_pair().map(|(l, r)| {
            format!("{} {}:{} ⇄ {} {}:{}", l.typ.name(), l.address, l.port, r.typ.name(), r.address, r.port)
        });
    }
    signalling.shutdown().await;
    Ok(view)
}

fn apply(view: &mut BrowserPeerView, at: Duration, event: PeerEvent) {
    let at_ms = at.as_secs_f64() * 1000.0;
    let line = match event {
        PeerEvent::Gathered(c) => Some(format!("gathered {} {}:{}", c.typ.name(), c.address, c.port)),
        PeerEvent::RemoteCandidate(c) => Some(format!("browser candidate {} {}:{}", c.typ.name(), c.address, c.port)),
        PeerEvent::GatheringDone { .. } => None,
        PeerEvent::IceState(s) => {
            view.ice = s.clone();
            Some(format!("ICE {s}"))
        }
        PeerEvent::ConnectionState(s) => {
            view.connection = s.clone();
            Some(format!("connection {s}"))
        }
        PeerEvent::DataChannelOpen(label) => {
            view.channel_open = true;
            Some(format!("data channel {label:?} open"))
        }
        PeerEvent::Message(text) => {
            view.received += 1;
            Some(format!("received {text:?}, echoed it"))
        }
        PeerEvent::Problem(p) => Some(format!("problem: {p}")),
        PeerEvent::Binary(bytes) => {
            view.received += 1;
            Some(format!("received {} binary bytes", bytes.len()))
        }
        PeerEvent::FileSent => None,
        PeerEvent::Pair(row) => {
            let v = RustPairView::from(&row);
            match view.pairs.iter_mut().find(|p| p.local == v.local && p.remote == v.remote) {
                Some(p) => *p = v,
                None => view.pairs.push(v),
            }
            None
        }
    };
    if let Some(text) = line {
        view.log.push(PeerLogLine { at_ms, text });
        if view.log.len() > MAX_LOG {
            view.log.remove(1);
        }
    }
}
