//! The paced driver: the same session as the virtual run, at a pace measured on the wall
//! clock, with signals crossing real channels (the app puts the lab's WebSocket relay there).

use std::time::{Duration, Instant};

use rtclab_natlab::paced::{self, Controls, Links};
use rtclab_natlab::session::{Outcome, Scenario, SimEventKind, run};
use tokio::sync::{mpsc, watch};

fn scenario(a: &str, b: &str) -> Scenario {
    Scenario { nat_a: a.parse().unwrap(), nat_b: b.parse().unwrap(), ..Scenario::default() }
}

/// Two crossed channels: what A sends arrives at B and back.
fn crossed_links() -> Links {
    let (a_to_b, at_b) = mpsc::unbounded_channel();
    let (b_to_a, at_a) = mpsc::unbounded_channel();
    Links { outgoing: [a_to_b, b_to_a], incoming: [at_a, at_b] }
}

fn signals(r: &rtclab_natlab::session::RunReport) -> Vec<String> {
    r.events
        .iter()
        .filter_map(|e| match &e.kind {
            SimEventKind::Signal { from, summary, .. } => {
                Some(format!("{from}: {}", summary.split(' ').next().unwrap()))
            }
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_paced_run_takes_the_virtual_runs_steps_at_the_chosen_speed() {
    let s = scenario("full-cone", "port-restricted");
    let virtual_run = run(&s).unwrap();
    let speed = 4.0;
    let (_speed_tx, speed_rx) = watch::channel(speed);
    let (_stop_tx, stop_rx) = watch::channel(false);
    let mut progress_calls = 0;
    let wall = Instant::now();
    let paced = paced::run(&s, crossed_links(), Controls { speed: speed_rx, stop: stop_rx }, |_| progress_calls += 1)
        .await
        .unwrap();
    let wall = wall.elapsed();
    assert!(!paced.stopped);
    assert_eq!(paced.report.outcome, virtual_run.outcome);
    assert_eq!(paced.report.outcome, Outcome::Srflx);
    assert_eq!(signals(&paced.report), signals(&virtual_run));
    // Paced, not jumped: the wall clock covered the virtual run divided by the speed.
    let expected = Duration::from_secs_f64(paced.report.ran_ms / 1000.0 / speed);
    assert!(wall >= expected.mul_f64(0.95), "ran {wall:?} of wall time for {expected:?} of paced time");
    assert!(progress_calls >= 1);
}

#[tokio::test]
async fn stopping_ends_a_paused_run_with_what_it_had_so_far() {
    let s = scenario("symmetric", "symmetric");
    let (speed_tx, speed_rx) = watch::channel(1.0);
    let (stop_tx, stop_rx) = watch::channel(false);
    let (seen_tx, mut seen) = mpsc::unbounded_channel::<Duration>();
    let run = tokio::spawn(async move {
        paced::run(&s, crossed_links(), Controls { speed: speed_rx, stop: stop_rx }, |session| {
            let _ = seen_tx.send(session.now);
        })
        .await
    });
    // Wait until the run has made progress, then pause it and stop it.
    loop {
        let now = tokio::time::timeout(Duration::from_secs(10), seen.recv()).await.unwrap().unwrap();
        if now > Duration::from_millis(100) {
            break;
        }
    }
    speed_tx.send(0.0).unwrap();
    stop_tx.send(true).unwrap();
    let done = tokio::time::timeout(Duration::from_secs(10), run).await.unwrap().unwrap().unwrap();
    assert!(done.stopped);
    assert_eq!(done.report.outcome, Outcome::Failed);
    assert!(done.report.ran_ms < 15_000.0, "stopped long before ICE would give up: {}", done.report.ran_ms);
    assert!(signals(&done.report).iter().any(|s| s == "A: offer"));
}

#[tokio::test]
async fn a_message_the_relay_refused_is_shown_as_a_problem() {
    let s = scenario("none", "none");
    let links = crossed_links();
    // The relay's answer to a message it could not pass on, as it reaches A.
    links.outgoing[1].send(r#"{"error":"no other peer is in room \"x\" yet"}"#.into()).unwrap();
    let (_speed_tx, speed_rx) = watch::channel(10.0);
    let (_stop_tx, stop_rx) = watch::channel(false);
    let done = paced::run(&s, links, Controls { speed: speed_rx, stop: stop_rx }, |_| {}).await.unwrap();
    let problems = &done.report.peers[0].problems;
    assert!(
        problems.iter().any(|p| p.contains("signalling server said") && p.contains("no other peer")),
        "{problems:?}"
    );
    assert_eq!(done.report.outcome, Outcome::Host, "the refused message did not disturb the call");
}
