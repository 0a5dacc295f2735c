//! The interactive blocks of a lesson: experiments, predictions, quizzes and challenges.
//!
//! Each is a fenced code block whose info string names its kind and whose body is TOML
//! (`docs/lesson-format.md` lists every field). This module holds the parsed forms and
//! what a UI does with them: the workload an experiment or challenge runs, the engine
//! experiments to start, and the settings a learner may change. Parsing and the checks of
//! a single block live in the `parse` submodule; checks across blocks in
//! [`validate`](mod@crate::validate).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use rtclab_techniques::{Experiment, Technique, Workload};
use serde::{Serialize, Serializer};

use crate::metric::{Metric, MetricPath};
use crate::params::WorkloadParams;
use crate::{Error, Result};

pub mod cluster;
pub(crate) mod parse;
pub mod webrtc;

pub use cluster::ClusterBlock;
pub(crate) mod source;

/// The four kinds of interactive block, named by the fence's info string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    Experiment,
    Predict,
    Quiz,
    Challenge,
    /// A NAT-lab run: two WebRTC peers behind chosen NATs, with a prediction or a challenge.
    Nat,
    /// A scaling-lab run (load-balancer check or node kill), with a prediction or a challenge.
    Cluster,
    /// A WebRTC-in-practice run (the WebSockets-vs-WebRTC table, a file transfer), with a prediction.
    Webrtc,
}

impl BlockKind {
    pub const ALL: [BlockKind; 7] = [
        BlockKind::Experiment,
        BlockKind::Predict,
        BlockKind::Quiz,
        BlockKind::Challenge,
        BlockKind::Nat,
        BlockKind::Cluster,
        BlockKind::Webrtc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Experiment => "experiment",
            BlockKind::Predict => "predict",
            BlockKind::Quiz => "quiz",
            BlockKind::Challenge => "challenge",
            BlockKind::Nat => "nat",
            BlockKind::Cluster => "cluster",
            BlockKind::Webrtc => "webrtc",
        }
    }

    /// The kind an info string (```` ```predict ````) names, if any.
    pub fn from_info(info: &str) -> Option<BlockKind> {
        let word = info.split_whitespace().next()?;
        BlockKind::ALL.into_iter().find(|k| k.as_str() == word)
    }
}

impl fmt::Display for BlockKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One interactive block.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    Experiment(ExperimentBlock),
    Predict(Predict),
    Quiz(Quiz),
    Challenge(Challenge),
    Nat(NatBlock),
    Cluster(Box<ClusterBlock>),
    Webrtc(Box<webrtc::WebrtcBlock>),
}

impl Block {
    pub fn id(&self) -> &str {
        match self {
            Block::Experiment(b) => &b.id,
            Block::Predict(b) => &b.id,
            Block::Quiz(b) => &b.id,
            Block::Challenge(b) => &b.id,
            Block::Nat(b) => &b.id,
            Block::Cluster(b) => &b.id,
            Block::Webrtc(b) => &b.id,
        }
    }

    pub fn kind(&self) -> BlockKind {
        match self {
            Block::Experiment(_) => BlockKind::Experiment,
            Block::Predict(_) => BlockKind::Predict,
            Block::Quiz(_) => BlockKind::Quiz,
            Block::Challenge(_) => BlockKind::Challenge,
            Block::Nat(_) => BlockKind::Nat,
            Block::Cluster(_) => BlockKind::Cluster,
            Block::Webrtc(_) => BlockKind::Webrtc,
        }
    }
}

/// A NAT-lab block: peers A and B behind `nat_a` and `nat_b`, run as real WebRTC peers in
/// virtual time. With `predict` the learner says beforehand whether they will connect
/// directly; with `challenge` the learner changes the settings listed in `may_change` until
/// the run reaches `goal`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NatBlock {
    pub id: String,
    pub nat_a: String,
    pub nat_b: String,
    pub turn: bool,
    pub latency_ms: f64,
    pub loss_percent: f64,
    pub seed: u64,
    /// An edit to the offer or answer before it is sent (`remove-fingerprint`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdp_edit: Option<rtclab_natlab::sdp_edit::SdpEdit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// The prediction question ("Will these two connect directly?").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predict: Option<String>,
    /// Shown after the run: how to read what happened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge: Option<NatChallenge>,
}

/// What a NAT challenge asks for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NatChallenge {
    pub task: String,
    pub goal: NatGoal,
    /// Settings the learner may change: `nat_a`, `nat_b`, `turn`.
    pub may_change: Vec<String>,
    pub hint: Option<String>,
    /// A documented solution (the course's tests check that it reaches the goal and that the
    /// block's own settings do not).
    pub solution: NatSettings,
}

/// The settings a learner may change in a NAT challenge (unset: the block's own).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatSettings {
    pub nat_a: Option<String>,
    pub nat_b: Option<String>,
    pub turn: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NatGoal {
    /// Any connection, relayed or direct.
    Connected,
    /// A direct path (host, srflx or prflx).
    Direct,
    /// Through the TURN relay.
    Relay,
}

impl NatGoal {
    pub const NAMES: [&'static str; 3] = ["connected", "direct", "relay"];
    pub fn parse(s: &str) -> Option<NatGoal> {
        Some(match s {
            "connected" => NatGoal::Connected,
            "direct" => NatGoal::Direct,
            "relay" => NatGoal::Relay,
            _ => return None,
        })
    }
    pub fn reached(self, outcome: rtclab_natlab::session::Outcome) -> bool {
        use rtclab_natlab::session::Outcome;
        match self {
            NatGoal::Connected => outcome != Outcome::Failed,
            NatGoal::Direct => outcome.is_direct(),
            NatGoal::Relay => outcome == Outcome::Relay,
        }
    }
    pub fn words(self) -> &'static str {
        match self {
            NatGoal::Connected => "the peers connect (directly or relayed)",
            NatGoal::Direct => "the peers connect directly",
            NatGoal::Relay => "the peers connect through the TURN relay",
        }
    }
}

/// The settings a learner may change in a NAT challenge.
pub const NAT_SETTINGS: [&str; 3] = ["nat_a", "nat_b", "turn"];

impl NatBlock {
    /// The NAT lab request this block runs, with the learner's `settings` where the challenge
    /// allows them; the error says which setting may not change.
    pub fn request(&self, settings: &NatSettings) -> Result<rtclab_natlab::view::NatRunRequest> {
        let may = |name: &str| self.challenge.as_ref().is_some_and(|c| c.may_change.iter().any(|m| m == name));
        let refuse = |name: &str| Error::Workload {
            param: "nat",
            message: format!(
                "this block does not let you change `{name}`{}",
                self.challenge
                    .as_ref()
                    .map(|c| format!("; you may change: {}", c.may_change.join(", ")))
                    .unwrap_or_default()
            ),
        };
        let pick = |name: &str, theirs: &Option<String>, own: &str| -> Result<String> {
            match theirs {
                Some(v) if v != own && !may(name) => Err(refuse(name)),
                Some(v) => Ok(v.clone()),
                None => Ok(own.to_string()),
            }
        };
        let turn = match settings.turn {
            Some(t) if t != self.turn && !may("turn") => return Err(refuse("turn")),
            Some(t) => t,
            None => self.turn,
        };
        Ok(rtclab_natlab::view::NatRunRequest {
            nat_a: pick("nat_a", &settings.nat_a, &self.nat_a)?,
            nat_b: pick("nat_b", &settings.nat_b, &self.nat_b)?,
            turn,
            latency_ms: self.latency_ms,
            loss_percent: self.loss_percent,
            seed: self.seed,
            sdp_edit: self.sdp_edit,
            // STUN, trickle, no jitter, the right TURN password: the lab's defaults.
            ..rtclab_natlab::view::catalog().defaults
        })
    }

    /// What it runs, in one line.
    pub fn settings(&self) -> String {
        format!(
            "A behind {}, B behind {}, TURN {}, {} ms one way{}{}",
            self.nat_a,
            self.nat_b,
            if self.turn { "on" } else { "off" },
            self.latency_ms,
            if self.loss_percent > 0.0 { format!(", {}% loss", self.loss_percent) } else { String::new() },
            self.sdp_edit.map(|e| format!("; the SDP edited: {}", e.words())).unwrap_or_default()
        )
    }
}

/// Runs one workload with each listed technique, for a side-by-side comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExperimentBlock {
    pub id: String,
    pub techniques: Vec<Technique>,
    pub params: WorkloadParams,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// The figures its result table shows (`shows = [...]`); empty: [`DEFAULT_COLUMNS`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shows: Vec<Metric>,
    /// Counts the lesson's text states about this experiment, each with the figure that
    /// backs it; the course's tests run the experiment and hold the text to them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<StatedFigure>,
}

/// A number the lesson's text states (`says`, quoted exactly as it appears in the lesson),
/// the measured figure it stands for and how close the measurement must come.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatedFigure {
    pub says: String,
    pub metric: MetricPath,
    pub value: f64,
    pub tolerance: f64,
}

/// The figures a result table shows when the lesson does not choose.
pub const DEFAULT_COLUMNS: [Metric; 6] = [
    Metric::Delivered,
    Metric::Requests,
    Metric::EmptyResponses,
    Metric::BytesPerMessage,
    Metric::LatencyP50,
    Metric::LatencyP95,
];

impl ExperimentBlock {
    /// The figures of its result table, in order.
    pub fn columns(&self) -> Vec<Metric> {
        if self.shows.is_empty() { DEFAULT_COLUMNS.to_vec() } else { self.shows.clone() }
    }

    /// What it runs, in one line for the learner (only the settings that matter here).
    pub fn settings(&self) -> String {
        let w = self.params.workload_unchecked();
        let secs = |d: std::time::Duration| crate::tree::workload::human(d.as_secs_f64());
        let clients = if w.clients == 1 { "1 client".to_owned() } else { format!("{} clients", w.clients) };
        let techniques: Vec<String> = self.techniques.iter().map(|t| t.to_string()).collect();
        let mut parts = vec![techniques.join(", "), clients];
        if let Some(delay) = w.answer_token_delay {
            parts.push(format!("each streams an AI-style answer, a token every {} ms", delay.as_millis()));
            return parts.join(" · ");
        }
        let who = if w.direction == rtclab_techniques::Direction::Both { ", sent by the clients" } else { "" };
        parts.push(format!("{} msg/s for {}{who}", w.rate, secs(w.duration)));
        if self.techniques.contains(&Technique::Polling) {
            parts.push(format!("poll every {} ms", w.poll_interval.as_millis()));
        }
        if self.params.heartbeat_ms.is_some() {
            parts.push(format!("heartbeat every {} ms", w.heartbeat.as_millis()));
        }
        if let Some(at) = w.cut_at {
            parts.push(format!("every connection cut at {}", secs(at)));
        }
        parts.join(" · ")
    }

    /// The checked workload every technique of the block runs.
    pub fn workload(&self) -> Result<Workload> {
        self.params.to_workload()
    }

    /// One engine experiment per technique, in the block's order, all with the same
    /// workload; run them one after another so they do not disturb each other's timing.
    pub fn runs(&self) -> Result<Vec<Experiment>> {
        let w = self.workload()?;
        Ok(self.techniques.iter().map(|t| Experiment::new(*t, w.clone())).collect())
    }
}

/// A question the learner answers before the experiment runs; the measurement decides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Predict {
    pub id: String,
    /// Id of the experiment block (in the same lesson) whose results decide.
    pub experiment: String,
    pub question: String,
    pub prediction: Prediction,
    /// Shown after the measurement: how to read the difference.
    pub explain: String,
}

/// What the learner predicts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Prediction {
    /// A number, right when within `tolerance` (a fraction of the measured value).
    Number { metric: MetricPath, unit: String, tolerance: f64 },
    /// One of the experiment's techniques, right when it ranks best by `rule`.
    Choice { choices: Vec<Technique>, rule: AnswerRule },
}

/// Which technique is the right choice: the one with the lowest or highest figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerRule {
    pub best: Best,
    pub metric: Metric,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Best {
    Lowest,
    Highest,
}

impl FromStr for AnswerRule {
    type Err = String;
    /// Parses `lowest:<metric>` or `highest:<metric>`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (best, metric) = s.split_once(':').ok_or("write `lowest:<metric>` or `highest:<metric>`")?;
        let best = match best.trim() {
            "lowest" => Best::Lowest,
            "highest" => Best::Highest,
            other => return Err(format!("`{other}` is neither `lowest` nor `highest`")),
        };
        let metric = metric.trim().parse::<Metric>().map_err(|e| e.to_string())?;
        Ok(AnswerRule { best, metric })
    }
}

impl fmt::Display for AnswerRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let best = match self.best {
            Best::Lowest => "lowest",
            Best::Highest => "highest",
        };
        write!(f, "{best}:{}", self.metric)
    }
}

impl Serialize for AnswerRule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A multiple-choice question answered from the text, not from a measurement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quiz {
    pub id: String,
    pub question: String,
    pub choices: Vec<String>,
    /// Index of the right choice, from 0.
    pub answer: usize,
    pub why: String,
}

/// A goal the learner reaches by choosing workload settings for one technique.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Challenge {
    pub id: String,
    pub goal: String,
    pub technique: Technique,
    /// Parameters the learner may not change.
    pub fixed: WorkloadParams,
    /// Parameters the learner sets, with their ranges.
    pub editable: Vec<Editable>,
    /// Every condition must hold on the measured metrics of `technique`.
    pub check: Vec<Condition>,
    /// Settings of editable parameters that reach the goal.
    pub solution: BTreeMap<String, f64>,
    pub hint: String,
}

/// A parameter a challenge lets the learner set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Editable {
    /// A numeric workload parameter name (`poll_interval_ms`).
    pub param: String,
    pub min: f64,
    pub max: f64,
    /// Where the control starts: the block's `start`, or the lab's default kept in range.
    pub start: f64,
}

/// `metric op value`, for example `requests <= 25`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Condition {
    pub metric: Metric,
    pub op: Op,
    pub value: f64,
}

/// Comparison operators of challenge conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Ge,
    Le,
    Eq,
    Lt,
    Gt,
}

impl Op {
    pub const ALL: [Op; 5] = [Op::Ge, Op::Le, Op::Eq, Op::Lt, Op::Gt];

    pub fn symbol(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::Eq => "==",
            Op::Lt => "<",
            Op::Gt => ">",
        }
    }

    /// The comparison as a reader says it: "at least", "below".
    pub fn in_words(self) -> &'static str {
        match self {
            Op::Ge => "at least",
            Op::Le => "at most",
            Op::Eq => "exactly",
            Op::Lt => "below",
            Op::Gt => "above",
        }
    }

    /// Whether `measured op required` holds; NaN never does, `==` compares exactly.
    pub fn holds(self, measured: f64, required: f64) -> bool {
        match self {
            Op::Ge => measured >= required,
            Op::Le => measured <= required,
            Op::Eq => measured == required,
            Op::Lt => measured < required,
            Op::Gt => measured > required,
        }
    }
}

impl FromStr for Op {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Op::ALL
            .into_iter()
            .find(|o| o.symbol() == s.trim())
            .ok_or_else(|| format!("`{s}` is not an operator; use one of {}", Op::ALL.map(Op::symbol).join(", ")))
    }
}

impl Serialize for Op {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.symbol())
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.metric, self.op.symbol(), self.value)
    }
}

impl Challenge {
    /// The settings the challenge starts from.
    pub fn start_settings(&self) -> BTreeMap<String, f64> {
        self.editable.iter().map(|e| (e.param.clone(), e.start)).collect()
    }

    /// The workload for the learner's `settings` (editable parameters they left out keep
    /// their start value). Refuses fixed parameters and values out of their range.
    pub fn workload(&self, settings: &BTreeMap<String, f64>) -> Result<Workload> {
        self.params(settings)?.to_workload()
    }

    /// The fixed parameters with `settings` applied, before the engine's checks.
    pub fn params(&self, settings: &BTreeMap<String, f64>) -> Result<WorkloadParams> {
        let mut p = self.fixed.clone();
        for e in &self.editable {
            p.set_number(&e.param, e.start)?;
        }
        for (name, value) in settings {
            let e = self.editable.iter().find(|e| e.param == *name).ok_or_else(|| Error::NotEditable(name.clone()))?;
            if !(value.is_finite() && *value >= e.min && *value <= e.max) {
                return Err(Error::OutOfRange { param: name.clone(), value: *value, min: e.min, max: e.max });
            }
            p.set_number(name, *value)?;
        }
        Ok(p)
    }

    /// The workload of the documented solution.
    pub fn solution_workload(&self) -> Result<Workload> {
        self.workload(&self.solution)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_rules_parse_and_print() {
        let r: AnswerRule = "lowest:latency_ms.p50".parse().unwrap();
        assert_eq!(r, AnswerRule { best: Best::Lowest, metric: Metric::LatencyP50 });
        assert_eq!(r.to_string(), "lowest:latency_ms.p50");
        assert!("least:requests".parse::<AnswerRule>().is_err());
        assert!("highest:reqs".parse::<AnswerRule>().is_err());
        assert!("requests".parse::<AnswerRule>().is_err());
    }

    #[test]
    fn operators() {
        assert!("<=".parse::<Op>().unwrap().holds(25.0, 25.0));
        assert!(!">".parse::<Op>().unwrap().holds(25.0, 25.0));
        assert!(!Op::Ge.holds(f64::NAN, 0.0));
        assert!("=>".parse::<Op>().is_err());
    }

    #[test]
    fn challenge_settings_respect_ranges_and_fixed_parameters() {
        let c = Challenge {
            id: "c".into(),
            goal: "g".into(),
            technique: Technique::Polling,
            fixed: WorkloadParams { clients: Some(1), ..Default::default() },
            editable: vec![Editable { param: "poll_interval_ms".into(), min: 50.0, max: 5000.0, start: 2000.0 }],
            check: vec![],
            solution: BTreeMap::from([("poll_interval_ms".to_owned(), 500.0)]),
            hint: "h".into(),
        };
        assert_eq!(c.workload(&BTreeMap::new()).unwrap().poll_interval.as_millis(), 2000);
        assert_eq!(c.solution_workload().unwrap().poll_interval.as_millis(), 500);
        let set = |k: &str, v: f64| c.workload(&BTreeMap::from([(k.to_owned(), v)]));
        assert!(matches!(set("poll_interval_ms", 10.0), Err(Error::OutOfRange { .. })));
        assert!(matches!(set("clients", 5.0), Err(Error::NotEditable(_))));
    }
}
