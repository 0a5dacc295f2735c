//! Incremental parser for RFC 6455 WebSocket frames, one direction of a connection.
//!
//! Payloads are streamed, never buffered whole: the parser keeps a short unmasked preview
//! of each frame, validates text messages as UTF-8 across frames with a carry of at most
//! four bytes, and reports protocol violations as error items next to the frame they
//! concern, so a tap can show exactly what a peer got wrong.
//!
//! # Byte accounting
//!
//! The sum of `header_len + payload_len` over all frames plus `wire_len` over all errors
//! returned by [`WsParser::push`] and [`WsParser::finish`] equals the number of bytes
//! pushed. Non-fatal errors accompany a frame that already accounts for its bytes, so
//! their `wire_len` is 0. A fatal error covers the header of the frame at fault; every
//! byte after it is covered by one more fatal error from [`WsParser::finish`]. A frame
//! cut short by the end of the stream is covered by a "truncated frame" error. Items never
//! depend on how the input was split.

use std::mem;

/// Payload bytes kept (unmasked) per frame in [`WsFrame::preview`].
pub const PREVIEW_LIMIT: usize = 256;

/// Longest frame header: 2 fixed bytes, 8 bytes of extended length, 4 bytes of mask key.
const MAX_HEADER: usize = 14;

/// Largest payload a control frame may carry (RFC 6455 §5.5).
const MAX_CONTROL_PAYLOAD: u64 = 125;

/// Payload bytes unmasked at a time, on the stack.
const UNMASK_BLOCK: usize = 512;

/// One decoded piece of a WebSocket byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsItem {
    /// A frame whose last payload byte has arrived.
    Frame(WsFrame),
    /// A protocol violation or undecodable input.
    Error(WsError),
}

/// A complete frame, with its payload summarized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsFrame {
    /// Final fragment of a message.
    pub fin: bool,
    /// Extension bit 1 (used by permessage-deflate).
    pub rsv1: bool,
    /// Extension bit 2.
    pub rsv2: bool,
    /// Extension bit 3.
    pub rsv3: bool,
    /// Raw 4-bit opcode; see [`opcode_name`].
    pub opcode: u8,
    /// Whether the payload was masked.
    pub masked: bool,
    /// The masking key, when masked.
    pub mask_key: Option<[u8; 4]>,
    /// Header bytes on the wire, 2 to 14.
    pub header_len: usize,
    /// Payload bytes on the wire.
    pub payload_len: u64,
    /// The first [`PREVIEW_LIMIT`] payload bytes, unmasked.
    pub preview: Vec<u8>,
    /// Status code of a close frame whose payload fits in the preview.
    pub close_code: Option<u16>,
    /// Reason text of a close frame (lossily decoded when not UTF-8).
    pub close_reason: Option<String>,
    /// Position of this frame in its message.
    pub fragment: Fragment,
    /// For the frame that completes a text message: whether the whole message was valid
    /// UTF-8. `None` for other frames.
    pub text_valid_utf8: Option<bool>,
}

/// Where a frame sits in a (possibly fragmented) message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fragment {
    /// An unfragmented message, or a control frame.
    Whole,
    /// Opens a fragmented message (FIN clear, data opcode).
    First,
    /// Continues a fragmented message (FIN clear, continuation opcode).
    Middle,
    /// Ends a fragmented message (FIN set, continuation opcode).
    Last,
}

/// A protocol violation, or bytes the parser could not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsError {
    /// Offset, from the start of this direction, where the frame at fault starts.
    pub offset: u64,
    /// What went wrong.
    pub message: String,
    /// Bytes covered by this error; 0 when the frame item accounts for them.
    pub wire_len: usize,
    /// Whether the parser stopped decoding because of it.
    pub fatal: bool,
}

/// Human-readable name of a frame opcode.
pub fn opcode_name(op: u8) -> &'static str {
    match op {
        0x0 => "continuation",
        0x1 => "text",
        0x2 => "binary",
        0x8 => "close",
        0x9 => "ping",
        0xA => "pong",
        _ => "reserved",
    }
}

/// Incremental UTF-8 validation over pieces of a message.
///
/// Only the bytes of a sequence split between pieces are kept (at most four), which is
/// what lets text messages of any size be validated without buffering them.
#[derive(Debug, Default)]
struct Utf8Check {
    carry: Vec<u8>,
    invalid: bool,
}

impl Utf8Check {
    fn feed(&mut self, mut bytes: &[u8]) {
        while !self.carry.is_empty() && !self.invalid {
            let Some((&b, rest)) = bytes.split_first() else {
                return;
            };
            bytes = rest;
            self.carry.push(b);
            match std::str::from_utf8(&self.carry) {
                Ok(_) => self.carry.clear(),
                Err(e) if e.error_len().is_some() => self.invalid = true,
                Err(_) => {}
            }
        }
        if self.invalid {
            return;
        }
        if let Err(e) = std::str::from_utf8(bytes) {
            match e.error_len() {
                Some(_) => self.invalid = true,
                None => self.carry = bytes.get(e.valid_up_to()..).unwrap_or_default().to_vec(),
            }
        }
    }

    /// Whether everything fed so far is invalid, even if more bytes followed.
    fn is_invalid(&self) -> bool {
        self.invalid
    }

    /// Whether everything fed so far is a complete, valid UTF-8 string.
    fn is_complete_and_valid(&self) -> bool {
        !self.invalid && self.carry.is_empty()
    }
}

/// A data message that has started and not yet ended.
#[derive(Debug)]
struct Message {
    text: bool,
    utf8: Utf8Check,
    utf8_reported: bool,
}

/// A frame whose header has been decoded and whose payload is still arriving.
#[derive(Debug)]
struct Partial {
    frame: WsFrame,
    start: u64,
    received: u64,
    /// Whether the payload belongs to the message in progress.
    in_message: bool,
    errors: Vec<WsError>,
}

#[derive(Debug)]
enum State {
    /// Collecting header bytes in `WsParser::head`.
    Header,
    /// Streaming a payload.
    Payload(Box<Partial>),
    /// Stopped after a fatal error; later bytes are only counted.
    Dead,
}

/// Incremental frame parser for one direction; see the module documentation.
#[derive(Debug)]
pub struct WsParser {
    from_client: bool,
    state: State,
    /// Header bytes of the frame being read, at most 14.
    head: Vec<u8>,
    /// Offset where the frame being read starts.
    frame_start: u64,
    /// The fragmented (or single-frame) data message in progress.
    message: Option<Message>,
    /// Bytes received after a fatal error, and where they start.
    dead_bytes: u64,
    dead_start: u64,
    bytes_seen: u64,
}

/// The fixed fields of a decoded header.
struct Header {
    fin: bool,
    rsv: [bool; 3],
    opcode: u8,
    mask_key: Option<[u8; 4]>,
    len_code: u8,
    payload_len: u64,
    header_len: usize,
}

impl WsParser {
    /// A parser for frames sent by the client (`true`) or by the server (`false`); the
    /// direction decides which masking is correct.
    pub fn new(from_client: bool) -> Self {
        Self {
            from_client,
            state: State::Header,
            head: Vec::with_capacity(MAX_HEADER),
            frame_start: 0,
            message: None,
            dead_bytes: 0,
            dead_start: 0,
            bytes_seen: 0,
        }
    }

    /// Feeds the next bytes of this direction and returns the items they complete.
    pub fn push(&mut self, input: &[u8]) -> Vec<WsItem> {
        let mut out = Vec::new();
        let mut rest = input;
        while !rest.is_empty() {
            let used = match self.state {
                State::Header => self.read_header(rest, &mut out),
                State::Payload(_) => self.read_payload(rest, &mut out),
                State::Dead => {
                    self.dead_bytes += rest.len() as u64;
                    rest.len()
                }
            };
            if used == 0 {
                // Every state consumes input; should one ever not, count the rest as
                // undecoded rather than loop or lose bytes.
                self.state = State::Dead;
                self.dead_start = self.bytes_seen;
                continue;
            }
            self.bytes_seen += used as u64;
            rest = rest.get(used..).unwrap_or_default();
        }
        out
    }

    /// Ends the stream: reports a frame cut short and the bytes after a fatal error.
    pub fn finish(&mut self) -> Vec<WsItem> {
        let mut out = Vec::new();
        match mem::replace(&mut self.state, State::Header) {
            State::Header if !self.head.is_empty() => {
                out.push(WsItem::Error(WsError {
                    offset: self.frame_start,
                    message: format!("stream ended inside a frame header ({} bytes)", self.head.len()),
                    wire_len: self.head.len(),
                    fatal: false,
                }));
            }
            State::Header => {}
            State::Payload(partial) => {
                let Partial { frame, start, received, errors, .. } = *partial;
                out.extend(errors.into_iter().map(WsItem::Error));
                out.push(WsItem::Error(WsError {
                    offset: start,
                    message: format!("stream ended inside a frame: {received} of {} payload bytes", frame.payload_len),
                    wire_len: frame.header_len + clamp(received),
                    fatal: false,
                }));
            }
            State::Dead => {
                self.state = State::Dead;
                if self.dead_bytes > 0 {
                    out.push(WsItem::Error(WsError {
                        offset: self.dead_start,
                        message: format!("{} bytes not decoded after a fatal error", self.dead_bytes),
                        wire_len: clamp(self.dead_bytes),
                        fatal: true,
                    }));
                }
                self.dead_start += self.dead_bytes;
                self.dead_bytes = 0;
            }
        }
        self.head.clear();
        self.frame_start = self.bytes_seen;
        out
    }

    /// Total bytes pushed so far.
    pub fn bytes_seen(&self) -> u64 {
        self.bytes_seen
    }

    /// Takes header bytes; returns how many of `input` were used.
    fn read_header(&mut self, input: &[u8], out: &mut Vec<WsItem>) -> usize {
        let needed = header_len_from(&self.head).saturating_sub(self.head.len());
        let take = needed.min(input.len());
        self.head.extend_from_slice(input.get(..take).unwrap_or_default());
        if self.head.len() >= 2 && self.head.len() == header_len_from(&self.head) {
            let head = mem::take(&mut self.head);
            if let Some(header) = decode_header(&head) {
                self.start_frame(header, out);
            }
        }
        take
    }

    /// Acts on a complete header: reports a fatal length, or starts the frame.
    fn start_frame(&mut self, header: Header, out: &mut Vec<WsItem>) {
        let start = self.frame_start;
        if header.payload_len >> 63 != 0 {
            out.push(WsItem::Error(WsError {
                offset: start,
                message: "64-bit payload length has its most significant bit set".into(),
                wire_len: header.header_len,
                fatal: true,
            }));
            self.state = State::Dead;
            self.dead_start = start + header.header_len as u64;
            return;
        }
        let mut errors = self.header_errors(&header);
        let (fragment, in_message) = self.place_in_message(&header, &mut errors);
        let frame = WsFrame {
            fin: header.fin,
            rsv1: header.rsv[0],
            rsv2: header.rsv[1],
            rsv3: header.rsv[2],
            opcode: header.opcode,
            masked: header.mask_key.is_some(),
            mask_key: header.mask_key,
            header_len: header.header_len,
            payload_len: header.payload_len,
            preview: Vec::new(),
            close_code: None,
            close_reason: None,
            fragment,
            text_valid_utf8: None,
        };
        let partial = Partial { frame, start, received: 0, in_message, errors };
        if header.payload_len == 0 {
            self.complete_frame(partial, out);
        } else {
            self.state = State::Payload(Box::new(partial));
        }
    }

    /// Violations visible in the header alone.
    fn header_errors(&self, h: &Header) -> Vec<WsError> {
        let mut problems: Vec<String> = Vec::new();
        match (self.from_client, h.mask_key.is_some()) {
            (true, false) => problems.push("client frame is not masked".into()),
            (false, true) => problems.push("server frame is masked".into()),
            _ => {}
        }
        if h.rsv.iter().any(|&bit| bit) {
            problems.push("RSV bit set but no extension was negotiated".into());
        }
        if opcode_name(h.opcode) == "reserved" {
            problems.push(format!("reserved opcode {:#x}", h.opcode));
        }
        if is_control(h.opcode) && !h.fin {
            problems.push("control frame is fragmented (FIN clear)".into());
        }
        if is_control(h.opcode) && h.payload_len > MAX_CONTROL_PAYLOAD {
            problems.push(format!("control frame payload of {} bytes exceeds 125", h.payload_len));
        }
        if !is_minimal_length(h.len_code, h.payload_len) {
            problems.push(format!("payload length {} not minimally encoded", h.payload_len));
        }
        problems
            .into_iter()
            .map(|message| WsError { offset: self.frame_start, message, wire_len: 0, fatal: false })
            .collect()
    }

    /// Decides the frame's position in its message and updates the message state.
    /// Returns the position and whether the payload belongs to the message in progress.
    fn place_in_message(&mut self, h: &Header, errors: &mut Vec<WsError>) -> (Fragment, bool) {
        let offset = self.frame_start;
        let mut report = |message: &str| {
            errors.push(WsError { offset, message: message.into(), wire_len: 0, fatal: false });
        };
        match h.opcode {
            0x1 | 0x2 => {
                if self.message.is_some() {
                    report("new data frame while a fragmented message is in progress");
                }
                self.message =
                    Some(Message { text: h.opcode == 0x1, utf8: Utf8Check::default(), utf8_reported: false });
                (if h.fin { Fragment::Whole } else { Fragment::First }, true)
            }
            0x0 => {
                if self.message.is_none() {
                    report("continuation frame with no message in progress");
                }
                let fragment = if h.fin { Fragment::Last } else { Fragment::Middle };
                (fragment, self.message.is_some())
            }
            _ => (Fragment::Whole, false),
        }
    }

    /// Takes payload bytes; returns how many of `input` were used.
    fn read_payload(&mut self, input: &[u8], out: &mut Vec<WsItem>) -> usize {
        let State::Payload(partial) = &mut self.state else {
            return 0;
        };
        let remaining = partial.frame.payload_len - partial.received;
        let take = usize::try_from(remaining).unwrap_or(usize::MAX).min(input.len());
        let chunk = input.get(..take).unwrap_or_default();
        let text = partial.in_message && self.message.as_ref().is_some_and(|m| m.text);
        let utf8 = self.message.as_mut().filter(|_| text).map(|m| &mut m.utf8);
        absorb_payload(partial, chunk, utf8);
        if partial.received == partial.frame.payload_len
            && let State::Payload(done) = mem::replace(&mut self.state, State::Header)
        {
            self.complete_frame(*done, out);
        }
        take
    }

    /// Emits a frame whose payload is complete, followed by its errors.
    fn complete_frame(&mut self, mut partial: Partial, out: &mut Vec<WsItem>) {
        if partial.frame.opcode == 0x8 {
            check_close(&mut partial);
        }
        if partial.in_message {
            self.check_message(&mut partial);
        }
        self.state = State::Header;
        self.frame_start = partial.start + partial.frame.header_len as u64 + partial.frame.payload_len;
        out.push(WsItem::Frame(partial.frame));
        out.extend(partial.errors.into_iter().map(WsItem::Error));
    }

    /// Reports invalid UTF-8 once per text message, and closes the message at FIN.
    fn check_message(&mut self, partial: &mut Partial) {
        let fin = partial.frame.fin;
        let Some(message) = self.message.as_mut() else {
            return;
        };
        if message.text {
            let bad = message.utf8.is_invalid() || (fin && !message.utf8.is_complete_and_valid());
            if bad && !mem::replace(&mut message.utf8_reported, true) {
                partial.errors.push(WsError {
                    offset: partial.start,
                    message: "text message is not valid UTF-8".into(),
                    wire_len: 0,
                    fatal: false,
                });
            }
            if fin {
                partial.frame.text_valid_utf8 = Some(message.utf8.is_complete_and_valid());
            }
        }
        if fin {
            self.message = None;
        }
    }
}

/// Unmasks what is needed of a payload chunk: the preview, and the whole chunk when it
/// must be validated as text. Other bytes are only counted.
fn absorb_payload(partial: &mut Partial, chunk: &[u8], mut utf8: Option<&mut Utf8Check>) {
    let key = partial.frame.mask_key.unwrap_or_default();
    let preview_room = PREVIEW_LIMIT.saturating_sub(partial.frame.preview.len());
    let needed = if utf8.is_some() { chunk.len() } else { preview_room.min(chunk.len()) };
    let mut position = partial.received;
    for piece in chunk.get(..needed).unwrap_or_default().chunks(UNMASK_BLOCK) {
        let mut block = [0u8; UNMASK_BLOCK];
        for (dst, (&src, i)) in block.iter_mut().zip(piece.iter().zip(position..)) {
            *dst = src ^ key[(i % 4) as usize];
        }
        let clear = block.get(..piece.len()).unwrap_or_default();
        let room = PREVIEW_LIMIT.saturating_sub(partial.frame.preview.len());
        partial.frame.preview.extend_from_slice(clear.get(..room.min(clear.len())).unwrap_or_default());
        if let Some(check) = utf8.as_deref_mut() {
            check.feed(clear);
        }
        position += piece.len() as u64;
    }
    partial.received += chunk.len() as u64;
}

/// Decodes the status code and reason of a close frame and reports their violations.
fn check_close(partial: &mut Partial) {
    let frame = &mut partial.frame;
    if frame.payload_len > PREVIEW_LIMIT as u64 {
        return;
    }
    let mut problems = Vec::new();
    match frame.preview.as_slice() {
        [] => {}
        [_] => problems.push("close payload of 1 byte (a status code needs 2)".to_string()),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            frame.close_code = Some(code);
            if !close_code_allowed(code) {
                problems.push(format!("close code {code} is not allowed on the wire"));
            }
            if std::str::from_utf8(reason).is_err() {
                problems.push("close reason is not valid UTF-8".into());
            }
            frame.close_reason = Some(String::from_utf8_lossy(reason).into_owned());
        }
    }
    let offset = partial.start;
    partial.errors.extend(problems.into_iter().map(|message| WsError { offset, message, wire_len: 0, fatal: false }));
}

/// Close codes an endpoint may send (RFC 6455 §7.4 and the IANA registry): the assigned
/// 1000-1003 and 1007-1014, and the 3000-4999 ranges for libraries and applications.
fn close_code_allowed(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

fn is_control(opcode: u8) -> bool {
    opcode & 0x8 != 0
}

/// The 126 form must carry a length of at least 126, the 127 form one above 65535.
fn is_minimal_length(len_code: u8, payload_len: u64) -> bool {
    match len_code {
        126 => payload_len >= 126,
        127 => payload_len > 0xFFFF,
        _ => true,
    }
}

/// Header length implied by the bytes seen so far (2 until the second byte is known).
fn header_len_from(head: &[u8]) -> usize {
    let Some(&second) = head.get(1) else {
        return 2;
    };
    let extended = match second & 0x7F {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let mask = if second & 0x80 != 0 { 4 } else { 0 };
    2 + extended + mask
}

/// Decodes a complete header (`head.len() == header_len_from(head)`).
fn decode_header(head: &[u8]) -> Option<Header> {
    let (&first, rest) = head.split_first()?;
    let (&second, rest) = rest.split_first()?;
    let len_code = second & 0x7F;
    let (payload_len, rest) = match len_code {
        126 => {
            let (bytes, rest) = rest.split_first_chunk::<2>()?;
            (u64::from(u16::from_be_bytes(*bytes)), rest)
        }
        127 => {
            let (bytes, rest) = rest.split_first_chunk::<8>()?;
            (u64::from_be_bytes(*bytes), rest)
        }
        short => (u64::from(short), rest),
    };
    let mask_key = if second & 0x80 != 0 { Some(*rest.first_chunk::<4>()?) } else { None };
    Some(Header {
        fin: first & 0x80 != 0,
        rsv: [first & 0x40 != 0, first & 0x20 != 0, first & 0x10 != 0],
        opcode: first & 0x0F,
        mask_key,
        len_code,
        payload_len,
        header_len: head.len(),
    })
}

/// Byte counts in items are `usize`; a stream longer than that is saturated.
fn clamp(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_check_across_pieces() {
        let text = "h\u{e9}llo \u{1F600}".as_bytes();
        for split in 0..=text.len() {
            let (a, b) = text.split_at(split);
            let mut check = Utf8Check::default();
            check.feed(a);
            check.feed(b);
            assert!(check.is_complete_and_valid(), "split at {split}");
        }
        let mut check = Utf8Check::default();
        check.feed(&[0xF0, 0x9F]);
        assert!(!check.is_invalid());
        assert!(!check.is_complete_and_valid());
        check.feed(&[0x41]);
        assert!(check.is_invalid());
    }

    #[test]
    fn header_lengths() {
        assert_eq!(header_len_from(&[]), 2);
        assert_eq!(header_len_from(&[0x81, 0x05]), 2);
        assert_eq!(header_len_from(&[0x81, 0x85]), 6);
        assert_eq!(header_len_from(&[0x82, 126]), 4);
        assert_eq!(header_len_from(&[0x82, 0xFF]), 14);
    }

    #[test]
    fn close_codes() {
        for ok in [1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999] {
            assert!(close_code_allowed(ok), "{ok}");
        }
        for bad in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            assert!(!close_code_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn minimal_lengths() {
        assert!(!is_minimal_length(126, 125));
        assert!(is_minimal_length(126, 126));
        assert!(!is_minimal_length(127, 0xFFFF));
        assert!(is_minimal_length(127, 0x1_0000));
    }
}
