//! Behaviour of the four techniques over real loopback sockets, checked on the trace.

use std::sync::Arc;
use std::time::Duration;

use rtclab_techniques::experiment::Phase;
use rtclab_techniques::{Direction, Experiment, Technique, Workload};
use rtclab_trace::{EventKind, Recorder, TraceEvent};

fn quiet(_: Phase) {}

fn small(clients: u32, rate: f64, secs: f64) -> Workload {
    Workload {
        clients,
        rate,
        payload: 32,
        duration: Duration::from_secs_f64(secs),
        poll_interval: Duration::from_millis(200),
        ..Workload::default()
    }
}

fn events_of(r: &Recorder, exp: &str) -> Vec<Arc<TraceEvent>> {
    r.snapshot().into_iter().filter(|e| &*e.experiment == exp).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_technique_delivers_every_message() {
    for t in Technique::ALL {
        let r = Recorder::new();
        let rep = Experiment::new(t, small(3, 20.0, 1.0)).run(&r, &quiet).await.unwrap();
        let m = &rep.metrics;
        assert_eq!(m.published, 20, "{t}");
        assert_eq!(m.delivered, rep.expected_deliveries, "{t}: {m:?}");
        assert_eq!(m.duplicates, 0, "{t}");
        let errors: Vec<_> = events_of(&r, t.as_str())
            .into_iter()
            .filter(|e| matches!(e.kind, EventKind::ProtocolError { .. }))
            .collect();
        assert!(errors.is_empty(), "{t}: {errors:#?}");
    }
}
