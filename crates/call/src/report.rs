//! What a call measured, in the shapes the CLI prints and the screens draw (exported to
//! TypeScript). Bitrates count what crossed the participant's line: SRTP/SRTCP, ICE and DTLS
//! datagrams plus 28 bytes of IPv4 and UDP headers each, over the media time.

use serde::Serialize;
use ts_rs::TS;

use crate::config::Topology;

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct StreamReport {
    pub from: String,
    pub to: String,
    pub kind: rtclab_natlab::media::MediaKind,
    /// Media payload received, over the media time.
    pub kbps: f64,
    #[ts(type = "number")]
    pub expected: u64,
    #[ts(type = "number")]
    pub received: u64,
    /// Expected − received (after any retransmission).
    #[ts(type = "number")]
    pub lost: u64,
    /// Gaps a retransmission filled.
    #[ts(type = "number")]
    pub repaired: u64,
    /// Interarrival jitter the receiver computed (RFC 3550), ms.
    pub jitter_ms: Option<f64>,
    /// Round-trip time the sending side computed from receiver reports, ms.
    pub rtt_ms: Option<f64>,
    pub nacks: u32,
    pub plis: u32,
    /// Keyframe request → keyframe's first packet, the mean over answered requests (ms).
    pub keyframe_wait_ms: Option<f64>,
    /// Simulcast: the layer the SFU forwarded at the end, and how often it switched.
    pub layer: Option<crate::simulcast::Layer>,
    pub layer_switches: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ParticipantReport {
    pub id: String,
    pub uplink_kbps: f64,
    pub downlink_kbps: f64,
    /// RTP packets the participant's application handed to its peer connections.
    #[ts(type = "number")]
    pub packets_sent: u64,
    /// Packets lost over all the streams it receives.
    #[ts(type = "number")]
    pub packets_lost: u64,
    #[ts(type = "number")]
    pub packets_received: u64,
    /// Time this machine spent on the participant's peer connections (SRTP, interceptors,
    /// ICE, DTLS), ms.
    pub cpu_ms: f64,
    /// RTP packets its connections sent again on a receiver's NACK (RTP on the wire minus
    /// what the application wrote).
    #[ts(type = "number")]
    pub retransmissions: u64,
    /// Datagrams its own uplink's queue dropped.
    #[ts(type = "number")]
    pub uplink_drops: u64,
    /// Peer connections it has (N−1 in a mesh, one to the SFU).
    pub connections: usize,
    pub uplink_cap_kbps: Option<u32>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SfuReport {
    pub uplink_kbps: f64,
    pub downlink_kbps: f64,
    pub cpu_ms: f64,
    /// Media payload bytes in from each sender and out to each receiver (forwarded as is).
    #[ts(type = "number")]
    pub payload_in: u64,
    #[ts(type = "number")]
    pub payload_out: u64,
    /// Payload in × (N − 1) = payload out, for every sender (with simulcast: never more than
    /// came in, per layer): nothing decoded or re-encoded.
    pub forwarded_unchanged: bool,
    pub plis_forwarded: u32,
    pub plis_throttled: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Totals {
    pub uplink_kbps: f64,
    pub downlink_kbps: f64,
    #[ts(type = "number")]
    pub packets_sent: u64,
    #[ts(type = "number")]
    pub packets_lost: u64,
    pub cpu_ms: f64,
    /// Media streams on the wire between parties (audio and video count separately).
    pub streams: usize,
    /// Share of expected video packets that arrived, over every video stream.
    pub video_delivered: f64,
}

/// One participant's line in one half-second bucket.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SeriesPoint {
    pub t_ms: u32,
    pub id: String,
    pub uplink_kbps: f64,
    pub downlink_kbps: f64,
    pub cpu_ms: f64,
}

/// Who sends media to whom, and how much (the call view's arrows).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Flow {
    pub from: String,
    pub to: String,
    pub kbps: f64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct CallEvent {
    pub at_ms: f64,
    /// rtp (a stream's first packet, its header fields), rtcp, keyframe, nack, pli, repair,
    /// drop, connection
    pub kind: String,
    pub from: String,
    pub to: String,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct CallReport {
    pub topology: Topology,
    /// Each participant sent three video layers; the SFU chose one per receiver.
    pub simulcast: bool,
    pub participants: Vec<ParticipantReport>,
    pub sfu: Option<SfuReport>,
    pub totals: Totals,
    pub streams: Vec<StreamReport>,
    pub flows: Vec<Flow>,
    pub series: Vec<SeriesPoint>,
    pub events: Vec<CallEvent>,
    /// Events not kept (the timeline keeps the first few thousand; counts above are complete).
    pub events_left_out: usize,
    /// Virtual time until every peer connection was up, ms.
    pub setup_ms: f64,
    /// Peer connections that never connected.
    pub failed_connections: usize,
    pub media_ms: f64,
    /// How the connections ended up connected (host, srflx, prflx, relay), one per connection.
    pub paths: Vec<String>,
    /// One sender's audio+video stream on one connection, as measured (kbit/s on the wire).
    pub stream_kbps: f64,
    /// Wall-clock time the simulation took, ms.
    pub wall_ms: f64,
    pub video_kbps: u32,
    pub notes: Vec<String>,
}
