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

/// The NAT lab's figures: the matrix's wall time, offer → channel open per outcome type in
/// virtual and wall time, and the memory of a run and of a 100-run loop.
pub mod nat {
    use std::time::Instant;

    use rtclab_natlab::matrix::run_matrix;
    use rtclab_natlab::session::{Outcome, Scenario, run};

    /// Wall seconds of one matrix (36 preset pairs) with or without TURN.
    pub fn matrix_seconds(turn: bool) -> f64 {
        let t = Instant::now();
        let m = run_matrix(&[turn], 1, |_, _| {}).expect("the matrix runs");
        assert_eq!(m.mismatches().count(), 0, "the matrix disagrees with theory");
        t.elapsed().as_secs_f64()
    }

    /// The pair of each outcome type the benchmark times.
    pub const REPRESENTATIVES: [(&str, &str, bool, Outcome); 5] = [
        ("none", "none", false, Outcome::Host),
        ("full-cone", "full-cone", false, Outcome::Srflx),
        ("symmetric", "full-cone", false, Outcome::Prflx),
        ("symmetric", "symmetric", true, Outcome::Relay),
        ("symmetric", "port-restricted", false, Outcome::Failed),
    ];

    #[derive(Debug, Clone, Copy)]
    pub struct OneRun {
        /// Offer → data channel open (connected runs), or the virtual time ICE took to fail.
        pub virtual_ms: f64,
        pub wall_ms: f64,
        pub events: usize,
        /// The report as JSON (what the app receives), bytes.
        pub json_bytes: usize,
    }

    pub fn one(a: &str, b: &str, turn: bool) -> OneRun {
        let s = Scenario {
            nat_a: a.parse().expect("preset"),
            nat_b: b.parse().expect("preset"),
            turn,
            ..Scenario::default()
        };
        let t = Instant::now();
        let r = run(&s).expect("the run");
        let wall_ms = t.elapsed().as_secs_f64() * 1000.0;
        let json_bytes = serde_json::to_string(&r).map(|j| j.len()).unwrap_or(0);
        OneRun { virtual_ms: r.connect_ms.unwrap_or(r.ran_ms), wall_ms, events: r.events.len(), json_bytes }
    }

    /// Wall seconds spent only creating the peer connections (certificate generation and
    /// setup) of `runs` runs: the part of a run that does not depend on the network.
    pub fn peer_setup_seconds(runs: usize) -> f64 {
        use rtclab_natlab::peer::{Peer, PeerConfig};
        let t = Instant::now();
        for _ in 0..runs {
            for (name, offerer) in [("A", true), ("B", false)] {
                let cfg = PeerConfig::plain(name, "10.0.1.2:5000".parse().expect("address"), offerer);
                let _ = Peer::new(cfg, Instant::now()).expect("a peer");
            }
        }
        t.elapsed().as_secs_f64()
    }

    /// A live (paced) run through the lab's WebSocket relay, as the app runs it.
    #[derive(Debug, Clone, Copy)]
    pub struct PacedRun {
        /// Virtual time the run covered.
        pub ran_ms: f64,
        pub wall_ms: f64,
        /// Signalling text frames that crossed the tap (each message twice: in and out).
        pub frames: usize,
        /// Median time from a peer's frame reaching the tap to the relay's copy of it.
        pub relay_hop_ms: f64,
    }

    pub async fn paced(a: &str, b: &str, speed: f64) -> PacedRun {
        use rtclab_natlab::paced::Controls;
        use rtclab_trace::{Dir, EventKind, Recorder};
        let s =
            Scenario { nat_a: a.parse().expect("preset"), nat_b: b.parse().expect("preset"), ..Scenario::default() };
        let recorder = Recorder::with_capacity(100_000);
        let (_speed, speed_rx) = tokio::sync::watch::channel(speed);
        let (_stop, stop_rx) = tokio::sync::watch::channel(false);
        let t = Instant::now();
        let done =
            rtclab_app::nat_live::run_through_relay(&s, &recorder, Controls { speed: speed_rx, stop: stop_rx }, |_| {})
                .await
                .expect("the live run");
        let wall_ms = t.elapsed().as_secs_f64() * 1000.0;
        let texts: Vec<(Dir, String, u64)> = recorder
            .events_since(0)
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::WsFrame { opcode: 1, payload, .. } => Some((e.dir?, payload.text.clone()?, e.t_ns)),
                _ => None,
            })
            .collect();
        let hops: Vec<f64> = texts
            .iter()
            .filter(|(d, _, _)| *d == Dir::ClientToServer)
            .filter_map(|(_, text, t_in)| {
                let out = texts.iter().find(|(d, x, t)| *d == Dir::ServerToClient && x == text && t >= t_in)?;
                Some((out.2 - t_in) as f64 / 1e6)
            })
            .collect();
        PacedRun { ran_ms: done.report.ran_ms, wall_ms, frames: texts.len(), relay_hop_ms: super::median(hops) }
    }

    /// The most memory this process has held, KiB (VmHWM).
    pub fn peak_rss_kib() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Resident memory of this process, KiB (Linux `/proc/self/status`).
    pub fn rss_kib() -> Option<u64> {
        let s = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// RSS after `warm` runs and after `total` runs of the relayed pair (the largest run).
    pub fn loop_growth(warm: usize, total: usize) -> (u64, u64) {
        let mut after_warm = 0;
        for i in 0..total {
            let r = one("symmetric", "symmetric", true);
            assert!(r.events > 0);
            if i + 1 == warm {
                after_warm = rss_kib().unwrap_or(0);
            }
        }
        (after_warm, rss_kib().unwrap_or(0))
    }
}

/// WebRTC in practice, `runs` times: the echo table on plain loopback and with distances
/// (peers 10 ms apart, the server 40 ms away), then an `file_mib` MiB file per delivery mode
/// on loopback. Prints each run and the medians, with ratios against the WebSocket relay (RTT)
/// and the reliable ordered channel (throughput).
pub async fn webrtc(runs: u32, messages: u32, file_mib: u32) -> Result<String, String> {
    use rtclab_practice::compare::{self, CompareRequest, PathKind};
    use rtclab_practice::file_transfer::{self, ChannelMode, SendFileRequest};
    use rtclab_practice::udp_peer::Distances;
    use std::fmt::Write as _;

    let mut out = String::new();
    let paths = [PathKind::P2p, PathKind::Turn, PathKind::Websocket];
    for (label, d) in [
        ("plain loopback", Distances::NONE),
        (
            "peers 10 ms apart, server 40 ms",
            Distances { peers: Duration::from_millis(10), server: Duration::from_millis(40) },
        ),
    ] {
        let mut p50: Vec<Vec<f64>> = vec![vec![]; 3];
        let mut p95: Vec<Vec<f64>> = vec![vec![]; 3];
        for run in 0..runs {
            let req = CompareRequest {
                distances: d,
                messages,
                interval: Duration::from_millis(2),
                with_loopback: false,
                ..CompareRequest::default()
            };
            let r = compare::run(&req, &rtclab_trace::Recorder::with_capacity(200_000), "bench").await?;
            let mut line = format!("{label}, run {}:", run + 1);
            for (i, path) in paths.iter().enumerate() {
                let rtt = r.rtt(*path).ok_or("a path did not echo")?;
                p50[i].push(rtt.p50);
                p95[i].push(rtt.p95);
                let _ = write!(line, " {} p50 {:.3} / p95 {:.3} ms;", path.name(), rtt.p50, rtt.p95);
            }
            let _ = writeln!(out, "{line}");
        }
        let ws50 = median(p50[2].clone());
        let _ = writeln!(out, "{label}, medians of {runs} runs ({messages} echoes per path and run):");
        for (i, path) in paths.iter().enumerate() {
            let (m50, m95) = (median(p50[i].clone()), median(p95[i].clone()));
            let _ = writeln!(
                out,
                "  {:<10} p50 {m50:>8.3} ms  p95 {m95:>8.3} ms  ({:.2}× the WebSocket relay's p50)",
                path.name(),
                m50 / ws50
            );
        }
    }
    let modes = ChannelMode::ALL;
    let mut mbs: Vec<Vec<f64>> = vec![vec![]; modes.len()];
    for run in 0..runs {
        let req = SendFileRequest {
            size_kib: file_mib * 1024,
            latency_ms: 0.0,
            loss_percent: 0.0,
            modes: modes.to_vec(),
            seed: u64::from(run) + 1,
            ..SendFileRequest::default()
        }
        .transfer()?;
        let r = file_transfer::run(&req, &rtclab_trace::Recorder::with_capacity(10_000)).await?;
        let mut line = format!("file of {file_mib} MiB, run {}:", run + 1);
        for (i, row) in r.rows.iter().enumerate() {
            mbs[i].push(row.throughput_mb_s);
            let _ = write!(
                line,
                " {} {:.2} MB/s ({}/{} chunks, OS drops {});",
                row.mode.name(),
                row.throughput_mb_s,
                row.chunks_received,
                row.chunks,
                row.os_receive_drops.map_or("—".into(), |n| n.to_string())
            );
        }
        let _ = writeln!(out, "{line}");
    }
    let base = median(mbs[0].clone());
    let _ = writeln!(out, "data-channel throughput on loopback, medians of {runs} runs:");
    for (i, mode) in modes.iter().enumerate() {
        let m = median(mbs[i].clone());
        let _ = writeln!(out, "  {:<28} {m:>7.2} MB/s  ({:.2}× reliable ordered)", mode.name(), m / base);
    }
    Ok(out)
}

/// `bench call`: the same call through the SFU and as a mesh, `runs` times each, every run in
/// a fresh process so its peak memory is its own. Wall time is compared with the call time it
/// simulated (below 1× is faster than real time).
pub fn call(runs: u32, participants: usize, duration: std::time::Duration) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut out = format!(
        "{participants}-participant call, 800 kbit/s video per sender, {:.0} s of call time, {runs} runs each (medians)\n",
        duration.as_secs_f64()
    );
    for topology in ["sfu", "mesh"] {
        let (mut wall, mut rss) = (vec![], vec![]);
        for _ in 0..runs {
            let o = std::process::Command::new(&exe)
                .args(["bench", "call-once", "--topology", topology, "--participants", &participants.to_string()])
                .args(["--duration", &format!("{}ms", duration.as_millis())])
                .output()
                .map_err(|e| format!("could not start a run: {e}"))?;
            if !o.status.success() {
                return Err(format!("a {topology} run failed: {}", String::from_utf8_lossy(&o.stderr)));
            }
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).map_err(|e| e.to_string())?;
            wall.push(v["wall_ms"].as_f64().unwrap_or(f64::NAN));
            rss.push(v["peak_rss_kib"].as_f64().unwrap_or(f64::NAN));
        }
        let w = median(wall);
        let m = median(rss);
        let _ = std::fmt::Write::write_fmt(
            &mut out,
            format_args!(
                "  {topology:>4}: wall {:.0} ms = {:.2}× real time, peak memory {:.1} MiB\n",
                w,
                w / duration.as_secs_f64() / 1000.0,
                m / 1024.0
            ),
        );
    }
    Ok(out)
}
