//! The in-process broker every node of a cluster shares: it owns each channel's stream and
//! fans every publication out to all nodes. Assigning the offset, writing the history and
//! fanning out happen under one lock, so every node sees a channel's publications in offset
//! order (what Centrifugo does in one Redis script).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::broadcast;

use crate::stream::{ChannelStream, HistoryLimits, Publication, Recovery, StreamPosition, new_epoch};

/// Publications a node may lag behind before it must drop a subscriber (who then recovers).
const FANOUT_CAPACITY: usize = 4096;

/// One publication on its way to the nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub channel: String,
    pub epoch: String,
    pub publication: Publication,
}

#[derive(Debug)]
struct State {
    streams: HashMap<String, ChannelStream>,
    rng: StdRng,
}

/// Cheap to clone; clones share the channels.
#[derive(Debug, Clone)]
pub struct MemoryBroker {
    state: Arc<Mutex<State>>,
    fanout: broadcast::Sender<Arc<Delivery>>,
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

    /// Every publication from now on, of every channel.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Delivery>> {
        self.fanout.subscribe()
    }

    pub fn publish(&self, channel: &str, data: impl Into<String>) -> Delivery {
        self.publish_then(channel, data, |_| {})
    }

    /// Publishes, running `before_fanout` with the publication before any node hears of it
    /// (to record the cause before its effects).
    pub fn publish_then(
        &self,
        channel: &str,
        data: impl Into<String>,
        before_fanout: impl FnOnce(&Delivery),
    ) -> Delivery {
        let now = self.now();
        let mut state = self.lock();
        let stream = Self::stream(&mut state, channel, self.limits);
        let publication = stream.publish(data, now);
        let d = Delivery { channel: channel.to_owned(), epoch: stream.position().epoch, publication };
        before_fanout(&d);
        let _ = self.fanout.send(Arc::new(d.clone()));
        d
    }

    pub fn position(&self, channel: &str) -> StreamPosition {
        let mut state = self.lock();
        Self::stream(&mut state, channel, self.limits).position()
    }

    pub fn recover(&self, channel: &str, from: &StreamPosition) -> Recovery {
        let now = self.now();
        let mut state = self.lock();
        Self::stream(&mut state, channel, self.limits).recover(from, now)
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
