//! Decoding real bytes.
//!
//! - [`http`], [`sse`], [`ws`]: sans-IO decoders. They take bytes in whatever pieces the
//!   socket delivered, never panic, keep bounded buffers, and turn bad input into error items
//!   carrying the byte offset.
//! - [`conn`]: one connection's two directions as trace events, sans IO too: which decoder
//!   each byte goes to, which event it counts in, and which event caused which.
//! - [`tap`]: a real TCP proxy that forwards bytes unchanged and feeds copies to a
//!   [`conn::ConnDecoder`], recording the events it returns.
//! - [`carriers`]: which recorded event carried each message to a lab client.
//! - [`delay`]: a TCP relay that adds a one-way delay each way (a server "40 ms away").

pub mod carriers;
pub mod conn;
pub mod delay;
pub mod http;
pub mod sse;
pub mod tap;
pub mod ws;
