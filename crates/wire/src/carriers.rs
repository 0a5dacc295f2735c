//! Which trace event carried each message to a lab client.
//!
//! A client knows it received a message; only the tap knows the bytes that brought it. The
//! tap records an event *before* it forwards the bytes, so by the time a client has parsed an
//! HTTP response, a dispatched SSE event or a complete WebSocket data message, the event that
//! describes it is on the trace. The tap queues the sequence numbers of those events per
//! connection and kind; the client, which reads the same bytes in the same order, takes the
//! next one for each response, event or message it parses. That links a delivery to its
//! carrier without the tap having to understand the lab's message format. Both ends hold the
//! connection's [`CarrierQueue`] (handed out by the directory once, at connect and accept), so
//! no shared table is locked per event.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use rtclab_trace::{Dir, EventKind};

/// Carriers kept per connection and kind; a client that never takes its carriers (one the
/// lab did not write) cannot make the queue grow without bound.
const MAX_QUEUED: usize = 1024;

/// The kinds of server-to-client event that can carry messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CarrierKind {
    /// A whole HTTP response (head and body), including an event stream's head.
    HttpResponse,
    /// An SSE event that was dispatched (had data).
    SseEvent,
    /// The final frame of a WebSocket text or binary message.
    WsMessage,
}

impl CarrierKind {
    /// The carrier kind of an event seen in direction `dir`, if it is one.
    pub fn of(kind: &EventKind, dir: Option<Dir>) -> Option<Self> {
        if dir != Some(Dir::ServerToClient) {
            return None;
        }
        match kind {
            EventKind::HttpResponse { .. } => Some(CarrierKind::HttpResponse),
            EventKind::SseEvent { dispatched: true, .. } => Some(CarrierKind::SseEvent),
            // Opcodes 0 (continuation), 1 (text) and 2 (binary); the final frame completes
            // the message the client's library hands over.
            EventKind::WsFrame { fin: true, opcode: 0..=2, .. } => Some(CarrierKind::WsMessage),
            _ => None,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One connection's carriers not yet taken by its client, shared by the tap (which pushes)
/// and the client (which takes).
#[derive(Debug, Clone, Default)]
pub struct CarrierQueue(Arc<Mutex<Carriers>>);

impl CarrierQueue {
    pub fn push(&self, kind: CarrierKind, seq: u64) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(kind, seq);
    }

    /// The oldest carrier of `kind` not yet taken.
    pub fn take(&self, kind: CarrierKind) -> Option<u64> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take(kind)
    }
}

/// One connection's carriers not yet taken by its client, oldest first.
#[derive(Debug, Default)]
struct Carriers {
    queues: [VecDeque<u64>; 3],
}

impl Carriers {
    fn push(&mut self, kind: CarrierKind, seq: u64) {
        let q = &mut self.queues[kind.index()];
        if q.len() == MAX_QUEUED {
            q.pop_front();
        }
        q.push_back(seq);
    }

    fn take(&mut self, kind: CarrierKind) -> Option<u64> {
        self.queues[kind.index()].pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtclab_trace::Preview;

    fn frame(fin: bool, opcode: u8) -> EventKind {
        EventKind::WsFrame {
            fin,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode,
            opcode_name: String::new(),
            masked: false,
            mask_key: None,
            payload_len: 0,
            payload: Preview::of(b"", 0),
            close_code: None,
            close_reason: None,
        }
    }

    #[test]
    fn only_server_to_client_message_carriers_count() {
        let down = Some(Dir::ServerToClient);
        assert_eq!(CarrierKind::of(&frame(true, 1), down), Some(CarrierKind::WsMessage));
        assert_eq!(CarrierKind::of(&frame(true, 0), down), Some(CarrierKind::WsMessage));
        assert_eq!(CarrierKind::of(&frame(false, 1), down), None, "a message's first fragment");
        assert_eq!(CarrierKind::of(&frame(true, 9), down), None, "a ping carries no message");
        assert_eq!(CarrierKind::of(&frame(true, 1), Some(Dir::ClientToServer)), None);
        let undispatched =
            EventKind::SseEvent { id: None, event: None, data: String::new(), retry_ms: None, dispatched: false };
        assert_eq!(CarrierKind::of(&undispatched, down), None);
    }

    #[test]
    fn taken_in_order_per_kind_and_bounded() {
        let mut c = Carriers::default();
        c.push(CarrierKind::HttpResponse, 3);
        c.push(CarrierKind::SseEvent, 4);
        c.push(CarrierKind::SseEvent, 5);
        assert_eq!(c.take(CarrierKind::SseEvent), Some(4));
        assert_eq!(c.take(CarrierKind::HttpResponse), Some(3));
        assert_eq!(c.take(CarrierKind::HttpResponse), None);
        for seq in 0..(MAX_QUEUED as u64 + 10) {
            c.push(CarrierKind::WsMessage, seq);
        }
        assert_eq!(c.take(CarrierKind::WsMessage), Some(10), "the oldest are dropped past the bound");
    }
}
