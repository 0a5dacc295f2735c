//! One-line, human-readable descriptions of trace events.

use rtclab_trace::{Dir, EventKind, Header, Preview, TraceEvent};

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
                format!("{status} {reason}{ctype} (stream opens)")
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
                s += &format!(" retry: {r}");
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
                s += " (FIN=0)";
            }
            if *masked {
                s += &format!(", masked [{}]", mask_key.as_deref().unwrap_or(""));
            }
            s += &format!(", {payload_len} B");
            if let Some(code) = close_code {
                s += &format!(", code {code} {}", close_reason.as_deref().unwrap_or(""));
            } else if !payload.is_empty() {
                s += &format!(": {}", short(payload));
            }
            s
        }
        EventKind::MessagePublished { msg_id, size } => format!("published message {msg_id} ({size} B)"),
        EventKind::MessageDelivered { msg_id, latency_ns } => {
            format!("received message {msg_id} after {:.3} ms", *latency_ns as f64 / 1e6)
        }
        EventKind::ProtocolError { protocol, offset, message } => {
            format!("{protocol} protocol error at byte {offset}: {message}")
        }
        EventKind::Note { text } => text.clone(),
    }
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
