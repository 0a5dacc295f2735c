//! A live NAT-lab run as the app starts it: paced, its signalling through the lab's real
//! WebSocket relay and the tap, streamed to subscribers, stoppable.

use std::time::Duration;

use rtclab_app::api::{LiveMessage, RunState};
use rtclab_app::nat_live::{self, NatLiveRequest, NatSpeed};
use rtclab_app::service::Lab;
use rtclab_natlab::session::{Scenario, run};
use rtclab_natlab::view::NatRunRequest;
use rtclab_trace::EventKind;

fn request(a: &str, b: &str, speed: f64) -> NatLiveRequest {
    let mut run: NatRunRequest = serde_json::from_value(serde_json::json!({ "nat_a": a, "nat_b": b })).unwrap();
    run.predicted_direct = Some(true);
    NatLiveRequest { run, speed }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_run_signals_over_the_tapped_relay_and_ends_as_the_virtual_run_does() {
    let lab = Lab::new();
    let mut live = lab.subscribe();
    let started = nat_live::start(&lab, &request("restricted-cone", "symmetric", 2.0)).unwrap();
    assert_eq!(started.state, RunState::Running);
    assert!(nat_live::start(&lab, &request("none", "none", 1.0)).is_err(), "one run at a time");
    assert!(nat_live::set_speed(&lab, &NatSpeed { speed: 42.0 }).unwrap_err().to_string().contains("out of range"));
    tokio::time::timeout(Duration::from_secs(60), lab.wait_until_idle()).await.expect("ends in a minute");
    assert_eq!(lab.status().state, RunState::Finished, "{:?}", lab.status().error);

    let done = lab.nat_live().unwrap();
    assert_eq!(done.state, RunState::Finished);
    let view = done.view.unwrap();
    let scenario = Scenario {
        nat_a: "restricted-cone".parse().unwrap(),
        nat_b: "symmetric".parse().unwrap(),
        ..Scenario::default()
    };
    assert_eq!(view.outcome, run(&scenario).unwrap().outcome.name(), "paced and virtual agree");
    assert!(view.prediction.is_some(), "the prediction is scored at the end");

    // Every signal the peers sent crossed the tap twice (peer → relay → other peer).
    let signals = view.events.iter().filter(|e| e.kind == "signal").count();
    let frames: Vec<String> = lab
        .trace_since(0)
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::WsFrame { opcode: 1, payload, .. } => payload.text.clone(),
            _ => None,
        })
        .collect();
    assert!(signals >= 3, "offer, answer and candidates: {signals}");
    assert_eq!(frames.len(), signals * 2, "{frames:#?}");
    assert!(frames.iter().any(|f| f.starts_with(r#"{"type":"offer""#)));

    // Subscribers were sent the run as it went, then its end.
    let mut states = Vec::new();
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(500), live.recv()).await {
        if let LiveMessage::Nat { live } = m {
            states.push(live.state);
        }
    }
    assert_eq!(states.first(), Some(&RunState::Running));
    assert_eq!(states.last(), Some(&RunState::Finished));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_run_can_be_slowed_and_stopped() {
    let lab = Lab::new();
    nat_live::start(&lab, &request("symmetric", "symmetric", 1.0)).unwrap();
    let slowed = nat_live::set_speed(&lab, &NatSpeed { speed: 0.1 }).unwrap();
    assert_eq!(slowed.speed, 0.1);
    // Wait until the peers have signalled through the relay, then stop.
    let mut frames = lab.recorder().subscribe().1;
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(e) = frames.recv().await {
            if matches!(e.kind, EventKind::WsFrame { opcode: 1, .. }) {
                break;
            }
        }
    })
    .await
    .expect("a signalling frame within 20 s");
    lab.stop();
    tokio::time::timeout(Duration::from_secs(20), lab.wait_until_idle()).await.expect("stops promptly");
    let done = lab.nat_live().unwrap();
    assert_eq!(done.state, RunState::Stopped);
    assert_eq!(lab.status().state, RunState::Stopped);
    assert!(done.at_ms < 15_000.0, "stopped before ICE gave up: {}", done.at_ms);
    assert!(nat_live::set_speed(&lab, &NatSpeed { speed: 1.0 }).unwrap_err().to_string().contains("no live"));
}
