//! Real servers and real clients for the four server-push techniques.
//!
//! - [`workload`]: what an experiment asks for (clients, rate, payload, duration, seed) and
//!   its validation, with errors that name the flag and the allowed range.
//! - [`hub`]: the server-side message store every technique reads from (bounded history,
//!   change notification), so all techniques deliver the same messages.
//! - [`server`]: one axum app with the endpoints of polling, long polling, SSE (with replay
//!   and a token-streaming demo) and WebSocket (chat room and echo).
//! - [`client`]: a real client per technique, speaking over plain TCP sockets whose bytes
//!   are counted, recording every message it receives.
//! - [`experiment`]: runs a technique under a workload with the tap in the middle.
//! - [`metrics`]: figures computed from the trace alone.
//! - [`signalling`]: the WebRTC signalling relay staged for a live NAT-lab run (server, tap,
//!   one WebSocket client per peer).

pub mod client;
pub mod counting;
pub mod experiment;
pub mod hub;
pub mod message;
pub mod metrics;
pub mod server;
pub mod signalling;
pub mod workload;

pub use experiment::{Experiment, RunReport};
pub use metrics::Metrics;
pub use workload::{Direction, Technique, Workload};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A workload parameter is out of range; `flag` is the CLI flag that sets it.
    #[error("invalid {flag}: {message}")]
    InvalidWorkload { flag: &'static str, message: String },
    #[error("unknown technique {0:?}; choose from polling, long-polling, sse, websocket")]
    UnknownTechnique(String),
    #[error("I/O error while {doing}: {source}")]
    Io {
        doing: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Client(String),
}

impl Error {
    pub(crate) fn io(doing: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let doing = doing.into();
        move |source| Error::Io { doing, source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
