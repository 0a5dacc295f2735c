//! The signalling relay, `GET /signal?room=R&peer=NAME`: what a WebRTC application's
//! signalling server does and no more. Two peers join a room over WebSocket; every text
//! message one sends is passed unchanged to the other member. The server does not read SDP
//! or candidates: WebRTC leaves signalling to the application, and the relay only checks
//! that a message is a JSON object with a `"type"` (the NAT lab's format is in
//! docs/signalling.md).
//!
//! A member is registered before the 101 goes out, so a message sent the moment the other
//! peer's handshake completes is not lost. Errors are answered, never guessed around: a bad
//! room or peer name is a 400, a full room or a name already taken a 409, a message that is
//! not a JSON object with a type gets `{"error":…}` back and is not forwarded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::mpsc;

use super::ServerState;
use super::websocket::{close_code, error_close, finish, limit};

/// Members of one room: a WebRTC call here is between two peers.
pub const ROOM_SIZE: usize = 2;
/// Longest room or peer name.
const NAME_MAX: usize = 64;

/// A room's members by peer name, each with the inbox of its connection.
type Members = HashMap<String, mpsc::UnboundedSender<String>>;

/// Who is in which room. Cheap to clone; clones share the rooms.
#[derive(Debug, Clone, Default)]
pub struct SignalRooms {
    rooms: Arc<Mutex<HashMap<String, Members>>>,
}

impl SignalRooms {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Members>> {
        self.rooms.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds `peer` to `room`; a member whose connection is gone no longer counts.
    fn join(&self, room: &str, peer: &str) -> Result<mpsc::UnboundedReceiver<String>, String> {
        let mut rooms = self.lock();
        let members = rooms.entry(room.to_owned()).or_default();
        members.retain(|_, tx| !tx.is_closed());
        if members.contains_key(peer) {
            return Err(format!("peer {peer:?} is already in room {room:?}; choose another name"));
        }
        if members.len() >= ROOM_SIZE {
            return Err(format!("room {room:?} already has {ROOM_SIZE} peers; use another room"));
        }
        let (tx, rx) = mpsc::unbounded_channel();
        members.insert(peer.to_owned(), tx);
        Ok(rx)
    }

    fn leave(&self, room: &str, peer: &str) {
        let mut rooms = self.lock();
        if let Some(members) = rooms.get_mut(room) {
            members.remove(peer);
            if members.is_empty() {
                rooms.remove(room);
            }
        }
    }

    /// Passes `text` to every other member of `room`; returns how many got it.
    fn relay(&self, room: &str, from: &str, text: &str) -> usize {
        let rooms = self.lock();
        let Some(members) = rooms.get(room) else { return 0 };
        members
            .iter()
            .filter(|(name, _)| name.as_str() != from)
            .filter(|(_, tx)| tx.send(text.to_owned()).is_ok())
            .count()
    }
}

#[derive(Debug, Deserialize)]
pub struct SignalQuery {
    pub room: Option<String>,
    pub peer: Option<String>,
}

fn check_name(what: &str, value: Option<&str>) -> Result<String, String> {
    let v = value.ok_or_else(|| format!("missing ?{what}=…; e.g. /signal?room=call-1&peer=A"))?;
    let ok = !v.is_empty()
        && v.len() <= NAME_MAX
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(v.to_owned())
    } else {
        Err(format!("{what} {v:?} must be 1 to {NAME_MAX} letters, digits, '-', '_' or '.'"))
    }
}

pub async fn signal(State(st): State<ServerState>, Query(q): Query<SignalQuery>, ws: WebSocketUpgrade) -> Response {
    let names = check_name("room", q.room.as_deref()).and_then(|r| Ok((r, check_name("peer", q.peer.as_deref())?)));
    let (room, peer) = match names {
        Ok(n) => n,
        Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    let inbox = match st.signal_rooms.join(&room, &peer) {
        Ok(rx) => rx,
        Err(e) => return (StatusCode::CONFLICT, e).into_response(),
    };
    limit(ws).on_upgrade(move |socket| run_member(st, socket, room, peer, inbox))
}

/// Whether `text` is a signalling message the relay passes on.
fn check_message(text: &str) -> Result<(), String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(o)) if o.get("type").is_some_and(|t| t.is_string()) => Ok(()),
        Ok(_) => Err("a signalling message is a JSON object with a string \"type\"".into()),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

async fn run_member(
    st: ServerState,
    socket: WebSocket,
    room: String,
    peer: String,
    mut inbox: mpsc::UnboundedReceiver<String>,
) {
    let (mut tx, mut rx) = socket.split();
    let mut stopping = st.stopping.clone();
    let ending: Option<(u16, &str)> = loop {
        tokio::select! {
            Some(text) = inbox.recv() => {
                if tx.send(Message::Text(text.into())).await.is_err() { break None }
            }
            incoming = rx.next() => match incoming {
                None => break None,
                Some(Ok(Message::Text(text))) => {
                    let reply = match check_message(&text) {
                        Ok(()) if st.signal_rooms.relay(&room, &peer, &text) == 0 => {
                            Some(format!("no other peer is in room {room:?} yet; the message was not delivered"))
                        }
                        Ok(()) => None,
                        Err(e) => Some(e),
                    };
                    if let Some(e) = reply {
                        let reply = serde_json::json!({ "error": e });
                        if tx.send(Message::Text(reply.to_string().into())).await.is_err() { break None }
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    break Some((close_code::UNSUPPORTED_DATA, "signalling messages are JSON text"));
                }
                Some(Ok(Message::Close(_))) => break None,
                Some(Ok(_)) => {}
                Some(Err(e)) => break error_close(e),
            },
            _ = stopping.changed() => break Some((close_code::GOING_AWAY, "server shutting down")),
        }
    };
    st.signal_rooms.leave(&room, &peer);
    if let Ok(mut socket) = tx.reunite(rx) {
        finish(&mut socket, ending).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_holds_two_named_peers_and_relays_to_the_other() {
        let rooms = SignalRooms::default();
        let mut a = rooms.join("r", "A").unwrap();
        assert!(rooms.join("r", "A").unwrap_err().contains("already in room"));
        let mut b = rooms.join("r", "B").unwrap();
        assert!(rooms.join("r", "C").unwrap_err().contains("already has 2 peers"));
        assert_eq!(rooms.relay("r", "A", "{\"type\":\"offer\"}"), 1);
        assert_eq!(b.try_recv().unwrap(), "{\"type\":\"offer\"}");
        assert!(a.try_recv().is_err(), "the sender does not get its own message");
        drop(b);
        // A member whose connection is gone frees its place.
        let _c = rooms.join("r", "C").unwrap();
        rooms.leave("r", "A");
        rooms.leave("r", "C");
        assert!(rooms.lock().is_empty());
    }

    #[test]
    fn names_and_messages_are_checked() {
        assert!(check_name("room", None).unwrap_err().contains("missing ?room"));
        assert!(check_name("peer", Some("a b")).unwrap_err().contains("letters, digits"));
        assert_eq!(check_name("peer", Some("peer-A.1")).unwrap(), "peer-A.1");
        assert!(check_message(r#"{"type":"offer","sdp":"v=0"}"#).is_ok());
        assert!(check_message(r#"{"sdp":"v=0"}"#).unwrap_err().contains("\"type\""));
        assert!(check_message("hello").unwrap_err().contains("not JSON"));
    }
}
