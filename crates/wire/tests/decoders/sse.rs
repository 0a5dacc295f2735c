//! The SSE parser: the WHATWG parsing rules as fixed vectors, and properties over arbitrary
//! bytes and over valid streams.

use proptest::prelude::*;
use rtclab_wire::sse::{self, SseEvent, SseItem, SseParser};

use crate::common::{self, cut_points, cuts_strategy, protocol_ish_bytes};
use crate::traffic::{encode_event, gen_event};

fn sse_check(input: &[u8]) -> Vec<SseItem> {
    common::check(SseParser::new, input)
}

fn sse_run(input: &[u8], cuts: &[usize]) -> Vec<SseItem> {
    common::run(SseParser::new(), input, cuts)
}

fn sse_wire(items: &[SseItem]) -> usize {
    common::wire::<SseParser>(items) as usize
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

#[test]
fn bom_is_skipped_once() {
    let items = sse_check("\u{FEFF}data: 1\n\n\u{FEFF}data: 2\n\ndata: 3\n\n".as_bytes());
    assert_eq!(dispatched_data(&items), ["1", "3"]);
    let SseItem::Event(first) = &items[0] else { panic!("{items:?}") };
    assert_eq!(first.wire_len, 3 + "data: 1\n\n".len(), "the BOM counts in the first item");
    // The second BOM makes the field name "\u{FEFF}data", an unknown field.
    let SseItem::Event(second) = &items[1] else { panic!("{items:?}") };
    assert!(!second.dispatched);
}

#[test]
fn two_boms_make_the_first_field_unknown() {
    let items = sse_check("\u{FEFF}\u{FEFF}data: 1\n\ndata: 2\n\ndata: 3\n\n".as_bytes());
    assert_eq!(dispatched_data(&items), ["2", "3"]);
}

#[test]
fn comments_are_their_own_items() {
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
fn comment_between_events_and_following_blank_line() {
    let items = sse_check(b": hi\n\ndata: x\n\n");
    assert!(matches!(&items[0], SseItem::Comment(c) if c.text == "hi" && c.wire_len == 5));
    // The blank line after a comment ends an empty block: an undispatched event of 1 byte.
    assert!(matches!(&items[1], SseItem::Event(e) if !e.dispatched && e.wire_len == 1 && e.data.is_empty()));
    assert_eq!(dispatched_data(&items), ["x"]);
}

#[test]
fn field_data_joins_lines_with_lf() {
    let items = sse_check(b"data:\n\ndata\ndata\n\ndata:test\n\n");
    assert_eq!(dispatched_data(&items), ["", "\n", "test"]);
    let items = sse_check(b"data: a\ndata: b\ndata:  c\n\n");
    assert_eq!(dispatched_data(&items), ["a\nb\n c"]);
    assert_eq!(dispatched(&items)[0].data_len, 4);
}

#[test]
fn event_type_resets_after_dispatch() {
    let items = sse_check(b"event: test\ndata: x\n\ndata: y\n\nevent: a\nevent: b\ndata: z\n\n");
    let types: Vec<_> = dispatched(&items).iter().map(|e| e.event_type.clone()).collect();
    assert_eq!(types, [Some("test".to_string()), None, Some("b".to_string())]);
}

#[test]
fn empty_event_type_means_message() {
    let items = sse_check(b"event: \ndata: data\n\n");
    assert_eq!(dispatched(&items)[0].event_type, None);
}

#[test]
fn id_persists_across_events() {
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
fn empty_id_resets_the_buffer() {
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
fn id_with_nul_is_ignored() {
    let items = sse_check(b"id: a\ndata: 1\n\nid: b\0c\ndata: 2\n\n");
    let events = dispatched(&items);
    assert_eq!(events[1].id, None);
    assert_eq!(events[1].last_event_id, "a");
}

#[test]
fn field_parsing() {
    let input = b"data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n\n";
    let items = sse_check(input);
    assert_eq!(dispatched_data(&items), ["\0\n 2\n1\n3\n\n4"]);
}

#[test]
fn retry_digits_only() {
    let mut parser = SseParser::new();
    let items = parser.push(b"retry:03000\ndata:x\n\n");
    assert_eq!(dispatched(&items)[0].retry_ms, Some(3000));
    assert_eq!(parser.retry_ms(), Some(3000));
    sse_check(b"retry:03000\ndata:x\n\n");
}

#[test]
fn bogus_retry_is_ignored() {
    let mut parser = SseParser::new();
    let items = parser.push(b"retry: 1000\nretry: 2000x\nretry:  3000\nretry: 4000\x00\ndata:x\n\n");
    assert_eq!(dispatched(&items)[0].retry_ms, Some(1000));
    assert_eq!(parser.retry_ms(), Some(1000));
    let items = parser.push(b"retry: 1000x\ndata:y\n\n");
    assert_eq!(dispatched(&items)[0].retry_ms, None);
    assert_eq!(parser.retry_ms(), Some(1000), "reconnection time persists");
}

#[test]
fn empty_retry_is_ignored() {
    let items = sse_check(b"retry\ndata: test\n\nretry:\ndata: test2\n\n");
    assert_eq!(dispatched_data(&items), ["test", "test2"]);
    assert!(dispatched(&items).iter().all(|e| e.retry_ms.is_none()));
}

#[test]
fn unknown_fields_are_ignored() {
    let items = sse_check(b"data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test\n\n");
    assert_eq!(dispatched_data(&items), ["test\n\ntest"]);
}

#[test]
fn only_one_leading_space_is_removed() {
    let items = sse_check(b"data:\x20\x20test\n\ndata:test\n\ndata:\ttest\n\n");
    assert_eq!(dispatched_data(&items), [" test", "test", "\ttest"]);
}

#[test]
fn mixed_newlines() {
    let items = sse_check(b"data:test\r\ndata\ndata:test\r\n\r");
    assert_eq!(dispatched_data(&items), ["test\n\ntest"]);
    assert_eq!(dispatched(&items)[0].wire_len, "data:test\r\ndata\ndata:test\r\n\r".len());
    let items = sse_check(b"data:a\rdata:b\r\rdata:c\n\ndata:d\r\n\r\n");
    assert_eq!(dispatched_data(&items), ["a\nb", "c", "d"]);
}

#[test]
fn nul_in_data_is_kept() {
    let items = sse_check(b"data: a\0b\n\n");
    assert_eq!(dispatched_data(&items), ["a\0b"]);
}

#[test]
fn utf8_decoding_with_replacement() {
    let items = sse_check("data:\u{e9}t\u{e9} \u{1F600}\n\n".as_bytes());
    assert_eq!(dispatched_data(&items), ["\u{e9}t\u{e9} \u{1F600}"]);
    let items = sse_check(b"data:\xFF\xFE ok \xE2\x82\n\n");
    assert_eq!(dispatched_data(&items), ["\u{FFFD}\u{FFFD} ok \u{FFFD}"]);
    assert_eq!(dispatched(&items)[0].data_len, 8);
}

#[test]
fn block_without_final_blank_line_is_not_dispatched() {
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
fn overlong_line_reports_error_and_skips_it() {
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

const SSE_TOKENS: &[&[u8]] =
    &[b"data", b"event", b"id", b"retry", b":", b" ", b"\r", b"\n", b"\r\n", b"\xEF\xBB\xBF", b"123", b"x", b"\0"];

proptest! {
    #![proptest_config(common::proptest_config())]

    #[test]
    fn arbitrary_bytes_any_split(input in protocol_ish_bytes(SSE_TOKENS), raw in cuts_strategy()) {
        let whole = sse_run(&input, &[]);
        let split = sse_run(&input, &cut_points(input.len(), &raw));
        prop_assert_eq!(sse_wire(&whole), input.len());
        prop_assert_eq!(split, whole);
    }

    #[test]
    fn valid_stream_any_split(events in prop::collection::vec(gen_event(), 0..8), raw in cuts_strategy()) {
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
}
