//! The server-side message store shared by every technique's endpoints.
//!
//! Published messages get a contiguous `seq` and go into a bounded history; a `watch`
//! channel carries the newest `seq`, so waiting endpoints (long polling, SSE, WebSocket)
//! wake on change and then read what they missed from the history. Reading from history
//! instead of a broadcast queue means a slow connection never loses messages that are still
//! held, and replay after a reconnect is the same code path as live delivery.

use std::collections::VecDeque;
use std::sync::{Arc, RwLock};

use tokio::sync::watch;

use crate::message::{Message, PublishRequest};

/// Messages kept for replay (SSE `Last-Event-ID`, polling `since`).
pub const DEFAULT_HISTORY: usize = 10_000;

#[derive(Debug, Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    history: RwLock<VecDeque<Arc<Message>>>,
    capacity: usize,
    latest: watch::Sender<u64>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new(DEFAULT_HISTORY)
    }
}

impl Hub {
    pub fn new(capacity: usize) -> Self {
        let (latest, _) = watch::channel(0);
        Hub { inner: Arc::new(Inner { history: RwLock::new(VecDeque::new()), capacity: capacity.max(1), latest }) }
    }

    /// Appends a message and wakes every waiting endpoint. Returns its `seq` (from 1).
    pub fn publish(&self, req: PublishRequest) -> Arc<Message> {
        let mut h = self.inner.history.write().unwrap_or_else(|p| p.into_inner());
        let seq = h.back().map_or(1, |m| m.seq + 1);
        let msg = Arc::new(Message { seq, id: req.id, from: req.from, t: req.t, body: req.body });
        if h.len() == self.inner.capacity {
            h.pop_front();
        }
        h.push_back(msg.clone());
        drop(h);
        self.inner.latest.send_replace(seq);
        msg
    }

    /// Held messages with `seq > since`, oldest first, at most `limit` of them.
    pub fn since(&self, since: u64, limit: usize) -> Vec<Arc<Message>> {
        let h = self.inner.history.read().unwrap_or_else(|p| p.into_inner());
        let Some(first) = h.front().map(|m| m.seq) else { return Vec::new() };
        let skip = (since + 1).saturating_sub(first) as usize;
        h.iter().skip(skip).take(limit).cloned().collect()
    }

    /// The oldest `seq` still held (0 when empty): a reader asking for older ones lost some.
    pub fn oldest(&self) -> u64 {
        let h = self.inner.history.read().unwrap_or_else(|p| p.into_inner());
        h.front().map_or(0, |m| m.seq)
    }

    pub fn latest(&self) -> u64 {
        *self.inner.latest.borrow()
    }

    /// A receiver that wakes whenever a message is published.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.inner.latest.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(id: u64) -> PublishRequest {
        PublishRequest { id, from: None, t: 0, body: String::new() }
    }

    #[test]
    fn since_returns_newer_messages_and_history_is_bounded() {
        let hub = Hub::new(3);
        for i in 0..5 {
            hub.publish(req(100 + i));
        }
        let seqs: Vec<u64> = hub.since(0, 10).iter().map(|m| m.seq).collect();
        assert_eq!(seqs, vec![3, 4, 5]);
        let seqs: Vec<u64> = hub.since(4, 10).iter().map(|m| m.seq).collect();
        assert_eq!(seqs, vec![5]);
        assert!(hub.since(5, 10).is_empty());
        assert_eq!(hub.since(0, 2).len(), 2);
        assert_eq!((hub.oldest(), hub.latest()), (3, 5));
    }
}
