//! One WebSocket node of the cluster (`GET /ws`): clients subscribe to channels and publish
//! into them; every node hears every publication through the broker and passes each one on
//! to its own subscribers. A subscription that asks to recover gets exactly what it missed
//! (see `stream`), merged with what arrived live while the history was read (see `merge`),
//! or `recovered: false` and nothing.
//!
//! `POST /login?user=U` creates a session in this node's memory; `/ws?token=T` accepts only a
//! session this node created (401 otherwise, saying so) — the state that breaks round-robin.
//!
//! `kill` ends the node abruptly: every connection is dropped without a close frame, as when
//! the process dies, and its clients must reconnect elsewhere.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::broker::{Delivery, MemoryBroker};
use crate::merge::merge;
use crate::position::{Arrival, Position};
use crate::protocol::{ClientMsg, INSUFFICIENT_STATE, NodeMsg, Wire};
use crate::stream::StreamPosition;

/// Per-connection buffers: small, because a node holds thousands of idle connections
/// (tungstenite's defaults are 128 KiB each way).
const READ_BUFFER: usize = 4 * 1024;
const MAX_MESSAGE: usize = 16 * 1024;

#[derive(Debug, Clone)]
struct NodeState {
    id: usize,
    broker: MemoryBroker,
    killed: watch::Receiver<bool>,
    /// Logged-in sessions (token → user), in this node's memory only: the state a load
    /// balancer must keep a user's connections next to.
    sessions: Arc<Mutex<HashMap<String, String>>>,
    next_token: Arc<AtomicU64>,
}

/// A running node.
#[derive(Debug)]
pub struct Node {
    pub id: usize,
    pub addr: SocketAddr,
    kill: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Node {
    /// Starts node `id` on an OS-chosen port of 127.0.0.1.
    pub async fn start(id: usize, broker: MemoryBroker) -> std::io::Result<Node> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (kill, killed) = watch::channel(false);
        let state = NodeState {
            id,
            broker,
            killed: killed.clone(),
            sessions: Arc::default(),
            next_token: Arc::new(AtomicU64::new(1)),
        };
        let app = Router::new().route("/ws", get(ws)).route("/login", post(login)).with_state(state);
        let mut until = killed;
        let task = tokio::spawn(async move {
            let _ =
                axum::serve(listener, app).with_graceful_shutdown(async move { until_true(&mut until).await }).await;
        });
        Ok(Node { id, addr, kill, task })
    }

    /// Ends the node at once: no new connections, every open one dropped without a close frame.
    pub fn kill(&self) {
        let _ = self.kill.send(true);
        self.task.abort();
    }
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    user: String,
}

/// `POST /login?user=U`: a session on this node, `{"token","user","node"}`.
async fn login(State(st): State<NodeState>, Query(q): Query<LoginQuery>) -> Response {
    let token = format!("n{}-{}", st.id + 1, st.next_token.fetch_add(1, Ordering::Relaxed));
    st.sessions.lock().unwrap_or_else(|p| p.into_inner()).insert(token.clone(), q.user.clone());
    axum::Json(serde_json::json!({ "token": token, "user": q.user, "node": st.id + 1 })).into_response()
}

#[derive(Debug, Deserialize)]
struct WsQuery {
    token: Option<String>,
}

async fn ws(State(st): State<NodeState>, Query(q): Query<WsQuery>, ws: WebSocketUpgrade) -> Response {
    if let Some(token) = q.token
        && !st.sessions.lock().unwrap_or_else(|p| p.into_inner()).contains_key(&token)
    {
        let why = format!(
            "session {token} is not known on node {}: it was created on another node, and a node keeps its sessions in its own memory",
            st.id + 1
        );
        return (StatusCode::UNAUTHORIZED, why).into_response();
    }
    ws.read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| serve(st, socket))
}

/// Why a connection ends.
enum End {
    /// Killed, or the client went away: drop the socket.
    Drop,
    Close(u16, String),
}

async fn serve(st: NodeState, mut socket: WebSocket) {
    let mut killed = st.killed.clone();
    let mut live = st.broker.subscribe();
    let mut subs: HashMap<String, Position> = HashMap::new();
    let end = loop {
        tokio::select! {
            _ = until_true(&mut killed) => break End::Drop,
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => match ClientMsg::parse(&text) {
                    Ok(ClientMsg::Subscribe { channel, recover }) => {
                        match subscribe(&st.broker, &channel, recover, &mut live) {
                            Ok((reply, position, others)) => {
                                subs.insert(channel, position);
                                if send(&mut socket, &reply).await.is_err() { break End::Drop }
                                // Other channels' publications taken out meanwhile, in order.
                                let mut ended = None;
                                for d in others {
                                    if let Err(e) = pass_on(&mut socket, &mut subs, &d).await {
                                        ended = Some(e);
                                        break;
                                    }
                                }
                                if let Some(e) = ended { break e }
                            }
                            Err(why) => break End::Close(INSUFFICIENT_STATE, why),
                        }
                    }
                    Ok(ClientMsg::Publish { channel, data }) => {
                        st.broker.publish(&channel, data);
                    }
                    Err(message) => {
                        if send(&mut socket, &NodeMsg::Error { message }).await.is_err() { break End::Drop }
                    }
                },
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break End::Drop,
                Some(Ok(_)) => {}
            },
            d = live.recv() => match d {
                Ok(d) => {
                    if let Err(e) = pass_on(&mut socket, &mut subs, &d).await { break e }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    break End::Close(INSUFFICIENT_STATE, format!("fell {n} publications behind; recover"));
                }
                Err(broadcast::error::RecvError::Closed) => break End::Drop,
            },
        }
    };
    if let End::Close(code, reason) = end {
        let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
    }
}

/// Sends `d` to this connection when it subscribed to its channel and it is the next one.
async fn pass_on(socket: &mut WebSocket, subs: &mut HashMap<String, Position>, d: &Delivery) -> Result<(), End> {
    let Some(position) = subs.get_mut(&d.channel) else { return Ok(()) };
    match position.arrive(&d.publication, &d.epoch) {
        Arrival::Deliver => send(socket, &pub_msg(d)).await.map_err(|_| End::Drop),
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

fn pub_msg(d: &Delivery) -> NodeMsg {
    NodeMsg::Pub {
        channel: d.channel.clone(),
        epoch: d.epoch.clone(),
        offset: d.publication.offset,
        data: d.publication.data.clone(),
    }
}

async fn send(socket: &mut WebSocket, m: &NodeMsg) -> Result<(), axum::Error> {
    socket.send(Message::Text(m.to_json().into())).await
}

/// Subscribes to `channel`. `live` is already receiving, so what is published while the
/// history is read is in its queue: it is taken out and merged with the replay. Other
/// channels' publications taken out with them are returned, to be passed on in order.
fn subscribe(
    broker: &MemoryBroker,
    channel: &str,
    recover: Option<StreamPosition>,
    live: &mut broadcast::Receiver<Arc<Delivery>>,
) -> Result<(NodeMsg, Position, Vec<Arc<Delivery>>), String> {
    let (from, recovery) = match &recover {
        Some(at) => (at.clone(), Some(broker.recover(channel, at))),
        None => (broker.position(channel), None),
    };
    let top = recovery.as_ref().map_or_else(|| from.clone(), |r| r.top.clone());
    // Publications that reached this node's queue meanwhile, of this channel and epoch.
    let mut buffered = Vec::new();
    let mut others = Vec::new();
    while let Ok(d) = live.try_recv() {
        if d.channel == channel && d.epoch == top.epoch {
            buffered.push(d.publication.clone());
        } else {
            others.push(d);
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
