//! The SFU's forwarding decisions, apart from its peer connections: every participant's
//! packets go to every other participant unchanged in payload; per receiver the SSRC becomes
//! the SFU's own sender's and the sequence numbers are shifted by an offset of their own (gaps
//! stay gaps, so a receiver can still ask for what the sender's uplink lost; after a simulcast
//! layer switch the new layer's numbers are rebased to continue the old run); a receiver's
//! keyframe request goes on to the sender, at most one per sender and layer per
//! [`PLI_FORWARD_THROTTLE`] (eight receivers losing the same packet cost the sender one
//! keyframe, not eight).

use std::collections::HashMap;
use std::time::Duration;

use rtclab_natlab::media::MediaKind;

use crate::simulcast::Layer;

pub const PLI_FORWARD_THROTTLE: Duration = Duration::from_millis(500);

#[derive(Debug, Default)]
pub struct Forwarder {
    offsets: HashMap<(usize, MediaKind, usize), u16>,
    /// The last sequence number sent per (sender, kind, receiver).
    last_out: HashMap<(usize, MediaKind, usize), u16>,
    last_pli: HashMap<(usize, Layer), Duration>,
    /// Payload bytes received per (sender, kind, layer), and sent per (sender, kind, layer,
    /// receiver).
    pub payload_in: HashMap<(usize, MediaKind, Layer), u64>,
    pub payload_out: HashMap<(usize, MediaKind, Layer, usize), u64>,
    pub plis_forwarded: u32,
    pub plis_throttled: u32,
    seed: u64,
}

impl Forwarder {
    pub fn new(seed: u64) -> Self {
        Forwarder { seed, ..Default::default() }
    }

    /// A packet from `sender` arrived (payload counted once, however many receivers).
    pub fn received(&mut self, sender: usize, kind: MediaKind, layer: Layer, payload: usize) {
        *self.payload_in.entry((sender, kind, layer)).or_default() += payload as u64;
    }

    /// A receiver moves to another layer whose next packet has number `first_in`: its numbers
    /// continue where the old layer's stopped, so the receiver sees one unbroken stream.
    pub fn rebase(&mut self, sender: usize, kind: MediaKind, receiver: usize, first_in: u16) {
        let key = (sender, kind, receiver);
        if let Some(&last) = self.last_out.get(&key) {
            self.offsets.insert(key, last.wrapping_add(1).wrapping_sub(first_in));
        }
    }

    /// The header the packet gets on its way to `receiver`: the SFU's SSRC for that leg,
    /// the sequence number shifted by the leg's offset; payload type, timestamp and marker kept.
    #[allow(clippy::too_many_arguments)]
    pub fn rewrite(
        &mut self,
        sender: usize,
        kind: MediaKind,
        layer: Layer,
        receiver: usize,
        header: &rtc::rtp::header::Header,
        out_ssrc: u32,
        payload: usize,
    ) -> rtc::rtp::header::Header {
        let seed = self.seed;
        let offset = *self.offsets.entry((sender, kind, receiver)).or_insert_with(|| {
            // A different starting point per leg, as an SFU's own sender would pick.
            let mix = seed ^ ((sender as u64) << 32) ^ ((receiver as u64) << 16) ^ kind as u64;
            (mix.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 48) as u16
        });
        *self.payload_out.entry((sender, kind, layer, receiver)).or_default() += payload as u64;
        let seq = header.sequence_number.wrapping_add(offset);
        let last = self.last_out.entry((sender, kind, receiver)).or_insert(seq);
        // Only a newer number moves the mark (a late retransmission keeps its old place).
        if seq.wrapping_sub(*last) < 0x8000 {
            *last = seq;
        }
        rtc::rtp::header::Header {
            version: 2,
            marker: header.marker,
            payload_type: header.payload_type,
            sequence_number: seq,
            timestamp: header.timestamp,
            ssrc: out_ssrc,
            ..Default::default()
        }
    }

    /// A receiver asked for a keyframe of `sender`'s video (the layer it gets): forward it
    /// (true) or not yet.
    pub fn keyframe_request(&mut self, now: Duration, sender: usize, layer: Layer) -> bool {
        if self.last_pli.get(&(sender, layer)).is_some_and(|t| now - *t < PLI_FORWARD_THROTTLE) {
            self.plis_throttled += 1;
            return false;
        }
        self.last_pli.insert((sender, layer), now);
        self.plis_forwarded += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(seq: u16) -> rtc::rtp::header::Header {
        rtc::rtp::header::Header {
            version: 2,
            payload_type: 96,
            sequence_number: seq,
            timestamp: 9,
            ssrc: 1,
            marker: true,
            ..Default::default()
        }
    }

    #[test]
    fn each_receiver_gets_its_own_numbering_with_gaps_kept() {
        let mut f = Forwarder::new(7);
        let v = MediaKind::Video;
        let a1 = f.rewrite(0, v, Layer::High, 1, &header(100), 11, 10);
        let a2 = f.rewrite(0, v, Layer::High, 1, &header(102), 11, 10);
        let b1 = f.rewrite(0, v, Layer::High, 2, &header(100), 22, 10);
        assert_eq!(a2.sequence_number.wrapping_sub(a1.sequence_number), 2);
        assert_ne!(a1.sequence_number, b1.sequence_number);
        assert_eq!((a1.ssrc, b1.ssrc, a1.timestamp, a1.marker), (11, 22, 9, true));
        assert_eq!(f.payload_out[&(0, v, Layer::High, 1)], 20);
        // A switch to another layer (its own numbering) continues the receiver's run.
        f.rebase(0, v, 1, 7000);
        let c = f.rewrite(0, v, Layer::Mid, 1, &header(7000), 11, 10);
        assert_eq!(c.sequence_number, a2.sequence_number.wrapping_add(1));
    }

    #[test]
    fn keyframe_requests_are_throttled_per_sender() {
        let mut f = Forwarder::new(1);
        let ms = Duration::from_millis;
        assert!(f.keyframe_request(ms(0), 3, Layer::High));
        assert!(!f.keyframe_request(ms(100), 3, Layer::High));
        assert!(f.keyframe_request(ms(100), 3, Layer::Low));
        assert!(f.keyframe_request(ms(100), 4, Layer::High));
        assert!(f.keyframe_request(ms(600), 3, Layer::High));
        assert_eq!((f.plis_forwarded, f.plis_throttled), (4, 1));
    }
}
