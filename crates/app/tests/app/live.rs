//! The figures a learner watches during a run end where the final table starts.

use rtclab_app::api::{RunState, StartRun, WorkloadDto};
use rtclab_app::service::Lab;
use rtclab_techniques::{Direction, Workload, metrics};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_figures_at_the_end_equal_the_final_metrics_for_every_technique() {
    let w = Workload {
        clients: 3,
        rate: 20.0,
        payload: 32,
        duration: std::time::Duration::from_millis(600),
        direction: Direction::Down,
        seed: 7,
        poll_interval: std::time::Duration::from_millis(100),
        ..Workload::default()
    };
    let techniques = ["polling", "long-polling", "sse", "websocket"];
    let lab = Lab::new();
    lab.start(StartRun {
        techniques: techniques.iter().map(|t| t.to_string()).collect(),
        workload: WorkloadDto::from(&w),
    })
    .unwrap();
    // A status taken while it runs catches the live figures up part of the way.
    assert_eq!(lab.status().state, RunState::Running);
    tokio::time::timeout(std::time::Duration::from_secs(60), lab.wait_until_idle())
        .await
        .expect("finishes in a minute");
    let status = lab.status();
    assert_eq!(status.state, RunState::Finished, "{:?}", status.error);
    let events = lab.trace_since(0);
    assert_eq!(status.live.len(), techniques.len());
    for (live, t) in status.live.iter().zip(techniques) {
        let from_trace = metrics::compute(t, events.iter().filter(|e| &*e.experiment == t));
        assert_eq!(live, &from_trace, "{t}: live figures vs metrics::compute over the trace");
        let result = status.results.iter().find(|r| r.technique == t).unwrap();
        assert_eq!(live.delivered, result.metrics.delivered, "{t}");
        assert_eq!(live.requests, result.metrics.requests, "{t}");
        assert_eq!(live.bytes_on_wire, result.metrics.bytes_on_wire, "{t}");
        assert_eq!(live.latency_ms, result.metrics.latency_ms, "{t}");
        assert!(live.delivered > 0, "{t} delivered nothing");
    }
    assert!(!status.findings.is_empty(), "the finished run says what it shows");
}
