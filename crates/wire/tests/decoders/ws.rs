//! The WebSocket frame parser: RFC 6455 §5.7's examples and its framing rules as fixed
//! vectors, and properties over arbitrary bytes and over valid messages.

use proptest::prelude::*;
use rtclab_wire::ws::{self, Fragment, WsError, WsFrame, WsItem, WsParser};

use crate::common::{self, cut_points, cuts_strategy, protocol_ish_bytes};
use crate::traffic::{HELLO_MASKED, HELLO_UNMASKED, encode_message, gen_message, ws_frame};

fn ws_check(from_client: bool, input: &[u8]) -> Vec<WsItem> {
    common::check(|| WsParser::new(from_client), input)
}

fn ws_run(from_client: bool, input: &[u8], cuts: &[usize]) -> Vec<WsItem> {
    common::run(WsParser::new(from_client), input, cuts)
}

fn ws_wire(items: &[WsItem]) -> u64 {
    common::wire::<WsParser>(items)
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
/// Asserts exactly one error whose message contains `needle`, at `offset`.
fn assert_one_error(items: &[WsItem], needle: &str, offset: u64) {
    let matching: Vec<_> = ws_errors(items).into_iter().filter(|e| e.message.contains(needle)).collect();
    assert_eq!(matching.len(), 1, "errors matching {needle:?} in {items:#?}");
    assert_eq!(matching[0].offset, offset, "{needle}");
    assert!(!matching[0].fatal);
}

#[test]
fn single_frame_unmasked_text() {
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
fn single_frame_masked_text() {
    let items = ws_check(true, &HELLO_MASKED);
    assert_eq!(items.len(), 1);
    let f = frames(&items)[0];
    assert_eq!(f.mask_key, Some([0x37, 0xfa, 0x21, 0x3d]));
    assert_eq!(f.header_len, 6);
    assert_eq!(f.preview, b"Hello");
    assert_eq!(f.text_valid_utf8, Some(true));
}

#[test]
fn fragmented_unmasked_text() {
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
fn ping_and_masked_pong() {
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
fn binary_with_16_and_64_bit_lengths() {
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
fn masked_preview_is_unmasked_past_block_boundaries() {
    let payload: Vec<u8> = (0..2000u32).map(|i| (i % 251) as u8).collect();
    let input = ws_frame(0x82, Some([1, 2, 3, 4]), &payload, None);
    let items = ws_check(true, &input);
    assert_eq!(frames(&items)[0].preview, &payload[..ws::PREVIEW_LIMIT]);
}

#[test]
fn close_with_code_and_reason() {
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
fn masking_violations() {
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
fn rsv_bits() {
    for first in [0xC1, 0xA1, 0x91] {
        let items = ws_check(false, &after_hello(&ws_frame(first, None, b"x", None)));
        assert_one_error(&items, "RSV", 7);
    }
}

#[test]
fn reserved_opcodes() {
    for opcode in [0x3, 0x7, 0xB, 0xF] {
        let items = ws_check(false, &after_hello(&ws_frame(0x80 | opcode, None, b"x", None)));
        assert_one_error(&items, "reserved opcode", 7);
        assert_eq!(ws::opcode_name(opcode), "reserved");
    }
}

#[test]
fn control_frame_violations() {
    let items = ws_check(false, &after_hello(&ws_frame(0x09, None, b"x", None)));
    assert_one_error(&items, "control frame is fragmented", 7);
    let items = ws_check(false, &after_hello(&ws_frame(0x89, None, &[0; 126], None)));
    assert_one_error(&items, "exceeds 125", 7);
    assert_eq!(frames(&items)[1].payload_len, 126);
}

#[test]
fn close_payload_violations() {
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
fn fragmentation_violations() {
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
fn invalid_utf8_text() {
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
fn non_minimal_lengths() {
    let items = ws_check(false, &after_hello(&ws_frame(0x82, None, b"hello", Some(126))));
    assert_one_error(&items, "not minimally encoded", 7);
    assert_eq!(frames(&items)[1].payload_len, 5);
    let items = ws_check(false, &after_hello(&ws_frame(0x82, None, &[1; 200], Some(127))));
    assert_one_error(&items, "not minimally encoded", 7);
}

#[test]
fn length_with_msb_set_is_fatal() {
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
fn truncated_frame_at_finish() {
    let items = ws_check(false, &after_hello(&[0x82, 0x05, 1, 2]));
    let errors = ws_errors(&items);
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].offset, errors[0].wire_len), (7, 4));
    let items = ws_check(false, &after_hello(&[0x82, 0x7E, 0x01]));
    assert_eq!(ws_errors(&items)[0].wire_len, 3);
}

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

proptest! {
    #![proptest_config(common::proptest_config())]

    #[test]
    fn arbitrary_bytes_any_split(
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
    fn valid_stream_any_split(
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
}
