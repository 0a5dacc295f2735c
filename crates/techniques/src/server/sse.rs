//! Server-Sent Events: a `text/event-stream` of published messages.
//!
//! The stream opens with a `retry` hint, then sends every message newer than the client's
//! `Last-Event-ID` (replay from the bounded history), then live messages, with keep-alive
//! comments while idle. Each event's `id` is the message's `seq`, so a reconnecting client
//! resumes exactly where it stopped.

use std::collections::VecDeque;
use std::convert::Infallible;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};

use super::ServerState;

pub async fn events(State(st): State<ServerState>, headers: HeaderMap) -> impl IntoResponse {
    let resume_after =
        headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    // A fresh client starts with what is published from now on; a returning one gets
    // everything after the last event it saw.
    let start = resume_after.unwrap_or_else(|| st.hub.latest());
    let keep_alive = KeepAlive::new().interval(st.config.sse_keep_alive).text("keep-alive");
    let first = Event::default().retry(st.config.sse_retry);
    Sse::new(message_stream(st, start, first)).keep_alive(keep_alive)
}

struct StreamState {
    st: ServerState,
    last: u64,
    pending: VecDeque<Event>,
    latest: tokio::sync::watch::Receiver<u64>,
}

fn message_stream(st: ServerState, last: u64, first: Event) -> impl Stream<Item = Result<Event, Infallible>> {
    let latest = st.hub.watch();
    let init = StreamState { st, last, pending: VecDeque::from([first]), latest };
    stream::unfold(init, |mut s| async move {
        loop {
            if let Some(ev) = s.pending.pop_front() {
                return Some((Ok(ev), s));
            }
            if *s.st.stopping.borrow() {
                return None;
            }
            s.latest.borrow_and_update();
            for m in s.st.hub.since(s.last, super::MAX_BATCH) {
                s.last = m.seq;
                let data = serde_json::to_string(&*m).unwrap_or_default();
                s.pending.push_back(Event::default().id(m.seq.to_string()).event("message").data(data));
            }
            if !s.pending.is_empty() {
                continue;
            }
            let mut stopping = s.st.stopping.clone();
            tokio::select! {
                changed = s.latest.changed() => if changed.is_err() { return None },
                _ = stopping.changed() => {},
            }
        }
    })
}
