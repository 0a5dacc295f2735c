//! The RTC Lab desktop shell: wires `rtclab_app::App` into Tauri and nothing more.
//!
//! - [`commands`]: `call` (every operation of the control API, by name), the live stream,
//!   and what only the desktop can do; the capability file allows exactly these.
//! - [`state`]: what the app keeps between calls.
//! - [`error`]: errors as the UI sees them, `{kind, message}`.

mod commands;
mod error;
mod state;

/// Builds and runs the app.
pub fn run() {
    state::mark_process_start();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,rtc=error,rtc_dtls=error,rtc_ice=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .manage(state::AppState::default())
        .invoke_handler(tauri::generate_handler![
            commands::call,
            commands::subscribe,
            commands::save_export,
            commands::first_paint,
            commands::open_in_browser,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = app {
        eprintln!("error: RTC Lab could not start: {e}");
        std::process::exit(1);
    }
}
