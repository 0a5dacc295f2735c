//! One-line, human-readable descriptions of trace events, in the words a newcomer would use.
//! Computed here once for every view: the CLI's lines and sequence diagrams, and the app's
//! timeline, event list and inspector (the lab sends them beside the events).

use crate::{Dir, EventKind, Header, Preview, TraceEvent};

/// "GET /messages?since=3", "200 OK (412 B body)", "text frame, masked, 23 B: {…}".
pub fn summary(e: &TraceEvent) -> String {
    match &e.kind {
        EventKind::TcpOpen { client_addr, server_addr } => {
            format!("TCP connection #{} opened {client_addr} → {server_addr}", e.conn.unwrap_or(0))
        }
        EventKind::TcpClose { bytes_client_to_server, bytes_server_to_client, closed_by } => format!(
            "TCP connection #{} closed by {closed_by} ({bytes_client_to_server} B up, {bytes_server_to_client} B down)",
            e.conn.unwrap_or(0)
        ),
        EventKind::HttpRequest { method, target, body_len, .. } => {
            let body = if *body_len > 0 { format!(" ({body_len} B body)") } else { String::new() };
            format!("{method} {target}{body}")
        }
        EventKind::HttpResponse { status, reason, headers, body_len, body, streaming, .. } => {
            let ctype = Header::find(headers, "content-type").map(|c| format!(" {c}")).unwrap_or_default();
            if *streaming {
                format!("{status} {reason}{ctype} — stream opens")
            } else if *body_len > 0 {
                format!("{status} {reason}{ctype} ({body_len} B body: {})", short(body))
            } else {
                format!("{status} {reason}")
            }
        }
        EventKind::SseEvent { id, event, data, retry_ms, dispatched } => {
            let mut s = String::from("SSE");
            if let Some(ev) = event {
                s += &format!(" event: {ev}");
            }
            if let Some(id) = id {
                s += &format!(" id: {id}");
            }
            if let Some(r) = retry_ms {
                s += &format!(" retry: {r} ms");
            }
            if *dispatched {
                s += &format!(" data: {}", clip(data, 60));
            } else {
                s += " (no data, not dispatched)";
            }
            s
        }
        EventKind::SseComment { text } => format!("SSE comment: {}", clip(text, 60)),
        EventKind::WsHandshake { key, accept, accept_valid, .. } => format!(
            "WebSocket handshake: key {key} → accept {accept} ({})",
            if *accept_valid { "valid" } else { "INVALID" }
        ),
        EventKind::WsFrame {
            fin,
            opcode_name,
            masked,
            mask_key,
            payload_len,
            payload,
            close_code,
            close_reason,
            ..
        } => {
            let mut s = format!("WS {opcode_name} frame");
            if !fin {
                s += " (FIN=0, more to come)";
            }
            if *masked {
                s += &format!(", masked [{}]", mask_key.as_deref().unwrap_or(""));
            }
            s += &format!(", {payload_len} B");
            if let Some(code) = close_code {
                let reason = close_reason.as_deref().filter(|r| !r.is_empty()).or(close_code_name(*code));
                s += &format!(", code {code} {}", reason.unwrap_or(""));
                s.truncate(s.trim_end().len());
            } else if !payload.is_empty() {
                s += &format!(": {}", short(payload));
            }
            s
        }
        EventKind::MessagePublished { msg_id, size } => format!("published message {msg_id} ({size} B)"),
        EventKind::MessageDelivered { msg_id, latency_ns, .. } => {
            format!("received message {msg_id} after {:.3} ms", *latency_ns as f64 / 1e6)
        }
        EventKind::ProtocolError { protocol, offset, message } => {
            format!("{protocol} protocol error at byte {offset}: {}", clip(message, 160))
        }
        EventKind::Note { text } => clip(text, 160),
    }
}

/// The RFC 6455 name of a close code, for the codes a learner meets.
pub fn close_code_name(code: u16) -> Option<&'static str> {
    Some(match code {
        1000 => "normal closure",
        1001 => "going away",
        1002 => "protocol error",
        1003 => "unsupported data",
        1005 => "no status received",
        1006 => "abnormal closure",
        1007 => "invalid payload data",
        1008 => "policy violation",
        1009 => "message too big",
        1010 => "mandatory extension",
        1011 => "internal error",
        _ => return None,
    })
}

/// The arrow of an event: who sent it to whom, or `None` for local events.
pub fn arrow(e: &TraceEvent) -> Option<Dir> {
    match e.kind {
        EventKind::TcpOpen { .. } => Some(Dir::ClientToServer),
        _ => e.dir,
    }
}

fn short(p: &Preview) -> String {
    match (&p.text, &p.hex) {
        (Some(t), _) => clip(t, 60),
        (None, Some(h)) => format!("hex {}", clip(h, 48)),
        _ => String::new(),
    }
}

/// At most `n` characters, one line.
pub fn clip(s: &str, n: usize) -> String {
    let one_line: String = s.chars().map(|c| if c.is_control() { '␤' } else { c }).collect();
    if one_line.chars().count() <= n {
        one_line
    } else {
        one_line.chars().take(n.saturating_sub(1)).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::Actor;

    fn ev(kind: EventKind) -> TraceEvent {
        TraceEvent {
            seq: 0,
            t_ns: 0,
            experiment: Arc::from("x"),
            actor: Actor::Tap,
            conn: Some(1),
            dir: None,
            kind,
            bytes: Default::default(),
            parent: None,
        }
    }

    fn frame(opcode_name: &str, fin: bool, masked: bool, close_code: Option<u16>, payload: Preview) -> EventKind {
        EventKind::WsFrame {
            fin,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode: 1,
            opcode_name: opcode_name.into(),
            masked,
            mask_key: masked.then(|| "0a0b0c0d".into()),
            payload_len: 5,
            payload,
            close_code,
            close_reason: None,
        }
    }

    fn text(t: &str) -> Preview {
        Preview { text: Some(t.into()), hex: None, truncated: false }
    }

    #[test]
    fn http_like_a_network_panel() {
        let req = EventKind::HttpRequest {
            method: "POST".into(),
            target: "/send".into(),
            version: "HTTP/1.1".into(),
            headers: vec![],
            body_len: 12,
            body: text("hello world!"),
        };
        assert_eq!(summary(&ev(req)), "POST /send (12 B body)");
        let res = |status: u16, reason: &str, ctype: Option<&str>, streaming: bool| EventKind::HttpResponse {
            status,
            reason: reason.into(),
            version: "HTTP/1.1".into(),
            headers: ctype.map(|c| vec![Header { name: "Content-Type".into(), value: c.into() }]).unwrap_or_default(),
            body_len: 0,
            body: Preview::default(),
            streaming,
        };
        assert_eq!(
            summary(&ev(res(200, "OK", Some("text/event-stream"), true))),
            "200 OK text/event-stream — stream opens"
        );
        assert_eq!(summary(&ev(res(204, "No Content", None, false))), "204 No Content");
    }

    #[test]
    fn sse_events_including_undispatched_ones() {
        let e = EventKind::SseEvent {
            id: Some("4".into()),
            event: Some("tick".into()),
            data: "hi".into(),
            retry_ms: None,
            dispatched: true,
        };
        assert_eq!(summary(&ev(e)), "SSE event: tick id: 4 data: hi");
        let e =
            EventKind::SseEvent { id: None, event: None, data: String::new(), retry_ms: Some(500), dispatched: false };
        assert_eq!(summary(&ev(e)), "SSE retry: 500 ms (no data, not dispatched)");
    }

    #[test]
    fn websocket_frames_with_mask_length_and_close_code() {
        assert_eq!(
            summary(&ev(frame("text", true, true, None, text("hello")))),
            "WS text frame, masked [0a0b0c0d], 5 B: hello"
        );
        assert_eq!(
            summary(&ev(frame("close", true, false, Some(1000), Preview::default()))),
            "WS close frame, 5 B, code 1000 normal closure"
        );
        assert_eq!(
            summary(&ev(frame("close", true, false, Some(4321), Preview::default()))),
            "WS close frame, 5 B, code 4321"
        );
        let hex = Preview { text: None, hex: Some("ff 00".into()), truncated: false };
        assert_eq!(
            summary(&ev(frame("text", false, false, None, hex))),
            "WS text frame (FIN=0, more to come), 5 B: hex ff 00"
        );
    }

    #[test]
    fn one_line_and_short() {
        assert_eq!(summary(&ev(EventKind::Note { text: "line one\nline two".into() })), "line one␤line two");
        let long = summary(&ev(frame("text", true, false, None, text(&"x".repeat(500)))));
        assert!(long.chars().count() < 120 && long.ends_with('…'), "{long}");
    }
}
