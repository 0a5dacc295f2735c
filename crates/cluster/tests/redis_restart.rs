//! Redis restarted without persistence: the channel's history and epoch are gone. Every
//! client must be told (its node closes it, and its recovery answers "epoch changed") and
//! must never be handed a stale replay: after the restart it only sees the new epoch.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rtclab_cluster::HistoryLimits;
use rtclab_cluster::backend::BackendSpec;
use rtclab_cluster::backoff::Backoff;
use rtclab_cluster::client::{self, ClientConfig, ClientLog};
use rtclab_cluster::node::Node;
use rtclab_cluster::redis_server::LocalRedis;
use tokio::sync::watch;

/// Waits (bounded) until `done` holds for every log.
async fn until_all(logs: &[Arc<Mutex<ClientLog>>], what: &str, done: impl Fn(&ClientLog) -> bool) {
    tokio::time::timeout(Duration::from_secs(20), async {
        while !logs.iter().all(|l| done(&l.lock().unwrap())) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("within 20 s: {what}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_gives_a_new_epoch_and_recovered_false_never_a_stale_replay() {
    let mut redis = LocalRedis::start().unwrap();
    let spec = BackendSpec::Redis { url: redis.url() };
    let backend = spec.start(HistoryLimits::default(), 1).await.unwrap();
    let publisher = backend.publisher();
    let mut nodes = Vec::new();
    for id in 0..2 {
        nodes.push(Node::start(backend.node_config(id, false).await.unwrap()).await.unwrap());
    }
    let (stop, stop_rx) = watch::channel(false);
    let logs: Vec<Arc<Mutex<ClientLog>>> = (0..4).map(|_| Arc::default()).collect();
    let mut tasks = Vec::new();
    for (c, log) in logs.iter().enumerate() {
        let cfg = ClientConfig {
            nodes: nodes.iter().map(|n| n.addr).collect(),
            trace: None,
            first_node: c,
            source: None,
            channel: "room".into(),
            backoff: Backoff { base: Duration::from_millis(50), cap: Duration::from_millis(400), jitter: true },
            seed: c as u64,
            read_delay: None,
        };
        tasks.push(tokio::spawn(client::run(cfg, stop_rx.clone(), log.clone())));
    }
    until_all(&logs, "every client subscribes", |l| l.subscribed).await;
    for i in 1..=20 {
        publisher.publish("room", format!("before {i}")).await.unwrap();
    }
    until_all(&logs, "every client has the 20 messages", |l| l.at == 20).await;
    let old_epoch = logs[0].lock().unwrap().delivered[0].epoch.clone();

    redis.restart().unwrap();
    // Publish on (the publisher's connection comes back by itself) until every client has
    // reloaded and sees the new stream live.
    let mut sent_after = 0;
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if publisher.publish("room", format!("after {sent_after}")).await.is_ok() {
                sent_after += 1;
            }
            let done = logs.iter().all(|l| {
                let l = l.lock().unwrap();
                l.not_recovered >= 1 && l.delivered.last().is_some_and(|d| d.epoch != old_epoch)
            });
            if done {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("every client reloads onto the new epoch within 30 s");

    let _ = stop.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
    }
    for n in &nodes {
        n.kill();
    }
    for (i, l) in logs.iter().enumerate() {
        let l = l.lock().unwrap();
        assert!(
            l.reloads.iter().any(|r| r.contains("recreated") && r.contains(&old_epoch)),
            "client {i}: {:?}",
            l.reloads
        );
        // The first answer after the restart is "not recovered": a recovery across it would be a
        // stale replay. (Later ones may recover within the new epoch, e.g. after a gap while a
        // node was subscribing to Redis again.)
        assert_eq!(l.resubscribed.first().map(|r| r.1), Some(false), "client {i}: {:?}", l.resubscribed);
        let old: Vec<u64> = l.delivered.iter().filter(|d| d.epoch == old_epoch).map(|d| d.offset).collect();
        assert_eq!(old, (1..=20).collect::<Vec<_>>(), "client {i}: the old epoch, once and in order");
        let new: Vec<&rtclab_cluster::client::Delivered> =
            l.delivered.iter().skip_while(|d| d.epoch == old_epoch).collect();
        assert!(new.iter().all(|d| d.epoch != old_epoch), "client {i}: nothing old after the restart");
        assert!(new.windows(2).all(|w| w[1].offset == w[0].offset + 1), "client {i}: the new epoch in order");
        assert_eq!((l.duplicates, l.out_of_order), (0, 0), "client {i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_cut_off_from_redis_takes_no_new_connections_and_says_why() {
    let redis = LocalRedis::start().unwrap();
    let spec = BackendSpec::Redis { url: redis.url() };
    let backend = spec.start(HistoryLimits::default(), 1).await.unwrap();
    let node = Node::start(backend.node_config(0, false).await.unwrap()).await.unwrap();
    let url = format!("ws://{}/ws", node.addr);
    let (mut before, _) = tokio_tungstenite::connect_async(&url).await.expect("linked: accepted");
    drop(redis); // the broker is gone
    // The connection it had is closed with 1013, and a new one is refused with 503 (bounded wait).
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        use futures_util::StreamExt;
        while let Some(Ok(m)) = before.next().await {
            if let tokio_tungstenite::tungstenite::Message::Close(Some(f)) = m {
                return Some(u16::from(f.code));
            }
        }
        None
    })
    .await
    .expect("told within 10 s");
    assert_eq!(closed, Some(1013));
    let refused = tokio_tungstenite::connect_async(&url).await.unwrap_err();
    let tokio_tungstenite::tungstenite::Error::Http(resp) = refused else { panic!("{refused:?}") };
    assert_eq!(resp.status(), 503);
    let body = String::from_utf8_lossy(resp.body().as_deref().unwrap_or_default()).into_owned();
    assert!(body.contains("lost its link to the broker"), "{body}");
    node.kill();
}
