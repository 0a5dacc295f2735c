//! Trace event types.
//!
//! A [`TraceEvent`] is one observation: a TCP connection opened, an HTTP request seen on the
//! wire, an SSE event parsed from a response body, a WebSocket frame, a message published by
//! the server or delivered to a client. Wire events carry the bytes they occupied on the
//! socket, split into header (framing) and payload bytes, so totals can be checked against
//! socket counters.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Who produced or observed an event. Lanes on the timeline are actors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(tag = "role", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// Lab client number N (numbered from 0 within an experiment).
    Client(u32),
    /// A client the lab did not start (a browser, curl, the user's own program).
    External,
    /// The server of the technique under test.
    Server,
    /// The tapping proxy between clients and the server.
    Tap,
    /// The server-side publisher that drives a workload.
    Publisher,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Client(n) => write!(f, "client {n}"),
            Actor::External => f.write_str("external"),
            Actor::Server => f.write_str("server"),
            Actor::Tap => f.write_str("tap"),
            Actor::Publisher => f.write_str("publisher"),
        }
    }
}

/// Direction of bytes on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Dir {
    ClientToServer,
    ServerToClient,
}

/// Bytes an event occupied on the wire. `header` is framing (HTTP start line and headers,
/// chunk-size lines, SSE field names, WebSocket frame headers); `payload` is application data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WireBytes {
    #[ts(type = "number")]
    pub header: u64,
    #[ts(type = "number")]
    pub payload: u64,
}

impl WireBytes {
    pub const ZERO: WireBytes = WireBytes { header: 0, payload: 0 };

    pub fn new(header: u64, payload: u64) -> Self {
        Self { header, payload }
    }

    pub fn total(&self) -> u64 {
        self.header + self.payload
    }
}

/// One HTTP header as seen on the wire (name case preserved).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Header {
    pub name: String,
    pub value: String,
}

impl Header {
    /// The value of the first header named `name` (case-insensitive), as HTTP compares names.
    pub fn find<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
        headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
    }
}

/// The first bytes of a payload. Text when they are valid UTF-8, hex otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Preview {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub hex: Option<String>,
    /// The payload was longer than the preview.
    #[serde(default)]
    pub truncated: bool,
}

impl Preview {
    /// Default number of payload bytes kept in a preview.
    pub const LIMIT: usize = 256;

    /// Preview of `bytes`, of which `total_len` were on the wire.
    pub fn of(bytes: &[u8], total_len: u64) -> Self {
        let kept = &bytes[..bytes.len().min(Self::LIMIT)];
        let truncated = (kept.len() as u64) < total_len;
        match std::str::from_utf8(kept) {
            Ok(s) => Preview { text: Some(s.to_owned()), hex: None, truncated },
            // A multi-byte character cut by the limit is still text.
            Err(e) if truncated && e.error_len().is_none() && e.valid_up_to() > 0 => Preview {
                text: Some(String::from_utf8_lossy(&kept[..e.valid_up_to()]).into_owned()),
                hex: None,
                truncated,
            },
            Err(_) => Preview { text: None, hex: Some(to_hex(kept)), truncated },
        }
    }

    pub fn is_empty(&self) -> bool {
        self.text.as_deref().is_none_or(str::is_empty) && self.hex.is_none()
    }
}

fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// The tap accepted a connection and opened its own to the server.
    TcpOpen { client_addr: String, server_addr: String },
    /// A connection ended; counters are the bytes the tap forwarded each way.
    TcpClose {
        #[ts(type = "number")]
        bytes_client_to_server: u64,
        #[ts(type = "number")]
        bytes_server_to_client: u64,
        /// Which side closed first ("client", "server", "tap" or "error: …").
        closed_by: String,
    },
    HttpRequest {
        method: String,
        target: String,
        version: String,
        headers: Vec<Header>,
        #[ts(type = "number")]
        body_len: u64,
        body: Preview,
    },
    HttpResponse {
        status: u16,
        reason: String,
        version: String,
        headers: Vec<Header>,
        /// Body bytes after de-chunking; for streamed bodies (SSE) only what came with the head.
        #[ts(type = "number")]
        body_len: u64,
        body: Preview,
        /// The body is a stream (SSE) whose content is traced as separate events.
        streaming: bool,
    },
    /// One event block of a `text/event-stream` body.
    SseEvent {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        id: Option<String>,
        /// The `event` field; `None` means the default type `message`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        event: Option<String>,
        data: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        #[ts(type = "number")]
        retry_ms: Option<u64>,
        /// False when the block had no data, so per the spec nothing was dispatched.
        dispatched: bool,
    },
    /// An SSE comment line (`: …`), typically a keep-alive.
    SseComment { text: String },
    /// A WebSocket opening handshake completed (the 101 response), with the key check.
    WsHandshake {
        key: String,
        accept: String,
        /// `accept` equals base64(SHA-1(key + the RFC 6455 GUID)).
        accept_valid: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        protocol: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        extensions: Option<String>,
    },
    WsFrame {
        fin: bool,
        rsv1: bool,
        rsv2: bool,
        rsv3: bool,
        opcode: u8,
        opcode_name: String,
        masked: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        mask_key: Option<String>,
        #[ts(type = "number")]
        payload_len: u64,
        payload: Preview,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        close_code: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        close_reason: Option<String>,
    },
    /// The application published a message (server publisher or a client sending upstream).
    MessagePublished {
        #[ts(type = "number")]
        msg_id: u64,
        #[ts(type = "number")]
        size: u64,
    },
    /// A client received a message; `latency_ns` is receipt time minus publish time. The
    /// event's `parent` is the wire event that carried the message (HTTP response, SSE event,
    /// WebSocket frame); `published` is the `message_published` event it came from.
    MessageDelivered {
        #[ts(type = "number")]
        msg_id: u64,
        #[ts(type = "number")]
        latency_ns: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        #[ts(type = "number")]
        published: Option<u64>,
    },
    /// A decoder met bytes that break the protocol. `offset` counts bytes from the start of
    /// this connection's direction.
    ProtocolError {
        protocol: String,
        #[ts(type = "number")]
        offset: u64,
        message: String,
    },
    /// Free text: reconnect decisions, fault injection, phase changes.
    Note { text: String },
}

impl EventKind {
    /// Short name used by filters and the text timeline.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::TcpOpen { .. } => "tcp_open",
            EventKind::TcpClose { .. } => "tcp_close",
            EventKind::HttpRequest { .. } => "http_request",
            EventKind::HttpResponse { .. } => "http_response",
            EventKind::SseEvent { .. } => "sse_event",
            EventKind::SseComment { .. } => "sse_comment",
            EventKind::WsHandshake { .. } => "ws_handshake",
            EventKind::WsFrame { .. } => "ws_frame",
            EventKind::MessagePublished { .. } => "message_published",
            EventKind::MessageDelivered { .. } => "message_delivered",
            EventKind::ProtocolError { .. } => "protocol_error",
            EventKind::Note { .. } => "note",
        }
    }
}

/// One observation on the trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TraceEvent {
    /// Position in the recorder, starting at 0; strictly increasing.
    #[ts(type = "number")]
    pub seq: u64,
    /// Monotonic nanoseconds since the recorder started.
    #[ts(type = "number")]
    pub t_ns: u64,
    /// Experiment this event belongs to (e.g. "polling").
    #[ts(type = "string")]
    pub experiment: Arc<str>,
    pub actor: Actor,
    /// Tap connection id, for events seen on a connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[ts(type = "number")]
    pub conn: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub dir: Option<Dir>,
    pub kind: EventKind,
    #[serde(default)]
    pub bytes: WireBytes,
    /// The event that caused this one (response → request, delivery → the wire event that
    /// carried it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[ts(type = "number")]
    pub parent: Option<u64>,
}

/// An event before the recorder gives it a sequence number and a time.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub experiment: Arc<str>,
    pub actor: Actor,
    pub conn: Option<u64>,
    pub dir: Option<Dir>,
    pub kind: EventKind,
    pub bytes: WireBytes,
    pub parent: Option<u64>,
    /// Time of the observation if it was taken earlier than recording (ns since start).
    pub t_ns: Option<u64>,
}

impl NewEvent {
    pub fn new(experiment: &Arc<str>, actor: Actor, kind: EventKind) -> Self {
        NewEvent {
            experiment: experiment.clone(),
            actor,
            conn: None,
            dir: None,
            kind,
            bytes: WireBytes::ZERO,
            parent: None,
            t_ns: None,
        }
    }

    pub fn conn(mut self, conn: u64, dir: Dir) -> Self {
        self.conn = Some(conn);
        self.dir = Some(dir);
        self
    }

    pub fn bytes(mut self, header: u64, payload: u64) -> Self {
        self.bytes = WireBytes::new(header, payload);
        self
    }

    pub fn parent(mut self, parent: Option<u64>) -> Self {
        self.parent = parent;
        self
    }

    pub fn at(mut self, t_ns: u64) -> Self {
        self.t_ns = Some(t_ns);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_keeps_text_and_marks_truncation() {
        let p = Preview::of(b"hello", 5);
        assert_eq!(p.text.as_deref(), Some("hello"));
        assert!(!p.truncated);
        let long = vec![b'a'; 300];
        let p = Preview::of(&long, 300);
        assert_eq!(p.text.as_ref().unwrap().len(), Preview::LIMIT);
        assert!(p.truncated);
    }

    #[test]
    fn preview_of_binary_is_hex() {
        let p = Preview::of(&[0xff, 0x00, 0x81], 3);
        assert_eq!(p.text, None);
        assert_eq!(p.hex.as_deref(), Some("ff 00 81"));
    }

    #[test]
    fn preview_of_text_cut_inside_a_character_stays_text() {
        let mut s = "a".repeat(Preview::LIMIT - 1).into_bytes();
        s.extend_from_slice("é".as_bytes()); // two bytes, the second beyond the limit
        let p = Preview::of(&s, s.len() as u64);
        assert_eq!(p.text.as_ref().unwrap().len(), Preview::LIMIT - 1);
    }

    #[test]
    fn event_round_trips_through_json() {
        let e = TraceEvent {
            seq: 7,
            t_ns: 1234,
            experiment: Arc::from("sse"),
            actor: Actor::Client(3),
            conn: Some(2),
            dir: Some(Dir::ServerToClient),
            kind: EventKind::SseEvent {
                id: Some("4".into()),
                event: None,
                data: "hi".into(),
                retry_ms: Some(1000),
                dispatched: true,
            },
            bytes: WireBytes::new(20, 2),
            parent: Some(5),
        };
        let json = serde_json::to_string(&e).unwrap();
        let back: TraceEvent = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        assert!(json.contains(r#""role":"client","id":3"#), "{json}");
    }
}
