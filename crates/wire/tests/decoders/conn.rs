//! The connection decoder: the byte-attribution rules as fixed vectors with exact figures,
//! and properties over whole conversations (HTTP exchanges, an event stream, WebSocket
//! frames) and over arbitrary bytes, split anywhere.

use proptest::prelude::*;
use rtclab_trace::{Actor, Dir, EventKind};
use rtclab_wire::conn::{ConnDecoder, ConnEvent};

use crate::common::{self, cut_points, cuts_strategy, pieces, protocol_ish_bytes};
use crate::traffic::{
    GenEvent, GenMessage, GenRequest, HELLO_MASKED, HELLO_UNMASKED, SWITCHING, UPGRADE, encode_event, encode_message,
    encode_request, gen_event, gen_message, gen_request, ws_frame,
};

const C: Option<Dir> = Some(Dir::ClientToServer);
const S: Option<Dir> = Some(Dir::ServerToClient);
const CLIENT: Actor = Actor::Client(7);

/// What the attribution rules fix about an event: kind, direction, header and payload
/// bytes, parent.
type Row = (&'static str, Option<Dir>, u64, u64, Option<u64>);

fn rows(events: &[ConnEvent]) -> Vec<Row> {
    events.iter().map(|e| (e.kind.name(), e.dir, e.bytes.header, e.bytes.payload, e.parent)).collect()
}

/// Feeds each turn in pieces cut at its `cuts`, at time `t` (the turn's index + 1) or
/// `fixed_time`, then finishes; returns every event.
fn feed(turns: &[(Dir, Vec<u8>)], cuts: &[Vec<usize>], fixed_time: Option<u64>) -> Vec<ConnEvent> {
    let mut decoder = ConnDecoder::new(CLIENT);
    let mut events = Vec::new();
    let mut t = 0;
    for (i, (dir, bytes)) in turns.iter().enumerate() {
        t = fixed_time.unwrap_or(i as u64 + 1);
        for piece in pieces(bytes, cuts.get(i).map_or(&[][..], Vec::as_slice)) {
            events.extend(decoder.feed(*dir, piece, t));
        }
    }
    events.extend(decoder.finish("client", fixed_time.unwrap_or(t + 1)));
    events
}

/// Bytes fed in each direction.
fn fed(turns: &[(Dir, Vec<u8>)]) -> (u64, u64) {
    let count = |want: Dir| turns.iter().filter(|(d, _)| *d == want).map(|(_, b)| b.len() as u64).sum();
    (count(Dir::ClientToServer), count(Dir::ServerToClient))
}

/// Bytes of the events seen in each direction, and of `tcp_close`.
fn attributed(events: &[ConnEvent]) -> (u64, u64, u64) {
    let sum = |want: Option<Dir>| events.iter().filter(|e| e.dir == want).map(|e| e.bytes.total()).sum();
    (sum(C), sum(S), sum(None))
}

/// Decodes `turns` whole and one byte at a time, checks both give the same events, that ids
/// count up from 0, that `tcp_close` is last and counts the bytes fed, and that the events
/// account for every byte; returns the events of the whole feed.
fn conn_check(turns: &[(Dir, &[u8])]) -> Vec<ConnEvent> {
    let turns: Vec<(Dir, Vec<u8>)> = turns.iter().map(|(d, b)| (*d, b.to_vec())).collect();
    let whole = feed(&turns, &[], None);
    let bytewise: Vec<Vec<usize>> = turns.iter().map(|(_, b)| (1..b.len()).collect()).collect();
    assert_eq!(feed(&turns, &bytewise, None), whole, "one byte at a time");
    let ids: Vec<u64> = whole.iter().map(|e| e.id).collect();
    assert_eq!(ids, (0..whole.len() as u64).collect::<Vec<_>>());
    let (c2s, s2c) = fed(&turns);
    let Some(EventKind::TcpClose { bytes_client_to_server, bytes_server_to_client, .. }) =
        whole.last().map(|e| &e.kind)
    else {
        panic!("tcp_close is not last: {whole:#?}")
    };
    assert_eq!((*bytes_client_to_server, *bytes_server_to_client), (c2s, s2c));
    let (a, b, close) = attributed(&whole);
    assert_eq!(a + b + close, c2s + s2c, "every byte in one event: {:#?}", rows(&whole));
    whole
}

// ---------------------------------------------------------------- fixtures

const GET_EVENTS: &[u8] = b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n";
const SSE_CHUNKED_HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn len(bytes: &[u8]) -> u64 {
    bytes.len() as u64
}

// ---------------------------------------------------------------- attribution rules

#[test]
fn chunk_framing_of_an_event_stream_is_carried_to_the_next_event() {
    let chunk1: &[u8] = b"d\r\ndata: hello\n\n\r\n";
    let chunk2: &[u8] = b"d\r\ndata: world\n\n\r\n";
    let last: &[u8] = b"0\r\n\r\n";
    let after: &[u8] = b"HTTP/1.1 204 No Content\r\n\r\n";
    let body = cat(&[SSE_CHUNKED_HEAD, chunk1, chunk2, last]);
    let events = conn_check(&[
        (Dir::ClientToServer, GET_EVENTS),
        (Dir::ServerToClient, &body),
        (Dir::ClientToServer, b"GET /b HTTP/1.1\r\n\r\n"),
        (Dir::ServerToClient, after),
    ]);
    // An SSE event "data: hello\n\n" is 8 bytes of field name and line ends and 5 of data.
    assert_eq!(
        rows(&events),
        [
            ("http_request", C, len(GET_EVENTS), 0, None),
            ("http_response", S, len(SSE_CHUNKED_HEAD), 0, Some(0)),
            // + the chunk-size line "d\r\n" before its data
            ("sse_event", S, 3 + 8, 5, Some(1)),
            // + the CRLF ending the first chunk and the second chunk-size line
            ("sse_event", S, 2 + 3 + 8, 5, Some(1)),
            ("http_request", C, 19, 0, None),
            // + the CRLF ending the second chunk and the last chunk "0\r\n\r\n"
            ("http_response", S, 2 + 5 + len(after), 0, Some(4)),
            ("tcp_close", None, 0, 0, None),
        ]
    );
    assert!(matches!(&events[3].kind, EventKind::SseEvent { data, dispatched: true, .. } if data == "world"));
    assert!(matches!(&events[1].kind, EventKind::HttpResponse { streaming: true, .. }));
}

#[test]
fn chunk_framing_of_a_plain_body_counts_in_its_message() {
    let head: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    let body: &[u8] = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: y\r\n\r\n";
    let request: &[u8] = b"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    let events = conn_check(&[(Dir::ClientToServer, request), (Dir::ServerToClient, &cat(&[head, body]))]);
    assert_eq!(
        rows(&events),
        [
            ("http_request", C, len(request) - 3, 3, None),
            ("http_response", S, len(head) + len(body) - 11, 11, Some(0)),
            ("tcp_close", None, 0, 0, None),
        ]
    );
    assert!(matches!(&events[1].kind, EventKind::HttpResponse { body_len: 11, streaming: false, .. }));
}

#[test]
fn the_end_of_a_chunked_stream_is_left_to_tcp_close() {
    let stream = cat(&[SSE_CHUNKED_HEAD, b"d\r\ndata: hello\n\n\r\n0\r\n\r\n"]);
    let events = conn_check(&[(Dir::ClientToServer, GET_EVENTS), (Dir::ServerToClient, &stream)]);
    assert_eq!(
        rows(&events),
        [
            ("http_request", C, len(GET_EVENTS), 0, None),
            ("http_response", S, len(SSE_CHUNKED_HEAD), 0, Some(0)),
            ("sse_event", S, 3 + 8, 5, Some(1)),
            ("tcp_close", None, 2 + 5, 0, None),
        ]
    );
}

#[test]
fn a_request_cut_short_leaves_its_bytes_to_tcp_close() {
    let head: &[u8] = b"POST /p HTTP/1.1\r\nContent-Length: 10\r\n\r\n";
    let events = conn_check(&[(Dir::ClientToServer, &cat(&[head, b"abc"]))]);
    assert_eq!(rows(&events), [("note", C, 0, 0, None), ("tcp_close", None, len(head) + 3, 0, None)]);
    let EventKind::Note { text } = &events[0].kind else { unreachable!() };
    assert!(text.contains("7 bytes before the end of the body"), "{text}");

    // Inside chunk framing: the unattributed framing (the CRLF after "hello" and the "3" of
    // the next size line) goes to the note, the head, data and the first size line to
    // tcp_close.
    let head: &[u8] = b"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    let events = conn_check(&[(Dir::ClientToServer, &cat(&[head, b"5\r\nhello\r\n3"]))]);
    assert_eq!(rows(&events), [("note", C, 3, 0, None), ("tcp_close", None, len(head) + 3 + 5, 0, None)]);
}

#[test]
fn a_response_cut_inside_its_head_is_a_note() {
    let events = conn_check(&[
        (Dir::ClientToServer, b"GET / HTTP/1.1\r\n\r\n"),
        (Dir::ServerToClient, b"HTTP/1.1 200 OK\r\nContent-Le"),
    ]);
    assert_eq!(
        rows(&events),
        [("http_request", C, 18, 0, None), ("note", S, 27, 0, None), ("tcp_close", None, 0, 0, None)]
    );
}

#[test]
fn an_http_error_carries_its_bytes_and_the_rest_is_a_note() {
    let bad: &[u8] = b"G\x01T / HTTP/1.1\r\n\r\n";
    let events = conn_check(&[(Dir::ClientToServer, &cat(&[bad, b"more"]))]);
    assert_eq!(
        rows(&events),
        [("protocol_error", C, 0, len(bad), None), ("note", C, 4, 0, None), ("tcp_close", None, 0, 0, None)]
    );
    assert!(matches!(&events[0].kind, EventKind::ProtocolError { protocol, offset: 0, .. } if protocol == "http"));
}

#[test]
fn the_101_switches_both_directions_to_websocket_frames() {
    let close = ws_frame(0x88, Some([1, 2, 3, 4]), &1000u16.to_be_bytes(), None);
    let close_reply = ws_frame(0x88, None, &1000u16.to_be_bytes(), None);
    let ping = ws_frame(0x89, None, b"p", None);
    let pong = ws_frame(0x8A, Some([5, 6, 7, 8]), b"p", None);
    // The client sends a frame without waiting for the 101; the server's first frame comes
    // in the same read as the 101.
    let events = conn_check(&[
        (Dir::ClientToServer, &cat(&[UPGRADE, &HELLO_MASKED])),
        (Dir::ServerToClient, &cat(&[SWITCHING, &HELLO_UNMASKED, &ping])),
        (Dir::ClientToServer, &cat(&[&pong, &close])),
        (Dir::ServerToClient, &close_reply),
    ]);
    assert_eq!(
        rows(&events),
        [
            ("http_request", C, len(UPGRADE), 0, None),
            ("http_response", S, len(SWITCHING), 0, Some(0)),
            ("ws_handshake", S, 0, 0, Some(1)),
            // Held by the request parser until the 101 said what they are.
            ("ws_frame", C, 6, 5, None),
            ("ws_frame", S, 2, 5, None),
            ("ws_frame", S, 2, 1, None),
            ("ws_frame", C, 6, 1, Some(5)),
            ("ws_frame", C, 6, 2, None),
            ("ws_frame", S, 2, 2, Some(7)),
            ("tcp_close", None, 0, 0, None),
        ]
    );
    let times: Vec<u64> = events.iter().map(|e| e.t_ns).collect();
    assert_eq!(times, [1, 2, 2, 2, 2, 2, 3, 3, 4, 5], "each event carries the time of the bytes completing it");
    let actors: Vec<Actor> = events.iter().map(|e| e.actor).collect();
    let (c, s) = (CLIENT, Actor::Server);
    assert_eq!(actors, [c, s, s, c, s, s, c, c, s, Actor::Tap]);
    assert!(matches!(&events[2].kind, EventKind::WsHandshake { accept_valid: true, .. }));
}

#[test]
fn the_switch_to_websocket_flushes_what_http_still_held() {
    let bad: &[u8] = b"data: x\n\n";
    let after_error: &[u8] = b"GET / HTTP/1.1\r\n";
    let events = conn_check(&[
        (Dir::ClientToServer, &cat(&[bad, after_error])),
        (Dir::ServerToClient, &cat(&[SWITCHING, &HELLO_UNMASKED])),
    ]);
    assert_eq!(
        rows(&events),
        [
            ("protocol_error", C, 0, len(bad), None),
            ("http_response", S, len(SWITCHING), 0, None),
            ("ws_handshake", S, 0, 0, Some(1)),
            ("note", C, len(after_error), 0, None),
            ("ws_frame", S, 2, 5, None),
            ("tcp_close", None, 0, 0, None),
        ]
    );
    assert!(matches!(&events[2].kind, EventKind::WsHandshake { accept_valid: false, .. }), "no request, no key");
}

#[test]
fn a_refused_upgrade_goes_back_to_http() {
    let next: &[u8] = b"GET /next HTTP/1.1\r\n\r\n";
    let refused: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    let ok: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let events =
        conn_check(&[(Dir::ClientToServer, &cat(&[UPGRADE, next])), (Dir::ServerToClient, &cat(&[refused, ok]))]);
    assert_eq!(
        rows(&events),
        [
            ("http_request", C, len(UPGRADE), 0, None),
            // The request after the upgrade was held until the refusal came.
            ("http_request", C, len(next), 0, None),
            ("http_response", S, len(refused), 0, Some(0)),
            ("http_response", S, len(ok) - 2, 2, Some(1)),
            ("tcp_close", None, 0, 0, None),
        ]
    );
    assert_eq!(events[1].t_ns, 2, "decoded when the response arrived");
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let (get_a, head_b, get_c): (&[u8], &[u8], &[u8]) =
        (b"GET /a HTTP/1.1\r\n\r\n", b"HEAD /b HTTP/1.1\r\n\r\n", b"GET /c HTTP/1.1\r\n\r\n");
    let a: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let b: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
    let interim: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";
    let c_head: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    let c_body: &[u8] = b"2\r\nhi\r\n0\r\n\r\n";
    let events = conn_check(&[
        (Dir::ClientToServer, &cat(&[get_a, head_b, get_c])),
        (Dir::ServerToClient, &cat(&[a, b, interim, c_head, c_body])),
    ]);
    assert_eq!(
        rows(&events),
        [
            ("http_request", C, len(get_a), 0, None),
            ("http_request", C, len(head_b), 0, None),
            ("http_request", C, len(get_c), 0, None),
            ("http_response", S, len(a) - 2, 2, Some(0)),
            // The answer to HEAD has no body, whatever its Content-Length says.
            ("http_response", S, len(b), 0, Some(1)),
            ("http_response", S, len(interim), 0, Some(2)),
            ("http_response", S, len(c_head) + len(c_body) - 2, 2, Some(2)),
            ("tcp_close", None, 0, 0, None),
        ]
    );
}

#[test]
fn only_events_still_awaited_may_be_parents() {
    let mut decoder = ConnDecoder::new(CLIENT);
    let n = decoder.feed(Dir::ClientToServer, b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 1).count();
    assert_eq!(n, 2);
    assert!(decoder.may_be_parent(0) && decoder.may_be_parent(1));
    let n = decoder.feed(Dir::ServerToClient, b"HTTP/1.1 204 No Content\r\n\r\n", 2).count();
    assert_eq!(n, 1);
    assert!(!decoder.may_be_parent(0) && decoder.may_be_parent(1) && !decoder.may_be_parent(2));
    decoder.feed(Dir::ClientToServer, UPGRADE, 3).for_each(drop);
    decoder.feed(Dir::ServerToClient, b"HTTP/1.1 204 No Content\r\n\r\n", 4).for_each(drop);
    assert!(!decoder.may_be_parent(1) && decoder.may_be_parent(3));
    let events: Vec<ConnEvent> = decoder.feed(Dir::ServerToClient, SWITCHING, 5).collect();
    assert_eq!(rows(&events), [("http_response", S, len(SWITCHING), 0, Some(3)), ("ws_handshake", S, 0, 0, Some(5))]);
    assert!(!decoder.may_be_parent(3) && !decoder.may_be_parent(5));
    let ping: Vec<ConnEvent> = decoder.feed(Dir::ServerToClient, &ws_frame(0x89, None, b"", None), 6).collect();
    assert_eq!(ping[0].id, 7);
    assert!(decoder.may_be_parent(7));
    let _ = decoder.feed(Dir::ServerToClient, &ws_frame(0x89, None, b"", None), 7).count();
    assert!(!decoder.may_be_parent(7) && decoder.may_be_parent(8), "only the last ping");
}

// ---------------------------------------------------------------- conversations

/// One HTTP response body and how it is framed.
#[derive(Debug, Clone)]
enum GenBody {
    Empty204,
    Length(Vec<u8>),
    Chunked(Vec<u8>, Vec<usize>),
}

/// How a conversation ends after its HTTP exchanges.
#[derive(Debug, Clone)]
enum Ending {
    Nothing,
    /// An event stream, read until the connection closes or chunked and terminated.
    Sse {
        events: Vec<GenEvent>,
        chunks: Option<Vec<usize>>,
    },
    /// An upgrade, then messages each way (`true`: from the client) and maybe a closing
    /// handshake.
    WebSocket {
        messages: Vec<(bool, GenMessage)>,
        close: bool,
    },
}

/// A valid conversation: groups of pipelined requests, each group then answered.
#[derive(Debug, Clone)]
struct Conversation {
    groups: Vec<Vec<(GenRequest, GenBody)>>,
    ending: Ending,
}

/// A conversation as turns, and what decoding it must give: the event kinds in each
/// direction and the bytes left to `tcp_close`.
struct Expected {
    turns: Vec<(Dir, Vec<u8>)>,
    c2s_kinds: Vec<&'static str>,
    s2c_kinds: Vec<&'static str>,
    leftover: u64,
}

fn gen_body() -> impl Strategy<Value = GenBody> {
    let bytes = prop::collection::vec(any::<u8>(), 0..120);
    prop_oneof![
        1 => Just(GenBody::Empty204),
        2 => bytes.clone().prop_map(GenBody::Length),
        2 => (bytes, prop::collection::vec(1usize..40, 1..4)).prop_map(|(b, s)| GenBody::Chunked(b, s)),
    ]
}

fn gen_ending() -> impl Strategy<Value = Ending> {
    prop_oneof![
        Just(Ending::Nothing),
        (prop::collection::vec(gen_event(), 0..5), prop::option::of(prop::collection::vec(1usize..50, 1..4)))
            .prop_map(|(events, chunks)| Ending::Sse { events, chunks }),
        (prop::collection::vec((any::<bool>(), valid_message()), 0..6), any::<bool>())
            .prop_map(|(messages, close)| Ending::WebSocket { messages, close }),
    ]
}

/// A message whose text, if it is text, is UTF-8 (else it is sent as binary).
fn valid_message() -> impl Strategy<Value = GenMessage> {
    gen_message().prop_map(|mut m| {
        m.text &= std::str::from_utf8(&m.fragments.concat()).is_ok();
        m
    })
}

fn gen_conversation() -> impl Strategy<Value = Conversation> {
    let group = prop::collection::vec((gen_request(), gen_body()), 1..4);
    (prop::collection::vec(group, 0..3), gen_ending()).prop_map(|(groups, ending)| Conversation { groups, ending })
}

/// `body` as chunks of the sizes in `sizes` (cycled), then the last chunk.
fn chunked(body: &[u8], sizes: &[usize]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    let mut sizes = sizes.iter().cycle();
    while !rest.is_empty() {
        let n = sizes.next().copied().unwrap_or(rest.len()).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        out.extend(format!("{n:x}\r\n").as_bytes());
        out.extend(chunk);
        out.extend(b"\r\n");
        rest = tail;
    }
    out.extend(b"0\r\n\r\n");
    out
}

fn encode_response(body: &GenBody) -> Vec<u8> {
    match body {
        GenBody::Empty204 => b"HTTP/1.1 204 No Content\r\n\r\n".to_vec(),
        GenBody::Length(b) => cat(&[format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", b.len()).as_bytes(), b]),
        GenBody::Chunked(b, sizes) => {
            cat(&[b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", &chunked(b, sizes)])
        }
    }
}

fn expect(conv: &Conversation) -> Expected {
    let mut x = Expected { turns: Vec::new(), c2s_kinds: Vec::new(), s2c_kinds: Vec::new(), leftover: 0 };
    for group in &conv.groups {
        x.turns.push((Dir::ClientToServer, group.iter().flat_map(|(r, _)| encode_request(r)).collect()));
        x.turns.push((Dir::ServerToClient, group.iter().flat_map(|(_, b)| encode_response(b)).collect()));
        x.c2s_kinds.extend(group.iter().map(|_| "http_request"));
        x.s2c_kinds.extend(group.iter().map(|_| "http_response"));
    }
    match &conv.ending {
        Ending::Nothing => {}
        Ending::Sse { events, chunks } => {
            x.turns.push((Dir::ClientToServer, GET_EVENTS.to_vec()));
            x.c2s_kinds.push("http_request");
            x.s2c_kinds.push("http_response");
            let body: Vec<u8> = events.iter().flat_map(|e| encode_event(e).into_bytes()).collect();
            let response = match chunks {
                None => cat(&[b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n", &body]),
                Some(sizes) => {
                    // The CRLF after the last data chunk and the last chunk belong to no event,
                    // unless the stream's last event is still open: a CR may be the start of
                    // a CRLF, so a block ending in CR is only complete when the stream ends,
                    // and it is the next event.
                    let last_open = events.last().is_some_and(|e| e.eol == "\r");
                    x.leftover = match (body.is_empty(), last_open) {
                        (true, _) => 5,
                        (false, true) => 0,
                        (false, false) => 7,
                    };
                    cat(&[SSE_CHUNKED_HEAD, &chunked(&body, sizes)])
                }
            };
            x.turns.push((Dir::ServerToClient, response));
            for e in events {
                if e.comment.is_some() {
                    x.s2c_kinds.push("sse_comment");
                }
                x.s2c_kinds.push("sse_event");
            }
        }
        Ending::WebSocket { messages, close } => {
            x.turns.push((Dir::ClientToServer, UPGRADE.to_vec()));
            x.turns.push((Dir::ServerToClient, SWITCHING.to_vec()));
            x.c2s_kinds.push("http_request");
            x.s2c_kinds.extend(["http_response", "ws_handshake"]);
            for (from_client, m) in messages {
                let (dir, kinds) = if *from_client {
                    (Dir::ClientToServer, &mut x.c2s_kinds)
                } else {
                    (Dir::ServerToClient, &mut x.s2c_kinds)
                };
                x.turns.push((dir, encode_message(m, *from_client)));
                kinds.extend(std::iter::repeat_n("ws_frame", m.fragments.len() + usize::from(m.ping.is_some())));
            }
            if *close {
                x.turns.push((Dir::ClientToServer, ws_frame(0x88, Some([9, 9, 9, 9]), &[0x03, 0xe8], None)));
                x.turns.push((Dir::ServerToClient, ws_frame(0x88, None, &[0x03, 0xe8], None)));
                x.c2s_kinds.push("ws_frame");
                x.s2c_kinds.push("ws_frame");
            }
        }
    }
    x
}

/// Cut points for each turn, taken from cuts over the whole conversation.
fn cuts_per_turn(turns: &[(Dir, Vec<u8>)], raw: &[usize]) -> Vec<Vec<usize>> {
    let total: usize = turns.iter().map(|(_, b)| b.len()).sum();
    let cuts = cut_points(total, raw);
    let mut start = 0;
    turns
        .iter()
        .map(|(_, bytes)| {
            let end = start + bytes.len();
            let inside = cuts.iter().filter(|&&c| c > start && c < end).map(|c| c - start).collect();
            start = end;
            inside
        })
        .collect()
}

fn kinds_in(events: &[ConnEvent], dir: Option<Dir>) -> Vec<&'static str> {
    events.iter().filter(|e| e.dir == dir).map(|e| e.kind.name()).collect()
}

/// Bytes that look like HTTP requests and responses, upgrades and WebSocket frames.
const CONN_TOKENS: &[&[u8]] = &[
    b"GET / HTTP/1.1\r\n",
    b"HTTP/1.1 200 OK\r\n",
    b"HTTP/1.1 101 Switching\r\n",
    b"Content-Type: text/event-stream\r\n",
    b"Content-Length: 3\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"Upgrade: websocket\r\nConnection: upgrade\r\n",
    b"\r\n",
    b"3\r\n",
    b"0\r\n",
    b"abc",
    b"data: x\n\n",
    b"\x81\x05",
    b"\x89\x00",
    b"\x88\x02\x03\xe8",
    b"Hello",
];

proptest! {
    #![proptest_config(common::proptest_config())]

    #[test]
    fn valid_conversation_any_split(conv in gen_conversation(), raw in cuts_strategy()) {
        let x = expect(&conv);
        let whole = feed(&x.turns, &[], Some(0));
        let split = feed(&x.turns, &cuts_per_turn(&x.turns, &raw), Some(0));
        prop_assert_eq!(&split, &whole, "the same events however the bytes arrive");
        let (c2s, s2c) = fed(&x.turns);
        let (a, b, close) = attributed(&whole);
        prop_assert_eq!(a, c2s, "client-to-server bytes: {:#?}", rows(&whole));
        prop_assert_eq!(b + close, s2c, "server-to-client bytes: {:#?}", rows(&whole));
        prop_assert_eq!(close, x.leftover, "bytes left to tcp_close");
        prop_assert_eq!(kinds_in(&whole, C), x.c2s_kinds);
        prop_assert_eq!(kinds_in(&whole, S), x.s2c_kinds);
        for e in &whole {
            prop_assert!(e.parent.is_none_or(|p| p < e.id), "{:?}", e);
        }
        let last = whole.last().map(|e| &e.kind);
        let counted = matches!(last, Some(EventKind::TcpClose { bytes_client_to_server, bytes_server_to_client, .. })
            if (*bytes_client_to_server, *bytes_server_to_client) == (c2s, s2c));
        prop_assert!(counted, "tcp_close last, counting what was fed: {:?}", last);
    }

    #[test]
    fn arbitrary_bytes_both_ways_any_split(
        turns in prop::collection::vec((any::<bool>(), protocol_ish_bytes(CONN_TOKENS)), 0..6),
        raw in cuts_strategy(),
    ) {
        let turns: Vec<(Dir, Vec<u8>)> = turns
            .into_iter()
            .map(|(up, b)| (if up { Dir::ClientToServer } else { Dir::ServerToClient }, b))
            .collect();
        let events = feed(&turns, &cuts_per_turn(&turns, &raw), None);
        let (c2s, s2c) = fed(&turns);
        let (a, b, close) = attributed(&events);
        prop_assert_eq!(a + b + close, c2s + s2c);
        prop_assert!(a <= c2s && b <= s2c);
        let last = events.last().map(|e| &e.kind);
        let counted = matches!(last, Some(EventKind::TcpClose { bytes_client_to_server, bytes_server_to_client, .. })
            if (*bytes_client_to_server, *bytes_server_to_client) == (c2s, s2c));
        prop_assert!(counted, "tcp_close last, counting what was fed: {:?}", last);
    }
}
