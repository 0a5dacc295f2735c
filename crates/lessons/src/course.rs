//! Loading a folder of lessons into a [`Course`].
//!
//! Lesson files are the folder's `NN-<id>.md` files; other files (a `README.md`, images)
//! are not lessons but may be linked to. `decision-tree.toml`, when present, is loaded as
//! the course's [`DecisionTree`]. Loading never panics and never stops at the first
//! mistake: what cannot be read becomes a [`Problem`], reported by
//! [`validate`](crate::validate()) together with the checks that span files.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::blocks::parse::parse_block;
use crate::blocks::source::BlockSource;
use crate::blocks::{Block, BlockKind, Challenge, ExperimentBlock, Predict, Quiz};
use crate::files::{CourseFiles, TREE_FILE};
use crate::front_matter;
use crate::markdown::{self, Heading, LinkRef, RawSegment};
use crate::problem::{Problem, Report};
use crate::render::render_with;
use crate::slug::Slugger;
use crate::tree::DecisionTree;

/// Every lesson of a folder, in course order, and the decision tree.
#[derive(Debug, Clone, Serialize)]
pub struct Course {
    pub dir: PathBuf,
    /// Where the files were read from; validation reads linked files through it.
    #[serde(skip)]
    pub files: CourseFiles,
    /// Sorted by `order`, then id.
    pub lessons: Vec<Lesson>,
    pub tree: Option<DecisionTree>,
    /// Problems met while loading (see [`validate`](crate::validate()) for all of them).
    #[serde(skip)]
    pub(crate) problems: Vec<Problem>,
    /// Whether the folder had any lesson file, readable or not.
    #[serde(skip)]
    pub(crate) lesson_files: usize,
}

impl Course {
    pub fn lesson(&self, id: &str) -> Option<&Lesson> {
        self.lessons.iter().find(|l| l.id == id)
    }
}

/// One lesson: its front matter and its body cut into text and interactive segments.
#[derive(Debug, Clone, Serialize)]
pub struct Lesson {
    pub id: String,
    pub title: String,
    pub order: u32,
    pub prerequisites: Vec<String>,
    /// Estimated minutes to work through it.
    pub minutes: u32,
    pub file: PathBuf,
    pub segments: Vec<Segment>,
    pub headings: Vec<Heading>,
    #[serde(skip)]
    pub(crate) field_lines: Vec<(&'static str, usize)>,
    #[serde(skip)]
    pub(crate) links: Vec<LinkRef>,
    /// Every block that declared an id, parsed or not: (kind, id, line of `id`).
    #[serde(skip)]
    pub(crate) declared: Vec<(BlockKind, String, usize)>,
}

/// A piece of a lesson body, in order.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Segment {
    Text(TextSegment),
    Block(Box<BlockSegment>),
}

/// Markdown between interactive blocks, with its safe HTML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextSegment {
    /// Line of the file where the text starts.
    pub line: usize,
    pub markdown: String,
    /// [`render_markdown_safe`](crate::render_markdown_safe) of `markdown`, with heading
    /// anchors numbered across the whole lesson.
    pub html: String,
}

/// An interactive block that parsed without problems.
#[derive(Debug, Clone, Serialize)]
pub struct BlockSegment {
    /// Line of the opening fence.
    pub line: usize,
    pub block: Block,
    #[serde(skip)]
    pub(crate) source: BlockSource,
}

impl Lesson {
    /// Every interactive block, in order.
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Block(b) => Some(&b.block),
            Segment::Text(_) => None,
        })
    }

    pub fn experiments(&self) -> impl Iterator<Item = &ExperimentBlock> {
        self.blocks().filter_map(|b| match b {
            Block::Experiment(e) => Some(e),
            _ => None,
        })
    }

    pub fn predicts(&self) -> impl Iterator<Item = &Predict> {
        self.blocks().filter_map(|b| match b {
            Block::Predict(p) => Some(p),
            _ => None,
        })
    }

    pub fn quizzes(&self) -> impl Iterator<Item = &Quiz> {
        self.blocks().filter_map(|b| match b {
            Block::Quiz(q) => Some(q),
            _ => None,
        })
    }

    pub fn nat_blocks(&self) -> impl Iterator<Item = &crate::blocks::NatBlock> {
        self.blocks().filter_map(|b| match b {
            Block::Nat(n) => Some(n),
            _ => None,
        })
    }

    pub fn cluster_blocks(&self) -> impl Iterator<Item = &crate::blocks::ClusterBlock> {
        self.blocks().filter_map(|b| match b {
            Block::Cluster(c) => Some(&**c),
            _ => None,
        })
    }

    pub fn webrtc_blocks(&self) -> impl Iterator<Item = &crate::blocks::webrtc::WebrtcBlock> {
        self.blocks().filter_map(|b| match b {
            Block::Webrtc(w) => Some(&**w),
            _ => None,
        })
    }

    pub fn challenges(&self) -> impl Iterator<Item = &Challenge> {
        self.blocks().filter_map(|b| match b {
            Block::Challenge(c) => Some(c),
            _ => None,
        })
    }

    /// The experiment block with id `id`.
    pub fn experiment(&self, id: &str) -> Option<&ExperimentBlock> {
        self.experiments().find(|e| e.id == id)
    }

    /// Line of a front matter field (1 when the field is not set).
    pub fn line_of(&self, field: &str) -> usize {
        self.field_lines.iter().find(|(f, _)| *f == field).map_or(1, |(_, l)| *l)
    }

    pub(crate) fn block_segments(&self) -> impl Iterator<Item = &BlockSegment> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Block(b) => Some(b.as_ref()),
            Segment::Text(_) => None,
        })
    }
}

/// Whether `name` is a lesson file name: digits, a hyphen, anything, `.md`.
pub(crate) fn is_lesson_file(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".md") else { return false };
    let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && stem[digits..].starts_with('-')
}

/// Loads every lesson of `dir` and its decision tree. Never panics; what cannot be read
/// is reported by [`validate`](crate::validate()).
pub fn load_dir(dir: impl AsRef<Path>) -> Course {
    load(CourseFiles::Dir(dir.as_ref().to_path_buf()))
}

/// Loads a course from wherever its files are (a folder, or files built into the binary).
pub fn load(files: CourseFiles) -> Course {
    let dir = files.dir().to_path_buf();
    let mut course =
        Course { dir: dir.clone(), files, lessons: Vec::new(), tree: None, problems: Vec::new(), lesson_files: 0 };
    let names = match course.files.names() {
        Ok(names) => names,
        Err(e) => {
            course.problems.push(Problem::new(
                &dir,
                0,
                format!("cannot read the lesson folder: {e}"),
                "give the path of a folder holding NN-<id>.md lesson files",
            ));
            return course;
        }
    };
    for name in names.iter().filter(|n| is_lesson_file(n)) {
        course.lesson_files += 1;
        let path = dir.join(name);
        let mut report = Report::new(&path);
        if let Some(lesson) = load_lesson(&course.files, &path, name, &mut report) {
            course.lessons.push(lesson);
        }
        course.problems.extend(report.problems);
    }
    course.lessons.sort_by(|a, b| (a.order, &a.id).cmp(&(b.order, &b.id)));
    if names.iter().any(|n| n == TREE_FILE) {
        let tree_path = dir.join(TREE_FILE);
        let parsed = match course.files.read(&tree_path) {
            Ok(text) => DecisionTree::parse(&text, &tree_path),
            Err(message) => Err(vec![Problem::new(&tree_path, 1, message, "the tree is a UTF-8 TOML file")]),
        };
        match parsed {
            Ok(tree) => course.tree = Some(tree),
            Err(problems) => course.problems.extend(problems),
        }
    }
    course
}

fn load_lesson(files: &CourseFiles, path: &Path, name: &str, report: &mut Report) -> Option<Lesson> {
    match files.read(path) {
        Ok(text) => lesson_from_text(path, name, &text, report),
        Err(message) => {
            report.add(1, message, "lesson files are UTF-8 Markdown of at most 1 MiB");
            None
        }
    }
}

/// A lesson from the text of the file `name` at `path`.
fn lesson_from_text(path: &Path, name: &str, text: &str, report: &mut Report) -> Option<Lesson> {
    let split = front_matter::split(text, report)?;
    let fm = front_matter::parse(&split, report)?;
    if name[digits(name)..] != format!("-{}.md", fm.id) {
        report.add(
            fm.line_of("id"),
            format!("the file name `{name}` does not match the lesson id `{}`", fm.id),
            format!("name the file NN-{}.md, or change the id", fm.id),
        );
    }
    let scan = markdown::scan(split.body, split.body_line);
    for (line, kind) in &scan.nested_blocks {
        report.add(
            *line,
            format!("the {kind} block is inside a list or a quote"),
            "move interactive blocks to the top level of the lesson, outside lists and quotes",
        );
    }
    let mut slugger = Slugger::default();
    let mut segments = Vec::new();
    let mut declared = Vec::new();
    for raw in scan.segments {
        match raw {
            RawSegment::Text { markdown, line } => {
                let html = render_with(&markdown, &mut slugger);
                segments.push(Segment::Text(TextSegment { line, markdown, html }));
            }
            RawSegment::Block(source) => {
                if let Some(id) = source.declared_id() {
                    declared.push((source.kind, id, source.key_line("id")));
                }
                match parse_block(&source, report) {
                    Some(block) => {
                        segments.push(Segment::Block(Box::new(BlockSegment { line: source.line, block, source })))
                    }
                    None => {
                        let markdown = format!("```{}\n{}```", source.kind, source.body);
                        let html = render_with(&markdown, &mut slugger);
                        segments.push(Segment::Text(TextSegment { line: source.line, markdown, html }));
                    }
                }
            }
        }
    }
    Some(Lesson {
        id: fm.id.clone(),
        title: fm.title.clone(),
        order: fm.order,
        prerequisites: fm.prerequisites.clone(),
        minutes: fm.minutes,
        file: path.to_path_buf(),
        segments,
        headings: scan.headings,
        field_lines: fm.lines,
        links: scan.links,
        declared,
    })
}

fn digits(name: &str) -> usize {
    name.bytes().take_while(u8::is_ascii_digit).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lesson_file_names() {
        assert!(is_lesson_file("01-intro.md"));
        assert!(is_lesson_file("120-x.md"));
        assert!(!is_lesson_file("README.md"));
        assert!(!is_lesson_file("01intro.md"));
        assert!(!is_lesson_file("01-intro.toml"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Whatever a lesson file holds, loading it reports problems and never panics.
        #[test]
        fn any_text_loads_without_panicking(header: bool, parts in proptest::collection::vec(fragment(), 0..40)) {
            let front = "+++\nid = \"a\"\ntitle = \"A\"\norder = 1\nminutes = 2\n+++\n";
            let text = if header { front.to_owned() } else { String::new() } + &parts.concat();
            let path = Path::new("01-a.md");
            let mut report = Report::new(path);
            if let Some(lesson) = lesson_from_text(path, "01-a.md", &text, &mut report) {
                for p in &report.problems {
                    proptest::prop_assert!(p.line >= 1);
                }
                let _ = crate::validate::validate(&Course {
                    dir: PathBuf::from("."),
                    files: CourseFiles::Dir(PathBuf::from(".")),
                    lessons: vec![lesson],
                    tree: None,
                    problems: report.problems,
                    lesson_files: 1,
                });
            }
            let _ = DecisionTree::parse(&text, Path::new("t.toml"));
        }
    }

    fn fragment() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let pieces = [
            "+++\n",
            "+++",
            "id = \"a\"\n",
            "title = \"A\"\norder = 1\nminutes = 2\n",
            "prerequisites = [\"a\"]\n",
            "```experiment\n",
            "```predict\n",
            "```quiz\n",
            "```challenge\n",
            "```\n",
            "  ```quiz\n",
            "- item\n",
            "> quote\n",
            "# Head\n",
            "[x](#head)",
            "[y](02-b.md#z)",
            "[z](javascript:x)",
            "![i](//x)",
            "techniques = [\"polling\", \"sse\"]\n",
            "clients = 0\n",
            "rate = 1e308\n",
            "duration_ms = -1\n",
            "experiment = \"a\"\n",
            "metric = \"polling.\"\n",
            "choices = []\n",
            "answer = 99\n",
            "editable = [{ param = \"rate\", min = 1, max = 0 }]\n",
            "check = [{ metric = \"x\", op = \"?\", value = 1 }]\n",
            "solution = { rate = 1 }\n",
            "start = \"a\"\n[[question]]\n",
            "[[leaf]]\n",
            "\r\n",
            "\u{feff}",
            "é",
            "\n",
        ];
        prop_oneof![
            4 => proptest::sample::select(pieces.to_vec()).prop_map(str::to_owned),
            1 => any::<String>(),
        ]
    }

    #[test]
    fn a_missing_folder_is_a_problem_not_a_panic() {
        let c = load_dir("/nonexistent/lessons-folder");
        assert!(c.lessons.is_empty());
        assert_eq!(c.problems.len(), 1);
        assert_eq!(c.problems[0].line, 0);
    }
}
