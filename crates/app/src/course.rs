//! Where the course comes from. The eight lessons and the decision tree are built into the
//! binary, so an installed app finds its course wherever it runs; a learner's own lesson
//! pack is loaded from a folder instead (`--lessons DIR` or `RTCLAB_LESSONS_DIR`), read
//! fresh on every call so edits show without a restart.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rtclab_lessons::{Course, CourseFiles};
use rust_embed::RustEmbed;

/// The course of this source tree, embedded at build time.
#[derive(RustEmbed)]
#[folder = "../../lessons/"]
struct BuiltIn;

/// How built-in files are named in problems and paths.
pub const BUILT_IN_DIR: &str = "(built-in course)";

/// A course to load: the built-in one, or a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LessonSource {
    BuiltIn,
    Dir(PathBuf),
}

impl LessonSource {
    /// `RTCLAB_LESSONS_DIR` when set, otherwise the built-in course.
    pub fn from_env() -> Self {
        match std::env::var_os("RTCLAB_LESSONS_DIR") {
            Some(dir) => LessonSource::Dir(PathBuf::from(dir)),
            None => LessonSource::BuiltIn,
        }
    }

    /// A folder when one is given, otherwise [`LessonSource::from_env`].
    pub fn or_env(dir: Option<PathBuf>) -> Self {
        dir.map(LessonSource::Dir).unwrap_or_else(Self::from_env)
    }

    pub fn load(&self) -> Course {
        match self {
            LessonSource::BuiltIn => rtclab_lessons::load(built_in_files()),
            LessonSource::Dir(dir) => rtclab_lessons::load_dir(dir),
        }
    }

    /// For messages: the folder, or `(built-in course)`.
    pub fn describe(&self) -> String {
        match self {
            LessonSource::BuiltIn => BUILT_IN_DIR.to_owned(),
            LessonSource::Dir(dir) => dir.display().to_string(),
        }
    }
}

fn built_in_files() -> CourseFiles {
    let files: BTreeMap<String, Vec<u8>> = BuiltIn::iter()
        .filter_map(|name| BuiltIn::get(&name).map(|f| (name.into_owned(), f.data.into_owned())))
        .collect();
    CourseFiles::Memory { dir: PathBuf::from(BUILT_IN_DIR), files }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_course_is_the_lessons_folder_and_has_no_problems() {
        let built_in = LessonSource::BuiltIn.load();
        let on_disk = rtclab_lessons::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../lessons"));
        let ids = |c: &Course| c.lessons.iter().map(|l| l.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&built_in), ids(&on_disk));
        assert!(built_in.lessons.len() >= 8, "{} lessons", built_in.lessons.len());
        assert!(built_in.tree.is_some(), "the decision tree is built in too");
        let problems = rtclab_lessons::validate(&built_in);
        assert!(problems.is_empty(), "{problems:?}");
    }
}
