//! The course as the UI sees it: lessons split into safe HTML and interactive segments,
//! predictions scored and challenges checked against the lab's latest measurements, the
//! decision-tree wizard, and the learner's progress kept in their data directory.
//!
//! - [`types`]: what crosses the door (ts-rs exported).
//! - [`progress`]: the progress file (atomic writes, an unreadable file never overwritten).
//! - [`verdict`]: whether the wizard's live test backs its recommendation, beyond noise.

mod cluster_block;
pub mod progress;
pub mod types;
pub mod verdict;
mod webrtc_block;

pub use progress::{ProgressStore, default_data_dir};
pub use types::*;

/// Runs `work` on a runtime of its own in its own thread, so a block's run works from any
/// thread (a door's blocking handler, a test) and returns when it is over.
pub(crate) fn on_own_runtime<T: Send + 'static>(
    what: &str,
    work: impl std::future::Future<Output = Result<T, LabError>> + Send + 'static,
) -> Result<T, LabError> {
    let what = what.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| LabError::Internal(format!("cannot start a runtime for {what}: {e}")))?;
        rt.block_on(work)
    })
    .join()
    .map_err(|_| LabError::Internal("the run panicked".into()))?
}

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rtclab_lessons::{Block, Guess, Lesson, Metric, Prediction, PredictionOutcome, Segment};
use rtclab_techniques::Metrics;

use crate::api::{BlockRun, ResultRow, RunOrigin, RunStatus, StartRun, WorkloadDto};
use crate::course::LessonSource;
use crate::error::LabError;
use crate::service::Lab;

/// The course service.
#[derive(Debug, Clone)]
pub struct Learn {
    lessons: LessonSource,
    store: ProgressStore,
    /// Predictions locked in with a run, by `(lesson, predict id)`; replaced by the next run.
    commitments: Arc<Mutex<HashMap<(String, String), Commitment>>>,
}

/// A guess locked in when its experiment's run started; scored once, against that run.
#[derive(Debug, Clone)]
struct Commitment {
    run_id: u64,
    guess: GuessDto,
    scored: Option<PredictionResult>,
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
        Learn { lessons, store: ProgressStore::new(data_dir), commitments: Arc::default() }
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

    /// The course, read fresh (lesson files may be edited while the app runs), with each
    /// block's newest finished run and the predictions locked in.
    pub fn course(&self, lab: &Lab) -> CourseDto {
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
        let runs = course
            .lessons
            .iter()
            .flat_map(|l| lab.block_runs_of(&l.id).into_iter().map(move |r| with_table(l, r)))
            .collect();
        let commitments = self
            .commitments
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(_, c)| c.scored.is_none())
            .map(|((lesson, id), c)| CommitmentDto {
                lesson: lesson.clone(),
                id: id.clone(),
                run_id: c.run_id,
                guess: c.guess.clone(),
            })
            .collect();
        CourseDto { lessons, problems: other, progress: self.progress(), progress_problem, runs, commitments }
    }

    /// Runs a lesson's experiment exactly as the lesson wrote it, locking in the learner's
    /// predictions about it (`guesses`, by predict id): each is scored later against this run
    /// and no other. Predicting again takes a fresh run.
    pub fn start_experiment(
        &self,
        lab: &Lab,
        lesson: &str,
        id: &str,
        guesses: &BTreeMap<String, GuessDto>,
    ) -> Result<RunStatus, LabError> {
        let course = self.lessons.load();
        let l = course.lesson(lesson).ok_or_else(|| not_found(lesson))?;
        let exp = l.experiment(id).ok_or_else(|| not_found(id))?;
        for (pid, g) in guesses {
            let p = l.predicts().find(|p| &p.id == pid).ok_or_else(|| not_found(pid))?;
            if p.experiment != id {
                return Err(LabError::BadRequest(format!(
                    "the prediction {pid:?} is about the experiment {:?}, not {id:?}",
                    p.experiment
                )));
            }
            guess_of(p, g)?;
        }
        let w = exp.workload().map_err(|e| LabError::BadRequest(e.to_string()))?;
        let req = StartRun {
            techniques: exp.techniques.iter().map(|t| t.to_string()).collect(),
            workload: WorkloadDto::from(&w),
        };
        let origin = RunOrigin { lesson: lesson.to_owned(), block: id.to_owned() };
        let status = lab.start_from(req, Some(origin))?;
        let mut held = self.commitments.lock().unwrap_or_else(|p| p.into_inner());
        for (pid, g) in guesses {
            held.insert(
                (lesson.to_owned(), pid.clone()),
                Commitment { run_id: status.run_id, guess: g.clone(), scored: None },
            );
        }
        Ok(status)
    }

    /// Scores the prediction locked in with its experiment's run, against that run's
    /// figures. A second call returns the same score: predicting again takes a new run.
    pub fn predict(&self, lab: &Lab, lesson: &str, id: &str) -> Result<PredictionResult, LabError> {
        let course = self.lessons.load();
        let l = course.lesson(lesson).ok_or_else(|| not_found(lesson))?;
        let p = l.predicts().find(|p| p.id == id).ok_or_else(|| not_found(id))?;
        let exp = l.experiment(&p.experiment).ok_or_else(|| not_found(&p.experiment))?;
        let key = (lesson.to_owned(), id.to_owned());
        let commitment = self.commitments.lock().unwrap_or_else(|p| p.into_inner()).get(&key).cloned();
        let Some(commitment) = commitment else {
            return Err(LabError::Conflict(format!(
                "lock in your prediction, then run the experiment “{}”: a prediction is scored against the run it was \
                 locked in with",
                caption_of(exp)
            )));
        };
        if let Some(done) = commitment.scored {
            return Ok(done);
        }
        let origin = RunOrigin { lesson: lesson.to_owned(), block: p.experiment.clone() };
        let run = lab.block_run(&origin).filter(|r| r.run_id == commitment.run_id).ok_or_else(|| {
            LabError::Conflict(format!(
                "run the experiment “{}” to the end first: your prediction is scored against the run it was locked in \
                 with (run {})",
                caption_of(exp),
                commitment.run_id
            ))
        })?;
        let g = guess_of(p, &commitment.guess)?;
        let metrics: Vec<Metrics> = run.results.iter().map(|r| r.metrics.clone()).collect();
        let outcome =
            rtclab_lessons::score_prediction(p, &g, &metrics).map_err(|e| LabError::BadRequest(e.to_string()))?;
        let result = match &outcome {
            PredictionOutcome::Number {
                unit, predicted, measured, tolerance, within_tolerance, explanation, ..
            } => PredictionResult {
                run_id: run.run_id,
                correct: *within_tolerance,
                predicted: format!("{} {unit}", fmt_num(*predicted)),
                measured: format!("{} {unit}", fmt_num(*measured)),
                explanation: explanation.clone(),
                detail: vec![format!("Counted as right within ±{:.0}% of the measurement.", tolerance * 100.0)],
                figures: PredictionFigures::Number { measured: *measured, guess: *predicted, unit: unit.clone() },
            },
            PredictionOutcome::Choice { predicted, best, ranking, metric, correct, explanation } => PredictionResult {
                run_id: run.run_id,
                correct: *correct,
                predicted: predicted.to_string(),
                measured: best.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" / "),
                explanation: explanation.clone(),
                detail: ranking.iter().map(|(t, v)| format!("{t}: {} {}", fmt_num(*v), metric.about())).collect(),
                figures: PredictionFigures::Choice {
                    metric: metric.about().to_owned(),
                    values: ranking
                        .iter()
                        .map(|(t, v)| TechniqueValue { technique: t.to_string(), value: *v })
                        .collect(),
                    picked: predicted.to_string(),
                    best: best.iter().map(|t| t.to_string()).collect(),
                },
            },
        };
        let attempt =
            Attempt { predicted: result.predicted.clone(), measured: result.measured.clone(), correct: result.correct };
        self.update(|pr| {
            let r = pr.predictions.entry(format!("{lesson}/{id}")).or_default();
            if r.first.is_none() {
                // A record from before attempts were kept: its latest attempt is the first known.
                r.first = Some(if r.attempts == 0 && r.predicted.is_empty() {
                    attempt.clone()
                } else {
                    Attempt { predicted: r.predicted.clone(), measured: r.measured.clone(), correct: r.correct }
                });
            }
            r.attempts = r.attempts.max(u32::from(!r.predicted.is_empty())) + 1;
            r.ever_correct |= attempt.correct || r.correct;
            r.predicted = attempt.predicted.clone();
            r.measured = attempt.measured.clone();
            r.correct = attempt.correct;
            mark_done_if_finished(pr, l);
        })?;
        if let Some(c) = self.commitments.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&key)
            && c.run_id == commitment.run_id
        {
            c.scored = Some(result.clone());
        }
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
            let key = format!("{lesson}/{id}");
            let tally = p.quiz_answers.entry(key.clone()).or_default();
            if correct {
                tally.right += 1;
            } else {
                tally.wrong += 1;
            }
            p.quizzes.insert(key, correct);
        })?;
        Ok(QuizResult { correct, answer: q.answer as u32, why: q.why.clone() })
    }

    /// Runs a lesson's NAT block — its own NATs, or a challenge's allowed changes — and scores
    /// the prediction or checks the challenge against this very run.
    pub fn run_nat_block(&self, r: &NatBlockRun) -> Result<NatBlockResult, LabError> {
        let course = self.lessons.load();
        let l = course.lesson(&r.lesson).ok_or_else(|| not_found(&r.lesson))?;
        let b = l.nat_blocks().find(|b| b.id == r.id).ok_or_else(|| not_found(&r.id))?;
        if b.predict.is_some() && r.predicted_direct.is_none() {
            return Err(LabError::BadRequest(
                "say first whether the peers will connect directly: the prediction is scored against this run".into(),
            ));
        }
        let settings = rtclab_lessons::NatSettings { nat_a: r.nat_a.clone(), nat_b: r.nat_b.clone(), turn: r.turn };
        let mut req = b.request(&settings).map_err(|e| LabError::BadRequest(e.to_string()))?;
        req.predicted_direct = r.predicted_direct.filter(|_| b.predict.is_some());
        let view = crate::nat::nat_run(&req)?;
        let key = format!("{}/{}", r.lesson, r.id);
        let challenge = b.challenge.as_ref().map(|c| {
            let outcome = rtclab_natlab::session::Outcome::from_name(&view.outcome)
                .unwrap_or(rtclab_natlab::session::Outcome::Failed);
            challenge_verdict(c.goal.reached(outcome), c.goal.words(), &view.outcome)
        });
        self.update(|p| {
            if let Some(pred) = &view.prediction {
                let attempt = Attempt {
                    predicted: if pred.predicted_direct { "directly".into() } else { "not directly".into() },
                    measured: view.outcome.clone(),
                    correct: pred.right,
                };
                record_attempt(p, &key, attempt);
            }
            if let Some(c) = &challenge {
                *p.challenges.entry(key.clone()).or_insert(false) |= c.passed;
            }
            mark_done_if_finished(p, l);
        })?;
        Ok(NatBlockResult { view, challenge, explain: b.explain.clone() })
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
        let origin = RunOrigin { lesson: lesson.to_owned(), block: id.to_owned() };
        lab.start_from(
            StartRun { techniques: vec![c.technique.to_string()], workload: WorkloadDto::from(&w) },
            Some(origin),
        )
    }

    /// Checks a challenge's goal against the finished run.
    pub fn check_challenge(&self, lab: &Lab, lesson: &str, id: &str) -> Result<ChallengeResultDto, LabError> {
        let course = self.lessons.load();
        let l = course.lesson(lesson).ok_or_else(|| not_found(lesson))?;
        let c = l.challenges().find(|c| c.id == id).ok_or_else(|| not_found(id))?;
        let origin = RunOrigin { lesson: lesson.to_owned(), block: id.to_owned() };
        let run = lab.block_run(&origin).ok_or_else(|| {
            LabError::Conflict("run this challenge first, and let it finish: it is checked against its own run".into())
        })?;
        let metrics: Vec<Metrics> = run.results.iter().map(|r| r.metrics.clone()).collect();
        let r = rtclab_lessons::check_challenge(c, &metrics);
        let dto = ChallengeResultDto {
            passed: r.passed,
            technique: r.technique.to_string(),
            conditions: r
                .conditions
                .iter()
                .map(|k| ConditionDto {
                    says: condition_in_words(k),
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
    /// Runs the wizard's side-by-side test of its answer on the learner's workload (as
    /// planned: scaled and bounded, every change said in the answer).
    pub fn test_recommendation(&self, lab: &Lab, input: &WizardInput) -> Result<RunStatus, LabError> {
        let answer = self.recommend(input)?;
        if let Some(t) = &answer.webrtc_test {
            return crate::practice::start(lab, t);
        }
        if answer.compare.len() < 2 {
            return Err(LabError::BadRequest(format!("there is nothing to measure {} against", answer.technique)));
        }
        lab.start_from(StartRun { techniques: answer.compare, workload: answer.workload }, Some(wizard_origin()))
    }

    /// Whether the finished test of this very answer backs it.
    pub fn wizard_verdict(&self, lab: &Lab, input: &WizardInput) -> Result<verdict::WizardVerdict, LabError> {
        let answer = self.recommend(input)?;
        if let Some(t) = &answer.webrtc_test {
            let status = lab.status();
            let report = status
                .webrtc_vs_ws
                .filter(|r| {
                    status.state != crate::api::RunState::Running
                        && r.messages == t.messages
                        && r.payload_bytes == t.payload_bytes
                })
                .ok_or_else(|| LabError::Conflict("test this answer live first, and let the run finish".into()))?;
            return Ok(verdict::webrtc_verdict(&report, input.acceptable_delay_ms as f64));
        }
        let run = lab
            .block_run(&wizard_origin())
            .filter(|r| r.workload == answer.workload && r.techniques == answer.compare)
            .ok_or_else(|| LabError::Conflict("test this answer live first, and let the run finish".into()))?;
        let budget = verdict::Budget {
            delay_ms: input.acceptable_delay_ms as f64,
            time_scale: answer.time_scale,
            both_ways: input.direction != "down",
        };
        Ok(verdict::verdict(&answer.technique, &run.results, budget))
    }

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
        let plan = rtclab_lessons::tree::comparison_plan(&d);
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
            workload: WorkloadDto::from(&plan.workload),
            time_scale: plan.time_scale,
            changes: plan.changes,
            nat_lab: (r.technique.as_str() == "webrtc").then(|| rtclab_natlab::view::NatRunRequest {
                // A home router's NAT on one side, a carrier's symmetric NAT on the other:
                // the case that needs TURN.
                nat_a: "port-restricted".into(),
                nat_b: "symmetric".into(),
                turn: true,
                ..rtclab_natlab::view::catalog().defaults
            }),
            webrtc_test: (r.technique.as_str() == "webrtc").then(|| webrtc_test(input)),
        })
    }
}

/// The WebRTC answer's live test: the learner's message size and rate, 40 echoes per path,
/// the table's default distances.
fn webrtc_test(input: &WizardInput) -> rtclab_practice::compare::TableRequest {
    rtclab_practice::compare::TableRequest {
        messages: 40,
        interval_ms: (1000.0 / input.updates_per_second_per_client).clamp(5.0, 500.0),
        payload_bytes: input.payload_bytes.clamp(16, 16_000),
        loopback: false,
        ..rtclab_practice::compare::TableRequest::default()
    }
}

/// The wizard's test runs are kept like a lesson block's.
fn wizard_origin() -> RunOrigin {
    RunOrigin { lesson: "(wizard)".into(), block: "test".into() }
}

/// A lab block's challenge, checked against its run: the goal, what was measured, the verdict.
fn challenge_verdict(passed: bool, goal: impl std::fmt::Display, measured: &str) -> NatChallengeResultDto {
    let verdict = if passed { "Passed." } else { "Not yet." };
    NatChallengeResultDto { passed, says: format!("Goal: {goal}. Measured: {measured}. {verdict}") }
}

/// Keeps a block's prediction attempt: the latest, the first (whatever came after), the count.
fn record_attempt(p: &mut Progress, key: &str, attempt: Attempt) {
    let rec = p.predictions.entry(key.to_owned()).or_default();
    rec.first.get_or_insert(attempt.clone());
    rec.attempts += 1;
    rec.ever_correct |= attempt.correct;
    rec.predicted = attempt.predicted;
    rec.measured = attempt.measured;
    rec.correct = attempt.correct;
}

fn mark_done(p: &mut Progress, lesson: &str) {
    if !p.completed.iter().any(|c| c == lesson) {
        p.completed.push(lesson.to_owned());
    }
}

/// A lesson is complete once every prediction is made and every challenge passed (NAT and
/// cluster blocks included).
fn mark_done_if_finished(p: &mut Progress, l: &Lesson) {
    let key = |id: &str| format!("{}/{}", l.id, id);
    let done = l.predicts().all(|b| p.predictions.contains_key(&key(&b.id)))
        && l.challenges().all(|b| p.challenges.get(&key(&b.id)) == Some(&true))
        && l.nat_blocks().all(|b| match &b.challenge {
            Some(_) => p.challenges.get(&key(&b.id)) == Some(&true),
            None => p.predictions.contains_key(&key(&b.id)),
        })
        && l.cluster_blocks().all(|b| match &b.challenge {
            Some(_) => p.challenges.get(&key(&b.id)) == Some(&true),
            None => p.predictions.contains_key(&key(&b.id)),
        });
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
                settings: e.settings(),
                columns: e.columns().iter().map(|m| m.column().to_owned()).collect(),
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
            Block::Nat(n) => SegmentDto::Nat {
                id: n.id.clone(),
                nat_a: n.nat_a.clone(),
                nat_b: n.nat_b.clone(),
                turn: n.turn,
                sdp_edit: n.sdp_edit,
                settings: n.settings(),
                caption: n.caption.clone(),
                predict: n.predict.clone(),
                challenge: n.challenge.as_ref().map(|c| c.task.clone()),
                goal: n.challenge.as_ref().map(|c| c.goal.words().to_owned()),
                may_change: n.challenge.as_ref().map(|c| c.may_change.clone()).unwrap_or_default(),
                hint: n.challenge.as_ref().and_then(|c| c.hint.clone()),
            },
            Block::Cluster(c) => SegmentDto::Cluster {
                id: c.id.clone(),
                check: rtclab_lessons::ClusterCheck::NAMES[c.check as usize].to_owned(),
                settings: c.describe(),
                start: c.settings.clone(),
                caption: c.caption.clone(),
                predict: c.prediction.as_ref().map(|p| p.question.clone()),
                metric: c.prediction.as_ref().map(|p| p.metric.clone()),
                challenge: c.challenge.as_ref().map(|ch| ch.task.clone()),
                goal: c.challenge.as_ref().map(|ch| ch.goal.words()),
                may_change: c.challenge.as_ref().map(|ch| ch.may_change.clone()).unwrap_or_default(),
                hint: c.challenge.as_ref().and_then(|ch| ch.hint.clone()),
            },
            Block::Webrtc(w) => SegmentDto::Webrtc {
                id: w.id.clone(),
                check: w.check.name().to_owned(),
                settings: w.describe(),
                caption: w.caption.clone(),
                predict: w.prediction.question.clone(),
                metric: w.prediction.metric.clone(),
                tolerance: w.prediction.tolerance,
            },
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

/// The learner's guess, checked against the kind of prediction.
fn guess_of(p: &rtclab_lessons::Predict, g: &GuessDto) -> Result<Guess, LabError> {
    match (&p.prediction, g.number, g.choice) {
        (Prediction::Number { .. }, Some(n), _) if n.is_finite() => Ok(Guess::Number(n)),
        (Prediction::Choice { choices, .. }, _, Some(c)) if (c as usize) < choices.len() => {
            Ok(Guess::Choice(c as usize))
        }
        (Prediction::Number { .. }, ..) => {
            Err(LabError::BadRequest(format!("the prediction {:?} takes a number", p.id)))
        }
        (Prediction::Choice { .. }, ..) => {
            Err(LabError::BadRequest(format!("the prediction {:?} takes one of its choices", p.id)))
        }
    }
}

/// A challenge condition as a learner reads it, with what was measured.
fn condition_in_words(k: &rtclab_lessons::scoring::ConditionResult) -> String {
    let measured = if k.measured.is_finite() { k.metric.format(k.measured) } else { "nothing to measure".into() };
    format!("{} {} {}: measured {measured}", k.metric.column(), k.op.in_words(), k.metric.format(k.required))
}

/// A block run with its result table, in the columns its experiment block chose.
fn with_table(lesson: &Lesson, mut run: BlockRun) -> BlockRun {
    let Some(block) = lesson.experiment(&run.origin.block) else { return run };
    let columns = block.columns();
    run.table = run
        .results
        .iter()
        .map(|r| ResultRow {
            technique: r.technique.clone(),
            cells: columns
                .iter()
                .map(|m| match m {
                    Metric::Delivered => format!("{} of {}", r.metrics.delivered, r.expected_deliveries),
                    m => m.format(m.value(&r.metrics)),
                })
                .collect(),
        })
        .collect();
    run
}

/// How a lesson names an experiment to the learner.
fn caption_of(e: &rtclab_lessons::ExperimentBlock) -> String {
    e.caption.clone().filter(|c| !c.is_empty()).unwrap_or_else(|| e.id.clone())
}

fn fmt_num(v: f64) -> String {
    if (v.fract() == 0.0 && v.abs() < 1e15) || v.abs() >= 100.0 { format!("{v:.0}") } else { format!("{v:.2}") }
}
