//! The course as the UI sees it: lessons split into safe HTML and interactive segments,
//! predictions scored and challenges checked against the lab's latest measurements, the
//! decision-tree wizard, and the learner's progress kept in their data directory.
//!
//! - [`types`]: what crosses the door (ts-rs exported).
//! - [`progress`]: the progress file (atomic writes, an unreadable file never overwritten).

pub mod progress;
pub mod types;

pub use progress::{ProgressStore, default_data_dir};
pub use types::*;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rtclab_lessons::{Block, Guess, Lesson, Prediction, PredictionOutcome, Segment};
use rtclab_techniques::Metrics;

use crate::api::{RunState, RunStatus, StartRun, WorkloadDto};
use crate::course::LessonSource;
use crate::error::LabError;
use crate::service::Lab;

/// The course service.
#[derive(Debug, Clone)]
pub struct Learn {
    lessons: LessonSource,
    store: ProgressStore,
}

fn problem_dto(p: &rtclab_lessons::Problem, base: &Path) -> ProblemDto {
    let file = p.file.strip_prefix(base).unwrap_or(&p.file).display().to_string();
    ProblemDto { file, line: p.line as u32, message: p.message.clone(), hint: p.hint.clone() }
}

fn not_found(what: &str) -> LabError {
    LabError::NotFound(format!("{what} is not in the course"))
}

impl Learn {
    pub fn new(lessons: LessonSource, data_dir: &Path) -> Self {
        Learn { lessons, store: ProgressStore::new(data_dir) }
    }

    /// The saved progress, or empty progress when the file cannot be read (the course
    /// then says so through [`CourseDto::progress_problem`]).
    pub fn progress(&self) -> Progress {
        self.store.load().unwrap_or_default()
    }

    fn update(&self, f: impl FnOnce(&mut Progress)) -> Result<Progress, LabError> {
        self.store.update(f)
    }

    /// Starts over; an unreadable progress file is kept aside, never deleted.
    pub fn reset_progress(&self) -> Result<Progress, LabError> {
        self.store.start_fresh()?;
        Ok(self.progress())
    }

    pub fn complete(&self, lesson: &str) -> Result<Progress, LabError> {
        let course = self.lessons.load();
        course.lesson(lesson).ok_or_else(|| not_found(lesson))?;
        self.update(|p| mark_done(p, lesson))
    }

    /// The course, read fresh (lesson files may be edited while the app runs).
    pub fn course(&self) -> CourseDto {
        let course = self.lessons.load();
        let problems = rtclab_lessons::validate(&course);
        let mut lessons = Vec::new();
        for l in &course.lessons {
            let mine: Vec<ProblemDto> =
                problems.iter().filter(|p| p.file == l.file).map(|p| problem_dto(p, &course.dir)).collect();
            let segments = l.segments.iter().filter_map(segment_dto).collect();
            lessons.push(LessonDto {
                id: l.id.clone(),
                title: l.title.clone(),
                order: l.order,
                minutes: l.minutes,
                prerequisites: l.prerequisites.clone(),
                segments,
                problems: mine,
            });
        }
        let files: Vec<&PathBuf> = course.lessons.iter().map(|l| &l.file).collect();
        let other =
            problems.iter().filter(|p| !files.contains(&&p.file)).map(|p| problem_dto(p, &course.dir)).collect();
        let progress_problem = self.store.load().err().map(|b| b.to_string());
        CourseDto { lessons, problems: other, progress: self.progress(), progress_problem }
    }

    /// Scores a prediction against the figures of the lab's finished run.
    pub fn predict(&self, lab: &Lab, lesson: &str, id: &str, guess: &GuessDto) -> Result<PredictionResult, LabError> {
        let course = self.lessons.load();
        let l = course.lesson(lesson).ok_or_else(|| not_found(lesson))?;
        let p = l.predicts().find(|p| p.id == id).ok_or_else(|| not_found(id))?;
        let g = match (&p.prediction, guess.number, guess.choice) {
            (Prediction::Number { .. }, Some(n), _) if n.is_finite() => Guess::Number(n),
            (Prediction::Choice { choices, .. }, _, Some(c)) if (c as usize) < choices.len() => {
                Guess::Choice(c as usize)
            }
            _ => return Err(LabError::BadRequest("give a number, or pick one of the choices".into())),
        };
        let status = lab.status();
        let exp = l.experiment(&p.experiment).ok_or_else(|| not_found(&p.experiment))?;
        let metrics = finished_metrics(&status, &exp.techniques.iter().map(|t| t.to_string()).collect::<Vec<_>>())?;
        let outcome =
            rtclab_lessons::score_prediction(p, &g, &metrics).map_err(|e| LabError::BadRequest(e.to_string()))?;
        let result = match &outcome {
            PredictionOutcome::Number {
                unit, predicted, measured, tolerance, within_tolerance, explanation, ..
            } => PredictionResult {
                correct: *within_tolerance,
                predicted: format!("{} {unit}", fmt_num(*predicted)),
                measured: format!("{} {unit}", fmt_num(*measured)),
                explanation: explanation.clone(),
                detail: vec![format!("Counted as right within ±{:.0}% of the measurement.", tolerance * 100.0)],
            },
            PredictionOutcome::Choice { predicted, best, ranking, metric, correct, explanation } => PredictionResult {
                correct: *correct,
                predicted: predicted.to_string(),
                measured: best.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" / "),
                explanation: explanation.clone(),
                detail: ranking.iter().map(|(t, v)| format!("{t}: {metric} = {}", fmt_num(*v))).collect(),
            },
        };
        let key = format!("{lesson}/{id}");
        let record = PredictionRecord {
            predicted: result.predicted.clone(),
            measured: result.measured.clone(),
            correct: result.correct,
        };
        self.update(|pr| {
            pr.predictions.insert(key, record);
            mark_done_if_finished(pr, l);
        })?;
        Ok(result)
    }

    pub fn quiz(&self, lesson: &str, id: &str, choice: u32) -> Result<QuizResult, LabError> {
        let course = self.lessons.load();
        let l = course.lesson(lesson).ok_or_else(|| not_found(lesson))?;
        let q = l.quizzes().find(|q| q.id == id).ok_or_else(|| not_found(id))?;
        if choice as usize >= q.choices.len() {
            return Err(LabError::BadRequest(format!(
                "choice {choice} does not exist; pick 0 to {}",
                q.choices.len() - 1
            )));
        }
        let correct = choice as usize == q.answer;
        self.update(|p| {
            p.quizzes.insert(format!("{lesson}/{id}"), correct);
        })?;
        Ok(QuizResult { correct, answer: q.answer as u32, why: q.why.clone() })
    }

    /// Starts a challenge run with the learner's settings (fixed parameters cannot change).
    pub fn start_challenge(
        &self,
        lab: &Lab,
        lesson: &str,
        id: &str,
        settings: &BTreeMap<String, f64>,
    ) -> Result<RunStatus, LabError> {
        let course = self.lessons.load();
        let l = course.lesson(lesson).ok_or_else(|| not_found(lesson))?;
        let c = l.challenges().find(|c| c.id == id).ok_or_else(|| not_found(id))?;
        let w = c.workload(settings).map_err(|e| LabError::BadRequest(e.to_string()))?;
        lab.start(StartRun { techniques: vec![c.technique.to_string()], workload: WorkloadDto::from(&w) })
    }

    /// Checks a challenge's goal against the finished run.
    pub fn check_challenge(&self, lab: &Lab, lesson: &str, id: &str) -> Result<ChallengeResultDto, LabError> {
        let course = self.lessons.load();
        let l = course.lesson(lesson).ok_or_else(|| not_found(lesson))?;
        let c = l.challenges().find(|c| c.id == id).ok_or_else(|| not_found(id))?;
        let metrics = finished_metrics(&lab.status(), &[c.technique.to_string()])?;
        let r = rtclab_lessons::check_challenge(c, &metrics);
        let dto = ChallengeResultDto {
            passed: r.passed,
            technique: r.technique.to_string(),
            conditions: r
                .conditions
                .iter()
                .map(|k| ConditionDto {
                    metric: k.metric.to_string(),
                    op: k.op.symbol().to_owned(),
                    required: k.required,
                    measured: k.measured.is_finite().then_some(k.measured),
                    passed: k.passed,
                })
                .collect(),
        };
        let passed = dto.passed;
        self.update(|p| {
            let e = p.challenges.entry(format!("{lesson}/{id}")).or_insert(false);
            *e |= passed;
            mark_done_if_finished(p, l);
        })?;
        Ok(dto)
    }

    /// The decision tree's answer for a described workload.
    pub fn recommend(&self, input: &WizardInput) -> Result<WizardAnswer, LabError> {
        let course = self.lessons.load();
        let tree = course.tree.as_ref().ok_or_else(|| {
            LabError::NotFound("the decision tree (lessons/decision-tree.toml) is missing or broken".into())
        })?;
        if !(input.updates_per_second_per_client.is_finite() && input.updates_per_second_per_client > 0.0) {
            return Err(LabError::BadRequest("updates per second per client must be above 0".into()));
        }
        if input.clients == 0 {
            return Err(LabError::BadRequest("clients must be at least 1".into()));
        }
        let direction = input.direction.parse().map_err(|e: String| LabError::BadRequest(e))?;
        let d = rtclab_lessons::WorkloadDescription {
            updates_per_second_per_client: input.updates_per_second_per_client,
            direction,
            clients: input.clients,
            payload_bytes: input.payload_bytes as usize,
            acceptable_delay_ms: input.acceptable_delay_ms,
        };
        let r = rtclab_lessons::recommend(tree, &d);
        let w = rtclab_lessons::tree::comparison_workload(&d);
        Ok(WizardAnswer {
            technique: r.technique.as_str().to_owned(),
            runnable: r.technique.runnable().is_some(),
            reasons: r.reasons.clone(),
            note: r.note.clone(),
            path: r
                .path
                .iter()
                .map(|s| WizardStep {
                    question: s.question.clone(),
                    answer: serde_json::to_value(s.answer)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    why: s.why.clone(),
                })
                .collect(),
            compare: r.techniques_to_compare().iter().map(|t| t.to_string()).collect(),
            workload: WorkloadDto::from(&w),
        })
    }
}

fn mark_done(p: &mut Progress, lesson: &str) {
    if !p.completed.iter().any(|c| c == lesson) {
        p.completed.push(lesson.to_owned());
    }
}

/// A lesson is complete once every prediction is made and every challenge passed.
fn mark_done_if_finished(p: &mut Progress, l: &Lesson) {
    let done = l.predicts().all(|b| p.predictions.contains_key(&format!("{}/{}", l.id, b.id)))
        && l.challenges().all(|b| p.challenges.get(&format!("{}/{}", l.id, b.id)) == Some(&true));
    if done {
        mark_done(p, &l.id);
    }
}

fn segment_dto(s: &Segment) -> Option<SegmentDto> {
    Some(match s {
        Segment::Text(t) => SegmentDto::Text { html: t.html.clone() },
        Segment::Block(b) => match &b.block {
            Block::Experiment(e) => SegmentDto::Experiment {
                id: e.id.clone(),
                techniques: e.techniques.iter().map(|t| t.to_string()).collect(),
                workload: WorkloadDto::from(&e.workload().ok()?),
                caption: e.caption.clone(),
            },
            Block::Predict(p) => {
                let (unit, choices) = match &p.prediction {
                    Prediction::Number { unit, .. } => (Some(unit.clone()), Vec::new()),
                    Prediction::Choice { choices, .. } => (None, choices.iter().map(|t| t.to_string()).collect()),
                };
                SegmentDto::Predict {
                    id: p.id.clone(),
                    experiment: p.experiment.clone(),
                    question: p.question.clone(),
                    unit,
                    choices,
                }
            }
            Block::Quiz(q) => {
                SegmentDto::Quiz { id: q.id.clone(), question: q.question.clone(), choices: q.choices.clone() }
            }
            Block::Challenge(c) => SegmentDto::Challenge {
                id: c.id.clone(),
                goal: c.goal.clone(),
                technique: c.technique.to_string(),
                editable: c
                    .editable
                    .iter()
                    .map(|e| EditableDto { param: e.param.clone(), min: e.min, max: e.max, start: e.start })
                    .collect(),
                hint: c.hint.clone(),
            },
        },
    })
}

/// The metrics of the finished run, which must have measured every technique needed.
fn finished_metrics(status: &RunStatus, needed: &[String]) -> Result<Vec<Metrics>, LabError> {
    if status.state != RunState::Finished || status.source != "run" {
        return Err(LabError::Conflict("run the experiment first, and let it finish".into()));
    }
    let missing: Vec<&String> = needed.iter().filter(|t| !status.results.iter().any(|r| &r.technique == *t)).collect();
    if !missing.is_empty() {
        return Err(LabError::Conflict(format!(
            "the last run did not measure {}; run this block's experiment",
            missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(status.results.iter().map(|r| r.metrics.clone()).collect())
}

fn fmt_num(v: f64) -> String {
    if (v.fract() == 0.0 && v.abs() < 1e15) || v.abs() >= 100.0 { format!("{v:.0}") } else { format!("{v:.2}") }
}
