//! Workloads: what an experiment asks of a technique, validated up front.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The four server-push techniques.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Technique {
    Polling,
    LongPolling,
    Sse,
    Websocket,
}

impl Technique {
    pub const ALL: [Technique; 4] = [Technique::Polling, Technique::LongPolling, Technique::Sse, Technique::Websocket];

    pub fn as_str(self) -> &'static str {
        match self {
            Technique::Polling => "polling",
            Technique::LongPolling => "long-polling",
            Technique::Sse => "sse",
            Technique::Websocket => "websocket",
        }
    }
}

impl fmt::Display for Technique {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Technique {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "polling" | "poll" => Ok(Technique::Polling),
            "long-polling" | "long-poll" | "longpolling" => Ok(Technique::LongPolling),
            "sse" | "server-sent-events" => Ok(Technique::Sse),
            "websocket" | "websockets" | "ws" => Ok(Technique::Websocket),
            other => Err(Error::UnknownTechnique(other.to_owned())),
        }
    }
}

/// Who sends the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// The server's publisher broadcasts to every client (notifications, feeds, tickers).
    Down,
    /// Clients publish and the server relays to every other client (chat, collaboration).
    Both,
}

impl FromStr for Direction {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "down" | "server-to-client" => Ok(Direction::Down),
            "both" | "bidirectional" => Ok(Direction::Both),
            other => Err(Error::InvalidWorkload {
                flag: "--direction",
                message: format!("{other:?} is not a direction; use `down` or `both`"),
            }),
        }
    }
}

/// Limits a workload must respect (documented in `rtc-lab run --help`).
pub mod limits {
    use std::time::Duration;
    pub const MAX_CLIENTS: u32 = 1000;
    pub const MAX_RATE: f64 = 10_000.0;
    pub const MAX_PAYLOAD: usize = 64 * 1024;
    pub const MAX_DURATION: Duration = Duration::from_secs(600);
    pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(10);
    pub const MAX_LONG_POLL_TIMEOUT: Duration = Duration::from_secs(120);
    pub const MIN_HEARTBEAT: Duration = Duration::from_millis(100);
    pub const MAX_HEARTBEAT: Duration = Duration::from_secs(60);
    pub const MAX_TOKEN_DELAY: Duration = Duration::from_secs(2);
    /// Deliveries (messages × clients) one run may aim for, to bound memory.
    pub const MAX_DELIVERIES: f64 = 2_000_000.0;
}

/// What an experiment runs: the same workload is given to each technique under comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    pub clients: u32,
    /// Messages published per second, in total.
    pub rate: f64,
    /// Bytes of message body.
    pub payload: usize,
    /// How long messages are published.
    pub duration: Duration,
    pub direction: Direction,
    /// Seeds payloads, client start phases and publisher choice.
    pub seed: u64,
    /// Polling interval of the polling technique.
    pub poll_interval: Duration,
    /// How long the long-polling server holds an empty request.
    pub long_poll_timeout: Duration,
    /// Interval of the server's heartbeats: WebSocket pings and SSE keep-alive comments.
    #[serde(default = "default_heartbeat")]
    pub heartbeat: Duration,
    /// Fault injection: the tap cuts every open connection this long after publishing
    /// starts, as a dropped mobile network or a restarted proxy would.
    #[serde(default)]
    pub cut_at: Option<Duration>,
    /// Instead of published messages, each SSE client asks the server for an AI-style answer
    /// streamed token by token (`/chat/stream`), this long between tokens, and stops at the
    /// `[DONE]` marker. Nothing is published, so nothing is delivered.
    #[serde(default)]
    pub answer_token_delay: Option<Duration>,
}

fn default_heartbeat() -> Duration {
    Duration::from_secs(5)
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            clients: 10,
            rate: 5.0,
            payload: 64,
            duration: Duration::from_secs(5),
            direction: Direction::Down,
            seed: 1,
            poll_interval: Duration::from_secs(1),
            long_poll_timeout: Duration::from_secs(25),
            heartbeat: default_heartbeat(),
            cut_at: None,
            answer_token_delay: None,
        }
    }
}

impl Workload {
    /// Checks every parameter; the error names the flag and the allowed range.
    pub fn validate(&self) -> Result<()> {
        use limits::*;
        let bad = |flag, message: String| Err(Error::InvalidWorkload { flag, message });
        if self.clients == 0 || self.clients > MAX_CLIENTS {
            return bad("--clients", format!("{} is out of range; use 1 to {MAX_CLIENTS}", self.clients));
        }
        if !self.rate.is_finite() || self.rate <= 0.0 || self.rate > MAX_RATE {
            return bad(
                "--rate",
                format!("{} messages/s is out of range; use a number above 0 and at most {MAX_RATE}", self.rate),
            );
        }
        if self.payload > MAX_PAYLOAD {
            return bad("--payload", format!("{} bytes is over the limit of {MAX_PAYLOAD} bytes", self.payload));
        }
        if self.duration.is_zero() || self.duration > MAX_DURATION {
            return bad(
                "--duration",
                format!("{:?} is out of range; use more than 0 and at most {}s", self.duration, MAX_DURATION.as_secs()),
            );
        }
        if self.poll_interval < MIN_POLL_INTERVAL || self.poll_interval > MAX_DURATION {
            return bad(
                "--poll-interval",
                format!(
                    "{:?} is out of range; use {}ms to {}s",
                    self.poll_interval,
                    MIN_POLL_INTERVAL.as_millis(),
                    MAX_DURATION.as_secs()
                ),
            );
        }
        if self.long_poll_timeout < Duration::from_millis(100) || self.long_poll_timeout > MAX_LONG_POLL_TIMEOUT {
            return bad(
                "--long-poll-timeout",
                format!(
                    "{:?} is out of range; use 100ms to {}s",
                    self.long_poll_timeout,
                    MAX_LONG_POLL_TIMEOUT.as_secs()
                ),
            );
        }
        if self.heartbeat < MIN_HEARTBEAT || self.heartbeat > MAX_HEARTBEAT {
            return bad(
                "--heartbeat",
                format!(
                    "{:?} is out of range; use {}ms to {}s",
                    self.heartbeat,
                    MIN_HEARTBEAT.as_millis(),
                    MAX_HEARTBEAT.as_secs()
                ),
            );
        }
        if let Some(at) = self.cut_at
            && (at.is_zero() || at >= self.duration)
        {
            return bad(
                "--cut-at",
                format!("{at:?} is not inside the run; use a time after 0 and before --duration ({:?})", self.duration),
            );
        }
        if let Some(delay) = self.answer_token_delay {
            if delay.is_zero() || delay > MAX_TOKEN_DELAY {
                return bad(
                    "--answer-token-delay",
                    format!("{delay:?} is out of range; use more than 0 and at most {}s", MAX_TOKEN_DELAY.as_secs()),
                );
            }
            if self.direction == Direction::Both {
                return bad("--direction", "a streamed answer goes one way; use direction `down`".into());
            }
        }
        if self.direction == Direction::Both && self.clients < 2 {
            return bad(
                "--clients",
                "direction `both` needs at least 2 clients (one sends, the others receive)".into(),
            );
        }
        let deliveries = self.messages() as f64 * f64::from(self.clients);
        if deliveries > MAX_DELIVERIES {
            return bad(
                "--duration",
                format!(
                    "this workload aims at {deliveries:.0} deliveries (rate × duration × clients), over the limit of {MAX_DELIVERIES}; lower --rate, --duration or --clients"
                ),
            );
        }
        Ok(())
    }

    /// Number of messages the run publishes: at least one, none when clients stream an
    /// answer instead.
    pub fn messages(&self) -> u64 {
        if self.answer_token_delay.is_some() {
            return 0;
        }
        ((self.rate * self.duration.as_secs_f64()).round() as u64).max(1)
    }

    /// Deliveries a lossless technique achieves: every message reaches every client except
    /// its sender.
    pub fn expected_deliveries(&self) -> u64 {
        let receivers = match self.direction {
            Direction::Down => self.clients,
            Direction::Both => self.clients - 1,
        };
        self.messages() * u64::from(receivers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        Workload::default().validate().unwrap();
    }

    #[test]
    fn errors_name_the_flag() {
        let cases: Vec<(Workload, &str)> = vec![
            (Workload { clients: 0, ..Default::default() }, "--clients"),
            (Workload { rate: -1.0, ..Default::default() }, "--rate"),
            (Workload { rate: f64::NAN, ..Default::default() }, "--rate"),
            (Workload { payload: 1 << 20, ..Default::default() }, "--payload"),
            (Workload { duration: Duration::ZERO, ..Default::default() }, "--duration"),
            (Workload { poll_interval: Duration::from_millis(1), ..Default::default() }, "--poll-interval"),
            (Workload { direction: Direction::Both, clients: 1, ..Default::default() }, "--clients"),
            (Workload { heartbeat: Duration::from_millis(1), ..Default::default() }, "--heartbeat"),
            (Workload { cut_at: Some(Duration::from_secs(5)), ..Default::default() }, "--cut-at"),
            (Workload { cut_at: Some(Duration::ZERO), ..Default::default() }, "--cut-at"),
            (
                Workload { answer_token_delay: Some(Duration::from_secs(3)), ..Default::default() },
                "--answer-token-delay",
            ),
            (
                Workload {
                    answer_token_delay: Some(Duration::from_millis(40)),
                    direction: Direction::Both,
                    ..Default::default()
                },
                "--direction",
            ),
        ];
        for (w, flag) in cases {
            let err = w.validate().unwrap_err().to_string();
            assert!(err.contains(flag), "{err} should name {flag}");
        }
    }

    #[test]
    fn a_streamed_answer_publishes_nothing() {
        let w = Workload { answer_token_delay: Some(Duration::from_millis(40)), ..Default::default() };
        w.validate().unwrap();
        assert_eq!((w.messages(), w.expected_deliveries()), (0, 0));
    }

    #[test]
    fn techniques_parse_with_aliases_and_reject_unknown() {
        assert_eq!("ws".parse::<Technique>().unwrap(), Technique::Websocket);
        assert_eq!("Long-Polling".parse::<Technique>().unwrap(), Technique::LongPolling);
        let err = "carrier-pigeon".parse::<Technique>().unwrap_err().to_string();
        assert!(err.contains("polling, long-polling, sse, websocket"), "{err}");
    }

    #[test]
    fn expected_deliveries_exclude_the_sender() {
        let w = Workload { clients: 4, rate: 10.0, duration: Duration::from_secs(2), ..Default::default() };
        assert_eq!(w.expected_deliveries(), 80);
        let w = Workload { direction: Direction::Both, ..w };
        assert_eq!(w.expected_deliveries(), 60);
    }
}
