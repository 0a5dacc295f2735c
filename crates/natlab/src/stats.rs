//! The candidate-pair table a learner knows from chrome://webrtc-internals, built from what
//! the ICE agent actually wrote and read: every datagram between the peer connection and the
//! network passes through `PairTracker`, which counts connectivity checks (STUN Binding
//! requests) and their answers per (local base, remote) pair, their round-trip time, the
//! nomination (USE-CANDIDATE answered), and the bytes of everything else. `rtc`'s own
//! statistics only cover the selected pair; the wire covers them all. States the agent keeps
//! to itself (frozen, waiting) never touch the wire, so a row appears with its first check.
//! `on_write`/`on_read` return the row they touched and whether its checks, answers, state
//! or nomination changed (bytes alone do not count as a change worth an event).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use rtc::stun::attributes::{ATTR_PRIORITY, ATTR_USE_CANDIDATE};
use rtc::stun::message::{CLASS_ERROR_RESPONSE, CLASS_REQUEST, CLASS_SUCCESS_RESPONSE, METHOD_BINDING};
use serde::Serialize;

use crate::classify;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairRow {
    pub local: SocketAddr,
    pub local_type: String,
    pub remote: SocketAddr,
    pub remote_type: String,
    /// in-progress, succeeded, failed.
    pub state: String,
    pub nominated: bool,
    pub requests_sent: u64,
    pub responses_received: u64,
    pub requests_received: u64,
    pub responses_sent: u64,
    /// Round trip of the last answered check, milliseconds (0 before the first answer).
    pub rtt_ms: f64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// RFC 8445 / `rtc`'s default: a pair whose checks go unanswered this many times has failed.
pub const MAX_UNANSWERED: u64 = 7;

/// A connectivity check: a Binding request carrying ICE's PRIORITY (a plain STUN request to a
/// server has none).
fn is_check(m: &rtc::stun::message::Message) -> bool {
    m.typ.method == METHOD_BINDING && m.typ.class == CLASS_REQUEST && m.contains(ATTR_PRIORITY)
}

#[derive(Debug, Default)]
pub struct PairTracker {
    rows: Vec<PairRow>,
    /// Outstanding checks: transaction id → (row, sent at, carried USE-CANDIDATE).
    sent: HashMap<[u8; 12], (usize, Duration, bool)>,
    /// Checks received and not yet answered: transaction id → (row, carried USE-CANDIDATE).
    received: HashMap<[u8; 12], (usize, bool)>,
}

impl PairTracker {
    fn row(&mut self, local: SocketAddr, remote: SocketAddr) -> usize {
        if let Some(i) = self.rows.iter().position(|r| r.local == local && r.remote == remote) {
            return i;
        }
        self.rows.push(PairRow {
            local,
            local_type: String::new(),
            remote,
            remote_type: String::new(),
            state: "in-progress".into(),
            nominated: false,
            requests_sent: 0,
            responses_received: 0,
            requests_received: 0,
            responses_sent: 0,
            rtt_ms: 0.0,
            bytes_sent: 0,
            bytes_received: 0,
        });
        self.rows.len() - 1
    }

    /// The agent wrote `bytes` from `local` to `remote`; returns the row that changed.
    pub fn on_write(
        &mut self,
        now: Duration,
        local: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
    ) -> Option<(usize, bool)> {
        let i = self.row(local, remote);
        match classify::stun(bytes) {
            Some(m) if is_check(&m) => {
                self.sent.insert(m.transaction_id.0, (i, now, m.contains(ATTR_USE_CANDIDATE)));
                let r = &mut self.rows[i];
                r.requests_sent += 1;
                if r.responses_received == 0 && r.requests_sent >= MAX_UNANSWERED {
                    r.state = "failed".into();
                }
            }
            Some(m) if m.typ.method == METHOD_BINDING && m.typ.class == CLASS_SUCCESS_RESPONSE => {
                let r = &mut self.rows[i];
                r.responses_sent += 1;
                if let Some((_, use_candidate)) = self.received.remove(&m.transaction_id.0)
                    && use_candidate
                {
                    r.nominated = true;
                }
            }
            Some(_) => return None,
            None => {
                self.rows[i].bytes_sent += bytes.len() as u64;
                return Some((i, false));
            }
        }
        Some((i, true))
    }

    /// The agent read `bytes` at `local` from `remote`; returns the row that changed.
    pub fn on_read(
        &mut self,
        now: Duration,
        local: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
    ) -> Option<(usize, bool)> {
        match classify::stun(bytes) {
            Some(m) if is_check(&m) => {
                let i = self.row(local, remote);
                self.received.insert(m.transaction_id.0, (i, m.contains(ATTR_USE_CANDIDATE)));
                self.rows[i].requests_received += 1;
                Some((i, true))
            }
            Some(m)
                if m.typ.method == METHOD_BINDING
                    && (m.typ.class == CLASS_SUCCESS_RESPONSE || m.typ.class == CLASS_ERROR_RESPONSE) =>
            {
                let (i, at, use_candidate) = self.sent.remove(&m.transaction_id.0)?;
                let r = &mut self.rows[i];
                if m.typ.class == CLASS_SUCCESS_RESPONSE && remote == r.remote {
                    r.responses_received += 1;
                    r.rtt_ms = now.saturating_sub(at).as_secs_f64() * 1000.0;
                    r.state = "succeeded".into();
                    r.nominated |= use_candidate;
                }
                Some((i, true))
            }
            Some(_) => None,
            None => {
                let i = self.rows.iter().position(|r| r.local == local && r.remote == remote)?;
                self.rows[i].bytes_received += bytes.len() as u64;
                Some((i, false))
            }
        }
    }

    pub fn rows(&self) -> &[PairRow] {
        &self.rows
    }

    pub fn row_at(&self, i: usize) -> &PairRow {
        &self.rows[i]
    }

    /// Fills in the candidate types once the caller knows them.
    pub fn set_types(&mut self, i: usize, local_type: &str, remote_type: &str) {
        let r = &mut self.rows[i];
        r.local_type = local_type.to_string();
        r.remote_type = remote_type.to_string();
    }
}
