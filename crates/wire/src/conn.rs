//! Turns both directions of one TCP connection into trace events, without doing any I/O.
//!
//! A connection starts as HTTP/1.1 (requests one way, responses the other). A 101 response
//! switches both directions to WebSocket frames; a `text/event-stream` response body is fed
//! to the SSE parser. [`ConnDecoder::feed`] takes the bytes one direction delivered and the
//! time the caller saw them, and returns the events they complete, in order; it reads no
//! clock and records nothing, so the tap decides when an event reaches the trace (before
//! the bytes are forwarded) and tests can check every event exactly.
//!
//! # Byte attribution
//!
//! Every byte fed is attributed to exactly one event, so the bytes of a connection's events
//! add up to what was fed (and the `tcp_close` counters say how much that was each way):
//!
//! - A request or response event carries its head, its body and the body's framing
//!   (chunk-size lines, chunk CRLFs, the last chunk and trailers). A 101 response carries its
//!   head; the `ws_handshake` after it carries nothing.
//! - Framing that belongs to no event yet is carried forward to the next event in that
//!   direction: in an event stream the chunk framing before a piece of body counts in the
//!   SSE event that piece completes, and the end of a chunked stream counts in the next
//!   response.
//! - After the 101 every WebSocket frame carries its header and payload. Frames that arrived
//!   with the 101 or before it (a client that did not wait) are decoded when it arrives.
//! - A `protocol_error` carries the bytes it covers, as payload.
//! - When HTTP ends (the connection closes, or a 101 switches it), a message cut short gets
//!   a note carrying its unattributed framing, and so do bytes left unparsed after an HTTP
//!   error. At the close, the head and body of a message cut short, and whatever is still
//!   carried forward in either direction, count in `tcp_close`.
//!
//! # Causal parents
//!
//! Events are numbered per connection ([`ConnEvent::id`], from 0 in the order returned) and
//! name their parent by that number: a response points at its request (HTTP/1.1 answers in
//! order), SSE events at their response, the handshake at the 101, a pong at the last ping
//! the other way, a close reply at the close. A caller that maps ids to its own numbers only
//! needs to keep the ids [`ConnDecoder::may_be_parent`] still admits.

use std::collections::VecDeque;

use base64::Engine;
use rtclab_trace::{Actor, Dir, EventKind, Header, Preview, WireBytes};
use sha1::{Digest, Sha1};

use crate::http::{HttpItem, HttpParser, RequestHead, ResponseHead};
use crate::sse::{SseItem, SseParser};
use crate::ws::{WsItem, WsParser, opcode_name};

/// RFC 6455's GUID, appended to the key to compute `Sec-WebSocket-Accept`.
const WS_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`.
pub fn websocket_accept(key: &str) -> String {
    let mut h = Sha1::new();
    h.update(key.trim().as_bytes());
    h.update(WS_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

/// One event decoded from a connection, before a recorder gives it a sequence number.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnEvent {
    /// Number of this event on its connection: 0 for the first the decoder returned.
    pub id: u64,
    /// The time the caller passed with the bytes that completed the event.
    pub t_ns: u64,
    pub actor: Actor,
    /// The direction whose bytes the event describes; `None` only for `tcp_close`.
    pub dir: Option<Dir>,
    pub kind: EventKind,
    pub bytes: WireBytes,
    /// The [`id`](Self::id) of the event that caused this one, on the same connection.
    pub parent: Option<u64>,
}

#[derive(Debug)]
struct InFlight {
    id: u64,
    ws_key: Option<String>,
}

#[derive(Debug, Default)]
struct BodyAcc {
    preview: Vec<u8>,
    len: u64,
    framing: u64,
}

impl BodyAcc {
    fn add(&mut self, data: &[u8], wire_len: usize) {
        let room = Preview::LIMIT.saturating_sub(self.preview.len());
        self.preview.extend_from_slice(&data[..data.len().min(room)]);
        self.len += data.len() as u64;
        self.framing += (wire_len as u64).saturating_sub(data.len() as u64);
    }
}

#[derive(Debug)]
struct PendingRequest {
    head: RequestHead,
    body: BodyAcc,
}

#[derive(Debug)]
struct PendingResponse {
    head: ResponseHead,
    body: BodyAcc,
}

#[derive(Debug)]
enum Mode {
    Http,
    WebSocket { c2s: Box<WsParser>, s2c: Box<WsParser> },
}

/// Per-direction bookkeeping.
#[derive(Debug, Default)]
struct DirState {
    /// Bytes fed in this direction.
    fed: u64,
    /// Bytes seen but not yet attributed to an event.
    unattributed: u64,
    /// Last close frame / ping frame sent in this direction (for reply parents).
    last_close: Option<u64>,
    last_ping: Option<u64>,
}

/// The decoding state of one connection; see the module docs.
#[derive(Debug)]
pub struct ConnDecoder {
    client: Actor,
    requests: HttpParser,
    responses: HttpParser,
    mode: Mode,
    in_flight: VecDeque<InFlight>,
    request: Option<PendingRequest>,
    response: Option<PendingResponse>,
    /// The open event-stream response, if any: its id (parent of its events) and parser.
    sse: Option<(u64, SseParser)>,
    c2s: DirState,
    s2c: DirState,
    /// Id of the next event, the time of the bytes being decoded, and the events decoded
    /// from them (handed out by `feed` and `finish`).
    next_id: u64,
    now_ns: u64,
    out: Vec<ConnEvent>,
}

impl ConnDecoder {
    /// A decoder for a connection opened by `client`.
    pub fn new(client: Actor) -> Self {
        ConnDecoder {
            client,
            requests: HttpParser::requests(),
            responses: HttpParser::responses(),
            mode: Mode::Http,
            in_flight: VecDeque::new(),
            request: None,
            response: None,
            sse: None,
            c2s: DirState::default(),
            s2c: DirState::default(),
            next_id: 0,
            now_ns: 0,
            out: Vec::new(),
        }
    }

    /// Decodes the next bytes `dir` delivered, seen at `now_ns`, and returns the events they
    /// complete, oldest first, each stamped `now_ns`. Events not taken from the iterator are
    /// dropped.
    pub fn feed(&mut self, dir: Dir, bytes: &[u8], now_ns: u64) -> std::vec::Drain<'_, ConnEvent> {
        self.now_ns = now_ns;
        self.dir_state(dir).fed += bytes.len() as u64;
        match (&mut self.mode, dir) {
            (Mode::Http, Dir::ClientToServer) => {
                let items = self.requests.push(bytes);
                self.on_request_items(items);
            }
            (Mode::Http, Dir::ServerToClient) => {
                let items = self.responses.push(bytes);
                self.on_response_items(items);
            }
            (Mode::WebSocket { c2s, .. }, Dir::ClientToServer) => {
                let items = c2s.push(bytes);
                self.on_ws_items(dir, items);
            }
            (Mode::WebSocket { s2c, .. }, Dir::ServerToClient) => {
                let items = s2c.push(bytes);
                self.on_ws_items(dir, items);
            }
        }
        self.out.drain(..)
    }

    /// The connection ended (`closed_by` says which side first; see
    /// [`EventKind::TcpClose`]): flushes the decoders and returns their last events and
    /// `tcp_close`, which carries every byte not attributed yet.
    pub fn finish(&mut self, closed_by: &str, now_ns: u64) -> std::vec::Drain<'_, ConnEvent> {
        self.now_ns = now_ns;
        match &mut self.mode {
            Mode::Http => self.end_http("the connection ended in the middle of a message"),
            Mode::WebSocket { c2s, s2c } => {
                let (a, b) = (c2s.finish(), s2c.finish());
                self.on_ws_items(Dir::ClientToServer, a);
                self.on_ws_items(Dir::ServerToClient, b);
            }
        }
        if let Some((parent, mut parser)) = self.sse.take() {
            let items = parser.finish();
            self.on_sse_items(parent, items);
        }
        // Bytes of a request still being sent (or a response cut short) were on the wire too.
        if let Some(r) = self.request.take() {
            self.c2s.unattributed += r.head.head_len as u64 + r.body.len + r.body.framing;
        }
        if let Some(r) = self.response.take() {
            self.s2c.unattributed += r.head.head_len as u64 + r.body.len + r.body.framing;
        }
        let left = std::mem::take(&mut self.c2s.unattributed) + std::mem::take(&mut self.s2c.unattributed);
        let kind = EventKind::TcpClose {
            bytes_client_to_server: self.c2s.fed,
            bytes_server_to_client: self.s2c.fed,
            closed_by: closed_by.to_owned(),
        };
        self.push(Actor::Tap, None, kind, WireBytes::new(left, 0), None);
        self.out.drain(..)
    }

    /// Whether an event returned by an earlier call may still be named as a parent by a
    /// later one: a request awaiting its response, an open event stream's response, the last
    /// ping and close each way. Once false for an id it stays false.
    pub fn may_be_parent(&self, id: u64) -> bool {
        // Requests are queued as they complete, so their ids ascend.
        self.in_flight.binary_search_by_key(&id, |r| r.id).is_ok()
            || self.sse.as_ref().is_some_and(|(parent, _)| *parent == id)
            || [self.c2s.last_close, self.c2s.last_ping, self.s2c.last_close, self.s2c.last_ping].contains(&Some(id))
    }

    /// HTTP is over on this connection: flushes both HTTP parsers, so that the bytes they
    /// still hold (a message cut short, bytes after an error) are attributed too.
    fn end_http(&mut self, why: &str) {
        let items = truncation_as_notes(self.requests.finish());
        self.on_request_items(items.0);
        self.cut_short(Dir::ClientToServer, why, items.1);
        let items = truncation_as_notes(self.responses.finish());
        self.on_response_items(items.0);
        self.cut_short(Dir::ServerToClient, why, items.1);
    }

    /// A message the end of HTTP cut short: not a protocol violation (one side simply
    /// stopped, as every SSE client does), but worth a note on the timeline.
    fn cut_short(&mut self, dir: Dir, why: &str, cuts: Vec<(String, usize)>) {
        for (message, wire_len) in cuts {
            let text = format!("{why}: {message}");
            self.record(dir, EventKind::Note { text }, wire_len as u64, 0, None);
        }
    }

    /// Adds an event seen in `dir`, with the bytes carried forward in that direction.
    fn record(&mut self, dir: Dir, kind: EventKind, header: u64, payload: u64, parent: Option<u64>) -> u64 {
        let actor = match dir {
            Dir::ClientToServer => self.client,
            Dir::ServerToClient => Actor::Server,
        };
        let carried = std::mem::take(&mut self.dir_state(dir).unattributed);
        self.push(actor, Some(dir), kind, WireBytes::new(header + carried, payload), parent)
    }

    fn push(&mut self, actor: Actor, dir: Option<Dir>, kind: EventKind, bytes: WireBytes, parent: Option<u64>) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.out.push(ConnEvent { id, t_ns: self.now_ns, actor, dir, kind, bytes, parent });
        id
    }

    fn dir_state(&mut self, dir: Dir) -> &mut DirState {
        match dir {
            Dir::ClientToServer => &mut self.c2s,
            Dir::ServerToClient => &mut self.s2c,
        }
    }

    fn protocol_error(&mut self, dir: Dir, protocol: &str, offset: u64, message: String, wire_len: usize) {
        let kind = EventKind::ProtocolError { protocol: protocol.to_owned(), offset, message };
        self.record(dir, kind, 0, wire_len as u64, None);
    }

    fn on_request_items(&mut self, items: Vec<HttpItem>) {
        for item in items {
            match item {
                HttpItem::Request(head) => self.request = Some(PendingRequest { head, body: BodyAcc::default() }),
                HttpItem::Body { data, wire_len } => match &mut self.request {
                    Some(r) => r.body.add(&data, wire_len),
                    None => self.c2s.unattributed += wire_len as u64,
                },
                HttpItem::End { wire_len } => match self.request.take() {
                    Some(mut r) => {
                        r.body.framing += wire_len as u64;
                        self.request_complete(r);
                    }
                    None => self.c2s.unattributed += wire_len as u64,
                },
                HttpItem::Response(head) => {
                    // Cannot happen on the request side; keep the bytes anyway.
                    self.c2s.unattributed += head.head_len as u64;
                }
                HttpItem::Error { offset, message, wire_len } => {
                    if let Some(r) = self.request.take() {
                        self.c2s.unattributed += r.head.head_len as u64 + r.body.len + r.body.framing;
                    }
                    self.protocol_error(Dir::ClientToServer, "http", offset, message, wire_len)
                }
            }
        }
    }

    fn request_complete(&mut self, r: PendingRequest) {
        let ws_key = header(&r.head.headers, "sec-websocket-key").map(str::to_owned);
        let method = r.head.method.clone();
        let kind = EventKind::HttpRequest {
            method: r.head.method,
            target: r.head.target,
            version: r.head.version,
            headers: to_headers(&r.head.headers),
            body_len: r.body.len,
            body: Preview::of(&r.body.preview, r.body.len),
        };
        let header_bytes = r.head.head_len as u64 + r.body.framing;
        let id = self.record(Dir::ClientToServer, kind, header_bytes, r.body.len, None);
        self.responses.expect_response_to(&method);
        self.in_flight.push_back(InFlight { id, ws_key });
    }

    fn on_response_items(&mut self, items: Vec<HttpItem>) {
        for item in items {
            match item {
                HttpItem::Response(head) => self.response_head(head),
                HttpItem::Body { data, wire_len } => {
                    if let Some((parent, parser)) = &mut self.sse {
                        let parent = *parent;
                        self.s2c.unattributed += (wire_len - data.len().min(wire_len)) as u64;
                        let items = parser.push(&data);
                        self.on_sse_items(parent, items);
                    } else if let Some(r) = &mut self.response {
                        r.body.add(&data, wire_len);
                    } else {
                        self.s2c.unattributed += wire_len as u64;
                    }
                }
                HttpItem::End { wire_len } => {
                    self.s2c.unattributed += wire_len as u64;
                    if let Some((parent, mut parser)) = self.sse.take() {
                        let items = parser.finish();
                        self.on_sse_items(parent, items);
                    } else if let Some(r) = self.response.take() {
                        self.response_complete(r);
                    }
                }
                HttpItem::Request(head) => self.s2c.unattributed += head.head_len as u64,
                HttpItem::Error { offset, message, wire_len } => {
                    if let Some(r) = self.response.take() {
                        self.s2c.unattributed += r.head.head_len as u64 + r.body.len + r.body.framing;
                    }
                    self.protocol_error(Dir::ServerToClient, "http", offset, message, wire_len)
                }
            }
        }
    }

    fn response_head(&mut self, head: ResponseHead) {
        let informational = (100..200).contains(&head.status) && head.status != 101;
        let is_sse = head.status == 200
            && header(&head.headers, "content-type")
                .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/event-stream"));
        if head.status == 101 {
            let request = self.in_flight.pop_front();
            let accept = header(&head.headers, "sec-websocket-accept").unwrap_or("").to_owned();
            let protocol = header(&head.headers, "sec-websocket-protocol").map(str::to_owned);
            let extensions = header(&head.headers, "sec-websocket-extensions").map(str::to_owned);
            let id = self.record_response(&head, Vec::new(), 0, 0, false, request.as_ref().map(|r| r.id));
            let key = request.and_then(|r| r.ws_key).unwrap_or_default();
            let accept_valid = !key.is_empty() && websocket_accept(&key) == accept;
            let kind = EventKind::WsHandshake { key, accept, accept_valid, protocol, extensions };
            self.record(Dir::ServerToClient, kind, 0, 0, Some(id));
            self.switch_to_websocket();
        } else if informational {
            let parent = self.in_flight.front().map(|r| r.id);
            self.record_response(&head, Vec::new(), 0, 0, false, parent);
        } else if is_sse {
            let parent = self.in_flight.pop_front().map(|r| r.id);
            let id = self.record_response(&head, Vec::new(), 0, 0, true, parent);
            self.sse = Some((id, SseParser::new()));
        } else {
            // A refused upgrade: the request side goes back to parsing HTTP.
            if self.in_flight.front().is_some_and(|r| r.ws_key.is_some()) {
                let items = self.requests.resume_http();
                self.on_request_items(items);
            }
            self.response = Some(PendingResponse { head, body: BodyAcc::default() });
        }
    }

    fn response_complete(&mut self, r: PendingResponse) {
        let parent = self.in_flight.pop_front().map(|i| i.id);
        self.record_response(&r.head, r.body.preview, r.body.len, r.body.framing, false, parent);
    }

    fn record_response(
        &mut self,
        head: &ResponseHead,
        preview: Vec<u8>,
        body_len: u64,
        framing: u64,
        streaming: bool,
        parent: Option<u64>,
    ) -> u64 {
        let kind = EventKind::HttpResponse {
            status: head.status,
            reason: head.reason.clone(),
            version: head.version.clone(),
            headers: to_headers(&head.headers),
            body_len,
            body: Preview::of(&preview, body_len),
            streaming,
        };
        self.record(Dir::ServerToClient, kind, head.head_len as u64 + framing, body_len, parent)
    }

    fn switch_to_websocket(&mut self) {
        let mut c2s = WsParser::new(true);
        let mut s2c = WsParser::new(false);
        let early_c2s = c2s.push(&self.requests.take_upgraded());
        let early_s2c = s2c.push(&self.responses.take_upgraded());
        self.end_http("the switch to WebSocket came in the middle of a message");
        self.mode = Mode::WebSocket { c2s: Box::new(c2s), s2c: Box::new(s2c) };
        self.on_ws_items(Dir::ClientToServer, early_c2s);
        self.on_ws_items(Dir::ServerToClient, early_s2c);
    }

    fn on_sse_items(&mut self, parent: u64, items: Vec<SseItem>) {
        for item in items {
            match item {
                SseItem::Event(ev) => {
                    let payload = ev.data_len as u64;
                    let header_bytes = (ev.wire_len as u64).saturating_sub(payload);
                    let kind = EventKind::SseEvent {
                        id: ev.id,
                        event: ev.event_type,
                        data: ev.data,
                        retry_ms: ev.retry_ms,
                        dispatched: ev.dispatched,
                    };
                    self.record(Dir::ServerToClient, kind, header_bytes, payload, Some(parent));
                }
                SseItem::Comment(c) => {
                    let kind = EventKind::SseComment { text: c.text };
                    self.record(Dir::ServerToClient, kind, c.wire_len as u64, 0, Some(parent));
                }
                SseItem::Error(e) => self.protocol_error(Dir::ServerToClient, "sse", e.offset, e.message, e.wire_len),
                SseItem::Incomplete { wire_len } => {
                    let kind = EventKind::Note {
                        text: "the stream ended inside an event block; per the SSE rules it is discarded".into(),
                    };
                    self.record(Dir::ServerToClient, kind, wire_len as u64, 0, Some(parent));
                }
            }
        }
    }

    fn on_ws_items(&mut self, dir: Dir, items: Vec<WsItem>) {
        let other = match dir {
            Dir::ClientToServer => Dir::ServerToClient,
            Dir::ServerToClient => Dir::ClientToServer,
        };
        for item in items {
            match item {
                WsItem::Frame(f) => {
                    let parent = match f.opcode {
                        0x8 => self.dir_state(other).last_close,
                        0xA => self.dir_state(other).last_ping,
                        _ => None,
                    };
                    let kind = EventKind::WsFrame {
                        fin: f.fin,
                        rsv1: f.rsv1,
                        rsv2: f.rsv2,
                        rsv3: f.rsv3,
                        opcode: f.opcode,
                        opcode_name: opcode_name(f.opcode).to_owned(),
                        masked: f.masked,
                        mask_key: f.mask_key.map(|k| format!("{:02x} {:02x} {:02x} {:02x}", k[0], k[1], k[2], k[3])),
                        payload_len: f.payload_len,
                        payload: Preview::of(&f.preview, f.payload_len),
                        close_code: f.close_code,
                        close_reason: f.close_reason,
                    };
                    let id = self.record(dir, kind, f.header_len as u64, f.payload_len, parent);
                    match f.opcode {
                        0x8 => self.dir_state(dir).last_close = Some(id),
                        0x9 => self.dir_state(dir).last_ping = Some(id),
                        _ => {}
                    }
                }
                WsItem::Error(e) => self.protocol_error(dir, "websocket", e.offset, e.message, e.wire_len),
            }
        }
    }
}

/// Splits the items of a parser's `finish` into ordinary items and truncation errors.
fn truncation_as_notes(items: Vec<HttpItem>) -> (Vec<HttpItem>, Vec<(String, usize)>) {
    let mut keep = Vec::new();
    let mut cuts = Vec::new();
    for item in items {
        match item {
            HttpItem::Error { message, wire_len, .. } => cuts.push((message, wire_len)),
            other => keep.push(other),
        }
    }
    (keep, cuts)
}

fn header<'a>(headers: &'a [(String, String)], name: &'a str) -> Option<&'a str> {
    crate::http::header_values(headers, name).next()
}

fn to_headers(headers: &[(String, String)]) -> Vec<Header> {
    headers.iter().map(|(n, v)| Header { name: n.clone(), value: v.clone() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_matches_rfc6455_example() {
        assert_eq!(websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }
}
