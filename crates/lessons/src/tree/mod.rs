//! The decision tree: which technique fits a workload, as data.
//!
//! `lessons/decision-tree.toml` holds yes/no questions and leaves. Each question has
//! rules on a [`WorkloadDescription`] (see [`rule`]); its answer is yes when they all
//! hold. Each leaf recommends a technique with reasons and runners-up. [`recommend`] walks
//! the tree from its start and returns the technique together with the path it took,
//! each step saying which described value decided the answer. [`comparison_workload`]
//! turns the description into a short engine workload to measure the recommendation
//! against its runners-up. The file's format and validation are in [`parse`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rtclab_techniques::Technique;
use serde::{Deserialize, Serialize, Serializer};

use crate::problem::Problem;

pub mod parse;
pub mod rule;
pub mod workload;

pub use rule::Rule;
pub use workload::{ComparisonPlan, comparison_plan, comparison_workload};

/// Who sends, in a described workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flow {
    /// The server sends to clients (feeds, tickers, notifications, streamed answers).
    Down,
    /// Clients send too, through a server (chat, games, collaborative editing).
    Both,
    /// Peers send to each other directly (calls, file transfer between two browsers).
    #[serde(alias = "peer_to_peer")]
    PeerToPeer,
}

impl Flow {
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::Down => "down",
            Flow::Both => "both",
            Flow::PeerToPeer => "peer-to-peer",
        }
    }
}

impl FromStr for Flow {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "down" => Ok(Flow::Down),
            "both" => Ok(Flow::Both),
            "peer-to-peer" | "peer_to_peer" => Ok(Flow::PeerToPeer),
            other => Err(format!("`{other}` is not a direction; use down, both or peer-to-peer")),
        }
    }
}

/// What an application needs, in the terms the decision tree's rules use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadDescription {
    /// How many updates each client receives per second (1/60 for once a minute).
    pub updates_per_second_per_client: f64,
    pub direction: Flow,
    pub clients: u32,
    pub payload_bytes: usize,
    /// How long an update may take to reach a client and still be useful.
    pub acceptable_delay_ms: u64,
}

/// A technique a leaf may recommend: the four the lab runs, and WebRTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recommended {
    Polling,
    LongPolling,
    Sse,
    Websocket,
    /// Peer-to-peer; the lab cannot run it (yet).
    Webrtc,
}

impl Recommended {
    pub const ALL: [Recommended; 5] =
        [Recommended::Polling, Recommended::LongPolling, Recommended::Sse, Recommended::Websocket, Recommended::Webrtc];

    pub fn as_str(self) -> &'static str {
        match self {
            Recommended::Polling => "polling",
            Recommended::LongPolling => "long-polling",
            Recommended::Sse => "sse",
            Recommended::Websocket => "websocket",
            Recommended::Webrtc => "webrtc",
        }
    }

    /// The lab technique that runs it, if the lab can.
    pub fn runnable(self) -> Option<Technique> {
        match self {
            Recommended::Polling => Some(Technique::Polling),
            Recommended::LongPolling => Some(Technique::LongPolling),
            Recommended::Sse => Some(Technique::Sse),
            Recommended::Websocket => Some(Technique::Websocket),
            Recommended::Webrtc => None,
        }
    }
}

impl FromStr for Recommended {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Recommended::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            format!("unknown technique `{s}`; use one of {}", Recommended::ALL.map(Recommended::as_str).join(", "))
        })
    }
}

impl fmt::Display for Recommended {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Recommended {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A yes/no question node.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Question {
    pub id: String,
    pub question: String,
    /// The answer is yes when every rule holds.
    pub yes_if: Vec<Rule>,
    pub yes: String,
    pub no: String,
    pub line: usize,
}

/// A leaf: the recommendation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leaf {
    pub id: String,
    pub technique: Recommended,
    pub reasons: Vec<String>,
    pub runners_up: Vec<Recommended>,
    /// A caveat, such as WebRTC not being runnable in the lab.
    pub note: Option<String>,
    pub line: usize,
}

/// A validated decision tree: every edge leads to a node, every node is reachable, and
/// no path loops, so [`recommend`] always ends at a leaf.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionTree {
    pub(crate) file: PathBuf,
    pub(crate) start: String,
    pub(crate) questions: Vec<Question>,
    pub(crate) leaves: Vec<Leaf>,
}

impl DecisionTree {
    /// Reads and validates a tree file.
    pub fn load(path: &Path) -> Result<DecisionTree, Vec<Problem>> {
        let dir = path.parent().unwrap_or(Path::new("."));
        match crate::files::CourseFiles::Dir(dir.to_path_buf()).read(path) {
            Ok(text) => DecisionTree::parse(&text, path),
            Err(message) => Err(vec![Problem::new(path, 1, message, "the tree is a UTF-8 TOML file")]),
        }
    }

    /// Parses and validates a tree; `file` names it in problems.
    pub fn parse(text: &str, file: &Path) -> Result<DecisionTree, Vec<Problem>> {
        parse::parse(text, file)
    }

    pub fn start(&self) -> &str {
        &self.start
    }

    pub fn questions(&self) -> &[Question] {
        &self.questions
    }

    pub fn leaves(&self) -> &[Leaf] {
        &self.leaves
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    pub fn leaf(&self, id: &str) -> Option<&Leaf> {
        self.leaves.iter().find(|l| l.id == id)
    }
}

/// Yes or no.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
}

/// One question on the way to a recommendation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub node: String,
    pub question: String,
    pub answer: Answer,
    /// Which described values decided the answer, by which rule.
    pub why: String,
}

/// What the tree recommends for a described workload, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub technique: Recommended,
    pub reasons: Vec<String>,
    pub note: Option<String>,
    pub path: Vec<Step>,
    pub runners_up: Vec<Recommended>,
}

impl Recommendation {
    /// The lab techniques to run side by side: the recommendation (when runnable) and its
    /// runnable runners-up, without repeats.
    pub fn techniques_to_compare(&self) -> Vec<Technique> {
        let mut out: Vec<Technique> = Vec::new();
        for t in std::iter::once(self.technique).chain(self.runners_up.iter().copied()) {
            if let Some(t) = t.runnable()
                && !out.contains(&t)
            {
                out.push(t);
            }
        }
        out
    }
}

/// Walks `tree` for `d`: at each question, yes when all its rules hold.
pub fn recommend(tree: &DecisionTree, d: &WorkloadDescription) -> Recommendation {
    let mut path = Vec::new();
    let mut node = tree.start.as_str();
    // A validated tree has no loops, so this ends at a leaf within as many steps as it has
    // questions.
    for _ in 0..=tree.questions.len() {
        if let Some(leaf) = tree.leaf(node) {
            return Recommendation {
                technique: leaf.technique,
                reasons: leaf.reasons.clone(),
                note: leaf.note.clone(),
                path,
                runners_up: leaf.runners_up.clone(),
            };
        }
        let Some(q) = tree.question(node) else { break };
        let failing = q.yes_if.iter().find(|r| !r.holds(d));
        let (answer, why, next) = match failing {
            None => {
                let why = q.yes_if.iter().map(|r| r.why(d)).collect::<Vec<_>>().join("; ");
                (Answer::Yes, why, q.yes.as_str())
            }
            Some(r) => (Answer::No, r.why(d), q.no.as_str()),
        };
        path.push(Step { node: q.id.clone(), question: q.question.clone(), answer, why });
        node = next;
    }
    // Unreachable for a validated tree; answer conservatively rather than panic.
    Recommendation {
        technique: Recommended::Websocket,
        reasons: vec!["the decision tree did not reach a leaf".into()],
        note: None,
        path,
        runners_up: Vec::new(),
    }
}
