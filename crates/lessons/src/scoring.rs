//! Scoring what the learner did against what was measured: pure functions over
//! [`Metrics`], so the same figures a run produced decide, and tests can hand-build them.
//!
//! - [`check_challenge`]: every condition of a challenge on its technique's metrics, each
//!   with the measured and the required value.
//! - [`score_prediction`]: a number within its tolerance of the measurement, or the choice
//!   that ranks best by the prediction's rule (ties: every tied technique is right).

use rtclab_techniques::{Metrics, Technique};
use serde::Serialize;

use crate::blocks::{Best, Challenge, Op, Predict, Prediction};
use crate::metric::{Metric, MetricPath, metrics_of};
use crate::{Error, Result};

/// One condition of a challenge, measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConditionResult {
    pub metric: Metric,
    pub op: Op,
    pub required: f64,
    /// NaN when the figure had no meaning (nothing delivered) or the run is missing.
    pub measured: f64,
    pub passed: bool,
}

/// Whether a challenge was met, condition by condition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChallengeResult {
    pub passed: bool,
    pub technique: Technique,
    pub conditions: Vec<ConditionResult>,
}

/// Checks `challenge` on the metrics of its technique among `results`. Without them every
/// condition fails (measured NaN).
pub fn check_challenge(challenge: &Challenge, results: &[Metrics]) -> ChallengeResult {
    let m = metrics_of(results, challenge.technique).ok();
    let conditions: Vec<ConditionResult> = challenge
        .check
        .iter()
        .map(|c| {
            let measured = m.map_or(f64::NAN, |m| c.metric.value(m));
            ConditionResult {
                metric: c.metric,
                op: c.op,
                required: c.value,
                measured,
                passed: c.op.holds(measured, c.value),
            }
        })
        .collect();
    ChallengeResult {
        passed: !conditions.is_empty() && conditions.iter().all(|c| c.passed),
        technique: challenge.technique,
        conditions,
    }
}

/// What the learner predicted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Guess {
    Number(f64),
    /// Index into the prediction's `choices`.
    Choice(usize),
}

/// A prediction next to the measurement.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PredictionOutcome {
    Number {
        metric: MetricPath,
        unit: String,
        predicted: f64,
        measured: f64,
        tolerance: f64,
        within_tolerance: bool,
        explanation: String,
    },
    Choice {
        predicted: Technique,
        /// The techniques that rank best (more than one on a tie).
        best: Vec<Technique>,
        /// Every choice with its figure, best first.
        ranking: Vec<(Technique, f64)>,
        metric: Metric,
        correct: bool,
        explanation: String,
    },
}

impl PredictionOutcome {
    /// Whether the prediction was right.
    pub fn is_correct(&self) -> bool {
        match self {
            PredictionOutcome::Number { within_tolerance, .. } => *within_tolerance,
            PredictionOutcome::Choice { correct, .. } => *correct,
        }
    }

    /// The lesson's explanation of the result.
    pub fn explanation(&self) -> &str {
        match self {
            PredictionOutcome::Number { explanation, .. } | PredictionOutcome::Choice { explanation, .. } => {
                explanation
            }
        }
    }

    /// One line stating the result, for a UI or a log.
    pub fn summary(&self) -> String {
        match self {
            PredictionOutcome::Number { metric, unit, predicted, measured, tolerance, within_tolerance, .. } => {
                let verdict = if *within_tolerance { "close enough" } else { "not within" };
                format!(
                    "{metric}: measured {} {unit}, you said {} {unit} ({verdict} ±{:.0}%)",
                    fmt_num(*measured),
                    fmt_num(*predicted),
                    tolerance * 100.0
                )
            }
            PredictionOutcome::Choice { predicted, best, ranking, metric, correct, .. } => {
                let list = ranking.iter().map(|(t, v)| format!("{t} {}", fmt_num(*v))).collect::<Vec<_>>().join(", ");
                let best = best.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(" and ");
                let verdict = if *correct { "right" } else { "not this time" };
                format!("{metric}: {list}; best: {best}; you chose {predicted} ({verdict})")
            }
        }
    }
}

fn fmt_num(v: f64) -> String {
    if v.is_nan() {
        "n/a".into()
    } else if v == v.trunc() && v.abs() < 1e12 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// Scores `guess` for `predict` with the measured `results` of its experiment.
pub fn score_prediction(predict: &Predict, guess: &Guess, results: &[Metrics]) -> Result<PredictionOutcome> {
    match (&predict.prediction, guess) {
        (Prediction::Number { metric, unit, tolerance }, Guess::Number(predicted)) => {
            if !predicted.is_finite() {
                return Err(Error::BadGuess("the prediction must be a number".into()));
            }
            let measured = metric.resolve(results)?;
            Ok(PredictionOutcome::Number {
                metric: *metric,
                unit: unit.clone(),
                predicted: *predicted,
                measured,
                tolerance: *tolerance,
                within_tolerance: within(*predicted, measured, *tolerance),
                explanation: predict.explain.clone(),
            })
        }
        (Prediction::Choice { choices, rule }, Guess::Choice(i)) => {
            let predicted = *choices.get(*i).ok_or_else(|| {
                Error::BadGuess(format!("choice {i} does not exist; there are {} choices", choices.len()))
            })?;
            let mut ranking = Vec::with_capacity(choices.len());
            for t in choices {
                ranking.push((*t, rule.metric.value(metrics_of(results, *t)?)));
            }
            // Best first; NaN (no meaning) last.
            ranking.sort_by(|a, b| {
                let key = |v: f64| {
                    if v.is_nan() {
                        f64::INFINITY
                    } else if rule.best == Best::Lowest {
                        v
                    } else {
                        -v
                    }
                };
                key(a.1).total_cmp(&key(b.1))
            });
            let top = ranking.first().map_or(f64::NAN, |r| r.1);
            let best: Vec<Technique> =
                ranking.iter().filter(|(_, v)| !v.is_nan() && *v == top).map(|(t, _)| *t).collect();
            Ok(PredictionOutcome::Choice {
                correct: best.contains(&predicted),
                predicted,
                best,
                ranking,
                metric: rule.metric,
                explanation: predict.explain.clone(),
            })
        }
        (Prediction::Number { .. }, Guess::Choice(_)) => {
            Err(Error::BadGuess("this prediction asks for a number".into()))
        }
        (Prediction::Choice { .. }, Guess::Number(_)) => {
            Err(Error::BadGuess("this prediction asks for a choice".into()))
        }
    }
}

/// Whether `predicted` is within `tolerance` (a fraction) of `measured`; around a measured
/// 0 the tolerance is read as an absolute amount.
pub fn within(predicted: f64, measured: f64, tolerance: f64) -> bool {
    if measured.is_nan() {
        return false;
    }
    let allowed = if measured == 0.0 { tolerance } else { tolerance * measured.abs() };
    (predicted - measured).abs() <= allowed + 1e-12
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use rtclab_techniques::metrics::LatencyMs;

    use super::*;
    use crate::blocks::{AnswerRule, Condition};
    use crate::params::WorkloadParams;

    fn metrics(t: &str, requests: u64, delivered: u64, bytes: u64, p50: f64) -> Metrics {
        Metrics {
            technique: t.into(),
            requests,
            delivered,
            empty_responses: requests.saturating_sub(delivered),
            bytes_on_wire: bytes,
            bytes_per_message: bytes as f64 / delivered.max(1) as f64,
            latency_ms: LatencyMs { p50, ..Default::default() },
            ..Default::default()
        }
    }

    fn challenge(conditions: Vec<Condition>) -> Challenge {
        Challenge {
            id: "c".into(),
            goal: "g".into(),
            technique: Technique::LongPolling,
            fixed: WorkloadParams::default(),
            editable: vec![],
            check: conditions,
            solution: BTreeMap::new(),
            hint: "h".into(),
        }
    }

    #[test]
    fn challenge_passes_only_when_every_condition_holds() {
        let c = challenge(vec![
            Condition { metric: Metric::Delivered, op: Op::Ge, value: 20.0 },
            Condition { metric: Metric::Requests, op: Op::Le, value: 25.0 },
        ]);
        let ok = check_challenge(&c, &[metrics("long-polling", 22, 20, 9000, 1.0)]);
        assert!(ok.passed);
        assert_eq!(ok.conditions[1].measured, 22.0);
        let too_many = check_challenge(&c, &[metrics("long-polling", 80, 20, 9000, 1.0)]);
        assert!(!too_many.passed);
        assert!(too_many.conditions[0].passed && !too_many.conditions[1].passed);
        let missing = check_challenge(&c, &[metrics("polling", 22, 20, 9000, 1.0)]);
        assert!(!missing.passed && missing.conditions.iter().all(|c| c.measured.is_nan()));
    }

    #[test]
    fn nothing_delivered_never_passes_a_latency_goal() {
        let c = challenge(vec![Condition { metric: Metric::LatencyP95, op: Op::Le, value: 100.0 }]);
        assert!(!check_challenge(&c, &[metrics("long-polling", 5, 0, 900, 0.0)]).passed);
    }

    fn predict(prediction: Prediction) -> Predict {
        Predict { id: "p".into(), experiment: "e".into(), question: "?".into(), prediction, explain: "because".into() }
    }

    #[test]
    fn number_predictions_use_a_relative_tolerance() {
        let p = predict(Prediction::Number {
            metric: "polling.empty_share".parse().unwrap(),
            unit: "share".into(),
            tolerance: 0.2,
        });
        let results = [metrics("polling", 40, 10, 30000, 120.0)];
        let hit = score_prediction(&p, &Guess::Number(0.7), &results).unwrap();
        assert!(hit.is_correct(), "{}", hit.summary());
        let miss = score_prediction(&p, &Guess::Number(0.5), &results).unwrap();
        assert!(!miss.is_correct());
        assert_eq!(miss.explanation(), "because");
        assert!(miss.summary().contains("measured 0.750"), "{}", miss.summary());
        assert!(score_prediction(&p, &Guess::Choice(0), &results).is_err());
        assert!(score_prediction(&p, &Guess::Number(f64::NAN), &results).is_err());
    }

    #[test]
    fn choice_predictions_rank_by_the_rule() {
        let results = [
            metrics("polling", 40, 10, 8000, 120.0),
            metrics("websocket", 1, 10, 2000, 1.0),
            metrics("sse", 1, 10, 2000, 1.5),
        ];
        let rule = |s: &str| s.parse::<AnswerRule>().unwrap();
        let choices = vec![Technique::Polling, Technique::Websocket, Technique::Sse];
        let p = predict(Prediction::Choice { choices: choices.clone(), rule: rule("lowest:latency_ms.p50") });
        let out = score_prediction(&p, &Guess::Choice(1), &results).unwrap();
        assert!(out.is_correct());
        let PredictionOutcome::Choice { ranking, best, .. } = &out else { panic!() };
        assert_eq!(ranking[0].0, Technique::Websocket);
        assert_eq!(best, &vec![Technique::Websocket]);
        assert!(!score_prediction(&p, &Guess::Choice(0), &results).unwrap().is_correct());

        let p = predict(Prediction::Choice { choices: choices.clone(), rule: rule("highest:bytes_per_message") });
        assert!(score_prediction(&p, &Guess::Choice(0), &results).unwrap().is_correct());

        // A tie: both are right.
        let p = predict(Prediction::Choice { choices, rule: rule("lowest:bytes_per_message") });
        assert!(score_prediction(&p, &Guess::Choice(1), &results).unwrap().is_correct());
        assert!(score_prediction(&p, &Guess::Choice(2), &results).unwrap().is_correct());
        assert!(score_prediction(&p, &Guess::Choice(3), &results).is_err());
        assert!(matches!(
            score_prediction(&p, &Guess::Choice(0), &results[..1]),
            Err(Error::MissingResults(Technique::Websocket))
        ));
    }

    #[test]
    fn tolerance_around_zero_is_absolute() {
        assert!(within(0.05, 0.0, 0.1));
        assert!(!within(0.5, 0.0, 0.1));
        assert!(within(110.0, 100.0, 0.1));
        assert!(!within(111.0, 100.0, 0.1));
        assert!(!within(1.0, f64::NAN, 10.0));
    }
}
