//! The UI's files: built into the binary from `ui/dist` (so an installed `rtc-lab serve`
//! works from any directory), or served from a folder given with `--ui DIR` /
//! `RTCLAB_UI_DIR` (to try a UI build without rebuilding the binary).

use std::path::PathBuf;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use tower_http::services::{ServeDir, ServeFile};

#[derive(RustEmbed)]
#[folder = "../../ui/dist/"]
#[allow_missing = true]
struct BuiltUi;

/// Where the UI comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UiSource {
    BuiltIn,
    Dir(PathBuf),
}

impl UiSource {
    /// `--ui DIR` when given, else `RTCLAB_UI_DIR`, else the UI built into the binary.
    pub fn or_env(dir: Option<PathBuf>) -> Self {
        match dir.or_else(|| std::env::var_os("RTCLAB_UI_DIR").map(PathBuf::from)) {
            Some(d) => UiSource::Dir(d),
            None => UiSource::BuiltIn,
        }
    }
}

/// Whether the binary carries a UI build.
pub fn has_built_in_ui() -> bool {
    BuiltUi::get("index.html").is_some()
}

/// The router for everything outside `/api`.
pub fn router(source: &UiSource) -> Router {
    match source {
        UiSource::Dir(dir) if dir.join("index.html").exists() => {
            Router::new().fallback_service(ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html"))))
        }
        UiSource::Dir(dir) => unavailable(format!(
            "There is no UI in {} (no index.html). Build it with `make ui` (or `npm run build` in ui/), \
             or leave out --ui to use the one built into rtc-lab.",
            dir.display()
        )),
        UiSource::BuiltIn if has_built_in_ui() => Router::new().fallback(built_in),
        UiSource::BuiltIn => unavailable(
            "This rtc-lab was built before the UI was: run `make build` (it builds ui/dist first), \
             or pass --ui DIR with a built UI."
                .to_owned(),
        ),
    }
}

fn unavailable(message: String) -> Router {
    Router::new().fallback(move || async move { (StatusCode::SERVICE_UNAVAILABLE, message) })
}

/// A file of the built-in UI; unknown paths get `index.html` (the app routes on the client).
async fn built_in(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let (file, name) = match BuiltUi::get(path) {
        Some(f) if !path.is_empty() => (f, path),
        _ => match BuiltUi::get("index.html") {
            Some(f) => (f, "index.html"),
            None => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    let mime =
        HeaderValue::from_str(file.metadata.mimetype()).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    // Hashed asset names never change content; index.html must be revalidated.
    let cache = if name == "index.html" { "no-cache" } else { "public, max-age=31536000, immutable" };
    ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, HeaderValue::from_static(cache))], file.data)
        .into_response()
}
