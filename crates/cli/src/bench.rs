//! Benchmarks behind the figures in `docs/benchmarks.md`.
//!
//! - [`recorder_throughput`]: events recorded per second on one thread.
//! - [`tap_overhead`]: WebSocket echo round trips straight to the server and through the
//!   tap, interleaved in the same run so both see the same machine conditions.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rtclab_techniques::hub::Hub;
use rtclab_techniques::metrics::percentile;
use rtclab_techniques::server::{self, ServerConfig};
use rtclab_trace::{Actor, Dir, EventKind, NewEvent, Preview, Recorder};
use rtclab_wire::tap::{ClientDirectory, Tap, TapConfig};
use serde::Serialize;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

/// Records `events` events (alternating a delivery and a small WebSocket frame, both typical
/// of an experiment) on the calling thread; returns events per second.
pub fn recorder_throughput(events: u64) -> f64 {
    let r = Recorder::new();
    let exp: Arc<str> = Arc::from("bench");
    let start = Instant::now();
    for i in 0..events {
        let e = if i % 2 == 0 {
            NewEvent::new(
                &exp,
                Actor::Client(1),
                EventKind::MessageDelivered { msg_id: i, latency_ns: 1000, published: None },
            )
        } else {
            let kind = EventKind::WsFrame {
                fin: true,
                rsv1: false,
                rsv2: false,
                rsv3: false,
                opcode: 1,
                opcode_name: "text".into(),
                masked: false,
                mask_key: None,
                payload_len: 5,
                payload: Preview::of(b"hello", 5),
                close_code: None,
                close_reason: None,
            };
            NewEvent::new(&exp, Actor::Server, kind).conn(1, Dir::ServerToClient).bytes(2, 5)
        };
        r.record(e);
    }
    events as f64 / start.elapsed().as_secs_f64()
}

/// Round-trip figures of one tap-overhead run, in microseconds.
#[derive(Debug, Clone, Serialize)]
pub struct TapRun {
    pub direct_p50_us: f64,
    pub direct_p95_us: f64,
    pub tapped_p50_us: f64,
    pub tapped_p95_us: f64,
    pub ratio_p50: f64,
}

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

/// One run: `round_trips` echoes each way, interleaved in batches of 50.
pub async fn tap_overhead(round_trips: usize, payload: usize) -> std::io::Result<TapRun> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let server_addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::serve(listener, Hub::default(), ServerConfig::default(), async {
        let _ = stopped.await;
    }));
    let tap = Tap::start(TapConfig {
        experiment: Arc::from("bench"),
        upstream: server_addr,
        recorder: Recorder::new(),
        directory: ClientDirectory::default(),
    })
    .await?;
    let mut direct = open(server_addr).await?;
    let mut tapped = open(tap.addr()).await?;
    let text = "x".repeat(payload);
    // Warm up both paths (allocations, TCP windows) before measuring.
    echo_batch(&mut direct, &text, 200).await?;
    echo_batch(&mut tapped, &text, 200).await?;
    let (mut d, mut t) = (Vec::new(), Vec::new());
    while d.len() < round_trips {
        d.extend(echo_batch(&mut direct, &text, 50).await?);
        t.extend(echo_batch(&mut tapped, &text, 50).await?);
    }
    let _ = direct.close(None).await;
    let _ = tapped.close(None).await;
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(3), server).await;
    d.sort_by(f64::total_cmp);
    t.sort_by(f64::total_cmp);
    let run = TapRun {
        direct_p50_us: percentile(&d, 50.0),
        direct_p95_us: percentile(&d, 95.0),
        tapped_p50_us: percentile(&t, 50.0),
        tapped_p95_us: percentile(&t, 95.0),
        ratio_p50: percentile(&t, 50.0) / percentile(&d, 50.0),
    };
    Ok(run)
}

async fn open(addr: std::net::SocketAddr) -> std::io::Result<Ws> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (ws, _) =
        tokio_tungstenite::client_async(format!("ws://{addr}/echo"), stream).await.map_err(std::io::Error::other)?;
    Ok(ws)
}

async fn echo_batch(ws: &mut Ws, text: &str, n: usize) -> std::io::Result<Vec<f64>> {
    let mut rtts = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        ws.send(Message::Text(text.into())).await.map_err(std::io::Error::other)?;
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(_))) => break,
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(std::io::Error::other(e)),
                None => return Err(std::io::Error::other("echo server closed the connection")),
            }
        }
        rtts.push(start.elapsed().as_secs_f64() * 1e6);
    }
    Ok(rtts)
}

/// Median of a few values.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}
