//! Decoding real bytes.
//!
//! - [`http`], [`sse`], [`ws`]: sans-IO decoders. They take bytes in whatever pieces the
//!   socket delivered, never panic, keep bounded buffers, and turn bad input into error items
//!   carrying the byte offset.
//! - [`tap`]: a real TCP proxy that forwards bytes unchanged and feeds copies to the decoders,
//!   recording what they find as trace events.

pub mod conn;
pub mod http;
pub mod sse;
pub mod tap;
pub mod ws;
