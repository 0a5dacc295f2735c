//! The commands the UI invokes. Each is a thin call into `rtclab_lab::service::Lab`.

use rtclab_lab::api::{Catalog, LiveMessage, RunStatus, StartRun};
use rtclab_trace::TraceEvent;
use tauri::ipc::Channel;
use tauri::{Manager, State};

use crate::error::{CmdResult, bad_request, from_lab, internal};
use crate::state::AppState;

pub mod learn;

#[tauri::command]
pub async fn list_experiments(state: State<'_, AppState>) -> CmdResult<Catalog> {
    Ok(state.lab.catalog())
}

#[tauri::command]
pub async fn start_run(state: State<'_, AppState>, request: StartRun) -> CmdResult<RunStatus> {
    state.lab.start(request).map_err(from_lab)
}

#[tauri::command]
pub async fn stop_run(state: State<'_, AppState>) -> CmdResult<RunStatus> {
    Ok(state.lab.stop())
}

#[tauri::command]
pub async fn run_status(state: State<'_, AppState>) -> CmdResult<RunStatus> {
    Ok(state.lab.status())
}

#[tauri::command]
pub async fn trace_since(state: State<'_, AppState>, from: u64) -> CmdResult<Vec<TraceEvent>> {
    Ok(state.lab.trace_since(from))
}

/// The trace as `jsonl` or `har` text.
#[tauri::command]
pub async fn export_trace(state: State<'_, AppState>, format: String) -> CmdResult<String> {
    match format.as_str() {
        "jsonl" => Ok(state.lab.export_jsonl()),
        "har" => Ok(state.lab.export_har()),
        other => Err(bad_request(format!("unknown export format {other:?}; use jsonl or har"))),
    }
}

#[tauri::command]
pub async fn export_plot(state: State<'_, AppState>, name: String) -> CmdResult<String> {
    state.lab.export_plot(&name).map_err(from_lab)
}

/// Writes an export (`jsonl`, `har`, or a chart name) into the user's Downloads folder and
/// returns the path: the webview has no browser download manager.
#[tauri::command]
pub async fn save_export(app: tauri::AppHandle, state: State<'_, AppState>, kind: String) -> CmdResult<String> {
    let (text, file) = match kind.as_str() {
        "jsonl" => (state.lab.export_jsonl(), "rtc-lab-trace.jsonl".to_owned()),
        "har" => (state.lab.export_har(), "rtc-lab-trace.har".to_owned()),
        chart => (state.lab.export_plot(chart).map_err(from_lab)?, format!("{chart}.svg")),
    };
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| internal(format!("no folder to save into: {e}")))?;
    let path = dir.join(file);
    std::fs::write(&path, text).map_err(|e| internal(format!("cannot write {}: {e}", path.display())))?;
    Ok(path.display().to_string())
}

#[tauri::command]
pub async fn import_trace(state: State<'_, AppState>, text: String) -> CmdResult<RunStatus> {
    state.lab.import_jsonl(&text).map_err(from_lab)
}

/// Streams `LiveMessage`s to the UI until the channel goes away.
#[tauri::command]
pub async fn subscribe(state: State<'_, AppState>, channel: Channel<LiveMessage>) -> CmdResult<()> {
    let mut rx = state.lab.subscribe();
    tauri::async_runtime::spawn(async move {
        while let Some(msg) = rx.recv().await {
            if channel.send(msg).is_err() {
                break;
            }
        }
    });
    Ok(())
}

/// The UI calls this once, after its first frame is painted. Returns milliseconds since the
/// process started. With `RTCLAB_EXIT_AFTER_FIRST_PAINT=1` the app prints the figure and
/// quits: that is how the cold-start benchmark measures it.
#[tauri::command]
pub async fn first_paint(app: tauri::AppHandle) -> CmdResult<f64> {
    let ms = crate::state::since_start_ms();
    if std::env::var_os("RTCLAB_EXIT_AFTER_FIRST_PAINT").is_some() {
        println!("first paint after {ms:.1} ms");
        app.exit(0);
    }
    Ok(ms)
}
