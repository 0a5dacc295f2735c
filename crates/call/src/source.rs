//! Synthetic media: what a microphone and a camera encoder would hand to RTP, without either.
//! Audio: one 20 ms Opus-sized packet (80 bytes, 32 kbit/s). Video: 30 frames a second at a
//! target bitrate, a keyframe (four times an average frame) every few seconds and on request,
//! each frame cut into RTP payloads of at most 1200 bytes behind a VP8 payload descriptor, so
//! a forwarder can tell a keyframe's first packet without decoding (as SFUs do). The payload
//! bytes are filler; sizes, timing, timestamps and markers are what a real encoder produces.

use std::time::Duration;

use bytes::Bytes;

pub const AUDIO_INTERVAL: Duration = Duration::from_millis(20);
pub const AUDIO_PAYLOAD_BYTES: usize = 80;
/// 48 kHz clock, 20 ms.
const AUDIO_TIMESTAMP_STEP: u32 = 960;
pub const VIDEO_FPS: u32 = 30;
/// 90 kHz clock, 1/30 s.
const VIDEO_TIMESTAMP_STEP: u32 = 3000;
pub const MAX_PAYLOAD: usize = 1200;
/// A keyframe is this many average frames.
const KEYFRAME_WEIGHT: usize = 4;

/// One RTP payload the source produced.
#[derive(Debug, Clone)]
pub struct Payload {
    pub timestamp: u32,
    /// Last packet of a frame (RTP marker bit for video).
    pub marker: bool,
    /// First packet of a keyframe.
    pub keyframe_start: bool,
    pub data: Bytes,
}

pub fn video_interval() -> Duration {
    Duration::from_secs(1) / VIDEO_FPS
}

#[derive(Debug)]
pub struct AudioSource {
    timestamp: u32,
    packets: u64,
}

impl AudioSource {
    pub fn new(first_timestamp: u32) -> Self {
        AudioSource { timestamp: first_timestamp, packets: 0 }
    }

    pub fn next_packet(&mut self) -> Payload {
        self.packets += 1;
        let mut data = vec![(self.packets % 251) as u8; AUDIO_PAYLOAD_BYTES];
        // An Opus TOC byte: SILK-only wideband, 20 ms frame, one frame.
        data[0] = 0x48;
        let p = Payload { timestamp: self.timestamp, marker: false, keyframe_start: false, data: Bytes::from(data) };
        self.timestamp = self.timestamp.wrapping_add(AUDIO_TIMESTAMP_STEP);
        p
    }
}

#[derive(Debug)]
pub struct VideoSource {
    timestamp: u32,
    frame: u64,
    kbps: u32,
    keyframe_every: u64,
    requested: bool,
    /// Keyframes produced, and how many of them were asked for.
    pub keyframes: u32,
    pub keyframes_on_request: u32,
}

impl VideoSource {
    pub fn new(kbps: u32, keyframe_interval: Duration, first_timestamp: u32) -> Self {
        let keyframe_every = (keyframe_interval.as_secs_f64() * f64::from(VIDEO_FPS)).round().max(1.0) as u64;
        VideoSource {
            timestamp: first_timestamp,
            frame: 0,
            kbps,
            keyframe_every,
            requested: false,
            keyframes: 0,
            keyframes_on_request: 0,
        }
    }

    /// A receiver lost a frame and asked for a picture it can decode from (PLI).
    pub fn request_keyframe(&mut self) {
        self.requested = true;
    }

    fn average_frame(&self) -> usize {
        (self.kbps as usize * 1000 / 8 / VIDEO_FPS as usize).max(1)
    }

    /// The next frame, cut into payloads; says whether it is a keyframe and why.
    pub fn next_frame(&mut self) -> (Vec<Payload>, Option<KeyframeCause>) {
        let scheduled = self.frame.is_multiple_of(self.keyframe_every);
        let cause = if self.frame == 0 || scheduled {
            Some(KeyframeCause::Scheduled)
        } else if self.requested {
            Some(KeyframeCause::Requested)
        } else {
            None
        };
        let avg = self.average_frame();
        let size = match cause {
            Some(_) => avg * KEYFRAME_WEIGHT,
            // The deltas shrink so keyframes fit the target bitrate on average.
            None => {
                let period = self.keyframe_every as usize;
                let deltas = (avg * period).saturating_sub(avg * KEYFRAME_WEIGHT);
                (deltas / period.saturating_sub(1).max(1)).max(avg / 4)
            }
        };
        if cause.is_some() {
            self.requested = false;
            self.keyframes += 1;
            if cause == Some(KeyframeCause::Requested) {
                self.keyframes_on_request += 1;
            }
        }
        let keyframe = cause.is_some();
        let body = MAX_PAYLOAD - 1;
        let count = size.div_ceil(body).max(1);
        let mut out = Vec::with_capacity(count);
        let mut left = size;
        for i in 0..count {
            let n = left.min(body);
            left -= n;
            let mut data = Vec::with_capacity(n + 1);
            // VP8 payload descriptor: S (start of partition) on the first packet.
            data.push(if i == 0 { 0x10 } else { 0x00 });
            let fill = (self.frame % 251) as u8;
            data.resize(n + 1, fill);
            if i == 0 {
                // VP8 payload header: bit 0 is P, 0 for a keyframe.
                data[1] = if keyframe { 0x00 } else { 0x01 };
            }
            out.push(Payload {
                timestamp: self.timestamp,
                marker: i + 1 == count,
                keyframe_start: keyframe && i == 0,
                data: Bytes::from(data),
            });
        }
        self.frame += 1;
        self.timestamp = self.timestamp.wrapping_add(VIDEO_TIMESTAMP_STEP);
        (out, cause)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyframeCause {
    Scheduled,
    Requested,
}

/// Whether a video payload is the first packet of a keyframe, read from the VP8 descriptor
/// and payload header only (no decoding).
pub fn is_keyframe_start(payload: &[u8]) -> bool {
    payload.len() >= 2 && payload[0] & 0x10 != 0 && payload[1] & 0x01 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_is_32_kbits_of_payload() {
        let mut a = AudioSource::new(0);
        let bytes: usize = (0..50).map(|_| a.next_packet().data.len()).sum();
        assert_eq!(bytes * 8, 32_000);
    }

    #[test]
    fn video_averages_its_target_and_cuts_packets_at_1200_bytes() {
        let mut v = VideoSource::new(800, Duration::from_secs(3), 0);
        let mut bytes = 0;
        let mut keyframes = 0;
        for _ in 0..(VIDEO_FPS * 6) {
            let (packets, cause) = v.next_frame();
            assert!(packets.iter().all(|p| p.data.len() <= MAX_PAYLOAD));
            assert!(packets.last().unwrap().marker);
            assert_eq!(is_keyframe_start(&packets[0].data), cause.is_some());
            keyframes += usize::from(cause.is_some());
            bytes += packets.iter().map(|p| p.data.len()).sum::<usize>();
        }
        assert_eq!(keyframes, 2);
        let kbps = bytes as f64 * 8.0 / 6.0 / 1000.0;
        assert!((760.0..=860.0).contains(&kbps), "video averaged {kbps} kbit/s for a target of 800");
    }

    #[test]
    fn a_request_makes_the_next_frame_a_keyframe() {
        let mut v = VideoSource::new(500, Duration::from_secs(10), 0);
        v.next_frame();
        assert!(v.next_frame().1.is_none());
        v.request_keyframe();
        assert_eq!(v.next_frame().1, Some(KeyframeCause::Requested));
        assert!(v.next_frame().1.is_none());
        assert_eq!(v.keyframes_on_request, 1);
    }
}
