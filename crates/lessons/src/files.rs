//! Where a course's files come from: a folder on disk (a learner's own lesson pack, or the
//! course while it is being written) or files built into the binary (the course an installed
//! app ships with). Loading and validation read through this one place, with the size limit
//! that keeps a stray huge file from stalling the app.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Largest lesson or tree file read.
pub const MAX_LESSON_BYTES: u64 = 1024 * 1024;
/// File name of the decision tree in a lesson folder.
pub const TREE_FILE: &str = "decision-tree.toml";

/// The files of a course, addressed by path (`dir` joined with a file name).
#[derive(Debug, Clone)]
pub enum CourseFiles {
    Dir(PathBuf),
    /// Files held in memory, shown as if they were in `dir` (e.g. `(built-in course)`).
    Memory {
        dir: PathBuf,
        files: BTreeMap<String, Vec<u8>>,
    },
}

impl CourseFiles {
    pub fn dir(&self) -> &Path {
        match self {
            CourseFiles::Dir(d) | CourseFiles::Memory { dir: d, .. } => d,
        }
    }

    /// File names at the top of the course, sorted.
    pub fn names(&self) -> Result<Vec<String>, String> {
        let mut names: Vec<String> = match self {
            CourseFiles::Dir(d) => std::fs::read_dir(d)
                .map_err(|e| e.to_string())?
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect(),
            CourseFiles::Memory { files, .. } => files.keys().cloned().collect(),
        };
        names.sort();
        Ok(names)
    }

    pub fn exists(&self, path: &Path) -> bool {
        match self {
            CourseFiles::Dir(_) => path.exists(),
            CourseFiles::Memory { .. } => self.memory_file(path).is_some(),
        }
    }

    /// A text file of at most [`MAX_LESSON_BYTES`].
    pub fn read(&self, path: &Path) -> Result<String, String> {
        let bytes = match self {
            CourseFiles::Dir(_) => read_limited(path)?,
            CourseFiles::Memory { .. } => {
                let bytes = self.memory_file(path).ok_or("cannot read the file: it is not in the course")?;
                check_size(bytes.len() as u64)?;
                bytes.to_vec()
            }
        };
        String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_owned())
    }

    fn memory_file(&self, path: &Path) -> Option<&[u8]> {
        let CourseFiles::Memory { dir, files } = self else { return None };
        let name = path.strip_prefix(dir).ok()?.to_str()?;
        files.get(name).map(Vec::as_slice)
    }
}

fn check_size(len: u64) -> Result<(), String> {
    if len > MAX_LESSON_BYTES {
        return Err(format!("the file is {len} bytes, over the limit of {MAX_LESSON_BYTES}"));
    }
    Ok(())
}

fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read the file: {e}"))?;
    check_size(meta.len())?;
    std::fs::read(path).map_err(|e| format!("cannot read the file: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_files_are_addressed_under_their_dir_and_size_limited() {
        let mut files = BTreeMap::new();
        files.insert("01-a.md".to_owned(), b"hello".to_vec());
        files.insert("big.md".to_owned(), vec![b'x'; MAX_LESSON_BYTES as usize + 1]);
        let set = CourseFiles::Memory { dir: PathBuf::from("(built-in)"), files };
        assert_eq!(set.names().unwrap(), vec!["01-a.md", "big.md"]);
        assert!(set.exists(Path::new("(built-in)/01-a.md")));
        assert!(!set.exists(Path::new("elsewhere/01-a.md")));
        assert_eq!(set.read(Path::new("(built-in)/01-a.md")).unwrap(), "hello");
        assert!(set.read(Path::new("(built-in)/big.md")).unwrap_err().contains("over the limit"));
    }
}
