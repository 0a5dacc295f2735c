//! The connection registry: which node each connected user is on, so that any node can send
//! a user's direct messages to exactly that node; and the sessions, kept out of the nodes'
//! memory so that any node can accept any user's WebSocket (what lets the balancer spread
//! connections freely instead of keeping each user on one node).
//!
//! Nodes heartbeat; an entry whose node stopped heartbeating (killed, cut off) is stale, and a
//! lookup says so rather than routing to a dead node. Two backends: `MemoryRegistry` here and
//! `RedisRegistry` (see `redis_broker`: a hash of user → node, sessions in a hash, and one key
//! per node with a TTL as its heartbeat).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::broker::BrokerResult;

/// How long a node's heartbeat stays valid; nodes beat three times within it.
pub const HEARTBEAT_TTL: Duration = Duration::from_secs(3);

/// Where the registry says a user is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// On this node (numbered from 0), which is heartbeating.
    Live(usize),
    /// Registered on a node that stopped heartbeating.
    Stale(usize),
    Unknown,
}

/// One row of the registry, as the cluster view shows it (nodes numbered from 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RegistryEntry {
    pub user: String,
    pub node: usize,
    /// Whether that node is still heartbeating.
    pub alive: bool,
}

pub trait Registry: Send + Sync + std::fmt::Debug {
    /// `user` is connected to `node` (the newest connection wins).
    fn register<'a>(&'a self, user: &'a str, node: usize) -> BoxFuture<'a, BrokerResult<()>>;
    /// `user` left `node`; an entry that already points elsewhere is kept.
    fn unregister<'a>(&'a self, user: &'a str, node: usize) -> BoxFuture<'a, BrokerResult<()>>;
    fn lookup<'a>(&'a self, user: &'a str) -> BoxFuture<'a, BrokerResult<Lookup>>;
    /// `node` is alive for another `HEARTBEAT_TTL`.
    fn heartbeat(&self, node: usize) -> BoxFuture<'_, BrokerResult<()>>;
    /// Every entry, sorted by user.
    fn entries(&self) -> BoxFuture<'_, BrokerResult<Vec<RegistryEntry>>>;
    fn save_session<'a>(&'a self, token: &'a str, user: &'a str) -> BoxFuture<'a, BrokerResult<()>>;
    /// The user a session token belongs to.
    fn session<'a>(&'a self, token: &'a str) -> BoxFuture<'a, BrokerResult<Option<String>>>;
}

#[derive(Debug, Default)]
struct Tables {
    users: HashMap<String, usize>,
    beats: HashMap<usize, Instant>,
    sessions: HashMap<String, String>,
}

/// The in-process registry. Cheap to clone; clones share the tables.
#[derive(Debug, Clone, Default)]
pub struct MemoryRegistry(Arc<Mutex<Tables>>);

impl MemoryRegistry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn alive(t: &Tables, node: usize) -> bool {
    t.beats.get(&node).is_some_and(|at| at.elapsed() < HEARTBEAT_TTL)
}

fn ready<'a, T: Send + 'a>(v: T) -> BoxFuture<'a, BrokerResult<T>> {
    Box::pin(async move { Ok(v) })
}

impl Registry for MemoryRegistry {
    fn register<'a>(&'a self, user: &'a str, node: usize) -> BoxFuture<'a, BrokerResult<()>> {
        self.lock().users.insert(user.to_owned(), node);
        ready(())
    }

    fn unregister<'a>(&'a self, user: &'a str, node: usize) -> BoxFuture<'a, BrokerResult<()>> {
        let mut t = self.lock();
        if t.users.get(user) == Some(&node) {
            t.users.remove(user);
        }
        ready(())
    }

    fn lookup<'a>(&'a self, user: &'a str) -> BoxFuture<'a, BrokerResult<Lookup>> {
        let t = self.lock();
        let found = match t.users.get(user) {
            Some(&n) if alive(&t, n) => Lookup::Live(n),
            Some(&n) => Lookup::Stale(n),
            None => Lookup::Unknown,
        };
        ready(found)
    }

    fn heartbeat(&self, node: usize) -> BoxFuture<'_, BrokerResult<()>> {
        self.lock().beats.insert(node, Instant::now());
        ready(())
    }

    fn entries(&self) -> BoxFuture<'_, BrokerResult<Vec<RegistryEntry>>> {
        let t = self.lock();
        let mut rows: Vec<_> = t
            .users
            .iter()
            .map(|(user, &n)| RegistryEntry { user: user.clone(), node: n + 1, alive: alive(&t, n) })
            .collect();
        rows.sort_by(|a, b| a.user.cmp(&b.user));
        ready(rows)
    }

    fn save_session<'a>(&'a self, token: &'a str, user: &'a str) -> BoxFuture<'a, BrokerResult<()>> {
        self.lock().sessions.insert(token.to_owned(), user.to_owned());
        ready(())
    }

    fn session<'a>(&'a self, token: &'a str) -> BoxFuture<'a, BrokerResult<Option<String>>> {
        ready(self.lock().sessions.get(token).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_lookup_finds_the_newest_node_and_calls_a_silent_node_stale() {
        let r = MemoryRegistry::default();
        assert_eq!(r.lookup("ann").await.unwrap(), Lookup::Unknown);
        r.heartbeat(0).await.unwrap();
        r.heartbeat(1).await.unwrap();
        r.register("ann", 0).await.unwrap();
        r.register("ann", 1).await.unwrap();
        assert_eq!(r.lookup("ann").await.unwrap(), Lookup::Live(1));
        // Leaving the old node does not remove the newer entry.
        r.unregister("ann", 0).await.unwrap();
        assert_eq!(r.lookup("ann").await.unwrap(), Lookup::Live(1));
        // Node 1 stops heartbeating.
        r.lock().beats.insert(1, Instant::now() - HEARTBEAT_TTL);
        assert_eq!(r.lookup("ann").await.unwrap(), Lookup::Stale(1));
        assert_eq!(r.entries().await.unwrap(), vec![RegistryEntry { user: "ann".into(), node: 2, alive: false }]);
        r.unregister("ann", 1).await.unwrap();
        assert_eq!(r.lookup("ann").await.unwrap(), Lookup::Unknown);
    }
}
