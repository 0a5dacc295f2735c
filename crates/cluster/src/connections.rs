//! The connection-count benchmark (`rtc-lab bench cluster-connections`): nodes as their own
//! processes on Redis, idle subscribers from several load-generator processes over several
//! 127.0.0.x source addresses, then timed broadcasts. It measures what the nodes' resident
//! memory grew by per connection, how long connecting took, and the fan-out to every client.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use crate::backend::BackendSpec;
use crate::experiment::{Percentiles, percentiles};
use crate::load::{LoadArgs, Received, Subscribed, timed_payload};
use crate::process::{NodeArgs, NodeProcess};
use crate::stream::HistoryLimits;

/// Clients one load process opens at most (each is one open file; 20,000 per process here).
pub const CLIENTS_PER_LOADER: usize = 5000;
/// Connections one node may hold (its open-file limit, less room for Redis and the listener).
pub const CONNECTIONS_PER_NODE: usize = 19_000;
/// How long all clients may take to subscribe.
const SUBSCRIBE_WITHIN: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionBench {
    pub nodes: usize,
    pub clients: usize,
    pub messages: u64,
    pub backend: BackendSpec,
    /// Nodes with tungstenite's default buffers (the baseline).
    pub default_buffers: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionReport {
    /// Whether the nodes had tungstenite's default buffers (else the node's small ones).
    pub default_buffers: bool,
    pub nodes: usize,
    pub clients: usize,
    pub loaders: usize,
    pub sources: usize,
    pub subscribed: usize,
    pub failed: usize,
    pub first_error: Option<String>,
    /// From starting the load to the last client subscribed.
    pub connect_s: f64,
    /// Sum over the nodes, before the clients and with all of them idle.
    pub node_rss_before_kib: u64,
    pub node_rss_after_kib: u64,
    pub mem_per_conn_kib: f64,
    /// Open files of the busiest node.
    pub max_node_fds: usize,
    pub published: u64,
    /// Copies that arrived, of `published × subscribed`.
    pub received: u64,
    pub fanout_ms: Percentiles,
    pub fanout_max_ms: f64,
    /// CPU time per broadcast, all nodes together and all load processes together.
    pub node_cpu_ms_per_broadcast: f64,
    pub load_cpu_ms_per_broadcast: f64,
}

impl ConnectionBench {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=16).contains(&self.nodes) {
            return Err(format!("--nodes must be 1 to 16, got {}", self.nodes));
        }
        if !(1..=200_000).contains(&self.clients) {
            return Err(format!("--clients must be 1 to 200000, got {}", self.clients));
        }
        if self.clients.div_ceil(self.nodes) > CONNECTIONS_PER_NODE {
            return Err(format!(
                "{} clients over {} nodes is more than the {CONNECTIONS_PER_NODE} connections a node process can hold (20,000 open files each): add nodes",
                self.clients, self.nodes
            ));
        }
        if !(1..=1000).contains(&self.messages) {
            return Err(format!("--messages must be 1 to 1000, got {}", self.messages));
        }
        if self.backend == BackendSpec::Memory {
            return Err(
                "the nodes are processes of their own: they share state through Redis (--redis URL or local)".into()
            );
        }
        Ok(())
    }
}

/// CPU time (user + system) process `pid` has used, in ms.
fn cpu_ms(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    // After the command name in parentheses: fields 14 and 15 of stat(5) are utime and stime.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = [11, 12].iter().filter_map(|&i| f.get(i)?.parse::<f64>().ok()).sum();
    ticks * 10.0 // USER_HZ is 100 on Linux
}

fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// A load-generator process and its report lines.
struct Loader {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Loader {
    async fn spawn(program: &Path, args: &LoadArgs) -> Result<Loader, String> {
        let nodes: Vec<String> = args.nodes.iter().map(|a| a.to_string()).collect();
        let sources: Vec<String> = args.sources.iter().map(|a| a.to_string()).collect();
        let mut child = Command::new(program)
            .args(["cluster-load", "--nodes", &nodes.join(","), "--sources", &sources.join(",")])
            .args(["--clients", &args.clients.to_string(), "--first-client", &args.first_client.to_string()])
            .args(["--messages", &args.messages.to_string(), "--wait-s", &args.wait_s.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting a load generator ({}): {e}", program.display()))?;
        let stdout = child.stdout.take().ok_or("a load generator without stdout")?;
        Ok(Loader { child, lines: BufReader::new(stdout).lines() })
    }

    async fn line<T: for<'de> Deserialize<'de>>(&mut self, within: Duration, what: &str) -> Result<T, String> {
        match tokio::time::timeout(within, self.lines.next_line()).await {
            Ok(Ok(Some(l))) => serde_json::from_str(&l).map_err(|e| format!("a load generator said {l:?} ({e})")),
            Ok(_) => Err(format!("a load generator exited before {what}")),
            Err(_) => Err(format!("a load generator did not report {what} within {} s", within.as_secs())),
        }
    }
}

/// Runs the benchmark; `program` is `rtc-lab` (for `cluster-node` and `cluster-load`).
pub async fn run(program: &Path, bench: &ConnectionBench, progress: &dyn Fn(&str)) -> Result<ConnectionReport, String> {
    bench.validate()?;
    let backend = bench.backend.start(HistoryLimits::default(), 1).await?;
    let (redis, prefix) = backend.redis().ok_or("the benchmark needs Redis")?;
    let mut nodes = Vec::new();
    for id in 0..bench.nodes {
        let args = NodeArgs {
            id,
            redis: redis.clone(),
            prefix: prefix.clone(),
            history: 1000,
            registry: false,
            default_buffers: bench.default_buffers,
            slow: crate::slow::SlowConsumer::default(),
        };
        nodes.push(NodeProcess::spawn(program, &args).await?);
    }
    let rss = |nodes: &[NodeProcess]| nodes.iter().filter_map(NodeProcess::rss_kib).sum::<u64>();
    let node_rss_before_kib = rss(&nodes);
    let loaders_n = bench.clients.div_ceil(CLIENTS_PER_LOADER);
    // One source address per load process: 5,000 ports of the ~28,000 one address has.
    let mut loaders = Vec::new();
    let started = Instant::now();
    let wait_s = 60 + bench.messages;
    for l in 0..loaders_n {
        let first = l * CLIENTS_PER_LOADER;
        let args = LoadArgs {
            nodes: nodes.iter().map(|n| n.addr).collect(),
            clients: CLIENTS_PER_LOADER.min(bench.clients - first),
            first_client: first,
            sources: vec![Ipv4Addr::new(127, 0, 1 + (l / 250) as u8, 2 + (l % 250) as u8)],
            messages: bench.messages,
            wait_s,
        };
        loaders.push(Loader::spawn(&PathBuf::from(program), &args).await?);
    }
    progress(&format!("{} clients connecting from {loaders_n} processes", bench.clients));
    let mut sub = Subscribed::default();
    for l in &mut loaders {
        let s: Subscribed = l.line(SUBSCRIBE_WITHIN, "its clients subscribed").await?;
        sub.subscribed += s.subscribed;
        sub.failed += s.failed;
        sub.first_error = sub.first_error.or(s.first_error);
    }
    let connect_s = started.elapsed().as_secs_f64();
    let node_rss_after_kib = rss(&nodes);
    let max_node_fds = nodes.iter().filter_map(|n| n.pid()).map(open_files).max().unwrap_or(0);
    progress(&format!("{} subscribed in {connect_s:.1} s; broadcasting", sub.subscribed));
    let node_pids: Vec<u32> = nodes.iter().filter_map(NodeProcess::pid).collect();
    let load_pids: Vec<u32> = loaders.iter().filter_map(|l| l.child.id()).collect();
    let cpu = |pids: &[u32]| pids.iter().map(|&p| cpu_ms(p)).sum::<f64>();
    let (node_cpu_before, load_cpu_before) = (cpu(&node_pids), cpu(&load_pids));
    let publisher = backend.publisher();
    for _ in 0..bench.messages {
        publisher.publish("room", timed_payload()).await.map_err(|e| e.to_string())?;
        // Each broadcast reaches everyone before the next: the figure is one fan-out, not a queue.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let per = |after: f64, before: f64| (after - before) / bench.messages as f64;
    let node_cpu_ms_per_broadcast = per(cpu(&node_pids), node_cpu_before);
    let load_cpu_ms_per_broadcast = per(cpu(&load_pids), load_cpu_before);
    let mut received = Received::default();
    for l in &mut loaders {
        let r: Received = l.line(Duration::from_secs(wait_s + 30), "what its clients received").await?;
        received.received += r.received;
        received.latencies_ms.extend(r.latencies_ms);
    }
    for n in &mut nodes {
        n.kill();
    }
    backend.finish().await;
    let fanout_max_ms = received.latencies_ms.iter().copied().fold(0.0, f64::max);
    Ok(ConnectionReport {
        default_buffers: bench.default_buffers,
        nodes: bench.nodes,
        clients: bench.clients,
        loaders: loaders_n,
        sources: loaders_n,
        subscribed: sub.subscribed,
        failed: sub.failed,
        first_error: sub.first_error,
        connect_s,
        node_rss_before_kib,
        node_rss_after_kib,
        mem_per_conn_kib: node_rss_after_kib.saturating_sub(node_rss_before_kib) as f64 / sub.subscribed.max(1) as f64,
        max_node_fds,
        published: bench.messages,
        received: received.received,
        fanout_ms: percentiles(received.latencies_ms),
        fanout_max_ms,
        node_cpu_ms_per_broadcast,
        load_cpu_ms_per_broadcast,
    })
}
