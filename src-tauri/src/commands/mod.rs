//! The commands the UI invokes: `call` runs any operation of the control API (the table in
//! `rtclab_app::ops`, so no operation can be missing here); the rest are what only the
//! desktop shell does.

use rtclab_app::api::LiveMessage;
use rtclab_app::ops::{self, ExportPlot, ExportTrace, TraceFormat};
use serde_json::Value;
use tauri::ipc::Channel;
use tauri::{Manager, State};

use crate::error::{CmdResult, internal};
use crate::state::AppState;

/// One operation by name, with its JSON request; answers its JSON response.
#[tauri::command]
pub async fn call(state: State<'_, AppState>, operation: String, request: Value) -> CmdResult<Value> {
    let app = state.app.clone();
    // Operations may read files or start runs; keep them off the async workers.
    tauri::async_runtime::spawn_blocking(move || ops::dispatch(&app, &operation, request).map_err(|e| e.to_api()))
        .await
        .map_err(|e| internal(format!("the operation failed: {e}")))?
}

/// Writes an export (`jsonl`, `har`, or a chart name) into the user's Downloads folder and
/// returns the path: the webview has no browser download manager.
#[tauri::command]
pub async fn save_export(app: tauri::AppHandle, state: State<'_, AppState>, kind: String) -> CmdResult<String> {
    use ops::Api as _;
    let core = &state.app;
    let (text, file) = match kind.as_str() {
        "jsonl" => (core.export_trace(ExportTrace { format: TraceFormat::Jsonl }), "rtc-lab-trace.jsonl".to_owned()),
        "har" => (core.export_trace(ExportTrace { format: TraceFormat::Har }), "rtc-lab-trace.har".to_owned()),
        chart => (core.export_plot(ExportPlot { name: chart.to_owned() }), format!("{chart}.svg")),
    };
    let text = text.map_err(|e| e.to_api())?;
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| internal(format!("no folder to save into: {e}")))?;
    let path = dir.join(file);
    std::fs::write(&path, text).map_err(|e| internal(format!("cannot write {}: {e}", path.display())))?;
    Ok(path.display().to_string())
}

/// Streams `LiveMessage`s to the UI until the channel goes away.
#[tauri::command]
pub async fn subscribe(state: State<'_, AppState>, channel: Channel<LiveMessage>) -> CmdResult<()> {
    let mut rx = state.app.lab.subscribe();
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

/// The same page in the user's browser, which has WebRTC where this window's engine has not:
/// the browser door (`rtclab_serve`) started inside the app on first use, on the same lab (runs
/// and progress shared), and its address opened with the desktop's default handler. Returns
/// the address, for the UI to show where no handler opened it.
#[tauri::command]
pub async fn open_in_browser(state: State<'_, AppState>) -> CmdResult<String> {
    let mut served = state.served.lock().await;
    let url = match served.as_ref() {
        Some(url) => url.clone(),
        None => {
            let (ready, address) = tokio::sync::oneshot::channel::<String>();
            let app = state.app.clone();
            tauri::async_runtime::spawn(async move {
                let on_ready = move |addr: std::net::SocketAddr, token: &str| {
                    let _ = ready.send(format!("http://{addr}/?token={token}"));
                };
                let ui = rtclab_serve::UiSource::BuiltIn;
                if let Err(e) = rtclab_serve::run(app, 0, &ui, on_ready, std::future::pending()).await {
                    tracing::error!("the browser page's server stopped: {e}");
                }
            });
            let url = address.await.map_err(|_| internal("the browser page's server did not start"))?;
            *served = Some(url.clone());
            url
        }
    };
    // Best effort: the UI also shows the address.
    let _ = std::process::Command::new("xdg-open")
        .arg(&url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    Ok(url)
}
