// Declares the app's own commands so capabilities can allow exactly these and nothing else:
// `call` carries every operation of the control API (declared once in rtclab-app's `ops`),
// the others are what only the desktop shell does.
fn main() {
    let commands = &["call", "subscribe", "save_export", "first_paint", "open_in_browser"];
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri build script failed");
}
