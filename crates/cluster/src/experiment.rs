//! One cluster experiment (`rtc-lab cluster`): nodes sharing a broker (in-process, or Redis
//! with `--redis URL`), clients spread over them round-robin, a publisher on a fixed schedule,
//! and half-way optionally a node killed, a node removed politely (scale down: drained, its
//! connections closed with 1001) or a node added behind the load balancer (scale up). Its
//! report counts what every client received against what was published, times the fan-out
//! and the recovery, and counts the connections on each node every 100 ms.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use ts_rs::TS;

use std::net::Ipv4Addr;

use crate::backend::BackendSpec;
use crate::backoff::Backoff;
use crate::balancer::{Balancer, LbMode, Upstreams};
use crate::client::{self, ClientConfig, ClientLog};
use crate::node::{GOING_AWAY, Node};
use crate::process::{NodeArgs, NodeProcess};
use crate::slow::{POLICY_VIOLATION, SlowConsumer, SlowPolicy};
use crate::stream::HistoryLimits;
use crate::traced::{ClientTrace, Publications, node_experiment};
use rtclab_trace::{Actor, EventKind, NewEvent, Recorder};
use rtclab_wire::tap::{ClientDirectory, Tap, TapConfig};

/// Largest settings a run accepts (each client holds two sockets in this one process, and a
/// process may open 20,000 files here).
pub const MAX_NODES: usize = 16;
pub const MAX_CLIENTS: usize = 4000;
pub const MAX_MESSAGES: u64 = 100_000;
/// Longest publishing phase a run accepts.
pub const MAX_PUBLISHING: Duration = Duration::from_secs(300);
/// How long clients may take to catch up after the last publication.
const SETTLE: Duration = Duration::from_secs(30);
/// Bucket of the reconnect histogram.
pub const BUCKET: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSpec {
    pub nodes: usize,
    pub clients: usize,
    pub messages: u64,
    /// Publications per second.
    pub rate: f64,
    /// The node (0-based) killed when half the messages are out.
    pub kill_node: Option<usize>,
    /// The node (0-based) removed politely when half the messages are out (scale down).
    pub remove_node: Option<usize>,
    /// A node joins behind the load balancer when half the messages are out (scale up).
    pub add_node: bool,
    /// Publications the channel's history keeps.
    pub history: usize,
    pub jitter: bool,
    pub seed: u64,
    /// Where the broker lives.
    pub backend: BackendSpec,
    /// Run each node as its own process of this program (`rtc-lab`, which has the
    /// `cluster-node` subcommand); needs Redis. `None`: nodes are tasks of this process.
    pub processes: Option<std::path::PathBuf>,
    /// Clients connect through a load balancer in this mode (each from its own 127.0.x.y
    /// address); `None`: each client connects straight to a node, the next one after a failure.
    pub lb: Option<LbMode>,
    /// Each connection's queue bound and the slow-consumer policy of every node.
    pub slow: SlowConsumer,
    /// The first this many clients read slowly (one message per `SLOW_READ`, behind a small
    /// receive buffer), so their node's queue for them fills.
    pub slow_clients: usize,
    /// Bytes of padding in each publication (bigger messages fill socket buffers sooner).
    pub payload: usize,
}

/// How long a slow client takes over each message it reads.
pub const SLOW_READ: Duration = Duration::from_millis(20);
pub const MAX_PAYLOAD: usize = 8 * 1024;

impl Default for ClusterSpec {
    fn default() -> Self {
        ClusterSpec {
            nodes: 3,
            clients: 30,
            messages: 200,
            rate: 100.0,
            kill_node: None,
            remove_node: None,
            add_node: false,
            history: 1000,
            jitter: true,
            seed: 1,
            backend: BackendSpec::Memory,
            processes: None,
            lb: None,
            slow: SlowConsumer::default(),
            slow_clients: 0,
            payload: 0,
        }
    }
}

impl ClusterSpec {
    /// Checks every setting; the error names the flag and its range.
    pub fn validate(&self) -> Result<(), String> {
        let bad = |flag: &str, range: String, got: String| Err(format!("--{flag} must be {range}, got {got}"));
        if !(1..=MAX_NODES).contains(&self.nodes) {
            return bad("nodes", format!("1 to {MAX_NODES}"), self.nodes.to_string());
        }
        if !(1..=MAX_CLIENTS).contains(&self.clients) {
            return bad("clients", format!("1 to {MAX_CLIENTS}"), self.clients.to_string());
        }
        if !(1..=MAX_MESSAGES).contains(&self.messages) {
            return bad("messages", format!("1 to {MAX_MESSAGES}"), self.messages.to_string());
        }
        if !(self.rate.is_finite() && (0.1..=10_000.0).contains(&self.rate)) {
            return bad("rate", "0.1 to 10000 messages per second".into(), self.rate.to_string());
        }
        let seconds = self.messages as f64 / self.rate;
        if seconds > MAX_PUBLISHING.as_secs_f64() {
            return Err(format!(
                "--messages {} at --rate {} would publish for {seconds:.0} s; keep it within {} s (fewer messages or a higher rate)",
                self.messages,
                self.rate,
                MAX_PUBLISHING.as_secs()
            ));
        }
        if !(1..=100_000).contains(&self.history) {
            return bad("history", "1 to 100000 publications".into(), self.history.to_string());
        }
        self.slow.validate()?;
        if self.slow_clients > self.clients {
            return bad("slow-clients", format!("0 to --clients ({})", self.clients), self.slow_clients.to_string());
        }
        if self.payload > MAX_PAYLOAD {
            return bad("payload", format!("0 to {MAX_PAYLOAD} bytes"), self.payload.to_string());
        }
        if self.processes.is_some() && self.backend == BackendSpec::Memory {
            return Err("--processes needs --redis: nodes in separate processes share the broker, the history and the registry through Redis (try --redis local)".into());
        }
        if let Some(k) = self.kill_node {
            if self.nodes < 2 {
                return Err(
                    "--kill-node needs --nodes 2 or more: the clients of a killed node need another to go to".into()
                );
            }
            if k >= self.nodes {
                return bad(
                    "kill-node",
                    format!("1 to {} (the nodes are numbered from 1)", self.nodes),
                    (k + 1).to_string(),
                );
            }
        }
        if let Some(r) = self.remove_node {
            if self.nodes < 2 {
                return Err(
                    "--remove-node needs --nodes 2 or more: the clients of a removed node need another to go to".into(),
                );
            }
            if r >= self.nodes {
                return bad(
                    "remove-node",
                    format!("1 to {} (the nodes are numbered from 1)", self.nodes),
                    (r + 1).to_string(),
                );
            }
            if self.kill_node.is_some() {
                return Err(
                    "--kill-node and --remove-node both act half-way: pick one (a crash or a scale-down)".into()
                );
            }
        }
        if self.add_node {
            if self.lb.is_none() {
                return Err("--add-node needs --lb MODE: clients find a new node only through the load balancer".into());
            }
            if self.nodes == MAX_NODES {
                return bad("nodes", format!("1 to {} with --add-node", MAX_NODES - 1), self.nodes.to_string());
            }
        }
        Ok(())
    }

    /// Nodes the run has at its end, the added one included.
    pub fn all_nodes(&self) -> usize {
        self.nodes + usize::from(self.add_node)
    }

    /// How clients wait before reconnecting: from half a second, doubling up to 10 s.
    pub fn backoff(&self) -> Backoff {
        Backoff { base: Duration::from_millis(500), cap: Duration::from_secs(10), jitter: self.jitter }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Percentiles {
    pub p50: f64,
    pub p99: f64,
}

/// The 50th and 99th percentiles of `v` (nearest rank).
pub fn percentiles(mut v: Vec<f64>) -> Percentiles {
    if v.is_empty() {
        return Percentiles::default();
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Percentiles { p50: at(0.5), p99: at(0.99) }
}

/// What a run measured. `delivered` counts every client's copy; `lost` counts publications a
/// client that recovered (or never lost its node) did not receive; `recovered` and
/// `not_recovered` count clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ClusterReport {
    pub nodes: usize,
    /// The node killed half-way, numbered from 1.
    pub killed_node: Option<usize>,
    pub clients: usize,
    #[ts(type = "number")]
    pub published: u64,
    #[ts(type = "number")]
    pub delivered: u64,
    #[ts(type = "number")]
    pub lost: u64,
    #[ts(type = "number")]
    pub duplicates: u64,
    #[ts(type = "number")]
    pub out_of_order: u64,
    #[ts(type = "number")]
    pub recovered: u64,
    #[ts(type = "number")]
    pub not_recovered: u64,
    #[ts(type = "number")]
    pub reconnects: u64,
    /// The nodes' resident memory per connection, KiB: what their RSS grew by from before
    /// the clients connected to when all had subscribed, over the connections. Only with
    /// `--processes` (in one process, clients and nodes cannot be told apart): else `null`.
    pub mem_per_conn_kib: Option<f64>,
    /// Publish → live delivery, every client's copy (replayed ones excluded).
    pub fanout_ms: Percentiles,
    /// Kill → the resubscription's answer, per client of the killed node.
    pub recovery_ms: Option<Percentiles>,
    /// Reconnect attempts per 100 ms from the kill on, and the largest bucket.
    pub reconnects_per_100ms: Vec<u32>,
    pub reconnect_peak_per_100ms: u32,
    /// Clients whose node was killed or removed.
    #[ts(type = "number")]
    pub moved: u64,
    /// The node removed politely half-way (scale down), numbered from 1.
    pub removed_node: Option<usize>,
    /// The node added half-way behind the balancer (scale up), numbered from 1.
    pub added_node: Option<usize>,
    /// Connections closed by their node with 1001 (going away: a scale-down).
    #[ts(type = "number")]
    pub going_away: u64,
    /// Connections on each node every 100 ms from the first publication on.
    pub connections_over_time: ConnectionsOverTime,
    /// Where the broker and the history lived ("the in-process broker", "Redis at …").
    pub backend: String,
    /// The load balancer the clients connected through, if any.
    pub lb: Option<LbMode>,
    /// Connections per node (node 1 first) once every client had subscribed, and at the end.
    pub connections_before: Vec<u32>,
    pub connections_after: Vec<u32>,
    /// Clients that read slowly, each connection's queue bound, and the policy past it.
    pub slow_clients: usize,
    pub queue_limit: usize,
    pub slow_policy: SlowPolicy,
    /// Connections closed by a node because their queue was full (1008).
    #[ts(type = "number")]
    pub slow_disconnects: u64,
    /// Publications nodes dropped for slow clients and told them of (`gap` notices).
    #[ts(type = "number")]
    pub skipped: u64,
}

/// Open connections per node, sampled every `step_ms` from the first publication and once at
/// the run's end; `per_node[n][i]` is node n+1's count at `at_ms[i]`, and `event_ms` is when
/// the half-way event happened (all in ms from the first publication).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ConnectionsOverTime {
    pub step_ms: u32,
    pub at_ms: Vec<f64>,
    pub per_node: Vec<Vec<u32>>,
    pub event_ms: Option<f64>,
}

/// What the app's cluster form offers: the defaults and the limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ClusterCatalog {
    pub defaults: ClusterRunRequest,
    pub max_nodes: usize,
    pub max_clients: usize,
    #[ts(type = "number")]
    pub max_messages: u64,
    /// Longest publishing phase (messages ÷ rate), seconds.
    pub max_publishing_s: f64,
}

pub fn catalog() -> ClusterCatalog {
    ClusterCatalog {
        defaults: ClusterRunRequest::default(),
        max_nodes: MAX_NODES,
        max_clients: MAX_CLIENTS,
        max_messages: MAX_MESSAGES,
        max_publishing_s: MAX_PUBLISHING.as_secs_f64(),
    }
}

/// A cluster run as the app asks for it (nodes numbered from 1, like the CLI's flags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ClusterRunRequest {
    pub nodes: usize,
    pub clients: usize,
    #[ts(type = "number")]
    pub messages: u64,
    pub rate: f64,
    /// The node killed half-way, numbered from 1.
    pub kill_node: Option<usize>,
    /// The node removed politely half-way (scale down), numbered from 1.
    #[serde(default)]
    pub remove_node: Option<usize>,
    /// Add a node behind the load balancer half-way (scale up; needs `lb`).
    #[serde(default)]
    pub add_node: bool,
    pub history: usize,
    pub jitter: bool,
    #[ts(type = "number")]
    pub seed: u64,
    /// A Redis to use as the broker (`redis://host:port`, or `local` to start one for the run);
    /// `None`: the in-process broker.
    #[serde(default)]
    pub redis: Option<String>,
    /// A load balancer in front of the nodes; `None`: clients connect to nodes directly.
    #[serde(default)]
    pub lb: Option<LbMode>,
}

impl Default for ClusterRunRequest {
    fn default() -> Self {
        let s = ClusterSpec::default();
        ClusterRunRequest {
            nodes: s.nodes,
            clients: s.clients,
            messages: s.messages,
            rate: s.rate,
            kill_node: Some(2),
            remove_node: None,
            add_node: false,
            history: s.history,
            jitter: s.jitter,
            seed: s.seed,
            redis: None,
            lb: None,
        }
    }
}

impl ClusterRunRequest {
    /// The run it asks for, checked.
    pub fn spec(&self) -> Result<ClusterSpec, String> {
        if self.kill_node == Some(0) {
            return Err(format!("--kill-node numbers the nodes from 1 (1 to {})", self.nodes));
        }
        if self.remove_node == Some(0) {
            return Err(format!("--remove-node numbers the nodes from 1 (1 to {})", self.nodes));
        }
        let spec = ClusterSpec {
            nodes: self.nodes,
            clients: self.clients,
            messages: self.messages,
            rate: self.rate,
            kill_node: self.kill_node.map(|k| k - 1),
            remove_node: self.remove_node.map(|r| r - 1),
            add_node: self.add_node,
            history: self.history,
            jitter: self.jitter,
            seed: self.seed,
            backend: BackendSpec::from_url(self.redis.as_deref()),
            processes: None,
            lb: self.lb,
            ..ClusterSpec::default()
        };
        spec.validate()?;
        Ok(spec)
    }
}

/// Runs `spec` on loopback.
pub async fn run(spec: &ClusterSpec) -> Result<ClusterReport, String> {
    run_traced(spec, None, &|_, _| {}, None).await
}

/// Reads a client's log without copying it.
fn peek<T>(l: &Mutex<ClientLog>, f: impl FnOnce(&ClientLog) -> T) -> T {
    f(&l.lock().unwrap_or_else(|p| p.into_inner()))
}

/// Runs `spec`; with a recorder, a tap in front of every node puts every frame on the trace
/// with the publications and deliveries (see `traced`). `progress` hears what is going on.
pub async fn run_traced(
    spec: &ClusterSpec,
    recorder: Option<&Recorder>,
    progress: &(dyn Fn(&str, f64) + Sync),
    mut stop_asked: Option<watch::Receiver<bool>>,
) -> Result<ClusterReport, String> {
    spec.validate()?;
    progress("starting the nodes", 0.0);
    let limits = HistoryLimits { size: spec.history, ..HistoryLimits::default() };
    let backend = spec.backend.start(limits, spec.seed).await?;
    let publisher = backend.publisher();
    let mut nodes = Vec::new();
    for id in 0..spec.nodes {
        nodes.push(start_node(spec, &backend, id).await?);
    }
    let rss_before: Option<u64> = nodes.iter().map(RunningNode::rss_kib).sum();
    let directory = ClientDirectory::default();
    let publications = Publications::default();
    let experiments: Arc<[Arc<str>]> = (0..spec.all_nodes()).map(|n| Arc::from(node_experiment(n))).collect();
    let tap_for = |n: usize, node: &RunningNode, recorder: &Recorder| {
        let config = TapConfig {
            experiment: experiments[n].clone(),
            upstream: node.addr(),
            recorder: recorder.clone(),
            directory: directory.clone(),
        };
        async move { Tap::start(config).await.map_err(|e| format!("starting the tap of node {}: {e}", n + 1)) }
    };
    let mut taps = Vec::new();
    if let Some(recorder) = recorder {
        for (n, node) in nodes.iter().enumerate() {
            taps.push(tap_for(n, node, recorder).await?);
        }
    }
    let behind: Vec<_> = if taps.is_empty() {
        nodes.iter().map(RunningNode::addr).collect()
    } else {
        taps.iter().map(|t| t.addr()).collect()
    };
    // With a balancer the clients know only its address; it chooses the node (and a node that
    // dies is taken out of its list at once, as by an instant health check).
    let upstreams: Upstreams = Arc::new(std::sync::RwLock::new(behind.iter().copied().map(Some).collect()));
    let balancer = match spec.lb {
        Some(mode) => {
            let named = recorder.map(|_| directory.clone());
            Some(
                Balancer::start_named(mode, upstreams.clone(), named)
                    .await
                    .map_err(|e| format!("starting the load balancer: {e}"))?,
            )
        }
        None => None,
    };
    let addrs: Vec<_> = match &balancer {
        Some(b) => vec![b.addr],
        None => behind,
    };
    let (stop, stop_rx) = watch::channel(false);
    let logs: Vec<Arc<Mutex<ClientLog>>> = (0..spec.clients).map(|_| Arc::default()).collect();
    let mut tasks = Vec::new();
    for (c, log) in logs.iter().enumerate() {
        let trace = recorder.map(|r| ClientTrace {
            recorder: r.clone(),
            directory: directory.clone(),
            id: c as u32,
            experiments: experiments.clone(),
            published: publications.clone(),
        });
        let cfg = ClientConfig {
            nodes: addrs.clone(),
            trace,
            first_node: c,
            source: balancer.as_ref().map(|_| Ipv4Addr::new(127, 0, 2 + (c / 250) as u8, 2 + (c % 250) as u8)),
            channel: "room".into(),
            backoff: spec.backoff(),
            seed: spec.seed.wrapping_mul(1_000_003).wrapping_add(c as u64),
            read_delay: (c < spec.slow_clients).then_some(SLOW_READ),
        };
        tasks.push(tokio::spawn(client::run(cfg, stop_rx.clone(), log.clone())));
    }
    progress("connecting the clients", 0.05);
    let subscribed = tokio::time::timeout(Duration::from_secs(30), async {
        while !logs.iter().all(|l| peek(l, |l| l.subscribed)) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    if subscribed.is_err() {
        let n = logs.iter().filter(|l| peek(l, |l| l.subscribed)).count();
        stop_all(&stop, tasks, &mut nodes, taps, &backend).await;
        return Err(format!("only {n} of {} clients subscribed within 30 s", spec.clients));
    }
    // Every client is connected, subscribed and idle: what did the nodes' memory grow by?
    let rss_after: Option<u64> = nodes.iter().map(RunningNode::rss_kib).sum();
    let mem_per_conn_kib =
        rss_before.zip(rss_after).map(|(before, after)| after.saturating_sub(before) as f64 / spec.clients as f64);

    // Publishing on a fixed schedule; the kill half-way.
    let mut published_at = Vec::with_capacity(spec.messages as usize);
    let start = tokio::time::Instant::now();
    let gap = Duration::from_secs_f64(1.0 / spec.rate);
    let mut killed_at = None;
    let mut removed_at = None;
    let mut added_node = None;
    let mut failed = None;
    for i in 0..spec.messages {
        let due = tokio::time::sleep_until(start + gap.mul_f64(i as f64));
        match stop_asked.as_mut() {
            Some(stop) => tokio::select! {
                _ = due => {}
                _ = crate::node::until_true(stop) => break,
            },
            None => due.await,
        }
        // The clock starts (and the trace has the cause) before any node hears of it. The run
        // is the channel's only publisher, so the offset it will get is known.
        let data = format!("message {}{:.<pad$}", i + 1, "", pad = spec.payload);
        let expected = i + 1;
        published_at.push(Instant::now());
        if let Some(r) = recorder {
            publications.record(r, expected, data.len());
        }
        match publisher.publish("room", data).await {
            Ok(d) if d.publication.offset == expected => {}
            Ok(d) => {
                failed = Some(format!(
                    "message {expected} got offset {}: something else publishes to the channel",
                    d.publication.offset
                ));
                break;
            }
            Err(e) => {
                failed = Some(format!("publishing message {expected}: {e}"));
                break;
            }
        }
        if i % 20 == 0 {
            progress(&format!("publishing {}/{}", i + 1, spec.messages), 0.1 + 0.8 * i as f64 / spec.messages as f64);
        }
        if i + 1 == spec.messages / 2
            && let Some(k) = spec.kill_node
        {
            // The clock starts before the kill: a client may see its connection drop before
            // `kill` returns.
            killed_at = Some(Instant::now());
            nodes[k].kill();
            if let Some(slot) = upstreams.write().unwrap_or_else(|p| p.into_inner()).get_mut(k) {
                *slot = None;
            }
            if let Some(r) = recorder {
                let note = EventKind::Note {
                    text: format!("node {} killed: its connections dropped without a close frame", k + 1),
                };
                r.record(NewEvent::new(&experiments[k], Actor::Tap, note));
            }
        }
        if i + 1 == spec.messages / 2
            && let Some(k) = spec.remove_node
        {
            // Out of the balancer first (no new connection goes there), then drained.
            removed_at = Some(Instant::now());
            if let Some(slot) = upstreams.write().unwrap_or_else(|p| p.into_inner()).get_mut(k) {
                *slot = None;
            }
            if let Err(e) = nodes[k].drain().await {
                failed = Some(e);
                break;
            }
            if let Some(r) = recorder {
                let note = EventKind::Note {
                    text: format!(
                        "node {} removed (scale down): it closes its connections with 1001 going away",
                        k + 1
                    ),
                };
                r.record(NewEvent::new(&experiments[k], Actor::Tap, note));
            }
        }
        if i + 1 == spec.messages / 2 && spec.add_node {
            let id = nodes.len();
            let node = match start_node(spec, &backend, id).await {
                Ok(n) => n,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            };
            // In the list at once, so that stopping the run stops it whatever happens next.
            nodes.push(node);
            let mut addr = nodes[id].addr();
            if let Some(r) = recorder {
                match tap_for(id, &nodes[id], r).await {
                    Ok(tap) => {
                        addr = tap.addr();
                        taps.push(tap);
                    }
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
                let note = EventKind::Note {
                    text: format!("node {} added (scale up): the balancer sends new connections to it too", id + 1),
                };
                r.record(NewEvent::new(&experiments[id], Actor::Tap, note));
            }
            added_node = Some(id + 1);
            upstreams.write().unwrap_or_else(|p| p.into_inner()).push(Some(addr));
        }
    }
    if let Some(why) = failed {
        stop_all(&stop, tasks, &mut nodes, taps, &backend).await;
        return Err(why);
    }
    // Everyone caught up: every publication, or told "not recovered" and live again.
    let top = published_at.len() as u64;
    let stopped = || stop_asked.as_ref().is_some_and(|s| *s.borrow());
    progress("waiting for every client to catch up", 0.92);
    let _ = tokio::time::timeout(SETTLE, async {
        loop {
            let done = logs.iter().all(|l| peek(l, |l| l.at >= top));
            if done || stopped() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    stop_all(&stop, tasks, &mut nodes, taps, &backend).await;
    let backend = backend.describe();
    let logs: Vec<ClientLog> = logs.iter().map(|l| peek(l, ClientLog::clone)).collect();
    let mut r = report(spec, &logs, &published_at, killed_at.or(removed_at), backend);
    r.mem_per_conn_kib = mem_per_conn_kib;
    r.lb = spec.lb;
    r.added_node = added_node;
    r.connections_before = per_node(spec.all_nodes(), logs.iter().filter_map(|l| l.nodes.first()));
    r.connections_after = per_node(spec.all_nodes(), logs.iter().filter_map(|l| l.nodes.last()));
    if let Some(&start) = published_at.first() {
        let end = Instant::now();
        r.connections_over_time = connections_over_time(spec.all_nodes(), &logs, start, end);
        r.connections_over_time.event_ms =
            killed_at.or(removed_at).map(|t| t.saturating_duration_since(start).as_secs_f64() * 1000.0);
    }
    Ok(r)
}

/// Starts node `id` (from 0) as the run asks: a task of this process or a process of its own.
async fn start_node(spec: &ClusterSpec, backend: &crate::backend::Backend, id: usize) -> Result<RunningNode, String> {
    let registry = spec.lb.is_some_and(LbMode::uses_registry);
    match &spec.processes {
        None => {
            let mut config = backend.node_config(id, registry).await?;
            config.slow = spec.slow;
            Ok(RunningNode::Task(Node::start(config).await.map_err(|e| format!("starting node {}: {e}", id + 1))?))
        }
        Some(program) => {
            let (redis, prefix) = backend.redis().ok_or("--processes needs --redis")?;
            let args = NodeArgs {
                id,
                redis,
                prefix,
                history: spec.history,
                registry,
                default_buffers: false,
                slow: spec.slow,
            };
            Ok(RunningNode::Process(NodeProcess::spawn(program, &args).await?))
        }
    }
}

/// Counts each node's open connections every `SAMPLE` from `start`, and once more just before
/// `end` (so the last point is the run's end): a connection is open from its node's welcome to
/// when the client saw it end.
fn connections_over_time(nodes: usize, logs: &[ClientLog], start: Instant, end: Instant) -> ConnectionsOverTime {
    let span = end.saturating_duration_since(start);
    let samples = (span.as_millis() / SAMPLE.as_millis()) as usize + 1;
    // Long runs: fewer, wider samples, so a chart stays a few hundred points.
    let stride = samples.div_ceil(MAX_SAMPLES).max(1);
    let step = SAMPLE * stride as u32;
    let count = samples.div_ceil(stride) + 1;
    let last = end.checked_sub(Duration::from_micros(1)).unwrap_or(end).max(start);
    let at = |s: usize| (start + step * s as u32).min(last);
    let mut per_node = vec![vec![0u32; count]; nodes];
    for l in logs {
        for (i, (opened, node)) in l.nodes.iter().enumerate() {
            let closed = l.ended.get(i).copied().unwrap_or(end);
            let Some(series) = node.checked_sub(1).and_then(|n| per_node.get_mut(n)) else { continue };
            for (s, slot) in series.iter_mut().enumerate() {
                if *opened <= at(s) && at(s) < closed {
                    *slot += 1;
                }
            }
        }
    }
    let at_ms = (0..count).map(|s| at(s).duration_since(start).as_secs_f64() * 1000.0).collect();
    ConnectionsOverTime { step_ms: step.as_millis() as u32, at_ms, per_node, event_ms: None }
}

/// Sampling of the connections chart, and the most samples it keeps.
const SAMPLE: Duration = Duration::from_millis(100);
const MAX_SAMPLES: usize = 600;

/// How many of the connections were on each node (node 1 first).
fn per_node<'a>(nodes: usize, on: impl Iterator<Item = &'a (Instant, usize)>) -> Vec<u32> {
    let mut count = vec![0; nodes];
    for (_, n) in on {
        if let Some(c) = n.checked_sub(1).and_then(|i| count.get_mut(i)) {
            *c += 1;
        }
    }
    count
}

/// A node of the run: a task of this process, or a process of its own.
#[derive(Debug)]
enum RunningNode {
    Task(Node),
    Process(NodeProcess),
}

impl RunningNode {
    fn addr(&self) -> std::net::SocketAddr {
        match self {
            RunningNode::Task(n) => n.addr,
            RunningNode::Process(p) => p.addr,
        }
    }

    /// Takes it out of service politely (see `Node::drain`).
    async fn drain(&mut self) -> Result<(), String> {
        match self {
            RunningNode::Task(n) => {
                n.drain();
                Ok(())
            }
            RunningNode::Process(p) => p.drain().await,
        }
    }

    /// In-process: abort it; a process: SIGKILL.
    fn kill(&mut self) {
        match self {
            RunningNode::Task(n) => n.kill(),
            RunningNode::Process(p) => p.kill(),
        }
    }

    fn rss_kib(&self) -> Option<u64> {
        match self {
            RunningNode::Task(_) => None,
            RunningNode::Process(p) => p.rss_kib(),
        }
    }
}

/// Stops the clients, the nodes and the taps, and removes the run's state from the backend.
async fn stop_all(
    stop: &watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    nodes: &mut [RunningNode],
    taps: Vec<Tap>,
    backend: &crate::backend::Backend,
) {
    let _ = stop.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
    }
    for n in nodes.iter_mut() {
        n.kill();
    }
    for t in taps {
        t.shutdown(Duration::from_secs(2)).await;
    }
    backend.finish().await;
}

fn report(
    spec: &ClusterSpec,
    logs: &[ClientLog],
    published_at: &[Instant],
    moved_at: Option<Instant>,
    backend: String,
) -> ClusterReport {
    let published = published_at.len() as u64;
    let mut fanout = Vec::new();
    let mut recovery = Vec::new();
    let mut buckets: Vec<u32> = Vec::new();
    let (mut lost, mut moved) = (0, 0);
    for l in logs {
        for d in l.delivered.iter().filter(|d| !d.replayed) {
            if let Some(p) = published_at.get(d.offset as usize - 1) {
                fanout.push(d.at.saturating_duration_since(*p).as_secs_f64() * 1000.0);
            }
        }
        if l.not_recovered == 0 {
            lost += published.saturating_sub(l.delivered.len() as u64 + l.skipped);
        }
        if let Some(k) = moved_at {
            let after: Vec<&Instant> = l.attempts.iter().skip(1).filter(|t| **t >= k).collect();
            if !after.is_empty() {
                moved += 1;
            }
            for t in after {
                let b = (t.duration_since(k).as_millis() / BUCKET.as_millis()) as usize;
                if buckets.len() <= b {
                    buckets.resize(b + 1, 0);
                }
                buckets[b] += 1;
            }
            if let Some((t, _)) = l.resubscribed.iter().find(|(t, _)| *t >= k) {
                recovery.push(t.duration_since(k).as_secs_f64() * 1000.0);
            }
        }
    }
    let sum = |f: fn(&ClientLog) -> u64| logs.iter().map(f).sum::<u64>();
    ClusterReport {
        nodes: spec.nodes,
        killed_node: moved_at.and(spec.kill_node).map(|k| k + 1),
        removed_node: moved_at.and(spec.remove_node).map(|k| k + 1),
        added_node: None,
        going_away: logs.iter().map(|l| l.closes.iter().filter(|c| **c == GOING_AWAY).count() as u64).sum(),
        connections_over_time: ConnectionsOverTime::default(),
        clients: spec.clients,
        published,
        delivered: sum(|l| l.delivered.len() as u64),
        lost,
        duplicates: sum(|l| u64::from(l.duplicates)),
        out_of_order: sum(|l| u64::from(l.out_of_order)),
        recovered: logs.iter().filter(|l| l.recovered > 0 && l.not_recovered == 0).count() as u64,
        not_recovered: logs.iter().filter(|l| l.not_recovered > 0).count() as u64,
        reconnects: sum(|l| u64::from(l.reconnects)),
        mem_per_conn_kib: None,
        fanout_ms: percentiles(fanout),
        recovery_ms: (!recovery.is_empty()).then(|| percentiles(recovery)),
        reconnect_peak_per_100ms: buckets.iter().copied().max().unwrap_or(0),
        reconnects_per_100ms: buckets,
        moved,
        backend,
        lb: None,
        connections_before: Vec::new(),
        connections_after: Vec::new(),
        slow_clients: spec.slow_clients,
        queue_limit: spec.slow.limit,
        slow_policy: spec.slow.policy,
        slow_disconnects: logs.iter().map(|l| l.closes.iter().filter(|c| **c == POLICY_VIOLATION).count() as u64).sum(),
        skipped: sum(|l| l.skipped),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_name_the_flag_and_the_range() {
        let ok = ClusterSpec::default();
        assert!(ok.validate().is_ok());
        let e = ClusterSpec { nodes: 0, ..ok.clone() }.validate().unwrap_err();
        assert!(e.contains("--nodes must be 1 to 16"), "{e}");
        let e = ClusterSpec { clients: 5000, ..ok.clone() }.validate().unwrap_err();
        assert!(e.contains("--clients must be 1 to 4000"), "{e}");
        let e = ClusterSpec { kill_node: Some(3), ..ok.clone() }.validate().unwrap_err();
        assert!(e.contains("--kill-node must be 1 to 3"), "{e}");
        let e = ClusterSpec { nodes: 1, kill_node: Some(0), ..ok.clone() }.validate().unwrap_err();
        assert!(e.contains("needs --nodes 2"), "{e}");
        let e = ClusterSpec { rate: f64::NAN, ..ok }.validate().unwrap_err();
        assert!(e.contains("--rate"), "{e}");
    }

    #[test]
    fn percentiles_are_of_the_sorted_values() {
        let p = percentiles((1..=100).map(f64::from).collect());
        assert_eq!((p.p50, p.p99), (51.0, 99.0));
        assert_eq!(percentiles(vec![]), Percentiles::default());
    }
}
