//! The `rtc-lab` command's parts (the binary is `main.rs`).
//!
//! - [`connect`]: traces a user's own polling, SSE or WebSocket endpoint through the tap.
//! - [`lanes`]: a saved trace drawn as a text sequence diagram.
//! - [`table`]: a comparison as a text table with its findings.
//! - [`progress`]: progress bars while a comparison runs.
//! - [`nat`]: the NAT lab's matrix, one traced WebRTC run and NAT discovery as text.
//! - [`practice`]: the measured WebSockets-vs-WebRTC table as text.
//! - [`call`]: a media call's per-participant table and the N-versus-bandwidth sweep as text.
//! - [`bench`]: the tap-overhead and recorder-throughput benchmarks.
//!
//! One-line event descriptions come from `rtclab_trace::describe`, the same ones the app shows.

pub mod bench;
pub mod call;
pub mod connect;
pub mod lanes;
pub mod nat;
pub mod practice;
pub mod progress;
pub mod table;
