//! The SSE client, behaving like the browser's `EventSource`: it parses the stream with the
//! WHATWG rules, remembers the last event ID, honours `retry`, and after a dropped
//! connection reconnects with `Last-Event-ID` so the server can replay what was missed.
//! [`read_answer`] reads a token-streamed answer the way AI chat clients do: one request,
//! words as they come, and a stop at `[DONE]` (without it, an `EventSource` would reconnect
//! and ask again when the server ends the stream).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use rtclab_wire::carriers::CarrierKind;
use rtclab_wire::sse::{SseEvent, SseItem, SseParser};

use super::ClientCtx;
use super::http::HttpConn;
use crate::message::Message;

/// Reconnection delay before the server says otherwise (browsers use a few seconds).
pub const DEFAULT_RETRY: Duration = Duration::from_secs(3);

pub async fn run(ctx: Arc<ClientCtx>, path: String, lab_protocol: bool) {
    let mut conn = HttpConn::new(ctx.clone());
    let mut last_id = String::new();
    let mut retry = DEFAULT_RETRY;
    loop {
        let mut headers = vec![("accept", "text/event-stream"), ("cache-control", "no-cache")];
        if !last_id.is_empty() {
            headers.push(("last-event-id", last_id.as_str()));
        }
        let resp = tokio::select! {
            r = conn.send("GET", &path, &headers, Bytes::new()) => r,
            _ = ctx.stopped() => break,
        };
        match resp {
            Err(e) => ctx.note(format!("SSE connection failed: {e}")),
            Ok(resp) => {
                let ok = resp.status() == 200
                    && resp
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/event-stream"));
                if !ok {
                    // EventSource fails for good here instead of retrying.
                    ctx.note(format!(
                        "the server answered {} without text/event-stream; giving up as EventSource does",
                        resp.status()
                    ));
                    break;
                }
                // The stream's head is a response of its own on the trace.
                let _ = conn.take_response_carrier();
                let carriers = conn.carriers();
                let mut body = resp.into_body();
                let mut parser = SseParser::new();
                loop {
                    let data = tokio::select! {
                        d = next_data(&mut body) => d,
                        _ = ctx.stopped() => { conn.close(); return }
                    };
                    let data = match data {
                        Some(Ok(d)) => d,
                        Some(Err(e)) => {
                            ctx.note(format!("SSE stream broke: {e}"));
                            conn.close();
                            break;
                        }
                        None => break,
                    };
                    for ev in dispatched(parser.push(&data)) {
                        let carrier = carriers.as_ref().and_then(|q| q.take(CarrierKind::SseEvent));
                        last_id = ev.last_event_id.clone();
                        let is_message = ev.event_type.as_deref().is_none_or(|t| t == "message");
                        if lab_protocol && is_message {
                            match serde_json::from_str::<Message>(&ev.data) {
                                Ok(m) => ctx.deliver(&m, carrier),
                                Err(e) => ctx.note(format!("event data is not a lab message: {e}")),
                            }
                        }
                    }
                    if let Some(ms) = parser.retry_ms() {
                        retry = Duration::from_millis(ms);
                    }
                }
            }
        }
        let resume =
            if last_id.is_empty() { "from the start".to_owned() } else { format!("with Last-Event-ID: {last_id}") };
        ctx.note(format!("SSE stream ended; reconnecting in {} ms {resume}", retry.as_millis()));
        tokio::select! {
            _ = tokio::time::sleep(retry) => {}
            _ = ctx.stopped() => break,
        }
    }
    conn.close();
}

/// Reads one streamed answer from `path`: `token` events until `data: [DONE]`, then closes.
pub async fn read_answer(ctx: Arc<ClientCtx>, path: String) {
    let mut conn = HttpConn::new(ctx.clone());
    let headers = [("accept", "text/event-stream"), ("cache-control", "no-cache")];
    let resp = tokio::select! {
        r = conn.send("GET", &path, &headers, Bytes::new()) => r,
        _ = ctx.stopped() => return,
    };
    let resp = match resp {
        Ok(r) if r.status() == 200 => r,
        Ok(r) => return ctx.note(format!("the server answered {} instead of streaming the answer", r.status())),
        Err(e) => return ctx.note(format!("asking for the answer failed: {e}")),
    };
    let mut body = resp.into_body();
    let mut parser = SseParser::new();
    let (mut tokens, mut answer) = (0usize, String::new());
    loop {
        let data = tokio::select! {
            d = next_data(&mut body) => d,
            _ = ctx.stopped() => break,
        };
        let data = match data {
            Some(Ok(d)) => d,
            Some(Err(e)) => {
                ctx.note(format!("the answer's stream broke after {tokens} tokens: {e}"));
                break;
            }
            None => {
                ctx.note(format!("the stream ended after {tokens} tokens without [DONE]"));
                break;
            }
        };
        for ev in dispatched(parser.push(&data)) {
            if ev.data == "[DONE]" {
                ctx.note(format!("answer complete at [DONE]: {tokens} tokens, {} characters", answer.chars().count()));
                conn.close();
                return;
            }
            tokens += 1;
            answer.push_str(&ev.data);
        }
    }
    conn.close();
}

/// The next piece of a streamed body's data (trailers skipped); `None` at its end.
async fn next_data(body: &mut Incoming) -> Option<Result<Bytes, hyper::Error>> {
    loop {
        match body.frame().await? {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    return Some(Ok(data));
                }
            }
            Err(e) => return Some(Err(e)),
        }
    }
}

/// The events of parsed items that were dispatched (had data), as `EventSource` fires them.
fn dispatched(items: Vec<SseItem>) -> impl Iterator<Item = SseEvent> {
    items.into_iter().filter_map(|item| match item {
        SseItem::Event(ev) if ev.dispatched => Some(ev),
        _ => None,
    })
}
