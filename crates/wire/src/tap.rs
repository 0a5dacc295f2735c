//! The tap: a real TCP proxy that sees every byte between clients and a server.
//!
//! Each accepted connection gets its own upstream connection. Bytes are decoded and their
//! events recorded *before* the bytes are forwarded, so an event on the trace never appears
//! after the effect it caused on the other side (a client cannot record a delivery before
//! the tap records the frame). Forwarding is byte-for-byte; the [`ConnDecoder`] only reads
//! copies, and the tap stamps its events with the time the bytes were read.
//!
//! Clients the lab starts register their local address in a [`ClientDirectory`] before they
//! connect, so the tap can name the lane a connection belongs to; anything else is
//! [`Actor::External`].

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rtclab_trace::{Actor, Dir, EventKind, NewEvent, Recorder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::carriers::{CarrierKind, CarrierQueue};
use crate::conn::{ConnDecoder, ConnEvent};

/// Size of the forwarding buffer of each direction.
const BUF: usize = 16 * 1024;

/// Who is behind a client address, and the queue of events that carry messages to it.
#[derive(Debug, Clone, Default)]
pub struct ClientDirectory {
    inner: Arc<Mutex<HashMap<SocketAddr, (Actor, CarrierQueue)>>>,
}

impl ClientDirectory {
    /// Names the client behind `addr`, a fresh connection; returns the queue in which the tap
    /// will put the events that carry messages to it (see [`crate::carriers`]).
    pub fn register(&self, addr: SocketAddr, actor: Actor) -> CarrierQueue {
        let queue = CarrierQueue::default();
        self.lock().insert(addr, (actor, queue.clone()));
        queue
    }

    /// Who is behind `addr`, and its carrier queue when it is a client the lab registered.
    pub fn lookup(&self, addr: SocketAddr) -> (Actor, Option<CarrierQueue>) {
        self.lock().get(&addr).map_or((Actor::External, None), |(actor, q)| (*actor, Some(q.clone())))
    }

    /// Makes `to` — a proxy's own connection onward, opened for the client behind `from` —
    /// resolve to that client and its queue, so a tap behind the proxy still knows whose
    /// bytes it sees. Register `to` before connecting from it.
    pub fn alias(&self, from: SocketAddr, to: SocketAddr) {
        let mut map = self.lock();
        if let Some(entry) = map.get(&from).cloned() {
            map.insert(to, entry);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, (Actor, CarrierQueue)>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What a tap needs to know.
#[derive(Debug, Clone)]
pub struct TapConfig {
    pub experiment: Arc<str>,
    pub upstream: SocketAddr,
    pub recorder: Recorder,
    pub directory: ClientDirectory,
}

#[derive(Debug)]
struct Shared {
    config: TapConfig,
    next_conn: AtomicU64,
    open: watch::Sender<usize>,
    cut: Notify,
}

/// A running tap. Dropping it stops accepting; [`Tap::shutdown`] also closes open connections.
#[derive(Debug)]
pub struct Tap {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl Tap {
    /// Starts a tap on an OS-chosen port of 127.0.0.1.
    pub async fn start(config: TapConfig) -> io::Result<Tap> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        Ok(Self::start_on(listener, config))
    }

    /// Starts a tap on a listener the caller bound.
    pub fn start_on(listener: TcpListener, config: TapConfig) -> Tap {
        let addr = listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let (open, _) = watch::channel(0);
        let shared = Arc::new(Shared { config, next_conn: AtomicU64::new(1), open, cut: Notify::new() });
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        Tap { addr, shared, accept }
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections open right now.
    pub fn open_connections(&self) -> usize {
        *self.shared.open.borrow()
    }

    /// Fault injection: abruptly closes every open connection (both sides see the TCP
    /// connection end, as when a proxy or a mobile network drops it).
    pub fn cut_all(&self) {
        let note = EventKind::Note { text: "tap: cutting every open connection".into() };
        let cfg = &self.shared.config;
        cfg.recorder.record(NewEvent::new(&cfg.experiment, Actor::Tap, note));
        self.shared.cut.notify_waiters();
    }

    /// Waits until no connection is open, or `timeout` passes. Returns whether idle.
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        let mut rx = self.shared.open.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|n| *n == 0)).await.is_ok_and(|r| r.is_ok())
    }

    /// Stops accepting and closes every open connection.
    pub async fn shutdown(self, timeout: Duration) {
        self.accept.abort();
        self.shared.cut.notify_waiters();
        self.wait_idle(timeout).await;
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((client, peer)) => {
                let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
                shared.open.send_modify(|n| *n += 1);
                let shared = shared.clone();
                tokio::spawn(async move {
                    proxy(client, peer, id, &shared).await;
                    shared.open.send_modify(|n| *n -= 1);
                });
            }
            Err(e) => {
                // Out of file descriptors and similar: back off instead of spinning.
                tracing::warn!("tap accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Which side ended the connection first.
#[derive(Debug, Default)]
struct Ending {
    first: Option<String>,
}

impl Ending {
    fn set(&mut self, who: impl Into<String>) {
        self.first.get_or_insert_with(|| who.into());
    }
}

async fn proxy(client: TcpStream, peer: SocketAddr, conn: u64, shared: &Shared) {
    let cfg = &shared.config;
    let (actor, carriers) = cfg.directory.lookup(peer);
    let server = match TcpStream::connect(cfg.upstream).await {
        Ok(s) => s,
        Err(e) => {
            let note = EventKind::Note { text: format!("tap: could not reach the server at {}: {e}", cfg.upstream) };
            let ev = NewEvent::new(&cfg.experiment, Actor::Tap, note);
            cfg.recorder.record(NewEvent { conn: Some(conn), ..ev });
            return;
        }
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let open = EventKind::TcpOpen { client_addr: peer.to_string(), server_addr: cfg.upstream.to_string() };
    let ev = NewEvent::new(&cfg.experiment, actor, open);
    cfg.recorder.record(NewEvent { conn: Some(conn), ..ev });

    let decoding =
        Mutex::new(Decoding { cfg, conn, carriers, decoder: ConnDecoder::new(actor), parents: Parents::default() });
    let ending = Arc::new(Mutex::new(Ending::default()));
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let up = pump(cr, sw, Side::Client, &decoding, &cfg.recorder, &ending);
    let down = pump(sr, cw, Side::Server, &decoding, &cfg.recorder, &ending);
    tokio::select! {
        _ = async { tokio::join!(up, down) } => {}
        _ = shared.cut.notified() => ending.lock().unwrap_or_else(|p| p.into_inner()).set("tap"),
    }
    let closed_by = ending.lock().unwrap_or_else(|p| p.into_inner()).first.take().unwrap_or_default();
    decoding.lock().unwrap_or_else(|p| p.into_inner()).finish(&closed_by);
}

/// One connection's decoder, and what it takes to put its events on the trace.
#[derive(Debug)]
struct Decoding<'a> {
    cfg: &'a TapConfig,
    conn: u64,
    /// Where events that carry messages to a lab client are queued for it.
    carriers: Option<CarrierQueue>,
    decoder: ConnDecoder,
    parents: Parents,
}

impl Decoding<'_> {
    /// Decodes bytes read from one side and records the events they complete.
    fn feed(&mut self, dir: Dir, bytes: &[u8], read_at_ns: u64) {
        let events = self.decoder.feed(dir, bytes, read_at_ns);
        record(self.cfg, self.conn, self.carriers.as_ref(), &mut self.parents, events);
        self.parents.keep_only(|id| self.decoder.may_be_parent(id));
    }

    fn finish(&mut self, closed_by: &str) {
        let events = self.decoder.finish(closed_by, self.cfg.recorder.now_ns());
        record(self.cfg, self.conn, self.carriers.as_ref(), &mut self.parents, events);
    }
}

/// Puts a connection's events on the trace, and queues those that carry messages for the
/// client they go to.
fn record(
    cfg: &TapConfig,
    conn: u64,
    carriers: Option<&CarrierQueue>,
    parents: &mut Parents,
    events: impl Iterator<Item = ConnEvent>,
) {
    for e in events {
        let carrier = CarrierKind::of(&e.kind, e.dir);
        let new = NewEvent {
            conn: Some(conn),
            dir: e.dir,
            bytes: e.bytes,
            parent: e.parent.and_then(|id| parents.seq_of(id)),
            ..NewEvent::new(&cfg.experiment, e.actor, e.kind).at(e.t_ns)
        };
        let seq = cfg.recorder.record(new);
        parents.remember(e.id, seq);
        if let (Some(kind), Some(queue)) = (carrier, carriers) {
            queue.push(kind, seq);
        }
    }
}

/// Trace sequence numbers of a connection's events by their decoder ids: those of the batch
/// being recorded, and those a later event may still name as its parent
/// ([`ConnDecoder::may_be_parent`]: requests awaiting an answer, an open stream, the last
/// ping and close each way). So it holds a few entries, not one per event.
#[derive(Debug, Default)]
struct Parents {
    /// `(id, seq)`, ids ascending.
    seqs: Vec<(u64, u64)>,
}

impl Parents {
    fn remember(&mut self, id: u64, seq: u64) {
        self.seqs.push((id, seq));
    }

    fn seq_of(&self, id: u64) -> Option<u64> {
        let i = self.seqs.binary_search_by_key(&id, |&(id, _)| id).ok()?;
        Some(self.seqs[i].1)
    }

    fn keep_only(&mut self, keep: impl Fn(u64) -> bool) {
        self.seqs.retain(|&(id, _)| keep(id));
    }
}

#[derive(Debug, Clone, Copy)]
enum Side {
    Client,
    Server,
}

/// Copies one direction, decoding each piece before forwarding it. At end of input the
/// write side is shut down so the peer sees the same half-close.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    side: Side,
    decoding: &Mutex<Decoding<'_>>,
    clock: &Recorder,
    ending: &Mutex<Ending>,
) {
    let (name, dir) = match side {
        Side::Client => ("client", Dir::ClientToServer),
        Side::Server => ("server", Dir::ServerToClient),
    };
    let mut buf = vec![0u8; BUF];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) => {
                ending.lock().unwrap_or_else(|p| p.into_inner()).set(name);
                let _ = to.shutdown().await;
                return;
            }
            Ok(n) => n,
            Err(e) => {
                ending.lock().unwrap_or_else(|p| p.into_inner()).set(format!("error: {name} side: {e}"));
                let _ = to.shutdown().await;
                return;
            }
        };
        let bytes = &buf[..n];
        let read_at_ns = clock.now_ns();
        decoding.lock().unwrap_or_else(|p| p.into_inner()).feed(dir, bytes, read_at_ns);
        if let Err(e) = to.write_all(bytes).await {
            ending.lock().unwrap_or_else(|p| p.into_inner()).set(format!(
                "error: writing to {}: {e}",
                match side {
                    Side::Client => "server",
                    Side::Server => "client",
                }
            ));
            return;
        }
    }
}
