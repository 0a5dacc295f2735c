//! Parsing `challenge` blocks: fixed and editable parameters, conditions, and the checks
//! that the solution and every editable range give workloads the lab accepts.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::blocks::parse::{Cx, range_hint};
use crate::blocks::{BlockKind, Challenge, Condition, Editable, Op};
use crate::metric::Metric;
use crate::params::{NUMERIC_PARAMS, WorkloadParams};
use crate::problem::unknown_hint;

#[derive(Deserialize)]
struct ChallengeRaw {
    id: Option<String>,
    goal: Option<String>,
    technique: Option<String>,
    editable: Option<Vec<EditableRaw>>,
    check: Option<Vec<ConditionRaw>>,
    solution: Option<BTreeMap<String, f64>>,
    hint: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditableRaw {
    param: String,
    min: f64,
    max: f64,
    start: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionRaw {
    metric: String,
    op: String,
    value: f64,
}

impl Cx<'_, '_, '_> {
    pub(super) fn challenge(&mut self) -> Option<Challenge> {
        let raw: ChallengeRaw = self.typed()?;
        let fixed = self.params();
        let id = self.id(raw.id);
        let goal = self.text(raw.goal, "goal");
        let hint = self.text(raw.hint, "hint");
        let technique = self.required(raw.technique, "technique").and_then(|t| self.technique(&t, "technique"));
        let fixed = fixed?;
        let editable = self.editable(raw.editable.unwrap_or_default(), &fixed);
        let check = self.conditions(self.src.kind, raw.check);
        let solution = self.required(raw.solution, "solution");
        let challenge = Challenge {
            id: id?,
            goal: goal?,
            technique: technique?,
            fixed,
            editable: editable?,
            check: check?,
            solution: solution.unwrap_or_default(),
            hint: hint?,
        };
        if self.report.problems.len() > self.before {
            return None;
        }
        self.check_challenge_settings(&challenge);
        Some(challenge)
    }

    fn editable(&mut self, raw: Vec<EditableRaw>, fixed: &WorkloadParams) -> Option<Vec<Editable>> {
        let before = self.report.problems.len();
        let mut out: Vec<Editable> = Vec::new();
        if raw.is_empty() {
            let line = self.src.key_line("editable");
            self.problem(
                line,
                "a challenge needs at least one editable parameter",
                "add `editable = [{ param = \"poll_interval_ms\", min = 50, max = 5000 }]`",
            );
        }
        for e in raw {
            let line = self.src.line_with(&[&format!("\"{}\"", e.param)], "editable");
            if !NUMERIC_PARAMS.contains(&e.param.as_str()) {
                self.problem(
                    line,
                    format!("`{}` cannot be editable", e.param),
                    unknown_hint(&e.param, "numeric parameters", &NUMERIC_PARAMS),
                );
                continue;
            }
            if fixed.is_set(&e.param) {
                self.problem(
                    line,
                    format!("`{}` is both fixed and editable", e.param),
                    "remove the fixed value, or use `start` in the editable entry",
                );
            }
            if out.iter().any(|o| o.param == e.param) {
                self.problem(line, format!("`{}` is editable twice", e.param), "keep one entry per parameter");
            }
            if !(e.min.is_finite() && e.max.is_finite() && e.min <= e.max) {
                self.problem(
                    line,
                    format!("the range {} to {} of `{}` is empty", e.min, e.max, e.param),
                    "use min <= max",
                );
                continue;
            }
            let start = match e.start {
                Some(s) if !(e.min..=e.max).contains(&s) => {
                    self.problem(
                        line,
                        format!("start {s} of `{}` is outside its range {} to {}", e.param, e.min, e.max),
                        "move `start` into the range",
                    );
                    s
                }
                Some(s) => s,
                None => fixed.effective_number(&e.param).unwrap_or(e.min).clamp(e.min, e.max),
            };
            out.push(Editable { param: e.param, min: e.min, max: e.max, start });
        }
        (self.report.problems.len() == before).then_some(out)
    }

    fn conditions(&mut self, kind: BlockKind, raw: Option<Vec<ConditionRaw>>) -> Option<Vec<Condition>> {
        let raw = self.required(raw, "check")?;
        let before = self.report.problems.len();
        if raw.is_empty() {
            let line = self.src.key_line("check");
            self.problem(
                line,
                format!("the {kind} block's `check` is empty"),
                "add a condition such as `{ metric = \"delivered\", op = \">=\", value = 20 }`",
            );
        }
        let mut out = Vec::new();
        for c in raw {
            let line = self.src.line_with(&["metric", &format!("\"{}\"", c.metric)], "check");
            let metric = match c.metric.parse::<Metric>() {
                Ok(m) => Some(m),
                Err(_) => {
                    let hint = format!(
                        "a challenge's metric has no technique in front; {}",
                        unknown_hint(&c.metric, "metrics", &Metric::names())
                    );
                    self.problem(line, format!("unknown metric `{}` in `check`", c.metric), hint);
                    None
                }
            };
            let op = match c.op.parse::<Op>() {
                Ok(o) => Some(o),
                Err(e) => {
                    self.problem(line, e, "use >=, <=, ==, < or >");
                    None
                }
            };
            if !c.value.is_finite() {
                self.problem(line, "a condition's value must be a number", "write a plain number");
            }
            if let (Some(metric), Some(op)) = (metric, op) {
                out.push(Condition { metric, op, value: c.value });
            }
        }
        (self.report.problems.len() == before).then_some(out)
    }

    fn editable_line(&self, param: &str) -> usize {
        self.src.line_with(&[&format!("\"{param}\"")], "editable")
    }

    fn check_challenge_settings(&mut self, c: &Challenge) {
        for (name, value) in &c.solution {
            let line = self.src.line_after("solution", name);
            match c.editable.iter().find(|e| e.param == *name) {
                None => self.problem(
                    line,
                    format!("the solution sets `{name}`, which is not editable"),
                    "a solution sets editable parameters only",
                ),
                Some(e) if !(e.min..=e.max).contains(value) => self.problem(
                    line,
                    format!("the solution's {name} = {value} is outside its range {} to {}", e.min, e.max),
                    "move the solution into the editable range",
                ),
                Some(_) => {}
            }
        }
        if self.report.problems.len() > self.before {
            return;
        }
        if let Ok(p) = c.params(&c.solution) {
            let line = self.editable_line(c.editable.first().map_or("", |e| e.param.as_str()));
            self.check_workload(&p, Some(line));
        }
        for e in &c.editable {
            for v in [e.min, e.max] {
                let settings = BTreeMap::from([(e.param.clone(), v)]);
                if let Ok(p) = c.params(&settings)
                    && let Err(err) = p.to_workload()
                {
                    let line = self.editable_line(&e.param);
                    self.problem(
                        line,
                        format!("the range of `{}` reaches {v}, which the lab refuses: {err}", e.param),
                        range_hint(&e.param),
                    );
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::blocks::Block;
    use crate::blocks::BlockKind;
    use crate::blocks::parse::tests::parse;

    #[test]
    fn challenges_check_ranges_solutions_and_conditions() {
        let good = "id = \"c\"\ngoal = \"g\"\ntechnique = \"long-polling\"\nclients = 1\nrate = 1\nduration_ms = 4000\n\
                    editable = [{ param = \"long_poll_timeout_ms\", min = 100, max = 30000, start = 100 }]\n\
                    check = [{ metric = \"requests\", op = \"<=\", value = 8 }]\nsolution = { long_poll_timeout_ms = 5000 }\nhint = \"h\"\n";
        let (b, p) = parse(BlockKind::Challenge, good);
        assert!(p.is_empty(), "{p:#?}");
        let Some(Block::Challenge(c)) = b else { panic!() };
        assert_eq!(c.editable[0].start, 100.0);
        assert_eq!(c.solution_workload().unwrap().long_poll_timeout.as_millis(), 5000);

        let bad_range = good.replace("min = 100", "min = 10");
        let (_, p) = parse(BlockKind::Challenge, &bad_range);
        assert!(p.iter().any(|p| p.line == 12 && p.message.contains("reaches 10")), "{p:#?}");
        let bad_solution = good.replace("long_poll_timeout_ms = 5000", "long_poll_timeout_ms = 50000");
        let (_, p) = parse(BlockKind::Challenge, &bad_solution);
        assert!(p.iter().any(|p| p.line == 14 && p.message.contains("outside its range")), "{p:#?}");
        let bad_metric = good.replace("\"requests\"", "\"long-polling.requests\"");
        let (_, p) = parse(BlockKind::Challenge, &bad_metric);
        assert!(p.iter().any(|p| p.line == 13 && p.message.contains("unknown metric")), "{p:#?}");
        let fixed_and_editable = good.replace("clients = 1\n", "clients = 1\nlong_poll_timeout_ms = 100\n");
        let (_, p) = parse(BlockKind::Challenge, &fixed_and_editable);
        assert!(p.iter().any(|p| p.message.contains("both fixed and editable")), "{p:#?}");
    }
}
