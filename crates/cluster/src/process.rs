//! Nodes as their own OS processes (`--processes`): each node is `rtc-lab cluster-node`, with
//! its own memory (so a node's memory per connection can be read from `/proc`), its own open-
//! file limit, and a death that is real (SIGKILL). Nodes in separate processes share state
//! only through Redis.
//!
//! The parent passes settings as arguments; the node prints one line, `{"addr":"127.0.0.1:P"}`,
//! once it listens, drains (see `Node::drain`) when the parent writes a `drain` line on its
//! stdin, and exits when its stdin closes (so no node outlives the run that started it, even
//! if that run is killed).

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use crate::broker::Broker;
use crate::node::{Node, NodeConfig};
use crate::redis_broker::{RedisBroker, RedisRegistry};
use crate::slow::SlowConsumer;
use crate::stream::HistoryLimits;

/// How long a node process may take to start listening.
const START_WITHIN: Duration = Duration::from_secs(15);

/// What a node process is started with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeArgs {
    /// Numbered from 0.
    pub id: usize,
    pub redis: String,
    /// The run's key prefix in Redis.
    pub prefix: String,
    pub history: usize,
    pub registry: bool,
    /// tungstenite's default buffers (the benchmark's baseline).
    pub default_buffers: bool,
    /// Each connection's queue bound and the slow-consumer policy.
    pub slow: SlowConsumer,
}

impl NodeArgs {
    /// The command line after the program name.
    pub fn to_args(&self) -> Vec<String> {
        let mut a = vec![
            "cluster-node".to_owned(),
            "--id".into(),
            self.id.to_string(),
            "--redis".into(),
            self.redis.clone(),
            "--prefix".into(),
            self.prefix.clone(),
            "--history".into(),
            self.history.to_string(),
        ];
        if self.registry {
            a.push("--registry".into());
        }
        if self.default_buffers {
            a.push("--default-buffers".into());
        }
        a.extend(["--queue".into(), self.slow.limit.to_string()]);
        a.extend(["--slow-policy".into(), self.slow.policy.name().into()]);
        a
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Ready {
    addr: std::net::SocketAddr,
}

/// The body of `rtc-lab cluster-node`: serves until stdin closes.
pub async fn serve_node(args: NodeArgs) -> Result<(), String> {
    let limits = HistoryLimits { size: args.history, ..HistoryLimits::default() };
    let broker: Arc<dyn Broker> = Arc::new(
        RedisBroker::connect(&args.redis, &args.prefix, limits, Some(args.id)).await.map_err(|e| e.to_string())?,
    );
    let registry = match args.registry {
        true => {
            Some(Arc::new(RedisRegistry::connect(&args.redis, &args.prefix).await.map_err(|e| e.to_string())?) as _)
        }
        false => None,
    };
    let node = Node::start(NodeConfig {
        id: args.id,
        broker,
        registry,
        default_buffers: args.default_buffers,
        trace: None,
        slow: args.slow,
    })
    .await
    .map_err(|e| format!("node {}: cannot listen: {e}", args.id + 1))?;
    println!("{}", serde_json::to_string(&Ready { addr: node.addr }).expect("serialises"));
    // Until the parent goes away; a `drain` line from it takes the node out of service.
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.trim() == DRAIN {
            node.drain();
        }
    }
    node.kill();
    Ok(())
}

/// What the parent writes on a node process's stdin to drain it (see `Node::drain`).
const DRAIN: &str = "drain";

/// A node running as a child process.
#[derive(Debug)]
pub struct NodeProcess {
    pub id: usize,
    pub addr: std::net::SocketAddr,
    child: Child,
}

impl NodeProcess {
    /// Starts `program cluster-node …` and waits (bounded) for it to listen.
    pub async fn spawn(program: &Path, args: &NodeArgs) -> Result<NodeProcess, String> {
        let what = format!("node {} ({})", args.id + 1, program.display());
        let mut child = Command::new(program)
            .args(args.to_args())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting {what}: {e}"))?;
        let stdout = child.stdout.take().ok_or_else(|| format!("{what}: no stdout"))?;
        let mut first = String::new();
        let read = tokio::time::timeout(START_WITHIN, BufReader::new(stdout).read_line(&mut first)).await;
        let ready: Ready = match read {
            Ok(Ok(n)) if n > 0 => serde_json::from_str(first.trim())
                .map_err(|e| format!("{what} said {first:?} instead of its address ({e})"))?,
            Ok(_) => return Err(format!("{what} exited before listening (see its message above)")),
            Err(_) => return Err(format!("{what} did not listen within {} s", START_WITHIN.as_secs())),
        };
        Ok(NodeProcess { id: args.id, addr: ready.addr, child })
    }

    /// Asks the node to leave the cluster politely (its connections closed with 1001).
    pub async fn drain(&mut self) -> Result<(), String> {
        let stdin = self.child.stdin.as_mut().ok_or_else(|| format!("node {}: no stdin", self.id + 1))?;
        stdin
            .write_all(format!("{DRAIN}\n").as_bytes())
            .await
            .map_err(|e| format!("draining node {}: {e}", self.id + 1))
    }

    /// SIGKILL: the process dies at once, its sockets closed by the kernel, nothing tidied up.
    pub fn kill(&mut self) {
        let _ = self.child.start_kill();
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The process's resident memory, from `/proc` (Linux).
    pub fn rss_kib(&self) -> Option<u64> {
        rss_kib(self.child.id()?)
    }
}

/// `VmRSS` of process `pid`, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
