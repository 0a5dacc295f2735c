//! A lesson's scaling-lab block through the app, as the doors call it: a prediction is scored
//! against the block's own run (a wrong one is called wrong), a guess is required first, a
//! challenge refuses changes it does not allow and passes only when its run reaches the goal.

use rtclab_app::App;
use rtclab_app::course::LessonSource;
use rtclab_app::learn::ClusterBlockRun;
use rtclab_app::ops::Api;
use rtclab_cluster::balancer::LbMode;
use rtclab_lessons::ClusterSettings;

const LESSON: &str = "sessions-behind-a-load-balancer";

fn app(name: &str) -> App {
    let data = std::env::temp_dir().join(format!("rtc-lab-cluster-blocks-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    App::new(LessonSource::BuiltIn, &data)
}

fn block(id: &str, predicted: Option<f64>, changes: ClusterSettings) -> ClusterBlockRun {
    ClusterBlockRun { lesson: LESSON.into(), id: id.into(), predicted, changes }
}

#[test]
fn a_prediction_is_scored_against_its_own_run() {
    let app = app("predict");
    let e = app.run_cluster_block(block("round-robin-logins", None, ClusterSettings::default())).unwrap_err();
    assert!(e.to_string().contains("prediction first"), "{e}");
    let wrong = app.run_cluster_block(block("round-robin-logins", Some(6.0), ClusterSettings::default())).unwrap();
    assert_eq!((wrong.metric.as_str(), wrong.measured, wrong.right), ("accepted", 0.0, Some(false)));
    let right = app.run_cluster_block(block("round-robin-logins", Some(0.0), ClusterSettings::default())).unwrap();
    assert_eq!(right.right, Some(true));
    let p = app.course(()).unwrap().progress;
    let rec = &p.predictions[&format!("{LESSON}/round-robin-logins")];
    assert_eq!((rec.attempts, rec.first.as_ref().unwrap().correct, rec.correct), (2, false, true), "{rec:?}");
}

#[test]
fn a_challenge_takes_only_its_allowed_changes_and_passes_on_its_run() {
    let app = app("challenge");
    let refused = ClusterSettings { users: Some(1), ..ClusterSettings::default() };
    let e = app.run_cluster_block(block("make-logins-stick", None, refused)).unwrap_err();
    assert!(e.to_string().contains("does not let you change `users`"), "{e}");
    let as_given = app.run_cluster_block(block("make-logins-stick", None, ClusterSettings::default())).unwrap();
    assert!(!as_given.challenge.unwrap().passed, "round-robin refuses every WebSocket");
    let sticky = ClusterSettings { mode: Some(LbMode::StickyCookie), ..ClusterSettings::default() };
    let solved = app.run_cluster_block(block("make-logins-stick", None, sticky)).unwrap();
    let c = solved.challenge.unwrap();
    assert!(c.passed, "{}", c.says);
    assert_eq!(solved.lb_check.unwrap().accepted, 6);
    assert!(app.course(()).unwrap().progress.challenges[&format!("{LESSON}/make-logins-stick")]);
}
