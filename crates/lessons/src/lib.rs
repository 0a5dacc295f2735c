//! The RTC Lab course: lessons that explain real-time techniques and run them for real.
//!
//! A lesson is a Markdown file with TOML front matter; fenced blocks tagged `experiment`,
//! `predict`, `quiz` and `challenge` carry the interactive parts, written in TOML (the
//! format is specified in `docs/lesson-format.md`). This crate reads a folder of lessons
//! into a [`Course`], finds every mistake in it with the file and line to fix
//! ([`validate()`]), renders lesson text to HTML that cannot run scripts
//! ([`render_markdown_safe`]), scores predictions and challenges against measured
//! [`Metrics`](rtclab_techniques::Metrics), and recommends a technique for a described
//! workload from the decision tree in `lessons/decision-tree.toml` ([`tree`]).
//!
//! - [`course`]: loading a course into lessons split into text and interactive segments.
//! - [`files`]: where the files come from (a folder, or built into the binary) and the size limit.
//! - [`blocks`]: the interactive blocks and their parsing.
//! - [`params`]: workload parameters as lessons spell them, turned into engine workloads.
//! - [`metric`]: metric paths such as `polling.empty_share` and their values.
//! - [`scoring`]: challenge checks and prediction scores, pure functions over metrics.
//! - [`validate`](mod@validate): every check that spans blocks, lessons or files.
//! - [`render`]: safe HTML rendering; [`markdown`]: headings, links and segments.
//! - [`tree`]: the decision tree, its validation, and recommendations.

pub mod blocks;
pub mod course;
pub mod files;
mod front_matter;
pub mod markdown;
pub mod metric;
pub mod params;
pub mod problem;
pub mod render;
pub mod scoring;
mod slug;
pub mod tree;
pub mod validate;

use std::path::PathBuf;

pub use blocks::cluster::{ClusterCheck, ClusterRun, ClusterSettings};
pub use blocks::{
    Block, BlockKind, Challenge, ClusterBlock, Condition, Editable, ExperimentBlock, NatBlock, NatChallenge, NatGoal,
    NatSettings, Op, Predict, Prediction, Quiz, StatedFigure,
};
pub use course::{BlockSegment, Course, Lesson, Segment, TextSegment, load, load_dir};
pub use files::{CourseFiles, MAX_LESSON_BYTES, TREE_FILE};
pub use metric::{Metric, MetricPath};
pub use params::WorkloadParams;
pub use problem::Problem;
pub use render::render_markdown_safe;
pub use scoring::{ChallengeResult, Guess, PredictionOutcome, check_challenge, score_prediction};
pub use tree::{DecisionTree, Recommendation, WorkloadDescription, recommend};
pub use validate::validate;

use rtclab_techniques::Technique;

/// Errors of this crate's operations (problems in lesson files are [`Problem`]s instead).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A workload parameter is out of range; `param` is its name in lesson files.
    #[error("invalid workload parameter `{param}`: {message}")]
    Workload { param: &'static str, message: String },
    #[error("unknown technique {0:?}; use one of polling, long-polling, sse, websocket")]
    UnknownTechnique(String),
    #[error("unknown metric {name:?}; known metrics: {known}")]
    UnknownMetric { name: String, known: String },
    /// The learner tried to set a parameter the challenge fixes.
    #[error("`{0}` cannot be changed in this challenge")]
    NotEditable(String),
    #[error("`{param}` = {value} is outside the allowed range {min} to {max}")]
    OutOfRange { param: String, value: f64, min: f64, max: f64 },
    /// The results do not include the technique a check or prediction needs.
    #[error("the results have no measurement for {0}")]
    MissingResults(Technique),
    /// A guess does not fit its prediction (a number for a choice, an index past the end).
    #[error("{0}")]
    BadGuess(String),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
