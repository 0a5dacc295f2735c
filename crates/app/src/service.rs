//! The `Lab` service: what both shells (the Tauri app and `rtc-lab serve`) drive.
//!
//! It owns the current trace (one recorder per run or import), runs comparisons in the
//! background, keeps a `RunStatus`, and turns the recorder's events into a live stream of
//! batched `LiveMessage`s for any number of subscribers.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rtclab_techniques::experiment::Phase;
use rtclab_techniques::{Technique, metrics};
use rtclab_trace::{Recorder, TraceEvent};
use tokio::sync::{broadcast, mpsc, watch};

use crate::api::{self, BlockRun, EventPage, LiveMessage, RunOrigin, RunState, RunStatus, StartRun, TechniqueResult};
use crate::compare::{self, Comparison};
use crate::error::LabError;
use crate::live::LiveFigures;
use crate::nat_live::NatLive;

/// Most events in one live message.
const BATCH_MAX: usize = 2000;
/// How often live events are flushed to subscribers.
const BATCH_EVERY: Duration = Duration::from_millis(50);
/// Events kept per run.
pub const TRACE_CAPACITY: usize = 1_000_000;
/// Finished runs of lesson blocks kept for scoring (the newest per block is what counts).
const BLOCK_RUNS_KEPT: usize = 64;
/// Points kept per latency CDF sent to the UI.
const CDF_POINTS: usize = 200;

/// The lab. Cheap to clone; clones share everything.
#[derive(Debug, Clone)]
pub struct Lab {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    current: Mutex<Current>,
    /// The recorder of the current trace; changes on each run or import.
    trace: watch::Sender<Recorder>,
    status: watch::Sender<RunStatus>,
    /// Live figures of the current trace, caught up whenever a status is taken.
    live: Mutex<LiveFigures>,
    /// Finished runs started from lesson blocks, oldest first.
    block_runs: Mutex<VecDeque<BlockRun>>,
    /// The newest live NAT-lab run, as the NAT lab draws it (see `crate::nat_live`).
    nat: watch::Sender<Option<NatLive>>,
    /// The pace of the live NAT-lab run going on, if one is.
    nat_speed: Mutex<Option<watch::Sender<f64>>>,
}

#[derive(Debug)]
struct Current {
    stop: Option<watch::Sender<bool>>,
    comparison: Option<Comparison>,
    /// Wall-clock time of trace time zero (for HAR timestamps).
    started: SystemTime,
}

impl Default for Lab {
    fn default() -> Self {
        Self::new()
    }
}

pub(crate) fn idle_status() -> RunStatus {
    RunStatus {
        run_id: 0,
        state: RunState::Idle,
        techniques: vec![],
        workload: None,
        current: None,
        progress: 0.0,
        phase: "idle".into(),
        results: vec![],
        error: None,
        live: vec![],
        findings: vec![],
        events: 0,
        evicted: 0,
        source: "run".into(),
        origin: None,
        tap: None,
        cluster: None,
        lb_check: None,
        webrtc_vs_ws: None,
        browser_peer: None,
        send_file: None,
    }
}

impl Lab {
    pub fn new() -> Self {
        Lab {
            inner: Arc::new(Inner {
                current: Mutex::new(Current { stop: None, comparison: None, started: SystemTime::now() }),
                trace: watch::channel(Recorder::with_capacity(TRACE_CAPACITY)).0,
                status: watch::channel(idle_status()).0,
                live: Mutex::new(LiveFigures::default()),
                block_runs: Mutex::new(VecDeque::new()),
                nat: watch::channel(None).0,
                nat_speed: Mutex::new(None),
            }),
        }
    }

    pub fn catalog(&self) -> api::Catalog {
        api::catalog()
    }

    /// The current status, with fresh event counters.
    pub fn status(&self) -> RunStatus {
        let mut s = self.inner.status.borrow().clone();
        // The live figures and the recorder they read change together (see `replace_trace`).
        let mut live = self.inner.live.lock().unwrap_or_else(|p| p.into_inner());
        let recorder = self.recorder();
        let stats = recorder.stats();
        s.events = stats.recorded;
        s.evicted = stats.evicted;
        live.catch_up(&recorder);
        s.live = live.metrics();
        s
    }

    /// Resolves once no run is going.
    pub async fn wait_until_idle(&self) {
        let mut rx = self.inner.status.subscribe();
        let _ = rx.wait_for(|s| s.state != RunState::Running).await;
    }

    /// Points the trace at a new recorder, with fresh live figures.
    fn replace_trace(&self, recorder: Recorder) {
        let mut live = self.inner.live.lock().unwrap_or_else(|p| p.into_inner());
        *live = LiveFigures::default();
        self.inner.trace.send_replace(recorder);
    }

    /// The recorder of the current trace.
    pub fn recorder(&self) -> Recorder {
        self.inner.trace.borrow().clone()
    }

    /// Starts a run in the background. Refused while another run is going.
    pub fn start(&self, req: StartRun) -> Result<RunStatus, LabError> {
        self.start_from(req, None)
    }

    /// Starts a run on behalf of a lesson block: when it finishes, its results are kept as
    /// that block's (see [`Lab::block_run`]).
    pub fn start_from(&self, req: StartRun, origin: Option<RunOrigin>) -> Result<RunStatus, LabError> {
        if req.techniques.is_empty() {
            return Err(LabError::BadRequest("choose at least one technique".into()));
        }
        let techniques: Vec<Technique> = req
            .techniques
            .iter()
            .map(|t| t.parse().map_err(|e: rtclab_techniques::Error| LabError::BadRequest(e.to_string())))
            .collect::<Result<_, _>>()?;
        let workload = req.workload.to_workload().map_err(|e| LabError::BadRequest(e.to_string()))?;
        let names: Vec<String> = techniques.iter().map(|t| t.to_string()).collect();
        let template = RunStatus {
            current: names.first().cloned(),
            techniques: names,
            workload: Some(req.workload.clone()),
            phase: "starting".into(),
            origin,
            ..idle_status()
        };
        let (_, stop_rx, recorder) = self.begin_run(template)?;

        let lab = self.clone();
        tokio::spawn(async move {
            let n = techniques.len() as f64;
            let observer = |i: usize, t: Technique, p: Phase| {
                let (phase, within) = match p {
                    Phase::Connecting { tap } => {
                        lab.inner.status.send_modify(|s| s.tap = Some(tap.to_string()));
                        ("connecting clients".to_owned(), 0.0)
                    }
                    Phase::Publishing { done, total } => {
                        (format!("publishing {done}/{total}"), 0.9 * done as f64 / total.max(1) as f64)
                    }
                    Phase::Draining => ("waiting for the last deliveries".to_owned(), 0.92),
                    Phase::Closing => ("closing connections".to_owned(), 0.97),
                };
                lab.inner.status.send_modify(|s| {
                    s.current = Some(t.to_string());
                    s.phase = phase;
                    s.progress = (i as f64 + within) / n;
                });
            };
            let result = compare::run(&techniques, &workload, &recorder, &observer, Some(stop_rx.clone())).await;
            let stopped = *stop_rx.borrow();
            lab.finish(result, stopped);
        });
        Ok(self.status())
    }

    fn finish(&self, result: Result<Comparison, rtclab_techniques::Error>, stopped: bool) {
        let mut cur = self.inner.current.lock().unwrap_or_else(|p| p.into_inner());
        cur.stop = None;
        match result {
            Ok(c) => {
                let results: Vec<TechniqueResult> = c.runs.iter().map(result_of).collect();
                let findings = compare::findings(&c);
                cur.comparison = Some(c);
                let status = self.inner.status.borrow().clone();
                if let (false, Some(origin), Some(workload)) = (stopped, status.origin, status.workload) {
                    let mut kept = self.inner.block_runs.lock().unwrap_or_else(|p| p.into_inner());
                    if kept.len() == BLOCK_RUNS_KEPT {
                        kept.pop_front();
                    }
                    kept.push_back(BlockRun {
                        run_id: status.run_id,
                        origin,
                        techniques: status.techniques,
                        workload,
                        results: results.clone(),
                        table: Vec::new(),
                    });
                }
                self.inner.status.send_modify(|s| {
                    s.state = if stopped { RunState::Stopped } else { RunState::Finished };
                    s.phase = if stopped { "stopped".into() } else { "finished".into() };
                    s.progress = 1.0;
                    s.current = None;
                    s.tap = None;
                    s.results = results;
                    s.findings = findings;
                });
            }
            Err(e) => self.inner.status.send_modify(|s| {
                s.state = RunState::Failed;
                s.phase = "failed".into();
                s.error = Some(e.to_string());
                s.current = None;
                s.tap = None;
            }),
        }
    }

    /// Takes the run slot: a fresh trace, `template` as the status, now `running` with the
    /// next run id. Refused while another run is going. Returns the run id, the stop signal
    /// and the recorder.
    pub(crate) fn begin_run(&self, template: RunStatus) -> Result<(u64, watch::Receiver<bool>, Recorder), LabError> {
        // One lock across the check and the start: two calls at once cannot both start.
        let mut cur = self.inner.current.lock().unwrap_or_else(|p| p.into_inner());
        if self.inner.status.borrow().state == RunState::Running {
            return Err(LabError::Conflict("a run is in progress; stop it first".into()));
        }
        let (stop_tx, stop_rx) = watch::channel(false);
        let recorder = Recorder::with_capacity(TRACE_CAPACITY);
        let run_id = self.inner.status.borrow().run_id + 1;
        cur.stop = Some(stop_tx);
        cur.comparison = None;
        cur.started = SystemTime::now();
        self.inner.status.send_replace(RunStatus { run_id, state: RunState::Running, ..template });
        self.replace_trace(recorder.clone());
        Ok((run_id, stop_rx, recorder))
    }

    /// Says what a run started with [`Lab::begin_run`] is doing.
    pub(crate) fn set_phase(&self, phase: &str, progress: f64) {
        self.inner.status.send_modify(|s| {
            s.phase = phase.into();
            s.progress = progress;
        });
    }

    /// Puts a finished load-balancer check on the status.
    pub(crate) fn set_lb_check(&self, check: rtclab_cluster::sessions::SessionCheck) {
        self.inner.status.send_modify(|s| s.lb_check = Some(check));
    }

    /// Puts what the Rust peer of a browser call sees now on the status.
    pub(crate) fn set_browser_peer(&self, view: rtclab_practice::browser_peer::BrowserPeerView) {
        self.inner.status.send_modify(|s| s.browser_peer = Some(view));
    }

    /// Puts a finished file transfer on the status.
    pub(crate) fn set_send_file(&self, report: rtclab_practice::file_transfer::TransferReport) {
        self.inner.status.send_modify(|s| s.send_file = Some(report));
    }

    /// Puts a finished WebSockets-vs-WebRTC table on the status.
    pub(crate) fn set_webrtc_vs_ws(&self, report: rtclab_practice::compare::CompareReport) {
        self.inner.status.send_modify(|s| s.webrtc_vs_ws = Some(report));
    }

    /// Puts a finished cluster run's report on the status.
    pub(crate) fn set_cluster(&self, report: rtclab_cluster::experiment::ClusterReport) {
        self.inner.status.send_modify(|s| s.cluster = Some(report));
    }

    /// Ends a run started with [`Lab::begin_run`].
    pub(crate) fn end_run(&self, state: RunState, error: Option<String>) {
        let mut cur = self.inner.current.lock().unwrap_or_else(|p| p.into_inner());
        cur.stop = None;
        self.inner.status.send_modify(|s| {
            s.phase = match state {
                RunState::Stopped => "stopped",
                RunState::Failed => "failed",
                _ => "finished",
            }
            .into();
            s.state = state;
            s.progress = 1.0;
            s.current = None;
            s.error = error;
        });
    }

    /// The newest live NAT-lab run.
    pub fn nat_live(&self) -> Option<NatLive> {
        self.inner.nat.borrow().clone()
    }

    pub(crate) fn publish_nat(&self, live: NatLive) {
        self.inner.nat.send_replace(Some(live));
    }

    /// Where the pace of the going live NAT-lab run is set (`None`: none is going).
    pub(crate) fn nat_speed(&self) -> std::sync::MutexGuard<'_, Option<watch::Sender<f64>>> {
        self.inner.nat_speed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The newest finished run of a lesson block (a run stopped early does not count).
    pub fn block_run(&self, origin: &RunOrigin) -> Option<BlockRun> {
        let kept = self.inner.block_runs.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter().rev().find(|r| &r.origin == origin).cloned()
    }

    /// The newest finished run of every block of `lesson`.
    pub fn block_runs_of(&self, lesson: &str) -> Vec<BlockRun> {
        let kept = self.inner.block_runs.lock().unwrap_or_else(|p| p.into_inner());
        let mut newest: Vec<BlockRun> = Vec::new();
        for r in kept.iter().rev().filter(|r| r.origin.lesson == lesson) {
            if !newest.iter().any(|n| n.origin == r.origin) {
                newest.push(r.clone());
            }
        }
        newest
    }

    /// Asks the running run to stop; returns at once.
    pub fn stop(&self) -> RunStatus {
        let cur = self.inner.current.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(stop) = &cur.stop {
            let _ = stop.send(true);
            self.inner.status.send_modify(|s| s.phase = "stopping".into());
        }
        drop(cur);
        self.status()
    }

    /// Held events with `seq >= from`.
    pub fn trace_since(&self, from: u64) -> Vec<TraceEvent> {
        self.recorder().events_since(from).iter().map(|e| (**e).clone()).collect()
    }

    /// The whole trace as JSON Lines.
    pub fn export_jsonl(&self) -> String {
        let events: Vec<TraceEvent> = self.trace_since(0);
        let mut buf = Vec::new();
        let _ = rtclab_trace::jsonl::write(&mut buf, &events);
        String::from_utf8(buf).unwrap_or_default()
    }

    /// The whole trace as HAR 1.2.
    pub fn export_har(&self) -> String {
        let started = self.inner.current.lock().unwrap_or_else(|p| p.into_inner()).started;
        let events = self.trace_since(0);
        serde_json::to_string_pretty(&crate::har::build(&events, started)).unwrap_or_default()
    }

    /// One chart of the current comparison, as SVG text.
    pub fn export_plot(&self, name: &str) -> Result<String, LabError> {
        let cur = self.inner.current.lock().unwrap_or_else(|p| p.into_inner());
        let c = cur
            .comparison
            .as_ref()
            .ok_or_else(|| LabError::NotFound("no finished run to chart yet; run an experiment first".into()))?;
        crate::plots::render_one(c, name).map_err(|e| match e {
            crate::plots::PlotError::Unknown(_) => LabError::NotFound(e.to_string()),
            other => LabError::Internal(other.to_string()),
        })
    }

    /// Replaces the current trace with a saved one (JSON Lines).
    pub fn import_jsonl(&self, text: &str) -> Result<RunStatus, LabError> {
        let mut cur = self.inner.current.lock().unwrap_or_else(|p| p.into_inner());
        if self.inner.status.borrow().state == RunState::Running {
            return Err(LabError::Conflict("a run is in progress; stop it before importing".into()));
        }
        let events = rtclab_trace::jsonl::read(text.as_bytes(), "imported trace")
            .map_err(|e| LabError::BadRequest(e.to_string()))?;
        if events.is_empty() {
            return Err(LabError::BadRequest("the file holds no trace events".into()));
        }
        let mut experiments: Vec<String> = Vec::new();
        for e in &events {
            if !experiments.iter().any(|x| **x == *e.experiment) {
                experiments.push(e.experiment.to_string());
            }
        }
        let results = experiments
            .iter()
            .map(|x| {
                let of = || events.iter().filter(|e| *e.experiment == **x);
                TechniqueResult {
                    technique: x.clone(),
                    expected_deliveries: 0,
                    metrics: metrics::compute(x, of()),
                    latency_cdf: api::cdf(&metrics::latencies_ms(of()), CDF_POINTS),
                    requests_per_second: metrics::requests_per_second_series(of()),
                }
            })
            .collect();
        cur.comparison = None;
        cur.started = SystemTime::now();
        let results: Vec<TechniqueResult> = results;
        let findings = import_findings(&results);
        let run_id = self.inner.status.borrow().run_id + 1;
        self.inner.status.send_replace(RunStatus {
            run_id,
            state: RunState::Finished,
            findings,
            techniques: experiments,
            progress: 1.0,
            phase: "imported".into(),
            results,
            source: "import".into(),
            ..idle_status()
        });
        self.replace_trace(Recorder::from_events(events, TRACE_CAPACITY));
        drop(cur);
        Ok(self.status())
    }

    /// A live stream: a `reset` with the status, the events held so far, then new events in
    /// batches and status changes. Ends when the receiver is dropped.
    pub fn subscribe(&self) -> mpsc::Receiver<LiveMessage> {
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(forward(self.clone(), tx));
        rx
    }
}

/// Findings of an imported trace: experiments named after a technique, no known workload.
fn import_findings(results: &[TechniqueResult]) -> Vec<String> {
    let measured: Vec<compare::Measured> = results
        .iter()
        .filter_map(|r| {
            let technique = r.technique.parse().ok()?;
            Some(compare::Measured { technique, metrics: &r.metrics, expected_deliveries: 0 })
        })
        .collect();
    compare::findings_of(&measured, None)
}

fn result_of(r: &rtclab_techniques::RunReport) -> TechniqueResult {
    TechniqueResult {
        technique: r.technique.to_string(),
        expected_deliveries: r.expected_deliveries,
        metrics: r.metrics.clone(),
        latency_cdf: api::cdf(&r.latencies_ms, CDF_POINTS),
        requests_per_second: r.requests_per_second.clone(),
    }
}

/// Feeds one subscriber until it goes away.
async fn forward(lab: Lab, tx: mpsc::Sender<LiveMessage>) {
    let mut traces = lab.inner.trace.subscribe();
    let mut statuses = lab.inner.status.subscribe();
    let mut nats = lab.inner.nat.subscribe();
    'trace: loop {
        traces.borrow_and_update();
        let recorder = lab.recorder();
        let (held, mut live) = recorder.subscribe();
        if tx.send(LiveMessage::Reset { status: lab.status() }).await.is_err() {
            return;
        }
        let nat = nats.borrow_and_update().clone();
        if let Some(live) = nat
            && tx.send(LiveMessage::Nat { live: Box::new(live) }).await.is_err()
        {
            return;
        }
        for chunk in held.chunks(BATCH_MAX) {
            let events = chunk.iter().map(|e| (**e).clone()).collect();
            if tx.send(EventPage::of(events).into()).await.is_err() {
                return;
            }
        }
        let mut batch: Vec<TraceEvent> = Vec::new();
        let mut tick = tokio::time::interval(BATCH_EVERY);
        loop {
            tokio::select! {
                ev = live.recv() => match ev {
                    Ok(e) => if !take(&tx, &mut batch, Ok(e)).await { return },
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        if !take(&tx, &mut batch, Err(missed)).await { return }
                    }
                    Err(broadcast::error::RecvError::Closed) => {}
                },
                _ = tick.tick() => {
                    let status_changed = statuses.has_changed().unwrap_or(false);
                    if status_changed {
                        // Everything recorded before the change goes out before it: a
                        // "finished" never overtakes the run's last events.
                        loop {
                            let ev = match live.try_recv() {
                                Ok(e) => Ok(e),
                                Err(broadcast::error::TryRecvError::Lagged(missed)) => Err(missed),
                                Err(_) => break,
                            };
                            if !take(&tx, &mut batch, ev).await { return }
                        }
                    }
                    if !flush(&tx, &mut batch).await { return }
                    if status_changed {
                        statuses.borrow_and_update();
                        if tx.send(LiveMessage::Status { status: lab.status() }).await.is_err() { return }
                    }
                    if nats.has_changed().unwrap_or(false) {
                        let nat = nats.borrow_and_update().clone();
                        if let Some(live) = nat
                            && tx.send(LiveMessage::Nat { live: Box::new(live) }).await.is_err()
                        {
                            return;
                        }
                    }
                }
                changed = traces.changed() => {
                    if changed.is_err() { return }
                    continue 'trace;
                }
            }
        }
    }
}

/// Takes one recorded event into the batch (sent when full), or passes on how many the
/// subscriber missed; false when the subscriber is gone.
async fn take(
    tx: &mpsc::Sender<LiveMessage>,
    batch: &mut Vec<TraceEvent>,
    ev: Result<std::sync::Arc<TraceEvent>, u64>,
) -> bool {
    match ev {
        Ok(e) => {
            batch.push((*e).clone());
            batch.len() < BATCH_MAX || flush(tx, batch).await
        }
        Err(missed) => flush(tx, batch).await && tx.send(LiveMessage::Lagged { missed }).await.is_ok(),
    }
}

async fn flush(tx: &mpsc::Sender<LiveMessage>, batch: &mut Vec<TraceEvent>) -> bool {
    if batch.is_empty() {
        return true;
    }
    let events = std::mem::take(batch);
    tx.send(EventPage::of(events).into()).await.is_ok()
}
