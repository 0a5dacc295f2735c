//! Metric paths: how predictions and challenges name a measured figure.
//!
//! A [`Metric`] names one figure of [`Metrics`] (`requests`, `latency_ms.p50`) or a figure
//! derived from them (`empty_share`, `requests_per_message`, `header_share`). A
//! [`MetricPath`] adds the technique in front (`polling.empty_share`) so a prediction can
//! point into the results of a run of several techniques. Predictions and challenges both
//! resolve values here, so they read a figure the same way.
//!
//! Figures that have no meaning for a run return NaN, which fails every comparison: the
//! latency and per-message figures when nothing was delivered, the shares when their
//! denominator is zero. A challenge cannot be passed by delivering nothing.

use std::fmt;
use std::str::FromStr;

use rtclab_techniques::{Metrics, Technique};
use serde::{Serialize, Serializer};

use crate::{Error, Result};

macro_rules! metrics {
    ($($variant:ident => $name:literal, $column:literal, $about:literal;)*) => {
        /// One measured or derived figure of a technique's run.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Metric { $($variant),* }

        impl Metric {
            /// Every metric, in the order of `docs/lesson-format.md`.
            pub const ALL: &'static [Metric] = &[$(Metric::$variant),*];

            /// The name lesson files use.
            pub fn name(self) -> &'static str {
                match self { $(Metric::$variant => $name),* }
            }

            /// What the figure means, in a few words.
            pub fn about(self) -> &'static str {
                match self { $(Metric::$variant => $about),* }
            }

            /// The figure's short human name, as a result table's column heading.
            pub fn column(self) -> &'static str {
                match self { $(Metric::$variant => $column),* }
            }
        }
    };
}

metrics! {
    Published => "published", "published", "messages published";
    Delivered => "delivered", "delivered", "messages received by clients (each client counts)";
    Duplicates => "duplicates", "duplicates", "deliveries of a message a client already had";
    Requests => "requests", "requests", "HTTP requests sent";
    EmptyResponses => "empty_responses", "empty answers", "responses without a message (HTTP 204)";
    BytesOnWire => "bytes_on_wire", "bytes on the wire", "bytes on the wire, both ways";
    HeaderBytes => "header_bytes", "header bytes", "bytes of framing: HTTP heads, SSE field names, frame headers";
    PayloadBytes => "payload_bytes", "payload bytes", "bytes of application data";
    BytesPerMessage => "bytes_per_message", "bytes per message", "bytes on the wire per delivered message";
    LatencyP50 => "latency_ms.p50", "median delay", "median delivery delay, ms";
    LatencyP95 => "latency_ms.p95", "95th pct delay", "95th percentile delivery delay, ms";
    LatencyP99 => "latency_ms.p99", "99th pct delay", "99th percentile delivery delay, ms";
    LatencyMax => "latency_ms.max", "longest delay", "longest delivery delay, ms";
    LatencyMean => "latency_ms.mean", "mean delay", "mean delivery delay, ms";
    ConnectionsOpened => "connections_opened", "connections opened", "TCP connections opened";
    PeakConnections => "peak_connections", "most open at once", "most TCP connections open at once";
    WsFrames => "ws_frames", "WebSocket frames", "WebSocket frames";
    SseEvents => "sse_events", "SSE events", "SSE events";
    WsPings => "ws_pings", "pings", "WebSocket ping frames (heartbeats)";
    WsPongs => "ws_pongs", "pongs", "WebSocket pong frames (answers to pings)";
    SseComments => "sse_comments", "keep-alive comments", "SSE comment lines (keep-alives)";
    ResumedRequests => "resumed_requests", "resumed with Last-Event-ID", "requests resuming a stream with Last-Event-ID";
    ProtocolErrors => "protocol_errors", "protocol errors", "bytes that broke a protocol";
    DurationS => "duration_s", "run time", "seconds from the first to the last event";
    RequestsPerSecond => "requests_per_second", "requests per second", "HTTP requests per second";
    EmptyShare => "empty_share", "share of empty answers", "empty responses / requests (0 to 1)";
    RequestsPerMessage => "requests_per_message", "requests per message", "requests / delivered messages";
    HeaderShare => "header_share", "share of header bytes", "header bytes / bytes on the wire (0 to 1)";
}

impl Metric {
    /// A value of this figure for a result table: with its unit, rounded as a reader needs.
    pub fn format(self, v: f64) -> String {
        use Metric::*;
        if !v.is_finite() {
            return "–".into();
        }
        match self {
            LatencyP50 | LatencyP95 | LatencyP99 | LatencyMax | LatencyMean => {
                if v < 10.0 {
                    format!("{v:.1} ms")
                } else {
                    format!("{v:.0} ms")
                }
            }
            BytesOnWire | HeaderBytes | PayloadBytes | BytesPerMessage => format!("{v:.0} B"),
            EmptyShare | HeaderShare => format!("{:.0} %", v * 100.0),
            DurationS => format!("{v:.1} s"),
            RequestsPerSecond | RequestsPerMessage => format!("{v:.2}"),
            _ => format!("{v:.0}"),
        }
    }

    /// Every metric name, for hints.
    pub fn names() -> Vec<&'static str> {
        Metric::ALL.iter().map(|m| m.name()).collect()
    }

    /// Whether the figure is computed here from other figures rather than read from
    /// [`Metrics`].
    pub fn is_derived(self) -> bool {
        matches!(self, Metric::EmptyShare | Metric::RequestsPerMessage | Metric::HeaderShare)
    }

    /// The figure in `m` (NaN when it has no meaning for the run, see the module docs).
    pub fn value(self, m: &Metrics) -> f64 {
        let ratio = |a: u64, b: u64| if b == 0 { f64::NAN } else { a as f64 / b as f64 };
        let delivered = |v: f64| if m.delivered == 0 { f64::NAN } else { v };
        match self {
            Metric::Published => m.published as f64,
            Metric::Delivered => m.delivered as f64,
            Metric::Duplicates => m.duplicates as f64,
            Metric::Requests => m.requests as f64,
            Metric::EmptyResponses => m.empty_responses as f64,
            Metric::BytesOnWire => m.bytes_on_wire as f64,
            Metric::HeaderBytes => m.header_bytes as f64,
            Metric::PayloadBytes => m.payload_bytes as f64,
            Metric::BytesPerMessage => delivered(m.bytes_per_message),
            Metric::LatencyP50 => delivered(m.latency_ms.p50),
            Metric::LatencyP95 => delivered(m.latency_ms.p95),
            Metric::LatencyP99 => delivered(m.latency_ms.p99),
            Metric::LatencyMax => delivered(m.latency_ms.max),
            Metric::LatencyMean => delivered(m.latency_ms.mean),
            Metric::ConnectionsOpened => m.connections_opened as f64,
            Metric::PeakConnections => m.peak_connections as f64,
            Metric::WsFrames => m.ws_frames as f64,
            Metric::SseEvents => m.sse_events as f64,
            Metric::WsPings => m.ws_pings as f64,
            Metric::WsPongs => m.ws_pongs as f64,
            Metric::SseComments => m.sse_comments as f64,
            Metric::ResumedRequests => m.resumed_requests as f64,
            Metric::ProtocolErrors => m.protocol_errors as f64,
            Metric::DurationS => m.duration_s,
            Metric::RequestsPerSecond => m.requests_per_second,
            Metric::EmptyShare => ratio(m.empty_responses, m.requests),
            Metric::RequestsPerMessage => ratio(m.requests, m.delivered),
            Metric::HeaderShare => ratio(m.header_bytes, m.bytes_on_wire),
        }
    }
}

impl FromStr for Metric {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Metric::ALL
            .iter()
            .copied()
            .find(|m| m.name() == s)
            .ok_or_else(|| Error::UnknownMetric { name: s.to_owned(), known: Metric::names().join(", ") })
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// A technique and one of its figures: `polling.requests`, `websocket.latency_ms.p50`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MetricPath {
    pub technique: Technique,
    pub metric: Metric,
}

impl MetricPath {
    /// The figure in `results` (one [`Metrics`] per technique of a run).
    pub fn resolve(&self, results: &[Metrics]) -> Result<f64> {
        metrics_of(results, self.technique).map(|m| self.metric.value(m))
    }
}

impl FromStr for MetricPath {
    type Err = Error;
    /// Parses `technique.metric`; the technique is one of the four ids exactly.
    fn from_str(s: &str) -> Result<Self> {
        let (t, m) = s.split_once('.').ok_or_else(|| Error::UnknownMetric {
            name: s.to_owned(),
            known: "a technique, a dot and a metric, as in polling.requests".into(),
        })?;
        Ok(MetricPath { technique: technique_id(t)?, metric: m.parse()? })
    }
}

impl fmt::Display for MetricPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.technique, self.metric)
    }
}

impl Serialize for MetricPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The measurements of `technique` among `results`.
pub fn metrics_of(results: &[Metrics], technique: Technique) -> Result<&Metrics> {
    results.iter().find(|m| m.technique == technique.as_str()).ok_or(Error::MissingResults(technique))
}

/// A technique from its exact id (`polling`, `long-polling`, `sse`, `websocket`); lesson
/// files use the ids only, not the command line's aliases.
pub fn technique_id(s: &str) -> Result<Technique> {
    Technique::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| Error::UnknownTechnique(s.to_owned()))
}

/// The four technique ids, for hints.
pub const TECHNIQUE_IDS: [&str; 4] = ["polling", "long-polling", "sse", "websocket"];

#[cfg(test)]
mod tests {
    use rtclab_techniques::metrics::LatencyMs;

    use super::*;

    fn sample(technique: &str) -> Metrics {
        Metrics {
            technique: technique.into(),
            published: 4,
            delivered: 20,
            requests: 80,
            empty_responses: 60,
            header_bytes: 900,
            payload_bytes: 100,
            bytes_on_wire: 1000,
            bytes_per_message: 50.0,
            latency_ms: LatencyMs { p50: 120.0, p95: 240.0, p99: 245.0, max: 249.0, mean: 125.0 },
            ..Default::default()
        }
    }

    #[test]
    fn paths_resolve_plain_nested_and_derived_figures() {
        let results = [sample("polling"), sample("long-polling")];
        let v = |p: &str| p.parse::<MetricPath>().unwrap().resolve(&results).unwrap();
        assert_eq!(v("polling.requests"), 80.0);
        assert_eq!(v("polling.empty_responses"), 60.0);
        assert_eq!(v("polling.latency_ms.p50"), 120.0);
        assert_eq!(v("long-polling.bytes_per_message"), 50.0);
        assert_eq!(v("polling.empty_share"), 0.75);
        assert_eq!(v("long-polling.requests_per_message"), 4.0);
        assert_eq!(v("polling.header_share"), 0.9);
    }

    #[test]
    fn bad_paths_are_refused_with_the_known_names() {
        for bad in ["polling", "polling.requets", "ws.requests", "carrier-pigeon.requests", "polling.latency_ms"] {
            assert!(bad.parse::<MetricPath>().is_err(), "{bad}");
        }
        let err = "polling.requets".parse::<MetricPath>().unwrap_err().to_string();
        assert!(err.contains("empty_share"), "{err}");
    }

    #[test]
    fn missing_technique_is_an_error() {
        let p: MetricPath = "sse.requests".parse().unwrap();
        assert!(matches!(p.resolve(&[sample("polling")]), Err(Error::MissingResults(Technique::Sse))));
    }

    #[test]
    fn meaningless_figures_are_nan() {
        let m = Metrics { technique: "polling".into(), ..Default::default() };
        assert!(Metric::LatencyP95.value(&m).is_nan());
        assert!(Metric::EmptyShare.value(&m).is_nan());
        assert!(Metric::BytesPerMessage.value(&m).is_nan());
        assert_eq!(Metric::Delivered.value(&m), 0.0);
    }

    #[test]
    fn every_name_round_trips() {
        for m in Metric::ALL {
            assert_eq!(m.name().parse::<Metric>().unwrap(), *m);
        }
    }
}
