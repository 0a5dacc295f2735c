//! A cluster client: one channel, a list of nodes, and the behaviour a well-written client
//! has when its node dies — reconnect to another node after a backoff, ask to recover from
//! its last position, and deliver each publication exactly once and in order (or be told
//! `recovered: false` and reload, visibly).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use rtclab_trace::Actor;
use rtclab_wire::carriers::{CarrierKind, CarrierQueue};
use rtclab_wire::tap::ClientDirectory;

use crate::traced::ClientTrace;

use crate::backoff::Backoff;
use crate::node::until_true;
use crate::position::{Arrival, Position};
use crate::protocol::{ClientMsg, NodeMsg};
use crate::stream::{Publication, StreamPosition};

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Where the nodes are (or the taps in front of them).
    pub nodes: Vec<SocketAddr>,
    /// With a tap in front of the nodes: where the client names itself before each
    /// connection and records its deliveries.
    pub trace: Option<ClientTrace>,
    /// The node it connects to first; after a failure it tries the next one. (Behind a load
    /// balancer `nodes` is the balancer alone, which chooses.)
    pub first_node: usize,
    /// The loopback address it connects from (127.0.0.1 when `None`): distinct addresses give
    /// an IP-hashing balancer something to tell clients apart by.
    pub source: Option<std::net::Ipv4Addr>,
    pub channel: String,
    pub backoff: Backoff,
    pub seed: u64,
    /// Read this slowly (one message per delay, behind a small receive buffer): a slow consumer.
    pub read_delay: Option<std::time::Duration>,
}

/// A slow client's receive buffer: small, so the node's writes wait soon.
const SLOW_RECV_BUFFER: u32 = 4 * 1024;

/// One publication handed to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub epoch: String,
    pub offset: u64,
    pub at: Instant,
    /// It came in a recovery's replay, not live.
    pub replayed: bool,
}

/// What a client saw.
#[derive(Debug, Clone, Default)]
pub struct ClientLog {
    /// Every publication delivered to the application, in order.
    pub delivered: Vec<Delivered>,
    /// When each connection attempt started (the first one included).
    pub attempts: Vec<Instant>,
    pub reconnects: u32,
    pub recovered: u32,
    pub not_recovered: u32,
    /// Why each recovery failed.
    pub reloads: Vec<String>,
    /// When each resubscription after a lost connection was answered, and whether it recovered.
    pub resubscribed: Vec<(Instant, bool)>,
    /// Publications that arrived a second time, or past a gap (a node's bug if ever non-zero).
    pub duplicates: u32,
    pub out_of_order: u32,
    /// Subscribed at least once.
    pub subscribed: bool,
    /// The offset the client is at (after a reload: the top it reloaded at).
    pub at: u64,
    /// The node (numbered from 1) each connection was taken by, as its welcome said.
    pub nodes: Vec<(Instant, usize)>,
    /// Offsets a node dropped for this client and told it of (`gap` notices).
    pub skipped: u64,
    /// The close code of every connection a node closed.
    pub closes: Vec<u16>,
    /// When each connection that a node welcomed ended (one per `nodes` entry, but the last
    /// while it is still open).
    pub ended: Vec<Instant>,
}

impl ClientLog {
    pub fn offsets(&self) -> Vec<u64> {
        self.delivered.iter().map(|d| d.offset).collect()
    }
}

/// Runs until `stop` turns true.
pub async fn run(cfg: ClientConfig, mut stop: watch::Receiver<bool>, log: Arc<Mutex<ClientLog>>) {
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut node = cfg.first_node % cfg.nodes.len().max(1);
    let mut attempt = 0u32;
    let mut position: Option<Position> = None;
    // A sticky balancer's cookie, kept and sent back like a browser does.
    let mut cookie: Option<String> = None;
    // The node (from 0) the current connection is on, once its welcome has said.
    let mut on_node = node;
    loop {
        if *stop.borrow() {
            return;
        }
        lock(&log).attempts.push(Instant::now());
        let directory = cfg.trace.as_ref().map(|t| (&t.directory, t.id));
        let small_buffer = cfg.read_delay.map(|_| SLOW_RECV_BUFFER);
        let mut welcomed = false;
        if let Ok((mut ws, carriers)) = connect(cfg.nodes[node], cfg.source, directory, &mut cookie, small_buffer).await
        {
            let sub = ClientMsg::Subscribe {
                channel: cfg.channel.clone(),
                recover: position.as_ref().map(|p| p.get().clone()),
            };
            if ws.send(Message::Text(sub.to_json().into())).await.is_ok() {
                loop {
                    tokio::select! {
                        _ = until_true(&mut stop) => {
                            let _ = ws.close(None).await;
                            return;
                        }
                        msg = ws.next() => match msg {
                            Some(Ok(Message::Text(text))) => {
                                // Stay in step with the tap's queue of message carriers.
                                let carrier = carriers.as_ref().and_then(|q| q.take(CarrierKind::WsMessage));
                                let Ok(m) = serde_json::from_str::<NodeMsg>(&text) else { continue };
                                if let NodeMsg::Welcome { node: n, .. } = &m {
                                    on_node = n.saturating_sub(1);
                                    welcomed = true;
                                    lock(&log).nodes.push((Instant::now(), *n));
                                }
                                let delivered = on_message(m, &mut position, &mut attempt, &log);
                                if let Some(t) = &cfg.trace {
                                    for offset in delivered {
                                        t.delivered(on_node, offset, carrier);
                                    }
                                }
                                if let Some(delay) = cfg.read_delay {
                                    tokio::time::sleep(delay).await;
                                }
                            }
                            Some(Ok(Message::Close(frame))) => {
                                if let Some(f) = frame {
                                    lock(&log).closes.push(f.code.into());
                                }
                                break;
                            }
                            None | Some(Err(_)) => break,
                            Some(Ok(_)) => {}
                        },
                    }
                }
            }
        }
        // Lost the node, or could not reach it: wait, then try the next one.
        {
            let mut l = lock(&log);
            if welcomed {
                l.ended.push(Instant::now());
            }
            l.reconnects += 1;
        }
        let wait = cfg.backoff.delay(attempt, &mut rng);
        attempt = attempt.saturating_add(1);
        node = (node + 1) % cfg.nodes.len();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = until_true(&mut stop) => return,
        }
    }
}

/// Opens a WebSocket to `addr` from `source`, first naming the connection in `directory` when
/// there is one; sends `cookie` and keeps any cookie the answer sets.
async fn connect(
    addr: SocketAddr,
    source: Option<std::net::Ipv4Addr>,
    directory: Option<(&ClientDirectory, u32)>,
    cookie: &mut Option<String>,
    recv_buffer: Option<u32>,
) -> Result<(WebSocketStream<TcpStream>, Option<CarrierQueue>), String> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let sock = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    if let Some(size) = recv_buffer {
        sock.set_recv_buffer_size(size).map_err(|e| e.to_string())?;
    }
    let from = source.map_or(addr.ip(), std::net::IpAddr::V4);
    sock.bind(SocketAddr::new(from, 0)).map_err(|e| e.to_string())?;
    let local = sock.local_addr().map_err(|e| e.to_string())?;
    let carriers = directory.map(|(d, id)| d.register(local, Actor::Client(id)));
    let stream = sock.connect(addr).await.map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let mut request = format!("ws://{addr}/ws").into_client_request().map_err(|e| e.to_string())?;
    if let Some(c) = cookie.as_deref().and_then(|c| c.parse().ok()) {
        request.headers_mut().insert("cookie", c);
    }
    // A slow reader also reads little at a time (tungstenite's default buffer takes 128 KiB).
    let config = recv_buffer.map(|size| {
        tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(size as usize)
    });
    let (ws, response) =
        tokio_tungstenite::client_async_with_config(request, stream, config).await.map_err(|e| e.to_string())?;
    if let Some(set) = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()) {
        *cookie = set.split(';').next().map(str::to_owned);
    }
    Ok((ws, carriers))
}

fn lock(log: &Mutex<ClientLog>) -> std::sync::MutexGuard<'_, ClientLog> {
    log.lock().unwrap_or_else(|p| p.into_inner())
}

/// Takes one message from the node; returns the offsets it delivered to the application.
fn on_message(m: NodeMsg, position: &mut Option<Position>, attempt: &mut u32, log: &Mutex<ClientLog>) -> Vec<u64> {
    let mut delivered = Vec::new();
    match m {
        NodeMsg::Subscribed { epoch, offset, was_recovering, recovered, why_not, publications, .. } => {
            *attempt = 0;
            {
                let mut l = lock(log);
                l.subscribed = true;
                if was_recovering {
                    l.resubscribed.push((Instant::now(), recovered));
                }
                if was_recovering && recovered {
                    l.recovered += 1;
                } else if was_recovering {
                    l.not_recovered += 1;
                    l.reloads.push(why_not.unwrap_or_default());
                }
            }
            // Not recovered: the application reloads its state and goes on from the top.
            let mut p = Position::new(StreamPosition { offset, epoch: epoch.clone() });
            lock(log).at = offset;
            for w in publications {
                if deliver(&mut p, &epoch, w.offset, true, log) {
                    delivered.push(w.offset);
                }
            }
            *position = Some(p);
        }
        NodeMsg::Pub { epoch, offset, .. } => {
            if let Some(p) = position.as_mut()
                && deliver(p, &epoch, offset, false, log)
            {
                delivered.push(offset);
            }
        }
        NodeMsg::Gap { epoch, from, to, .. } => {
            let mut l = lock(log);
            if position.as_mut().is_some_and(|p| p.skip(from, to, &epoch)) {
                l.skipped += to - from + 1;
                l.at = to;
            } else {
                l.out_of_order += 1;
            }
        }
        NodeMsg::Error { .. } | NodeMsg::Welcome { .. } | NodeMsg::Routed { .. } | NodeMsg::Direct { .. } => {}
    }
    delivered
}

/// Hands `offset` to the application if it is the next one; returns whether it did.
fn deliver(p: &mut Position, epoch: &str, offset: u64, replayed: bool, log: &Mutex<ClientLog>) -> bool {
    let publication = Publication { offset, data: String::new(), at: std::time::Duration::ZERO };
    let mut l = lock(log);
    match p.arrive(&publication, epoch) {
        Arrival::Deliver => {
            l.delivered.push(Delivered { epoch: epoch.to_owned(), offset, at: Instant::now(), replayed });
            l.at = offset;
            true
        }
        Arrival::Duplicate => {
            l.duplicates += 1;
            false
        }
        Arrival::Gap { .. } | Arrival::EpochChanged { .. } => {
            l.out_of_order += 1;
            false
        }
    }
}
