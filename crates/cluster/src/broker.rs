//! The broker every node of a cluster shares: it owns each channel's stream (offsets, epoch,
//! history) and fans every publication out to all nodes, and it carries direct messages
//! from one user's node to another's. Two backends: `MemoryBroker` (in this process, the
//! default) and `RedisBroker` (see `redis_broker`).
//!
//! History and pub/sub are one trait because they must be one operation: the offset a
//! publication gets and the order nodes hear publications in are decided together (under one
//! lock here, in one script on Redis, as Centrifugo does). Split, two publishers could hand
//! nodes offset 6 before offset 5, and every subscriber would see a gap.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use futures_util::future::BoxFuture;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::protocol::NodeMsg;

use crate::stream::{ChannelStream, HistoryLimits, Publication, Recovery, StreamPosition, new_epoch};

/// Publications a node may lag behind before it must drop a subscriber (who then recovers).
pub const FANOUT_CAPACITY: usize = 4096;

/// One publication on its way to the nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub channel: String,
    pub epoch: String,
    pub publication: Publication,
}

/// A message from one user to another, on its way to the node(s) that may hold the receiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Direct {
    pub from: String,
    pub to: String,
    /// The node the registry says holds `to` (numbered from 0); `None`: every node looks.
    pub to_node: Option<usize>,
    pub from_node: usize,
    pub data: String,
    /// The sender's id for it, if it gave one.
    #[serde(default)]
    pub id: Option<u64>,
}

/// What a node hears from the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fanout {
    /// A publication, and its `pub` message as sent to every subscriber — serialised once per
    /// node, not once per connection (with thousands of subscribers that is most of the work).
    Pub(Delivery, Utf8Bytes),
    Direct(Direct),
    /// The node lost its link to the broker: what was published meanwhile never reached it,
    /// so its subscribers must go and recover (the node closes them with 1013).
    Lost(String),
}

impl Fanout {
    pub fn publication(d: Delivery) -> Fanout {
        let m = NodeMsg::Pub {
            channel: d.channel.clone(),
            epoch: d.epoch.clone(),
            offset: d.publication.offset,
            data: d.publication.data.clone(),
        };
        Fanout::Pub(d, m.to_json().into())
    }
}

/// The broker could not do what was asked (Redis unreachable, a script refused, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BrokerError(pub String);

pub type BrokerResult<T> = Result<T, BrokerError>;

/// A broker backend, as one node (or the publisher) uses it.
pub trait Broker: Send + Sync + std::fmt::Debug {
    /// What the broker is, for messages ("in-process", "redis://127.0.0.1:6390").
    fn describe(&self) -> String;
    /// Everything fanned out from now on: every channel's publications, and direct messages.
    fn subscribe(&self) -> broadcast::Receiver<Arc<Fanout>>;
    /// Appends `data` to `channel` as its next offset and fans it out.
    fn publish<'a>(&'a self, channel: &'a str, data: String) -> BoxFuture<'a, BrokerResult<Delivery>>;
    /// The channel's position now (created, with a fresh epoch, if it has none).
    fn position<'a>(&'a self, channel: &'a str) -> BoxFuture<'a, BrokerResult<StreamPosition>>;
    /// What a client at `from` missed, whole or not at all.
    fn recover<'a>(&'a self, channel: &'a str, from: &'a StreamPosition) -> BoxFuture<'a, BrokerResult<Recovery>>;
    /// Carries a direct message to `to_node` (or to every node).
    fn send_direct(&self, message: Direct) -> BoxFuture<'_, BrokerResult<()>>;
    /// Whether this handle hears the broker's fan-out now. A node that does not must take no
    /// new connections: it could pass nothing on to them.
    fn linked(&self) -> bool {
        true
    }
}

#[derive(Debug)]
struct State {
    streams: HashMap<String, ChannelStream>,
    rng: StdRng,
}

/// The in-process broker. Cheap to clone; clones share the channels.
#[derive(Debug, Clone)]
pub struct MemoryBroker {
    state: Arc<Mutex<State>>,
    fanout: broadcast::Sender<Arc<Fanout>>,
    limits: HistoryLimits,
    started: Instant,
}

impl MemoryBroker {
    pub fn new(limits: HistoryLimits, seed: u64) -> Self {
        MemoryBroker {
            state: Arc::new(Mutex::new(State { streams: HashMap::new(), rng: StdRng::seed_from_u64(seed) })),
            fanout: broadcast::channel(FANOUT_CAPACITY).0,
            limits,
            started: Instant::now(),
        }
    }

    fn now(&self) -> Duration {
        self.started.elapsed()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn stream<'a>(state: &'a mut State, channel: &str, limits: HistoryLimits) -> &'a mut ChannelStream {
        let State { streams, rng } = state;
        streams.entry(channel.to_owned()).or_insert_with(|| ChannelStream::new(new_epoch(rng), limits))
    }

    /// Publishes at once (the in-process broker never waits).
    pub fn publish_now(&self, channel: &str, data: impl Into<String>) -> Delivery {
        let now = self.now();
        let mut state = self.lock();
        let stream = Self::stream(&mut state, channel, self.limits);
        let publication = stream.publish(data, now);
        let d = Delivery { channel: channel.to_owned(), epoch: stream.position().epoch, publication };
        let _ = self.fanout.send(Arc::new(Fanout::publication(d.clone())));
        d
    }

    /// The broker lost `channel`'s history (a restart without persistence): a new epoch.
    pub fn lose(&self, channel: &str) -> StreamPosition {
        let mut state = self.lock();
        let epoch = new_epoch(&mut state.rng);
        let stream = Self::stream(&mut state, channel, self.limits);
        stream.recreate(epoch);
        stream.position()
    }
}

impl Broker for MemoryBroker {
    fn describe(&self) -> String {
        "the in-process broker".into()
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Fanout>> {
        self.fanout.subscribe()
    }

    fn publish<'a>(&'a self, channel: &'a str, data: String) -> BoxFuture<'a, BrokerResult<Delivery>> {
        let d = self.publish_now(channel, data);
        Box::pin(async move { Ok(d) })
    }

    fn position<'a>(&'a self, channel: &'a str) -> BoxFuture<'a, BrokerResult<StreamPosition>> {
        let mut state = self.lock();
        let p = Self::stream(&mut state, channel, self.limits).position();
        Box::pin(async move { Ok(p) })
    }

    fn recover<'a>(&'a self, channel: &'a str, from: &'a StreamPosition) -> BoxFuture<'a, BrokerResult<Recovery>> {
        let now = self.now();
        let mut state = self.lock();
        let r = Self::stream(&mut state, channel, self.limits).recover(from, now);
        Box::pin(async move { Ok(r) })
    }

    fn send_direct(&self, message: Direct) -> BoxFuture<'_, BrokerResult<()>> {
        let _ = self.fanout.send(Arc::new(Fanout::Direct(message)));
        Box::pin(async { Ok(()) })
    }
}
