//! The `webrtc` block: a WebRTC-in-practice run — the WebSockets-vs-WebRTC table
//! (`check = "table"`), a file sent over a data channel in each delivery mode
//! (`check = "send-file"`) or a media call, mesh or SFU (`check = "call"`) — with a
//! prediction of one of its figures, scored against the block's own run. Figures measured in real time vary between runs, so each prediction has a
//! tolerance, and the course's tests hold `expected` to a real run within it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use rtclab_practice::compare::{CompareReport, CompareRequest, PathKind};
use rtclab_practice::file_transfer::{ChannelMode, TransferReport, TransferRequest};
use rtclab_practice::udp_peer::Distances;

/// What a webrtc block runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WebrtcCheck {
    /// The same echoes peer to peer, through TURN and through a WebSocket relay.
    Table,
    /// A file over a data channel: reliable ordered, then with maxRetransmits 0.
    SendFile,
    /// A media call on the simulated internet, as a full mesh or through the SFU.
    Call,
}

impl WebrtcCheck {
    pub const NAMES: [&'static str; 3] = ["table", "send-file", "call"];

    pub fn parse(s: &str) -> Option<WebrtcCheck> {
        match s {
            "table" => Some(WebrtcCheck::Table),
            "send-file" => Some(WebrtcCheck::SendFile),
            "call" => Some(WebrtcCheck::Call),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The figures a run of this kind measures, by name.
    pub fn metrics(self) -> &'static [&'static str] {
        match self {
            WebrtcCheck::Table => &[
                "websocket_over_p2p",
                "turn_over_websocket",
                "p2p_rtt_ms",
                "websocket_rtt_ms",
                "turn_rtt_ms",
                "p2p_setup_over_websocket_setup",
                "p2p_server_bytes_per_message",
                "websocket_server_bytes_per_message",
            ],
            WebrtcCheck::SendFile => &["reliable_intact", "unreliable_intact", "unreliable_chunks_missing"],
            WebrtcCheck::Call => &[
                "stream_kbps",
                "mean_uplink_kbps",
                "mean_downlink_kbps",
                "uplink_streams",
                "downlink_streams",
                "sfu_uplink_kbps",
                "video_delivered_percent",
                "p1_video_delivered_percent",
                "p1_received_video_percent",
                "p1_uplink_drops",
                "rtt_ms",
                "keyframe_wait_ms",
            ],
        }
    }

    /// The settings a block of this kind may set.
    pub fn settings(self) -> &'static [&'static str] {
        match self {
            WebrtcCheck::Table => &["peers_ms", "server_ms", "messages"],
            WebrtcCheck::SendFile => &["size_kib", "latency_ms", "loss_percent"],
            WebrtcCheck::Call => &[
                "participants",
                "topology",
                "video_kbps",
                "uplink_kbps",
                "thin_uplink_kbps",
                "thin_downlink_kbps",
                "simulcast",
                "latency_ms",
                "loss_percent",
                "nack",
            ],
        }
    }
}

/// A run's settings; absent ones take the lab's defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebrtcSettings {
    pub peers_ms: Option<f64>,
    pub server_ms: Option<f64>,
    pub messages: Option<u32>,
    pub size_kib: Option<u32>,
    pub latency_ms: Option<f64>,
    pub loss_percent: Option<f64>,
    pub participants: Option<usize>,
    pub topology: Option<String>,
    pub video_kbps: Option<u32>,
    pub uplink_kbps: Option<u32>,
    pub thin_uplink_kbps: Option<u32>,
    pub thin_downlink_kbps: Option<u32>,
    pub simulcast: Option<bool>,
    pub nack: Option<bool>,
}

impl WebrtcSettings {
    pub fn given(&self) -> Vec<&'static str> {
        [
            ("peers_ms", self.peers_ms.is_some()),
            ("server_ms", self.server_ms.is_some()),
            ("messages", self.messages.is_some()),
            ("size_kib", self.size_kib.is_some()),
            ("latency_ms", self.latency_ms.is_some()),
            ("loss_percent", self.loss_percent.is_some()),
            ("participants", self.participants.is_some()),
            ("topology", self.topology.is_some()),
            ("video_kbps", self.video_kbps.is_some()),
            ("uplink_kbps", self.uplink_kbps.is_some()),
            ("thin_uplink_kbps", self.thin_uplink_kbps.is_some()),
            ("thin_downlink_kbps", self.thin_downlink_kbps.is_some()),
            ("simulcast", self.simulcast.is_some()),
            ("nack", self.nack.is_some()),
        ]
        .into_iter()
        .filter_map(|(n, set)| set.then_some(n))
        .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebrtcPrediction {
    pub question: String,
    pub metric: String,
    /// How far off a prediction may be and still be right.
    pub tolerance: f64,
    /// What the run measures (within the tolerance) — the course's tests hold the block to it.
    pub expected: f64,
    pub explain: String,
}

/// A WebRTC-in-practice block of a lesson.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebrtcBlock {
    pub id: String,
    pub check: WebrtcCheck,
    pub settings: WebrtcSettings,
    pub caption: Option<String>,
    pub prediction: WebrtcPrediction,
}

/// What a webrtc block asks the lab to run.
#[derive(Debug, Clone)]
pub enum WebrtcRun {
    Table(CompareRequest),
    SendFile(TransferRequest),
    Call(Box<rtclab_call::CallConfig>),
}

/// Call time of a lesson's call: several receiver reports and a keyframe interval.
const LESSON_CALL_SECONDS: f64 = 4.0;

/// Messages a lesson's table run echoes on each path unless it says otherwise (few: three
/// setups and echoes take a few seconds, the learner waits for them).
const LESSON_MESSAGES: u32 = 20;

impl WebrtcBlock {
    pub fn run(&self) -> Result<WebrtcRun, String> {
        let s = &self.settings;
        let ms = |v: f64| Duration::from_secs_f64(v / 1000.0);
        match self.check {
            WebrtcCheck::Table => {
                let d = CompareRequest::default();
                let req = CompareRequest {
                    distances: Distances {
                        peers: s.peers_ms.map_or(d.distances.peers, ms),
                        server: s.server_ms.map_or(d.distances.server, ms),
                    },
                    messages: s.messages.unwrap_or(LESSON_MESSAGES),
                    with_loopback: false,
                    ..d
                };
                if [s.peers_ms, s.server_ms].iter().flatten().any(|v| !(0.0..=500.0).contains(v)) {
                    return Err("distances must be 0–500 ms".into());
                }
                req.validate()?;
                Ok(WebrtcRun::Table(req))
            }
            WebrtcCheck::SendFile => {
                let d = rtclab_practice::file_transfer::SendFileRequest::default();
                let req = rtclab_practice::file_transfer::SendFileRequest {
                    size_kib: s.size_kib.unwrap_or(d.size_kib),
                    latency_ms: s.latency_ms.unwrap_or(d.latency_ms),
                    loss_percent: s.loss_percent.unwrap_or(d.loss_percent),
                    modes: vec![ChannelMode::ReliableOrdered, ChannelMode::Unreliable],
                    ..d
                };
                Ok(WebrtcRun::SendFile(req.transfer()?))
            }
            WebrtcCheck::Call => {
                let d = rtclab_call::request::CallRequest::default();
                let topology = match &s.topology {
                    Some(t) => rtclab_call::Topology::parse(t)?,
                    None => d.topology,
                };
                let req = rtclab_call::request::CallRequest {
                    participants: s.participants.unwrap_or(d.participants),
                    topology,
                    video_kbps: s.video_kbps.unwrap_or(d.video_kbps),
                    uplink_kbps: s.uplink_kbps,
                    thin_uplink_kbps: s.thin_uplink_kbps,
                    thin_downlink_kbps: s.thin_downlink_kbps,
                    simulcast: s.simulcast.unwrap_or(false),
                    latency_ms: s.latency_ms.unwrap_or(d.latency_ms),
                    loss_percent: s.loss_percent.unwrap_or(d.loss_percent),
                    nack: s.nack.unwrap_or(d.nack),
                    duration_s: LESSON_CALL_SECONDS,
                    ..d
                };
                Ok(WebrtcRun::Call(Box::new(req.config()?)))
            }
        }
    }

    /// What it runs, in one line.
    pub fn describe(&self) -> String {
        match self.run() {
            Ok(WebrtcRun::Table(r)) => format!(
                "{} messages echoed peer to peer, through TURN and through a WebSocket relay; peers {} ms apart, the server {} ms from each",
                r.messages,
                r.distances.peers.as_millis(),
                r.distances.server.as_millis()
            ),
            Ok(WebrtcRun::SendFile(r)) => format!(
                "{} over a reliable ordered data channel, then one with maxRetransmits 0; {} ms one way, {} % loss each way",
                r.name,
                r.latency.as_millis(),
                r.loss * 100.0
            ),
            Ok(WebrtcRun::Call(c)) => format!(
                "a {}-person call {}, video {} kbit/s, {} % loss per crossing, NACK {}{}",
                c.participants,
                if c.topology == rtclab_call::Topology::Mesh { "as a full mesh" } else { "through the SFU" },
                c.video_kbps,
                c.loss * 100.0,
                if c.nack { "on" } else { "off" },
                c.thin_uplink_kbps.map_or(String::new(), |k| format!(", P1's uplink {k} kbit/s"))
                    + &c.thin_downlink_kbps.map_or(String::new(), |k| format!(", P1's downlink {k} kbit/s"))
                    + if c.simulcast { ", simulcast" } else { "" }
            ),
            Err(e) => e,
        }
    }
}

/// The figure `metric` of a call, if it measured it.
pub fn call_metric(r: &rtclab_call::CallReport, metric: &str) -> Option<f64> {
    let n = r.participants.len() as f64;
    let mean = |f: fn(&rtclab_call::report::ParticipantReport) -> f64| r.participants.iter().map(f).sum::<f64>() / n;
    let video = |from: Option<&str>, to: Option<&str>| {
        let v: Vec<_> = r
            .streams
            .iter()
            .filter(|s| {
                s.kind == rtclab_natlab::media::MediaKind::Video
                    && from.is_none_or(|f| s.from == f)
                    && to.is_none_or(|t| s.to == t)
            })
            .collect();
        let expected: u64 = v.iter().map(|s| s.expected).sum();
        (expected > 0).then(|| 100.0 * v.iter().map(|s| s.received).sum::<u64>() as f64 / expected as f64)
    };
    let waits: Vec<f64> = r.streams.iter().filter_map(|s| s.keyframe_wait_ms).collect();
    let rtts: Vec<f64> = r.streams.iter().filter_map(|s| s.rtt_ms).collect();
    Some(match metric {
        "stream_kbps" => r.stream_kbps,
        "mean_uplink_kbps" => mean(|p| p.uplink_kbps),
        "mean_downlink_kbps" => mean(|p| p.downlink_kbps),
        "uplink_streams" => mean(|p| p.uplink_kbps) / r.stream_kbps,
        "downlink_streams" => mean(|p| p.downlink_kbps) / r.stream_kbps,
        "sfu_uplink_kbps" => r.sfu.as_ref()?.uplink_kbps,
        "video_delivered_percent" => video(None, None)?,
        "p1_video_delivered_percent" => video(Some("P1"), None)?,
        "p1_received_video_percent" => video(None, Some("P1"))?,
        "p1_uplink_drops" => r.participants.first()?.uplink_drops as f64,
        "rtt_ms" => rtts.iter().sum::<f64>() / (!rtts.is_empty()).then_some(rtts.len() as f64)?,
        "keyframe_wait_ms" => waits.iter().sum::<f64>() / (!waits.is_empty()).then_some(waits.len() as f64)?,
        _ => return None,
    })
}

/// The figure `metric` of a table run, if it measured it.
pub fn table_metric(r: &CompareReport, metric: &str) -> Option<f64> {
    let row = |p: PathKind| r.row(p);
    let p50 = |p: PathKind| r.rtt(p).map(|x| x.p50);
    Some(match metric {
        "websocket_over_p2p" => p50(PathKind::Websocket)? / p50(PathKind::P2p)?,
        "turn_over_websocket" => p50(PathKind::Turn)? / p50(PathKind::Websocket)?,
        "p2p_rtt_ms" => p50(PathKind::P2p)?,
        "websocket_rtt_ms" => p50(PathKind::Websocket)?,
        "turn_rtt_ms" => p50(PathKind::Turn)?,
        "p2p_setup_over_websocket_setup" => row(PathKind::P2p)?.setup_ms? / row(PathKind::Websocket)?.setup_ms?,
        "p2p_server_bytes_per_message" => row(PathKind::P2p)?.server_bytes_per_message,
        "websocket_server_bytes_per_message" => row(PathKind::Websocket)?.server_bytes_per_message,
        _ => return None,
    })
}

/// The figure `metric` of a file transfer, if it measured it.
pub fn file_metric(r: &TransferReport, metric: &str) -> Option<f64> {
    let row = |m: ChannelMode| r.rows.iter().find(|x| x.mode == m);
    Some(match metric {
        "reliable_intact" => f64::from(u8::from(row(ChannelMode::ReliableOrdered)?.sha256_matches)),
        "unreliable_intact" => f64::from(u8::from(row(ChannelMode::Unreliable)?.sha256_matches)),
        "unreliable_chunks_missing" => {
            let x = row(ChannelMode::Unreliable)?;
            f64::from(x.chunks - x.chunks_received)
        }
        _ => return None,
    })
}

/// Runs the block and returns its figure `metric` with a one-line summary of the run.
pub async fn measure(run: WebrtcRun, metric: &str) -> Result<(f64, String), String> {
    let recorder = rtclab_trace::Recorder::with_capacity(50_000);
    match run {
        WebrtcRun::Table(req) => {
            let r = rtclab_practice::compare::run(&req, &recorder, "lesson").await?;
            let v = table_metric(&r, metric).ok_or_else(|| format!("the run did not measure {metric}"))?;
            let summary = r
                .rows
                .iter()
                .map(|x| format!("{} {}", x.path.name(), x.rtt_ms.map_or("—".into(), |t| format!("{:.1} ms", t.p50))))
                .collect::<Vec<_>>()
                .join(", ");
            Ok((v, format!("echo p50: {summary}")))
        }
        WebrtcRun::SendFile(req) => {
            let r = rtclab_practice::file_transfer::run(&req, &recorder).await?;
            let v = file_metric(&r, metric).ok_or_else(|| format!("the run did not measure {metric}"))?;
            let summary = r
                .rows
                .iter()
                .map(|x| {
                    let hash = if x.sha256_matches { "matches" } else { "differs" };
                    format!("{}: {}/{} chunks, SHA-256 {hash}", x.mode.name(), x.chunks_received, x.chunks)
                })
                .collect::<Vec<_>>()
                .join("; ");
            Ok((v, summary))
        }
        WebrtcRun::Call(cfg) => {
            // Virtual time: the call is computation, done in well under a second.
            let r = rtclab_call::run(&cfg)?;
            let v = call_metric(&r, metric).ok_or_else(|| format!("the run did not measure {metric}"))?;
            let ups =
                r.participants.iter().map(|p| format!("{} ↑{:.0}", p.id, p.uplink_kbps)).collect::<Vec<_>>().join(", ");
            let summary = format!(
                "one stream {:.0} kbit/s; uplinks (kbit/s) {ups}; video delivered {:.1} %",
                r.stream_kbps,
                r.totals.video_delivered * 100.0
            );
            Ok((v, summary))
        }
    }
}
