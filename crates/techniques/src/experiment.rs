//! Running a technique under a workload, with the tap in the middle.
//!
//! One run: a fresh hub and lab server on an OS-chosen loopback port, a tap in front of it,
//! `clients` real clients connected through the tap, and a publisher sending `rate`
//! messages per second for `duration`. Then the run waits until every message reached every
//! client (or a drain deadline passes), stops the clients (which close their connections
//! properly), and computes the metrics from the trace.

use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rtclab_trace::{Actor, EventKind, NewEvent, Recorder, TraceEvent};
use rtclab_wire::tap::{ClientDirectory, Tap, TapConfig};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::client::{self, ClientCtx, Ledger, PublishCmd, PublishRx, Target};
use crate::counting::ByteCounters;
use crate::hub::Hub;
use crate::message::{PublishRequest, body_of_len};
use crate::metrics::{self, Metrics};
use crate::server::{self, ServerConfig};
use crate::workload::{Direction, Technique, Workload};
use crate::{Error, Result};

/// How long clients may take to connect before publishing starts anyway.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long stopping clients may take to close their connections.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// One technique under one workload.
#[derive(Debug, Clone)]
pub struct Experiment {
    pub technique: Technique,
    pub workload: Workload,
    pub server: ServerConfig,
    /// Name of the run on the trace (defaults to the technique's name).
    pub id: Option<String>,
    /// When this turns true the run stops publishing and closes early.
    pub stop: Option<watch::Receiver<bool>>,
}

/// What a run produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    pub technique: Technique,
    pub workload: Workload,
    pub expected_deliveries: u64,
    pub metrics: Metrics,
    /// Delivery latencies, sorted (ms), for CDF charts.
    pub latencies_ms: Vec<f64>,
    /// Requests started in each second of the run.
    pub requests_per_second: Vec<u64>,
    /// Bytes the clients' sockets wrote and read, for checking the tap's figures.
    pub client_bytes_written: u64,
    pub client_bytes_read: u64,
}

/// Progress of a run, for progress bars.
#[derive(Debug, Clone, Copy)]
pub enum Phase {
    /// Clients are connecting to the tap at `tap` (other clients, such as a browser, may
    /// join there too).
    Connecting {
        tap: std::net::SocketAddr,
    },
    Publishing {
        done: u64,
        total: u64,
    },
    Draining,
    Closing,
}

/// A handle on the parts of a running experiment tests want to poke (fault injection).
#[derive(Debug, Clone)]
pub struct Controls {
    cut: mpsc::UnboundedSender<()>,
}

impl Controls {
    /// Cuts every open connection at the tap.
    pub fn cut_connections(&self) {
        let _ = self.cut.send(());
    }
}

impl Experiment {
    pub fn new(technique: Technique, workload: Workload) -> Self {
        Experiment { technique, workload, server: experiment_server_config(), id: None, stop: None }
    }

    pub fn id(&self) -> Arc<str> {
        Arc::from(self.id.as_deref().unwrap_or(self.technique.as_str()))
    }

    /// Runs the experiment, recording into `recorder`.
    pub async fn run(&self, recorder: &Recorder, progress: &(dyn Fn(Phase) + Sync)) -> Result<RunReport> {
        self.run_with(recorder, progress, |_| {}).await
    }

    /// Like [`run`](Self::run), handing `controls` to the caller once clients are connected.
    pub async fn run_with(
        &self,
        recorder: &Recorder,
        progress: &(dyn Fn(Phase) + Sync),
        controls: impl FnOnce(Controls),
    ) -> Result<RunReport> {
        let w = &self.workload;
        w.validate()?;
        if w.answer_token_delay.is_some() && self.technique != Technique::Sse {
            return Err(Error::InvalidWorkload {
                flag: "--answer-token-delay",
                message: format!("a token-streamed answer is an SSE stream; {} cannot carry it", self.technique),
            });
        }
        let exp = self.id();
        let first_seq = recorder.stats().recorded;
        let note = |text: String| {
            recorder.record(NewEvent::new(&exp, Actor::Tap, EventKind::Note { text }));
        };
        note(format!(
            "{}: {} clients, {} msg/s, {} B payload, {:?}, direction {:?}, seed {}",
            self.technique, w.clients, w.rate, w.payload, w.duration, w.direction, w.seed
        ));

        // Server and tap, both on OS-chosen loopback ports.
        let hub = Hub::default();
        let server_config =
            ServerConfig { ws_heartbeat: w.heartbeat, sse_keep_alive: w.heartbeat, ..self.server.clone() };
        let server = server::Running::start(hub.clone(), server_config).await?;
        let server_addr = server.addr;
        let directory = ClientDirectory::default();
        let tap = Tap::start(TapConfig {
            experiment: exp.clone(),
            upstream: server_addr,
            recorder: recorder.clone(),
            directory: directory.clone(),
        })
        .await
        .map_err(Error::io("starting the tap"))?;

        // Clients.
        progress(Phase::Connecting { tap: tap.addr() });
        let (_, mut live) = recorder.subscribe();
        let ledger = Arc::new(Ledger::default());
        let counters = Arc::new(ByteCounters::default());
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut rng = StdRng::seed_from_u64(w.seed);
        // Poll phases are spread evenly over one interval from a seeded offset. Messages are
        // published on a fixed schedule, so each client's delay repeats message after
        // message; random phases would make the median of a handful of clients a lottery
        // (and shift with scheduling), while even spacing samples the whole interval.
        let phase_offset = rng.random::<f64>();
        let mut clients = JoinSet::new();
        let mut publishers: Vec<mpsc::UnboundedSender<PublishCmd>> = Vec::new();
        for id in 0..w.clients {
            let ctx = Arc::new(ClientCtx {
                id,
                target: Target { addr: tap.addr(), host: tap.addr().to_string() },
                recorder: recorder.clone(),
                experiment: exp.clone(),
                directory: directory.clone(),
                counters: counters.clone(),
                ledger: ledger.clone(),
                stop: stop_rx.clone(),
            });
            let rx = if w.direction == Direction::Both {
                let (tx, rx) = mpsc::unbounded_channel();
                publishers.push(tx);
                Some(rx)
            } else {
                None
            };
            let phase = w.poll_interval.mul_f64((f64::from(id) + phase_offset) / f64::from(w.clients));
            spawn_client(&mut clients, self.technique, w, ctx, rx, phase);
        }
        // Streaming techniques must be subscribed before the first publish, or a fresh
        // client would rightly miss it. Readiness is read from the trace: the stream's
        // response head (SSE) or the 101 (WebSocket) went through the tap.
        if matches!(self.technique, Technique::Sse | Technique::Websocket) {
            wait_for_streams(&mut live, &exp, w.clients as usize).await;
        }
        drop(live);
        let (cut_tx, mut cut_rx) = mpsc::unbounded_channel();
        controls(Controls { cut: cut_tx });

        // Publishing, on a fixed schedule from a seeded generator.
        let total = w.messages();
        let start = Instant::now();
        let gap = Duration::from_secs_f64(1.0 / w.rate);
        let mut stop = self.stop.clone();
        let mut stopped_early = false;
        // The workload's own cut, if any, fires once at its time.
        let mut cut_due = w.cut_at.map(|at| start + at);
        'publishing: for i in 0..total {
            let due = start + gap.mul_f64(i as f64);
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(due) => break,
                    Some(()) = cut_rx.recv() => tap.cut_all(),
                    _ = sleep_until_some(cut_due) => {
                        cut_due = None;
                        tap.cut_all();
                    }
                    _ = stop_requested(&mut stop) => {
                        stopped_early = true;
                        note("stopped by request".into());
                        break 'publishing;
                    }
                }
            }
            let body = body_of_len(w.payload, &mut rng);
            match w.direction {
                Direction::Down => publish_from_server(recorder, &exp, &hub, &ledger, body),
                Direction::Both => {
                    let who = rng.random_range(0..publishers.len());
                    let _ = publishers[who].send(PublishCmd { body });
                }
            }
            progress(Phase::Publishing { done: i + 1, total });
        }

        // A cut due after the last publish still comes, unless the learner stopped the run.
        if let Some(due) = cut_due
            && !stopped_early
        {
            tokio::select! {
                _ = tokio::time::sleep_until(due) => tap.cut_all(),
                _ = stop_requested(&mut stop) => stopped_early = true,
            }
        }

        // Drain: wait until everything arrived, or long enough for the slowest technique.
        progress(Phase::Draining);
        if w.answer_token_delay.is_some() {
            // Each client stops at the answer's [DONE]; the run's duration bounds the wait.
            tokio::select! {
                _ = tokio::time::timeout(w.duration, async { while clients.join_next().await.is_some() {} }) => {}
                _ = stop_requested(&mut stop) => {}
            }
        }
        let expected = w.expected_deliveries();
        let drain = w.poll_interval.max(Duration::from_secs(1)) * 2 + Duration::from_secs(1);
        let mut delivered = ledger.watch_delivered();
        if !stopped_early {
            tokio::select! {
                _ = tokio::time::timeout(drain, delivered.wait_for(|n| *n >= expected)) => {}
                _ = stop_requested(&mut stop) => {}
            }
        }

        // Stop: clients close their connections, then the server and the tap go.
        progress(Phase::Closing);
        let _ = stop_tx.send(true);
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, async { while clients.join_next().await.is_some() {} }).await;
        clients.abort_all();
        if !tap.wait_idle(CLOSE_TIMEOUT).await {
            note(format!("{} connections were still open at the end and are cut", tap.open_connections()));
        }
        server.stop(CLOSE_TIMEOUT).await;
        tap.shutdown(CLOSE_TIMEOUT).await;

        let stats = recorder.stats();
        let events: Vec<Arc<TraceEvent>> =
            recorder.events_since(first_seq).into_iter().filter(|e| e.experiment == exp).collect();
        if stats.evicted > 0 && events.first().is_some_and(|e| e.seq > first_seq) {
            tracing::warn!("the recorder evicted events of this run; metrics are incomplete");
        }
        let refs = || events.iter().map(|e| &**e);
        Ok(RunReport {
            technique: self.technique,
            workload: w.clone(),
            expected_deliveries: expected,
            metrics: metrics::compute(self.technique.as_str(), refs()),
            latencies_ms: metrics::latencies_ms(refs()),
            requests_per_second: metrics::requests_per_second_series(refs()),
            client_bytes_written: counters.written(),
            client_bytes_read: counters.read(),
        })
    }
}

/// Server timings for experiments: quicker heartbeats and reconnects than production
/// defaults, so short runs show them.
pub fn experiment_server_config() -> ServerConfig {
    ServerConfig {
        sse_keep_alive: Duration::from_secs(5),
        sse_retry: Duration::from_millis(500),
        ws_heartbeat: Duration::from_secs(5),
        long_poll_default_timeout: Duration::from_secs(25),
    }
}

fn spawn_client(
    set: &mut JoinSet<()>,
    technique: Technique,
    w: &Workload,
    ctx: Arc<ClientCtx>,
    publish: Option<PublishRx>,
    phase: Duration,
) {
    use client::polling::PollPath;
    let http_upstream = |set: &mut JoinSet<()>, rx: Option<PublishRx>| {
        if let Some(rx) = rx {
            set.spawn(client::http::publish_loop(ctx.clone(), rx));
        }
    };
    match technique {
        Technique::Polling => {
            http_upstream(set, publish);
            let path = PollPath { path: "/messages".into(), lab_protocol: true };
            set.spawn(client::polling::run(ctx, path, w.poll_interval, phase));
        }
        Technique::LongPolling => {
            http_upstream(set, publish);
            let path = PollPath { path: "/poll".into(), lab_protocol: true };
            set.spawn(client::long_polling::run(ctx, path, w.long_poll_timeout));
        }
        Technique::Sse => match w.answer_token_delay {
            Some(delay) => {
                let path = format!("/chat/stream?prompt=server-sent%20events&delay_ms={}", delay.as_millis());
                set.spawn(client::sse::read_answer(ctx, path));
            }
            None => {
                http_upstream(set, publish);
                set.spawn(client::sse::run(ctx, "/events".into(), true));
            }
        },
        Technique::Websocket => {
            let opts = client::websocket::WsOptions {
                path: "/ws".into(),
                lab_protocol: true,
                close: (1000, "done".into()),
                reconnect: true,
                greet: Vec::new(),
            };
            set.spawn(client::websocket::run(ctx, opts, publish));
        }
    }
}

/// Resolves at `due`; never when there is none.
async fn sleep_until_some(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// Resolves when a stop is requested; never when there is no stop signal.
async fn stop_requested(stop: &mut Option<watch::Receiver<bool>>) {
    match stop {
        Some(rx) => {
            if rx.wait_for(|s| *s).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

fn publish_from_server(recorder: &Recorder, exp: &Arc<str>, hub: &Hub, ledger: &Ledger, body: String) {
    let id = ledger.next_id();
    let kind = EventKind::MessagePublished { msg_id: id, size: body.len() as u64 };
    let (seq, t) = recorder.record_timed(NewEvent::new(exp, Actor::Publisher, kind));
    ledger.published(id, seq);
    hub.publish(PublishRequest { id, from: None, t, body });
}

async fn wait_for_streams(
    live: &mut tokio::sync::broadcast::Receiver<Arc<TraceEvent>>,
    exp: &Arc<str>,
    clients: usize,
) {
    // Only the lab's own clients count; a browser joining the experiment is extra.
    let mut lab_conns = std::collections::HashSet::new();
    let mut ready = 0;
    let _ = tokio::time::timeout(CONNECT_TIMEOUT, async {
        while ready < clients {
            match live.recv().await {
                Ok(e) if e.experiment == *exp => match e.kind {
                    EventKind::TcpOpen { .. } if matches!(e.actor, Actor::Client(_)) => {
                        lab_conns.extend(e.conn);
                    }
                    EventKind::WsHandshake { .. } | EventKind::HttpResponse { streaming: true, .. }
                        if e.conn.is_some_and(|c| lab_conns.contains(&c)) =>
                    {
                        ready += 1;
                    }
                    _ => {}
                },
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => break,
            }
        }
    })
    .await;
}
