//! The HTTP/1.1 parser: framing (RFC 9112 §6.3), keep-alive, pipelining and upgrades as
//! fixed vectors, and properties over arbitrary bytes and over valid requests.

use proptest::prelude::*;
use rtclab_wire::http::{self, HttpItem, HttpParser};

use crate::common::{self, cut_points, cuts_strategy, pieces, protocol_ish_bytes, splits};
use crate::traffic::{HELLO_MASKED, HELLO_UNMASKED, encode_request, gen_request};

/// Parses `input` whole, checks split independence (up to joining body pieces) and byte
/// accounting, and returns the joined items.
fn http_check(make: fn() -> HttpParser, input: &[u8]) -> Vec<HttpItem> {
    common::check(make, input)
}

/// Items with adjacent body pieces joined.
fn http_run(parser: HttpParser, input: &[u8], cuts: &[usize]) -> Vec<HttpItem> {
    common::run(parser, input, cuts)
}

fn http_wire(items: &[HttpItem]) -> usize {
    common::wire::<HttpParser>(items) as usize
}

fn body_of(items: &[HttpItem]) -> Vec<u8> {
    items
        .iter()
        .filter_map(|i| match i {
            HttpItem::Body { data, .. } => Some(data.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

#[test]
fn keep_alive_get_then_second_request() {
    let input = b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\nGET /b?q=1 HTTP/1.1\r\nHost: x\r\n\r\n";
    let items = http_check(HttpParser::requests, input);
    assert_eq!(items.len(), 4);
    let HttpItem::Request(first) = &items[0] else { panic!("{items:?}") };
    assert_eq!((first.method.as_str(), first.target.as_str(), first.version.as_str()), ("GET", "/a", "HTTP/1.1"));
    assert_eq!(header(&first.headers, "host"), Some("x"));
    assert_eq!(first.head_len, 52);
    assert_eq!(items[1], HttpItem::End { wire_len: 0 });
    let HttpItem::Request(second) = &items[2] else { panic!("{items:?}") };
    assert_eq!(second.target, "/b?q=1");
}

#[test]
fn post_with_content_length_then_pipelined_get() {
    let input = b"POST /submit HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello worldGET / HTTP/1.0\r\n\r\n";
    let items = http_check(HttpParser::requests, input);
    assert!(matches!(&items[0], HttpItem::Request(r) if r.method == "POST"));
    assert_eq!(items[1], HttpItem::Body { data: b"hello world".to_vec(), wire_len: 11 });
    assert_eq!(items[2], HttpItem::End { wire_len: 0 });
    assert!(matches!(&items[3], HttpItem::Request(r) if r.version == "HTTP/1.0"));
}

#[test]
fn empty_lines_before_a_request_count_in_its_head() {
    let input = b"POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx\r\nGET / HTTP/1.1\r\n\r\n";
    let items = http_check(HttpParser::requests, input);
    let HttpItem::Request(second) = &items[3] else { panic!("{items:?}") };
    assert_eq!(second.head_len, 2 + 18);
}

#[test]
fn chunked_response_with_extensions_and_trailers() {
    let input = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n\
HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let items = http_check(HttpParser::responses, input);
    assert!(matches!(&items[0], HttpItem::Response(r) if r.status == 200 && r.reason == "OK"));
    let HttpItem::Body { data, wire_len } = &items[1] else { panic!("{items:?}") };
    assert_eq!(data, b"hello world");
    assert_eq!(*wire_len, "5;name=value\r\nhello\r\n6\r\n world".len());
    assert_eq!(items[2], HttpItem::End { wire_len: "\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n".len() });
    assert!(matches!(&items[3], HttpItem::Response(_)));
    assert_eq!(body_of(&items[4..]), b"ok");
}

#[test]
fn bad_chunk_size_is_an_error() {
    let input = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nmore bytes";
    let items = http_check(HttpParser::responses, input);
    let errors: Vec<_> = items.iter().filter(|i| matches!(i, HttpItem::Error { .. })).collect();
    assert_eq!(errors.len(), 2, "the bad line, then the bytes after it");
    assert!(matches!(errors[0], HttpItem::Error { offset: 0, message, .. } if message.contains("chunk")));
}

#[test]
fn head_response_has_no_body() {
    let mut parser = HttpParser::responses();
    parser.expect_response_to("HEAD");
    parser.expect_response_to("GET");
    let input = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    let mut items = parser.push(input);
    items.extend(parser.finish());
    assert!(matches!(&items[0], HttpItem::Response(_)));
    assert_eq!(items[1], HttpItem::End { wire_len: 0 });
    assert!(matches!(&items[2], HttpItem::Response(_)));
    assert_eq!(items[3], HttpItem::Body { data: b"hello".to_vec(), wire_len: 5 });
    assert_eq!(items[4], HttpItem::End { wire_len: 0 });
    assert_eq!(items.len(), 5);
    assert_eq!(http_wire(&items), input.len());
}

#[test]
fn status_204_and_304_have_no_body() {
    let input = b"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n\
HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
    let items = http_check(HttpParser::responses, input);
    let statuses: Vec<u16> = items
        .iter()
        .filter_map(|i| match i {
            HttpItem::Response(r) => Some(r.status),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, [204, 304, 100, 200]);
    assert_eq!(body_of(&items), b"abc");
    assert_eq!(items.iter().filter(|i| matches!(i, HttpItem::End { .. })).count(), 4);
}

#[test]
fn status_101_then_websocket_bytes() {
    let head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    let mut input = head.to_vec();
    input.extend(HELLO_UNMASKED);
    for cuts in splits(input.len()) {
        let mut parser = HttpParser::responses();
        parser.expect_response_to("GET");
        let mut items = Vec::new();
        for piece in pieces(&input, &cuts) {
            items.extend(parser.push(piece));
        }
        assert!(parser.is_upgraded());
        let upgraded = parser.take_upgraded();
        assert_eq!(upgraded, HELLO_UNMASKED, "split {cuts:?}");
        items.extend(parser.finish());
        assert_eq!(items.len(), 2);
        assert!(matches!(&items[0], HttpItem::Response(r) if r.status == 101 && r.head_len == head.len()));
        assert_eq!(http_wire(&items) as u64, parser.bytes_seen());
        assert_eq!(parser.bytes_seen(), head.len() as u64);
    }
}

#[test]
fn upgrade_request_holds_bytes_until_the_caller_decides() {
    let request = b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\r\n";
    let mut input = request.to_vec();
    input.extend(HELLO_MASKED);

    let mut accepted = HttpParser::requests();
    let items = accepted.push(&input);
    assert_eq!(items.len(), 2);
    assert!(accepted.upgrade_pending() && !accepted.is_upgraded());
    assert_eq!(accepted.take_upgraded(), HELLO_MASKED);
    assert!(accepted.is_upgraded());
    assert!(accepted.finish().is_empty());

    let mut refused = HttpParser::requests();
    let mut input = request.to_vec();
    input.extend(b"GET /next HTTP/1.1\r\n\r\n");
    let mut items = refused.push(&input);
    assert_eq!(items.len(), 2);
    items.extend(refused.resume_http());
    assert!(matches!(&items[2], HttpItem::Request(r) if r.target == "/next"));
    items.extend(refused.finish());
    assert_eq!(http_wire(&items), input.len());
}

#[test]
fn response_read_until_close() {
    let input = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: 1\n\ndata: 2\n\n";
    let items = http_check(HttpParser::responses, input);
    assert_eq!(body_of(&items), b"data: 1\n\ndata: 2\n\n");
    assert_eq!(items.last(), Some(&HttpItem::End { wire_len: 0 }));
}

#[test]
fn truncated_body_is_an_error_at_finish() {
    let input = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
    let items = http_check(HttpParser::responses, input);
    assert!(matches!(items.last(), Some(HttpItem::Error { offset: 0, .. })));
    let items = http_check(HttpParser::requests, b"GET / HTTP/1.1\r\nHost:");
    assert!(matches!(items.as_slice(), [HttpItem::Error { offset: 0, wire_len: 21, .. }]));
}

#[test]
fn malformed_request_line() {
    let input = b"GET / HTTP/1.1\r\n\r\nG\x01T / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n\r\n";
    let items = http_check(HttpParser::requests, input);
    assert!(matches!(&items[0], HttpItem::Request(_)));
    let HttpItem::Error { offset, wire_len, .. } = &items[2] else { panic!("{items:?}") };
    assert_eq!((*offset, *wire_len), (18, 27));
    // After an error the rest of the stream is one more error.
    assert!(matches!(&items[3], HttpItem::Error { offset: 45, wire_len: 18, .. }));
    assert_eq!(items.len(), 4);
}

#[test]
fn invalid_and_conflicting_content_length() {
    for bad in ["Content-Length: 1x", "Content-Length: 3\r\nContent-Length: 4"] {
        let input = format!("POST / HTTP/1.1\r\n{bad}\r\n\r\nabcd");
        let items = http_check(HttpParser::requests, input.as_bytes());
        assert!(matches!(&items[0], HttpItem::Request(_)));
        assert!(matches!(&items[1], HttpItem::Error { offset: 0, wire_len: 0, .. }), "{items:?}");
        assert!(matches!(&items[2], HttpItem::Error { wire_len: 4, .. }));
    }
}

#[test]
fn head_over_max_head() {
    let mut input = b"GET / HTTP/1.1\r\n".to_vec();
    while input.len() < http::MAX_HEAD + 100 {
        input.extend(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    input.extend(b"\r\n");
    for chunk in [1 << 20, 1000, 7] {
        let mut parser = HttpParser::requests();
        let mut items = Vec::new();
        for piece in input.chunks(chunk) {
            items.extend(parser.push(piece));
        }
        items.extend(parser.finish());
        assert_eq!(items.len(), 2, "{items:?}");
        let HttpItem::Error { offset, message, wire_len } = &items[0] else { panic!("{items:?}") };
        assert_eq!((*offset, *wire_len), (0, http::MAX_HEAD));
        assert!(message.contains("longer than"));
        assert_eq!(http_wire(&items), input.len());
    }
}

#[test]
fn too_many_headers() {
    let mut input = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..=http::MAX_HEADERS {
        input.extend(format!("X-{i}: v\r\n").as_bytes());
    }
    input.extend(b"\r\n");
    let items = http_check(HttpParser::requests, &input);
    assert!(matches!(&items[0], HttpItem::Error { offset: 0, .. }), "{items:?}");
}

#[test]
fn connect_tunnel() {
    let mut parser = HttpParser::responses();
    parser.expect_response_to("CONNECT");
    let items = parser.push(b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01");
    assert_eq!(items.len(), 2);
    assert!(parser.is_upgraded());
    assert_eq!(parser.take_upgraded(), b"\x16\x03\x01");
}

const HTTP_TOKENS: &[&[u8]] = &[
    b"GET / HTTP/1.1\r\n",
    b"HTTP/1.1 200 OK\r\n",
    b"HTTP/1.1 101 Switching\r\n",
    b"Content-Length: 3\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"Upgrade: websocket\r\nConnection: upgrade\r\n",
    b"\r\n",
    b"3\r\n",
    b"0\r\n",
    b"abc",
    b"\n",
];

proptest! {
    #![proptest_config(common::proptest_config())]

    #[test]
    fn arbitrary_bytes_any_split(
        input in protocol_ish_bytes(HTTP_TOKENS),
        raw in cuts_strategy(),
        responses in any::<bool>(),
    ) {
        let make = if responses { HttpParser::responses } else { HttpParser::requests };
        let whole = http_run(make(), &input, &[]);
        let split = http_run(make(), &input, &cut_points(input.len(), &raw));
        prop_assert_eq!(http_wire(&whole), input.len());
        prop_assert_eq!(split, whole);
    }

    #[test]
    fn valid_requests_any_split(requests in prop::collection::vec(gen_request(), 0..6), raw in cuts_strategy()) {
        let input: Vec<u8> = requests.iter().flat_map(encode_request).collect();
        let whole = http_run(HttpParser::requests(), &input, &[]);
        let split = http_run(HttpParser::requests(), &input, &cut_points(input.len(), &raw));
        prop_assert_eq!(&split, &whole);
        prop_assert_eq!(http_wire(&whole), input.len());
        let mut items = whole.iter().peekable();
        for want in &requests {
            let Some(HttpItem::Request(head)) = items.next() else {
                return Err(TestCaseError::fail(format!("expected a request head: {whole:?}")));
            };
            prop_assert_eq!(&head.method, &want.method);
            prop_assert_eq!(&head.target, &want.target);
            let mut body: Vec<u8> = Vec::new();
            while let Some(HttpItem::Body { data, .. }) = items.peek() {
                body.extend(data);
                items.next();
            }
            prop_assert_eq!(&body, &want.body);
            let ended = matches!(items.next(), Some(HttpItem::End { .. }));
            prop_assert!(ended, "expected the end of the request");
        }
        prop_assert!(items.next().is_none());
    }
}
