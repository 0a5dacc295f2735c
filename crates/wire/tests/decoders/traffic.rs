//! Valid traffic to feed the decoders: fixed frames, and generators of SSE events, WebSocket
//! messages and HTTP requests with their encodings.

use proptest::prelude::*;

use crate::common::{cut_points, pieces};

/// RFC 6455 §5.7: a single-frame text message "Hello", unmasked and masked.
pub const HELLO_UNMASKED: [u8; 7] = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
pub const HELLO_MASKED: [u8; 11] = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];

/// An opening handshake with RFC 6455's example key, and the server's acceptance.
pub const UPGRADE: &[u8] = b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
pub const SWITCHING: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

/// Encodes a frame; `len_form` forces the 126 or 127 length form (for non-minimal tests).
pub fn ws_frame(first: u8, mask: Option<[u8; 4]>, payload: &[u8], len_form: Option<u8>) -> Vec<u8> {
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

/// One generated SSE block and the event it must decode to.
#[derive(Debug, Clone)]
pub struct GenEvent {
    pub event_type: Option<String>,
    pub data: Vec<String>,
    pub id: Option<String>,
    pub retry: Option<u64>,
    pub comment: Option<String>,
    pub eol: &'static str,
}

pub fn gen_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 é😀:\t]{0,20}"
}

pub fn gen_event() -> impl Strategy<Value = GenEvent> {
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

pub fn encode_event(e: &GenEvent) -> String {
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
pub struct GenMessage {
    pub text: bool,
    pub fragments: Vec<Vec<u8>>,
    pub mask: [u8; 4],
    pub ping: Option<Vec<u8>>,
}

pub fn gen_message() -> impl Strategy<Value = GenMessage> {
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

pub fn encode_message(m: &GenMessage, from_client: bool) -> Vec<u8> {
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
pub struct GenRequest {
    pub method: String,
    pub target: String,
    pub body: Vec<u8>,
    pub chunks: Option<Vec<usize>>,
}

pub fn gen_request() -> impl Strategy<Value = GenRequest> {
    (
        prop::sample::select(&["GET", "POST", "PUT", "DELETE"][..]),
        "/[a-z0-9/]{0,20}",
        prop::collection::vec(any::<u8>(), 0..200),
        prop::option::of(prop::collection::vec(1usize..64, 0..6)),
    )
        .prop_map(|(method, target, body, chunks)| GenRequest { method: method.to_string(), target, body, chunks })
}

pub fn encode_request(r: &GenRequest) -> Vec<u8> {
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
