//! Distance for UDP on loopback: each datagram is sent from its socket `delay` after it was
//! handed over, in the order it falls due. One pacer per party (peer or TURN server), so
//! datagrams to near and far destinations can leave the same socket out of hand-over order,
//! as they would on a real network.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;

struct Due {
    at: Instant,
    seq: u64,
    socket: Arc<UdpSocket>,
    to: SocketAddr,
    bytes: Vec<u8>,
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Due {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Hands datagrams to a task that sends each when it falls due. Dropping it stops the task.
#[derive(Debug)]
pub struct Pacer {
    queue: mpsc::UnboundedSender<Due>,
    seq: u64,
}

impl std::fmt::Debug for Due {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Due").field("to", &self.to).field("len", &self.bytes.len()).finish_non_exhaustive()
    }
}

impl Default for Pacer {
    fn default() -> Self {
        Self::new()
    }
}

impl Pacer {
    pub fn new() -> Pacer {
        let (queue, mut incoming) = mpsc::unbounded_channel::<Due>();
        // Dropping the pacer closes the queue; the task sends what is still due, then ends.
        tokio::spawn(async move {
            let mut heap: BinaryHeap<Reverse<Due>> = BinaryHeap::new();
            loop {
                let next = heap.peek().map(|Reverse(d)| d.at);
                tokio::select! {
                    got = incoming.recv() => match got {
                        Some(d) => heap.push(Reverse(d)),
                        None if heap.is_empty() => return,
                        None => {
                            // The owner is gone: send what is left when it falls due.
                            while let Some(Reverse(d)) = heap.pop() {
                                tokio::time::sleep_until(d.at).await;
                                let _ = d.socket.send_to(&d.bytes, d.to).await;
                            }
                            return;
                        }
                    },
                    _ = sleep_until_opt(next) => {
                        let now = Instant::now();
                        while heap.peek().is_some_and(|Reverse(d)| d.at <= now) {
                            let Reverse(d) = heap.pop().expect("peeked");
                            // A full socket buffer drops the datagram, as a real network would.
                            let _ = d.socket.send_to(&d.bytes, d.to).await;
                        }
                    }
                }
            }
        });
        Pacer { queue, seq: 0 }
    }

    /// Sends `bytes` from `socket` to `to`, `delay` from now.
    pub fn send(&mut self, socket: &Arc<UdpSocket>, to: SocketAddr, bytes: Vec<u8>, delay: Duration) {
        // No distance: send now. The timer wheel's 1 ms ticks would otherwise add up to a
        // millisecond per hop, more than a loopback echo takes.
        if delay.is_zero() && socket.try_send_to(&bytes, to).is_ok() {
            return;
        }
        self.seq += 1;
        let due = Due { at: Instant::now() + delay, seq: self.seq, socket: socket.clone(), to, bytes };
        let _ = self.queue.send(due);
    }
}

/// Sleeps until `at`, or for ever without one (a `select!` arm with no timer).
pub(crate) async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_near_datagram_handed_over_later_overtakes_a_far_one() {
        let from = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let to = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut pacer = Pacer::new();
        let started = Instant::now();
        pacer.send(&from, to.local_addr().unwrap(), b"far".to_vec(), Duration::from_millis(60));
        pacer.send(&from, to.local_addr().unwrap(), b"near".to_vec(), Duration::from_millis(20));
        let mut buf = [0u8; 16];
        let (n, _) = to.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"near");
        assert!(started.elapsed() >= Duration::from_millis(20));
        let (n, _) = to.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"far");
        assert!(started.elapsed() >= Duration::from_millis(60));
    }
}
