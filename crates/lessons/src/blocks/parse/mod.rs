//! Parsing one block's TOML body into a [`Block`], reporting every mistake in it.
//!
//! Three passes: the body must be TOML; every top-level key must be a known field of its
//! kind (unknown ones get a "did you mean" hint and the list of known fields); then the
//! fields are read with their types and checked one by one (technique ids, metric paths,
//! workload ranges through the engine's own validation, answer indexes, challenge ranges).
//! A block with any problem is not returned, so the UI never offers a broken block.
//!
//! Predictions and challenges, the largest kinds, are parsed in their own submodules.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::blocks::source::BlockSource;
use crate::blocks::{Block, BlockKind, ExperimentBlock, Quiz};
use crate::metric::{TECHNIQUE_IDS, technique_id};
use crate::params::{PARAM_NAMES, WorkloadParams};
use crate::problem::{Report, is_slug, unknown_hint};

mod challenge;
mod cluster;
mod nat;
mod predict;
mod webrtc;

/// The fields a block of `kind` may have.
pub fn known_fields(kind: BlockKind) -> Vec<&'static str> {
    let (own, params): (&[&'static str], bool) = match kind {
        BlockKind::Experiment => (&["id", "techniques", "caption", "shows", "states"], true),
        BlockKind::Predict => (
            &["id", "experiment", "question", "metric", "unit", "tolerance", "choices", "answer_rule", "explain"],
            false,
        ),
        BlockKind::Quiz => (&["id", "question", "choices", "answer", "why"], false),
        BlockKind::Challenge => (&["id", "goal", "technique", "editable", "check", "solution", "hint"], true),
        BlockKind::Nat => (&nat::FIELDS, false),
        BlockKind::Cluster => (&cluster::FIELDS, false),
        BlockKind::Webrtc => (&webrtc::FIELDS, false),
    };
    let mut v = own.to_vec();
    if params {
        v.extend(PARAM_NAMES);
    }
    v
}

#[derive(Deserialize)]
struct ExperimentRaw {
    id: Option<String>,
    techniques: Option<Vec<String>>,
    caption: Option<String>,
    shows: Option<Vec<String>>,
    states: Option<Vec<StatedRaw>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatedRaw {
    says: String,
    metric: String,
    value: f64,
    tolerance: f64,
}

#[derive(Deserialize)]
struct QuizRaw {
    id: Option<String>,
    question: Option<String>,
    choices: Option<Vec<String>>,
    answer: Option<i64>,
    why: Option<String>,
}

/// Parses `src`, adding its problems to `report`; `None` when it has any.
pub(crate) fn parse_block(src: &BlockSource, report: &mut Report) -> Option<Block> {
    let mut cx = Cx { src, before: report.problems.len(), report };
    let table = match toml::from_str::<toml::Table>(&src.body) {
        Ok(t) => t,
        Err(e) => {
            cx.problem(
                src.span_line(e.span()),
                format!("the {} block is not valid TOML: {}", src.kind, e.message().trim()),
                "write one `name = value` per line; text goes in double quotes, lists in [ ]",
            );
            return None;
        }
    };
    let known = known_fields(src.kind);
    for key in table.keys() {
        if !known.contains(&key.as_str()) {
            cx.problem(
                src.key_line(key),
                format!("unknown field `{key}` in the {} block", src.kind),
                unknown_hint(key, "fields", &known),
            );
        }
    }
    let block = match src.kind {
        BlockKind::Experiment => cx.experiment().map(Block::Experiment),
        BlockKind::Predict => cx.predict().map(Block::Predict),
        BlockKind::Quiz => cx.quiz().map(Block::Quiz),
        BlockKind::Challenge => cx.challenge().map(Block::Challenge),
        BlockKind::Nat => cx.nat().map(Block::Nat),
        BlockKind::Cluster => cx.cluster().map(|c| Block::Cluster(Box::new(c))),
        BlockKind::Webrtc => cx.webrtc().map(|w| Block::Webrtc(Box::new(w))),
    };
    if cx.report.problems.len() > cx.before { None } else { block }
}

struct Cx<'s, 'r, 'f> {
    src: &'s BlockSource,
    report: &'r mut Report<'f>,
    before: usize,
}

impl Cx<'_, '_, '_> {
    fn problem(&mut self, line: usize, message: impl Into<String>, hint: impl Into<String>) {
        self.report.add(line, message, hint);
    }

    fn typed<T: DeserializeOwned>(&mut self) -> Option<T> {
        match toml::from_str::<T>(&self.src.body) {
            Ok(v) => Some(v),
            Err(e) => {
                let line = self.src.span_line(e.span());
                self.problem(
                    line,
                    format!("in the {} block: {}", self.src.kind, e.message().trim()),
                    "check the field's type: text in double quotes, numbers bare, lists in [ ]",
                );
                None
            }
        }
    }

    fn required<T>(&mut self, value: Option<T>, key: &str) -> Option<T> {
        if value.is_none() {
            let line = self.src.line;
            self.problem(
                line,
                format!("the {} block has no `{key}`", self.src.kind),
                format!("add `{key} = {}`", example(key)),
            );
        }
        value
    }

    fn text(&mut self, value: Option<String>, key: &str) -> Option<String> {
        let v = self.required(value, key)?;
        if v.trim().is_empty() {
            let line = self.src.key_line(key);
            self.problem(line, format!("`{key}` is empty"), format!("write the {key} text"));
            return None;
        }
        Some(v)
    }

    fn id(&mut self, value: Option<String>) -> Option<String> {
        let id = self.text(value, "id")?;
        if !is_slug(&id) {
            let line = self.src.key_line("id");
            self.problem(
                line,
                format!("block id `{id}` is not a slug"),
                "use lowercase letters, digits and single hyphens, like `empty-answers`",
            );
        }
        Some(id)
    }

    fn technique(&mut self, name: &str, key: &str) -> Option<rtclab_techniques::Technique> {
        match technique_id(name) {
            Ok(t) => Some(t),
            Err(_) => {
                let line = self.src.line_with(&[&format!("\"{name}\"")], key);
                self.problem(
                    line,
                    format!("unknown technique `{name}`"),
                    unknown_hint(name, "techniques", &TECHNIQUE_IDS),
                );
                None
            }
        }
    }

    fn params(&mut self) -> Option<WorkloadParams> {
        self.typed::<WorkloadParams>()
    }

    fn check_workload(&mut self, params: &WorkloadParams, editable_line: Option<usize>) {
        if let Err(Error::Workload { param, message }) = params.to_workload() {
            let line = if self.src.kind == BlockKind::Challenge && !self.fixed_has(param) {
                editable_line.unwrap_or(self.src.line)
            } else if params.is_set(param) {
                self.src.key_line(param)
            } else {
                self.src.line
            };
            self.problem(line, format!("workload parameter `{param}` is out of range: {message}"), range_hint(param));
        }
    }

    fn fixed_has(&self, param: &str) -> bool {
        self.src
            .body
            .lines()
            .any(|l| l.trim_start().strip_prefix(param).is_some_and(|r| r.trim_start().starts_with('=')))
    }
    fn experiment(&mut self) -> Option<ExperimentBlock> {
        let raw: ExperimentRaw = self.typed()?;
        let params = self.params();
        let id = self.id(raw.id);
        let names = self.required(raw.techniques, "techniques");
        let line = self.src.key_line("techniques");
        if names.as_ref().is_some_and(Vec::is_empty) {
            self.problem(line, "`techniques` is empty", "list one or more of polling, long-polling, sse, websocket");
        }
        let names = names.unwrap_or_default();
        let mut techniques = Vec::new();
        for name in &names {
            if let Some(t) = self.technique(name, "techniques") {
                if techniques.contains(&t) {
                    self.problem(line, format!("`{name}` is listed twice in `techniques`"), "list each technique once");
                }
                techniques.push(t);
            }
        }
        if let Some(p) = &params {
            self.check_workload(p, None);
            if p.answer_token_delay_ms.is_some() && techniques.iter().any(|t| *t != rtclab_techniques::Technique::Sse) {
                self.problem(
                    self.src.key_line("answer_token_delay_ms"),
                    "`answer_token_delay_ms` streams an answer over SSE, but `techniques` lists others",
                    "use techniques = [\"sse\"] for a streamed answer",
                );
            }
        }
        let mut shows = Vec::new();
        for name in raw.shows.unwrap_or_default() {
            match name.parse::<crate::metric::Metric>() {
                Ok(m) => shows.push(m),
                Err(_) => {
                    let line = self.src.line_with(&[&format!("\"{name}\"")], "shows");
                    let known = crate::metric::Metric::names();
                    self.problem(
                        line,
                        format!("unknown figure `{name}` in `shows`"),
                        unknown_hint(&name, "figures", &known),
                    );
                }
            }
        }
        let mut states = Vec::new();
        for s in raw.states.unwrap_or_default() {
            let line = self.src.line_with(&[&s.says], "states");
            match s.metric.parse::<crate::metric::MetricPath>() {
                Ok(metric) if techniques.contains(&metric.technique) => {
                    if !(s.value.is_finite() && s.tolerance.is_finite() && (0.0..=10.0).contains(&s.tolerance)) {
                        self.problem(line, format!("the stated figure {:?} needs a finite value and a tolerance from 0 to 10", s.says), "as in { says = \"four polls\", metric = \"polling.requests_per_message\", value = 4, tolerance = 0.25 }");
                    } else {
                        states.push(crate::blocks::StatedFigure {
                            says: s.says,
                            metric,
                            value: s.value,
                            tolerance: s.tolerance,
                        });
                    }
                }
                Ok(metric) => self.problem(
                    line,
                    format!(
                        "the stated figure {:?} reads {}, which this experiment does not run",
                        s.says, metric.technique
                    ),
                    "name a technique listed in `techniques`",
                ),
                Err(e) => self.problem(
                    line,
                    format!("bad metric path `{}` in `states`: {e}", s.metric),
                    "write technique.metric, as in polling.requests",
                ),
            }
        }
        Some(ExperimentBlock { id: id?, techniques, params: params?, caption: raw.caption, shows, states })
    }
    fn quiz(&mut self) -> Option<Quiz> {
        let raw: QuizRaw = self.typed()?;
        let id = self.id(raw.id);
        let question = self.text(raw.question, "question");
        let why = self.text(raw.why, "why");
        let choices = self.required(raw.choices, "choices");
        let n = choices.as_ref().map_or(0, Vec::len);
        if choices.is_some() && (n < 2 || choices.iter().flatten().any(|c| c.trim().is_empty())) {
            let line = self.src.key_line("choices");
            self.problem(line, "a quiz needs at least two non-empty choices", "list the choices as text in [ ]");
        }
        let answer = self.required(raw.answer, "answer").and_then(|a| {
            if a >= 0 && (a as usize) < n {
                Some(a as usize)
            } else {
                let line = self.src.key_line("answer");
                self.problem(
                    line,
                    format!(
                        "answer {a} is not one of the choices: there are {n}, numbered 0 to {}",
                        n.saturating_sub(1)
                    ),
                    "`answer` is the index of the right choice, counting from 0",
                );
                None
            }
        });
        Some(Quiz { id: id?, question: question?, choices: choices?, answer: answer?, why: why? })
    }
}

fn example(key: &str) -> &'static str {
    match key {
        "id" => "\"my-block\"",
        "techniques" => "[\"polling\", \"sse\"]",
        "experiment" => "\"<id of an experiment block>\"",
        "metric" => "\"polling.empty_share\"",
        "unit" => "\"requests\"",
        "tolerance" => "0.25",
        "choices" => "[\"…\", \"…\"]",
        "answer_rule" => "\"lowest:latency_ms.p50\"",
        "answer" => "0",
        "technique" => "\"long-polling\"",
        "check" => "[{ metric = \"delivered\", op = \">=\", value = 20 }]",
        "solution" => "{ long_poll_timeout_ms = 5000 }",
        _ => "\"…\"",
    }
}

/// The allowed range of a workload parameter in a lesson.
pub(crate) fn range_hint(param: &str) -> String {
    match param {
        "clients" => "use 1 to 200 clients (at least 2 with direction = \"both\")".into(),
        "rate" => "use a rate above 0 and at most 10000 messages per second".into(),
        "payload" => "use 0 to 65536 bytes".into(),
        "duration_ms" => "use 1 to 30000 ms, keeping rate × duration × clients under 2,000,000 deliveries".into(),
        "poll_interval_ms" => "use 10 to 600000 ms".into(),
        "long_poll_timeout_ms" => "use 100 to 120000 ms".into(),
        "heartbeat_ms" => "use 100 to 60000 ms".into(),
        "cut_at_ms" => "use a time after 0 and before duration_ms".into(),
        "answer_token_delay_ms" => "use 1 to 2000 ms, with techniques = [\"sse\"] only".into(),
        "direction" => "use \"down\" or \"both\"".into(),
        _ => "see the parameter table in docs/lesson-format.md".into(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    pub(super) fn parse(kind: BlockKind, body: &str) -> (Option<Block>, Vec<crate::Problem>) {
        let src = BlockSource { kind, line: 5, body: body.into(), body_line: 6 };
        let file = Path::new("x.md");
        let mut report = Report::new(file);
        let b = parse_block(&src, &mut report);
        (b, report.problems)
    }

    #[test]
    fn a_good_experiment_parses_with_defaults() {
        let (b, p) =
            parse(BlockKind::Experiment, "id = \"e\"\ntechniques = [\"polling\", \"sse\"]\nclients = 3\nrate = 1\n");
        assert!(p.is_empty(), "{p:?}");
        let Some(Block::Experiment(e)) = b else { panic!() };
        assert_eq!(e.workload().unwrap().clients, 3);
        assert_eq!(e.workload().unwrap().rate, 1.0);
        assert_eq!(e.runs().unwrap().len(), 2);
    }

    #[test]
    fn shows_and_states_are_read_and_checked() {
        let body = "id = \"e\"\ntechniques = [\"websocket\"]\nshows = [\"ws_pings\", \"header_share\"]\nstates = [{ says = \"six pings\", metric = \"websocket.ws_pings\", value = 6, tolerance = 0.2 }]\n";
        let (b, p) = parse(BlockKind::Experiment, body);
        assert!(p.is_empty(), "{p:?}");
        let Some(Block::Experiment(e)) = b else { panic!() };
        assert_eq!(e.columns().iter().map(|m| m.column()).collect::<Vec<_>>(), ["pings", "share of header bytes"]);
        assert_eq!(e.states[0].says, "six pings");
        let bad = [
            ("shows = [\"ws_pigns\"]", "unknown figure `ws_pigns`"),
            ("states = [{ says = \"x\", metric = \"sse.requests\", value = 1, tolerance = 0.1 }]", "does not run"),
            (
                "states = [{ says = \"x\", metric = \"websocket.requests\", value = 1, tolerance = 20 }]",
                "tolerance from 0 to 10",
            ),
            ("answer_token_delay_ms = 40", "streams an answer over SSE"),
        ];
        for (line, want) in bad {
            let (_, p) = parse(BlockKind::Experiment, &format!("id = \"e\"\ntechniques = [\"websocket\"]\n{line}\n"));
            assert!(p.iter().any(|p| p.message.contains(want)), "{line}: {p:?}");
        }
    }

    #[test]
    fn each_mistake_points_at_its_line() {
        let cases: &[(BlockKind, &str, usize, &str)] = &[
            (
                BlockKind::Experiment,
                "id = \"e\"\ntechniques = [\"polling\"]\nclinets = 3\n",
                8,
                "unknown field `clinets`",
            ),
            (BlockKind::Experiment, "id = \"e\"\ntechniques = [\"polling\", \"pigeon\"]\n", 7, "unknown technique"),
            (
                BlockKind::Experiment,
                "id = \"e\"\ntechniques = [\"polling\"]\n\nclients = 0\n",
                9,
                "`clients` is out of range",
            ),
            (BlockKind::Experiment, "id = \"e\"\ntechniques = [\"polling\"]\nclients = \"two\"\n", 8, "invalid type"),
            (BlockKind::Experiment, "id = \"e\"\ntechniques = [\"polling\"\n", 7, "not valid TOML"),
            (
                BlockKind::Quiz,
                "id = \"q\"\nquestion = \"?\"\nchoices = [\"a\", \"b\"]\nanswer = 2\nwhy = \"w\"\n",
                9,
                "answer 2",
            ),
            (
                BlockKind::Predict,
                "id = \"p\"\nexperiment = \"e\"\nquestion = \"?\"\nmetric = \"polling.reqs\"\nunit = \"u\"\ntolerance = 0.2\nexplain = \"x\"\n",
                9,
                "bad metric path",
            ),
            (
                BlockKind::Predict,
                "id = \"p\"\nexperiment = \"e\"\nquestion = \"?\"\nchoices = [\"sse\", \"ws\"]\nanswer_rule = \"lowest:requests\"\nexplain = \"x\"\n",
                9,
                "unknown technique `ws`",
            ),
        ];
        for (kind, body, line, needle) in cases {
            let (b, p) = parse(*kind, body);
            assert!(b.is_none(), "{body}");
            assert!(p.iter().any(|p| p.line == *line && p.message.contains(needle)), "{needle} at {line}: {p:#?}");
        }
    }
}
