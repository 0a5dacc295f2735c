//! The NAT lab: real WebRTC peer connections (the sans-IO `rtc` crate) on a simulated internet
//! whose NATs follow RFC 4787, with the lab's own STUN (RFC 5780) and TURN servers, run in
//! in virtual time (or paced for a learner to watch) so every SDP, candidate, check and datagram can be traced and replayed.
//!
//! Module map:
//! - `nat` — one NAT: mapping × filtering, port assignment, hairpinning, binding lifetime;
//!   presets and the grid notation (`apdm-eif`).
//! - `net` — the simulated internet: sites, links (latency, jitter, loss), routing, the
//!   datagram trace.
//! - `classify` — what a datagram is (STUN, TURN, DTLS, ChannelData), from its bytes.
//! - `discover` — RFC 5780 NAT behaviour discovery against the lab's STUN server.
//! - `stun_server` — Binding with XOR-MAPPED-ADDRESS, OTHER-ADDRESS, CHANGE-REQUEST.
//! - `turn_server` — Allocate, Refresh, CreatePermission, ChannelBind, indications, ChannelData.
//! - `media` — codecs, interceptors and tracks of a peer that sends audio and video.
//! - `peer` — one real `RTCPeerConnection` with its gathering (host, STUN, TURN), trickle and data channel.
//! - `signal` — the signalling messages (JSON) between the peers.
//! - `sdp_edit` — the edits a learner makes to a description before it is sent.
//! - `candidate`, `sdp`, `stats` — candidates, SDP lines and candidate pairs as a learner reads them.
//! - `session` — one run: the scenario, the session a driver steps, the virtual-time driver, the report.
//! - `paced` — the same session at a speed a learner watches, signalling over real links.
//! - `view` — what the screens draw (request, tables, event rows), exported to TypeScript.
//! - `why` — the plain-language explanation of a run, one rule per situation; `why_sdp` —
//!   what an SDP edit broke and where.
//! - `trickle` — the same network with trickle ICE and without, setup by phase.
//! - `theory` — the outcome RFC 4787 + ideal ICE predict; `matrix` — every preset pair, run and predicted.

pub mod candidate;
pub mod classify;
pub mod discover;
pub mod matrix;
pub mod media;
pub mod nat;
pub mod net;
pub mod paced;
pub mod peer;
pub mod sdp;
pub mod sdp_edit;
pub mod session;
pub mod signal;
pub mod stats;
pub mod stun_server;
pub mod theory;
pub mod trickle;
pub mod turn_server;
pub mod view;
pub mod why;
pub mod why_sdp;

fn millis<S: serde::Serializer>(d: &std::time::Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}
