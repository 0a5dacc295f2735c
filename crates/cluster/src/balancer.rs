//! The load balancer in front of the nodes: a TCP proxy that reads the first HTTP request
//! head of each connection to choose a node, then passes the bytes through unchanged (a
//! WebSocket upgrade included). Its modes are the lesson:
//!
//! - `round-robin`: the next node for every connection — a session created on one node is
//!   unknown to the node the next connection lands on;
//! - `sticky-cookie`: the node named in the `rtclab_node` cookie; a request without one is
//!   sent round-robin and its response gets `Set-Cookie: rtclab_node=N`;
//! - `ip-hash`: a hash of the client's whole source address (nginx's `ip_hash` uses only the
//!   first three octets, which would put every 127.0.0.x client on one node);
//! - `registry`: round-robin like the first, but the nodes keep sessions in the shared
//!   connection registry and route direct messages through it, so any node serves any user.
//!
//! Written by hand because choosing by cookie and adding `Set-Cookie` needs the request and
//! response heads, and the lab's tap must see the bytes as they are; a node that is gone is
//! skipped, and a client whose sticky node is gone is sent elsewhere (and re-pinned).

use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use rtclab_wire::tap::ClientDirectory;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// Largest request or response head the balancer reads before it must choose.
const HEAD_MAX: usize = 16 * 1024;
/// The cookie that pins a client to a node.
pub const COOKIE: &str = "rtclab_node";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum LbMode {
    RoundRobin,
    StickyCookie,
    IpHash,
    /// Round-robin in front of nodes that share a connection registry.
    Registry,
}

impl LbMode {
    pub const ALL: [LbMode; 4] = [LbMode::RoundRobin, LbMode::StickyCookie, LbMode::IpHash, LbMode::Registry];
    pub fn name(self) -> &'static str {
        match self {
            LbMode::RoundRobin => "round-robin",
            LbMode::StickyCookie => "sticky-cookie",
            LbMode::IpHash => "ip-hash",
            LbMode::Registry => "registry",
        }
    }

    /// Whether the nodes behind this mode share a connection registry.
    pub fn uses_registry(self) -> bool {
        self == LbMode::Registry
    }
}

impl std::str::FromStr for LbMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        LbMode::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| {
            let all: Vec<&str> = LbMode::ALL.iter().map(|m| m.name()).collect();
            format!("unknown load-balancer mode {s:?}; choose one of {}", all.join(", "))
        })
    }
}

/// The nodes a balancer may send to; `None` where a node is gone.
pub type Upstreams = Arc<RwLock<Vec<Option<SocketAddr>>>>;

#[derive(Debug)]
pub struct Balancer {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Debug)]
struct Shared {
    mode: LbMode,
    upstreams: Upstreams,
    next: AtomicUsize,
    /// With taps behind the balancer: who each onward connection is for.
    directory: Option<ClientDirectory>,
}

impl Balancer {
    pub async fn start(mode: LbMode, upstreams: Upstreams) -> std::io::Result<Balancer> {
        Self::start_named(mode, upstreams, None).await
    }

    /// A balancer in front of taps: each onward connection is named after its client in
    /// `directory`, so the taps put the client's bytes under its name.
    pub async fn start_named(
        mode: LbMode,
        upstreams: Upstreams,
        directory: Option<ClientDirectory>,
    ) -> std::io::Result<Balancer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared { mode, upstreams, next: AtomicUsize::new(0), directory });
        let task = tokio::spawn(async move {
            while let Ok((client, peer)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _ = proxy(client, peer, &shared).await;
                });
            }
        });
        Ok(Balancer { addr, task })
    }
}

/// The value of cookie `name` in a request head, if any.
pub fn cookie(head: &[u8], name: &str) -> Option<String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    req.parse(head).ok()?;
    req.headers.iter().filter(|h| h.name.eq_ignore_ascii_case("cookie")).find_map(|h| {
        std::str::from_utf8(h.value).ok()?.split(';').find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    })
}

impl Shared {
    fn live(&self) -> Vec<(usize, SocketAddr)> {
        let ups = self.upstreams.read().unwrap_or_else(|p| p.into_inner());
        ups.iter().enumerate().filter_map(|(i, a)| a.map(|a| (i, a))).collect()
    }

    fn round_robin(&self, live: &[(usize, SocketAddr)]) -> Option<(usize, SocketAddr)> {
        (!live.is_empty()).then(|| live[self.next.fetch_add(1, Ordering::Relaxed) % live.len()])
    }

    /// The node for a request from `peer` with head `head`, and whether to pin it by cookie.
    fn choose(&self, peer: SocketAddr, head: &[u8]) -> Option<(usize, SocketAddr, bool)> {
        let live = self.live();
        match self.mode {
            LbMode::RoundRobin | LbMode::Registry => self.round_robin(&live).map(|(i, a)| (i, a, false)),
            LbMode::IpHash => {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                peer.ip().hash(&mut h);
                (!live.is_empty()).then(|| {
                    let (i, a) = live[(h.finish() % live.len() as u64) as usize];
                    (i, a, false)
                })
            }
            LbMode::StickyCookie => {
                let pinned = cookie(head, COOKIE).and_then(|v| v.parse::<usize>().ok()).and_then(|n| n.checked_sub(1));
                match pinned.and_then(|n| live.iter().find(|(i, _)| *i == n)) {
                    Some(&(i, a)) => Some((i, a, false)),
                    None => self.round_robin(&live).map(|(i, a)| (i, a, true)),
                }
            }
        }
    }
}

/// Reads until the end of an HTTP head (`\r\n\r\n`); returns everything read.
async fn read_head(s: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            return Ok(Some(buf));
        }
        if buf.len() > HEAD_MAX {
            return Ok(None);
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Adds a `Set-Cookie` line to a response head (the bytes after the head are kept as they are).
fn with_cookie(response: &[u8], node: usize) -> Vec<u8> {
    let Some(line_end) = response.windows(2).position(|w| w == b"\r\n") else { return response.to_vec() };
    let mut out = Vec::with_capacity(response.len() + 48);
    out.extend_from_slice(&response[..line_end + 2]);
    out.extend_from_slice(format!("Set-Cookie: {COOKIE}={}; Path=/; HttpOnly\r\n", node + 1).as_bytes());
    out.extend_from_slice(&response[line_end + 2..]);
    out
}

async fn proxy(mut client: TcpStream, peer: SocketAddr, shared: &Shared) -> std::io::Result<()> {
    let _ = client.set_nodelay(true);
    let Some(head) = read_head(&mut client).await? else { return Ok(()) };
    let Some((node, addr, pin)) = shared.choose(peer, &head) else {
        let body = "no node is up behind the load balancer";
        let reply = format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        client.write_all(reply.as_bytes()).await?;
        return Ok(());
    };
    let sock = TcpSocket::new_v4()?;
    sock.bind(SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), 0))?;
    if let Some(d) = &shared.directory {
        d.alias(peer, sock.local_addr()?);
    }
    let mut upstream = sock.connect(addr).await?;
    let _ = upstream.set_nodelay(true);
    upstream.write_all(&head).await?;
    if pin {
        // The first response head gets the cookie; everything after it passes through.
        let Some(response) = read_head(&mut upstream).await? else { return Ok(()) };
        client.write_all(&with_cookie(&response, node)).await?;
    }
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_read_from_the_request_and_set_in_the_response() {
        let head = b"GET /ws HTTP/1.1\r\nHost: x\r\nCookie: a=1; rtclab_node=2\r\n\r\n";
        assert_eq!(cookie(head, COOKIE).as_deref(), Some("2"));
        assert_eq!(cookie(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", COOKIE), None);
        let out = with_cookie(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok", 0);
        assert_eq!(
            out,
            b"HTTP/1.1 200 OK\r\nSet-Cookie: rtclab_node=1; Path=/; HttpOnly\r\ncontent-length: 2\r\n\r\nok"
        );
        assert!("nope".parse::<LbMode>().unwrap_err().contains("round-robin, sticky-cookie, ip-hash, registry"));
    }
}
