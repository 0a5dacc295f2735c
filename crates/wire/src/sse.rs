//! Incremental parser for the `text/event-stream` format (Server-Sent Events).
//!
//! It follows the WHATWG "event stream interpretation" rules: lines end in CRLF, LF or CR,
//! a blank line ends a block of fields, `data` lines accumulate, `id` persists across
//! events, `retry` sets the reconnection time. Beyond what a browser exposes, every item
//! carries the number of bytes it occupied on the wire, so a tap can account for each byte.
//!
//! # Byte accounting
//!
//! The sum of `wire_len` over all items returned by [`SseParser::push`] and
//! [`SseParser::finish`] equals the number of bytes pushed. Every line belongs to exactly
//! one item: a comment line to its [`SseComment`], an over-long line to its [`SseError`],
//! a field line or blank line to the [`SseEvent`] its block ends in (or to the final
//! [`SseItem::Incomplete`] when the stream stops mid-block). A leading byte order mark
//! belongs to the first line. Items never depend on how the input was split.
//!
//! # Blank lines
//!
//! Every blank line produces exactly one [`SseEvent`]. When the block it ends held no
//! field (a blank line right after a comment, or two blank lines in a row), that event has
//! `dispatched == false`, empty data and `wire_len` equal to the blank line alone. Treating
//! all blank lines alike keeps the rule simple and the accounting exact.

use std::mem;

/// Longest line (content bytes, without the line terminator) the parser keeps.
///
/// A longer line is not interpreted: its bytes are reported by one [`SseError`] once the
/// line ends, so a hostile stream cannot make the parser buffer without bound.
pub const MAX_LINE: usize = 1 << 20;

/// Largest data buffer (sum of `data` values plus their joining LFs) kept for one event.
///
/// `data` lines that would grow the buffer past this limit are dropped from the event's
/// `data` (their bytes still count in `wire_len` and `data_len`) and one [`SseError`] with
/// `wire_len == 0` reports the truncation.
pub const MAX_DATA: usize = 4 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One decoded piece of an event stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseItem {
    /// A block ended by a blank line.
    Event(SseEvent),
    /// A line starting with `:`.
    Comment(SseComment),
    /// Input the parser refused to interpret.
    Error(SseError),
    /// Bytes of a block (or line) that the stream ended in the middle of. Per the
    /// specification such a block is discarded, not dispatched.
    Incomplete {
        /// Bytes of the unterminated block on the wire.
        wire_len: usize,
    },
}

/// A block of fields ended by a blank line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// Value of the last `event` field in the block; `None` (also for an empty value)
    /// means the default type `message`.
    pub event_type: Option<String>,
    /// The data buffer with its trailing LF removed.
    pub data: String,
    /// Value of the last accepted `id` field in this block (one without U+0000).
    pub id: Option<String>,
    /// The parser's last-event-ID buffer after this block; it persists across events.
    pub last_event_id: String,
    /// Value of the last valid `retry` field in this block.
    pub retry_ms: Option<u64>,
    /// Whether a browser would dispatch this event: false when the data buffer was empty.
    pub dispatched: bool,
    /// Bytes of this block on the wire, including the terminating blank line (and the
    /// byte order mark when the block starts the stream), excluding comment lines and
    /// over-long lines inside the block.
    pub wire_len: usize,
    /// Bytes of the `data` field values as they appeared on the wire (payload bytes).
    pub data_len: usize,
}

/// A comment line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseComment {
    /// The line without its leading colon and one optional following space.
    pub text: String,
    /// Bytes of the line on the wire, including its terminator.
    pub wire_len: usize,
}

/// Input the parser refused to interpret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseError {
    /// Offset, from the start of the stream, of the line at fault.
    pub offset: u64,
    /// What went wrong.
    pub message: String,
    /// Bytes covered by this error (the whole line for an over-long line).
    pub wire_len: usize,
}

/// Fields collected since the last blank line.
#[derive(Debug, Default)]
struct Block {
    data: String,
    event_type: String,
    id: Option<String>,
    retry_ms: Option<u64>,
    wire_len: usize,
    data_len: usize,
    data_truncated: bool,
}

/// Incremental event-stream parser; see the module documentation for its guarantees.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Content of the current line, at most [`MAX_LINE`] bytes.
    line: Vec<u8>,
    /// Content bytes of the current line seen so far; larger than `line.len()` only for an
    /// over-long line, whose bytes are no longer kept.
    line_len: usize,
    /// Stream offset where the current line starts.
    line_start: u64,
    /// The current line ended in CR at the end of a push; whether an LF follows decides
    /// the line's wire length, so the line waits for the next byte.
    pending_cr: bool,
    /// Whether the first line has been completed (only it may start with a BOM).
    past_first_line: bool,
    block: Block,
    last_event_id: String,
    retry_ms: Option<u64>,
    bytes_seen: u64,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next bytes of the stream and returns the items they complete.
    pub fn push(&mut self, input: &[u8]) -> Vec<SseItem> {
        let mut out = Vec::new();
        self.bytes_seen += input.len() as u64;
        let mut rest = input;
        if self.pending_cr && !rest.is_empty() {
            self.pending_cr = false;
            let terminator = match rest {
                [b'\n', after @ ..] => {
                    rest = after;
                    2
                }
                _ => 1,
            };
            self.end_line(terminator, &mut out);
        }
        while !rest.is_empty() {
            rest = self.scan(rest, &mut out);
        }
        out
    }

    /// Ends the stream. A line ended by a final CR is processed; an unterminated block is
    /// reported as [`SseItem::Incomplete`] and discarded, as the specification requires.
    pub fn finish(&mut self) -> Vec<SseItem> {
        let mut out = Vec::new();
        if mem::take(&mut self.pending_cr) {
            self.end_line(1, &mut out);
        }
        let mut incomplete = mem::take(&mut self.block).wire_len;
        if self.line_len > MAX_LINE {
            out.push(SseItem::Error(overlong_error(self.line_start, self.line_len)));
        } else {
            incomplete += self.line_len;
        }
        self.line_start += self.line_len as u64;
        self.line.clear();
        self.line_len = 0;
        if incomplete > 0 {
            out.push(SseItem::Incomplete { wire_len: incomplete });
        }
        out
    }

    /// The last-event-ID buffer: the last accepted `id` value seen so far.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The reconnection time last set by a valid `retry` field.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry_ms
    }

    /// Total bytes pushed so far.
    pub fn bytes_seen(&self) -> u64 {
        self.bytes_seen
    }

    /// Consumes bytes up to and including the next line terminator (or all of `input`) and
    /// returns what is left.
    fn scan<'a>(&mut self, input: &'a [u8], out: &mut Vec<SseItem>) -> &'a [u8] {
        let Some(pos) = input.iter().position(|&b| b == b'\r' || b == b'\n') else {
            self.append(input);
            return &[];
        };
        let (content, tail) = input.split_at(pos);
        self.append(content);
        match tail {
            [b'\r', b'\n', after @ ..] => {
                self.end_line(2, out);
                after
            }
            [b'\r'] => {
                self.pending_cr = true;
                &[]
            }
            [_, after @ ..] => {
                self.end_line(1, out);
                after
            }
            [] => &[],
        }
    }

    /// Adds content bytes to the current line, keeping at most [`MAX_LINE`] of them.
    fn append(&mut self, bytes: &[u8]) {
        self.line_len = self.line_len.saturating_add(bytes.len());
        if self.line_len > MAX_LINE {
            self.line = Vec::new();
        } else {
            self.line.extend_from_slice(bytes);
        }
    }

    /// Completes the current line, whose terminator is `terminator` bytes long.
    fn end_line(&mut self, terminator: usize, out: &mut Vec<SseItem>) {
        let wire_len = self.line_len + terminator;
        let start = self.line_start;
        self.line_start += wire_len as u64;
        let overlong = self.line_len > MAX_LINE;
        let line = mem::take(&mut self.line);
        self.line_len = 0;
        let first = !mem::replace(&mut self.past_first_line, true);
        if overlong {
            out.push(SseItem::Error(overlong_error(start, wire_len)));
            return;
        }
        let content = if first { line.strip_prefix(BOM).unwrap_or(&line) } else { &line };
        self.process_line(content, wire_len, start, out);
    }

    /// Interprets one complete line.
    fn process_line(&mut self, line: &[u8], wire_len: usize, start: u64, out: &mut Vec<SseItem>) {
        match line.split_first() {
            None => out.push(SseItem::Event(self.dispatch(wire_len))),
            Some((b':', text)) => {
                out.push(SseItem::Comment(SseComment { text: lossy(strip_one_space(text)), wire_len }))
            }
            Some(_) => {
                self.block.wire_len += wire_len;
                let (name, value) = split_field(line);
                self.process_field(name, value, start, out);
            }
        }
    }

    /// Applies one field to the current block (spec: "process the field").
    fn process_field(&mut self, name: &[u8], value: &[u8], start: u64, out: &mut Vec<SseItem>) {
        match name {
            b"event" => self.block.event_type = lossy(value),
            b"data" => self.append_data(value, start, out),
            b"id" if !value.contains(&0) => {
                let id = lossy(value);
                self.last_event_id.clone_from(&id);
                self.block.id = Some(id);
            }
            b"retry" => {
                if let Some(ms) = parse_retry(value) {
                    self.retry_ms = Some(ms);
                    self.block.retry_ms = Some(ms);
                }
            }
            _ => {}
        }
    }

    /// Appends a `data` value and an LF to the data buffer, within [`MAX_DATA`].
    fn append_data(&mut self, value: &[u8], start: u64, out: &mut Vec<SseItem>) {
        self.block.data_len += value.len();
        let text = lossy(value);
        if self.block.data.len() + text.len() < MAX_DATA {
            self.block.data.push_str(&text);
            self.block.data.push('\n');
        } else if !mem::replace(&mut self.block.data_truncated, true) {
            out.push(SseItem::Error(SseError {
                offset: start,
                message: format!("event data exceeds {MAX_DATA} bytes; later data lines dropped"),
                wire_len: 0,
            }));
        }
    }

    /// Ends the current block at a blank line of `blank_len` bytes.
    fn dispatch(&mut self, blank_len: usize) -> SseEvent {
        let block = mem::take(&mut self.block);
        let dispatched = !block.data.is_empty();
        let mut data = block.data;
        if data.ends_with('\n') {
            data.pop();
        }
        SseEvent {
            event_type: Some(block.event_type).filter(|t| !t.is_empty()),
            data,
            id: block.id,
            last_event_id: self.last_event_id.clone(),
            retry_ms: block.retry_ms,
            dispatched,
            wire_len: block.wire_len + blank_len,
            data_len: block.data_len,
        }
    }
}

fn overlong_error(offset: u64, wire_len: usize) -> SseError {
    SseError { offset, message: format!("line longer than {MAX_LINE} bytes skipped"), wire_len }
}

/// Splits a field line at its first colon; the value loses one leading space. A line
/// without a colon is a field name with an empty value.
fn split_field(line: &[u8]) -> (&[u8], &[u8]) {
    match line.iter().position(|&b| b == b':') {
        Some(colon) => {
            let (name, rest) = line.split_at(colon);
            (name, strip_one_space(rest.get(1..).unwrap_or_default()))
        }
        None => (line, &[]),
    }
}

fn strip_one_space(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b" ").unwrap_or(bytes)
}

/// A `retry` value counts only if it is a non-empty run of ASCII digits that fits in u64.
fn parse_retry(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse().ok()
}

/// Splitting raw bytes at ASCII `:` and decoding the parts separately gives the same text
/// as decoding the whole line first, because `:` never belongs to a multi-byte sequence.
fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(items: &[SseItem]) -> Vec<&SseEvent> {
        items
            .iter()
            .filter_map(|i| match i {
                SseItem::Event(e) if e.dispatched => Some(e),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn crlf_split_between_pushes_is_one_terminator() {
        let mut p = SseParser::new();
        let mut items = p.push(b"data: a\r");
        assert!(items.is_empty());
        items.extend(p.push(b"\n\r"));
        items.extend(p.push(b"\n"));
        let evs = events(&items);
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].data, "a");
        assert_eq!(evs[0].wire_len, 11);
    }

    #[test]
    fn lone_cr_ends_the_line_when_next_push_is_not_lf() {
        let mut p = SseParser::new();
        let mut items = p.push(b"data: a\r");
        items.extend(p.push(b"\r"));
        items.extend(p.finish());
        let evs = events(&items);
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].wire_len, 9);
    }

    #[test]
    fn split_field_rules() {
        assert_eq!(split_field(b"data:  x"), (&b"data"[..], &b" x"[..]));
        assert_eq!(split_field(b"data"), (&b"data"[..], &b""[..]));
        assert_eq!(split_field(b"a:b:c"), (&b"a"[..], &b"b:c"[..]));
    }

    #[test]
    fn retry_needs_digits_only() {
        assert_eq!(parse_retry(b"1000"), Some(1000));
        assert_eq!(parse_retry(b""), None);
        assert_eq!(parse_retry(b" 1000"), None);
        assert_eq!(parse_retry(b"1000x"), None);
        assert_eq!(parse_retry(b"99999999999999999999999"), None);
    }

    #[test]
    fn overlong_line_is_one_error_covering_the_line() {
        let mut p = SseParser::new();
        let mut input = b"data: a\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        input.extend(b"\ndata: b\n\n");
        let mut items = Vec::new();
        for piece in input.chunks(4096) {
            items.extend(p.push(piece));
        }
        items.extend(p.finish());
        let errors: Vec<_> = items
            .iter()
            .filter_map(|i| match i {
                SseItem::Error(e) => Some(e),
                _ => None,
            })
            .collect();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].offset, 8);
        assert_eq!(errors[0].wire_len, MAX_LINE + 11);
        assert_eq!(events(&items)[0].data, "a\nb");
    }
}
