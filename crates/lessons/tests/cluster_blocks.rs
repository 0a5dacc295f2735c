//! Every scaling-lab block of the shipped course, run for real: a prediction's `expected`
//! (what its explanation tells the learner) is what the run measures, and a challenge fails
//! from the block's own settings and passes with its solution.

use std::path::PathBuf;

use rtclab_lessons::blocks::cluster::{kill_metric, session_metric};
use rtclab_lessons::{ClusterBlock, ClusterRun, ClusterSettings, load_dir};

fn lessons_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../lessons")
}

async fn measure(b: &ClusterBlock, changes: &ClusterSettings, metric: &str) -> f64 {
    match b.run(changes).unwrap() {
        ClusterRun::Sessions(r) => {
            let backend = rtclab_cluster::backend::BackendSpec::Memory;
            let c = rtclab_cluster::sessions::check(r.mode, r.nodes, r.users, &backend).await.unwrap();
            session_metric(&c, metric).unwrap()
        }
        ClusterRun::Kill(r) => {
            let report = rtclab_cluster::experiment::run(&r.spec().unwrap()).await.unwrap();
            kill_metric(&report, metric).unwrap()
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cluster_block_says_what_its_run_measures() {
    let course = load_dir(lessons_dir());
    let mut blocks = 0;
    for lesson in &course.lessons {
        for b in lesson.cluster_blocks() {
            blocks += 1;
            let at = format!("{}/{}", lesson.id, b.id);
            if let Some(p) = &b.prediction {
                let got = measure(b, &ClusterSettings::default(), &p.metric).await;
                assert!(
                    (got - p.expected).abs() <= p.tolerance,
                    "{at}: the lesson says {} = {}, the run measured {got}",
                    p.metric,
                    p.expected
                );
            }
            if let Some(c) = &b.challenge {
                let start = measure(b, &ClusterSettings::default(), &c.goal.metric).await;
                assert!(
                    !c.goal.reached(start),
                    "{at}: the challenge is already solved from its start ({} = {start})",
                    c.goal.metric
                );
                let solved = measure(b, &c.solution, &c.goal.metric).await;
                assert!(c.goal.reached(solved), "{at}: the solution does not reach {} ({solved})", c.goal.words());
            }
        }
    }
    assert!(blocks >= 8, "the scaling lessons' blocks: {blocks}");
}

#[test]
fn a_block_refuses_a_change_its_challenge_does_not_allow() {
    let course = load_dir(lessons_dir());
    let b = course.lessons.iter().flat_map(|l| l.cluster_blocks()).find(|b| b.id == "make-logins-stick").unwrap();
    let e = b.run(&ClusterSettings { users: Some(2), ..ClusterSettings::default() }).unwrap_err();
    assert!(e.to_string().contains("does not let you change `users`; you may change: mode"), "{e}");
    let p = course.lessons.iter().flat_map(|l| l.cluster_blocks()).find(|b| b.id == "who-moves").unwrap();
    let e = p.run(&ClusterSettings { history: Some(5), ..ClusterSettings::default() }).unwrap_err();
    assert!(e.to_string().contains("you may change: none"), "{e}");
}
