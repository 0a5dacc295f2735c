//! `rtc-lab cluster` end to end: the report's counts, and the thundering herd with and
//! without jitter.

use rtclab_cluster::experiment::{ClusterSpec, run};

fn kill_spec(jitter: bool) -> ClusterSpec {
    ClusterSpec {
        nodes: 3,
        clients: 90,
        messages: 150,
        rate: 300.0,
        kill_node: Some(0),
        jitter,
        ..ClusterSpec::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_moves_a_third_of_the_clients_and_every_one_recovers_without_loss() {
    let r = run(&kill_spec(true)).await.unwrap();
    assert_eq!(r.published, 150);
    assert_eq!(r.moved, 30, "{r:?}");
    assert_eq!(r.recovered, 30, "{r:?}");
    assert_eq!((r.lost, r.duplicates, r.out_of_order, r.not_recovered), (0, 0, 0, 0), "{r:?}");
    assert_eq!(r.delivered, 150 * 90);
    assert!(r.recovery_ms.is_some() && r.fanout_ms.p50 > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jitter_flattens_the_reconnect_spike() {
    let herd = run(&kill_spec(false)).await.unwrap();
    let spread = run(&kill_spec(true)).await.unwrap();
    // Without jitter the 30 come back in one 100 ms slot; with full jitter over 500 ms, far fewer at once.
    assert!(herd.reconnect_peak_per_100ms >= 25, "{:?}", herd.reconnects_per_100ms);
    assert!(
        spread.reconnect_peak_per_100ms * 3 <= herd.reconnect_peak_per_100ms * 2,
        "jitter {:?} vs none {:?}",
        spread.reconnects_per_100ms,
        herd.reconnects_per_100ms
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_missed_more_than_the_history_are_counted_not_recovered_never_lost() {
    let spec = ClusterSpec {
        nodes: 2,
        clients: 10,
        messages: 200,
        rate: 500.0,
        kill_node: Some(0),
        history: 20,
        ..ClusterSpec::default()
    };
    let began = std::time::Instant::now();
    let r = run(&spec).await.unwrap();
    assert!(r.not_recovered >= 1, "{r:?}");
    assert_eq!(r.recovered + r.not_recovered, r.moved, "{r:?}");
    assert_eq!((r.lost, r.duplicates, r.out_of_order), (0, 0, 0), "{r:?}");
    assert!(began.elapsed() < std::time::Duration::from_secs(10), "the run ends once every client is at the top");
}
