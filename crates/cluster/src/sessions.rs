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

/// Runs the check for `mode` with `users` users over `nodes` nodes, the shared state in `backend`.
pub async fn check(mode: LbMode, nodes: usize, users: usize, backend: &BackendSpec) -> Result<SessionCheck, String> {
    validate(nodes, users)?;
    let backend = backend.start(HistoryLimits::default(), 1).await?;
    let mut started = Vec::new();
    for id in 0..nodes {
        let config = backend.node_config(id, mode.uses_registry()).await?;
        started.push(Node::start(config).await.map_err(|e| format!("starting node {}: {e}", id + 1))?);
    }
    let upstreams = Arc::new(RwLock::new(started.iter().map(|n| Some(n.addr)).collect()));
    let lb = Balancer::start(mode, upstreams).await.map_err(|e| format!("starting the load balancer: {e}"))?;
    let mut trips = Vec::new();
    let mut sockets: Vec<Option<Ws>> = Vec::new();
    for u in 0..users {
        let user = format!("user{}", u + 1);
        let source = Ipv4Addr::new(127, 0, 0, 2 + u as u8);
        let (trip, ws) = trip(lb.addr, &user, source).await?;
        trips.push(trip);
        sockets.push(ws);
    }
    let registry =
        if mode.uses_registry() { backend.registry().entries().await.map_err(|e| e.to_string())? } else { Vec::new() };
    send_directs(&mut trips, &mut sockets).await;
    for n in &started {
        n.kill();
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
async fn send_directs(trips: &mut [UserTrip], sockets: &mut [Option<Ws>]) {
    let accepted: Vec<usize> = (0..trips.len()).filter(|&i| sockets[i].is_some()).collect();
    if accepted.len() < 2 {
        return;
    }
    for (k, &from) in accepted.iter().enumerate() {
        let to = accepted[(k + 1) % accepted.len()];
        let to_user = trips[to].user.clone();
        let to_node = trips[to].ws_node.unwrap_or(0);
        let data = format!("hello from {}", trips[from].user);
        let sent = Instant::now();
        let answer = {
            let ws = sockets[from].as_mut().expect("accepted users keep their socket");
            let m = ClientMsg::Direct { to: to_user.clone(), data: data.clone() };
            match ws.send(Message::Text(m.to_json().into())).await {
                Ok(()) => next_reply(ws).await,
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
                let ws = sockets[to].as_mut().expect("accepted users keep their socket");
                tokio::time::timeout(DIRECT_WAIT, async {
                    loop {
                        match next_reply(ws).await {
                            Ok(NodeMsg::Direct { data: got, .. }) if got == data => return true,
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
    for ws in sockets.iter_mut().flatten() {
        let _ = ws.close(None).await;
    }
}

/// The next message a node sent on `ws`.
async fn next_reply(ws: &mut Ws) -> Result<NodeMsg, String> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                return serde_json::from_str(&t).map_err(|e| format!("a node sent something that is not JSON: {e}"));
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("the connection closed".into()),
        }
    }
}

async fn connect_from(source: Ipv4Addr, to: SocketAddr) -> Result<TcpStream, String> {
    let sock = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    sock.bind(SocketAddr::new(IpAddr::V4(source), 0)).map_err(|e| format!("binding {source}: {e}"))?;
    let s = sock.connect(to).await.map_err(|e| format!("connecting to the load balancer: {e}"))?;
    // A message's time is the network's and the nodes', not Nagle's.
    let _ = s.set_nodelay(true);
    Ok(s)
}

/// `POST /login`, then the WebSocket with the session token and any cookie the balancer set.
async fn trip(lb: SocketAddr, user: &str, source: Ipv4Addr) -> Result<(UserTrip, Option<Ws>), String> {
    let mut s = connect_from(source, lb).await?;
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

    let stream = connect_from(source, lb).await?;
    let mut request = format!("ws://{lb}/ws?token={token}").into_client_request().map_err(|e| e.to_string())?;
    if let Some(c) = &cookie {
        request
            .headers_mut()
            .insert("cookie", c.parse().map_err(|_| "a cookie the balancer set is not a header value")?);
    }
    let (ws, ws_node, answer) = match tokio_tungstenite::client_async(request, stream).await {
        Ok((mut ws, _)) => match next_reply(&mut ws).await {
            Ok(NodeMsg::Welcome { node, .. }) => (Some(ws), Some(node), format!("accepted by node {node}")),
            Ok(other) => (None, None, format!("accepted, but the node began with {}", other.to_json())),
            Err(e) => (None, None, format!("accepted, then {e}")),
        },
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
        accepted: ws.is_some(),
        ws_node,
        answer,
        direct: None,
    };
    Ok((trip, ws))
}
