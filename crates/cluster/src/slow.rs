//! What a node does with a connection that reads slower than publications arrive.
//!
//! A connection's queue is its place in the node's fan-out ring (its `broadcast` receiver):
//! the publications the node has not yet written to it. While the client does not read, the
//! socket's kernel buffers fill, the node's write waits, and the queue grows. Once `limit`
//! publications wait, the policy applies:
//! - `Disconnect`: close with 1008 (policy violation) saying why; the client reconnects and
//!   recovers from its offset — the history replays what it missed, or it is told
//!   `recovered: false`.
//! - `DropOldest`: drop the oldest waiting publications until half the limit waits, and send a
//!   `gap` notice naming the offsets the client will never get: a loss it is told of, never a
//!   silent one.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// RFC 6455's close code for "a policy of the server was violated".
pub const POLICY_VIOLATION: u16 = 1008;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum SlowPolicy {
    #[default]
    Disconnect,
    DropOldest,
}

impl SlowPolicy {
    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SlowPolicy::Disconnect => "disconnect",
            SlowPolicy::DropOldest => "drop-oldest",
        }
    }

    pub fn parse(s: &str) -> Result<SlowPolicy, String> {
        match s {
            "disconnect" => Ok(SlowPolicy::Disconnect),
            "drop-oldest" => Ok(SlowPolicy::DropOldest),
            other => Err(format!("--slow-policy must be disconnect or drop-oldest, got {other:?}")),
        }
    }
}

/// A node's bound on each connection's queue, and what happens past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlowConsumer {
    /// Publications that may wait for one connection.
    pub limit: usize,
    pub policy: SlowPolicy,
}

/// Largest queue a node accepts (its fan-out ring holds this many).
pub const MAX_QUEUE: usize = crate::broker::FANOUT_CAPACITY / 2;

impl Default for SlowConsumer {
    fn default() -> Self {
        SlowConsumer { limit: 1024, policy: SlowPolicy::Disconnect }
    }
}

impl SlowConsumer {
    pub fn validate(&self) -> Result<(), String> {
        if !(2..=MAX_QUEUE).contains(&self.limit) {
            return Err(format!("--queue must be 2 to {MAX_QUEUE} publications, got {}", self.limit));
        }
        Ok(())
    }

    /// How many waiting publications to drop when `waiting` wait: none below the limit.
    pub fn to_drop(&self, waiting: usize) -> usize {
        if waiting < self.limit { 0 } else { waiting - self.limit / 2 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_back_to_half_the_limit_once_it_is_reached() {
        let s = SlowConsumer { limit: 10, policy: SlowPolicy::DropOldest };
        assert_eq!(s.to_drop(9), 0);
        assert_eq!(s.to_drop(10), 5);
        assert_eq!(s.to_drop(30), 25);
        assert!(SlowConsumer { limit: 1, ..s }.validate().unwrap_err().contains("--queue must be 2"));
        assert!(SlowPolicy::parse("nope").unwrap_err().contains("disconnect or drop-oldest"));
    }
}
