//! The learner's progress on disk: `progress.json` in the data directory.
//!
//! Nothing the learner did is ever lost to a bug or a bad file: a file that cannot be read
//! is left exactly as it is and reported (which file, why); it is only renamed aside — never
//! deleted or overwritten — when the learner chooses to start fresh. Every write goes to a
//! temporary file first and is renamed over the old one, so a crash never leaves half a file.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::types::Progress;
use crate::error::LabError;

/// Where progress is kept: `$RTCLAB_DATA_DIR`, `$XDG_DATA_HOME/rtc-lab` or `~/.local/share/rtc-lab`.
pub fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("RTCLAB_DATA_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(d).join("rtc-lab");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    home.join(".local/share/rtc-lab")
}

/// Why the progress file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Your progress file {} cannot be read: {reason}; it has been left untouched", file.display())]
pub struct BrokenProgress {
    pub file: PathBuf,
    pub reason: String,
}

/// The progress file, with one lock around every read-modify-write.
#[derive(Debug, Clone)]
pub struct ProgressStore {
    file: PathBuf,
    lock: Arc<Mutex<()>>,
}

impl ProgressStore {
    pub fn new(data_dir: &Path) -> Self {
        ProgressStore { file: data_dir.join("progress.json"), lock: Arc::new(Mutex::new(())) }
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The saved progress; none saved yet is an empty progress, an unreadable file an error.
    pub fn load(&self) -> Result<Progress, BrokenProgress> {
        let broken = |reason: String| BrokenProgress { file: self.file.clone(), reason };
        let text = match std::fs::read(&self.file) {
            Ok(bytes) => String::from_utf8(bytes).map_err(|_| broken("it is not UTF-8 text".into()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Progress::default()),
            Err(e) => return Err(broken(e.to_string())),
        };
        serde_json::from_str(&text).map_err(|e| broken(format!("it is not valid progress JSON ({e})")))
    }

    /// Applies `f` to the saved progress and saves the result. Refused, with the file left
    /// as it is, when the saved progress cannot be read.
    pub fn update(&self, f: impl FnOnce(&mut Progress)) -> Result<Progress, LabError> {
        let _held = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut p = self.load().map_err(|b| {
            LabError::Conflict(format!(
                "{b}. Nothing was saved. Choose “start fresh” to keep it aside and begin again."
            ))
        })?;
        f(&mut p);
        self.save(&p)?;
        Ok(p)
    }

    /// Starts from empty progress. A file that cannot be read is renamed aside first
    /// (`progress.json.unreadable-<unix seconds>`); returns that path when it happened.
    pub fn start_fresh(&self) -> Result<Option<PathBuf>, LabError> {
        let _held = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let kept = match self.load() {
            Ok(_) => None,
            Err(_) => {
                let secs = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
                let aside = self.file.with_extension(format!("json.unreadable-{secs}"));
                std::fs::rename(&self.file, &aside).map_err(|e| {
                    LabError::Internal(format!("cannot move {} aside to {}: {e}", self.file.display(), aside.display()))
                })?;
                Some(aside)
            }
        };
        self.save(&Progress::default())?;
        Ok(kept)
    }

    fn save(&self, p: &Progress) -> Result<(), LabError> {
        if let Some(dir) = self.file.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| LabError::Internal(format!("cannot create {}: {e}", dir.display())))?;
        }
        let text = serde_json::to_string_pretty(p).map_err(|e| LabError::Internal(e.to_string()))?;
        let tmp = self.file.with_extension("json.tmp");
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, &self.file))
            .map_err(|e| LabError::Internal(format!("cannot save progress to {}: {e}", self.file.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rtclab-progress-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn no_file_is_empty_progress_and_updates_are_saved() {
        let dir = scratch("fresh");
        let store = ProgressStore::new(&dir);
        assert_eq!(store.load().unwrap().completed.len(), 0);
        store.update(|p| p.completed.push("intro".into())).unwrap();
        assert_eq!(ProgressStore::new(&dir).load().unwrap().completed, vec!["intro".to_owned()]);
        assert!(!dir.join("progress.json.tmp").exists(), "the temporary file is renamed into place");
    }

    #[test]
    fn a_corrupt_file_survives_updates_and_is_kept_aside_on_start_fresh() {
        let dir = scratch("corrupt");
        let file = dir.join("progress.json");
        std::fs::write(&file, b"{\"completed\": [\"intro\", ").unwrap();
        let store = ProgressStore::new(&dir);
        let err = store.load().unwrap_err();
        assert_eq!(err.file, file);
        assert!(err.reason.contains("not valid progress JSON"), "{}", err.reason);

        let refused = store.update(|p| p.completed.push("sse".into())).unwrap_err();
        assert_eq!(refused.kind(), "conflict");
        assert!(refused.to_string().contains("progress.json"), "{refused}");
        assert_eq!(std::fs::read(&file).unwrap(), b"{\"completed\": [\"intro\", ", "left untouched");

        let aside = store.start_fresh().unwrap().expect("the broken file is moved aside");
        assert_eq!(std::fs::read(&aside).unwrap(), b"{\"completed\": [\"intro\", ", "kept byte for byte");
        assert!(store.load().unwrap().completed.is_empty());
    }

    #[test]
    fn start_fresh_on_a_good_file_keeps_nothing_aside() {
        let dir = scratch("good");
        let store = ProgressStore::new(&dir);
        store.update(|p| p.completed.push("intro".into())).unwrap();
        assert_eq!(store.start_fresh().unwrap(), None);
        assert!(store.load().unwrap().completed.is_empty());
    }
}
