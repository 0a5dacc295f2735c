//! A cluster run on the lab's trace: each node's frames in its own experiment, and every
//! delivery linked to the frame that carried it and to the broker's publication.

use std::collections::HashMap;

use rtclab_cluster::experiment::{ClusterSpec, run_traced};
use rtclab_trace::{EventKind, Recorder};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_delivery_links_to_its_frame_and_its_publication() {
    let recorder = Recorder::with_capacity(200_000);
    let spec =
        ClusterSpec { nodes: 2, clients: 6, messages: 60, rate: 200.0, kill_node: Some(1), ..ClusterSpec::default() };
    let phases = std::sync::Mutex::new(Vec::new());
    let r = run_traced(&spec, Some(&recorder), &|p, _| phases.lock().unwrap().push(p.to_owned()), None).await.unwrap();
    assert_eq!((r.lost, r.duplicates, r.out_of_order), (0, 0, 0), "{r:?}");
    let events = recorder.events_since(0);
    let by_seq: HashMap<u64, _> = events.iter().map(|e| (e.seq, e.clone())).collect();
    let mut deliveries = 0;
    for e in events.iter() {
        if let EventKind::MessageDelivered { msg_id, published, .. } = &e.kind {
            deliveries += 1;
            let publish = by_seq.get(&published.expect("linked to its publication")).unwrap();
            assert!(matches!(publish.kind, EventKind::MessagePublished { msg_id: m, .. } if m == *msg_id));
            assert_eq!(&*publish.experiment, "broker");
            let frame = by_seq.get(&e.parent.expect("linked to its frame")).unwrap();
            assert!(matches!(frame.kind, EventKind::WsFrame { opcode: 1, .. }), "{:?}", frame.kind);
            assert_eq!(frame.experiment, e.experiment, "the frame crossed the tap of the node the client was on");
        }
    }
    assert_eq!(deliveries, r.delivered, "one delivery event per copy delivered");
    let frames_per_node =
        |n: &str| events.iter().filter(|e| &*e.experiment == n && matches!(e.kind, EventKind::WsFrame { .. })).count();
    assert!(frames_per_node("node 1") > 0 && frames_per_node("node 2") > 0);
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::Note { text } if text.contains("node 2 killed"))));
    assert!(phases.lock().unwrap().iter().any(|p| p.starts_with("publishing")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_message_crosses_node_broker_node_as_linked_events() {
    use rtclab_cluster::backend::BackendSpec;
    use rtclab_cluster::balancer::LbMode;
    use rtclab_cluster::sessions::check_traced;
    use rtclab_trace::{Actor, Dir};

    let recorder = Recorder::with_capacity(100_000);
    let r = check_traced(LbMode::Registry, 3, 6, &BackendSpec::Memory, Some(&recorder)).await.unwrap();
    assert_eq!(r.direct_delivered, 6, "{r:#?}");
    let events = recorder.events_since(0);
    let by_seq: HashMap<u64, _> = events.iter().map(|e| (e.seq, e.clone())).collect();
    let mut crossings = 0;
    for e in events.iter() {
        let EventKind::MessageDelivered { msg_id, published, .. } = &e.kind else { continue };
        // client B ← node 2's frame
        let frame = by_seq.get(&e.parent.expect("linked to its frame")).unwrap();
        assert!(matches!(frame.kind, EventKind::WsFrame { opcode: 1, .. }) && frame.dir == Some(Dir::ServerToClient));
        assert_eq!(frame.experiment, e.experiment, "the frame crossed the receiver's node's tap");
        // ← the broker hop
        let hop = by_seq.get(&published.expect("linked to the broker hop")).unwrap();
        assert_eq!(&*hop.experiment, "broker");
        assert!(matches!(hop.kind, EventKind::MessagePublished { msg_id: m, .. } if m == *msg_id));
        assert!(hop.seq < frame.seq, "the broker hop comes before the frame it caused");
        // ← client A's send, on its own node
        let sent = by_seq.get(&hop.parent.expect("the hop names the send")).unwrap();
        assert!(matches!(sent.kind, EventKind::MessagePublished { msg_id: m, .. } if m == *msg_id));
        assert!(matches!(sent.actor, Actor::Client(_)) && sent.actor != e.actor, "sent by another user");
        if sent.experiment != e.experiment {
            crossings += 1;
        }
    }
    assert_eq!(crossings, r.direct_cross_node, "every cross-node message shows both nodes");
    assert!(crossings >= 1);
    let hops_explained = events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Note { text } if text.contains("the registry names node")))
        .count();
    assert_eq!(hops_explained, 6);
}
