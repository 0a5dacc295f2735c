//! The browser door: `rtc-lab serve` puts the UI and the control API on a loopback port so
//! a plain browser (and the browser end-to-end tests) can drive the lab.
//!
//! - every operation of [`rtclab_app::ops`] is `POST /api/<name>` with its JSON request as
//!   the body, answered with its JSON response (or `{kind, message}` and an HTTP status);
//!   routes are not written per operation, so none can be forgotten;
//! - `GET /api/live` is the live stream (a WebSocket of `LiveMessage`s);
//! - [`guard`]: the token, Origin and Host checks, and the CSP;
//! - [`assets`]: the UI built into the binary, or a folder.

pub mod assets;
pub mod guard;

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rtclab_app::api::ApiError;
use rtclab_app::{App, LabError};
use tokio::net::TcpListener;

pub use assets::UiSource;
pub use guard::{CSP, new_token};

/// Largest request body (a trace import is the big one).
const MAX_BODY: usize = 512 * 1024 * 1024;

/// The whole app: API under `/api`, the UI everywhere else.
pub fn router(app: App, token: String, port: u16, ui: &UiSource) -> Router {
    let expected = guard::Expected { token, port };
    let api = Router::new()
        .route("/live", get(live))
        .route("/{operation}", post(operation))
        .fallback(|| async {
            api_error(StatusCode::NOT_FOUND, "not_found", "no such API endpoint; operations are POST /api/<name>")
        })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
        .layer(middleware::from_fn_with_state(expected, guard::check));
    Router::new().nest("/api", api).merge(assets::router(ui)).layer(middleware::from_fn(guard::security_headers))
}

/// Binds 127.0.0.1 (port 0 = OS-chosen) and serves until `shutdown`.
pub async fn run(
    app: App,
    port: u16,
    ui: &UiSource,
    on_ready: impl FnOnce(SocketAddr, &str),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let token = new_token();
    on_ready(addr, &token);
    axum::serve(listener, router(app, token, addr.port(), ui)).with_graceful_shutdown(shutdown).await
}

pub(crate) fn api_error(status: StatusCode, kind: &str, message: impl Into<String>) -> Response {
    (status, Json(ApiError { kind: kind.into(), message: message.into() })).into_response()
}

fn lab_error(e: LabError) -> Response {
    let status = match e {
        LabError::BadRequest(_) => StatusCode::BAD_REQUEST,
        LabError::Conflict(_) => StatusCode::CONFLICT,
        LabError::NotFound(_) => StatusCode::NOT_FOUND,
        LabError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, Json(e.to_api())).into_response()
}

/// `POST /api/<name>`: one operation. An empty body is the request `null` (operations
/// that take nothing).
async fn operation(State(app): State<App>, UrlPath(name): UrlPath<String>, body: Bytes) -> Response {
    let request = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return api_error(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    format!("the body of {name} is not JSON: {e}"),
                );
            }
        }
    };
    // Operations may read files or start runs; keep them off the async workers.
    let answer = tokio::task::spawn_blocking({
        let app = app.clone();
        move || rtclab_app::ops::dispatch(&app, &name, request)
    });
    match answer.await {
        Ok(Ok(v)) => Json(v).into_response(),
        Ok(Err(e)) => lab_error(e),
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("the operation failed: {e}")),
    }
}

async fn live(State(app): State<App>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| stream_live(app, socket))
}

async fn stream_live(app: App, mut socket: WebSocket) {
    let mut rx = app.lab.subscribe();
    loop {
        tokio::select! {
            msg = rx.recv() => {
                let Some(msg) = msg else { break };
                let Ok(text) = serde_json::to_string(&msg) else { continue };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
}
