//! Putting a cluster run on the lab's trace: a tap in front of every node (its experiment is
//! `node N`, so each node has its lanes), the broker's publications as `message_published`
//! (experiment `broker`), and each client's deliveries as `message_delivered` linked to the
//! frame that carried it and to the publication — the path publish → node's frame → client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rtclab_trace::{Actor, EventKind, NewEvent, Recorder};
use rtclab_wire::tap::ClientDirectory;

/// The experiment names on the trace.
pub const BROKER: &str = "broker";

pub fn node_experiment(node: usize) -> String {
    format!("node {}", node + 1)
}

/// What a client needs to put its deliveries on the trace.
#[derive(Debug, Clone)]
pub struct ClientTrace {
    pub recorder: Recorder,
    pub directory: ClientDirectory,
    pub id: u32,
    /// The experiment of each node, by index.
    pub experiments: Arc<[Arc<str>]>,
    pub published: Publications,
}

/// Offset → (sequence number, time) of the event that published it.
#[derive(Debug, Clone, Default)]
pub struct Publications(Arc<Mutex<HashMap<u64, (u64, u64)>>>);

impl Publications {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (u64, u64)>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records that the broker published `offset` (`size` bytes).
    pub fn record(&self, recorder: &Recorder, offset: u64, size: usize) {
        let broker: Arc<str> = Arc::from(BROKER);
        let kind = EventKind::MessagePublished { msg_id: offset, size: size as u64 };
        let (seq, t) = recorder.record_timed(NewEvent::new(&broker, Actor::Publisher, kind));
        self.lock().insert(offset, (seq, t));
    }
}

impl ClientTrace {
    /// Records that this client, connected through `node`'s tap, handed `offset` to its
    /// application; `carrier` is the frame that brought it.
    pub fn delivered(&self, node: usize, offset: u64, carrier: Option<u64>) {
        let published = self.published.lock().get(&offset).copied();
        let latency_ns = published.map_or(0, |(_, t)| self.recorder.now_ns().saturating_sub(t));
        let kind = EventKind::MessageDelivered { msg_id: offset, latency_ns, published: published.map(|(s, _)| s) };
        let experiment = &self.experiments[node];
        self.recorder.record(NewEvent::new(experiment, Actor::Client(self.id), kind).parent(carrier));
    }
}
