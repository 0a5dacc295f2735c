//! Scaling a cluster while clients are connected. A scale-down behind a sticky balancer
//! disconnects the removed node's users (closed with 1001), who land elsewhere and recover
//! everything; a scale-up leaves open WebSockets where they are, so the new node gets only the
//! clients that reconnect. The connections-per-node series shows both.

use rtclab_cluster::balancer::LbMode;
use rtclab_cluster::experiment::{ClusterSpec, run};

fn spec() -> ClusterSpec {
    ClusterSpec {
        nodes: 3,
        clients: 30,
        messages: 100,
        rate: 200.0,
        lb: Some(LbMode::StickyCookie),
        ..ClusterSpec::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_node_behind_sticky_sessions_disconnects_its_users_who_recover_elsewhere() {
    let r = run(&ClusterSpec { remove_node: Some(1), ..spec() }).await.unwrap();
    let at = format!("{r:?}");
    assert_eq!(r.removed_node, Some(2), "{at}");
    let on_removed = u64::from(r.connections_before[1]);
    assert!(on_removed >= 3, "node 2 had a share of the users: {at}");
    assert_eq!(r.going_away, on_removed, "each of them was closed with 1001: {at}");
    assert_eq!(r.moved, on_removed, "{at}");
    assert_eq!(r.connections_after[1], 0, "nobody is left on the removed node: {at}");
    assert_eq!(r.connections_after.iter().sum::<u32>(), 30, "{at}");
    assert_eq!((r.lost, r.duplicates, r.out_of_order, r.not_recovered), (0, 0, 0, 0), "{at}");
    assert_eq!(r.recovered, on_removed, "{at}");

    // The series: node 2 starts with its share and ends empty; the total is back at 30.
    let series = &r.connections_over_time;
    assert_eq!(series.per_node.len(), 3, "{at}");
    assert_eq!(u64::from(series.per_node[1][0]), on_removed, "{series:?}");
    assert_eq!(*series.per_node[1].last().unwrap(), 0, "{series:?}");
    let last: u32 = series.per_node.iter().map(|s| *s.last().unwrap()).sum();
    assert_eq!(last, 30, "{series:?}");
    assert!(series.event_ms.is_some_and(|t| t > 0.0), "{series:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_added_node_gets_only_the_clients_that_reconnect() {
    // Scale up alone: every WebSocket stays where it opened; the new node stays empty.
    let r = run(&ClusterSpec { add_node: true, lb: Some(LbMode::RoundRobin), ..spec() }).await.unwrap();
    let at = format!("{r:?}");
    assert_eq!(r.added_node, Some(4), "{at}");
    assert_eq!(r.connections_before.len(), 4, "{at}");
    assert_eq!(r.connections_before[3], 0, "{at}");
    assert_eq!(r.connections_after, r.connections_before, "no open connection moved: {at}");
    assert_eq!((r.lost, r.duplicates, r.reconnects), (0, 0, 0), "{at}");

    // A rolling replacement: add node 4 and remove node 1 together. Node 1's users reconnect
    // through the round-robin balancer, which now knows node 4 too.
    let r = run(&ClusterSpec { add_node: true, remove_node: Some(0), lb: Some(LbMode::RoundRobin), ..spec() })
        .await
        .unwrap();
    let at = format!("{r:?}");
    assert_eq!(r.connections_after[0], 0, "{at}");
    assert!(r.connections_after[3] >= 1, "some of node 1's users landed on the new node: {at}");
    assert_eq!(r.connections_after.iter().sum::<u32>(), 30, "{at}");
    assert_eq!((r.lost, r.duplicates, r.out_of_order, r.not_recovered), (0, 0, 0, 0), "{at}");
}

#[test]
fn scaling_settings_are_checked() {
    let e = ClusterSpec { add_node: true, lb: None, ..spec() }.validate().unwrap_err();
    assert!(e.contains("--add-node needs --lb"), "{e}");
    let e = ClusterSpec { remove_node: Some(3), ..spec() }.validate().unwrap_err();
    assert!(e.contains("--remove-node must be 1 to 3"), "{e}");
    let e = ClusterSpec { remove_node: Some(0), kill_node: Some(1), ..spec() }.validate().unwrap_err();
    assert!(e.contains("pick one"), "{e}");
}
