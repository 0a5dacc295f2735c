//! A TCP relay that puts distance on loopback: every chunk waits a fixed one-way delay in each
//! direction before it is passed on, so a server on 127.0.0.1 can stand "40 ms away" from its
//! clients. `connect()` on loopback returns at once, so the client's first bytes also wait the
//! round trip a distant server's TCP handshake (SYN, SYN-ACK) would have cost.
//!
//! Written by hand because it is a few lines around `tokio::io`; a netem qdisc would need root
//! and would delay every other loopback test on the machine too.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// A running delay relay in front of `upstream`. Dropping it stops it and its connections.
#[derive(Debug)]
pub struct DelayLink {
    addr: SocketAddr,
    one_way: Duration,
    accept: JoinHandle<()>,
}

impl DelayLink {
    /// Listens on an OS-chosen port of 127.0.0.1 and relays to `upstream`, `one_way` each way.
    pub async fn start(upstream: SocketAddr, one_way: Duration) -> io::Result<DelayLink> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let accept = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((client, _)) = listener.accept().await else { return };
                let accepted = Instant::now();
                connections.spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else { return };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    // The client could not have sent before the handshake's round trip.
                    let handshake_done = accepted + 2 * one_way;
                    tokio::join!(
                        pump(client_read, server_write, one_way, handshake_done),
                        pump(server_read, client_write, one_way, accepted),
                    );
                });
                while connections.try_join_next().is_some() {}
            }
        });
        Ok(DelayLink { addr, one_way, accept })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn one_way(&self) -> Duration {
        self.one_way
    }
}

impl Drop for DelayLink {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Reads chunks from `from` and writes each to `to` `one_way` after it arrived (never before
/// `not_before`); the end of the stream is passed on after the last chunk, like a FIN.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, one_way: Duration, not_before: Instant) {
    let (queue, mut due) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let reader = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    let at = Instant::now().max(not_before) + one_way;
                    if queue.send((at, buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
            }
        }
    };
    let writer = async move {
        while let Some((at, bytes)) = due.recv().await {
            tokio::time::sleep_until(at).await;
            if to.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bytes_arrive_unchanged_after_the_delay_and_the_handshake_round_trip() {
        let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream_addr = upstream.local_addr().unwrap();
        let echo = tokio::spawn(async move {
            let (mut s, _) = upstream.accept().await.unwrap();
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).await.unwrap();
            s.write_all(&buf).await.unwrap();
        });
        let link = DelayLink::start(upstream_addr, Duration::from_millis(30)).await.unwrap();
        let started = std::time::Instant::now();
        let mut c = TcpStream::connect(link.addr()).await.unwrap();
        c.write_all(b"hello").await.unwrap();
        let mut back = [0u8; 5];
        c.read_exact(&mut back).await.unwrap();
        let took = started.elapsed();
        assert_eq!(&back, b"hello");
        // Handshake round trip (60 ms) + there (30) + back (30).
        assert!(took >= Duration::from_millis(120), "{took:?}");
        assert!(took < Duration::from_millis(1000), "{took:?}");
        echo.await.unwrap();
    }
}
