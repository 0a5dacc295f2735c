//! The load generator for connection-count benchmarks: `rtc-lab cluster-load` opens many
//! idle subscribers from its own process (a process may hold 20,000 open files here, so a
//! large load is split over several), each bound to one of the given 127.0.0.x source
//! addresses (one address has ~28,000 ephemeral ports), and times every publication from the
//! timestamp inside it to its arrival — wall-clock microseconds, shared by all processes of
//! the machine.
//!
//! It prints `{"subscribed":N,"failed":F,"first_error":…}` once every client has subscribed or
//! failed, then `{"received":…,"latencies_ms":[…]}` once each client has `messages`
//! publications or `wait_s` has passed.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::net::TcpSocket;
use tokio::sync::{Mutex, Semaphore};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::protocol::{ClientMsg, NodeMsg};

/// Connections being set up at once (a node's accept queue holds 1,024).
const CONNECTING_AT_ONCE: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadArgs {
    pub nodes: Vec<SocketAddr>,
    pub clients: usize,
    /// The index of this process's first client (spreads clients over nodes and sources).
    pub first_client: usize,
    pub sources: Vec<Ipv4Addr>,
    pub messages: u64,
    pub wait_s: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Subscribed {
    pub subscribed: usize,
    pub failed: usize,
    pub first_error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Received {
    pub received: u64,
    pub latencies_ms: Vec<f64>,
}

/// Wall-clock microseconds: what a publication carries, comparable across processes.
pub fn now_micros() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}

/// The payload of a timed publication.
pub fn timed_payload() -> String {
    format!("t={}", now_micros())
}

/// The latency of a `pub` message carrying a timed payload. The load stands in for clients on
/// other machines, so its work per message on these shared cores is kept small: the timestamp
/// is read straight from the text instead of parsing the whole message.
fn latency_ms(text: &str) -> Option<f64> {
    let at = text.find("\"data\":\"t=")? + "\"data\":\"t=".len();
    let digits = &text[at..];
    let end = digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
    let sent: u64 = digits[..end].parse().ok()?;
    Some(now_micros().saturating_sub(sent) as f64 / 1000.0)
}

/// Runs the load; `report` gets the two lines.
pub async fn run_load(args: LoadArgs, report: impl Fn(String)) {
    let gate = Arc::new(Semaphore::new(CONNECTING_AT_ONCE));
    let done = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(Mutex::new((0usize, None::<String>)));
    let received = Arc::new(Mutex::new(Received::default()));
    let all_subscribed = Arc::new(tokio::sync::Notify::new());
    let mut tasks = Vec::with_capacity(args.clients);
    let config =
        WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0).max_message_size(Some(64 << 10));
    for i in 0..args.clients {
        let n = args.first_client + i;
        let node = args.nodes[n % args.nodes.len()];
        let source = args.sources[n % args.sources.len().max(1)];
        let (gate, done, failed, received) = (gate.clone(), done.clone(), failed.clone(), received.clone());
        let (all_subscribed, clients) = (all_subscribed.clone(), args.clients);
        let (messages, wait) = (args.messages, Duration::from_secs(args.wait_s));
        tasks.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await.expect("the gate stays open");
            let connected = async {
                let sock = TcpSocket::new_v4().map_err(|e| e.to_string())?;
                sock.bind(SocketAddr::new(source.into(), 0)).map_err(|e| format!("binding {source}: {e}"))?;
                let stream = sock.connect(node).await.map_err(|e| format!("connecting to {node}: {e}"))?;
                let _ = stream.set_nodelay(true);
                let (mut ws, _) =
                    tokio_tungstenite::client_async_with_config(format!("ws://{node}/ws"), stream, Some(config))
                        .await
                        .map_err(|e| format!("handshake with {node}: {e}"))?;
                let sub = ClientMsg::Subscribe { channel: "room".into(), recover: None };
                ws.send(Message::Text(sub.to_json().into())).await.map_err(|e| e.to_string())?;
                loop {
                    match ws.next().await {
                        Some(Ok(Message::Text(t))) => {
                            if let Ok(NodeMsg::Subscribed { .. }) = serde_json::from_str(&t) {
                                return Ok(ws);
                            }
                        }
                        Some(Ok(Message::Close(Some(f)))) => {
                            return Err(format!("{node} closed before subscribing: {} {}", f.code, f.reason));
                        }
                        Some(Ok(Message::Close(None))) | None => {
                            return Err(format!("{node} closed before subscribing"));
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return Err(format!("{node} before subscribing: {e}")),
                    }
                }
            }
            .await;
            drop(permit);
            if done.fetch_add(1, Ordering::Relaxed) + 1 == clients {
                // notify_one keeps the wake-up if nobody waits yet.
                all_subscribed.notify_one();
            }
            let mut ws = match connected {
                Ok(ws) => ws,
                Err(e) => {
                    let mut f = failed.lock().await;
                    f.0 += 1;
                    f.1.get_or_insert(e);
                    return;
                }
            };
            let mut mine = Vec::new();
            let _ = tokio::time::timeout(wait, async {
                while (mine.len() as u64) < messages {
                    match ws.next().await {
                        Some(Ok(Message::Text(t))) => {
                            if let Some(ms) = latency_ms(&t) {
                                mine.push(ms);
                            }
                        }
                        Some(Ok(_)) => {}
                        _ => break,
                    }
                }
            })
            .await;
            let mut r = received.lock().await;
            r.received += mine.len() as u64;
            r.latencies_ms.extend(mine);
        }));
    }
    if args.clients > 0 {
        all_subscribed.notified().await;
    }
    let (failures, first_error) = failed.lock().await.clone();
    let line = Subscribed { subscribed: args.clients - failures, failed: failures, first_error };
    report(serde_json::to_string(&line).expect("serialises"));
    for t in tasks {
        let _ = t.await;
    }
    report(serde_json::to_string(&*received.lock().await).expect("serialises"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timestamp_is_read_from_a_pub_message() {
        let sent = now_micros() - 2500;
        let text =
            NodeMsg::Pub { channel: "room".into(), epoch: "e".into(), offset: 3, data: format!("t={sent}") }.to_json();
        let ms = latency_ms(&text).unwrap();
        assert!((2.5..1000.0).contains(&ms), "{ms}");
        assert_eq!(latency_ms(r#"{"type":"pub","data":"hello"}"#), None);
    }
}
