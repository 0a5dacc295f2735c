//! Why a load balancer's mode matters for state: each user logs in over HTTP (the session
//! lives in the memory of the node that answered), then opens a WebSocket with that session.
//! Both requests go through the load balancer; the WebSocket is accepted only if it lands on
//! the node that logged the user in. Each user connects from its own 127.0.0.x address, so
//! `ip-hash` has addresses to tell apart.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use ts_rs::TS;

use crate::balancer::{Balancer, COOKIE, LbMode};
use crate::broker::MemoryBroker;
use crate::node::Node;
use crate::stream::HistoryLimits;

/// Most users a check runs (each its own source address, 127.0.0.2 and up).
pub const MAX_USERS: usize = 200;

/// A check as the app asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SessionCheckRequest {
    pub mode: LbMode,
    pub nodes: usize,
    pub users: usize,
}

/// One user's way through the balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct UserTrip {
    pub user: String,
    pub source: String,
    /// The node that created the session.
    pub login_node: usize,
    /// Whether the WebSocket with that session was accepted, and by which node or why not.
    pub accepted: bool,
    pub answer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SessionCheck {
    pub mode: LbMode,
    pub nodes: usize,
    pub users: usize,
    pub accepted: usize,
    pub rejected: usize,
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

/// Runs the check for `mode` with `users` users over `nodes` nodes.
pub async fn check(mode: LbMode, nodes: usize, users: usize) -> Result<SessionCheck, String> {
    validate(nodes, users)?;
    let broker = MemoryBroker::new(HistoryLimits::default(), 1);
    let mut started = Vec::new();
    for id in 0..nodes {
        started.push(Node::start(id, broker.clone()).await.map_err(|e| format!("starting node {}: {e}", id + 1))?);
    }
    let upstreams = Arc::new(RwLock::new(started.iter().map(|n| Some(n.addr)).collect()));
    let lb = Balancer::start(mode, upstreams).await.map_err(|e| format!("starting the load balancer: {e}"))?;
    let mut trips = Vec::new();
    for u in 0..users {
        let user = format!("user{}", u + 1);
        let source = Ipv4Addr::new(127, 0, 0, 2 + u as u8);
        trips.push(trip(lb.addr, &user, source).await?);
    }
    for n in &started {
        n.kill();
    }
    let accepted = trips.iter().filter(|t| t.accepted).count();
    Ok(SessionCheck { mode, nodes, users, accepted, rejected: users - accepted, trips })
}

async fn connect_from(source: Ipv4Addr, to: SocketAddr) -> Result<TcpStream, String> {
    let sock = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    sock.bind(SocketAddr::new(IpAddr::V4(source), 0)).map_err(|e| format!("binding {source}: {e}"))?;
    sock.connect(to).await.map_err(|e| format!("connecting to the load balancer: {e}"))
}

/// `POST /login`, then the WebSocket with the session token and any cookie the balancer set.
async fn trip(lb: SocketAddr, user: &str, source: Ipv4Addr) -> Result<UserTrip, String> {
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
    let (accepted, answer) = match tokio_tungstenite::client_async(request, stream).await {
        Ok((mut ws, _)) => {
            let _ = ws.close(None).await;
            (true, format!("accepted by node {login_node}"))
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            let body = resp.body().as_ref().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
            (false, format!("{}: {body}", resp.status()))
        }
        Err(e) => (false, e.to_string()),
    };
    Ok(UserTrip { user: user.to_owned(), source: source.to_string(), login_node, accepted, answer })
}
