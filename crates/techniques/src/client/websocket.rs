//! The WebSocket client: one connection, messages both ways, automatic pongs, a proper
//! close handshake when asked to stop, and reconnection (resuming after the last message
//! seen) when the connection drops.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};

use rtclab_wire::carriers::CarrierKind;

use super::{ClientCtx, PublishRx};
use crate::message::Message;
use crate::server::MAX_MESSAGE_BYTES;

/// Pause before reconnecting after a dropped connection.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);
/// How long to wait for the server's close frame after sending ours.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Options of a WebSocket client.
#[derive(Debug, Clone)]
pub struct WsOptions {
    pub path: String,
    pub lab_protocol: bool,
    /// Close code and reason sent when the client stops.
    pub close: (u16, String),
    pub reconnect: bool,
    /// Text messages sent as soon as the connection is open (`rtc-lab connect --send`).
    pub greet: Vec<String>,
}

pub async fn run(ctx: Arc<ClientCtx>, opts: WsOptions, mut publish: Option<PublishRx>) {
    let mut last_seq: Option<u64> = None;
    loop {
        let path = match (last_seq, opts.lab_protocol) {
            (Some(s), true) => format!("{}?since={s}", opts.path),
            _ => opts.path.clone(),
        };
        match session(&ctx, &opts, &path, &mut publish, &mut last_seq).await {
            Ending::Stopped => return,
            Ending::Dropped(why) => {
                if !opts.reconnect || ctx.is_stopped() {
                    ctx.note(format!("WebSocket ended: {why}"));
                    return;
                }
                ctx.note(format!("WebSocket ended: {why}; reconnecting in {} ms", RECONNECT_DELAY.as_millis()));
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(RECONNECT_DELAY) => {}
            _ = ctx.stopped() => return,
        }
    }
}

enum Ending {
    Stopped,
    Dropped(String),
}

async fn session(
    ctx: &ClientCtx,
    opts: &WsOptions,
    path: &str,
    publish: &mut Option<PublishRx>,
    last_seq: &mut Option<u64>,
) -> Ending {
    let (stream, carriers) = match ctx.connect().await {
        Ok(s) => s,
        Err(e) => return Ending::Dropped(e.to_string()),
    };
    let url = format!("ws://{}{}", ctx.target.host, path);
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES * 16))
        .max_frame_size(Some(MAX_MESSAGE_BYTES * 16));
    let mut ws = match tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await {
        Ok((ws, _)) => ws,
        Err(e) => return Ending::Dropped(format!("handshake failed: {e}")),
    };
    for text in &opts.greet {
        if let Err(e) = ws.send(WsMessage::Text(text.clone().into())).await {
            return Ending::Dropped(e.to_string());
        }
    }
    loop {
        let cmd = async {
            match publish.as_mut() {
                Some(rx) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            incoming = ws.next() => match incoming {
                Some(Ok(WsMessage::Text(text))) => {
                    let carrier = carriers.take(CarrierKind::WsMessage);
                    if opts.lab_protocol {
                        match serde_json::from_str::<Message>(&text) {
                            Ok(m) => {
                                *last_seq = Some(m.seq);
                                ctx.deliver(&m, carrier);
                            }
                            Err(_) => ctx.note(format!("server says: {}", text.as_str())),
                        }
                    }
                }
                Some(Ok(WsMessage::Close(frame))) => {
                    // tungstenite answers the close; reading on flushes that reply.
                    let _ = tokio::time::timeout(CLOSE_GRACE, async { while let Some(Ok(_)) = ws.next().await {} }).await;
                    let why = match frame {
                        Some(f) => format!("server closed with {} {}", u16::from(f.code), f.reason.as_str()),
                        None => "server closed without a code".to_owned(),
                    };
                    return Ending::Dropped(why);
                }
                Some(Ok(WsMessage::Binary(_))) => {
                    let _ = carriers.take(CarrierKind::WsMessage);
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Ending::Dropped(e.to_string()),
                None => return Ending::Dropped("connection closed".into()),
            },
            Some(cmd) = cmd => {
                let req = ctx.publish(cmd.body);
                let text = serde_json::to_string(&req).unwrap_or_default();
                if let Err(e) = ws.send(WsMessage::Text(text.into())).await {
                    return Ending::Dropped(e.to_string());
                }
            }
            _ = ctx.stopped() => {
                let frame = CloseFrame { code: CloseCode::from(opts.close.0), reason: opts.close.1.clone().into() };
                let _ = ws.close(Some(frame)).await;
                let _ = tokio::time::timeout(CLOSE_GRACE, async { while let Some(Ok(_)) = ws.next().await {} }).await;
                return Ending::Stopped;
            }
        }
    }
}
