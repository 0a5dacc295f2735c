//! The `rtc-lab` command line, run as a user runs it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::response::sse::{Event, Sse};
use axum::routing::get;
use futures_util::stream;
use rtclab_cli::connect::{self, ConnectOptions, Mode};
use rtclab_trace::{Dir, EventKind, TraceEvent};

fn rtc_lab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rtc-lab")).args(args).output().expect("rtc-lab runs")
}

/// A server of the user's, unrelated to the lab: a three-event SSE stream and a WebSocket
/// echo that upper-cases.
async fn external_server() -> SocketAddr {
    let app = Router::new()
        .route(
            "/feed",
            get(|| async {
                let events = stream::iter((1..=3).map(|i| {
                    Ok::<_, Infallible>(Event::default().id(i.to_string()).event("tick").data(format!("tick {i}")))
                }));
                Sse::new(events)
            }),
        )
        .route(
            "/shout",
            get(|ws: WebSocketUpgrade| async {
                ws.on_upgrade(|mut socket| async move {
                    while let Some(Ok(Message::Text(t))) = socket.recv().await {
                        if socket.send(Message::Text(t.to_uppercase().into())).await.is_err() {
                            break;
                        }
                    }
                })
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_decodes_an_external_sse_stream() {
    let addr = external_server().await;
    let mut events: Vec<TraceEvent> = Vec::new();
    let opts = ConnectOptions {
        mode: Mode::Sse,
        url: format!("http://{addr}/feed"),
        interval: Duration::from_secs(1),
        duration: Some(Duration::from_secs(10)),
        send: vec![],
        max_events: Some(12),
    };
    connect::run(opts, |e| events.push(e.clone())).await.unwrap();
    let sse: Vec<(Option<String>, Option<String>, String)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::SseEvent { id, event, data, dispatched: true, .. } => {
                Some((id.clone(), event.clone(), data.clone()))
            }
            _ => None,
        })
        .take(3)
        .collect();
    assert_eq!(
        sse,
        (1..=3).map(|i| (Some(i.to_string()), Some("tick".into()), format!("tick {i}"))).collect::<Vec<_>>()
    );
    // After the stream ends the client reconnects with the last id, as EventSource does.
    let resumed = events.iter().any(|e| match &e.kind {
        EventKind::HttpRequest { headers, .. } => headers.iter().any(|h| h.name == "last-event-id" && h.value == "3"),
        _ => false,
    });
    assert!(resumed, "{events:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_decodes_an_external_websocket() {
    let addr = external_server().await;
    let mut events: Vec<TraceEvent> = Vec::new();
    let opts = ConnectOptions {
        mode: Mode::Ws,
        url: format!("ws://{addr}/shout"),
        interval: Duration::from_secs(1),
        duration: Some(Duration::from_millis(1500)),
        send: vec!["hello".into()],
        max_events: None,
    };
    connect::run(opts, |e| events.push(e.clone())).await.unwrap();
    let frames: Vec<(Dir, bool, Option<String>)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::WsFrame { opcode: 1, masked, payload, .. } => Some((e.dir?, *masked, payload.text.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        frames,
        vec![(Dir::ClientToServer, true, Some("hello".into())), (Dir::ServerToClient, false, Some("HELLO".into()))]
    );
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::WsHandshake { accept_valid: true, .. })));
    // The client closed politely when the duration ended.
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::WsFrame { close_code: Some(1000), .. })));
}

#[test]
fn connect_command_prints_json_lines() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let addr = rt.block_on(external_server());
    let out = rtc_lab(&["connect", "ws", &format!("ws://{addr}/shout"), "--send", "hi", "--json", "--duration", "1s"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(
        lines.iter().any(|v| v["kind"]["type"] == "ws_frame" && v["kind"]["payload"]["text"] == "HI"),
        "{lines:#?}"
    );
}

#[test]
fn connect_explains_unreachable_and_tls_endpoints() {
    let out = rtc_lab(&["connect", "sse", "https://example.com/events"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("TLS"));
    // Bind then drop, so the port is (almost certainly) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = rtc_lab(&["connect", "poll", &format!("http://127.0.0.1:{port}/")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("Is the server running?"), "{err}");
}

#[test]
fn bad_workloads_name_the_flag_and_the_range() {
    let cases: [(&[&str], &str); 5] = [
        (&["compare", "--clients", "0"], "--clients"),
        (&["compare", "--rate", "-1"], "--rate"),
        (&["compare", "--payload", "100000"], "--payload"),
        (&["compare", "--techniques", "polling,pigeons"], "pigeons"),
        (&["run", "sse", "--duration", "soon"], "--duration"),
    ];
    for (args, flag) in cases {
        let out = rtc_lab(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(err.contains(flag), "{args:?}: {err}");
    }
}

#[test]
fn compare_json_plots_and_trace_round_trip() {
    let dir = std::env::temp_dir().join(format!("rtc-lab-cli-{}", std::process::id()));
    let plots = dir.join("plots");
    let trace = dir.join("trace.jsonl");
    let out = rtc_lab(&[
        "compare",
        "--clients",
        "3",
        "--rate",
        "10",
        "--duration",
        "1s",
        "--poll-interval",
        "200ms",
        "--json",
        "--plots",
        plots.to_str().unwrap(),
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let techniques = v["techniques"].as_array().unwrap();
    let names: Vec<&str> = techniques.iter().map(|t| t["technique"].as_str().unwrap()).collect();
    assert_eq!(names, ["polling", "long-polling", "sse", "websocket"]);
    for t in techniques {
        for key in ["published", "delivered", "requests", "empty_responses", "bytes_on_wire", "bytes_per_message"] {
            assert!(t[key].is_number(), "{key} in {t}");
        }
        for key in ["p50", "p95", "p99", "max"] {
            assert!(t["latency_ms"][key].is_number(), "latency_ms.{key} in {t}");
        }
        assert_eq!(t["delivered"], 30, "{t}");
    }
    for chart in ["latency-cdf.svg", "bytes-per-message.svg", "requests-per-second.svg"] {
        let svg = std::fs::read_to_string(plots.join(chart)).unwrap();
        assert!(svg.contains("<svg") && svg.contains("websocket"), "{chart}");
    }
    let out = rtc_lab(&["trace", trace.to_str().unwrap(), "--experiment", "sse", "--limit", "30"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("GET /events") && text.contains("text/event-stream"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn trace_reports_a_bad_file_with_its_line() {
    let path = std::env::temp_dir().join(format!("rtc-lab-bad-{}.jsonl", std::process::id()));
    std::fs::write(&path, "{\"not\": \"an event\"}\n").unwrap();
    let out = rtc_lab(&["trace", path.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains(":1:"), "{err}");
    let _ = std::fs::remove_file(&path);
}

/// A server that serves exactly one connection, like `nc -l`: the traced request must be
/// that connection (no throw-away reachability probe before it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_traces_a_server_that_serves_one_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 1024];
        let n = s.read(&mut buf).await.unwrap();
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello").await.unwrap();
        // The listener is dropped here: nobody answers a second connection.
        n
    });
    let mut events: Vec<TraceEvent> = Vec::new();
    let opts = ConnectOptions {
        mode: Mode::Poll,
        url: format!("http://{addr}/once"),
        interval: Duration::from_secs(60),
        duration: Some(Duration::from_secs(5)),
        send: vec![],
        max_events: Some(3),
    };
    connect::run(opts, |e| events.push(e.clone())).await.unwrap();
    assert!(served.await.unwrap() > 0, "the one connection carried the traced request");
    let statuses: Vec<u16> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::HttpResponse { status, .. } => Some(*status),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, vec![200], "{events:#?}");
}

/// `rtc-lab … | head` closes the pipe early; the program ends quietly, without a panic.
#[test]
fn a_closed_stdout_ends_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rtc-lab"))
        .args(["run", "websocket", "--clients", "1", "--rate", "5", "--duration", "500ms"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before the table is printed (the run takes half a second).
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "exit {:?}: {err}", out.status);
}
