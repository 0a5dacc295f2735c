//! A kill run with the clients behind the load balancer: each mode spreads them over the
//! nodes, the balancer takes the dead node out, and its clients land on the others and
//! recover everything — the connections per node before and after say where everyone went.

use rtclab_cluster::balancer::LbMode;
use rtclab_cluster::experiment::{ClusterSpec, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mode_moves_the_dead_nodes_clients_to_the_others_and_loses_nothing() {
    for mode in LbMode::ALL {
        let spec = ClusterSpec {
            nodes: 3,
            clients: 30,
            messages: 100,
            rate: 200.0,
            kill_node: Some(1),
            lb: Some(mode),
            ..ClusterSpec::default()
        };
        let r = run(&spec).await.unwrap();
        let at = format!("{mode:?}: {r:?}");
        assert_eq!(r.lb, Some(mode));
        assert_eq!(r.connections_before.iter().sum::<u32>(), 30, "{at}");
        assert!(r.connections_before.iter().all(|&n| n >= 3), "every node got a share at the start: {at}");
        assert_eq!(r.connections_after[1], 0, "nobody is left on the dead node: {at}");
        assert_eq!(r.connections_after.iter().sum::<u32>(), 30, "{at}");
        assert_eq!(u64::from(r.connections_before[1]), r.moved, "{at}");
        assert_eq!((r.lost, r.duplicates, r.out_of_order, r.not_recovered), (0, 0, 0, 0), "{at}");
        assert_eq!(r.recovered, r.moved, "{at}");
    }
}
