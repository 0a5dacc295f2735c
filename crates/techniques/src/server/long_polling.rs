//! Long polling: hold the request until a message newer than `since` exists or the timeout
//! passes (then 204, and the client asks again at once).

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::ServerState;
use super::polling::batch_or_empty;
use crate::workload::limits::MAX_LONG_POLL_TIMEOUT;

#[derive(Debug, Deserialize)]
pub struct PollQuery {
    #[serde(default)]
    pub since: u64,
    pub timeout_ms: Option<u64>,
}

pub async fn poll(State(st): State<ServerState>, Query(q): Query<PollQuery>) -> Response {
    let timeout = match q.timeout_ms {
        None => st.config.long_poll_default_timeout,
        Some(ms) if ms <= MAX_LONG_POLL_TIMEOUT.as_millis() as u64 => Duration::from_millis(ms),
        Some(ms) => {
            let msg = format!("timeout_ms={ms} is too long; use at most {}", MAX_LONG_POLL_TIMEOUT.as_millis());
            return (StatusCode::BAD_REQUEST, msg).into_response();
        }
    };
    // Subscribe before looking, so a publish between the look and the wait still wakes us.
    let mut latest = st.hub.watch();
    let mut stopping = st.stopping.clone();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if *latest.borrow_and_update() > q.since || *stopping.borrow() {
            return batch_or_empty(&st, q.since);
        }
        tokio::select! {
            changed = latest.changed() => if changed.is_err() { break },
            _ = stopping.changed() => {},
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    batch_or_empty(&st, q.since)
}
