//! The lab's TURN server (`rtclab_natlab::turn_server`, sans-IO) on real UDP sockets: one
//! listening socket and a few relay sockets bound up front on the server's own loopback
//! address, every datagram counted, every answer sent after the server's distance.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rtclab_natlab::peer::TurnCredentials;
use rtclab_natlab::turn_server::{TurnConfig, TurnServer};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::pacer::Pacer;

/// Bytes and datagrams that crossed the server's sockets, both ways.
#[derive(Debug, Default)]
pub struct ServerCount {
    bytes: AtomicU64,
    datagrams: AtomicU64,
}

impl ServerCount {
    fn add(&self, bytes: usize) {
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        self.datagrams.fetch_add(1, Ordering::Relaxed);
    }
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    pub fn datagrams(&self) -> u64 {
        self.datagrams.load(Ordering::Relaxed)
    }
}

/// A running TURN server. Dropping it closes its sockets.
#[derive(Debug)]
pub struct LoopbackTurn {
    listen: SocketAddr,
    count: Arc<ServerCount>,
    _tasks: JoinSet<()>,
}

impl LoopbackTurn {
    /// Binds the server on `ip` (a 127.x address of its own, so peers can tell the server's
    /// datagrams by address) with `relays` relay sockets; answers leave `one_way` late.
    pub async fn start(ip: IpAddr, relays: usize, one_way: Duration) -> std::io::Result<LoopbackTurn> {
        let listen_socket = Arc::new(UdpSocket::bind(SocketAddr::new(ip, 0)).await?);
        let listen = listen_socket.local_addr()?;
        let mut sockets: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::from([(listen, listen_socket)]);
        let mut relay_addrs = vec![];
        for _ in 0..relays {
            let s = Arc::new(UdpSocket::bind(SocketAddr::new(ip, 0)).await?);
            relay_addrs.push(s.local_addr()?);
            sockets.insert(s.local_addr()?, s);
        }
        let mut server = TurnServer::with_relay_addresses(listen, TurnConfig::default(), relay_addrs);
        let count = Arc::new(ServerCount::default());
        let (arrived, mut inbox) = mpsc::unbounded_channel::<(SocketAddr, SocketAddr, Vec<u8>)>();
        let mut tasks = JoinSet::new();
        for (addr, socket) in &sockets {
            let (addr, socket, arrived, count) = (*addr, socket.clone(), arrived.clone(), count.clone());
            tasks.spawn(async move {
                let mut buf = vec![0u8; 65_536];
                while let Ok((n, from)) = socket.recv_from(&mut buf).await {
                    count.add(n);
                    if arrived.send((from, addr, buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
            });
        }
        let out_count = count.clone();
        tasks.spawn(async move {
            let epoch = Instant::now();
            let mut pacer = Pacer::new();
            while let Some((from, to, bytes)) = inbox.recv().await {
                let out = server.receive(epoch.elapsed(), from, to, &bytes);
                for (src, dst, bytes) in out.sends {
                    let Some(socket) = sockets.get(&src) else { continue };
                    // Relay to relay stays inside the server: no distance.
                    let delay = if dst.ip() == ip { Duration::ZERO } else { one_way };
                    out_count.add(bytes.len());
                    pacer.send(socket, dst, bytes, delay);
                }
            }
        });
        Ok(LoopbackTurn { listen, count, _tasks: tasks })
    }

    pub fn addr(&self) -> SocketAddr {
        self.listen
    }

    /// What a peer configures (the server's one user).
    pub fn credentials(&self) -> TurnCredentials {
        let config = TurnConfig::default();
        let (username, password) = config.users[0].clone();
        TurnCredentials { server: self.listen, username, password, realm: config.realm }
    }

    pub fn count(&self) -> &ServerCount {
        &self.count
    }
}
