//! Polling: answer at once with whatever is new since `since`, or 204 when nothing is.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{MAX_BATCH, ServerState};
use crate::message::Batch;

#[derive(Debug, Deserialize)]
pub struct SinceQuery {
    #[serde(default)]
    pub since: u64,
}

pub async fn messages(State(st): State<ServerState>, Query(q): Query<SinceQuery>) -> Response {
    batch_or_empty(&st, q.since)
}

/// 200 with a batch of messages newer than `since`, or 204 No Content.
pub(super) fn batch_or_empty(st: &ServerState, since: u64) -> Response {
    let messages: Vec<_> = st.hub.since(since, MAX_BATCH).iter().map(|m| (**m).clone()).collect();
    match messages.last() {
        None => StatusCode::NO_CONTENT.into_response(),
        Some(last) => {
            let next = last.seq;
            Json(Batch { messages, next }).into_response()
        }
    }
}
