//! Real clients, one per technique.
//!
//! Every client opens plain TCP connections (counted by [`crate::counting`]) to the address
//! it is given, which in experiments is the tap. It registers its local address in the tap's
//! [`ClientDirectory`] before connecting, so the tap can draw its traffic in its own lane.
//! A client records a `message_delivered` event for each message it receives, with the
//! latency from the publish time carried in the message, the publish it came from and the
//! wire event that carried it (taken from its connection's queue, see [`rtclab_wire::carriers`]).
//! Each receive site takes a carrier for every response, event or message it parses,
//! whether or not it delivers anything, so the client stays in step with the tap.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rtclab_trace::{Actor, EventKind, NewEvent, Recorder};
use rtclab_wire::carriers::CarrierQueue;
use rtclab_wire::tap::ClientDirectory;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{mpsc, watch};

use crate::counting::{ByteCounters, CountingStream};
use crate::message::{Message, PublishRequest};
use crate::{Error, Result};

pub mod http;
pub mod long_polling;
pub mod polling;
pub mod sse;
pub mod websocket;

/// Where a client connects and what it puts in `Host`.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: String,
}

/// Publishes and deliveries of one experiment: maps a message id to the trace event that
/// published it and counts deliveries.
#[derive(Debug)]
pub struct Ledger {
    published: Mutex<HashMap<u64, u64>>,
    next_id: AtomicU64,
    delivered: watch::Sender<u64>,
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger { published: Mutex::new(HashMap::new()), next_id: AtomicU64::new(1), delivered: watch::channel(0).0 }
    }
}

impl Ledger {
    /// A fresh message id.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub fn published(&self, msg_id: u64, event_seq: u64) {
        self.published.lock().unwrap_or_else(|p| p.into_inner()).insert(msg_id, event_seq);
    }

    fn publish_event(&self, msg_id: u64) -> Option<u64> {
        self.published.lock().unwrap_or_else(|p| p.into_inner()).get(&msg_id).copied()
    }

    fn delivered_one(&self) {
        self.delivered.send_modify(|n| *n += 1);
    }

    pub fn delivered(&self) -> u64 {
        *self.delivered.borrow()
    }

    /// A receiver of the delivery count, to wait for "everything arrived".
    pub fn watch_delivered(&self) -> watch::Receiver<u64> {
        self.delivered.subscribe()
    }
}

/// A request to publish a message from a client (direction `both`).
#[derive(Debug)]
pub struct PublishCmd {
    pub body: String,
}

/// Everything a client needs.
#[derive(Debug)]
pub struct ClientCtx {
    pub id: u32,
    pub target: Target,
    pub recorder: Recorder,
    pub experiment: Arc<str>,
    pub directory: ClientDirectory,
    pub counters: Arc<ByteCounters>,
    pub ledger: Arc<Ledger>,
    pub stop: watch::Receiver<bool>,
}

impl ClientCtx {
    pub fn actor(&self) -> Actor {
        Actor::Client(self.id)
    }

    /// Opens a counted TCP connection to the target, registered in the directory first.
    /// Returns it with the queue of the events that carry messages on it.
    pub async fn connect(&self) -> Result<(CountingStream<TcpStream>, CarrierQueue)> {
        let doing = format!("connecting to {}", self.target.addr);
        let sock = if self.target.addr.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() }
            .map_err(Error::io(doing.clone()))?;
        let any = if self.target.addr.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
        let local = if self.target.addr.ip().is_loopback() {
            SocketAddr::new(self.target.addr.ip(), 0)
        } else {
            any.parse().map_err(|_| Error::Client("bad bind address".into()))?
        };
        sock.bind(local).map_err(Error::io(doing.clone()))?;
        let local = sock.local_addr().map_err(Error::io(doing.clone()))?;
        let carriers = self.directory.register(local, self.actor());
        let stream = sock.connect(self.target.addr).await.map_err(Error::io(doing))?;
        let _ = stream.set_nodelay(true);
        Ok((CountingStream::new(stream, self.counters.clone()), carriers))
    }

    /// Records the receipt of a message that `carrier` brought (ignoring the client's own
    /// messages).
    pub fn deliver(&self, msg: &Message, carrier: Option<u64>) {
        if msg.from == Some(self.id) {
            return;
        }
        let latency_ns = self.recorder.now_ns().saturating_sub(msg.t);
        let published = self.ledger.publish_event(msg.id);
        let kind = EventKind::MessageDelivered { msg_id: msg.id, latency_ns, published };
        self.recorder.record(NewEvent::new(&self.experiment, self.actor(), kind).parent(carrier));
        self.ledger.delivered_one();
    }

    /// Records that this client publishes `body` now; returns the request to send.
    pub fn publish(&self, body: String) -> PublishRequest {
        let id = self.ledger.next_id();
        let kind = EventKind::MessagePublished { msg_id: id, size: body.len() as u64 };
        let (seq, t) = self.recorder.record_timed(NewEvent::new(&self.experiment, self.actor(), kind));
        self.ledger.published(id, seq);
        PublishRequest { id, from: Some(self.id), t, body }
    }

    pub fn note(&self, text: impl Into<String>) {
        let kind = EventKind::Note { text: text.into() };
        self.recorder.record(NewEvent::new(&self.experiment, self.actor(), kind));
    }

    /// Resolves when the experiment asks clients to stop.
    pub async fn stopped(&self) {
        let mut stop = self.stop.clone();
        let _ = stop.wait_for(|s| *s).await;
    }

    pub fn is_stopped(&self) -> bool {
        *self.stop.borrow()
    }
}

/// The channel on which a client receives publish commands (direction `both`).
pub type PublishRx = mpsc::UnboundedReceiver<PublishCmd>;
