//! Where the course lives.

use std::path::{Path, PathBuf};

/// The course folder: `$RTCLAB_LESSONS_DIR`, or `lessons/` of this checkout.
pub fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RTCLAB_LESSONS_DIR") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lessons")
}
