//! App state: the one `Lab` both the window and its commands share.

use std::sync::OnceLock;
use std::time::Instant;

use rtclab_lab::learn::Learn;
use rtclab_lab::service::Lab;

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
    pub lab: Lab,
    pub learn: Learn,
}

impl Default for AppState {
    fn default() -> Self {
        AppState {
            lab: Lab::default(),
            learn: Learn::new(rtclab_lab::course::default_dir(), rtclab_lab::learn::default_data_dir()),
        }
    }
}
