//! One WebSocket node of the cluster (`GET /ws`): clients subscribe to channels and publish
//! into them; every node hears every publication through the broker and passes each one on
//! to its own subscribers. A subscription that asks to recover gets exactly what it missed
//! (see `stream`), merged with what arrived live while the history was read (see `merge`),
//! or `recovered: false` and nothing.
//!
//! `POST /login?user=U` creates a session in this node's memory (or in the registry, when the
//! node has one); `/ws?token=T` accepts only a session it can find (401 otherwise, saying so)
//! — the state that breaks round-robin. `{"type":"direct","to":U}` sends a message to user U
//! wherever they are connected: to the node the registry names, or without one to every node.
//!
//! A connection that reads too slowly meets the node's slow-consumer policy (see `slow`):
//! closed with 1008 to recover, or told with a `gap` notice which publications were dropped.
//!
//! `kill` ends the node abruptly: every connection is dropped without a close frame, as when
//! the process dies, and its clients must reconnect elsewhere. `drain` is the scale-down a
//! deploy does: the node stops taking connections and closes each open one with 1001 (going
//! away), tidying its registry entries, so its clients reconnect elsewhere and recover.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::broker::{Broker, Delivery, Direct, Fanout};
use crate::merge::merge;
use crate::position::{Arrival, Position};
use crate::protocol::{ClientMsg, INSUFFICIENT_STATE, NodeMsg, Route, Wire};
use crate::registry::{HEARTBEAT_TTL, Lookup, Registry};
use crate::slow::{POLICY_VIOLATION, SlowConsumer, SlowPolicy};
use crate::stream::StreamPosition;

/// Per-connection buffers: small, because a node holds thousands of idle connections
/// (tungstenite's defaults are 128 KiB each way).
const READ_BUFFER: usize = 4 * 1024;
const MAX_MESSAGE: usize = 16 * 1024;
const SEND_BUFFER: usize = 32 * 1024;
/// Close code for "the node cannot serve you right now; come back (elsewhere)" (RFC 6455's
/// 1013 Try Again Later).
pub const TRY_AGAIN_LATER: u16 = 1013;
/// Close code of a node leaving the cluster on purpose (RFC 6455's 1001 Going Away).
pub const GOING_AWAY: u16 = 1001;

/// What a node is started with.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Numbered from 0 (shown from 1).
    pub id: usize,
    pub broker: Arc<dyn Broker>,
    /// With a registry, sessions live there (any node accepts any user) and direct messages
    /// go to the one node holding their receiver; without, sessions are this node's own and
    /// direct messages go to every node.
    pub registry: Option<Arc<dyn Registry>>,
    /// tungstenite's default per-connection buffers instead of the node's small ones (the
    /// baseline of the memory-per-connection benchmark).
    pub default_buffers: bool,
    /// Put the broker hop of each direct message (with an id) on the lab's trace.
    pub trace: Option<crate::traced::DirectTrace>,
    /// How many publications may wait for one connection, and what happens past that.
    pub slow: SlowConsumer,
}

#[derive(Debug, Clone)]
struct NodeState {
    config: NodeConfig,
    killed: watch::Receiver<bool>,
    draining: watch::Receiver<bool>,
    /// Logged-in sessions (token → user) when there is no registry: in this node's memory
    /// only, the state a load balancer must keep a user's connections next to.
    sessions: Arc<Mutex<HashMap<String, String>>>,
    next_token: Arc<AtomicU64>,
}

impl NodeState {
    fn id(&self) -> usize {
        self.config.id
    }
}

/// A running node.
#[derive(Debug)]
pub struct Node {
    pub id: usize,
    pub addr: SocketAddr,
    kill: watch::Sender<bool>,
    drain: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Node {
    /// Starts a node on an OS-chosen port of 127.0.0.1.
    pub async fn start(config: NodeConfig) -> std::io::Result<Node> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (kill, killed) = watch::channel(false);
        let (drain, draining) = watch::channel(false);
        let id = config.id;
        if let Some(registry) = config.registry.clone() {
            tokio::spawn(heartbeat(registry, id, killed.clone()));
        }
        let state = NodeState {
            config,
            killed: killed.clone(),
            draining: draining.clone(),
            sessions: Arc::default(),
            next_token: Arc::new(AtomicU64::new(1)),
        };
        let app = Router::new().route("/ws", get(ws)).route("/login", post(login)).with_state(state);
        // Without TCP_NODELAY a message written while the previous one is unacknowledged waits
        // for the client's delayed ACK (about 40 ms on Linux): a latency no cluster causes.
        // A bounded kernel send buffer: a client that stops reading fills it soon, and then the
        // node's own queue for it (where the slow-consumer policy is) grows, instead of
        // megabytes hiding in the kernel.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
            let _ = socket2::SockRef::from(&*tcp).set_send_buffer_size(SEND_BUFFER);
        });
        let (mut until_killed, mut until_drained) = (killed, draining);
        let stopped = async move {
            tokio::select! {
                _ = until_true(&mut until_killed) => {}
                _ = until_true(&mut until_drained) => {}
            }
        };
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).with_graceful_shutdown(stopped).await;
        });
        Ok(Node { id, addr, kill, drain, task })
    }

    /// Takes the node out of service politely: it accepts no new connections and closes each
    /// open one with 1001 (going away), unregistering its users, so its clients move on.
    pub fn drain(&self) {
        let _ = self.drain.send(true);
    }

    /// Ends the node at once: no new connections, every open one dropped without a close
    /// frame, no more heartbeats.
    pub fn kill(&self) {
        let _ = self.kill.send(true);
        self.task.abort();
    }
}

/// Tells the registry this node is alive, three times per `HEARTBEAT_TTL`, until killed.
async fn heartbeat(registry: Arc<dyn Registry>, node: usize, mut killed: watch::Receiver<bool>) {
    loop {
        let _ = registry.heartbeat(node).await;
        tokio::select! {
            _ = tokio::time::sleep(HEARTBEAT_TTL / 3) => {}
            _ = until_true(&mut killed) => return,
        }
    }
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    user: String,
}

/// `POST /login?user=U`: a session, `{"token","user","node"}` (in the registry when there
/// is one, else in this node's memory).
async fn login(State(st): State<NodeState>, Query(q): Query<LoginQuery>) -> Response {
    let token = format!("n{}-{}", st.id() + 1, st.next_token.fetch_add(1, Ordering::Relaxed));
    match &st.config.registry {
        Some(r) => {
            if let Err(e) = r.save_session(&token, &q.user).await {
                return (StatusCode::SERVICE_UNAVAILABLE, format!("the registry could not keep the session: {e}"))
                    .into_response();
            }
        }
        None => {
            st.sessions.lock().unwrap_or_else(|p| p.into_inner()).insert(token.clone(), q.user.clone());
        }
    }
    axum::Json(serde_json::json!({ "token": token, "user": q.user, "node": st.id() + 1 })).into_response()
}

#[derive(Debug, Deserialize)]
struct WsQuery {
    token: Option<String>,
    /// Who connects, for direct messages, when there is no session token.
    user: Option<String>,
}

/// The user a session token belongs to, or why it is refused.
async fn session_user(st: &NodeState, token: &str) -> Result<String, (StatusCode, String)> {
    let found = match &st.config.registry {
        Some(r) => r.session(token).await.map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?,
        None => st.sessions.lock().unwrap_or_else(|p| p.into_inner()).get(token).cloned(),
    };
    found.ok_or_else(|| {
        let why = match &st.config.registry {
            Some(_) => format!("session {token} is not in the registry"),
            None => format!(
                "session {token} is not known on node {}: it was created on another node, and a node keeps its sessions in its own memory",
                st.id() + 1
            ),
        };
        (StatusCode::UNAUTHORIZED, why)
    })
}

async fn ws(State(st): State<NodeState>, Query(q): Query<WsQuery>, ws: WebSocketUpgrade) -> Response {
    if !st.config.broker.linked() {
        let why = format!(
            "node {} has lost its link to the broker ({}): it takes no connections until the link is back",
            st.id() + 1,
            st.config.broker.describe()
        );
        return (StatusCode::SERVICE_UNAVAILABLE, why).into_response();
    }
    let user = match &q.token {
        Some(token) => match session_user(&st, token).await {
            Ok(user) => Some(user),
            Err(refused) => return refused.into_response(),
        },
        None => q.user.filter(|u| !u.is_empty()),
    };
    let ws = if st.config.default_buffers {
        ws
    } else {
        ws.read_buffer_size(READ_BUFFER).write_buffer_size(0).max_message_size(MAX_MESSAGE).max_frame_size(MAX_MESSAGE)
    };
    ws.on_upgrade(move |socket| serve(st, socket, user))
}

/// Why a connection ends.
enum End {
    /// The node was killed: the socket is dropped and nothing is tidied up.
    Killed,
    /// The client went away: drop the socket.
    Drop,
    Close(u16, String),
}

async fn serve(st: NodeState, mut socket: WebSocket, user: Option<String>) {
    let broker = st.config.broker.clone();
    let mut killed = st.killed.clone();
    let mut draining = st.draining.clone();
    let mut live = broker.subscribe();
    if let (Some(r), Some(u)) = (&st.config.registry, &user) {
        let _ = r.register(u, st.id()).await;
    }
    let welcome = NodeMsg::Welcome { node: st.id() + 1, user: user.clone() };
    let mut subs: HashMap<String, Position> = HashMap::new();
    let end = if send(&mut socket, &welcome).await.is_err() {
        End::Drop
    } else {
        loop {
            tokio::select! {
                _ = until_true(&mut killed) => break End::Killed,
                _ = until_true(&mut draining) => break End::Close(
                    GOING_AWAY,
                    format!("node {} is leaving the cluster (scaled down); reconnect and recover", st.id() + 1),
                ),
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Text(text))) => {
                        if let Err(e) = on_client_msg(&st, &mut socket, &mut subs, &mut live, user.as_deref(), &text).await {
                            break e;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break End::Drop,
                    Some(Ok(_)) => {}
                },
                f = live.recv() => match f {
                    Ok(f) => {
                        let slow = st.config.slow;
                        // `f` is out of the queue; what still waits behind it:
                        let waiting = live.len() + 1;
                        let passed = match slow.policy {
                            _ if slow.to_drop(waiting) == 0 => pass_on(&mut socket, &mut subs, &f, st.id(), user.as_deref()).await,
                            SlowPolicy::Disconnect => Err(End::Close(
                                POLICY_VIOLATION,
                                format!("slow consumer: {waiting} publications waiting (limit {}); reconnect and recover", slow.limit),
                            )),
                            SlowPolicy::DropOldest => {
                                drop_oldest(&mut socket, &mut subs, &mut live, f, slow.to_drop(waiting), st.id(), user.as_deref()).await
                            }
                        };
                        if let Err(e) = passed { break e }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        break End::Close(INSUFFICIENT_STATE, format!("fell {n} publications behind; recover"));
                    }
                    Err(broadcast::error::RecvError::Closed) => break End::Drop,
                },
            }
        }
    };
    match end {
        // A node that dies cannot tidy up: its registry entries go stale with its heartbeat.
        End::Killed => return,
        End::Close(code, reason) => {
            let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
        }
        End::Drop => {}
    }
    if let (Some(r), Some(u)) = (&st.config.registry, &user) {
        let _ = r.unregister(u, st.id()).await;
    }
}

/// Answers one text message of a client.
async fn on_client_msg(
    st: &NodeState,
    socket: &mut WebSocket,
    subs: &mut HashMap<String, Position>,
    live: &mut broadcast::Receiver<Arc<Fanout>>,
    user: Option<&str>,
    text: &str,
) -> Result<(), End> {
    let broker = &st.config.broker;
    let reply = match ClientMsg::parse(text) {
        Ok(ClientMsg::Subscribe { channel, recover }) => {
            let (reply, position, others) = subscribe(broker.as_ref(), &channel, recover, live)
                .await
                .map_err(|why| End::Close(INSUFFICIENT_STATE, why))?;
            subs.insert(channel, position);
            send(socket, &reply).await.map_err(|_| End::Drop)?;
            // Other publications taken out meanwhile, in order.
            for f in others {
                pass_on(socket, subs, &f, st.id(), user).await?;
            }
            return Ok(());
        }
        Ok(ClientMsg::Publish { channel, data }) => match broker.publish(&channel, data).await {
            Ok(_) => return Ok(()),
            Err(e) => NodeMsg::Error { message: format!("not published: {e}") },
        },
        Ok(ClientMsg::Direct { to, data, id }) => match user {
            None => NodeMsg::Error {
                message: "a direct message needs a sender: connect with ?user=NAME or a session token".into(),
            },
            Some(from) => route_direct(st, from, to, data, id).await,
        },
        Err(message) => NodeMsg::Error { message },
    };
    send(socket, &reply).await.map_err(|_| End::Drop)
}

/// Sends a direct message towards its receiver's node; the answer tells the sender where it went.
async fn route_direct(st: &NodeState, from: &str, to: String, data: String, id: Option<u64>) -> NodeMsg {
    let to_node = match &st.config.registry {
        None => None,
        Some(r) => match r.lookup(&to).await {
            Ok(Lookup::Live(n)) => Some(n),
            Ok(Lookup::Stale(n)) => {
                return NodeMsg::Error {
                    message: format!("not sent: the registry has {to} on node {}, which stopped heartbeating", n + 1),
                };
            }
            Ok(Lookup::Unknown) => {
                return NodeMsg::Error { message: format!("not sent: {to} is not connected (not in the registry)") };
            }
            Err(e) => return NodeMsg::Error { message: format!("not sent: {e}") },
        },
    };
    let message = Direct { from: from.to_owned(), to: to.clone(), to_node, from_node: st.id(), data, id };
    if let (Some(t), Some(id)) = (&st.config.trace, id) {
        t.routed(id, &message);
    }
    match st.config.broker.send_direct(message).await {
        Ok(()) => NodeMsg::Routed {
            to,
            node: to_node.map(|n| n + 1),
            via: if to_node.is_some() { Route::Registry } else { Route::EveryNode },
        },
        Err(e) => NodeMsg::Error { message: format!("not sent: {e}") },
    }
}

/// Passes what the broker fanned out to this connection: a publication of a channel it
/// subscribed to (when it is the next one), a direct message for its user.
async fn pass_on(
    socket: &mut WebSocket,
    subs: &mut HashMap<String, Position>,
    f: &Fanout,
    node: usize,
    user: Option<&str>,
) -> Result<(), End> {
    match f {
        Fanout::Pub(d, wire) => pass_on_pub(socket, subs, d, wire).await,
        Fanout::Direct(m) => {
            let for_me = user == Some(m.to.as_str()) && m.to_node.is_none_or(|n| n == node);
            if !for_me {
                return Ok(());
            }
            let via = if m.to_node.is_some() { Route::Registry } else { Route::EveryNode };
            let msg = NodeMsg::Direct {
                from: m.from.clone(),
                data: m.data.clone(),
                id: m.id,
                from_node: m.from_node + 1,
                to_node: node + 1,
                via,
            };
            send(socket, &msg).await.map_err(|_| End::Drop)
        }
        Fanout::Lost(why) => Err(End::Close(TRY_AGAIN_LATER, format!("node {} {why}; recover elsewhere", node + 1))),
    }
}

/// Drops the `n` oldest publications waiting for this connection (`first` and the next ones)
/// and tells the client which offsets of each channel it will never get. Direct messages and a
/// lost broker link among them are not dropped.
async fn drop_oldest(
    socket: &mut WebSocket,
    subs: &mut HashMap<String, Position>,
    live: &mut broadcast::Receiver<Arc<Fanout>>,
    first: Arc<Fanout>,
    n: usize,
    node: usize,
    user: Option<&str>,
) -> Result<(), End> {
    // Per channel: the first and last offset dropped.
    let mut dropped: HashMap<String, (u64, u64)> = HashMap::new();
    let mut next = Some(first);
    for left in (0..n).rev() {
        let Some(f) = next.take() else { break };
        match &*f {
            // A channel this connection did not subscribe to: not for it anyway.
            Fanout::Pub(d, _) if !subs.contains_key(&d.channel) => {}
            Fanout::Pub(d, _) => {
                let position = subs.get_mut(&d.channel).expect("checked above");
                match position.arrive(&d.publication, &d.epoch) {
                    Arrival::Deliver => {
                        let o = d.publication.offset;
                        dropped.entry(d.channel.clone()).and_modify(|r| r.1 = o).or_insert((o, o));
                    }
                    Arrival::Duplicate => {}
                    Arrival::Gap { expected, got } => {
                        return Err(End::Close(INSUFFICIENT_STATE, format!("missed {expected}..{got}; recover")));
                    }
                    Arrival::EpochChanged { .. } => {
                        return Err(End::Close(INSUFFICIENT_STATE, "the stream was recreated; recover".into()));
                    }
                }
            }
            Fanout::Direct(_) | Fanout::Lost(_) => pass_on(socket, subs, &f, node, user).await?,
        }
        // Take the next one out only when it is to be dropped too.
        if left > 0 {
            next = live.try_recv().ok();
        }
    }
    for (channel, (from, to)) in dropped {
        let epoch = subs.get(&channel).map(|p| p.get().epoch.clone()).unwrap_or_default();
        send(socket, &NodeMsg::Gap { channel, epoch, from, to }).await.map_err(|_| End::Drop)?;
    }
    Ok(())
}

/// Sends `d` to this connection when it subscribed to its channel and it is the next one.
async fn pass_on_pub(
    socket: &mut WebSocket,
    subs: &mut HashMap<String, Position>,
    d: &Delivery,
    wire: &Utf8Bytes,
) -> Result<(), End> {
    let Some(position) = subs.get_mut(&d.channel) else { return Ok(()) };
    match position.arrive(&d.publication, &d.epoch) {
        Arrival::Deliver => socket.send(Message::Text(wire.clone())).await.map_err(|_| End::Drop),
        Arrival::Duplicate => Ok(()),
        Arrival::Gap { expected, got } => {
            Err(End::Close(INSUFFICIENT_STATE, format!("missed {expected}..{got}; recover")))
        }
        Arrival::EpochChanged { .. } => Err(End::Close(INSUFFICIENT_STATE, "the stream was recreated; recover".into())),
    }
}

/// Resolves when `flag` turns true (never, once it cannot change).
pub(crate) async fn until_true(flag: &mut watch::Receiver<bool>) {
    if flag.wait_for(|v| *v).await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn send(socket: &mut WebSocket, m: &NodeMsg) -> Result<(), axum::Error> {
    socket.send(Message::Text(m.to_json().into())).await
}

/// Subscribes to `channel`. `live` is already receiving, so what is published while the
/// history is read is in its queue: it is taken out and merged with the replay. Other
/// channels' publications taken out with them are returned, to be passed on in order.
async fn subscribe(
    broker: &dyn Broker,
    channel: &str,
    recover: Option<StreamPosition>,
    live: &mut broadcast::Receiver<Arc<Fanout>>,
) -> Result<(NodeMsg, Position, Vec<Arc<Fanout>>), String> {
    let unavailable = |e: crate::broker::BrokerError| format!("the broker could not answer ({e}); recover");
    let (from, recovery) = match &recover {
        Some(at) => (at.clone(), Some(broker.recover(channel, at).await.map_err(unavailable)?)),
        None => (broker.position(channel).await.map_err(unavailable)?, None),
    };
    let top = recovery.as_ref().map_or_else(|| from.clone(), |r| r.top.clone());
    // Publications that reached this node's queue meanwhile, of this channel and epoch.
    let mut buffered = Vec::new();
    let mut others = Vec::new();
    while let Ok(f) = live.try_recv() {
        match &*f {
            Fanout::Pub(d, _) if d.channel == channel && d.epoch == top.epoch => buffered.push(d.publication.clone()),
            _ => others.push(f),
        }
    }
    let (recovered, why_not, publications, start) = match recovery.map(|r| r.result) {
        Some(Ok(replayed)) => {
            let merged = merge(from.offset, replayed, buffered).map_err(|g| g.to_string())?;
            (true, None, merged, from.offset)
        }
        // Not recovered (or not asked to): nothing from history; the client starts at the top.
        other => {
            let live_after: Vec<_> = buffered.into_iter().filter(|p| p.offset > top.offset).collect();
            (false, other.and_then(|r| r.err()).map(|why| why.to_string()), live_after, top.offset)
        }
    };
    let mut position = Position::new(StreamPosition { offset: start, epoch: top.epoch.clone() });
    let mut wire = Vec::new();
    for p in &publications {
        match position.arrive(p, &top.epoch) {
            Arrival::Deliver => wire.push(Wire { offset: p.offset, data: p.data.clone() }),
            Arrival::Duplicate => {}
            Arrival::Gap { expected, got } => {
                return Err(format!("missed {expected}..{got} while subscribing; recover"));
            }
            Arrival::EpochChanged { .. } => return Err("the stream was recreated while subscribing; recover".into()),
        }
    }
    let reply = NodeMsg::Subscribed {
        channel: channel.to_owned(),
        epoch: top.epoch.clone(),
        offset: start,
        was_recovering: recover.is_some(),
        recovered,
        why_not,
        publications: wire,
    };
    Ok((reply, position, others))
}
