//! The types that cross the door between the lab and its UI (Tauri commands or the HTTP
//! control API). TypeScript definitions are generated from these with ts-rs into
//! `ui/src/bindings/`, so the UI never hand-copies a shape.

use std::time::Duration;

use rtclab_techniques::workload::limits;
use rtclab_techniques::{Direction, Metrics, Technique, Workload};
use rtclab_trace::TraceEvent;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A workload as the UI edits it (durations in milliseconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WorkloadDto {
    pub clients: u32,
    pub rate: f64,
    pub payload: u32,
    #[ts(type = "number")]
    pub duration_ms: u64,
    /// `down` or `both`.
    pub direction: String,
    #[ts(type = "number")]
    pub seed: u64,
    #[ts(type = "number")]
    pub poll_interval_ms: u64,
    #[ts(type = "number")]
    pub long_poll_timeout_ms: u64,
    /// Server heartbeat interval (WebSocket pings, SSE keep-alives); default 5000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub heartbeat_ms: Option<u64>,
    /// Cut every connection this long after publishing starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub cut_at_ms: Option<u64>,
    /// SSE clients stream an AI-style answer with this delay between tokens instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub answer_token_delay_ms: Option<u64>,
}

impl From<&Workload> for WorkloadDto {
    fn from(w: &Workload) -> Self {
        WorkloadDto {
            clients: w.clients,
            rate: w.rate,
            payload: w.payload as u32,
            duration_ms: w.duration.as_millis() as u64,
            direction: match w.direction {
                Direction::Down => "down".into(),
                Direction::Both => "both".into(),
            },
            seed: w.seed,
            poll_interval_ms: w.poll_interval.as_millis() as u64,
            long_poll_timeout_ms: w.long_poll_timeout.as_millis() as u64,
            heartbeat_ms: Some(w.heartbeat.as_millis() as u64),
            cut_at_ms: w.cut_at.map(|d| d.as_millis() as u64),
            answer_token_delay_ms: w.answer_token_delay.map(|d| d.as_millis() as u64),
        }
    }
}

impl WorkloadDto {
    /// The engine's workload, validated (errors name the field and the allowed range).
    pub fn to_workload(&self) -> Result<Workload, rtclab_techniques::Error> {
        let w = Workload {
            clients: self.clients,
            rate: self.rate,
            payload: self.payload as usize,
            duration: Duration::from_millis(self.duration_ms),
            direction: self.direction.parse()?,
            seed: self.seed,
            poll_interval: Duration::from_millis(self.poll_interval_ms),
            long_poll_timeout: Duration::from_millis(self.long_poll_timeout_ms),
            heartbeat: self.heartbeat_ms.map_or(Workload::default().heartbeat, Duration::from_millis),
            cut_at: self.cut_at_ms.map(Duration::from_millis),
            answer_token_delay: self.answer_token_delay_ms.map(Duration::from_millis),
        };
        w.validate()?;
        Ok(w)
    }
}

/// One technique the lab can run.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TechniqueInfo {
    pub id: String,
    pub name: String,
    pub summary: String,
}

/// Bounds a workload must respect.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Limits {
    pub max_clients: u32,
    pub max_rate: f64,
    pub max_payload: u32,
    #[ts(type = "number")]
    pub max_duration_ms: u64,
    #[ts(type = "number")]
    pub min_poll_interval_ms: u64,
}

/// What the lab offers.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Catalog {
    pub techniques: Vec<TechniqueInfo>,
    pub default_workload: WorkloadDto,
    pub limits: Limits,
}

/// The catalogue of experiments.
pub fn catalog() -> Catalog {
    let info = |t: Technique, name: &str, summary: &str| TechniqueInfo {
        id: t.as_str().into(),
        name: name.into(),
        summary: summary.into(),
    };
    Catalog {
        techniques: vec![
            info(Technique::Polling, "Polling", "The client asks on a fixed interval whether anything is new."),
            info(
                Technique::LongPolling,
                "Long polling",
                "The server holds each request until there is news, then the client asks again.",
            ),
            info(
                Technique::Sse,
                "Server-Sent Events",
                "One long HTTP response carries events from server to client; reconnects resume by id.",
            ),
            info(
                Technique::Websocket,
                "WebSocket",
                "An upgraded connection carries small frames both ways, full duplex.",
            ),
        ],
        default_workload: WorkloadDto::from(&Workload { clients: 5, rate: 2.0, ..Workload::default() }),
        limits: Limits {
            max_clients: limits::MAX_CLIENTS,
            max_rate: limits::MAX_RATE,
            max_payload: limits::MAX_PAYLOAD as u32,
            max_duration_ms: limits::MAX_DURATION.as_millis() as u64,
            min_poll_interval_ms: limits::MIN_POLL_INTERVAL.as_millis() as u64,
        },
    }
}

/// A request to run techniques under a workload.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StartRun {
    pub techniques: Vec<String>,
    pub workload: WorkloadDto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RunState {
    Idle,
    Running,
    Finished,
    Stopped,
    Failed,
}

/// Measured results of one technique.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TechniqueResult {
    pub technique: String,
    /// 0 when unknown (an imported trace).
    #[ts(type = "number")]
    pub expected_deliveries: u64,
    pub metrics: Metrics,
    /// Points of the latency CDF: (ms, share of deliveries at or below).
    pub latency_cdf: Vec<(f64, f64)>,
    #[ts(type = "number[]")]
    pub requests_per_second: Vec<u64>,
}

/// The lesson block a run was started from: an experiment or a challenge (`block` is its id).
/// Set by the lab only (`start_experiment`, `start_challenge`), never taken from the page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RunOrigin {
    pub lesson: String,
    pub block: String,
}

/// A finished run of a lesson block, kept so each block's result stays its own.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BlockRun {
    #[ts(type = "number")]
    pub run_id: u64,
    pub origin: RunOrigin,
    pub techniques: Vec<String>,
    pub workload: WorkloadDto,
    pub results: Vec<TechniqueResult>,
    /// The block's result table for this run: one row per technique, the cells of its
    /// columns formatted with their units (filled when the course is read).
    #[serde(default)]
    pub table: Vec<ResultRow>,
}

/// One technique's row of a lesson block's result table.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ResultRow {
    pub technique: String,
    pub cells: Vec<String>,
}

/// Where the lab is.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RunStatus {
    #[ts(type = "number")]
    pub run_id: u64,
    pub state: RunState,
    pub techniques: Vec<String>,
    pub workload: Option<WorkloadDto>,
    /// The technique running now.
    pub current: Option<String>,
    /// 0..1 over the whole run.
    pub progress: f64,
    pub phase: String,
    pub results: Vec<TechniqueResult>,
    /// What the finished run's figures show, in plain words (computed by the lab).
    pub findings: Vec<String>,
    pub error: Option<String>,
    /// The figures of each experiment of the trace so far, fresh with every status (the
    /// same computation as the final `results`).
    pub live: Vec<Metrics>,
    /// Events recorded so far, and how many the bounded recorder had to evict.
    #[ts(type = "number")]
    pub events: u64,
    #[ts(type = "number")]
    pub evicted: u64,
    /// `run` or `import`.
    pub source: String,
    /// The lesson block this run was started from, if any.
    pub origin: Option<RunOrigin>,
    /// `host:port` of the running experiment's tap: a browser can join the experiment as one
    /// more client there (`EventSource` on `/events`, `WebSocket` on `/ws`).
    pub tap: Option<String>,
    /// The report of a finished cluster run (`start_cluster`).
    #[serde(default)]
    pub cluster: Option<rtclab_cluster::experiment::ClusterReport>,
    /// The result of a finished load-balancer check (`start_lb_check`).
    #[serde(default)]
    pub lb_check: Option<rtclab_cluster::sessions::SessionCheck>,
    /// The measured WebSockets-vs-WebRTC table (`start_webrtc_vs_ws`).
    #[serde(default)]
    pub webrtc_vs_ws: Option<rtclab_practice::compare::CompareReport>,
    /// What the Rust peer of a browser call sees (`start_browser_peer`), updated as it goes.
    #[serde(default)]
    pub browser_peer: Option<rtclab_practice::browser_peer::BrowserPeerView>,
    /// A finished file transfer (`start_send_file`).
    #[serde(default)]
    pub send_file: Option<rtclab_practice::file_transfer::TransferReport>,
}

/// What the live stream carries.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum LiveMessage {
    /// A new run or an import replaced the trace; drop what you hold.
    Reset {
        status: RunStatus,
    },
    /// New events, in sequence order, each with its one-line summary (`summaries[i]` is
    /// of `events[i]`).
    Events {
        events: Vec<TraceEvent>,
        summaries: Vec<String>,
    },
    Status {
        status: RunStatus,
    },
    /// The live NAT-lab run so far (each message replaces the last).
    Nat {
        live: Box<crate::nat_live::NatLive>,
    },
    /// The subscriber fell behind and missed this many events (fetch them with `trace_since`).
    Lagged {
        #[ts(type = "number")]
        missed: u64,
    },
}

/// Events with their one-line summaries (`summaries[i]` describes `events[i]`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EventPage {
    pub events: Vec<TraceEvent>,
    pub summaries: Vec<String>,
}

impl EventPage {
    pub fn of(events: Vec<TraceEvent>) -> Self {
        let summaries = events.iter().map(rtclab_trace::describe::summary).collect();
        EventPage { events, summaries }
    }
}

impl From<EventPage> for LiveMessage {
    fn from(p: EventPage) -> Self {
        LiveMessage::Events { events: p.events, summaries: p.summaries }
    }
}

/// An error as the UI sees it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ApiError {
    /// `bad_request`, `conflict`, `not_found`, `unauthorized`, `forbidden`, `internal`.
    pub kind: String,
    pub message: String,
}

/// Thins a sorted latency list to at most `points` CDF points.
pub fn cdf(sorted_ms: &[f64], points: usize) -> Vec<(f64, f64)> {
    let n = sorted_ms.len();
    if n == 0 {
        return Vec::new();
    }
    let step = (n / points.max(1)).max(1);
    (0..n).filter(|i| i % step == 0 || *i == n - 1).map(|i| (sorted_ms[i], (i + 1) as f64 / n as f64)).collect()
}
