//! The RTC Lab facade and the `rtc-lab` command-line tool.
//!
//! - [`compare`]: runs techniques one after another under the same workload and renders the
//!   comparison as a table (with plain-language findings) or JSON.
//! - [`plots`]: SVG charts of a comparison (latency CDF, bytes per message, requests per second).
//! - [`connect`]: traces a user's own polling, SSE or WebSocket endpoint through the tap.
//! - [`describe`]: one-line descriptions of trace events, shared by `connect` and `trace`.
//! - [`lanes`]: a saved trace drawn as a text sequence diagram.
//! - [`bench`]: the tap-overhead and recorder-throughput benchmarks.

pub mod bench;
pub mod compare;
pub mod connect;
pub mod describe;
pub mod lanes;
pub mod plots;
