//! `rtc-lab serve`: the UI and the control API on a loopback port, for a plain browser.
//!
//! The API is guarded three ways, because any web page the user visits can try to reach
//! 127.0.0.1: a per-launch random token (header or query), an `Origin` check (a foreign
//! page's WebSocket or fetch is refused: cross-site WebSocket hijacking is a lesson, not a
//! bug we ship) and a `Host` check (DNS rebinding). Static UI files need no token; the page
//! reads it from its own URL.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng;
use serde::Deserialize;
use tokio::net::TcpListener;
use tower_http::services::{ServeDir, ServeFile};

use crate::api::{ApiError, StartRun};
use crate::learn::{GuessDto, Learn, WizardInput};
use crate::service::{Lab, LabError};

/// Largest trace an import accepts.
const MAX_IMPORT: usize = 512 * 1024 * 1024;

/// Content Security Policy of the UI: nothing from elsewhere, no inline scripts.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob:; connect-src 'self' ws://127.0.0.1:* http://127.0.0.1:* ws://localhost:* http://localhost:*; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

#[derive(Debug, Clone)]
struct Ctx {
    lab: Lab,
    learn: Learn,
    token: String,
    port: u16,
}

/// A fresh random token.
pub fn new_token() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the built UI is looked for when `--ui` is not given.
pub fn default_ui_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RTCLAB_UI_DIR") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/dist")
}

/// The app: API under `/api`, the UI everywhere else.
pub fn router(lab: Lab, token: String, port: u16, ui_dir: &Path) -> Router {
    let learn = Learn::new(crate::course::default_dir(), crate::learn::default_data_dir());
    let ctx = Ctx { lab, learn, token, port };
    let api = Router::new()
        .route("/experiments", get(|State(c): State<Ctx>| async move { Json(c.lab.catalog()) }))
        .route("/runs", post(start_run))
        .route("/runs/stop", post(|State(c): State<Ctx>| async move { Json(c.lab.stop()) }))
        .route("/runs/current", get(|State(c): State<Ctx>| async move { Json(c.lab.status()) }))
        .route("/trace", get(trace_since))
        .route("/export/trace.jsonl", get(export_jsonl))
        .route("/export/trace.har", get(export_har))
        .route("/export/plots/{name}", get(export_plot))
        .route("/import", post(import).layer(DefaultBodyLimit::max(MAX_IMPORT)))
        .route("/live", get(live))
        .route("/course", get(|State(c): State<Ctx>| async move { Json(c.learn.course()) }))
        .route("/course/predict", post(predict))
        .route("/course/quiz", post(quiz))
        .route("/course/challenge/start", post(challenge_start))
        .route("/course/challenge/check", post(challenge_check))
        .route("/course/complete", post(complete))
        .route("/course/progress/reset", post(|State(c): State<Ctx>| async move { result(c.learn.reset_progress()) }))
        .route("/wizard", post(wizard))
        .fallback(|| async { api_error(StatusCode::NOT_FOUND, "not_found", "no such API endpoint") })
        .layer(middleware::from_fn_with_state(ctx.clone(), guard))
        .with_state(ctx);
    let index = ui_dir.join("index.html");
    let ui = if index.exists() {
        Router::new().fallback_service(ServeDir::new(ui_dir).fallback(ServeFile::new(index)))
    } else {
        let msg = format!(
            "The UI is not built (looked in {}). Build it with `make ui` (or `npm run build` in ui/), or pass --ui DIR.",
            ui_dir.display()
        );
        Router::new().fallback(move || async move { (StatusCode::SERVICE_UNAVAILABLE, msg) })
    };
    Router::new().nest("/api", api).merge(ui).layer(middleware::from_fn(security_headers))
}

/// Binds 127.0.0.1 (port 0 = OS-chosen) and serves until `shutdown`.
pub async fn run(
    lab: Lab,
    port: u16,
    ui_dir: &Path,
    on_ready: impl FnOnce(SocketAddr, &str),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let token = new_token();
    on_ready(addr, &token);
    let app = router(lab, token, addr.port(), ui_dir);
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

fn api_error(status: StatusCode, kind: &str, message: impl Into<String>) -> Response {
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

/// Host, Origin and token checks for every API request.
async fn guard(State(c): State<Ctx>, req: Request, next: Next) -> Response {
    let own = [format!("127.0.0.1:{}", c.port), format!("localhost:{}", c.port)];
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if !own.iter().any(|o| o == host) {
        return api_error(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("requests must address {} (Host was {host:?})", own[0]),
        );
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !own.iter().any(|o| origin == format!("http://{o}")) {
            return api_error(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("requests from the origin {origin:?} are refused; only the lab's own page may use its API"),
            );
        }
    }
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|h| h.to_str().ok()).and_then(|h| h.strip_prefix("Bearer "));
    let query = req.uri().query().unwrap_or("").split('&').find_map(|p| p.strip_prefix("token="));
    let given = bearer.or(query).unwrap_or("");
    if !constant_time_eq(given.as_bytes(), c.token.as_bytes()) {
        return api_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong token; open the URL `rtc-lab serve` printed (it ends in ?token=…)",
        );
    }
    next.run(req).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    resp
}

async fn start_run(State(c): State<Ctx>, body: Bytes) -> Response {
    let req: StartRun = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return api_error(StatusCode::BAD_REQUEST, "bad_request", format!("the run request is not valid: {e}"));
        }
    };
    match c.lab.start(req) {
        Ok(s) => Json(s).into_response(),
        Err(e) => lab_error(e),
    }
}

#[derive(Debug, Deserialize)]
struct FromQuery {
    #[serde(default)]
    from: u64,
}

async fn trace_since(State(c): State<Ctx>, Query(q): Query<FromQuery>) -> Response {
    Json(c.lab.trace_since(q.from)).into_response()
}

fn download(body: String, content_type: &'static str, filename: &str) -> Response {
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    (h, body).into_response()
}

async fn export_jsonl(State(c): State<Ctx>) -> Response {
    download(c.lab.export_jsonl(), "application/x-ndjson", "rtc-lab-trace.jsonl")
}

async fn export_har(State(c): State<Ctx>) -> Response {
    download(c.lab.export_har(), "application/json", "rtc-lab-trace.har")
}

async fn export_plot(State(c): State<Ctx>, UrlPath(name): UrlPath<String>) -> Response {
    let name = name.strip_suffix(".svg").unwrap_or(&name).to_owned();
    match c.lab.export_plot(&name) {
        Ok(svg) => download(svg, "image/svg+xml", &format!("{name}.svg")),
        Err(e) => lab_error(e),
    }
}

async fn import(State(c): State<Ctx>, body: Bytes) -> Response {
    let Ok(text) = std::str::from_utf8(&body) else {
        return api_error(StatusCode::BAD_REQUEST, "bad_request", "the trace is not UTF-8 text (expected JSON Lines)");
    };
    match c.lab.import_jsonl(text) {
        Ok(s) => Json(s).into_response(),
        Err(e) => lab_error(e),
    }
}

async fn live(State(c): State<Ctx>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| stream_live(c.lab, socket))
}

async fn stream_live(lab: Lab, mut socket: WebSocket) {
    let mut rx = lab.subscribe();
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

fn result<T: serde::Serialize>(r: Result<T, LabError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => lab_error(e),
    }
}

/// Parses a JSON body into `T`, answering 400 with the reason when it does not fit.
fn body_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(api_error(StatusCode::BAD_REQUEST, "bad_request", format!("the request body is not valid: {e}")))
    })
}

#[derive(Debug, Deserialize)]
struct BlockRef {
    lesson: String,
    id: String,
}

#[derive(Debug, Deserialize)]
struct PredictReq {
    lesson: String,
    id: String,
    guess: GuessDto,
}

#[derive(Debug, Deserialize)]
struct QuizReq {
    lesson: String,
    id: String,
    choice: u32,
}

#[derive(Debug, Deserialize)]
struct ChallengeReq {
    lesson: String,
    id: String,
    #[serde(default)]
    settings: std::collections::BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
struct LessonRef {
    lesson: String,
}

async fn predict(State(c): State<Ctx>, body: Bytes) -> Response {
    match body_json::<PredictReq>(&body) {
        Ok(r) => result(c.learn.predict(&c.lab, &r.lesson, &r.id, &r.guess)),
        Err(resp) => *resp,
    }
}

async fn quiz(State(c): State<Ctx>, body: Bytes) -> Response {
    match body_json::<QuizReq>(&body) {
        Ok(r) => result(c.learn.quiz(&r.lesson, &r.id, r.choice)),
        Err(resp) => *resp,
    }
}

async fn challenge_start(State(c): State<Ctx>, body: Bytes) -> Response {
    match body_json::<ChallengeReq>(&body) {
        Ok(r) => result(c.learn.start_challenge(&c.lab, &r.lesson, &r.id, &r.settings)),
        Err(resp) => *resp,
    }
}

async fn challenge_check(State(c): State<Ctx>, body: Bytes) -> Response {
    match body_json::<BlockRef>(&body) {
        Ok(r) => result(c.learn.check_challenge(&c.lab, &r.lesson, &r.id)),
        Err(resp) => *resp,
    }
}

async fn complete(State(c): State<Ctx>, body: Bytes) -> Response {
    match body_json::<LessonRef>(&body) {
        Ok(r) => result(c.learn.complete(&r.lesson)),
        Err(resp) => *resp,
    }
}

async fn wizard(State(c): State<Ctx>, body: Bytes) -> Response {
    match body_json::<WizardInput>(&body) {
        Ok(r) => result(c.learn.recommend(&r)),
        Err(resp) => *resp,
    }
}
