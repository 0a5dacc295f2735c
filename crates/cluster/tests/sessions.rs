//! Sessions behind the load balancer: the state a node keeps in memory breaks round-robin;
//! sticky cookies and IP hashing keep each user on its node.

use std::collections::HashSet;

use rtclab_cluster::balancer::LbMode;
use rtclab_cluster::sessions::check;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_robin_sends_the_websocket_to_a_node_that_never_saw_the_login() {
    let r = check(LbMode::RoundRobin, 3, 6).await.unwrap();
    assert_eq!(r.accepted, 0, "{r:#?}");
    assert!(r.trips.iter().all(|t| t.answer.contains("401") && t.answer.contains("not known on node")), "{r:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sticky_cookies_and_ip_hashing_keep_every_user_on_its_node_and_still_spread_them() {
    for mode in [LbMode::StickyCookie, LbMode::IpHash] {
        let r = check(mode, 3, 12).await.unwrap();
        assert_eq!(r.accepted, 12, "{mode:?}: {r:#?}");
        let nodes: HashSet<usize> = r.trips.iter().map(|t| t.login_node).collect();
        assert!(nodes.len() >= 2, "{mode:?} spreads users over the nodes: {nodes:?}");
    }
}

#[tokio::test]
async fn too_many_users_is_refused_with_the_range() {
    let e = check(LbMode::IpHash, 3, 500).await.unwrap_err();
    assert!(e.contains("1 to 200"), "{e}");
}
