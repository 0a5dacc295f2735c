// The desktop entry point; everything lives in the library so it stays testable.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    rtclab_desktop::run();
}
