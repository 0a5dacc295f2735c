//! App state: the one `App` (lab + course) the window's commands share.

use std::sync::OnceLock;
use std::time::Instant;

static PROCESS_START: OnceLock<Instant> = OnceLock::new();

/// Remembers when the process started, for the cold-start measurement.
pub fn mark_process_start() {
    PROCESS_START.get_or_init(Instant::now);
}

/// Milliseconds since [`mark_process_start`].
pub fn since_start_ms() -> f64 {
    PROCESS_START.get().map_or(0.0, |t| t.elapsed().as_secs_f64() * 1000.0)
}

#[derive(Debug)]
pub struct AppState {
    pub app: rtclab_app::App,
    /// The address of the same lab served to the user's browser, once `open_in_browser` ran.
    pub served: tokio::sync::Mutex<Option<String>>,
}

impl Default for AppState {
    /// The course from `RTCLAB_LESSONS_DIR`, or the one built into the app.
    fn default() -> Self {
        AppState { app: rtclab_app::App::from_env(), served: tokio::sync::Mutex::new(None) }
    }
}
