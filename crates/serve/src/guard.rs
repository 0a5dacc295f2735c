//! The API's guards. Any web page the user visits can try to reach 127.0.0.1, so every API
//! request must carry the per-launch token (header or query), come from the lab's own
//! origin (a foreign page's WebSocket or fetch is refused: cross-site WebSocket hijacking is
//! a lesson, not a bug we ship) and address the lab by its own host name (DNS rebinding).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use rand::Rng;

use crate::api_error;

/// Content Security Policy of the UI: nothing from elsewhere, no inline scripts.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob:; connect-src 'self' ws://127.0.0.1:* http://127.0.0.1:* ws://localhost:* http://localhost:*; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// A fresh random token.
pub fn new_token() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the guard compares requests with.
#[derive(Debug, Clone)]
pub struct Expected {
    pub token: String,
    pub port: u16,
}

/// Host, Origin and token checks for every API request.
pub async fn check(State(x): State<Expected>, req: Request, next: Next) -> Response {
    let own = [format!("127.0.0.1:{}", x.port), format!("localhost:{}", x.port)];
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
    if !constant_time_eq(given.as_bytes(), x.token.as_bytes()) {
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

/// CSP and friends on every answer, UI files and API alike.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    resp
}
