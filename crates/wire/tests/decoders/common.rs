//! The checks every decoder gets: items do not depend on where the input is split, and the
//! items account for every byte. One copy for all of them, through [`Decoder`].

use std::fmt::Debug;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use rtclab_wire::http::{HttpItem, HttpParser};
use rtclab_wire::sse::{SseItem, SseParser};
use rtclab_wire::ws::{WsItem, WsParser};

/// Longest input whose every single cut point is tried; longer ones get a sample.
const EXHAUSTIVE_UP_TO: usize = 8 * 1024;

/// What the checks need from a sans-IO decoder.
pub trait Decoder {
    type Item: Debug + PartialEq;
    fn push(&mut self, input: &[u8]) -> Vec<Self::Item>;
    fn finish(&mut self) -> Vec<Self::Item>;
    fn bytes_seen(&self) -> u64;
    /// Bytes on the wire an item accounts for.
    fn wire_len(item: &Self::Item) -> u64;
    /// The form of the items that no split can change (as decoded, unless a decoder
    /// delivers some items as the bytes arrive).
    fn settle(items: Vec<Self::Item>) -> Vec<Self::Item> {
        items
    }
}

impl Decoder for SseParser {
    type Item = SseItem;
    fn push(&mut self, input: &[u8]) -> Vec<SseItem> {
        SseParser::push(self, input)
    }
    fn finish(&mut self) -> Vec<SseItem> {
        SseParser::finish(self)
    }
    fn bytes_seen(&self) -> u64 {
        SseParser::bytes_seen(self)
    }
    fn wire_len(item: &SseItem) -> u64 {
        let n = match item {
            SseItem::Event(e) => e.wire_len,
            SseItem::Comment(c) => c.wire_len,
            SseItem::Error(e) => e.wire_len,
            SseItem::Incomplete { wire_len } => *wire_len,
        };
        n as u64
    }
}

impl Decoder for WsParser {
    type Item = WsItem;
    fn push(&mut self, input: &[u8]) -> Vec<WsItem> {
        WsParser::push(self, input)
    }
    fn finish(&mut self) -> Vec<WsItem> {
        WsParser::finish(self)
    }
    fn bytes_seen(&self) -> u64 {
        WsParser::bytes_seen(self)
    }
    fn wire_len(item: &WsItem) -> u64 {
        match item {
            WsItem::Frame(f) => f.header_len as u64 + f.payload_len,
            WsItem::Error(e) => e.wire_len as u64,
        }
    }
}

impl Decoder for HttpParser {
    type Item = HttpItem;
    fn push(&mut self, input: &[u8]) -> Vec<HttpItem> {
        HttpParser::push(self, input)
    }
    fn finish(&mut self) -> Vec<HttpItem> {
        HttpParser::finish(self)
    }
    fn bytes_seen(&self) -> u64 {
        HttpParser::bytes_seen(self)
    }
    fn wire_len(item: &HttpItem) -> u64 {
        let n = match item {
            HttpItem::Request(r) => r.head_len,
            HttpItem::Response(r) => r.head_len,
            HttpItem::Body { wire_len, .. } | HttpItem::End { wire_len } | HttpItem::Error { wire_len, .. } => {
                *wire_len
            }
        };
        n as u64
    }
    /// Body data is delivered as it arrives, so only adjacent `Body` items joined are
    /// independent of the split.
    fn settle(items: Vec<HttpItem>) -> Vec<HttpItem> {
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
}

/// Feeds `input` cut at `cuts`, then finishes; checks the decoder saw every byte and returns
/// the settled items.
pub fn run<D: Decoder>(mut decoder: D, input: &[u8], cuts: &[usize]) -> Vec<D::Item> {
    let mut items = Vec::new();
    for piece in pieces(input, cuts) {
        items.extend(decoder.push(piece));
    }
    items.extend(decoder.finish());
    assert_eq!(decoder.bytes_seen(), input.len() as u64, "bytes seen");
    D::settle(items)
}

/// Bytes the items account for.
pub fn wire<D: Decoder>(items: &[D::Item]) -> u64 {
    items.iter().map(D::wire_len).sum()
}

/// Decodes `input` whole, checks byte accounting and that every split (see [`splits`])
/// gives the same items, and returns them.
pub fn check<D: Decoder>(make: impl Fn() -> D, input: &[u8]) -> Vec<D::Item> {
    let whole = run(make(), input, &[]);
    assert_eq!(wire::<D>(&whole), input.len() as u64, "byte accounting: {whole:#?}");
    for cuts in splits(input.len()) {
        assert_eq!(run(make(), input, &cuts), whole, "split at {cuts:?}");
    }
    whole
}

/// Cut points (sorted, within `0..=len`) derived from arbitrary numbers.
pub fn cut_points(len: usize, raw: &[usize]) -> Vec<usize> {
    let mut cuts: Vec<usize> = raw.iter().map(|r| r % (len + 1)).collect();
    cuts.sort_unstable();
    cuts
}

/// Splits `input` at `cuts` (sorted) into consecutive pieces.
pub fn pieces<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for &cut in cuts {
        out.push(&input[start..cut]);
        start = cut;
    }
    out.push(&input[start..]);
    out
}

/// The splits worth checking for a fixed vector: one byte at a time and every single cut
/// point; for a long one, every 97th byte and cuts one byte from either end.
pub fn splits(len: usize) -> Vec<Vec<usize>> {
    if len > EXHAUSTIVE_UP_TO {
        return vec![(1..len).step_by(97).collect(), vec![1], vec![len - 1]];
    }
    let mut splits = vec![vec![], (1..len).collect()];
    splits.extend((0..=len).map(|cut| vec![cut]));
    splits
}

/// Arbitrary numbers for [`cut_points`].
pub fn cuts_strategy() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(any::<usize>(), 0..40)
}

/// Bytes that mostly look like protocol text, so random input reaches deep states.
pub fn protocol_ish_bytes(tokens: &'static [&'static [u8]]) -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        3 => prop::sample::select(tokens).prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(any::<u8>(), 1..8),
    ];
    prop::collection::vec(token, 0..400).prop_map(|parts| parts.concat())
}

/// 200 cases; failures are saved beside the test's source file (`sse.rs` →
/// `sse.proptest-regressions`) rather than in a folder proptest would pick.
pub fn proptest_config() -> ProptestConfig {
    let persistence = FileFailurePersistence::WithSource("proptest-regressions");
    ProptestConfig { cases: 200, ..ProptestConfig::with_failure_persistence(persistence) }
}
