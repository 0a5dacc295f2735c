//! The RTC Lab facade and the `rtc-lab` command-line tool.
//!
//! - [`compare`]: runs techniques one after another under the same workload and renders the
//!   comparison as a table (with plain-language findings) or JSON.
//! - [`plots`]: SVG charts of a comparison (latency CDF, bytes per message, requests per second).
//! - [`connect`]: traces a user's own polling, SSE or WebSocket endpoint through the tap.
//! - [`describe`]: one-line descriptions of trace events, shared by `connect` and `trace`.
//! - [`lanes`]: a saved trace drawn as a text sequence diagram.
//! - [`bench`]: the tap-overhead and recorder-throughput benchmarks.
//! - [`api`]: the types that cross to the UI (TypeScript generated with ts-rs).
//! - [`service`]: the `Lab` both shells drive: runs, live trace stream, exports, import.
//! - [`har`]: HAR 1.2 export, WebSocket frames included.
//! - [`serve`]: the loopback control server behind `rtc-lab serve` (token, Origin checks).

pub mod api;
pub mod bench;
pub mod compare;
pub mod connect;
pub mod course;
pub mod describe;
pub mod har;
pub mod lanes;
pub mod learn;
pub mod plots;
pub mod serve;
pub mod service;
