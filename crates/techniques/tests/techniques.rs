//! Behaviour of the four techniques over real loopback sockets, checked on the trace.

use std::sync::Arc;
use std::time::Duration;

use rtclab_techniques::experiment::Phase;
use rtclab_techniques::{Experiment, Technique, Workload};
use rtclab_trace::{EventKind, Recorder, TraceEvent};

fn quiet(_: Phase) {}

fn small(clients: u32, rate: f64, secs: f64) -> Workload {
    Workload {
        clients,
        rate,
        payload: 32,
        duration: Duration::from_secs_f64(secs),
        poll_interval: Duration::from_millis(200),
        ..Workload::default()
    }
}

fn events_of(r: &Recorder, exp: &str) -> Vec<Arc<TraceEvent>> {
    r.snapshot().into_iter().filter(|e| &*e.experiment == exp).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_technique_delivers_every_message_and_the_tap_counts_every_byte() {
    for t in Technique::ALL {
        let r = Recorder::new();
        let rep = Experiment::new(t, small(3, 20.0, 1.0)).run(&r, &quiet).await.unwrap();
        let m = &rep.metrics;
        assert_eq!(m.published, 20, "{t}");
        assert_eq!(m.delivered, rep.expected_deliveries, "{t}: {m:?}");
        assert_eq!(m.duplicates, 0, "{t}");
        let events = events_of(&r, t.as_str());
        let errors: Vec<_> = events.iter().filter(|e| matches!(e.kind, EventKind::ProtocolError { .. })).collect();
        assert!(errors.is_empty(), "{t}: {errors:#?}");

        // The tap's per-connection counters equal what the clients' sockets wrote and read.
        let (mut up, mut down) = (0, 0);
        for e in &events {
            if let EventKind::TcpClose { bytes_client_to_server, bytes_server_to_client, .. } = e.kind {
                up += bytes_client_to_server;
                down += bytes_server_to_client;
            }
        }
        assert_eq!(up, rep.client_bytes_written, "{t}: bytes client → server");
        assert_eq!(down, rep.client_bytes_read, "{t}: bytes server → client");
        // And every one of those bytes is attributed to exactly one event.
        assert_eq!(m.bytes_on_wire, up + down, "{t}: bytes attributed to events");
        assert!(up > 0 && down > 0, "{t}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_directions_relay_client_messages_to_the_other_clients() {
    for t in Technique::ALL {
        let r = Recorder::new();
        let w = Workload { direction: rtclab_techniques::Direction::Both, ..small(3, 10.0, 1.0) };
        let rep = Experiment::new(t, w).run(&r, &quiet).await.unwrap();
        assert_eq!(rep.metrics.published, 10, "{t}");
        assert_eq!(rep.metrics.delivered, 20, "{t}: every message reaches the two other clients");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_delivers_after_about_half_the_interval() {
    let r = Recorder::new();
    let mut w = small(5, 10.0, 3.0);
    w.poll_interval = Duration::from_millis(300);
    let rep = Experiment::new(Technique::Polling, w).run(&r, &quiet).await.unwrap();
    let mean = rep.metrics.latency_ms.mean;
    // Uniform arrival within an interval gives a mean wait of I/2 = 150 ms; generous bounds.
    assert!((90.0..=220.0).contains(&mean), "mean latency {mean} ms, expected about 150 ms");
    assert!(rep.metrics.latency_ms.max <= 300.0 + 150.0, "{:?}", rep.metrics.latency_ms);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_with_rare_messages_gets_mostly_empty_answers() {
    let r = Recorder::new();
    let mut w = small(3, 1.0, 2.0);
    w.poll_interval = Duration::from_millis(100);
    let rep = Experiment::new(Technique::Polling, w).run(&r, &quiet).await.unwrap();
    let m = &rep.metrics;
    assert!(m.empty_responses * 2 > m.requests, "{} of {} empty", m.empty_responses, m.requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_polling_makes_about_one_request_per_message() {
    let r = Recorder::new();
    // Messages far apart, so each one ends a held request on its own.
    let rep = Experiment::new(Technique::LongPolling, small(3, 4.0, 2.0)).run(&r, &quiet).await.unwrap();
    let m = &rep.metrics;
    assert_eq!(m.delivered, 24);
    let per_message = m.requests as f64 / m.delivered as f64;
    assert!((0.9..=1.5).contains(&per_message), "{} requests for {} deliveries", m.requests, m.delivered);
    assert!(m.latency_ms.p50 < 100.0, "{:?}", m.latency_ms);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_client_resumes_after_a_cut_without_loss_or_duplicates() {
    let r = Recorder::new();
    let (_, mut live) = r.subscribe();
    let exp = Experiment::new(Technique::Sse, small(2, 20.0, 1.5));
    // Cut every connection once the fifth message has been delivered (read from the trace).
    let rep = exp
        .run_with(&r, &quiet, |controls| {
            tokio::spawn(async move {
                let mut delivered = 0;
                while let Ok(e) = live.recv().await {
                    if matches!(e.kind, EventKind::MessageDelivered { .. }) {
                        delivered += 1;
                        if delivered == 5 {
                            controls.cut_connections();
                            break;
                        }
                    }
                }
            });
        })
        .await
        .unwrap();
    let m = &rep.metrics;
    assert_eq!(m.delivered, rep.expected_deliveries, "{m:?}");
    assert_eq!(m.duplicates, 0);
    assert!(m.connections_opened >= 4, "each client reconnected: {m:?}");
    let events = events_of(&r, "sse");
    let resumed = events.iter().any(|e| match &e.kind {
        EventKind::HttpRequest { headers, .. } => headers.iter().any(|h| h.name.eq_ignore_ascii_case("last-event-id")),
        _ => false,
    });
    assert!(resumed, "a reconnect carried Last-Event-ID");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_workloads_are_refused_before_anything_starts() {
    let r = Recorder::new();
    let err = Experiment::new(Technique::Sse, Workload { clients: 0, ..Workload::default() })
        .run(&r, &quiet)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--clients"), "{err}");
    assert_eq!(r.stats().recorded, 0);
}

/// The text a carrier event put on the wire, when its preview holds all of it.
fn carried_text(kind: &EventKind) -> Option<&str> {
    fn whole(p: &rtclab_trace::Preview) -> Option<&str> {
        if p.truncated { None } else { p.text.as_deref() }
    }
    match kind {
        EventKind::HttpResponse { body, .. } => whole(body),
        EventKind::SseEvent { data, .. } => Some(data),
        EventKind::WsFrame { payload, .. } => whole(payload),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_delivery_links_to_the_wire_event_that_carried_it_and_that_to_the_publish() {
    for direction in [rtclab_techniques::Direction::Down, rtclab_techniques::Direction::Both] {
        for t in Technique::ALL {
            let r = Recorder::new();
            let w = Workload { direction, ..small(3, 10.0, 1.0) };
            let rep = Experiment::new(t, w).run(&r, &quiet).await.unwrap();
            let events = events_of(&r, t.as_str());
            let by_seq = |seq: Option<u64>| seq.and_then(|s| events.iter().find(|e| e.seq == s));
            let mut checked = 0;
            for d in &events {
                let EventKind::MessageDelivered { msg_id, published, .. } = d.kind else { continue };
                let what = format!("{t} ({direction:?}) delivery #{} of message {msg_id}", d.seq);
                let publish = by_seq(published).unwrap_or_else(|| panic!("{what}: no publish"));
                assert!(
                    matches!(publish.kind, EventKind::MessagePublished { msg_id: m, .. } if m == msg_id),
                    "{what}: published points at {publish:?}"
                );
                let carrier = by_seq(d.parent).unwrap_or_else(|| panic!("{what}: no carrier"));
                let right_kind = match t {
                    Technique::Polling | Technique::LongPolling => {
                        matches!(carrier.kind, EventKind::HttpResponse { status: 200, .. })
                    }
                    Technique::Sse => matches!(carrier.kind, EventKind::SseEvent { dispatched: true, .. }),
                    Technique::Websocket => matches!(carrier.kind, EventKind::WsFrame { opcode: 1, .. }),
                };
                assert!(right_kind, "{what}: carried by {:?}", carrier.kind);
                assert_eq!(carrier.dir, Some(rtclab_trace::Dir::ServerToClient), "{what}");
                let opened_by = events
                    .iter()
                    .find(|e| e.conn == carrier.conn && matches!(e.kind, EventKind::TcpOpen { .. }))
                    .map(|e| e.actor);
                assert_eq!(opened_by, Some(d.actor), "{what}: carried on another client's connection");
                assert!(publish.t_ns <= carrier.t_ns && carrier.t_ns <= d.t_ns, "{what}: out of order");
                if let Some(text) = carried_text(&carrier.kind) {
                    assert!(text.contains(&format!("\"id\":{msg_id},")), "{what}: the carrier holds {text}");
                }
                if matches!(carrier.kind, EventKind::HttpResponse { .. }) {
                    let req = by_seq(carrier.parent).unwrap_or_else(|| panic!("{what}: response without request"));
                    assert!(matches!(req.kind, EventKind::HttpRequest { .. }) && req.conn == carrier.conn, "{what}");
                }
                checked += 1;
            }
            assert_eq!(checked, rep.expected_deliveries, "{t} ({direction:?}): every delivery checked");
        }
    }
}
