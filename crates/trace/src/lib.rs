//! The one trace model of RTC Lab.
//!
//! Every protocol the lab runs (HTTP polling, long polling, SSE, WebSocket, later WebRTC)
//! becomes one stream of [`TraceEvent`]s. The timeline, the CLI, exports, metrics and tests
//! all read this stream, so a number shown to a learner is always derived from recorded
//! traffic, never computed on the side.
//!
//! - [`event`]: the event types (actor, kind, bytes on the wire, causal parent).
//! - [`recorder`]: assigns sequence numbers and times, keeps a bounded history and fans
//!   events out to live subscribers.
//! - [`jsonl`]: JSON Lines export and import of a trace.
//! - [`describe`]: the one-line summary of an event that every view shows (CLI, timeline,
//!   event list), computed here once.

pub mod describe;
pub mod event;
pub mod jsonl;
pub mod recorder;

pub use event::{Actor, Dir, EventKind, Header, NewEvent, Preview, TraceEvent, WireBytes};
pub use recorder::{Recorder, RecorderStats};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}:{line}: not a trace event: {source}")]
    BadLine {
        path: String,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("I/O error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
