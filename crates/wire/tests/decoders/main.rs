//! Conformance and robustness tests for the decoders: the SSE, WebSocket and HTTP/1.1
//! parsers, the connection decoder that turns both directions into trace events, and the
//! tap that runs it between real sockets.
//!
//! Every fixed parser vector is also checked for the two properties all decoders promise
//! (see `common`): the items do not depend on where the input is split, and the items
//! account for every byte.

mod common;
mod conn;
mod http;
mod sse;
mod tap;
mod traffic;
mod ws;
