//! Which broker and registry a run uses: the in-process ones, or a real Redis (`--redis URL`),
//! with the handles each node and the publisher need. On Redis every node gets its own
//! connections (as separate processes would) and the run's keys share one fresh prefix,
//! deleted at the end. `--redis local` starts a redis-server for the run and stops it after.

use std::sync::Arc;

use crate::broker::{Broker, MemoryBroker};
use crate::node::NodeConfig;
use crate::redis_broker::{RedisBroker, RedisRegistry, run_prefix};
use crate::redis_server::LocalRedis;
use crate::registry::{MemoryRegistry, Registry};
use crate::slow::SlowConsumer;
use crate::stream::HistoryLimits;

/// Where the cluster's shared state lives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BackendSpec {
    #[default]
    Memory,
    Redis {
        url: String,
    },
    /// A redis-server started on a free loopback port for the run.
    LocalRedis,
}

impl BackendSpec {
    /// `None`: in-process; `local`: a redis-server for the run; anything else: a Redis URL.
    pub fn from_url(url: Option<&str>) -> BackendSpec {
        match url.map(str::trim) {
            None | Some("") => BackendSpec::Memory,
            Some("local") => BackendSpec::LocalRedis,
            Some(u) => BackendSpec::Redis { url: u.to_owned() },
        }
    }

    /// Connects (to Redis: fails fast with the URL and the reason).
    pub async fn start(&self, limits: HistoryLimits, seed: u64) -> Result<Backend, String> {
        let (url, local) = match self {
            BackendSpec::Memory => {
                let shared = Shared::Memory(MemoryBroker::new(limits, seed), MemoryRegistry::default());
                return Ok(Backend { shared, local: None });
            }
            BackendSpec::Redis { url } => (url.clone(), None),
            BackendSpec::LocalRedis => {
                let local = tokio::task::spawn_blocking(LocalRedis::start).await.map_err(|e| e.to_string())??;
                (local.url(), Some(local))
            }
        };
        let prefix = run_prefix(seed);
        let publisher = RedisBroker::connect(&url, &prefix, limits, None).await.map_err(|e| e.to_string())?;
        let registry = RedisRegistry::connect(&url, &prefix).await.map_err(|e| e.to_string())?;
        Ok(Backend { shared: Shared::Redis { url, prefix, limits, publisher, registry }, local })
    }
}

#[derive(Debug)]
enum Shared {
    Memory(MemoryBroker, MemoryRegistry),
    Redis { url: String, prefix: String, limits: HistoryLimits, publisher: RedisBroker, registry: RedisRegistry },
}

/// A started backend.
#[derive(Debug)]
pub struct Backend {
    shared: Shared,
    /// The redis-server started for this run, stopped when the backend is dropped.
    local: Option<LocalRedis>,
}

impl Backend {
    /// The broker handle of whoever publishes from outside the nodes.
    pub fn publisher(&self) -> Arc<dyn Broker> {
        match &self.shared {
            Shared::Memory(b, _) => Arc::new(b.clone()),
            Shared::Redis { publisher, .. } => Arc::new(publisher.clone()),
        }
    }

    pub fn registry(&self) -> Arc<dyn Registry> {
        match &self.shared {
            Shared::Memory(_, r) => Arc::new(r.clone()),
            Shared::Redis { registry, .. } => Arc::new(registry.clone()),
        }
    }

    /// The in-process broker, for faults only it can stage (losing a channel's history).
    pub fn memory(&self) -> Option<&MemoryBroker> {
        match &self.shared {
            Shared::Memory(b, _) => Some(b),
            Shared::Redis { .. } => None,
        }
    }

    /// What node `id` starts with; `registry`: sessions and direct messages go through it.
    pub async fn node_config(&self, id: usize, registry: bool) -> Result<NodeConfig, String> {
        let broker: Arc<dyn Broker> = match &self.shared {
            Shared::Memory(b, _) => Arc::new(b.clone()),
            Shared::Redis { url, prefix, limits, .. } => Arc::new(
                RedisBroker::connect(url, prefix, *limits, Some(id))
                    .await
                    .map_err(|e| format!("node {}: {e}", id + 1))?,
            ),
        };
        Ok(NodeConfig {
            id,
            broker,
            registry: registry.then(|| self.registry()),
            default_buffers: false,
            trace: None,
            slow: SlowConsumer::default(),
        })
    }

    /// The Redis URL and the run's key prefix, for nodes in other processes.
    pub fn redis(&self) -> Option<(String, String)> {
        match &self.shared {
            Shared::Memory(..) => None,
            Shared::Redis { url, prefix, .. } => Some((url.clone(), prefix.clone())),
        }
    }

    /// What it is, for reports ("in-process" or the Redis URL).
    pub fn describe(&self) -> String {
        let what = self.publisher().describe();
        if self.local.is_some() { format!("{what} (a redis-server started for this run)") } else { what }
    }

    /// Deletes the run's keys from Redis (nothing to do in-process).
    pub async fn finish(&self) {
        if let Shared::Redis { publisher, .. } = &self.shared {
            let _ = publisher.clean_up().await;
        }
    }
}
