//! WebRTC in practice: the lab's WebRTC peers and TURN server on real loopback sockets, and
//! the experiments that show why anyone bothers with WebRTC — and what it costs.
//!
//! Module map:
//! - `pacer` — UDP datagrams sent after a one-way delay (distance on loopback).
//! - `udp_peer` — a lab peer (`rtclab_natlab::peer`) on a real UDP socket, signalling through
//!   the lab's WebSocket relay.
//! - `turn_udp` — the lab's TURN server on real UDP sockets, counting what crosses it.
//! - `compare` — the WebSockets-vs-WebRTC table: echo RTT, setup by phase and server bytes
//!   per message for peer to peer, TURN and a WebSocket relay, in one run.
//! - `notes` — what the table says, computed from its numbers.
//! - `file_transfer` — a file over a data channel per delivery mode, with flow control,
//!   throughput and a SHA-256 check, on a link with loss and a rate.
//! - `browser_peer` — a real browser as a peer: the signalling relay and a Rust peer waiting
//!   in a room for the page's offer.

pub mod browser_peer;
pub mod compare;
pub mod file_transfer;
pub mod notes;
pub mod pacer;
pub mod turn_udp;
pub mod udp_peer;
