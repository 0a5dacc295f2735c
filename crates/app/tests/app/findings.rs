//! Every finding is true of each technique it is said of: each rule is tried against the
//! measured figures of all four techniques, on a quiet and on a busy feed.

use std::collections::BTreeSet;
use std::time::Duration;

use rtclab_app::compare::{self, Measured, RULES};
use rtclab_techniques::{Technique, Workload};
use rtclab_trace::Recorder;

async fn rules_that_hold(rate: f64) -> Vec<(Technique, BTreeSet<&'static str>)> {
    let w = Workload {
        clients: 5,
        rate,
        duration: Duration::from_secs(4),
        poll_interval: Duration::from_millis(500),
        seed: 11,
        ..Workload::default()
    };
    let all = [Technique::Polling, Technique::LongPolling, Technique::Sse, Technique::Websocket];
    let c = compare::run(&all, &w, &Recorder::new(), &|_, _, _| {}, None).await.unwrap();
    c.runs
        .iter()
        .map(|r| {
            let m =
                Measured { technique: r.technique, metrics: &r.metrics, expected_deliveries: r.expected_deliveries };
            let held = RULES.iter().filter(|rule| (rule.holds)(&m, Some(&w))).map(|rule| rule.id).collect();
            (r.technique, held)
        })
        .collect()
}

fn check(held: &[(Technique, BTreeSet<&str>)], t: Technique, must: &[&str], never: &[&str]) {
    let (_, ids) = held.iter().find(|(x, _)| *x == t).unwrap();
    for id in must {
        assert!(ids.contains(id), "{t}: `{id}` should hold; held {ids:?}");
    }
    for id in never {
        assert!(!ids.contains(id), "{t}: `{id}` is false of it; held {ids:?}");
    }
}

const STREAM: &str = "one-stream-carries-everything";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_rule_holds_only_where_it_is_true() {
    let quiet = rules_that_hold(1.0).await;
    check(&quiet, Technique::Polling, &["empty-answers", "waits-for-the-next-poll", "cost-and-delay"], &[STREAM]);
    check(
        &quiet,
        Technique::LongPolling,
        &["request-per-message", "cost-and-delay"],
        &[STREAM, "waits-for-the-next-poll"],
    );
    for t in [Technique::Sse, Technique::Websocket] {
        check(
            &quiet,
            t,
            &[STREAM, "cost-and-delay"],
            &["empty-answers", "batched-answers", "request-per-message", "waits-for-the-next-poll"],
        );
    }

    // 20 messages per second against a 500 ms poll: polling batches, long polling does not.
    let busy = rules_that_hold(20.0).await;
    check(&busy, Technique::Polling, &["batched-answers"], &[STREAM]);
    check(&busy, Technique::LongPolling, &["request-per-message"], &[STREAM, "batched-answers"]);
    for t in [Technique::Sse, Technique::Websocket] {
        check(&busy, t, &[STREAM], &["empty-answers", "batched-answers", "request-per-message"]);
    }
}
