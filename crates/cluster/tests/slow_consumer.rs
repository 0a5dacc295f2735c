//! A client that reads slower than publications arrive: its node's queue for it is bounded,
//! and the policy past the bound is visible — a 1008 close and a recovery, or dropped
//! publications the client is told of — never a silent loss, and the fast clients unaffected.

use rtclab_cluster::experiment::{ClusterSpec, run};
use rtclab_cluster::slow::{SlowConsumer, SlowPolicy};

fn spec(policy: SlowPolicy) -> ClusterSpec {
    ClusterSpec {
        nodes: 2,
        clients: 6,
        messages: 300,
        rate: 200.0,
        slow: SlowConsumer { limit: 16, policy },
        slow_clients: 2,
        payload: 2000,
        ..ClusterSpec::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_disconnects_with_1008_and_the_client_recovers_every_message() {
    let r = run(&spec(SlowPolicy::Disconnect)).await.unwrap();
    assert!(r.slow_disconnects >= 2, "each slow client is closed at least once: {r:#?}");
    assert_eq!((r.lost, r.duplicates, r.out_of_order, r.skipped), (0, 0, 0, 0), "{r:#?}");
    assert_eq!(r.not_recovered, 0, "the history keeps all 300: {r:#?}");
    assert_eq!(r.delivered, 6 * 300, "every client ends with every message: {r:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_oldest_tells_the_slow_client_what_it_will_never_get() {
    let r = run(&spec(SlowPolicy::DropOldest)).await.unwrap();
    assert_eq!((r.slow_disconnects, r.reconnects), (0, 0), "dropping keeps the connection: {r:#?}");
    assert!(r.skipped > 0, "the slow clients' queues overflowed: {r:#?}");
    assert_eq!((r.lost, r.duplicates, r.out_of_order), (0, 0, 0), "every drop was told: {r:#?}");
    assert_eq!(r.delivered + r.skipped, 6 * 300, "delivered or told, each exactly once: {r:#?}");
}
