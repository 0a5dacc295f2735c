//! What a receiver knows about one incoming stream: which sequence numbers arrived (the RTP
//! way of counting loss: expected − received), which gaps a retransmission filled and how
//! late, and when a video stream is broken for good, so it asks for a keyframe (PLI, at most
//! one a second) and measures how long the picture stayed frozen.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// The least time between two keyframe requests for one stream.
pub const PLI_THROTTLE: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub struct StreamRx {
    first: Option<u64>,
    highest: u64,
    seen: HashSet<u64>,
    /// Gaps not yet filled, with when each was noticed.
    missing: BTreeMap<u64, Duration>,
    pub packets: u64,
    pub payload_bytes: u64,
    pub duplicates: u64,
    /// Gaps a late packet (a retransmission) filled, and the longest such wait.
    pub repaired: u64,
    pub longest_repair: Duration,
    /// Gaps given up on: the frame they belonged to cannot be decoded.
    pub unrepaired: u64,
    pub plis_sent: u32,
    last_pli: Option<Duration>,
    /// A keyframe was asked for at this time and has not arrived yet.
    pub frozen_since: Option<Duration>,
    /// Keyframe request → first packet of a keyframe, per request answered.
    pub keyframe_waits: Vec<Duration>,
    pub keyframes: u32,
    /// RFC 3550 interarrival jitter, in seconds.
    pub jitter: f64,
    last_transit: Option<f64>,
}

/// What a receiver should do after looking at its stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Fine,
    /// Ask the sender for a keyframe (lost packets that will not come back).
    SendPli {
        lost: u64,
    },
}

impl StreamRx {
    fn extend(&self, seq: u16) -> u64 {
        let Some(_) = self.first else { return u64::from(seq) + (1 << 16) };
        let base = self.highest & !0xffff;
        let candidates = [base.wrapping_sub(1 << 16), base, base + (1 << 16)];
        candidates
            .into_iter()
            .map(|b| b + u64::from(seq))
            .min_by_key(|c| c.abs_diff(self.highest))
            .expect("three candidates")
    }

    /// RFC 3550 §6.4.1: the smoothed difference between packets' spacing on arrival and
    /// their spacing in RTP time (`clock` ticks per second).
    pub fn on_timing(&mut self, now: Duration, timestamp: u32, clock: u32) {
        let transit = now.as_secs_f64() - f64::from(timestamp) / f64::from(clock);
        if let Some(last) = self.last_transit {
            let mut d = (transit - last).abs();
            // A 32-bit timestamp wrap between the two packets.
            let wrap = f64::from(u32::MAX) / f64::from(clock);
            if d > wrap / 2.0 {
                d = (d - wrap).abs();
            }
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.last_transit = Some(transit);
    }

    /// A packet arrived; returns how long its gap waited if it filled one.
    pub fn on_packet(&mut self, now: Duration, seq: u16, payload: usize, keyframe_start: bool) -> Option<Duration> {
        let ext = self.extend(seq);
        self.packets += 1;
        if !self.seen.insert(ext) {
            self.duplicates += 1;
            return None;
        }
        self.payload_bytes += payload as u64;
        if keyframe_start {
            self.keyframes += 1;
            if let Some(since) = self.frozen_since.take() {
                self.keyframe_waits.push(now - since);
            }
        }
        let mut filled = None;
        match self.first {
            None => {
                self.first = Some(ext);
                self.highest = ext;
            }
            Some(_) if ext > self.highest => {
                for s in self.highest + 1..ext {
                    self.missing.insert(s, now);
                }
                self.highest = ext;
            }
            Some(_) => {
                if let Some(noticed) = self.missing.remove(&ext) {
                    let waited = now - noticed;
                    self.repaired += 1;
                    self.longest_repair = self.longest_repair.max(waited);
                    filled = Some(waited);
                }
            }
        }
        filled
    }

    /// Gaps older than `repair_wait` are given up on; a video receiver then asks for a
    /// keyframe (unless it asked less than [`PLI_THROTTLE`] ago).
    pub fn check(&mut self, now: Duration, repair_wait: Duration, video: bool) -> Verdict {
        let stale: Vec<u64> = self.missing.iter().filter(|(_, t)| now - **t >= repair_wait).map(|(s, _)| *s).collect();
        if stale.is_empty() {
            return Verdict::Fine;
        }
        for s in &stale {
            self.missing.remove(s);
        }
        self.unrepaired += stale.len() as u64;
        if !video || self.last_pli.is_some_and(|t| now - t < PLI_THROTTLE) {
            return Verdict::Fine;
        }
        self.last_pli = Some(now);
        self.plis_sent += 1;
        self.frozen_since.get_or_insert(now);
        Verdict::SendPli { lost: stale.len() as u64 }
    }

    /// The highest sequence number so far (16 bits).
    pub fn highest_seq(&self) -> u16 {
        self.highest as u16
    }

    /// Packets the sequence numbers say were sent (first to highest).
    pub fn expected(&self) -> u64 {
        self.first.map_or(0, |f| self.highest - f + 1)
    }

    pub fn received(&self) -> u64 {
        self.seen.len() as u64
    }

    pub fn lost(&self) -> u64 {
        self.expected().saturating_sub(self.received())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_gap_filled_late_is_repaired_not_lost() {
        let mut rx = StreamRx::default();
        rx.on_packet(MS, 10, 100, false);
        rx.on_packet(2 * MS, 12, 100, false);
        assert_eq!(rx.lost(), 1);
        assert_eq!(rx.on_packet(50 * MS, 11, 100, false), Some(48 * MS));
        assert_eq!((rx.expected(), rx.received(), rx.lost(), rx.repaired), (3, 3, 0, 1));
        assert_eq!(rx.check(1000 * MS, 200 * MS, true), Verdict::Fine);
    }

    #[test]
    fn a_gap_given_up_on_asks_for_one_keyframe_a_second() {
        let mut rx = StreamRx::default();
        rx.on_packet(Duration::ZERO, 1, 100, false);
        rx.on_packet(MS, 3, 100, false);
        assert_eq!(rx.check(100 * MS, 200 * MS, true), Verdict::Fine);
        assert_eq!(rx.check(201 * MS, 200 * MS, true), Verdict::SendPli { lost: 1 });
        rx.on_packet(300 * MS, 5, 100, false);
        assert_eq!(rx.check(600 * MS, 200 * MS, true), Verdict::Fine, "throttled");
        rx.on_packet(700 * MS, 6, 1200, true);
        assert_eq!(rx.keyframe_waits, vec![499 * MS]);
        assert_eq!(rx.lost(), 2);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut rx = StreamRx::default();
        rx.on_packet(Duration::ZERO, 65534, 1, false);
        rx.on_packet(MS, 65535, 1, false);
        rx.on_packet(2 * MS, 1, 1, false);
        assert_eq!((rx.expected(), rx.lost()), (4, 1));
    }

    #[test]
    fn jitter_is_zero_on_a_steady_path_and_grows_with_uneven_arrivals() {
        let mut rx = StreamRx::default();
        for i in 0..50u32 {
            rx.on_timing(Duration::from_millis(u64::from(i) * 20 + 30), i * 960, 48_000);
        }
        assert!(rx.jitter < 1e-9);
        for i in 50..100u32 {
            let wobble = if i % 2 == 0 { 10 } else { 0 };
            rx.on_timing(Duration::from_millis(u64::from(i) * 20 + 30 + wobble), i * 960, 48_000);
        }
        assert!((0.008..0.011).contains(&rx.jitter), "jitter {}", rx.jitter);
    }
}
