//! The application message every technique carries, and its JSON form on the wire.

use serde::{Deserialize, Serialize};

/// One published message. `seq` is its position in the server's history (what `since`,
/// `Last-Event-ID` and replay refer to); `id` identifies it in the trace across publisher
/// and clients; `t` is the publish time in trace nanoseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub seq: u64,
    pub id: u64,
    /// Who published it: `null` for the server's publisher, a client number otherwise.
    pub from: Option<u32>,
    pub t: u64,
    pub body: String,
}

/// What a client sends to publish (HTTP POST body or WebSocket text message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishRequest {
    pub id: u64,
    pub from: Option<u32>,
    pub t: u64,
    pub body: String,
}

/// A polling or long-polling response body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Batch {
    pub messages: Vec<Message>,
    /// Pass this as `since` next time.
    pub next: u64,
}

/// A body of `len` printable characters chosen by `rng`, so payloads are not trivially
/// compressible and the same seed gives the same bytes.
pub fn body_of_len(len: usize, rng: &mut impl rand::Rng) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..len).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}
