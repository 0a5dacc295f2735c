//! Figures computed from the trace alone: what a learner sees is what was on the wire.

use std::collections::HashSet;

use rtclab_trace::{EventKind, TraceEvent};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Delivery latency percentiles, publish → client receipt, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LatencyMs {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

/// What one technique did during one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Metrics {
    pub technique: String,
    #[ts(type = "number")]
    pub published: u64,
    #[ts(type = "number")]
    pub delivered: u64,
    /// Deliveries of a message a client had already received.
    #[ts(type = "number")]
    pub duplicates: u64,
    #[ts(type = "number")]
    pub requests: u64,
    /// Responses that carried no message (HTTP 204).
    #[ts(type = "number")]
    pub empty_responses: u64,
    /// Responses that stayed open to carry many messages: event streams and WebSocket
    /// upgrades (101).
    #[ts(type = "number")]
    pub stream_responses: u64,
    #[ts(type = "number")]
    pub bytes_on_wire: u64,
    #[ts(type = "number")]
    pub header_bytes: u64,
    #[ts(type = "number")]
    pub payload_bytes: u64,
    /// Bytes on the wire per delivered message (0 when nothing was delivered).
    pub bytes_per_message: f64,
    pub latency_ms: LatencyMs,
    #[ts(type = "number")]
    pub connections_opened: u64,
    #[ts(type = "number")]
    pub peak_connections: u64,
    /// Connections open at the moment the figures were taken (0 once a run has ended).
    #[ts(type = "number")]
    pub open_connections: u64,
    #[ts(type = "number")]
    pub ws_frames: u64,
    #[ts(type = "number")]
    pub sse_events: u64,
    /// WebSocket ping frames (heartbeats), either way.
    #[ts(type = "number")]
    pub ws_pings: u64,
    /// WebSocket pong frames (answers to pings), either way.
    #[ts(type = "number")]
    pub ws_pongs: u64,
    /// SSE comment lines, which servers send as keep-alives.
    #[ts(type = "number")]
    pub sse_comments: u64,
    /// Requests that resumed a stream where an earlier one stopped (`Last-Event-ID`).
    #[ts(type = "number")]
    pub resumed_requests: u64,
    #[ts(type = "number")]
    pub protocol_errors: u64,
    /// Time from the first to the last event of the run.
    pub duration_s: f64,
    pub requests_per_second: f64,
}

/// Computes the metrics of the events of one experiment.
pub fn compute<'a>(technique: &str, events: impl IntoIterator<Item = &'a TraceEvent>) -> Metrics {
    let mut acc = Accumulator::new(technique);
    for e in events {
        acc.push(e);
    }
    acc.metrics()
}

/// The metrics of an experiment, built one event at a time: the live figures of a running
/// experiment and the final ones come from this one place, so they cannot disagree.
#[derive(Debug, Clone)]
pub struct Accumulator {
    m: Metrics,
    /// Latencies of first deliveries, in arrival order (milliseconds).
    latencies: Vec<f64>,
    seen: HashSet<(rtclab_trace::Actor, u64)>,
    open: i64,
    first_t: Option<u64>,
    last_t: u64,
}

impl Accumulator {
    pub fn new(technique: &str) -> Self {
        Accumulator {
            m: Metrics { technique: technique.to_owned(), ..Default::default() },
            latencies: Vec::new(),
            seen: HashSet::new(),
            open: 0,
            first_t: None,
            last_t: 0,
        }
    }

    pub fn push(&mut self, e: &TraceEvent) {
        let m = &mut self.m;
        self.first_t.get_or_insert(e.t_ns);
        self.last_t = self.last_t.max(e.t_ns);
        if e.conn.is_some() {
            m.header_bytes += e.bytes.header;
            m.payload_bytes += e.bytes.payload;
        }
        match &e.kind {
            EventKind::MessagePublished { .. } => m.published += 1,
            EventKind::MessageDelivered { msg_id, latency_ns, .. } => {
                if self.seen.insert((e.actor, *msg_id)) {
                    m.delivered += 1;
                    self.latencies.push(*latency_ns as f64 / 1e6);
                } else {
                    m.duplicates += 1;
                }
            }
            EventKind::HttpRequest { headers, .. } => {
                m.requests += 1;
                if rtclab_trace::Header::find(headers, "last-event-id").is_some() {
                    m.resumed_requests += 1;
                }
            }
            EventKind::HttpResponse { status: 204, .. } => m.empty_responses += 1,
            EventKind::HttpResponse { status: 101, .. } | EventKind::HttpResponse { streaming: true, .. } => {
                m.stream_responses += 1
            }
            EventKind::TcpOpen { .. } => {
                m.connections_opened += 1;
                self.open += 1;
                m.peak_connections = m.peak_connections.max(self.open as u64);
            }
            EventKind::TcpClose { .. } => self.open -= 1,
            EventKind::WsFrame { opcode, .. } => {
                m.ws_frames += 1;
                match opcode {
                    9 => m.ws_pings += 1,
                    10 => m.ws_pongs += 1,
                    _ => {}
                }
            }
            EventKind::SseEvent { .. } => m.sse_events += 1,
            EventKind::SseComment { .. } => m.sse_comments += 1,
            EventKind::ProtocolError { .. } => m.protocol_errors += 1,
            _ => {}
        }
    }

    /// The figures so far.
    pub fn metrics(&self) -> Metrics {
        let mut m = self.m.clone();
        m.open_connections = self.open.max(0) as u64;
        m.bytes_on_wire = m.header_bytes + m.payload_bytes;
        if m.delivered > 0 {
            m.bytes_per_message = m.bytes_on_wire as f64 / m.delivered as f64;
        }
        m.latency_ms = latency_stats(&mut self.latencies_sorted());
        m.duration_s = self.first_t.map_or(0.0, |f| (self.last_t - f) as f64 / 1e9);
        if m.duration_s > 0.0 {
            m.requests_per_second = m.requests as f64 / m.duration_s;
        }
        m
    }

    /// Latencies of the delivered messages (duplicates left out), sorted, in milliseconds.
    pub fn latencies_sorted(&self) -> Vec<f64> {
        let mut v = self.latencies.clone();
        v.sort_by(f64::total_cmp);
        v
    }
}

/// Latencies of the delivered messages of an experiment (duplicates left out, as in
/// [`compute`]), sorted, in milliseconds.
pub fn latencies_ms<'a>(events: impl IntoIterator<Item = &'a TraceEvent>) -> Vec<f64> {
    let mut acc = Accumulator::new("");
    for e in events {
        acc.push(e);
    }
    acc.latencies_sorted()
}

/// Requests started in each whole second of the run, from the first event on.
pub fn requests_per_second_series<'a>(events: impl IntoIterator<Item = &'a TraceEvent>) -> Vec<u64> {
    let mut first = None;
    let mut buckets: Vec<u64> = Vec::new();
    for e in events {
        let f = *first.get_or_insert(e.t_ns);
        // Every second of the run gets a bucket, quiet ones too (SSE and WebSocket are
        // quiet after their first request, and that is the point).
        let i = ((e.t_ns - f) / 1_000_000_000) as usize;
        if buckets.len() <= i {
            buckets.resize(i + 1, 0);
        }
        if let EventKind::HttpRequest { .. } = e.kind {
            buckets[i] += 1;
        }
    }
    buckets
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn latency_stats(values: &mut [f64]) -> LatencyMs {
    values.sort_by(f64::total_cmp);
    if values.is_empty() {
        return LatencyMs::default();
    }
    LatencyMs {
        p50: percentile(values, 50.0),
        p95: percentile(values, 95.0),
        p99: percentile(values, 99.0),
        max: *values.last().unwrap_or(&0.0),
        mean: values.iter().sum::<f64>() / values.len() as f64,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rtclab_trace::{Actor, Dir, NewEvent, Preview, Recorder};

    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 95.0), 95.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn counts_come_from_events() {
        let r = Recorder::new();
        let x: Arc<str> = Arc::from("polling");
        let kind = |status| EventKind::HttpResponse {
            status,
            reason: String::new(),
            version: "HTTP/1.1".into(),
            headers: vec![],
            body_len: 0,
            body: Preview::default(),
            streaming: false,
        };
        let open = EventKind::TcpOpen { client_addr: "a".into(), server_addr: "b".into() };
        r.record(NewEvent::new(&x, Actor::Client(0), open).conn(1, Dir::ClientToServer));
        r.record(NewEvent::new(&x, Actor::Publisher, EventKind::MessagePublished { msg_id: 1, size: 3 }));
        let req = EventKind::HttpRequest {
            method: "GET".into(),
            target: "/".into(),
            version: "HTTP/1.1".into(),
            headers: vec![],
            body_len: 0,
            body: Preview::default(),
        };
        r.record(NewEvent::new(&x, Actor::Client(0), req).conn(1, Dir::ClientToServer).bytes(40, 0));
        r.record(NewEvent::new(&x, Actor::Server, kind(204)).conn(1, Dir::ServerToClient).bytes(30, 0));
        r.record(NewEvent::new(&x, Actor::Server, kind(200)).conn(1, Dir::ServerToClient).bytes(30, 20));
        for _ in 0..2 {
            let d = EventKind::MessageDelivered { msg_id: 1, latency_ns: 2_000_000, published: None };
            r.record(NewEvent::new(&x, Actor::Client(0), d));
        }
        let snap = r.snapshot();
        let m = compute("polling", snap.iter().map(|e| &**e));
        assert_eq!((m.published, m.delivered, m.duplicates), (1, 1, 1));
        assert_eq!((m.requests, m.empty_responses), (1, 1));
        assert_eq!((m.header_bytes, m.payload_bytes, m.bytes_on_wire), (100, 20, 120));
        assert_eq!(m.bytes_per_message, 120.0);
        assert_eq!(m.latency_ms.p50, 2.0);
        assert_eq!((m.connections_opened, m.peak_connections, m.open_connections), (1, 1, 1));
        assert_eq!(latencies_ms(snap.iter().map(|e| &**e)), vec![2.0], "the duplicate is not a second latency");
    }
}
