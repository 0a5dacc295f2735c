//! Conformance and robustness tests for the SSE, WebSocket and HTTP/1.1 decoders.
//!
//! Every fixed vector is also checked for the two properties all decoders promise: the
//! items do not depend on where the input is split, and the items account for every byte.

use proptest::prelude::*;
use rtclab_wire::http::{self, HttpItem, HttpParser};
use rtclab_wire::sse::{self, SseEvent, SseItem, SseParser};
use rtclab_wire::ws::{self, Fragment, WsError, WsFrame, WsItem, WsParser};

// ---------------------------------------------------------------- shared helpers

/// Cut points (sorted, within `0..=len`) derived from arbitrary numbers.
fn cut_points(len: usize, raw: &[usize]) -> Vec<usize> {
    let mut cuts: Vec<usize> = raw.iter().map(|r| r % (len + 1)).collect();
    cuts.sort_unstable();
    cuts
}

/// Splits `input` at `cuts` (sorted) into consecutive pieces.
fn pieces<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for &cut in cuts {
        out.push(&input[start..cut]);
        start = cut;
    }
    out.push(&input[start..]);
    out
}

/// Every way of splitting `input` worth checking exhaustively for a short vector: whole,
/// one byte at a time, and every single cut point.
fn standard_splits(len: usize) -> Vec<Vec<usize>> {
    let mut splits = vec![vec![], (1..len).collect()];
    splits.extend((0..=len).map(|cut| vec![cut]));
    splits
}

// ---------------------------------------------------------------- SSE helpers

fn sse_run(input: &[u8], cuts: &[usize]) -> Vec<SseItem> {
    let mut parser = SseParser::new();
    let mut items = Vec::new();
    for piece in pieces(input, cuts) {
        items.extend(parser.push(piece));
    }
    items.extend(parser.finish());
    assert_eq!(parser.bytes_seen(), input.len() as u64);
    items
}

fn sse_wire(items: &[SseItem]) -> usize {
    items
        .iter()
        .map(|item| match item {
            SseItem::Event(e) => e.wire_len,
            SseItem::Comment(c) => c.wire_len,
            SseItem::Error(e) => e.wire_len,
            SseItem::Incomplete { wire_len } => *wire_len,
        })
        .sum()
}

/// Parses `input` whole, checks split independence and byte accounting, returns the items.
fn sse_check(input: &[u8]) -> Vec<SseItem> {
    let whole = sse_run(input, &[]);
    assert_eq!(sse_wire(&whole), input.len(), "byte accounting for {input:?}");
    for cuts in standard_splits(input.len()) {
        assert_eq!(sse_run(input, &cuts), whole, "split at {cuts:?}");
    }
    whole
}

fn dispatched(items: &[SseItem]) -> Vec<&SseEvent> {
    items
        .iter()
        .filter_map(|item| match item {
            SseItem::Event(e) if e.dispatched => Some(e),
            _ => None,
        })
        .collect()
}

fn dispatched_data(items: &[SseItem]) -> Vec<&str> {
    dispatched(items).iter().map(|e| e.data.as_str()).collect()
}

fn comments(items: &[SseItem]) -> Vec<&str> {
    items
        .iter()
        .filter_map(|item| match item {
            SseItem::Comment(c) => Some(c.text.as_str()),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------- SSE vectors

#[test]
fn sse_bom_is_skipped_once() {
    let items = sse_check("\u{FEFF}data: 1\n\n\u{FEFF}data: 2\n\ndata: 3\n\n".as_bytes());
    assert_eq!(dispatched_data(&items), ["1", "3"]);
    let SseItem::Event(first) = &items[0] else { panic!("{items:?}") };
    assert_eq!(first.wire_len, 3 + "data: 1\n\n".len(), "the BOM counts in the first item");
    // The second BOM makes the field name "\u{FEFF}data", an unknown field.
    let SseItem::Event(second) = &items[1] else { panic!("{items:?}") };
    assert!(!second.dispatched);
}

#[test]
fn sse_two_boms_make_the_first_field_unknown() {
    let items = sse_check("\u{FEFF}\u{FEFF}data: 1\n\ndata: 2\n\ndata: 3\n\n".as_bytes());
    assert_eq!(dispatched_data(&items), ["2", "3"]);
}

#[test]
fn sse_comments_are_their_own_items() {
    let long = "x".repeat(3000);
    let input = format!("data:1\r:\0\n:\r\ndata:2\n:{long}\rdata:3\n:data:fail\r: {long}\ndata:4\n\n");
    let items = sse_check(input.as_bytes());
    assert_eq!(dispatched_data(&items), ["1\n2\n3\n4"]);
    assert_eq!(comments(&items), ["\0", "", long.as_str(), "data:fail", long.as_str()]);
    let event = dispatched(&items)[0];
    assert_eq!(event.wire_len, "data:1\rdata:2\ndata:3\ndata:4\n\n".len());
    assert_eq!(event.data_len, 4);
}

#[test]
fn sse_comment_between_events_and_following_blank_line() {
    let items = sse_check(b": hi\n\ndata: x\n\n");
    assert!(matches!(&items[0], SseItem::Comment(c) if c.text == "hi" && c.wire_len == 5));
    // The blank line after a comment ends an empty block: an undispatched event of 1 byte.
    assert!(matches!(&items[1], SseItem::Event(e) if !e.dispatched && e.wire_len == 1 && e.data.is_empty()));
    assert_eq!(dispatched_data(&items), ["x"]);
}

#[test]
fn sse_field_data_joins_lines_with_lf() {
    let items = sse_check(b"data:\n\ndata\ndata\n\ndata:test\n\n");
    assert_eq!(dispatched_data(&items), ["", "\n", "test"]);
    let items = sse_check(b"data: a\ndata: b\ndata:  c\n\n");
    assert_eq!(dispatched_data(&items), ["a\nb\n c"]);
    assert_eq!(dispatched(&items)[0].data_len, 4);
}

#[test]
fn sse_event_type_resets_after_dispatch() {
    let items = sse_check(b"event: test\ndata: x\n\ndata: y\n\nevent: a\nevent: b\ndata: z\n\n");
    let types: Vec<_> = dispatched(&items).iter().map(|e| e.event_type.clone()).collect();
    assert_eq!(types, [Some("test".to_string()), None, Some("b".to_string())]);
}

#[test]
fn sse_empty_event_type_means_message() {
    let items = sse_check(b"event: \ndata: data\n\n");
    assert_eq!(dispatched(&items)[0].event_type, None);
}

#[test]
fn sse_id_persists_across_events() {
    let mut parser = SseParser::new();
    let items = parser.push(b"id: 1\ndata: x\n\ndata: y\n\n");
    let events = dispatched(&items);
    assert_eq!(events[0].id.as_deref(), Some("1"));
    assert_eq!(events[0].last_event_id, "1");
    assert_eq!(events[1].id, None);
    assert_eq!(events[1].last_event_id, "1");
    assert_eq!(parser.last_event_id(), "1");
    sse_check(b"id: 1\ndata: x\n\ndata: y\n\n");
}

#[test]
fn sse_empty_id_resets_the_buffer() {
    let items = sse_check(b"id: 1\ndata: a\n\nid\ndata: b\n\nid: 2\n\ndata: c\n\n");
    let ids: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            SseItem::Event(e) => Some(e.last_event_id.as_str()),
            _ => None,
        })
        .collect();
    // The block holding only `id: 2` is not dispatched, yet it sets the buffer.
    assert_eq!(ids, ["1", "", "2", "2"]);
    assert_eq!(dispatched_data(&items), ["a", "b", "c"]);
}

#[test]
fn sse_id_with_nul_is_ignored() {
    let items = sse_check(b"id: a\ndata: 1\n\nid: b\0c\ndata: 2\n\n");
    let events = dispatched(&items);
    assert_eq!(events[1].id, None);
    assert_eq!(events[1].last_event_id, "a");
}

#[test]
fn sse_field_parsing() {
    let input = b"data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n\n";
    let items = sse_check(input);
    assert_eq!(dispatched_data(&items), ["\0\n 2\n1\n3\n\n4"]);
}

#[test]
fn sse_retry_digits_only() {
    let mut parser = SseParser::new();
    let items = parser.push(b"retry:03000\ndata:x\n\n");
    assert_eq!(dispatched(&items)[0].retry_ms, Some(3000));
    assert_eq!(parser.retry_ms(), Some(3000));
    sse_check(b"retry:03000\ndata:x\n\n");
}

#[test]
fn sse_bogus_retry_is_ignored() {
    let mut parser = SseParser::new();
    let items = parser.push(b"retry: 1000\nretry: 2000x\nretry:  3000\nretry: 4000\x00\ndata:x\n\n");
    assert_eq!(dispatched(&items)[0].retry_ms, Some(1000));
    assert_eq!(parser.retry_ms(), Some(1000));
    let items = parser.push(b"retry: 1000x\ndata:y\n\n");
    assert_eq!(dispatched(&items)[0].retry_ms, None);
    assert_eq!(parser.retry_ms(), Some(1000), "reconnection time persists");
}

#[test]
fn sse_empty_retry_is_ignored() {
    let items = sse_check(b"retry\ndata: test\n\nretry:\ndata: test2\n\n");
    assert_eq!(dispatched_data(&items), ["test", "test2"]);
    assert!(dispatched(&items).iter().all(|e| e.retry_ms.is_none()));
}

#[test]
fn sse_unknown_fields_are_ignored() {
    let items = sse_check(b"data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test\n\n");
    assert_eq!(dispatched_data(&items), ["test\n\ntest"]);
}

#[test]
fn sse_only_one_leading_space_is_removed() {
    let items = sse_check(b"data:\x20\x20test\n\ndata:test\n\ndata:\ttest\n\n");
    assert_eq!(dispatched_data(&items), [" test", "test", "\ttest"]);
}

#[test]
fn sse_mixed_newlines() {
    let items = sse_check(b"data:test\r\ndata\ndata:test\r\n\r");
    assert_eq!(dispatched_data(&items), ["test\n\ntest"]);
    assert_eq!(dispatched(&items)[0].wire_len, "data:test\r\ndata\ndata:test\r\n\r".len());
    let items = sse_check(b"data:a\rdata:b\r\rdata:c\n\ndata:d\r\n\r\n");
    assert_eq!(dispatched_data(&items), ["a\nb", "c", "d"]);
}

#[test]
fn sse_nul_in_data_is_kept() {
    let items = sse_check(b"data: a\0b\n\n");
    assert_eq!(dispatched_data(&items), ["a\0b"]);
}

#[test]
fn sse_utf8_decoding_with_replacement() {
    let items = sse_check("data:\u{e9}t\u{e9} \u{1F600}\n\n".as_bytes());
    assert_eq!(dispatched_data(&items), ["\u{e9}t\u{e9} \u{1F600}"]);
    let items = sse_check(b"data:\xFF\xFE ok \xE2\x82\n\n");
    assert_eq!(dispatched_data(&items), ["\u{FFFD}\u{FFFD} ok \u{FFFD}"]);
    assert_eq!(dispatched(&items)[0].data_len, 8);
}

#[test]
fn sse_block_without_final_blank_line_is_not_dispatched() {
    let input = b"retry:1000\ndata:test1\n\nid:test\ndata:test2";
    let items = sse_check(input);
    assert_eq!(dispatched_data(&items), ["test1"]);
    assert_eq!(items.last(), Some(&SseItem::Incomplete { wire_len: "id:test\ndata:test2".len() }));
    let mut parser = SseParser::new();
    parser.push(input);
    parser.finish();
    assert_eq!(parser.last_event_id(), "test", "the complete id line was processed");
}

#[test]
fn sse_overlong_line_reports_error_and_skips_it() {
    let mut input = b"data: a\n:".to_vec();
    input.extend(std::iter::repeat_n(b'c', sse::MAX_LINE));
    input.extend(b"\r\ndata: b\n\n");
    let mut parser = SseParser::new();
    let mut items = Vec::new();
    for piece in input.chunks(777) {
        items.extend(parser.push(piece));
    }
    items.extend(parser.finish());
    let errors: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            SseItem::Error(e) => Some(e.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].offset, 8);
    assert_eq!(errors[0].wire_len, sse::MAX_LINE + 3);
    assert_eq!(dispatched_data(&items), ["a\nb"]);
    assert_eq!(sse_wire(&items), input.len());
}

// ---------------------------------------------------------------- WebSocket helpers

fn ws_run(from_client: bool, input: &[u8], cuts: &[usize]) -> Vec<WsItem> {
    let mut parser = WsParser::new(from_client);
    let mut items = Vec::new();
    for piece in pieces(input, cuts) {
        items.extend(parser.push(piece));
    }
    items.extend(parser.finish());
    assert_eq!(parser.bytes_seen(), input.len() as u64);
    items
}

fn ws_wire(items: &[WsItem]) -> u64 {
    items
        .iter()
        .map(|item| match item {
            WsItem::Frame(f) => f.header_len as u64 + f.payload_len,
            WsItem::Error(e) => e.wire_len as u64,
        })
        .sum()
}

fn ws_check(from_client: bool, input: &[u8]) -> Vec<WsItem> {
    let whole = ws_run(from_client, input, &[]);
    assert_eq!(ws_wire(&whole), input.len() as u64, "byte accounting");
    let splits = if input.len() > 400 {
        vec![(1..input.len()).step_by(97).collect(), vec![1], vec![input.len() - 1]]
    } else {
        standard_splits(input.len())
    };
    for cuts in splits {
        assert_eq!(ws_run(from_client, input, &cuts), whole, "split at {cuts:?}");
    }
    whole
}

fn frames(items: &[WsItem]) -> Vec<&WsFrame> {
    items
        .iter()
        .filter_map(|i| match i {
            WsItem::Frame(f) => Some(f),
            _ => None,
        })
        .collect()
}

fn ws_errors(items: &[WsItem]) -> Vec<&WsError> {
    items
        .iter()
        .filter_map(|i| match i {
            WsItem::Error(e) => Some(e),
            _ => None,
        })
        .collect()
}

/// Encodes a frame; `len_form` forces the 126 or 127 length form (for non-minimal tests).
fn ws_frame(first: u8, mask: Option<[u8; 4]>, payload: &[u8], len_form: Option<u8>) -> Vec<u8> {
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    let len = payload.len();
    let form = len_form.unwrap_or(match len {
        0..=125 => 0,
        126..=0xFFFF => 126,
        _ => 127,
    });
    let mut out = vec![first];
    match form {
        126 => {
            out.push(mask_bit | 126);
            out.extend((len as u16).to_be_bytes());
        }
        127 => {
            out.push(mask_bit | 127);
            out.extend((len as u64).to_be_bytes());
        }
        _ => out.push(mask_bit | len as u8),
    }
    if let Some(key) = mask {
        out.extend(key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        out.extend(payload);
    }
    out
}

/// Asserts exactly one error whose message contains `needle`, at `offset`.
fn assert_one_error(items: &[WsItem], needle: &str, offset: u64) {
    let matching: Vec<_> = ws_errors(items).into_iter().filter(|e| e.message.contains(needle)).collect();
    assert_eq!(matching.len(), 1, "errors matching {needle:?} in {items:#?}");
    assert_eq!(matching[0].offset, offset, "{needle}");
    assert!(!matching[0].fatal);
}

const HELLO_UNMASKED: [u8; 7] = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
const HELLO_MASKED: [u8; 11] = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];

// ---------------------------------------------------------------- WebSocket vectors (RFC 6455 §5.7)

#[test]
fn ws_single_frame_unmasked_text() {
    let items = ws_check(false, &HELLO_UNMASKED);
    assert_eq!(items.len(), 1);
    let f = frames(&items)[0];
    assert!(f.fin && !f.masked && f.mask_key.is_none());
    assert_eq!((f.opcode, f.header_len, f.payload_len), (1, 2, 5));
    assert_eq!(f.preview, b"Hello");
    assert_eq!(f.fragment, Fragment::Whole);
    assert_eq!(f.text_valid_utf8, Some(true));
    assert_eq!(ws::opcode_name(f.opcode), "text");
}

#[test]
fn ws_single_frame_masked_text() {
    let items = ws_check(true, &HELLO_MASKED);
    assert_eq!(items.len(), 1);
    let f = frames(&items)[0];
    assert_eq!(f.mask_key, Some([0x37, 0xfa, 0x21, 0x3d]));
    assert_eq!(f.header_len, 6);
    assert_eq!(f.preview, b"Hello");
    assert_eq!(f.text_valid_utf8, Some(true));
}

#[test]
fn ws_fragmented_unmasked_text() {
    let input = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
    let items = ws_check(false, &input);
    let fs = frames(&items);
    assert_eq!(items.len(), 2);
    assert_eq!((fs[0].fragment, fs[0].fin, fs[0].opcode), (Fragment::First, false, 1));
    assert_eq!(fs[0].text_valid_utf8, None);
    assert_eq!((fs[1].fragment, fs[1].opcode), (Fragment::Last, 0));
    assert_eq!(fs[0].preview, b"Hel");
    assert_eq!(fs[1].preview, b"lo");
    assert_eq!(fs[1].text_valid_utf8, Some(true));
}

#[test]
fn ws_ping_and_masked_pong() {
    let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let items = ws_check(false, &ping);
    assert_eq!(items.len(), 1);
    assert_eq!(ws::opcode_name(frames(&items)[0].opcode), "ping");
    assert_eq!(frames(&items)[0].preview, b"Hello");
    let pong = [0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    let items = ws_check(true, &pong);
    assert_eq!(items.len(), 1);
    assert_eq!(ws::opcode_name(frames(&items)[0].opcode), "pong");
    assert_eq!(frames(&items)[0].preview, b"Hello");
}

#[test]
fn ws_binary_with_16_and_64_bit_lengths() {
    let payload: Vec<u8> = (0..256u32).map(|i| i as u8).collect();
    let mut input = vec![0x82, 0x7E, 0x01, 0x00];
    input.extend(&payload);
    let items = ws_check(false, &input);
    let f = frames(&items)[0];
    assert_eq!((f.header_len, f.payload_len), (4, 256));
    assert_eq!(f.preview, payload);
    assert_eq!(f.text_valid_utf8, None);

    let payload: Vec<u8> = (0..65536u32).map(|i| (i * 7) as u8).collect();
    let mut input = vec![0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0];
    input.extend(&payload);
    let items = ws_check(false, &input);
    assert_eq!(items.len(), 1);
    let f = frames(&items)[0];
    assert_eq!((f.header_len, f.payload_len), (10, 65536));
    assert_eq!(f.preview, &payload[..ws::PREVIEW_LIMIT]);
}

#[test]
fn ws_masked_preview_is_unmasked_past_block_boundaries() {
    let payload: Vec<u8> = (0..2000u32).map(|i| (i % 251) as u8).collect();
    let input = ws_frame(0x82, Some([1, 2, 3, 4]), &payload, None);
    let items = ws_check(true, &input);
    assert_eq!(frames(&items)[0].preview, &payload[..ws::PREVIEW_LIMIT]);
}

#[test]
fn ws_close_with_code_and_reason() {
    let input = [0x88, 0x05, 0x03, 0xe8, b'b', b'y', b'e'];
    let items = ws_check(false, &input);
    assert_eq!(items.len(), 1);
    let f = frames(&items)[0];
    assert_eq!(f.close_code, Some(1000));
    assert_eq!(f.close_reason.as_deref(), Some("bye"));
    let items = ws_check(true, &ws_frame(0x88, Some([9, 8, 7, 6]), &[0x0f, 0xa0], None));
    assert_eq!(frames(&items)[0].close_code, Some(4000));
    assert_eq!(frames(&items)[0].close_reason.as_deref(), Some(""));
    assert!(ws_errors(&items).is_empty());
}

/// A valid 7-byte frame placed first, so errors must name offset 7, not 0.
fn after_hello(frame: &[u8]) -> Vec<u8> {
    let mut input = HELLO_UNMASKED.to_vec();
    input.extend(frame);
    input
}

#[test]
fn ws_masking_violations() {
    let items = ws_check(true, &after_hello(&HELLO_UNMASKED));
    let errors = ws_errors(&items);
    assert_eq!(errors.len(), 2);
    assert_eq!((errors[0].offset, errors[1].offset), (0, 7));
    assert!(errors[0].message.contains("not masked"));
    let items = ws_check(false, &after_hello(&HELLO_MASKED));
    assert_one_error(&items, "server frame is masked", 7);
    assert_eq!(frames(&items).len(), 2, "the frame is still emitted");
}

#[test]
fn ws_rsv_bits() {
    for first in [0xC1, 0xA1, 0x91] {
        let items = ws_check(false, &after_hello(&ws_frame(first, None, b"x", None)));
        assert_one_error(&items, "RSV", 7);
    }
}

#[test]
fn ws_reserved_opcodes() {
    for opcode in [0x3, 0x7, 0xB, 0xF] {
        let items = ws_check(false, &after_hello(&ws_frame(0x80 | opcode, None, b"x", None)));
        assert_one_error(&items, "reserved opcode", 7);
        assert_eq!(ws::opcode_name(opcode), "reserved");
    }
}

#[test]
fn ws_control_frame_violations() {
    let items = ws_check(false, &after_hello(&ws_frame(0x09, None, b"x", None)));
    assert_one_error(&items, "control frame is fragmented", 7);
    let items = ws_check(false, &after_hello(&ws_frame(0x89, None, &[0; 126], None)));
    assert_one_error(&items, "exceeds 125", 7);
    assert_eq!(frames(&items)[1].payload_len, 126);
}

#[test]
fn ws_close_payload_violations() {
    let items = ws_check(false, &after_hello(&ws_frame(0x88, None, &[0x03], None)));
    assert_one_error(&items, "close payload of 1 byte", 7);
    for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
        let items = ws_check(false, &after_hello(&ws_frame(0x88, None, &code.to_be_bytes(), None)));
        assert_one_error(&items, "not allowed on the wire", 7);
        assert_eq!(frames(&items)[1].close_code, Some(code));
    }
    let items = ws_check(false, &after_hello(&ws_frame(0x88, None, &[0x03, 0xe8, 0xff, b'a'], None)));
    assert_one_error(&items, "close reason is not valid UTF-8", 7);
}

#[test]
fn ws_fragmentation_violations() {
    let items = ws_check(false, &after_hello(&ws_frame(0x80, None, b"x", None)));
    assert_one_error(&items, "continuation frame with no message", 7);
    let mut input = after_hello(&ws_frame(0x01, None, b"a", None));
    input.extend(ws_frame(0x81, None, b"b", None));
    let items = ws_check(false, &input);
    assert_one_error(&items, "while a fragmented message is in progress", 10);
    // A ping between fragments is fine.
    let mut input = ws_frame(0x01, None, b"a", None);
    input.extend(ws_frame(0x89, None, b"p", None));
    input.extend(ws_frame(0x80, None, b"b", None));
    let items = ws_check(false, &input);
    assert!(ws_errors(&items).is_empty(), "{items:?}");
    assert_eq!(frames(&items)[2].text_valid_utf8, Some(true));
}

#[test]
fn ws_invalid_utf8_text() {
    let items = ws_check(false, &after_hello(&ws_frame(0x81, None, b"ok\xFFok", None)));
    assert_one_error(&items, "not valid UTF-8", 7);
    assert_eq!(frames(&items)[1].text_valid_utf8, Some(false));
    // A multi-byte character split across fragments is valid.
    let mut input = ws_frame(0x01, None, &[0xE2, 0x82], None);
    input.extend(ws_frame(0x80, None, &[0xAC], None));
    let items = ws_check(false, &input);
    assert!(ws_errors(&items).is_empty());
    assert_eq!(frames(&items)[1].text_valid_utf8, Some(true));
    // A message ending mid-character is invalid; the error names the final frame.
    let mut input = ws_frame(0x01, None, b"a", None);
    input.extend(ws_frame(0x80, None, &[0xE2, 0x82], None));
    let items = ws_check(false, &input);
    assert_one_error(&items, "not valid UTF-8", 3);
    assert_eq!(frames(&items)[1].text_valid_utf8, Some(false));
}

#[test]
fn ws_non_minimal_lengths() {
    let items = ws_check(false, &after_hello(&ws_frame(0x82, None, b"hello", Some(126))));
    assert_one_error(&items, "not minimally encoded", 7);
    assert_eq!(frames(&items)[1].payload_len, 5);
    let items = ws_check(false, &after_hello(&ws_frame(0x82, None, &[1; 200], Some(127))));
    assert_one_error(&items, "not minimally encoded", 7);
}

#[test]
fn ws_length_with_msb_set_is_fatal() {
    let mut input = after_hello(&[0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1]);
    input.extend(HELLO_UNMASKED);
    let items = ws_check(false, &input);
    let errors = ws_errors(&items);
    assert_eq!(frames(&items).len(), 1, "nothing is decoded after the fatal error");
    assert_eq!(errors.len(), 2);
    assert!(errors[0].fatal && errors[0].message.contains("most significant bit"));
    assert_eq!((errors[0].offset, errors[0].wire_len), (7, 10));
    assert!(errors[1].fatal);
    assert_eq!((errors[1].offset, errors[1].wire_len), (17, 7));
}

#[test]
fn ws_truncated_frame_at_finish() {
    let items = ws_check(false, &after_hello(&[0x82, 0x05, 1, 2]));
    let errors = ws_errors(&items);
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].offset, errors[0].wire_len), (7, 4));
    let items = ws_check(false, &after_hello(&[0x82, 0x7E, 0x01]));
    assert_eq!(ws_errors(&items)[0].wire_len, 3);
}

// ---------------------------------------------------------------- HTTP helpers

fn http_run(mut parser: HttpParser, input: &[u8], cuts: &[usize]) -> Vec<HttpItem> {
    let mut items = Vec::new();
    for piece in pieces(input, cuts) {
        items.extend(parser.push(piece));
    }
    items.extend(parser.finish());
    items
}

fn http_wire(items: &[HttpItem]) -> usize {
    items
        .iter()
        .map(|item| match item {
            HttpItem::Request(r) => r.head_len,
            HttpItem::Response(r) => r.head_len,
            HttpItem::Body { wire_len, .. } | HttpItem::End { wire_len } | HttpItem::Error { wire_len, .. } => {
                *wire_len
            }
        })
        .sum()
}

/// Joins adjacent `Body` items: body data is delivered as it arrives, so only the joined
/// form is independent of how the input was split.
fn coalesce(items: Vec<HttpItem>) -> Vec<HttpItem> {
    let mut out: Vec<HttpItem> = Vec::new();
    for item in items {
        if let (Some(HttpItem::Body { data, wire_len }), HttpItem::Body { data: more, wire_len: more_len }) =
            (out.last_mut(), &item)
        {
            data.extend(more);
            *wire_len += more_len;
            continue;
        }
        out.push(item);
    }
    out
}

/// Parses `input` whole, checks split independence (up to joining body pieces) and byte
/// accounting, and returns the joined items.
fn http_check(make: fn() -> HttpParser, input: &[u8]) -> Vec<HttpItem> {
    let whole = coalesce(http_run(make(), input, &[]));
    assert_eq!(http_wire(&whole), input.len(), "byte accounting: {whole:#?}");
    for cuts in standard_splits(input.len()) {
        let split = coalesce(http_run(make(), input, &cuts));
        assert_eq!(split, whole, "split at {cuts:?}");
    }
    whole
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

// ---------------------------------------------------------------- HTTP vectors

#[test]
fn http_keep_alive_get_then_second_request() {
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
fn http_post_with_content_length_then_pipelined_get() {
    let input = b"POST /submit HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello worldGET / HTTP/1.0\r\n\r\n";
    let items = http_check(HttpParser::requests, input);
    assert!(matches!(&items[0], HttpItem::Request(r) if r.method == "POST"));
    assert_eq!(items[1], HttpItem::Body { data: b"hello world".to_vec(), wire_len: 11 });
    assert_eq!(items[2], HttpItem::End { wire_len: 0 });
    assert!(matches!(&items[3], HttpItem::Request(r) if r.version == "HTTP/1.0"));
}

#[test]
fn http_empty_lines_before_a_request_count_in_its_head() {
    let input = b"POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx\r\nGET / HTTP/1.1\r\n\r\n";
    let items = http_check(HttpParser::requests, input);
    let HttpItem::Request(second) = &items[3] else { panic!("{items:?}") };
    assert_eq!(second.head_len, 2 + 18);
}

#[test]
fn http_chunked_response_with_extensions_and_trailers() {
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
fn http_bad_chunk_size_is_an_error() {
    let input = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nmore bytes";
    let items = http_check(HttpParser::responses, input);
    let errors: Vec<_> = items.iter().filter(|i| matches!(i, HttpItem::Error { .. })).collect();
    assert_eq!(errors.len(), 2, "the bad line, then the bytes after it");
    assert!(matches!(errors[0], HttpItem::Error { offset: 0, message, .. } if message.contains("chunk")));
}

#[test]
fn http_head_response_has_no_body() {
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
fn http_204_and_304_have_no_body() {
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
fn http_101_then_websocket_bytes() {
    let head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    let mut input = head.to_vec();
    input.extend(HELLO_UNMASKED);
    for cuts in standard_splits(input.len()) {
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
fn http_upgrade_request_holds_bytes_until_the_caller_decides() {
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
fn http_response_read_until_close() {
    let input = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: 1\n\ndata: 2\n\n";
    let items = http_check(HttpParser::responses, input);
    assert_eq!(body_of(&items), b"data: 1\n\ndata: 2\n\n");
    assert_eq!(items.last(), Some(&HttpItem::End { wire_len: 0 }));
}

#[test]
fn http_truncated_body_is_an_error_at_finish() {
    let input = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
    let items = http_check(HttpParser::responses, input);
    assert!(matches!(items.last(), Some(HttpItem::Error { offset: 0, .. })));
    let items = http_check(HttpParser::requests, b"GET / HTTP/1.1\r\nHost:");
    assert!(matches!(items.as_slice(), [HttpItem::Error { offset: 0, wire_len: 21, .. }]));
}

#[test]
fn http_malformed_request_line() {
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
fn http_invalid_and_conflicting_content_length() {
    for bad in ["Content-Length: 1x", "Content-Length: 3\r\nContent-Length: 4"] {
        let input = format!("POST / HTTP/1.1\r\n{bad}\r\n\r\nabcd");
        let items = http_check(HttpParser::requests, input.as_bytes());
        assert!(matches!(&items[0], HttpItem::Request(_)));
        assert!(matches!(&items[1], HttpItem::Error { offset: 0, wire_len: 0, .. }), "{items:?}");
        assert!(matches!(&items[2], HttpItem::Error { wire_len: 4, .. }));
    }
}

#[test]
fn http_head_over_max_head() {
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
fn http_too_many_headers() {
    let mut input = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..=http::MAX_HEADERS {
        input.extend(format!("X-{i}: v\r\n").as_bytes());
    }
    input.extend(b"\r\n");
    let items = http_check(HttpParser::requests, &input);
    assert!(matches!(&items[0], HttpItem::Error { offset: 0, .. }), "{items:?}");
}

#[test]
fn http_connect_tunnel() {
    let mut parser = HttpParser::responses();
    parser.expect_response_to("CONNECT");
    let items = parser.push(b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01");
    assert_eq!(items.len(), 2);
    assert!(parser.is_upgraded());
    assert_eq!(parser.take_upgraded(), b"\x16\x03\x01");
}

// ---------------------------------------------------------------- property tests

/// Bytes that mostly look like protocol text, so random input reaches deep states.
fn protocol_ish_bytes(tokens: &'static [&'static [u8]]) -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        3 => prop::sample::select(tokens).prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(any::<u8>(), 1..8),
    ];
    prop::collection::vec(token, 0..400).prop_map(|parts| parts.concat())
}

const SSE_TOKENS: &[&[u8]] =
    &[b"data", b"event", b"id", b"retry", b":", b" ", b"\r", b"\n", b"\r\n", b"\xEF\xBB\xBF", b"123", b"x", b"\0"];
const WS_TOKENS: &[&[u8]] = &[
    b"\x81",
    b"\x01",
    b"\x80",
    b"\x88",
    b"\x89",
    b"\x8A",
    b"\x82",
    b"\x05",
    b"\x85",
    b"\x7E",
    b"\x7F",
    b"\x00",
    b"\x02\x03\xe8",
    b"Hello",
];
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

fn cuts_strategy() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(any::<usize>(), 0..40)
}

/// One generated SSE block and the event it must decode to.
#[derive(Debug, Clone)]
struct GenEvent {
    event_type: Option<String>,
    data: Vec<String>,
    id: Option<String>,
    retry: Option<u64>,
    comment: Option<String>,
    eol: &'static str,
}

fn gen_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 é😀:\t]{0,20}"
}

fn gen_event() -> impl Strategy<Value = GenEvent> {
    (
        prop::option::of("[a-z]{1,10}"),
        prop::collection::vec(gen_text(), 1..4),
        prop::option::of("[a-z0-9]{0,8}"),
        prop::option::of(0u64..100_000),
        prop::option::of(gen_text()),
        prop::sample::select(&["\n", "\r\n", "\r"][..]),
    )
        .prop_map(|(event_type, data, id, retry, comment, eol)| GenEvent {
            event_type,
            data,
            id,
            retry,
            comment,
            eol,
        })
}

fn encode_event(e: &GenEvent) -> String {
    let mut s = String::new();
    let eol = e.eol;
    if let Some(c) = &e.comment {
        s += &format!(":{c}{eol}");
    }
    if let Some(t) = &e.event_type {
        s += &format!("event: {t}{eol}");
    }
    for line in &e.data {
        s += &format!("data: {line}{eol}");
    }
    if let Some(id) = &e.id {
        s += &format!("id:{id}{eol}");
    }
    if let Some(r) = e.retry {
        s += &format!("retry: {r}{eol}");
    }
    s + eol
}

/// One generated WebSocket message: data frames (and an optional interleaved ping).
#[derive(Debug, Clone)]
struct GenMessage {
    text: bool,
    fragments: Vec<Vec<u8>>,
    mask: [u8; 4],
    ping: Option<Vec<u8>>,
}

fn gen_message() -> impl Strategy<Value = GenMessage> {
    let payload = prop_oneof![
        // Valid text, cut into fragments anywhere, even inside a character.
        "\\PC{0,120}".prop_map(|s| (true, s.into_bytes())),
        // Text that is usually not UTF-8.
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| (true, b)),
        prop::collection::vec(any::<u8>(), 0..700).prop_map(|b| (false, b)),
    ];
    (
        payload,
        prop::collection::vec(any::<usize>(), 0..4),
        any::<[u8; 4]>(),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..125)),
    )
        .prop_map(|((text, bytes), raw, mask, ping)| {
            let fragments = pieces(&bytes, &cut_points(bytes.len(), &raw)).into_iter().map(<[u8]>::to_vec).collect();
            GenMessage { text, fragments, mask, ping }
        })
}

fn encode_message(m: &GenMessage, from_client: bool) -> Vec<u8> {
    let mask = from_client.then_some(m.mask);
    let mut out = Vec::new();
    let last = m.fragments.len() - 1;
    for (i, payload) in m.fragments.iter().enumerate() {
        let opcode = match (i, m.text) {
            (0, true) => 1,
            (0, false) => 2,
            _ => 0,
        };
        let fin = if i == last { 0x80 } else { 0 };
        out.extend(ws_frame(fin | opcode, mask, payload, None));
        if i == 0
            && let Some(ping) = &m.ping
        {
            out.extend(ws_frame(0x89, mask, ping, None));
        }
    }
    out
}

/// One generated HTTP request and its expected body.
#[derive(Debug, Clone)]
struct GenRequest {
    method: String,
    target: String,
    body: Vec<u8>,
    chunks: Option<Vec<usize>>,
}

fn gen_request() -> impl Strategy<Value = GenRequest> {
    (
        prop::sample::select(&["GET", "POST", "PUT", "DELETE"][..]),
        "/[a-z0-9/]{0,20}",
        prop::collection::vec(any::<u8>(), 0..200),
        prop::option::of(prop::collection::vec(1usize..64, 0..6)),
    )
        .prop_map(|(method, target, body, chunks)| GenRequest { method: method.to_string(), target, body, chunks })
}

fn encode_request(r: &GenRequest) -> Vec<u8> {
    let mut out = format!("{} {} HTTP/1.1\r\nHost: example\r\n", r.method, r.target).into_bytes();
    match &r.chunks {
        None => {
            out.extend(format!("Content-Length: {}\r\n\r\n", r.body.len()).as_bytes());
            out.extend(&r.body);
        }
        Some(sizes) => {
            out.extend(b"Transfer-Encoding: chunked\r\n\r\n");
            let mut rest = r.body.as_slice();
            let mut sizes = sizes.iter().cycle();
            while !rest.is_empty() {
                let n = sizes.next().copied().unwrap_or(rest.len()).min(rest.len());
                let (chunk, tail) = rest.split_at(n);
                out.extend(format!("{n:x};ext=1\r\n").as_bytes());
                out.extend(chunk);
                out.extend(b"\r\n");
                rest = tail;
            }
            out.extend(b"0\r\nTrailer: x\r\n\r\n");
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn sse_arbitrary_bytes_any_split(input in protocol_ish_bytes(SSE_TOKENS), raw in cuts_strategy()) {
        let whole = sse_run(&input, &[]);
        let split = sse_run(&input, &cut_points(input.len(), &raw));
        prop_assert_eq!(sse_wire(&whole), input.len());
        prop_assert_eq!(split, whole);
    }

    #[test]
    fn sse_valid_stream_any_split(events in prop::collection::vec(gen_event(), 0..8), raw in cuts_strategy()) {
        let input: String = events.iter().map(encode_event).collect();
        let whole = sse_run(input.as_bytes(), &[]);
        let split = sse_run(input.as_bytes(), &cut_points(input.len(), &raw));
        prop_assert_eq!(&split, &whole);
        prop_assert_eq!(sse_wire(&whole), input.len());
        let decoded = dispatched(&whole);
        prop_assert_eq!(decoded.len(), events.len());
        let mut last_id = String::new();
        for (got, want) in decoded.iter().zip(&events) {
            prop_assert_eq!(&got.data, &want.data.join("\n"));
            prop_assert_eq!(&got.event_type, &want.event_type);
            if let Some(id) = &want.id {
                last_id.clone_from(id);
            }
            prop_assert_eq!(&got.id, &want.id);
            prop_assert_eq!(&got.last_event_id, &last_id);
            prop_assert_eq!(got.retry_ms, want.retry);
            let data_len: usize = want.data.iter().map(String::len).sum();
            prop_assert_eq!(got.data_len, data_len);
        }
        let comment_count = events.iter().filter(|e| e.comment.is_some()).count();
        prop_assert_eq!(comments(&whole).len(), comment_count);
    }

    #[test]
    fn ws_arbitrary_bytes_any_split(
        input in protocol_ish_bytes(WS_TOKENS),
        raw in cuts_strategy(),
        from_client in any::<bool>(),
    ) {
        let whole = ws_run(from_client, &input, &[]);
        let split = ws_run(from_client, &input, &cut_points(input.len(), &raw));
        prop_assert_eq!(ws_wire(&whole), input.len() as u64);
        prop_assert_eq!(split, whole);
    }

    #[test]
    fn ws_valid_stream_any_split(
        messages in prop::collection::vec(gen_message(), 0..6),
        raw in cuts_strategy(),
        from_client in any::<bool>(),
    ) {
        let input: Vec<u8> = messages.iter().flat_map(|m| encode_message(m, from_client)).collect();
        let whole = ws_run(from_client, &input, &[]);
        let split = ws_run(from_client, &input, &cut_points(input.len(), &raw));
        prop_assert_eq!(&split, &whole);
        prop_assert_eq!(ws_wire(&whole), input.len() as u64);
        let fs = frames(&whole);
        let mut next = fs.iter();
        for m in &messages {
            for (i, payload) in m.fragments.iter().enumerate() {
                let frame = next.next().expect("a frame per fragment");
                prop_assert_eq!(frame.payload_len, payload.len() as u64);
                prop_assert_eq!(&frame.preview[..], &payload[..payload.len().min(ws::PREVIEW_LIMIT)]);
                prop_assert_eq!(frame.masked, from_client);
                let is_last = i + 1 == m.fragments.len();
                if is_last && m.text {
                    prop_assert_eq!(frame.text_valid_utf8, Some(std::str::from_utf8(&m.fragments.concat()).is_ok()));
                } else {
                    prop_assert_eq!(frame.text_valid_utf8, None);
                }
                if i == 0 && m.ping.is_some() {
                    let ping = next.next().expect("the ping");
                    prop_assert_eq!(ping.opcode, 9);
                }
            }
        }
        prop_assert!(next.next().is_none());
        // Only invalid UTF-8 in text messages may be reported.
        for e in ws_errors(&whole) {
            prop_assert!(e.message.contains("UTF-8"), "{:?}", e);
        }
    }

    #[test]
    fn http_arbitrary_bytes_any_split(
        input in protocol_ish_bytes(HTTP_TOKENS),
        raw in cuts_strategy(),
        responses in any::<bool>(),
    ) {
        let make = if responses { HttpParser::responses } else { HttpParser::requests };
        let whole = coalesce(http_run(make(), &input, &[]));
        let split = coalesce(http_run(make(), &input, &cut_points(input.len(), &raw)));
        prop_assert_eq!(http_wire(&whole), input.len());
        prop_assert_eq!(split, whole);
    }

    #[test]
    fn http_valid_requests_any_split(requests in prop::collection::vec(gen_request(), 0..6), raw in cuts_strategy()) {
        let input: Vec<u8> = requests.iter().flat_map(encode_request).collect();
        let whole = coalesce(http_run(HttpParser::requests(), &input, &[]));
        let split = coalesce(http_run(HttpParser::requests(), &input, &cut_points(input.len(), &raw)));
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
