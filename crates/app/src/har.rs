//! HAR 1.2 export of a trace, the format browser devtools and proxies exchange.
//!
//! Each HTTP request/response pair becomes an entry. A WebSocket upgrade's entry carries the
//! connection's frames in `_webSocketMessages` (`type` send/receive, `time` in epoch seconds,
//! `opcode`, `data`), the extension Chrome DevTools reads and writes. SSE events are not part
//! of HAR; the response entry keeps the stream's head.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rtclab_trace::{Dir, EventKind, Header, TraceEvent};
use serde_json::{Value, json};

/// Builds the HAR document. `started` is the wall-clock time of trace time zero.
pub fn build(events: &[TraceEvent], started: SystemTime) -> Value {
    let epoch = started.duration_since(UNIX_EPOCH).unwrap_or_default();
    let at = |t_ns: u64| epoch + Duration::from_nanos(t_ns);
    let responses: HashMap<u64, &TraceEvent> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::HttpResponse { .. }))
        .filter_map(|e| Some((e.parent?, e)))
        .collect();
    let mut entries = Vec::new();
    for req in events {
        let EventKind::HttpRequest { method, target, version, headers, body_len, body } = &req.kind else { continue };
        let host = Header::find(headers, "host").unwrap_or("127.0.0.1");
        let scheme = if Header::find(headers, "upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
            "ws"
        } else {
            "http"
        };
        let url = format!("{scheme}://{host}{target}");
        let query: Vec<Value> = target
            .split_once('?')
            .map(|(_, q)| {
                q.split('&')
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        let (n, v) = p.split_once('=').unwrap_or((p, ""));
                        json!({ "name": n, "value": v })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut request = json!({
            "method": method,
            "url": url,
            "httpVersion": version,
            "cookies": [],
            "headers": har_headers(headers),
            "queryString": query,
            "headersSize": req.bytes.header,
            "bodySize": body_len,
        });
        if *body_len > 0 {
            request["postData"] = json!({
                "mimeType": Header::find(headers, "content-type").unwrap_or(""),
                "text": body.text.clone().unwrap_or_default(),
            });
        }
        let resp = responses.get(&req.seq);
        let (response, wait_ms) = match resp {
            Some(r) => match &r.kind {
                EventKind::HttpResponse { status, reason, version, headers, body_len, body, .. } => (
                    json!({
                        "status": status,
                        "statusText": reason,
                        "httpVersion": version,
                        "cookies": [],
                        "headers": har_headers(headers),
                        "content": {
                            "size": body_len,
                            "mimeType": Header::find(headers, "content-type").unwrap_or(""),
                            "text": body.text.clone().unwrap_or_default(),
                        },
                        "redirectURL": Header::find(headers, "location").unwrap_or(""),
                        "headersSize": r.bytes.header,
                        "bodySize": body_len,
                    }),
                    (r.t_ns.saturating_sub(req.t_ns)) as f64 / 1e6,
                ),
                _ => (no_response(), -1.0),
            },
            None => (no_response(), -1.0),
        };
        let mut entry = json!({
            "startedDateTime": iso8601(at(req.t_ns)),
            "time": wait_ms.max(0.0),
            "request": request,
            "response": response,
            "cache": {},
            "timings": { "send": 0, "wait": wait_ms.max(0.0), "receive": 0 },
            "connection": req.conn.map(|c| c.to_string()).unwrap_or_default(),
        });
        if resp.is_some_and(|r| matches!(r.kind, EventKind::HttpResponse { status: 101, .. })) {
            entry["_resourceType"] = json!("websocket");
            entry["_webSocketMessages"] = Value::Array(ws_messages(events, req.conn, &at));
        }
        entries.push(entry);
    }
    json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "RTC Lab", "version": env!("CARGO_PKG_VERSION") },
            "pages": [],
            "entries": entries,
        }
    })
}

fn no_response() -> Value {
    json!({
        "status": 0, "statusText": "", "httpVersion": "", "cookies": [], "headers": [],
        "content": { "size": 0, "mimeType": "" }, "redirectURL": "", "headersSize": -1, "bodySize": -1,
    })
}

fn ws_messages(events: &[TraceEvent], conn: Option<u64>, at: &dyn Fn(u64) -> Duration) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e.conn.is_some() && e.conn == conn)
        .filter_map(|e| match &e.kind {
            EventKind::WsFrame { opcode, payload, .. } => Some(json!({
                "type": if e.dir == Some(Dir::ClientToServer) { "send" } else { "receive" },
                "time": at(e.t_ns).as_secs_f64(),
                "opcode": opcode,
                "data": payload.text.clone().or_else(|| payload.hex.clone()).unwrap_or_default(),
            })),
            _ => None,
        })
        .collect()
}

fn har_headers(headers: &[Header]) -> Vec<Value> {
    headers.iter().map(|h| json!({ "name": h.name, "value": h.value })).collect()
}

/// `2026-11-28T04:18:59.123Z` from a time since the epoch (UTC).
fn iso8601(t: Duration) -> String {
    let at = UNIX_EPOCH + Duration::from_millis(t.as_millis() as u64);
    humantime::format_rfc3339_millis(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601(Duration::from_secs(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(Duration::from_millis(951_782_400_250)), "2000-02-29T00:00:00.250Z");
        assert_eq!(iso8601(Duration::from_secs(1_795_839_539)), "2026-11-28T04:18:59.000Z");
    }
}
