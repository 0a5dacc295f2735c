//! Distance for UDP on loopback: each datagram is sent from its socket `delay` after it was
//! handed over, in the order it falls due. One pacer per party (peer or TURN server), so
//! datagrams to near and far destinations can leave the same socket out of hand-over order,
//! as they would on a real network. A pacer can also shape its link: lose a share of the
//! datagrams (seeded) and serialise them at a rate behind a finite queue, like a router.

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

/// What a link does to the datagrams a pacer sends, besides delaying them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkShape {
    /// Share of datagrams lost, 0..1.
    pub loss: f64,
    /// Bits per second the link carries (None: unlimited).
    pub rate_bps: Option<u64>,
    pub seed: u64,
}

impl Default for LinkShape {
    fn default() -> Self {
        LinkShape { loss: 0.0, rate_bps: None, seed: 1 }
    }
}

/// The longest a datagram may wait in a rate-limited link's queue before it is dropped
/// (a router's finite buffer).
const MAX_QUEUE_DELAY: Duration = Duration::from_millis(200);

/// Datagrams a shaped link did not deliver.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    pub lost: u64,
    pub queue_full: u64,
}

/// Hands datagrams to a task that sends each when it falls due. Once the pacer is dropped,
/// the task sends what is still due and ends.
#[derive(Debug)]
pub struct Pacer {
    queue: mpsc::UnboundedSender<Due>,
    seq: u64,
    shape: LinkShape,
    rng: rand::rngs::StdRng,
    /// When a rate-limited link has finished sending what it was given.
    link_free_at: Instant,
    pub dropped: Dropped,
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
        Self::shaped(LinkShape::default())
    }

    pub fn shaped(shape: LinkShape) -> Pacer {
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
        use rand::SeedableRng;
        Pacer {
            queue,
            seq: 0,
            shape,
            rng: rand::rngs::StdRng::seed_from_u64(shape.seed),
            link_free_at: Instant::now(),
            dropped: Dropped::default(),
        }
    }

    /// Sends `bytes` from `socket` to `to`, `delay` from now.
    pub fn send(&mut self, socket: &Arc<UdpSocket>, to: SocketAddr, bytes: Vec<u8>, delay: Duration) {
        use rand::Rng;
        if self.shape.loss > 0.0 && self.rng.random::<f64>() < self.shape.loss {
            self.dropped.lost += 1;
            return;
        }
        let now = Instant::now();
        let mut delay = delay;
        if let Some(rate) = self.shape.rate_bps.filter(|r| *r > 0) {
            let start = self.link_free_at.max(now);
            if start - now > MAX_QUEUE_DELAY {
                self.dropped.queue_full += 1;
                return;
            }
            let on_the_wire = Duration::from_secs_f64(bytes.len() as f64 * 8.0 / rate as f64);
            self.link_free_at = start + on_the_wire;
            delay += self.link_free_at - now;
        }
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

    #[tokio::test]
    async fn a_rate_limited_link_serialises_and_a_lossy_one_loses() {
        let from = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let to = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        // 1 Mbit/s: each 1250-byte datagram takes 10 ms on the wire.
        let mut slow = Pacer::shaped(LinkShape { rate_bps: Some(1_000_000), ..LinkShape::default() });
        let started = Instant::now();
        for _ in 0..5 {
            slow.send(&from, to.local_addr().unwrap(), vec![0; 1250], Duration::ZERO);
        }
        let mut buf = [0u8; 2000];
        for _ in 0..5 {
            to.recv_from(&mut buf).await.unwrap();
        }
        assert!(started.elapsed() >= Duration::from_millis(50), "{:?}", started.elapsed());
        let mut lossy = Pacer::shaped(LinkShape { loss: 0.5, seed: 3, ..LinkShape::default() });
        for _ in 0..200 {
            lossy.send(&from, to.local_addr().unwrap(), vec![1], Duration::ZERO);
        }
        assert!((60..140).contains(&lossy.dropped.lost), "{:?}", lossy.dropped);
    }
}
