//! A real cluster on loopback: three nodes sharing a broker — the in-process one, and a real
//! Redis started by the test — clients spread over them, a publisher, and a node killed in
//! the middle of the stream.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rtclab_cluster::HistoryLimits;
use rtclab_cluster::backend::{Backend, BackendSpec};
use rtclab_cluster::backoff::Backoff;
use rtclab_cluster::broker::Broker;
use rtclab_cluster::client::{self, ClientConfig, ClientLog};
use rtclab_cluster::node::Node;
use rtclab_cluster::redis_server::LocalRedis;
use tokio::sync::watch;

struct Cluster {
    backend: Backend,
    broker: Arc<dyn Broker>,
    nodes: Vec<Node>,
    logs: Vec<Arc<Mutex<ClientLog>>>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

async fn cluster(on: &BackendSpec, nodes: usize, clients: usize, limits: HistoryLimits, backoff: Backoff) -> Cluster {
    let backend = on.start(limits, 1).await.unwrap();
    let broker = backend.publisher();
    let mut started = Vec::new();
    for id in 0..nodes {
        started.push(Node::start(backend.node_config(id, false).await.unwrap()).await.unwrap());
    }
    let addrs: Vec<_> = started.iter().map(|n| n.addr).collect();
    let (stop, stop_rx) = watch::channel(false);
    let mut logs = Vec::new();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let log = Arc::new(Mutex::new(ClientLog::default()));
        let cfg = ClientConfig {
            nodes: addrs.clone(),
            trace: None,
            first_node: c,
            source: None,
            channel: "room".into(),
            backoff,
            seed: c as u64,
            read_delay: None,
        };
        tasks.push(tokio::spawn(client::run(cfg, stop_rx.clone(), log.clone())));
        logs.push(log);
    }
    Cluster { backend, broker, nodes: started, logs, stop, tasks }
}

impl Cluster {
    /// Waits (bounded) until every client has subscribed.
    async fn all_subscribed(&self) {
        tokio::time::timeout(Duration::from_secs(10), async {
            while !self.logs.iter().all(|l| l.lock().unwrap().subscribed) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("every client subscribes within 10 s");
    }

    /// Waits (bounded) until every client is at offset `n` (delivered, or reloaded there), then stops them.
    async fn finish(self, n: usize) -> Vec<ClientLog> {
        let _ = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                let done = self.logs.iter().all(|l| l.lock().unwrap().at as usize >= n);
                if done {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
        for n in &self.nodes {
            n.kill();
        }
        self.backend.finish().await;
        self.logs.iter().map(|l| l.lock().unwrap().clone()).collect()
    }
}

fn quick_backoff() -> Backoff {
    Backoff { base: Duration::from_millis(20), cap: Duration::from_millis(200), jitter: true }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_of_a_killed_node_recovers_every_message_exactly_once_in_order() {
    killed_node_clients_recover_everything(&BackendSpec::Memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_every_client_of_a_killed_node_recovers_every_message_exactly_once_in_order() {
    let redis = LocalRedis::start().unwrap();
    killed_node_clients_recover_everything(&BackendSpec::Redis { url: redis.url() }).await;
}

async fn killed_node_clients_recover_everything(on: &BackendSpec) {
    let c = cluster(on, 3, 9, HistoryLimits::default(), quick_backoff()).await;
    c.all_subscribed().await;
    let total = 200u64;
    for i in 1..=total {
        c.broker.publish("room", format!("m{i}")).await.unwrap();
        if i == 80 {
            c.nodes[0].kill();
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let logs = c.finish(total as usize).await;
    for (i, l) in logs.iter().enumerate() {
        let offsets = l.offsets();
        assert_eq!(offsets, (1..=total).collect::<Vec<_>>(), "client {i}: every message once, in order ({l:?})");
        assert_eq!((l.duplicates, l.out_of_order), (0, 0), "client {i}");
        assert_eq!(l.not_recovered, 0, "client {i}");
    }
    // The clients of node 0 (0, 3, 6) lost it and recovered elsewhere; the others never left.
    for i in [0, 3, 6] {
        assert!(logs[i].reconnects >= 1 && logs[i].recovered >= 1, "client {i}: {:?}", logs[i]);
    }
    for i in [1, 2, 4, 5, 7, 8] {
        assert_eq!(logs[i].reconnects, 0, "client {i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_missed_more_than_the_history_is_told_not_recovered_and_never_gets_a_partial_replay() {
    beyond_the_history_is_not_recovered(&BackendSpec::Memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_a_client_that_missed_more_than_the_history_is_told_not_recovered() {
    let redis = LocalRedis::start().unwrap();
    beyond_the_history_is_not_recovered(&BackendSpec::Redis { url: redis.url() }).await;
}

async fn beyond_the_history_is_not_recovered(on: &BackendSpec) {
    // A history of 5, and a node that stays away long enough for 30 messages to pass.
    let limits = HistoryLimits { size: 5, ..HistoryLimits::default() };
    let slow = Backoff { base: Duration::from_millis(300), cap: Duration::from_millis(300), jitter: false };
    let c = cluster(on, 2, 2, limits, slow).await;
    c.all_subscribed().await;
    for i in 1..=40u64 {
        c.broker.publish("room", format!("m{i}")).await.unwrap();
        if i == 10 {
            c.nodes[0].kill();
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // Publish on until the lost client is back and has something live.
    let mut i = 40;
    while c.logs[0].lock().unwrap().not_recovered == 0 && i < 400 {
        i += 1;
        c.broker.publish("room", format!("m{i}")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for _ in 0..5 {
        i += 1;
        c.broker.publish("room", format!("m{i}")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let logs = c.finish(i as usize).await;
    let lost = &logs[0];
    assert_eq!(lost.not_recovered, 1, "{lost:?}");
    assert!(lost.reloads[0].contains("no longer in the history"), "{:?}", lost.reloads);
    let offsets = lost.offsets();
    // Up to the kill (the 10th may not have left the node before it died), then nothing from
    // the gap, then live again: strictly increasing, no replay.
    let before: Vec<u64> = offsets.iter().copied().take_while(|o| *o <= 10).collect();
    assert!(before.len() >= 5, "{before:?}");
    assert_eq!(before, (1..=before.len() as u64).collect::<Vec<_>>());
    let after = &offsets[before.len()..];
    assert!(!after.is_empty() && after[0] > 15, "no partial replay of the 5 kept: {after:?}");
    assert!(after.windows(2).all(|w| w[1] == w[0] + 1), "live in order after the reload: {after:?}");
    assert_eq!(logs[1].delivered.len() as u64, i, "the other node's client got everything");
}
