//! The scaling lab: WebSocket nodes sharing a broker, and what a cluster must get right for
//! a client that comes back after losing its node. The stream, merge, position and backoff
//! modules are sans-IO (time is passed in); nodes and clients speak real WebSocket on loopback.
//!
//! Module map:
//! - `stream` — one channel's history: increasing offsets, an epoch that changes when the
//!   history is lost, bounded by size and age; recovery that replays exactly the missed
//!   publications or answers "not recovered" with nothing (never a partial replay).
//! - `merge` — joining a replay with the publications that arrived live meanwhile: in
//!   order, without duplicates, or a gap that must not be hidden.
//! - `position` — a client's view of one channel: which publication to deliver, which is a
//!   duplicate, which reveals a gap.
//! - `backoff` — reconnect delays: exponential with full jitter, or without (the herd).
//! - `protocol` — the JSON messages between a client and a node.
//! - `broker` — the broker trait (history and pub/sub, one operation) and the in-process
//!   broker: each channel's stream, fan-out to every node, direct messages.
//! - `registry` — the connection registry trait (user → node, sessions, node heartbeats) and
//!   its in-process table.
//! - `redis_broker` — both on a real Redis (Lua scripts, Streams, Pub/Sub, a hash + heartbeat keys).
//! - `redis_server` — a redis-server started on a free loopback port, and stopped.
//! - `backend` — which broker and registry a run uses, and each node's handles on them.
//! - `connections` — the connection-count benchmark: node processes, load processes, memory per
//!   connection, fan-out to everyone.
//! - `load` — the load generator of connection benchmarks (`rtc-lab cluster-load`).
//! - `process` — a node as its own OS process (`rtc-lab cluster-node`), its memory from `/proc`.
//! - `slow` — the bound on each connection's queue and the slow-consumer policy past it.
//! - `node` — one WebSocket node: subscribe (with recovery), publish, pass publications on,
//!   route direct messages; killed abruptly on demand.
//! - `client` — a client that survives its node: backoff, another node, recovery.
//! - `balancer` — the load balancer: round-robin, sticky by cookie, by IP hash, or round-robin
//!   in front of a registry.
//! - `sessions` — the check that shows why: log in on one node, open the WebSocket through the
//!   balancer (accepted only by a node that knows the session), send a direct message across
//!   nodes.
//! - `traced` — a run on the lab's trace: a tap per node, publications and deliveries linked.
//! - `experiment` — one run of `rtc-lab cluster`: nodes, clients, a publisher, a kill, the report.
//!
//! The guarantees follow Centrifugo's history and recovery (offset + epoch, recovered:
//! true only for a whole replay); the lab's own code because they are the lesson.

pub mod backend;
pub mod backoff;
pub mod balancer;
pub mod broker;
pub mod client;
pub mod connections;
pub mod experiment;
pub mod load;
pub mod merge;
pub mod node;
pub mod position;
pub mod process;
pub mod protocol;
pub mod redis_broker;
pub mod redis_server;
pub mod registry;
pub mod sessions;
pub mod slow;
pub mod stream;
pub mod traced;

pub use stream::{ChannelStream, HistoryLimits, NotRecovered, Publication, Recovery, StreamPosition};
