//! A client that sends garbage, a forged offset, or a direct message without saying who it
//! is gets an answer by the protocol, and the node keeps serving everyone else.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use rtclab_cluster::HistoryLimits;
use rtclab_cluster::broker::{Broker, MemoryBroker};
use rtclab_cluster::node::{Node, NodeConfig};
use rtclab_cluster::protocol::NodeMsg;
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next(ws: &mut Ws) -> NodeMsg {
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(5), ws.next()).await.expect("an answer within 5 s") {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).unwrap(),
            Some(Ok(_)) => continue,
            other => panic!("the connection ended: {other:?}"),
        }
    }
}

async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::Text(text.into())).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_forged_offsets_are_answered_and_the_node_serves_on() {
    let broker = MemoryBroker::new(HistoryLimits::default(), 1);
    let node = Node::start(NodeConfig {
        id: 0,
        broker: Arc::new(broker.clone()),
        registry: None,
        default_buffers: false,
        trace: None,
        slow: Default::default(),
    })
    .await
    .unwrap();
    let url = format!("ws://{}/ws", node.addr);
    let (mut bad, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    assert!(matches!(next(&mut bad).await, NodeMsg::Welcome { node: 1, user: None }));

    send(&mut bad, "not json at all").await;
    let NodeMsg::Error { message } = next(&mut bad).await else { panic!("garbage gets an error") };
    assert!(message.contains("not a cluster message"), "{message}");

    for i in 0..3 {
        broker.publish("room", format!("m{i}")).await.unwrap();
    }
    let epoch = broker.position("room").await.unwrap().epoch;
    let forged = format!(r#"{{"type":"subscribe","channel":"room","recover":{{"offset":999,"epoch":"{epoch}"}}}}"#);
    send(&mut bad, &forged).await;
    let NodeMsg::Subscribed { recovered, why_not, publications, offset, .. } = next(&mut bad).await else {
        panic!("a forged offset still gets a subscription answer")
    };
    assert!(!recovered && publications.is_empty(), "nothing replayed for an offset the stream never gave");
    assert!(why_not.as_deref().unwrap_or("").contains("ahead of the stream's top 3"), "{why_not:?}");
    assert_eq!(offset, 3, "the client goes on from the top");

    send(&mut bad, r#"{"type":"direct","to":"ann","data":"hi"}"#).await;
    let NodeMsg::Error { message } = next(&mut bad).await else { panic!("an anonymous direct message is refused") };
    assert!(message.contains("needs a sender"), "{message}");

    // The same connection and a new one still get live publications.
    let (mut good, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    next(&mut good).await;
    send(&mut good, r#"{"type":"subscribe","channel":"room"}"#).await;
    assert!(matches!(next(&mut good).await, NodeMsg::Subscribed { .. }));
    broker.publish("room", "live".into()).await.unwrap();
    for ws in [&mut bad, &mut good] {
        let NodeMsg::Pub { offset, data, .. } = next(ws).await else { panic!("a live publication") };
        assert_eq!((offset, data.as_str()), (4, "live"));
    }
    node.kill();
}
