//! The course's decision tree (`lessons/decision-tree.toml`) recommends what the lessons
//! teach for typical workloads, explains each step, and maps descriptions to safe runs.

use std::path::PathBuf;
use std::time::Duration;

use rtclab_lessons::tree::{Answer, Flow, Recommended, comparison_workload};
use rtclab_lessons::{DecisionTree, WorkloadDescription, recommend};
use rtclab_techniques::{Direction, Technique};

fn tree() -> DecisionTree {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../lessons/decision-tree.toml");
    DecisionTree::load(&path).unwrap_or_else(|p| panic!("{p:#?}"))
}

fn describe(per_second: f64, direction: Flow, clients: u32, payload: usize, delay_ms: u64) -> WorkloadDescription {
    WorkloadDescription {
        updates_per_second_per_client: per_second,
        direction,
        clients,
        payload_bytes: payload,
        acceptable_delay_ms: delay_ms,
    }
}

#[test]
fn typical_workloads_get_the_technique_the_course_teaches() {
    let tree = tree();
    let cases = [
        ("team chat", describe(0.5, Flow::Both, 20, 200, 300), Recommended::Websocket),
        ("multiplayer game", describe(30.0, Flow::Both, 8, 64, 50), Recommended::Websocket),
        ("IoT sensors taking commands", describe(1.0, Flow::Both, 500, 100, 1000), Recommended::Websocket),
        ("video call", describe(30.0, Flow::PeerToPeer, 2, 1200, 100), Recommended::Webrtc),
        ("stock ticker", describe(5.0, Flow::Down, 1000, 80, 200), Recommended::Sse),
        ("streamed AI answer", describe(30.0, Flow::Down, 1, 16, 100), Recommended::Sse),
        ("notifications", describe(1.0 / 300.0, Flow::Down, 5000, 300, 1000), Recommended::Sse),
        ("news feed", describe(1.0 / 30.0, Flow::Down, 200, 500, 10_000), Recommended::LongPolling),
        ("dashboard refreshed every minute", describe(1.0 / 60.0, Flow::Down, 50, 2000, 60_000), Recommended::Polling),
        ("mail check", describe(1.0 / 600.0, Flow::Down, 1, 300, 30_000), Recommended::Polling),
    ];
    for (name, d, want) in cases {
        let r = recommend(&tree, &d);
        assert_eq!(r.technique, want, "{name}: {:#?}", r.path);
        assert!(!r.reasons.is_empty(), "{name}");
        assert!(!r.path.is_empty(), "{name}");
        assert!(!r.runners_up.contains(&r.technique), "{name}");
    }
}

#[test]
fn the_path_says_which_value_decided_each_answer() {
    let r = recommend(&tree(), &describe(1.0 / 60.0, Flow::Down, 50, 2000, 60_000));
    let steps: Vec<(&str, Answer)> = r.path.iter().map(|s| (s.node.as_str(), s.answer)).collect();
    assert_eq!(
        steps,
        [
            ("peer-to-peer", Answer::No),
            ("bidirectional", Answer::No),
            ("server-stream", Answer::No),
            ("seconds-of-delay", Answer::No),
            ("very-low-frequency", Answer::Yes),
        ]
    );
    assert!(r.path[0].why.contains("who sends is down, not peer-to-peer, so no"), "{}", r.path[0].why);
    assert!(r.path[2].why.contains("updates per second per client is 0.0167"), "{}", r.path[2].why);
    assert!(r.path[3].why.contains("acceptable delay (ms) is 60000, not below 30000, so no"), "{}", r.path[3].why);
    assert!(r.path[4].why.contains("acceptable delay (ms) is 60000, at least 30000, so yes"), "{}", r.path[4].why);
    assert!(r.path.iter().all(|s| !s.question.is_empty()));
}

#[test]
fn webrtc_is_recommended_and_sent_to_the_nat_lab() {
    let r = recommend(&tree(), &describe(30.0, Flow::PeerToPeer, 2, 1200, 100));
    assert_eq!(r.technique, Recommended::Webrtc);
    assert_eq!(r.technique.runnable(), None);
    assert!(r.note.as_deref().unwrap_or("").contains("NAT lab"), "{:?}", r.note);
    assert_eq!(r.techniques_to_compare(), vec![Technique::Websocket]);
    let w = comparison_workload(&describe(30.0, Flow::PeerToPeer, 2, 1200, 100));
    assert_eq!(w.direction, Direction::Both);
}

#[test]
fn side_by_side_runs_are_short_and_safe() {
    let d = describe(5.0, Flow::Down, 100_000, 1 << 20, 200);
    let w = comparison_workload(&d);
    w.validate().unwrap();
    assert!(w.duration <= Duration::from_secs(10));
    assert!(w.clients <= 200);
    let r = recommend(&tree(), &d);
    assert_eq!(r.techniques_to_compare(), vec![Technique::Sse, Technique::Websocket, Technique::LongPolling]);
}
