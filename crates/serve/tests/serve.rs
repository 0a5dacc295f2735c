//! `rtc-lab serve`: the control API's guards and its operations, over real HTTP and WebSocket.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use rtclab_app::App;
use rtclab_app::course::LessonSource;
use rtclab_serve::UiSource;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

struct Served {
    addr: SocketAddr,
    token: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn serve() -> Served {
    let ui = std::env::temp_dir().join(format!("rtc-lab-ui-{}", std::process::id()));
    std::fs::create_dir_all(&ui).unwrap();
    std::fs::write(ui.join("index.html"), "<!doctype html><title>RTC Lab</title>").unwrap();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let data = ui.join("data");
        rtclab_serve::run(
            App::new(LessonSource::BuiltIn, &data),
            0,
            &UiSource::Dir(ui),
            |addr, token| {
                let _ = ready_tx.send((addr, token.to_owned()));
            },
            async {
                let _ = stopped.await;
            },
        )
        .await
        .unwrap();
    });
    let (addr, token) = ready_rx.await.unwrap();
    Served { addr, token, _stop: stop }
}

/// A raw HTTP/1.1 exchange; returns (status, headers+body text).
async fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req += &format!("Host: {addr}\r\n");
    }
    for (k, v) in headers {
        req += &format!("{k}: {v}\r\n");
    }
    req += "\r\n";
    req += body;
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

fn body(text: &str) -> &str {
    text.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

#[tokio::test]
async fn the_api_needs_the_token() {
    let s = serve().await;
    let (status, text) = http(s.addr, "POST", "/api/list_experiments", &[], "").await;
    assert_eq!(status, 401, "{text}");
    assert!(body(&text).contains("\"kind\":\"unauthorized\""), "{text}");
    let (status, _) = http(s.addr, "POST", "/api/list_experiments?token=wrong", &[], "").await;
    assert_eq!(status, 401);
    let bearer = format!("Bearer {}", s.token);
    let (status, text) = http(s.addr, "POST", "/api/list_experiments", &[("Authorization", &bearer)], "").await;
    assert_eq!(status, 200, "{text}");
    assert!(body(&text).contains("\"techniques\""));
    // The static UI needs no token, and carries a strict CSP.
    let (status, text) = http(s.addr, "GET", "/", &[], "").await;
    assert_eq!(status, 200);
    assert!(text.to_ascii_lowercase().contains("content-security-policy: default-src 'self'"), "{text}");
}

#[tokio::test]
async fn foreign_origins_and_hosts_are_refused() {
    let s = serve().await;
    let path = format!("/api/list_experiments?token={}", s.token);
    let (status, text) = http(s.addr, "POST", &path, &[("Origin", "http://evil.example")], "").await;
    assert_eq!(status, 403, "{text}");
    let own = format!("http://{}", s.addr);
    let (status, _) = http(s.addr, "POST", &path, &[("Origin", &own)], "").await;
    assert_eq!(status, 200);
    // DNS rebinding: a page on attacker.example resolving to 127.0.0.1.
    let (status, _) = http(s.addr, "POST", &path, &[("Host", "attacker.example")], "").await;
    assert_eq!(status, 403);

    // Cross-site WebSocket hijacking: even with the token, a foreign page is refused.
    let url = format!("ws://{}/api/live?token={}", s.addr, s.token);
    let mut req = url.clone().into_client_request().unwrap();
    req.headers_mut().insert("Origin", HeaderValue::from_static("http://evil.example"));
    let err = tokio_tungstenite::connect_async(req).await.unwrap_err().to_string();
    assert!(err.contains("403"), "{err}");
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("Origin", HeaderValue::from_str(&own).unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let first = ws.next().await.unwrap().unwrap().into_text().unwrap();
    assert!(first.contains("\"type\":\"reset\""), "{first}");
}

#[tokio::test]
async fn it_listens_on_loopback_only() {
    let s = serve().await;
    assert!(s.addr.ip().is_loopback());
    // The machine's outward address, if it has one (no packet is sent by connecting UDP).
    let probe = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    if probe.connect("10.255.255.255:9").is_ok() {
        let ip = probe.local_addr().unwrap().ip();
        if !ip.is_loopback() && !ip.is_unspecified() {
            let outside = SocketAddr::new(ip, s.addr.port());
            let r = tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(outside)).await;
            assert!(!matches!(r, Ok(Ok(_))), "reachable on {outside}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_streams_live_and_exports_har_with_websocket_messages() {
    let s = serve().await;
    let own = format!("http://{}", s.addr);
    let mut req = format!("ws://{}/api/live?token={}", s.addr, s.token).into_client_request().unwrap();
    req.headers_mut().insert("Origin", HeaderValue::from_str(&own).unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();

    let bearer = format!("Bearer {}", s.token);
    let start = r#"{"techniques":["websocket"],"workload":{"clients":2,"rate":10,"payload":16,"duration_ms":500,
        "direction":"down","seed":3,"poll_interval_ms":1000,"long_poll_timeout_ms":25000}}"#;
    let (status, text) = http(s.addr, "POST", "/api/start_run", &[("Authorization", &bearer)], start).await;
    assert_eq!(status, 200, "{text}");
    // A second start while running is a conflict, with a message the UI can show.
    let (status, text) = http(s.addr, "POST", "/api/start_run", &[("Authorization", &bearer)], start).await;
    assert_eq!(status, 409, "{text}");
    let (status, text) =
        http(s.addr, "POST", "/api/start_run", &[("Authorization", &bearer)], "{\"techniques\":[]}").await;
    assert_eq!(status, 400, "{text}");

    let mut frames = 0;
    let mut finished = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !finished && tokio::time::Instant::now() < deadline {
        let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_secs(10), ws.next()).await else { break };
        let Ok(text) = msg.into_text() else { continue };
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        match v["type"].as_str() {
            Some("events") => {
                frames += v["events"].as_array().unwrap().iter().filter(|e| e["kind"]["type"] == "ws_frame").count()
            }
            Some("status") => finished = v["status"]["state"] == "finished",
            _ => {}
        }
    }
    assert!(finished, "the live stream reported the end of the run");
    assert!(frames >= 10, "saw {frames} WebSocket frames live");

    let auth = [("Authorization", bearer.as_str())];
    let (status, text) = http(s.addr, "POST", "/api/export_trace", &auth, r#"{"format":"har"}"#).await;
    assert_eq!(status, 200);
    let har_text: String = serde_json::from_str(body(&text)).unwrap();
    let har: serde_json::Value = serde_json::from_str(&har_text).unwrap();
    assert_eq!(har["log"]["version"], "1.2");
    let entries = har["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "one upgrade request per client");
    for e in entries {
        assert_eq!(e["response"]["status"], 101);
        assert!(e["request"]["url"].as_str().unwrap().starts_with("ws://"));
        let msgs = e["_webSocketMessages"].as_array().unwrap();
        assert!(msgs.iter().any(|m| m["type"] == "receive" && m["opcode"] == 1), "{e}");
        assert!(msgs.iter().all(|m| m["time"].as_f64().unwrap() > 1.0e9));
    }
    let (status, text) = http(s.addr, "POST", "/api/export_plot", &auth, r#"{"name":"latency-cdf"}"#).await;
    assert_eq!(status, 200);
    assert!(body(&text).starts_with("\"<svg"), "{text}");
    let (status, _) = http(s.addr, "POST", "/api/export_plot", &auth, r#"{"name":"pie"}"#).await;
    assert_eq!(status, 404);

    // Export, import it back: the same events, now marked as imported.
    let (_, text) = http(s.addr, "POST", "/api/export_trace", &auth, r#"{"format":"jsonl"}"#).await;
    let jsonl: String = serde_json::from_str(body(&text)).unwrap();
    let import = serde_json::json!({ "text": jsonl }).to_string();
    let (status, text) = http(s.addr, "POST", "/api/import_trace", &auth, &import).await;
    assert_eq!(status, 200, "{text}");
    let st: serde_json::Value = serde_json::from_str(body(&text)).unwrap();
    assert_eq!(st["source"], "import");
    assert_eq!(st["events"].as_u64().unwrap() as usize, jsonl.lines().count());
    let (status, text) = http(s.addr, "POST", "/api/import_trace", &auth, r#"{"text":"{\"nope\":1}\n"}"#).await;
    assert_eq!(status, 400);
    assert!(body(&text).contains(":1:"), "{text}");
}

#[tokio::test]
async fn every_declared_operation_has_a_route_and_bad_requests_say_why() {
    let s = serve().await;
    let bearer = format!("Bearer {}", s.token);
    let auth = [("Authorization", bearer.as_str())];
    for sig in rtclab_app::ops::signatures() {
        // A request of the wrong shape reaches the operation and is refused by it with 400;
        // an operation without a route would answer 404.
        let (status, text) = http(s.addr, "POST", &format!("/api/{}", sig.name), &auth, "[1,2,3]").await;
        assert_eq!(status, 400, "{}: {text}", sig.name);
        assert!(body(&text).contains(sig.name), "the error names the operation: {text}");
    }
    let (status, text) = http(s.addr, "POST", "/api/no_such_thing", &auth, "").await;
    assert_eq!(status, 404, "{text}");
    assert!(body(&text).contains("start_run"), "the error lists what exists: {text}");
    let (status, text) = http(s.addr, "POST", "/api/start_run", &auth, "{not json").await;
    assert_eq!(status, 400, "{text}");
    assert!(body(&text).contains("not JSON"), "{text}");
}
