//! The RTC Lab desktop shell: wires the `Lab` service into Tauri and nothing more.
//!
//! - [`commands`]: the commands the UI may invoke (the capability file allows exactly these).
//! - [`state`]: what the app keeps between calls.
//! - [`error`]: errors as the UI sees them, `{kind, message}`.

mod commands;
mod error;
mod state;

/// Builds and runs the app.
pub fn run() {
    state::mark_process_start();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .manage(state::AppState::default())
        .invoke_handler(tauri::generate_handler![
            commands::list_experiments,
            commands::start_run,
            commands::stop_run,
            commands::run_status,
            commands::trace_since,
            commands::export_trace,
            commands::export_plot,
            commands::save_export,
            commands::import_trace,
            commands::subscribe,
            commands::first_paint,
            commands::learn::course,
            commands::learn::predict,
            commands::learn::answer_quiz,
            commands::learn::start_challenge,
            commands::learn::check_challenge,
            commands::learn::complete_lesson,
            commands::learn::reset_progress,
            commands::learn::recommend,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = app {
        eprintln!("error: RTC Lab could not start: {e}");
        std::process::exit(1);
    }
}
