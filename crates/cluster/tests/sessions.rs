//! Sessions and direct messages behind the load balancer: the state a node keeps in memory
//! breaks round-robin; sticky cookies and IP hashing keep each user on its node; a connection
//! registry lets any node serve any user and routes a direct message to exactly the node of
//! its receiver — in-process and on a real Redis.

use std::collections::HashSet;

use rtclab_cluster::backend::BackendSpec;
use rtclab_cluster::balancer::LbMode;
use rtclab_cluster::protocol::Route;
use rtclab_cluster::redis_server::LocalRedis;
use rtclab_cluster::sessions::{SessionCheck, check};

const MEMORY: BackendSpec = BackendSpec::Memory;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_robin_sends_the_websocket_to_a_node_that_never_saw_the_login() {
    let r = check(LbMode::RoundRobin, 3, 6, &MEMORY).await.unwrap();
    assert_eq!(r.accepted, 0, "{r:#?}");
    assert!(r.trips.iter().all(|t| t.answer.contains("401") && t.answer.contains("not known on node")), "{r:#?}");
    assert_eq!(r.direct_sent, 0, "nobody is connected, so nobody can message anyone");
}

/// Every user sent one direct message to the next and every one arrived, some across nodes.
fn every_direct_message_arrived(r: &SessionCheck, via: Route) {
    assert_eq!(r.accepted, r.users, "{r:#?}");
    assert_eq!((r.direct_sent, r.direct_delivered), (r.users, r.users), "{r:#?}");
    assert!(r.direct_cross_node >= 1, "some receivers are on another node: {r:#?}");
    for t in &r.trips {
        let d = t.direct.as_ref().unwrap();
        assert_eq!(d.via, Some(via), "{t:?}");
        assert!(d.delivered, "{t:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sticky_cookies_and_ip_hashing_keep_every_user_on_its_node_and_deliver_direct_messages_across_nodes() {
    for mode in [LbMode::StickyCookie, LbMode::IpHash] {
        let r = check(mode, 3, 12, &MEMORY).await.unwrap();
        let nodes: HashSet<usize> = r.trips.iter().map(|t| t.login_node).collect();
        assert!(nodes.len() >= 2, "{mode:?} spreads users over the nodes: {nodes:?}");
        assert!(r.trips.iter().all(|t| t.ws_node == Some(t.login_node)), "{mode:?}: {r:#?}");
        // Without a registry the sender's node cannot know where the receiver is: every node hears it.
        every_direct_message_arrived(&r, Route::EveryNode);
        assert!(r.registry.is_empty());
    }
}

fn registry_routes_to_the_receivers_node(r: &SessionCheck) {
    every_direct_message_arrived(r, Route::Registry);
    // Round-robin spreads the WebSocket away from the login node, and it is still accepted.
    assert!(r.trips.iter().any(|t| t.ws_node != Some(t.login_node)), "{r:#?}");
    assert_eq!(r.registry.len(), r.users, "one entry per connected user: {:?}", r.registry);
    for e in &r.registry {
        let t = r.trips.iter().find(|t| t.user == e.user).unwrap();
        assert_eq!(Some(e.node), t.ws_node, "the registry points at the node holding {}", e.user);
        assert!(e.alive);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registry_lets_any_node_serve_any_user_and_routes_each_direct_message_to_one_node() {
    let r = check(LbMode::Registry, 3, 9, &MEMORY).await.unwrap();
    registry_routes_to_the_receivers_node(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_the_registry_routes_each_direct_message_to_one_node() {
    let redis = LocalRedis::start().unwrap();
    let r = check(LbMode::Registry, 3, 9, &BackendSpec::Redis { url: redis.url() }).await.unwrap();
    assert!(r.backend.contains(&redis.url()), "{}", r.backend);
    registry_routes_to_the_receivers_node(&r);
}

#[tokio::test]
async fn too_many_users_is_refused_with_the_range() {
    let e = check(LbMode::IpHash, 3, 500, &MEMORY).await.unwrap_err();
    assert!(e.contains("1 to 200"), "{e}");
}

#[tokio::test]
async fn an_unreachable_redis_fails_fast_with_the_url_and_the_reason() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("redis://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    let e = check(LbMode::Registry, 2, 2, &BackendSpec::Redis { url: url.clone() }).await.unwrap_err();
    assert!(e.contains(&url) && e.contains("cannot reach Redis"), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "fails fast");
    let e = check(LbMode::Registry, 2, 2, &BackendSpec::Redis { url: "http://nope".into() }).await.unwrap_err();
    assert!(e.contains("not a Redis URL"), "{e}");
}
