// Declares the app's own commands so capabilities can allow exactly these and nothing else.
fn main() {
    let commands = &[
        "list_experiments",
        "start_run",
        "stop_run",
        "run_status",
        "trace_since",
        "export_trace",
        "export_plot",
        "save_export",
        "import_trace",
        "subscribe",
        "first_paint",
        "course",
        "predict",
        "answer_quiz",
        "start_challenge",
        "check_challenge",
        "complete_lesson",
        "reset_progress",
        "recommend",
    ];
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri build script failed");
}
