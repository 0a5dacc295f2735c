//! Parsing `predict` blocks: a number within a tolerance, or a choice decided by a rule.

use serde::Deserialize;

use crate::blocks::parse::Cx;
use crate::blocks::{AnswerRule, Predict, Prediction};
use crate::metric::{Metric, MetricPath, TECHNIQUE_IDS, technique_id};
use crate::problem::unknown_hint;

#[derive(Deserialize)]
struct PredictRaw {
    id: Option<String>,
    experiment: Option<String>,
    question: Option<String>,
    metric: Option<String>,
    unit: Option<String>,
    tolerance: Option<f64>,
    choices: Option<Vec<String>>,
    answer_rule: Option<String>,
    explain: Option<String>,
}

impl Cx<'_, '_, '_> {
    pub(super) fn predict(&mut self) -> Option<Predict> {
        let raw: PredictRaw = self.typed()?;
        let id = self.id(raw.id);
        let experiment = self.text(raw.experiment, "experiment");
        let question = self.text(raw.question, "question");
        let explain = self.text(raw.explain, "explain");
        let number = raw.metric.is_some() || raw.unit.is_some() || raw.tolerance.is_some();
        let choice = raw.choices.is_some() || raw.answer_rule.is_some();
        let line = self.src.line;
        let prediction = match (number, choice) {
            (true, true) => {
                self.problem(
                    line,
                    "the predict block mixes a number prediction (metric, unit, tolerance) with a choice (choices, answer_rule)",
                    "keep the fields of one form only",
                );
                None
            }
            (false, false) => {
                self.problem(
                    line,
                    "the predict block does not say what to predict",
                    "add `metric`, `unit` and `tolerance` for a number, or `choices` and `answer_rule` for a choice",
                );
                None
            }
            (true, false) => self.number_prediction(raw.metric, raw.unit, raw.tolerance),
            (false, true) => self.choice_prediction(raw.choices, raw.answer_rule),
        };
        Some(Predict {
            id: id?,
            experiment: experiment?,
            question: question?,
            prediction: prediction?,
            explain: explain?,
        })
    }

    fn number_prediction(
        &mut self,
        metric: Option<String>,
        unit: Option<String>,
        tol: Option<f64>,
    ) -> Option<Prediction> {
        let metric = self.required(metric, "metric").and_then(|m| match m.parse::<MetricPath>() {
            Ok(p) => Some(p),
            Err(_) => {
                let line = self.src.key_line("metric");
                let (why, hint) = match m.split_once('.') {
                    Some((t, name)) if technique_id(t).is_ok() => {
                        (format!("unknown metric `{name}`"), unknown_hint(name, "metrics", &Metric::names()))
                    }
                    Some((t, _)) => (format!("unknown technique `{t}`"), unknown_hint(t, "techniques", &TECHNIQUE_IDS)),
                    None => {
                        ("no technique in front".into(), "write technique.metric, as in polling.empty_share".into())
                    }
                };
                self.problem(line, format!("bad metric path `{m}`: {why}"), hint);
                None
            }
        });
        let unit = self.required(unit, "unit");
        let tolerance = self.required(tol, "tolerance").filter(|t| {
            let ok = t.is_finite() && (0.0..=10.0).contains(t);
            if !ok {
                let line = self.src.key_line("tolerance");
                self.problem(
                    line,
                    format!("tolerance {t} is out of range"),
                    "tolerance is a fraction of the measured value, from 0 to 10 (0.25 means within 25%)",
                );
            }
            ok
        });
        Some(Prediction::Number { metric: metric?, unit: unit?, tolerance: tolerance? })
    }

    fn choice_prediction(&mut self, choices: Option<Vec<String>>, rule: Option<String>) -> Option<Prediction> {
        let names = self.required(choices, "choices").unwrap_or_default();
        let mut choices = Vec::new();
        for name in &names {
            if let Some(t) = self.technique(name, "choices") {
                if choices.contains(&t) {
                    let line = self.src.key_line("choices");
                    self.problem(line, format!("`{name}` is listed twice in `choices`"), "list each technique once");
                }
                choices.push(t);
            }
        }
        if names.len() == 1 {
            let line = self.src.key_line("choices");
            self.problem(line, "a choice prediction needs at least two choices", "list two or more technique ids");
        }
        let rule = self.required(rule, "answer_rule").and_then(|r| match r.parse::<AnswerRule>() {
            Ok(r) => Some(r),
            Err(e) => {
                let line = self.src.key_line("answer_rule");
                self.problem(
                    line,
                    format!("bad answer_rule `{r}`: {e}"),
                    "write `lowest:<metric>` or `highest:<metric>`, as in lowest:latency_ms.p50",
                );
                None
            }
        });
        Some(Prediction::Choice { choices, rule: rule? })
    }
}
