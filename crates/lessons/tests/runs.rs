//! The course against the real engine: every experiment block runs (shortened), every
//! prediction's expected answer is what the engine measures, and every challenge passes
//! with its solution and fails from its starting setting.
//!
//! Runs go through `rtclab_techniques::Experiment` on real loopback sockets, a few at a
//! time so timings stay meaningful on a two-core machine.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rtclab_lessons::{Course, ExperimentBlock, Guess, Prediction, check_challenge, load_dir, score_prediction};
use rtclab_techniques::{Experiment, Metrics, RunReport, Workload};
use rtclab_trace::Recorder;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Runs at once; each is a server, a tap and a handful of clients.
const PARALLEL_RUNS: usize = 6;

fn course() -> Course {
    load_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../lessons"))
}

/// Runs every (label, experiment) a few at a time; results in the same order.
async fn run_all(runs: Vec<(String, Experiment)>) -> Vec<(String, RunReport)> {
    let permits = Arc::new(Semaphore::new(PARALLEL_RUNS));
    let mut set = JoinSet::new();
    for (i, (label, exp)) in runs.into_iter().enumerate() {
        let permits = permits.clone();
        set.spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            let report = exp.run(&Recorder::new(), &|_| {}).await.unwrap_or_else(|e| panic!("{label}: {e}"));
            (i, label, report)
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.unwrap());
    }
    out.sort_by_key(|(i, _, _)| *i);
    out.into_iter().map(|(_, l, r)| (l, r)).collect()
}

fn block_runs(lesson: &str, block: &ExperimentBlock, workload: &Workload) -> Vec<(String, Experiment)> {
    block
        .techniques
        .iter()
        .map(|t| (format!("{lesson}/{}/{t}", block.id), Experiment::new(*t, workload.clone())))
        .collect()
}

/// Metrics of one block's runs, from all results.
fn results_of(all: &[(String, RunReport)], lesson: &str, block: &str) -> Vec<Metrics> {
    let prefix = format!("{lesson}/{block}/");
    all.iter().filter(|(l, _)| l.starts_with(&prefix)).map(|(_, r)| r.metrics.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_experiment_runs_shortened_and_produces_results() {
    let course = course();
    let mut runs = Vec::new();
    for lesson in &course.lessons {
        for block in lesson.experiments() {
            let w = block.params.shortened(1000, 5).to_workload().unwrap();
            assert!(w.duration <= Duration::from_secs(1) && w.clients <= 5);
            runs.extend(block_runs(&lesson.id, block, &w));
        }
    }
    assert!(runs.len() >= 8, "only {} runs", runs.len());
    let all = run_all(runs).await;
    for (label, r) in &all {
        let m = &r.metrics;
        if r.workload.answer_token_delay.is_some() {
            // A streamed answer: one request per client, words as events, nothing published.
            assert_eq!(m.requests, u64::from(r.workload.clients), "{label}: one request each");
            assert!(m.sse_events > 10 * u64::from(r.workload.clients), "{label}: the answer's words");
            assert_eq!(m.protocol_errors, 0, "{label}: protocol errors");
            continue;
        }
        assert_eq!(m.published, r.workload.messages(), "{label}: published");
        assert_eq!(m.delivered, r.expected_deliveries, "{label}: every message reaches every client");
        assert_eq!(m.protocol_errors, 0, "{label}: protocol errors");
        assert!(m.requests >= u64::from(r.workload.clients), "{label}: each client sends at least one request");
        assert!(m.bytes_per_message > 0.0, "{label}: bytes per message");
    }
    // Every prediction can be scored on these results.
    for lesson in &course.lessons {
        for p in lesson.predicts() {
            let results = results_of(&all, &lesson.id, &p.experiment);
            let guess = match &p.prediction {
                Prediction::Number { .. } => Guess::Number(1.0),
                Prediction::Choice { .. } => Guess::Choice(0),
            };
            let outcome = score_prediction(p, &guess, &results).unwrap_or_else(|e| panic!("{}: {e}", p.id));
            if let rtclab_lessons::PredictionOutcome::Number { measured, .. } = outcome {
                assert!(measured.is_finite(), "{}: measured {measured}", p.id);
            }
        }
    }
}

/// What each lesson's text leads the learner to expect; the engine must agree. (Counts the
/// text states elsewhere are declared in their experiment's `states` and checked too.)
fn expected_answers() -> BTreeMap<&'static str, Guess> {
    BTreeMap::from([
        ("more-bytes", Guess::Choice(0)),             // polling
        ("empty-share", Guess::Number(0.75)),         // three answers in four are empty
        ("poll-delay", Guess::Number(125.0)),         // half an interval of 250 ms
        ("requests-per-message", Guess::Number(1.0)), // about one
        ("who-is-faster", Guess::Choice(1)),          // long polling
        ("busy-bytes", Guess::Choice(0)),             // polling batches
        ("sse-requests", Guess::Number(5.0)),         // one per client
        ("stream-bytes", Guess::Choice(1)),           // sse
        ("chat-bytes", Guess::Choice(2)),             // websocket
        ("chat-delay", Guess::Choice(0)),             // polling
        ("most-requests", Guess::Choice(0)),          // polling
        ("costliest", Guess::Choice(0)),              // polling
        ("ticker-requests", Guess::Choice(0)),        // long polling
        ("slowest", Guess::Choice(0)),                // polling
        ("polling-batches", Guess::Number(0.2)),      // one request per five messages
        ("resumed-requests", Guess::Number(3.0)),     // one reconnect per client
        ("nothing-lost", Guess::Number(90.0)),        // all replayed
        ("answer-requests", Guess::Number(1.0)),      // one request for the whole answer
        ("answer-events", Guess::Number(44.0)),       // 43 words and [DONE]
        ("pongs", Guess::Number(12.0)),               // six pings per client, each answered
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn predictions_expected_by_the_text_match_full_runs() {
    let course = course();
    let expected = expected_answers();
    let mut runs = Vec::new();
    let mut wanted = Vec::new();
    for lesson in &course.lessons {
        for p in lesson.predicts() {
            assert!(expected.contains_key(p.id.as_str()), "add the expected answer of `{}` to this test", p.id);
            let key = (lesson.id.clone(), p.experiment.clone());
            if !wanted.contains(&key) {
                let block = lesson.experiment(&p.experiment).unwrap();
                runs.extend(block_runs(&lesson.id, block, &block.workload().unwrap()));
                wanted.push(key);
            }
        }
    }
    // Experiments whose lesson states counts about them run too.
    for lesson in &course.lessons {
        for block in lesson.experiments().filter(|b| !b.states.is_empty()) {
            let key = (lesson.id.clone(), block.id.clone());
            if !wanted.contains(&key) {
                runs.extend(block_runs(&lesson.id, block, &block.workload().unwrap()));
                wanted.push(key);
            }
        }
    }
    let all = run_all(runs).await;
    let mut wrong = Vec::new();
    for lesson in &course.lessons {
        let text = std::fs::read_to_string(&lesson.file).unwrap();
        for block in lesson.experiments() {
            let results = results_of(&all, &lesson.id, &block.id);
            for s in &block.states {
                // Quoted in the lesson outside the block itself, so the reader sees it.
                if text.matches(s.says.as_str()).count() < 2 {
                    wrong.push(format!("{}/{}: the lesson never says {:?}", lesson.id, block.id, s.says));
                }
                let measured = s.metric.resolve(&results).unwrap();
                if !rtclab_lessons::scoring::within(s.value, measured, s.tolerance) {
                    wrong.push(format!(
                        "{}/{}: {:?} stands for {} = {}, measured {measured:.3} (not within ±{:.0}%)",
                        lesson.id,
                        block.id,
                        s.says,
                        s.metric,
                        s.value,
                        s.tolerance * 100.0
                    ));
                }
            }
        }
        for p in lesson.predicts() {
            let results = results_of(&all, &lesson.id, &p.experiment);
            let outcome = score_prediction(p, &expected[p.id.as_str()], &results).unwrap();
            if !outcome.is_correct() {
                wrong.push(format!("{}/{}: {}", lesson.id, p.id, outcome.summary()));
            }
        }
    }
    assert!(wrong.is_empty(), "the engine disagrees with the lessons:\n{}", wrong.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_challenge_passes_with_its_solution_and_fails_from_its_start() {
    let course = course();
    let mut runs = Vec::new();
    let mut challenges = Vec::new();
    for lesson in &course.lessons {
        for c in lesson.challenges() {
            let solution = c.solution_workload().unwrap();
            let start = c.workload(&c.start_settings()).unwrap();
            assert!(solution.duration <= Duration::from_secs(5) && solution.clients <= 5, "{}: keep it short", c.id);
            runs.push((format!("{}/solution", c.id), Experiment::new(c.technique, solution)));
            runs.push((format!("{}/start", c.id), Experiment::new(c.technique, start)));
            challenges.push(c.clone());
        }
    }
    assert!(challenges.len() >= 4);
    let all = run_all(runs).await;
    for c in &challenges {
        let metrics = |which: &str| -> Vec<Metrics> {
            let label = format!("{}/{which}", c.id);
            all.iter().filter(|(l, _)| *l == label).map(|(_, r)| r.metrics.clone()).collect()
        };
        let solved = check_challenge(c, &metrics("solution"));
        assert!(solved.passed, "{}: the solution fails: {:#?}", c.id, solved.conditions);
        let start = check_challenge(c, &metrics("start"));
        assert!(!start.passed, "{}: the starting setting already passes: {:#?}", c.id, start.conditions);
    }
}
