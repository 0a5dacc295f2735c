//! The lab server: one axum app serving every technique's endpoints from one [`Hub`].
//!
//! | endpoint | technique |
//! |---|---|
//! | `GET /messages?since=N` | polling: 200 with new messages, 204 when there are none |
//! | `GET /poll?since=N&timeout_ms=T` | long polling: held until a message arrives or `T` passes (204) |
//! | `GET /events` | SSE: `id`/`event`/`retry`, keep-alive comments, replay after `Last-Event-ID` |
//! | `GET /chat/stream?prompt=…` | SSE token streaming ending in `data: [DONE]`, like an AI chat reply |
//! | `GET /ws` | WebSocket chat room: every published message to every member; text from a member is published |
//! | `GET /echo` | WebSocket echo of text and binary messages |
//! | `GET /signal?room=R&peer=NAME` | WebRTC signalling relay: each text message to the room's other peer |
//! | `POST /publish` | publish a message (JSON) from an HTTP client |
//!
//! [`serve`] takes its listener and a shutdown signal, so tests bind port 0 and stop it
//! when they are done.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::hub::Hub;
use crate::message::PublishRequest;
use crate::workload::limits::MAX_PAYLOAD;

mod chat;
mod long_polling;
mod polling;
mod signal;
mod sse;
mod websocket;

pub use signal::{ROOM_SIZE, SignalRooms};
pub use websocket::close_code;

/// Most messages one polling or long-polling response carries.
pub const MAX_BATCH: usize = 1000;
/// Largest HTTP request body and WebSocket message the server accepts.
pub const MAX_MESSAGE_BYTES: usize = MAX_PAYLOAD + 1024;

/// Timing knobs of the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub sse_keep_alive: Duration,
    /// Reconnection delay the server asks SSE clients to use (`retry:`).
    pub sse_retry: Duration,
    pub ws_heartbeat: Duration,
    pub long_poll_default_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            sse_keep_alive: Duration::from_secs(15),
            sse_retry: Duration::from_millis(1000),
            ws_heartbeat: Duration::from_secs(15),
            long_poll_default_timeout: Duration::from_secs(25),
        }
    }
}

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct ServerState {
    pub hub: Hub,
    pub config: Arc<ServerConfig>,
    /// Flips to true when the server is asked to stop; open streams end politely.
    pub stopping: watch::Receiver<bool>,
    /// The signalling relay's rooms.
    pub signal_rooms: SignalRooms,
}

/// The router with every endpoint.
pub fn app(state: ServerState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/messages", get(polling::messages))
        .route("/poll", get(long_polling::poll))
        .route("/events", get(sse::events))
        .route("/chat/stream", get(chat::stream))
        .route("/ws", get(websocket::room))
        .route("/echo", get(websocket::echo))
        .route("/signal", get(signal::signal))
        .route("/publish", post(publish))
        .layer(DefaultBodyLimit::max(MAX_MESSAGE_BYTES))
        .layer(axum::middleware::map_response(allow_any_origin))
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    hub: Hub,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let state = ServerState { hub, config: Arc::new(config), stopping: stop_rx, signal_rooms: SignalRooms::default() };
    // Small frames go out at once, as from any production server: with Nagle's algorithm a
    // frame written while the previous one is unacknowledged waits for the peer's delayed
    // ACK (about 40 ms on Linux), a delay that is no technique's doing.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        })
        .await
}

/// The lab server running on an OS-chosen port of 127.0.0.1 (what experiments stage).
#[derive(Debug)]
pub struct Running {
    pub addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Binds a loopback port and serves `hub` there until [`Running::stop`].
    pub async fn start(hub: Hub, config: ServerConfig) -> crate::Result<Running> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(crate::Error::io("binding the lab server"))?;
        let addr = listener.local_addr().map_err(crate::Error::io("reading the server address"))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, hub, config, async {
            let _ = stopped.await;
        }));
        Ok(Running { addr, stop, task })
    }

    /// Asks the server to stop (open streams end politely) and waits up to `timeout`.
    pub async fn stop(self, timeout: Duration) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(timeout, self.task).await;
    }
}

/// Lets a page on another origin (the lab's own UI on its port, or the desktop webview)
/// open an `EventSource` or read a poll here: the lab server holds nothing private, and the
/// learner's browser joining an experiment is the point.
async fn allow_any_origin(mut resp: axum::response::Response) -> axum::response::Response {
    resp.headers_mut()
        .insert(axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN, axum::http::HeaderValue::from_static("*"));
    resp
}

async fn index() -> &'static str {
    "RTC Lab server\n\
     GET  /messages?since=N               polling (204 when nothing is new)\n\
     GET  /poll?since=N&timeout_ms=T      long polling\n\
     GET  /events                         Server-Sent Events (Last-Event-ID replay)\n\
     GET  /chat/stream?prompt=TEXT        SSE token streaming ending in [DONE]\n\
     GET  /ws                             WebSocket chat room\n\
     GET  /echo                           WebSocket echo\n\
     GET  /signal?room=R&peer=NAME        WebRTC signalling relay (to the room's other peer)\n\
     POST /publish                        publish {\"id\",\"from\",\"t\",\"body\"}\n"
}

async fn publish(State(st): State<ServerState>, body: axum::extract::Json<PublishRequest>) -> impl IntoResponse {
    let msg = st.hub.publish(body.0);
    (StatusCode::ACCEPTED, axum::Json(serde_json::json!({ "seq": msg.seq })))
}
