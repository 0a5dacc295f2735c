//! WebSocket endpoints: the chat room (`/ws`) and an echo service (`/echo`).
//!
//! Both answer protocol violations the way RFC 6455 asks: a close frame with 1002
//! (protocol error), 1007 (invalid UTF-8 in a text message) or 1009 (message too big), and
//! only that connection ends. The room pings every member on a heartbeat and drops a member
//! that stops answering.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::time::Instant;

use super::{MAX_MESSAGE_BYTES, ServerState};
use crate::message::PublishRequest;

/// Close codes the lab server sends (RFC 6455 §7.4.1; 4000 is in the application range).
pub mod close_code {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const PROTOCOL_ERROR: u16 = 1002;
    pub const UNSUPPORTED_DATA: u16 = 1003;
    pub const INVALID_PAYLOAD: u16 = 1007;
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    pub const HEARTBEAT_TIMEOUT: u16 = 4000;
}

/// How long to wait for the peer's close frame after sending ours.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

#[derive(Debug, Deserialize)]
pub struct RoomQuery {
    /// Resume after this history position (reconnecting members); default: only new messages.
    pub since: Option<u64>,
}

pub async fn room(State(st): State<ServerState>, Query(q): Query<RoomQuery>, ws: WebSocketUpgrade) -> Response {
    // Fix the starting point now, before the 101 goes out: a message published between the
    // handshake and the first read would otherwise be missed.
    let since = q.since.unwrap_or_else(|| st.hub.latest());
    limit(ws).on_upgrade(move |socket| run_room(st, socket, since))
}

pub async fn echo(State(st): State<ServerState>, ws: WebSocketUpgrade) -> Response {
    limit(ws).on_upgrade(move |socket| run_echo(st, socket))
}

pub(super) fn limit(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.max_message_size(MAX_MESSAGE_BYTES).max_frame_size(MAX_MESSAGE_BYTES)
}

async fn run_room(st: ServerState, socket: WebSocket, since: u64) {
    let (mut tx, mut rx) = socket.split();
    let mut last = since;
    let mut latest = st.hub.watch();
    let mut stopping = st.stopping.clone();
    let beat = st.config.ws_heartbeat;
    let mut heartbeat = tokio::time::interval_at(Instant::now() + beat, beat);
    let mut last_pong = Instant::now();
    // Deliver anything published between the handshake and now.
    latest.mark_changed();
    let ending: Option<(u16, &str)> = loop {
        tokio::select! {
            changed = latest.changed() => {
                if changed.is_err() { break Some((close_code::GOING_AWAY, "server shutting down")) }
                latest.borrow_and_update();
                for m in st.hub.since(last, super::MAX_BATCH) {
                    last = m.seq;
                    let text = serde_json::to_string(&*m).unwrap_or_default();
                    if tx.send(Message::Text(text.into())).await.is_err() { return }
                }
                if st.hub.latest() > last { latest.mark_changed(); }
            }
            incoming = rx.next() => match incoming {
                None => return,
                Some(Ok(Message::Text(text))) => {
                    match serde_json::from_str::<PublishRequest>(&text) {
                        Ok(req) => { st.hub.publish(req); }
                        Err(e) => {
                            let reply = serde_json::json!({ "error": format!("not a publish request: {e}") });
                            if tx.send(Message::Text(reply.to_string().into())).await.is_err() { return }
                        }
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    break Some((close_code::UNSUPPORTED_DATA, "the chat room takes text messages"));
                }
                Some(Ok(Message::Pong(_))) => last_pong = Instant::now(),
                Some(Ok(Message::Ping(_))) => {} // answered by the protocol layer
                Some(Ok(Message::Close(_))) => break None,
                Some(Err(e)) => break error_close(e),
            },
            _ = heartbeat.tick() => {
                if last_pong.elapsed() > beat * 2 + beat / 2 {
                    break Some((close_code::HEARTBEAT_TIMEOUT, "no pong to two heartbeats"));
                }
                if tx.send(Message::Ping(axum::body::Bytes::from_static(b"hb"))).await.is_err() { return }
            }
            _ = stopping.changed() => break Some((close_code::GOING_AWAY, "server shutting down")),
        }
    };
    let mut socket = match tx.reunite(rx) {
        Ok(s) => s,
        Err(_) => return,
    };
    finish(&mut socket, ending).await;
}

async fn run_echo(st: ServerState, mut socket: WebSocket) {
    let mut stopping = st.stopping.clone();
    let ending = loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                None => return,
                Some(Ok(m @ (Message::Text(_) | Message::Binary(_)))) => {
                    if socket.send(m).await.is_err() { return }
                }
                Some(Ok(Message::Close(_))) => break None,
                Some(Ok(_)) => {}
                Some(Err(e)) => break error_close(e),
            },
            _ = stopping.changed() => break Some((close_code::GOING_AWAY, "server shutting down")),
        }
    };
    finish(&mut socket, ending).await;
}

/// Ends a connection: sends our close frame if we start the closing handshake, then reads
/// until the peer's close arrives or the grace period ends (that read also flushes the
/// automatic reply when the peer started it).
pub(super) async fn finish(socket: &mut WebSocket, ours: Option<(u16, &str)>) {
    if let Some((code, reason)) = ours {
        let frame = CloseFrame { code, reason: reason.into() };
        if socket.send(Message::Close(Some(frame))).await.is_err() {
            return;
        }
    }
    let _ = tokio::time::timeout(CLOSE_GRACE, async { while let Some(Ok(_)) = socket.recv().await {} }).await;
}

/// The close code RFC 6455 prescribes for an error read from the peer, if any.
pub(super) fn error_close(e: axum::Error) -> Option<(u16, &'static str)> {
    use tokio_tungstenite::tungstenite::Error as WsError;
    let inner = e.into_inner();
    match inner.downcast_ref::<WsError>() {
        Some(WsError::Protocol(_)) => Some((close_code::PROTOCOL_ERROR, "protocol error")),
        Some(WsError::Utf8(_)) => Some((close_code::INVALID_PAYLOAD, "text message is not valid UTF-8")),
        Some(WsError::Capacity(_)) => Some((close_code::MESSAGE_TOO_BIG, "message too big")),
        _ => None,
    }
}
