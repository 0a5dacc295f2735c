//! Starting runs: one at a time, whoever asks.

use std::sync::{Arc, Barrier};

use rtclab_app::api::{StartRun, WorkloadDto};
use rtclab_app::service::Lab;
use rtclab_techniques::Workload;

fn small_run() -> StartRun {
    let w = Workload { clients: 1, rate: 5.0, duration: std::time::Duration::from_millis(300), ..Workload::default() };
    StartRun { techniques: vec!["websocket".into()], workload: WorkloadDto::from(&w) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_starts_at_once_give_one_run_and_one_conflict() {
    for _ in 0..20 {
        let lab = Lab::new();
        let gate = Arc::new(Barrier::new(2));
        let attempts: Vec<_> = (0..2)
            .map(|_| {
                let (lab, gate) = (lab.clone(), gate.clone());
                tokio::task::spawn_blocking(move || {
                    gate.wait();
                    lab.start(small_run())
                })
            })
            .collect();
        let mut ok = 0;
        let mut conflicts = 0;
        for a in attempts {
            match a.await.unwrap() {
                Ok(_) => ok += 1,
                Err(e) if e.kind() == "conflict" => conflicts += 1,
                Err(e) => panic!("unexpected error: {e}"),
            }
        }
        assert_eq!((ok, conflicts), (1, 1));
        lab.stop();
        lab.wait_until_idle().await;
    }
}
