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

/// A direct message's way through the cluster on the trace: the sender's `message_published`
/// (recorded by its client, experiment of the sender's node), the broker hop (recorded by the
/// sender's node, experiment `broker`, caused by the first), the receiver's delivery (linked
/// to the frame that carried it and to the broker hop). Keyed by the sender's message id.
#[derive(Debug, Clone)]
pub struct DirectTrace {
    pub recorder: Recorder,
    /// Id → the sender's publish.
    pub sent: Publications,
    /// Id → the broker hop.
    pub hops: Publications,
}

impl DirectTrace {
    pub fn new(recorder: Recorder) -> Self {
        DirectTrace { recorder, sent: Publications::default(), hops: Publications::default() }
    }

    /// The sender `user` (client `client`, connected to `node`) sends message `id`.
    pub fn sent(&self, node: usize, client: u32, id: u64, size: usize) {
        let experiment: Arc<str> = Arc::from(node_experiment(node));
        let kind = EventKind::MessagePublished { msg_id: id, size: size as u64 };
        let (seq, t) = self.recorder.record_timed(NewEvent::new(&experiment, Actor::Client(client), kind));
        self.sent.lock().insert(id, (seq, t));
    }

    /// The sender's node hands message `id` to the broker, for one node or for all.
    pub fn routed(&self, id: u64, m: &crate::broker::Direct) {
        let parent = self.sent.lock().get(&id).map(|(s, _)| *s);
        let broker: Arc<str> = Arc::from(BROKER);
        let kind = EventKind::MessagePublished { msg_id: id, size: m.data.len() as u64 };
        let (seq, t) = self.recorder.record_timed(NewEvent::new(&broker, Actor::Publisher, kind).parent(parent));
        self.hops.lock().insert(id, (seq, t));
        let to = match m.to_node {
            Some(n) => format!("the registry names node {} for {}: sent to that node only", n + 1, m.to),
            None => format!("no registry: published to every node, the one holding {} delivers", m.to),
        };
        let note =
            EventKind::Note { text: format!("direct message {id} from {} (node {}): {to}", m.from, m.from_node + 1) };
        self.recorder.record(NewEvent::new(&broker, Actor::Publisher, note).parent(Some(seq)));
    }

    /// The receiver (client `client`, connected to `node`) holds message `id`; `carrier` is
    /// the frame that brought it.
    pub fn delivered(&self, node: usize, client: u32, id: u64, carrier: Option<u64>) {
        let hop = self.hops.lock().get(&id).copied();
        let sent = self.sent.lock().get(&id).copied();
        let latency_ns = sent.map_or(0, |(_, t)| self.recorder.now_ns().saturating_sub(t));
        let kind = EventKind::MessageDelivered { msg_id: id, latency_ns, published: hop.map(|(s, _)| s) };
        let experiment: Arc<str> = Arc::from(node_experiment(node));
        self.recorder.record(NewEvent::new(&experiment, Actor::Client(client), kind).parent(carrier));
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
