//! The shipped course: every lesson in `lessons/` loads and validates with no problems,
//! and each lesson has what the course promises.

use std::path::PathBuf;

use rtclab_lessons::{Block, load_dir, validate};

fn lessons_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../lessons")
}

#[test]
fn the_course_validates_with_no_problems() {
    let course = load_dir(lessons_dir());
    let problems = validate(&course);
    let listing: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{}", listing.join("\n"));
}

#[test]
fn lessons_come_in_order_with_their_blocks() {
    let course = load_dir(lessons_dir());
    let ids: Vec<&str> = course.lessons.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "the-push-problem",
            "polling",
            "long-polling",
            "server-sent-events",
            "websockets",
            "choosing",
            "decision-tree",
            "key-takeaways",
            "stun-and-nats",
            "nat-types",
            "ice",
            "turn",
            "sessions-behind-a-load-balancer",
            "a-connection-registry",
            "node-failure-and-recovery",
            "reconnect-storms",
            "scaling-up-and-down",
            "signalling-and-sdp",
            "data-channels",
            "websockets-or-webrtc",
            "media-over-webrtc",
            "group-calls-mesh-or-sfu",
            "media-on-a-bad-network"
        ]
    );
    for lesson in &course.lessons {
        let nat = lesson.nat_blocks().count();
        let cluster = lesson.cluster_blocks().count();
        let webrtc = lesson.webrtc_blocks().count();
        if webrtc > 0 {
            // A WebRTC-in-practice lesson: its runs are webrtc blocks, each a prediction
            // (tests/webrtc_blocks.rs runs every one), with at least two to make.
            assert!(webrtc >= 2, "{} needs at least two predictions", lesson.id);
        } else if cluster > 0 {
            // A scaling-lab lesson: its runs are cluster blocks, each a prediction or a challenge
            // (tests/cluster_blocks.rs runs every one).
            assert!(
                lesson.cluster_blocks().any(|b| b.prediction.is_some()),
                "{} needs a cluster prediction",
                lesson.id
            );
        } else if nat > 0 {
            // A NAT lesson: a run to predict and a challenge, each a NAT block.
            let challenges = lesson.nat_blocks().filter(|b| b.challenge.is_some()).count();
            assert!(challenges >= 1 && nat > challenges, "{} needs a NAT prediction and a NAT challenge", lesson.id);
        } else {
            assert!(lesson.experiments().count() >= 1, "{} has no experiment", lesson.id);
            assert!(
                lesson.predicts().count() + lesson.challenges().count() >= 1,
                "{} has no prediction or challenge",
                lesson.id
            );
        }
        for e in lesson.experiments() {
            let w = e.workload().unwrap();
            assert!(w.duration.as_millis() <= 5000, "{}/{} runs too long", lesson.id, e.id);
            assert!(w.clients <= 10, "{}/{} has too many clients", lesson.id, e.id);
        }
        // Text and blocks alternate in file order, and every text segment rendered.
        let mut last = 0;
        for seg in &lesson.segments {
            let line = match seg {
                rtclab_lessons::Segment::Text(t) => {
                    assert!(!t.html.is_empty());
                    t.line
                }
                rtclab_lessons::Segment::Block(b) => b.line,
            };
            assert!(line > last, "{}: segments out of order", lesson.id);
            last = line;
        }
    }
    assert!(course.tree.is_some(), "the decision tree did not load");
}

#[test]
fn every_challenge_starts_failing_and_has_a_valid_solution() {
    let course = load_dir(lessons_dir());
    for lesson in &course.lessons {
        for c in lesson.challenges() {
            c.solution_workload().unwrap_or_else(|e| panic!("{}: {e}", c.id));
            c.workload(&c.start_settings()).unwrap_or_else(|e| panic!("{}: {e}", c.id));
            assert_ne!(c.start_settings(), c.solution, "{}: the start already is the solution", c.id);
        }
        for b in lesson.blocks() {
            if let Block::Quiz(q) = b {
                assert!(q.answer < q.choices.len());
            }
        }
    }
}
