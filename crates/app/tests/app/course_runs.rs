//! Each prediction and challenge is scored against its own run, whatever ran in between.

use std::collections::BTreeMap;
use std::time::Duration;

use rtclab_app::App;
use rtclab_app::course::LessonSource;
use rtclab_app::learn::GuessDto;
use rtclab_app::ops::{Api, BlockRef, ExperimentStart};

const LESSON: &str = "long-polling";

fn app(name: &str) -> App {
    let data = std::env::temp_dir().join(format!("rtc-lab-course-runs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    App::new(LessonSource::BuiltIn, &data)
}

fn number(n: f64) -> GuessDto {
    GuessDto { number: Some(n), choice: None }
}

fn choice(c: u32) -> GuessDto {
    GuessDto { number: None, choice: Some(c) }
}

/// Starts an experiment with its guesses and waits for it; returns the run id.
async fn run(app: &App, experiment: &str, guesses: &[(&str, GuessDto)]) -> u64 {
    let guesses: BTreeMap<String, GuessDto> = guesses.iter().map(|(k, g)| (k.to_string(), g.clone())).collect();
    let status =
        app.start_experiment(ExperimentStart { lesson: LESSON.into(), id: experiment.into(), guesses }).unwrap();
    tokio::time::timeout(Duration::from_secs(90), app.lab.wait_until_idle()).await.expect("the run ends");
    status.run_id
}

fn predict(app: &App, id: &str) -> Result<rtclab_app::learn::PredictionResult, rtclab_app::LabError> {
    app.predict(BlockRef { lesson: LESSON.into(), id: id.into() })
}

/// Long polling's requests per delivered message in the given run, as the lesson's metric.
fn requests_per_message(app: &App, run_id: u64) -> f64 {
    let course = app.course(()).unwrap();
    let run = course.runs.iter().find(|r| r.run_id == run_id).expect("the run is kept");
    let m = &run.results.iter().find(|r| r.technique == "long-polling").unwrap().metrics;
    m.requests as f64 / m.delivered as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn predictions_are_scored_against_their_own_experiment_in_either_order() {
    for order in [["hold-the-request", "busy-feed"], ["busy-feed", "hold-the-request"]] {
        let app = app(order[0]);
        let mut runs = BTreeMap::new();
        for experiment in order {
            let guesses: Vec<(&str, GuessDto)> = match experiment {
                "hold-the-request" => vec![("requests-per-message", number(1.0)), ("who-is-faster", choice(1))],
                _ => vec![("busy-bytes", choice(0))],
            };
            runs.insert(experiment, run(&app, experiment, &guesses).await);
        }
        let rpm = predict(&app, "requests-per-message").unwrap();
        assert_eq!(rpm.run_id, runs["hold-the-request"], "{order:?}");
        let own = requests_per_message(&app, runs["hold-the-request"]);
        let other = requests_per_message(&app, runs["busy-feed"]);
        let shown: f64 = rpm.measured.split(' ').next().unwrap().parse().unwrap();
        assert!(
            (shown - own).abs() < 0.006,
            "{order:?}: scored {shown} vs its own run's {own:.3} (the other run: {other:.3})"
        );
        let faster = predict(&app, "who-is-faster").unwrap();
        assert_eq!(faster.run_id, runs["hold-the-request"]);
        assert!(faster.correct, "long polling is faster at 1 msg/s: {faster:?}");
        let bytes = predict(&app, "busy-bytes").unwrap();
        assert_eq!(bytes.run_id, runs["busy-feed"], "{order:?}");
        assert!(bytes.correct, "polling spends fewer bytes per message at 20 msg/s: {bytes:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_scored_without_its_own_finished_run() {
    let app = app("own-run");
    let err = predict(&app, "busy-bytes").unwrap_err();
    assert_eq!(err.kind(), "conflict");
    assert!(err.to_string().contains("lock in your prediction"), "{err}");

    // Another experiment's run scores neither this prediction nor the lesson's challenge.
    run(&app, "hold-the-request", &[("who-is-faster", choice(1))]).await;
    assert_eq!(predict(&app, "busy-bytes").unwrap_err().kind(), "conflict");
    let err = app.check_challenge(BlockRef { lesson: LESSON.into(), id: "timeout".into() }).unwrap_err();
    assert_eq!(err.kind(), "conflict");
    assert!(err.to_string().contains("run this challenge first"), "{err}");

    // A guess for another experiment's prediction is refused when the run starts.
    let wrong = ExperimentStart {
        lesson: LESSON.into(),
        id: "hold-the-request".into(),
        guesses: [("busy-bytes".to_owned(), choice(0))].into(),
    };
    assert_eq!(app.start_experiment(wrong).unwrap_err().kind(), "bad_request");

    // Scored once: asking again gives the same answer and counts one attempt.
    let first = predict(&app, "who-is-faster").unwrap();
    let again = predict(&app, "who-is-faster").unwrap();
    assert_eq!((first.run_id, first.correct), (again.run_id, again.correct));
    let progress = app.course(()).unwrap().progress;
    let record = &progress.predictions["long-polling/who-is-faster"];
    assert_eq!(record.attempts, 1);
    assert_eq!(record.first.as_ref().map(|a| a.correct), Some(first.correct));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_attempt_needs_a_fresh_run_and_progress_keeps_the_first() {
    let app = app("attempts");
    // Wrong first: polling is not faster at 1 msg/s.
    run(&app, "hold-the-request", &[("who-is-faster", choice(0))]).await;
    let first = predict(&app, "who-is-faster").unwrap();
    assert!(!first.correct);
    run(&app, "hold-the-request", &[("who-is-faster", choice(1))]).await;
    let second = predict(&app, "who-is-faster").unwrap();
    assert!(second.correct);
    assert_ne!(first.run_id, second.run_id);
    let progress = app.course(()).unwrap().progress;
    let record = &progress.predictions["long-polling/who-is-faster"];
    assert_eq!(record.attempts, 2);
    assert_eq!(record.first.as_ref().map(|a| a.correct), Some(false), "the first attempt is kept");
    assert!(record.ever_correct && record.correct);
}
