//! Media calls on the NAT lab's simulated internet. Synthetic audio and video travel as real
//! SRTP over real `rtc` peer connections (the NAT lab's peers), with RTCP reports, NACK and
//! retransmission, PLI and keyframes; 1:1 calls go peer to peer (or through TURN), group
//! calls as a full mesh or through the lab's SFU; every participant's uplink, downlink and
//! processor time is measured.
//!
//! Module map:
//! - `config` — what a call is (participants, topology, bitrates, network) and its limits.
//! - `source` — the synthetic microphone and camera: RTP payloads, keyframes on request.
//! - `receive` — a receiver's view of one stream: loss, repairs, when to ask for a keyframe.
//! - `sfu` — the SFU's forwarding rules: per-receiver rewriting, keyframe requests throttled.
//! - `simulcast` — three video layers per sender; which one the SFU forwards to a receiver.
//! - `call` — one call driven in virtual time (`call::rtcp`: what it does with the RTCP that
//!   arrives; `call::summary`: its report).
//! - `request` — a call as the screens ask for it, checked.
//! - `report` — what a call measured, as the CLI prints it and the screens draw it.
//! - `notes` — sentences computed from a report.
//! - `sweep` — the same call for N = 2…8, mesh and SFU: N against bandwidth.

pub mod call;
pub mod config;
pub mod notes;
pub mod receive;
pub mod report;
pub mod request;
pub mod sfu;
pub mod simulcast;
pub mod source;
pub mod sweep;

pub use call::run;
pub use config::{CallConfig, Topology};
pub use report::CallReport;
