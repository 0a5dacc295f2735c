//! Why a load balancer's mode matters for state: each user logs in over HTTP (the session
//! lives in the memory of the node that answered, or in the shared registry), then opens a
//! WebSocket with that session. Both requests go through the load balancer; without a
//! registry the WebSocket is accepted only if it lands on the node that logged the user in.
//! Then every accepted user sends a direct message to the next one, usually on another node:
//! through the registry to exactly the receiver's node, or without it to every node. Each user
//! connects from its own 127.0.0.x address, so `ip-hash` has addresses to tell apart.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use ts_rs::TS;

use crate::backend::BackendSpec;
use crate::balancer::{Balancer, COOKIE, LbMode};
use crate::node::Node;
use crate::protocol::{ClientMsg, NodeMsg, Route};
use crate::registry::RegistryEntry;
use crate::stream::HistoryLimits;
use crate::traced::{DirectTrace, node_experiment};
use rtclab_trace::{Actor, Recorder};
use rtclab_wire::carriers::{CarrierKind, CarrierQueue};
use rtclab_wire::tap::{ClientDirectory, Tap, TapConfig};

/// Most users a check runs (each its own source address, 127.0.0.2 and up).
pub const MAX_USERS: usize = 200;
/// How long a direct message may take to arrive before the check calls it lost.
const DIRECT_WAIT: Duration = Duration::from_secs(2);

/// A check as the app asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SessionCheckRequest {
    pub mode: LbMode,
    pub nodes: usize,
    pub users: usize,
    /// Where sessions, the registry and the broker live: a Redis URL, `local` (a redis-server
    /// started for the check) or `None` (in-process).
    #[serde(default)]
    pub redis: Option<String>,
}

/// One direct message of the check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DirectTrip {
    pub to: String,
    /// The node the receiver is connected to (numbered from 1).
    pub to_node: usize,
    /// How the sender's node routed it, when it did.
    pub via: Option<Route>,
    pub delivered: bool,
    /// Milliseconds from sending to the receiver holding it.
    pub ms: Option<f64>,
    /// What the sender's node answered, or why it never arrived.
    pub answer: String,
}

/// One user's way through the balancer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct UserTrip {
    pub user: String,
    pub source: String,
    /// The node that created the session.
    pub login_node: usize,
    /// Whether the WebSocket with that session was accepted, and by which node or why not.
    pub accepted: bool,
    /// The node that accepted the WebSocket.
    pub ws_node: Option<usize>,
    pub answer: String,
    /// The direct message this user sent to the next accepted user.
    pub direct: Option<DirectTrip>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SessionCheck {
    pub mode: LbMode,
    pub nodes: usize,
    pub users: usize,
    pub accepted: usize,
    pub rejected: usize,
    /// Direct messages sent, and delivered to their receiver.
    pub direct_sent: usize,
    pub direct_delivered: usize,
    /// Direct messages whose receiver was on another node than the sender.
    pub direct_cross_node: usize,
    /// The connection registry while everyone was connected (empty without one).
    pub registry: Vec<RegistryEntry>,
    /// Where the shared state lived ("the in-process broker", "Redis at …").
    pub backend: String,
    pub trips: Vec<UserTrip>,
}

/// Checks a check's settings; the error names the flag and its range.
pub fn validate(nodes: usize, users: usize) -> Result<(), String> {
    if !(1..=MAX_USERS).contains(&users) {
        return Err(format!("--clients must be 1 to {MAX_USERS} for a load-balancer check, got {users}"));
    }
    if !(1..=crate::experiment::MAX_NODES).contains(&nodes) {
        return Err(format!("--nodes must be 1 to {}, got {nodes}", crate::experiment::MAX_NODES));
    }
    Ok(())
}

type Ws = WebSocketStream<TcpStream>;

/// A user's open WebSocket, and (on a traced check) the queue of frames that carried its messages.
struct UserConn {
    ws: Ws,
    carriers: Option<CarrierQueue>,
}

/// What a traced check records with: the taps name each user's connections in `directory`.
struct Tracing {
    directory: ClientDirectory,
    direct: DirectTrace,
}

/// Runs the check for `mode` with `users` users over `nodes` nodes, the shared state in `backend`.
pub async fn check(mode: LbMode, nodes: usize, users: usize, backend: &BackendSpec) -> Result<SessionCheck, String> {
    check_traced(mode, nodes, users, backend, None).await
}

/// The check; with a recorder, a tap in front of every node puts every request and frame on
/// the trace (experiments `node N`), and each direct message's way — the sender's publish,
/// the broker hop, the frame that brought it, the delivery — as linked events.
pub async fn check_traced(
    mode: LbMode,
    nodes: usize,
    users: usize,
    backend: &BackendSpec,
    recorder: Option<&Recorder>,
) -> Result<SessionCheck, String> {
    validate(nodes, users)?;
    let backend = backend.start(HistoryLimits::default(), 1).await?;
    let tracing =
        recorder.map(|r| Tracing { directory: ClientDirectory::default(), direct: DirectTrace::new(r.clone()) });
    let mut started = Vec::new();
    for id in 0..nodes {
        let mut config = backend.node_config(id, mode.uses_registry()).await?;
        config.trace = tracing.as_ref().map(|t| t.direct.clone());
        started.push(Node::start(config).await.map_err(|e| format!("starting node {}: {e}", id + 1))?);
    }
    let mut taps = Vec::new();
    if let (Some(recorder), Some(t)) = (recorder, &tracing) {
        for n in &started {
            let config = TapConfig {
                experiment: Arc::from(node_experiment(n.id)),
                upstream: n.addr,
                recorder: recorder.clone(),
                directory: t.directory.clone(),
            };
            taps.push(Tap::start(config).await.map_err(|e| format!("starting the tap of node {}: {e}", n.id + 1))?);
        }
    }
    let behind: Vec<Option<SocketAddr>> = if taps.is_empty() {
        started.iter().map(|n| Some(n.addr)).collect()
    } else {
        taps.iter().map(|t| Some(t.addr())).collect()
    };
    let lb = Balancer::start_named(mode, Arc::new(RwLock::new(behind)), tracing.as_ref().map(|t| t.directory.clone()))
        .await
        .map_err(|e| format!("starting the load balancer: {e}"))?;
    let mut trips = Vec::new();
    let mut conns: Vec<Option<UserConn>> = Vec::new();
    for u in 0..users {
        let user = format!("user{}", u + 1);
        let source = Ipv4Addr::new(127, 0, 0, 2 + u as u8);
        let (trip, conn) = trip(lb.addr, &user, source, u as u32, tracing.as_ref()).await?;
        trips.push(trip);
        conns.push(conn);
    }
    let registry =
        if mode.uses_registry() { backend.registry().entries().await.map_err(|e| e.to_string())? } else { Vec::new() };
    send_directs(&mut trips, &mut conns, tracing.as_ref().map(|t| &t.direct)).await;
    for n in &started {
        n.kill();
    }
    for t in taps {
        t.shutdown(Duration::from_secs(2)).await;
    }
    backend.finish().await;
    let accepted = trips.iter().filter(|t| t.accepted).count();
    let directs: Vec<&DirectTrip> = trips.iter().filter_map(|t| t.direct.as_ref()).collect();
    let direct_cross_node =
        trips.iter().filter(|t| t.direct.as_ref().is_some_and(|d| Some(d.to_node) != t.ws_node)).count();
    Ok(SessionCheck {
        mode,
        nodes,
        users,
        accepted,
        rejected: users - accepted,
        direct_sent: directs.len(),
        direct_delivered: directs.iter().filter(|d| d.delivered).count(),
        direct_cross_node,
        registry,
        backend: backend.describe(),
        trips,
    })
}

/// Every accepted user sends one direct message to the next accepted user, one at a time.
async fn send_directs(trips: &mut [UserTrip], conns: &mut [Option<UserConn>], trace: Option<&DirectTrace>) {
    let accepted: Vec<usize> = (0..trips.len()).filter(|&i| conns[i].is_some()).collect();
    if accepted.len() < 2 {
        return;
    }
    for (k, &from) in accepted.iter().enumerate() {
        let to = accepted[(k + 1) % accepted.len()];
        let id = k as u64 + 1;
        let to_user = trips[to].user.clone();
        let to_node = trips[to].ws_node.unwrap_or(0);
        let data = format!("hello from {}", trips[from].user);
        if let (Some(t), Some(n)) = (trace, trips[from].ws_node) {
            t.sent(n - 1, from as u32, id, data.len());
        }
        let sent = Instant::now();
        let answer = {
            let conn = conns[from].as_mut().expect("accepted users keep their socket");
            let m = ClientMsg::Direct { to: to_user.clone(), data: data.clone(), id: Some(id) };
            match conn.ws.send(Message::Text(m.to_json().into())).await {
                Ok(()) => next_reply(conn).await.map(|(m, _)| m),
                Err(e) => Err(format!("could not send: {e}")),
            }
        };
        let (via, answer) = match answer {
            Ok(NodeMsg::Routed { via, node, .. }) => {
                let to = node.map_or("every node".to_owned(), |n| format!("node {n}"));
                (Some(via), format!("routed to {to}"))
            }
            Ok(NodeMsg::Error { message }) => (None, message),
            Ok(other) => (None, format!("unexpected answer {}", other.to_json())),
            Err(e) => (None, e),
        };
        let arrived = match via {
            Some(_) => {
                let conn = conns[to].as_mut().expect("accepted users keep their socket");
                tokio::time::timeout(DIRECT_WAIT, async {
                    loop {
                        match next_reply(conn).await {
                            Ok((NodeMsg::Direct { id: Some(got), .. }, carrier)) if got == id => {
                                if let Some(t) = trace {
                                    t.delivered(to_node - 1, to as u32, id, carrier);
                                }
                                return true;
                            }
                            Ok(_) => continue,
                            Err(_) => return false,
                        }
                    }
                })
                .await
                .unwrap_or(false)
            }
            None => false,
        };
        let answer = if via.is_some() && !arrived {
            format!("{answer}, but {to_user} did not receive it within {} s", DIRECT_WAIT.as_secs())
        } else {
            answer
        };
        trips[from].direct = Some(DirectTrip {
            to: to_user,
            to_node,
            via,
            delivered: arrived,
            ms: arrived.then(|| sent.elapsed().as_secs_f64() * 1000.0),
            answer,
        });
    }
    for conn in conns.iter_mut().flatten() {
        let _ = conn.ws.close(None).await;
    }
}

/// The next message a node sent, and the frame that carried it (on a traced check).
async fn next_reply(conn: &mut UserConn) -> Result<(NodeMsg, Option<u64>), String> {
    loop {
        match conn.ws.next().await {
            Some(Ok(Message::Text(t))) => {
                // Stay in step with the tap's queue: one carrier per text message.
                let carrier = conn.carriers.as_ref().and_then(|q| q.take(CarrierKind::WsMessage));
                let m = serde_json::from_str(&t).map_err(|e| format!("a node sent something that is not JSON: {e}"))?;
                return Ok((m, carrier));
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("the connection closed".into()),
        }
    }
}

/// Connects from `source`; on a traced check, names the connection client `client` first.
async fn connect_from(
    source: Ipv4Addr,
    to: SocketAddr,
    client: u32,
    tracing: Option<&Tracing>,
) -> Result<(TcpStream, Option<CarrierQueue>), String> {
    let sock = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    sock.bind(SocketAddr::new(IpAddr::V4(source), 0)).map_err(|e| format!("binding {source}: {e}"))?;
    let local = sock.local_addr().map_err(|e| e.to_string())?;
    let carriers = tracing.map(|t| t.directory.register(local, Actor::Client(client)));
    let s = sock.connect(to).await.map_err(|e| format!("connecting to the load balancer: {e}"))?;
    // A message's time is the network's and the nodes', not Nagle's.
    let _ = s.set_nodelay(true);
    Ok((s, carriers))
}

/// `POST /login`, then the WebSocket with the session token and any cookie the balancer set.
async fn trip(
    lb: SocketAddr,
    user: &str,
    source: Ipv4Addr,
    client: u32,
    tracing: Option<&Tracing>,
) -> Result<(UserTrip, Option<UserConn>), String> {
    let (mut s, _) = connect_from(source, lb, client, tracing).await?;
    let req =
        format!("POST /login?user={user} HTTP/1.1\r\nHost: {lb}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    s.read_to_end(&mut response).await.map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").ok_or("the login answer has no body")?;
    let cookie = head
        .lines()
        .filter_map(|l| l.strip_prefix("Set-Cookie: ").or_else(|| l.strip_prefix("set-cookie: ")))
        .find_map(|c| c.split(';').next().filter(|kv| kv.starts_with(COOKIE)).map(str::to_owned));
    let login: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("the login answer is not JSON: {e}"))?;
    let token = login["token"].as_str().ok_or("the login answer has no token")?.to_owned();
    let login_node = login["node"].as_u64().unwrap_or(0) as usize;

    let (stream, carriers) = connect_from(source, lb, client, tracing).await?;
    let mut request = format!("ws://{lb}/ws?token={token}").into_client_request().map_err(|e| e.to_string())?;
    if let Some(c) = &cookie {
        request
            .headers_mut()
            .insert("cookie", c.parse().map_err(|_| "a cookie the balancer set is not a header value")?);
    }
    let (conn, ws_node, answer) = match tokio_tungstenite::client_async(request, stream).await {
        Ok((ws, _)) => {
            let mut conn = UserConn { ws, carriers };
            match next_reply(&mut conn).await {
                Ok((NodeMsg::Welcome { node, .. }, _)) => (Some(conn), Some(node), format!("accepted by node {node}")),
                Ok((other, _)) => (None, None, format!("accepted, but the node began with {}", other.to_json())),
                Err(e) => (None, None, format!("accepted, then {e}")),
            }
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            let body = resp.body().as_ref().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
            (None, None, format!("{}: {body}", resp.status()))
        }
        Err(e) => (None, None, e.to_string()),
    };
    let trip = UserTrip {
        user: user.to_owned(),
        source: source.to_string(),
        login_node,
        accepted: conn.is_some(),
        ws_node,
        answer,
        direct: None,
    };
    Ok((trip, conn))
}
