//! Media on a peer connection: the codecs the lab's synthetic sources claim (Opus audio, VP8
//! video), the interceptors that make RTCP real (sender and receiver reports, NACK and
//! retransmission, PLI), the tracks a peer sends and the receive-only slots an SFU offers.
//! The payloads are the caller's; SRTP, sequence numbers on the wire, reports and
//! retransmissions are `rtc`'s.

use std::collections::VecDeque;
use std::time::Instant;

use rtc::interceptor::{Attribute, Interceptor, Packet, Registry, Slot, StreamInfo, TaggedPacket};
use rtc::interceptor::{NackGeneratorBuilder, NackResponderBuilder};
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::interceptor_registry::configure_rtcp_reports;
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8, MediaEngine};
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use serde::Serialize;

pub const AUDIO_PAYLOAD_TYPE: u8 = 111;
pub const VIDEO_PAYLOAD_TYPE: u8 = 96;
pub const AUDIO_CLOCK_RATE: u32 = 48_000;
pub const VIDEO_CLOCK_RATE: u32 = 90_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum MediaKind {
    Audio,
    Video,
}

impl MediaKind {
    pub(crate) fn rtc(self) -> RtpCodecKind {
        match self {
            MediaKind::Audio => RtpCodecKind::Audio,
            MediaKind::Video => RtpCodecKind::Video,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
        }
    }

    pub fn payload_type(self) -> u8 {
        match self {
            MediaKind::Audio => AUDIO_PAYLOAD_TYPE,
            MediaKind::Video => VIDEO_PAYLOAD_TYPE,
        }
    }

    fn codec(self) -> RTCRtpCodecParameters {
        let (mime, clock_rate, channels, fmtp) = match self {
            MediaKind::Audio => (MIME_TYPE_OPUS, AUDIO_CLOCK_RATE, 2, "minptime=10;useinbandfec=1"),
            MediaKind::Video => (MIME_TYPE_VP8, VIDEO_CLOCK_RATE, 0, ""),
        };
        RTCRtpCodecParameters {
            rtp_codec: RTCRtpCodec {
                mime_type: mime.into(),
                clock_rate,
                channels,
                sdp_fmtp_line: fmtp.into(),
                rtcp_feedback: vec![],
            },
            payload_type: self.payload_type(),
        }
    }
}

/// One track a peer sends: its id (also the SDP's msid track) and SSRC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackPlan {
    pub id: String,
    pub kind: MediaKind,
    pub ssrc: u32,
}

impl TrackPlan {
    pub(crate) fn track(&self, stream: &str) -> MediaStreamTrack {
        let kind = self.kind;
        MediaStreamTrack::new(
            stream.into(),
            self.id.clone(),
            self.id.clone(),
            kind.rtc(),
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters { ssrc: Some(self.ssrc), ..Default::default() },
                codec: kind.codec().rtp_codec,
                ..Default::default()
            }],
        )
    }
}

/// What media a peer connection carries.
#[derive(Debug, Clone, Default)]
pub struct MediaPlan {
    /// Tracks this side sends.
    pub send: Vec<TrackPlan>,
    /// Receive-only transceivers the offerer puts first in its offer, so the answerer's own
    /// tracks attach to them (an SFU's slots for what the participant sends).
    pub receive_slots: Vec<MediaKind>,
    /// Negotiate `nack` / `nack pli` and run the NACK generator and responder.
    pub nack: bool,
    /// The media stream id of this side's tracks.
    pub stream: String,
}

impl MediaPlan {
    /// The codecs and interceptors this plan needs.
    pub(crate) fn engine(&self) -> Result<(MediaEngine, Registry), String> {
        let mut engine = MediaEngine::default();
        for kind in [MediaKind::Audio, MediaKind::Video] {
            engine.register_codec(kind.codec(), kind.rtc()).map_err(|e| format!("media codec: {e}"))?;
        }
        let mut registry =
            configure_rtcp_reports(Registry::new()).with(Slot::Custom(DELIVER_RTCP_SLOT), DeliverRtcp::default());
        let feedback = |parameter: &str| rtc::rtp_transceiver::rtp_sender::RTCPFeedback {
            typ: "nack".into(),
            parameter: parameter.into(),
        };
        // A receiver can always ask for a keyframe (`nack pli`); plain `nack` only with NACK on.
        engine.register_feedback(feedback("pli"), RtpCodecKind::Video);
        if self.nack {
            engine.register_feedback(feedback(""), RtpCodecKind::Video);
            registry = registry.with(Slot::NackResponder, NackResponderBuilder::new().build()).with(
                Slot::NackGenerator,
                NackGeneratorBuilder::new().with_max_nacks_per_packet(MAX_NACKS_PER_PACKET).build(),
            );
        }
        Ok((engine, registry))
    }
}

/// How often a receiver asks for one missing packet (100 ms apart) before giving up on it.
/// `rtc`'s default is without limit: on a congested line every request and every answer then
/// adds to the congestion. Browsers also stop after a few tries.
pub const MAX_NACKS_PER_PACKET: u16 = 3;

/// Above every named interceptor: each has acted on inbound RTCP before this marks it.
const DELIVER_RTCP_SLOT: usize = 20_000;

/// Marks every inbound RTCP packet for the application. `rtc` ends the inbound RTCP path at
/// its last interceptor unless a packet is marked; the lab shows every report, NACK and PLI
/// on the timeline (and the SFU relays keyframe requests), so it asks for all of them.
#[derive(Default)]
struct DeliverRtcp {
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
}

impl rtc::sansio::Protocol<TaggedPacket, TaggedPacket, ()> for DeliverRtcp {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = rtc::shared::error::Error;
    type Time = Instant;

    fn handle_read(&mut self, mut msg: TaggedPacket) -> Result<(), Self::Error> {
        if matches!(&msg.message.packet, Packet::Rtcp(p) if !p.is_empty()) {
            msg.message.add(Attribute::DeliverToApplication);
        }
        self.read.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.read.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Self::Error> {
        self.write.push_back(msg);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.write.pop_front()
    }
}

impl Interceptor for DeliverRtcp {
    fn bind_local_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _info: &StreamInfo) {}
    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}
