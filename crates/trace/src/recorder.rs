//! The recorder: one ordered, bounded, shareable trace.
//!
//! [`Recorder::record`] stamps an event with the next sequence number and the monotonic time
//! since the recorder started, appends it to a ring buffer and fans it out to live
//! subscribers.
//!
//! Memory policy: the ring keeps the newest `capacity` events. When it is full the oldest
//! event is evicted and counted in [`RecorderStats::evicted`]; sequence numbers keep rising,
//! so a gap between `seq` values tells a reader what was lost. Live subscribers read from a
//! bounded broadcast channel; one that falls behind by more than its capacity is told how many
//! events it missed (`RecvError::Lagged`) and can catch up from [`Recorder::events_since`].

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::broadcast;

use crate::event::{NewEvent, TraceEvent};

/// Default number of events kept in memory (about 300 MB at the largest event sizes, far
/// less for typical ones).
pub const DEFAULT_CAPACITY: usize = 1_000_000;
/// Events a live subscriber may fall behind before it lags.
pub const SUBSCRIBER_BUFFER: usize = 65_536;

/// A shareable trace recorder. Cloning is cheap and clones record into the same trace.
#[derive(Debug, Clone)]
pub struct Recorder {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    start: Instant,
    capacity: usize,
    state: Mutex<State>,
    live: broadcast::Sender<Arc<TraceEvent>>,
}

#[derive(Debug)]
struct State {
    next_seq: u64,
    last_t_ns: u64,
    ring: VecDeque<Arc<TraceEvent>>,
    evicted: u64,
}

/// Counters describing what the recorder holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecorderStats {
    pub recorded: u64,
    pub held: usize,
    pub evicted: u64,
    pub capacity: usize,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        let (live, _) = broadcast::channel(SUBSCRIBER_BUFFER);
        Recorder {
            inner: Arc::new(Inner {
                start: Instant::now(),
                capacity,
                state: Mutex::new(State {
                    next_seq: 0,
                    last_t_ns: 0,
                    ring: VecDeque::with_capacity(capacity.min(65_536)),
                    evicted: 0,
                }),
                live,
            }),
        }
    }

    /// A recorder holding a saved trace (for replay and export), ready to take more events
    /// after it. Keeps the newest `capacity` of them.
    pub fn from_events(events: Vec<TraceEvent>, capacity: usize) -> Self {
        let r = Self::with_capacity(capacity);
        {
            let mut st = r.inner.state.lock().unwrap_or_else(|p| p.into_inner());
            for e in events {
                st.next_seq = st.next_seq.max(e.seq + 1);
                st.last_t_ns = st.last_t_ns.max(e.t_ns);
                if st.ring.len() == r.inner.capacity {
                    st.ring.pop_front();
                    st.evicted += 1;
                }
                st.ring.push_back(Arc::new(e));
            }
        }
        r
    }

    /// Monotonic nanoseconds since the recorder started: the clock of every event.
    pub fn now_ns(&self) -> u64 {
        self.inner.start.elapsed().as_nanos() as u64
    }

    /// The instant time zero of this trace corresponds to.
    pub fn start(&self) -> Instant {
        self.inner.start
    }

    /// Records an event and returns its sequence number.
    pub fn record(&self, event: NewEvent) -> u64 {
        self.record_timed(event).0
    }

    /// Records an event and returns its sequence number and the time it was given.
    pub fn record_timed(&self, event: NewEvent) -> (u64, u64) {
        let observed = event.t_ns;
        let now = self.now_ns();
        let mut st = self.inner.state.lock().unwrap_or_else(|p| p.into_inner());
        let seq = st.next_seq;
        st.next_seq += 1;
        // Times never go backwards along the sequence, even when an observation made a moment
        // ago is recorded after a newer one.
        let t_ns = observed.unwrap_or(now).max(st.last_t_ns);
        st.last_t_ns = t_ns;
        let ev = Arc::new(TraceEvent {
            seq,
            t_ns,
            experiment: event.experiment,
            actor: event.actor,
            conn: event.conn,
            dir: event.dir,
            kind: event.kind,
            bytes: event.bytes,
            parent: event.parent,
        });
        if st.ring.len() == self.inner.capacity {
            st.ring.pop_front();
            st.evicted += 1;
        }
        st.ring.push_back(ev.clone());
        // Sent under the lock so subscribers see events in sequence order.
        let _ = self.inner.live.send(ev);
        (seq, t_ns)
    }

    /// Every event still held, oldest first.
    pub fn snapshot(&self) -> Vec<Arc<TraceEvent>> {
        let st = self.inner.state.lock().unwrap_or_else(|p| p.into_inner());
        st.ring.iter().cloned().collect()
    }

    /// The sequence number the next recorded event will get (a mark for `events_since`).
    pub fn next_seq(&self) -> u64 {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner()).next_seq
    }

    /// Held events with `seq >= from`.
    pub fn events_since(&self, from: u64) -> Vec<Arc<TraceEvent>> {
        let st = self.inner.state.lock().unwrap_or_else(|p| p.into_inner());
        let first = st.ring.front().map_or(0, |e| e.seq);
        let skip = from.saturating_sub(first) as usize;
        st.ring.iter().skip(skip).cloned().collect()
    }

    /// The events held now plus a receiver for every later one, with no gap or overlap.
    pub fn subscribe(&self) -> (Vec<Arc<TraceEvent>>, broadcast::Receiver<Arc<TraceEvent>>) {
        let st = self.inner.state.lock().unwrap_or_else(|p| p.into_inner());
        let rx = self.inner.live.subscribe();
        (st.ring.iter().cloned().collect(), rx)
    }

    pub fn stats(&self) -> RecorderStats {
        let st = self.inner.state.lock().unwrap_or_else(|p| p.into_inner());
        RecorderStats { recorded: st.next_seq, held: st.ring.len(), evicted: st.evicted, capacity: self.inner.capacity }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Actor, EventKind};

    fn note(exp: &Arc<str>, text: &str) -> NewEvent {
        NewEvent::new(exp, Actor::Tap, EventKind::Note { text: text.into() })
    }

    #[test]
    fn sequence_and_time_increase() {
        let r = Recorder::new();
        let exp: Arc<str> = Arc::from("x");
        let a = r.record(note(&exp, "a"));
        let b = r.record(note(&exp, "b").at(0)); // an older observation
        assert_eq!((a, b), (0, 1));
        let snap = r.snapshot();
        assert!(snap[1].t_ns >= snap[0].t_ns);
    }

    #[test]
    fn ring_evicts_oldest_and_counts() {
        let r = Recorder::with_capacity(3);
        let exp: Arc<str> = Arc::from("x");
        for i in 0..5 {
            r.record(note(&exp, &i.to_string()));
        }
        let seqs: Vec<u64> = r.snapshot().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, vec![2, 3, 4]);
        let s = r.stats();
        assert_eq!((s.recorded, s.held, s.evicted), (5, 3, 2));
        let since: Vec<u64> = r.events_since(3).iter().map(|e| e.seq).collect();
        assert_eq!(since, vec![3, 4]);
        assert_eq!(r.events_since(0).len(), 3);
    }

    #[test]
    fn subscribers_get_everything_after_their_snapshot() {
        let r = Recorder::new();
        let exp: Arc<str> = Arc::from("x");
        r.record(note(&exp, "before"));
        let (snap, mut rx) = r.subscribe();
        r.record(note(&exp, "after"));
        assert_eq!(snap.len(), 1);
        let got = rx.try_recv().unwrap();
        assert_eq!(got.seq, 1);
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn concurrent_writers_keep_sequence_dense() {
        let r = Recorder::new();
        let exp: Arc<str> = Arc::from("x");
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        r.record(note(&exp, "n"));
                    }
                });
            }
        });
        let snap = r.snapshot();
        assert_eq!(snap.len(), 4000);
        assert!(snap.windows(2).all(|w| w[1].seq == w[0].seq + 1 && w[1].t_ns >= w[0].t_ns));
    }
}
