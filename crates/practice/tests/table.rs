//! The WebSockets-vs-WebRTC table on real loopback sockets, with distances.

use std::time::Duration;

use rtclab_practice::compare::{self, CompareRequest, PathKind};
use rtclab_practice::udp_peer::Distances;
use rtclab_trace::Recorder;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_topology_shows_in_the_echo_times_and_the_server_load() {
    let req = CompareRequest {
        distances: Distances { peers: Duration::from_millis(10), server: Duration::from_millis(40) },
        messages: 20,
        interval: Duration::from_millis(10),
        payload: 100,
        with_loopback: true,
    };
    let recorder = Recorder::with_capacity(100_000);
    let report = compare::run(&req, &recorder, "webrtc-vs-ws").await.unwrap();
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    let row = |p: PathKind| report.rows.iter().find(|r| r.path == p).unwrap();
    for r in &report.rows {
        assert_eq!(r.problem, None, "{r:?}");
        assert_eq!(r.echoed, 20, "{r:?}");
        let rtt = r.rtt_ms.unwrap();
        // Never faster than the distances allow; generous above (a debug build on 2 cores).
        assert!(rtt.min >= r.floor_ms, "{r:?}");
        assert!(rtt.p50 < r.floor_ms + 60.0, "{r:?}");
    }
    let p50 = |p: PathKind| row(p).rtt_ms.unwrap().p50;
    assert!(p50(PathKind::P2p) < p50(PathKind::Websocket));
    assert!(p50(PathKind::Turn) > p50(PathKind::P2p));
    assert!(row(PathKind::Turn).route.contains("A relay"), "{}", row(PathKind::Turn).route);
    assert!(row(PathKind::P2p).route.contains("A host"), "{}", row(PathKind::P2p).route);
    // The WebSocket server and TURN carry every message; a direct data channel leaves the
    // signalling server idle.
    assert_eq!(row(PathKind::P2p).server_bytes_per_message, 0.0);
    assert!(row(PathKind::Websocket).server_bytes_per_message >= 4.0 * 100.0);
    assert!(row(PathKind::Turn).server_bytes_per_message >= 4.0 * 100.0);
    // Setup: the WebSocket is one TCP + one HTTP round trip away; WebRTC needs more.
    let ws_setup = row(PathKind::Websocket).setup_ms.unwrap();
    assert!(ws_setup >= 160.0, "{ws_setup}");
    assert!(row(PathKind::P2p).setup_ms.unwrap() > ws_setup);
    let lo = report.loopback.as_ref().unwrap();
    assert!(lo.rows.iter().all(|r| r.echoed == 20 && r.rtt_ms.unwrap().p50 < 20.0), "{lo:?}");
    assert!(!report.notes.is_empty());
}
