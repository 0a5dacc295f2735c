//! `rtc-lab`: run real polling, long polling, SSE and WebSocket experiments, compare them,
//! trace your own endpoints, and read saved traces.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use rtclab_app::course::LessonSource;
use rtclab_app::{compare, plots};
use rtclab_cli::{bench, connect, lanes, nat, progress, table};
use rtclab_natlab::nat::NatSpec;
use rtclab_natlab::net::LinkConditions;
use rtclab_natlab::session::Scenario;
use rtclab_techniques::workload::limits;
use rtclab_techniques::{Direction, Technique, Workload};
use rtclab_trace::describe;
use rtclab_trace::{Recorder, TraceEvent, jsonl};

#[derive(Debug, Parser)]
#[command(name = "rtc-lab", version, about = "Real-time web communication, run for real and measured", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one technique under a workload and show what it did.
    Run {
        /// polling, long-polling, sse or websocket.
        #[arg(value_parser = parse_technique)]
        technique: Technique,
        #[command(flatten)]
        workload: WorkloadArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Run several techniques under the same workload and compare the measurements.
    Compare {
        /// Comma-separated techniques to compare.
        #[arg(long, value_delimiter = ',', value_parser = parse_technique, default_value = "polling,long-polling,sse,websocket")]
        techniques: Vec<Technique>,
        #[command(flatten)]
        workload: WorkloadArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Trace an endpoint you run (your own server): every request, event and frame, decoded.
    Connect {
        /// Which client to use.
        #[arg(value_enum)]
        mode: connect::Mode,
        /// http://HOST:PORT/PATH (poll, long-poll, sse) or ws://HOST:PORT/PATH (ws).
        url: String,
        /// Print JSON Lines (one trace event per line) instead of text.
        #[arg(long)]
        json: bool,
        /// Polling interval (poll mode).
        #[arg(long, value_parser = parse_duration, default_value = "1s")]
        interval: Duration,
        /// Stop after this long (default: run until Ctrl-C).
        #[arg(long, value_parser = parse_duration)]
        duration: Option<Duration>,
        /// Text message to send once the WebSocket is open (repeatable).
        #[arg(long)]
        send: Vec<String>,
        /// Stop after this many events.
        #[arg(long)]
        max_events: Option<u64>,
    },
    /// Draw a saved trace (JSON Lines) as a text sequence diagram.
    Trace {
        file: PathBuf,
        /// Only this experiment (e.g. sse).
        #[arg(long)]
        experiment: Option<String>,
        /// Client lanes to draw.
        #[arg(long, default_value_t = 3)]
        clients: usize,
        /// Stop after this many events per experiment.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Serve the RTC Lab UI and its control API to a browser on 127.0.0.1.
    Serve {
        /// Port to listen on (0: let the OS choose).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Folder of a built UI to serve instead of the one built into rtc-lab (or $RTCLAB_UI_DIR).
        #[arg(long, value_name = "DIR")]
        ui: Option<PathBuf>,
        /// Folder of your own lessons to teach instead of the built-in course (or $RTCLAB_LESSONS_DIR).
        #[arg(long, value_name = "DIR")]
        lessons: Option<PathBuf>,
    },
    /// The NAT lab: every NAT preset pair, with and without TURN, run as real WebRTC peers in
    /// virtual time, beside what RFC 4787 theory predicts.
    NatMatrix {
        /// Only the runs with a TURN server (default: both without and with).
        #[arg(long)]
        turn: bool,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print {"rows":[{"a","b","turn","expected","outcome","connect_ms"}…]}.
        #[arg(long)]
        json: bool,
    },
    /// One WebRTC connection between peer A and peer B behind the NATs you choose, fully traced:
    /// candidates, checks, pairs, NAT tables, and why it did or did not connect directly.
    Webrtc {
        /// NAT in front of peer A: none, full-cone, restricted-cone, port-restricted, symmetric,
        /// udp-blocked, or a grid point like apdm-eif.
        #[arg(long, value_parser = nat::parse_nat, default_value = "none")]
        nat_a: NatSpec,
        /// NAT in front of peer B (same values).
        #[arg(long, value_parser = nat::parse_nat, default_value = "none")]
        nat_b: NatSpec,
        /// Give both peers the lab's TURN server.
        #[arg(long)]
        turn: bool,
        /// The TURN password the peers use (the server knows `secret`; try a wrong one).
        #[arg(long, default_value = "secret")]
        turn_password: String,
        /// Gather no server-reflexive candidates (no STUN server).
        #[arg(long)]
        no_stun: bool,
        /// Put every candidate in the SDP instead of trickling them.
        #[arg(long)]
        no_trickle: bool,
        /// Edit a description before it is sent and see what breaks: remove-fingerprint,
        /// change-ice-pwd, drop-candidates (the offer's), flip-setup (the answer's),
        /// remove-data-section, malform-line (refused with the line and the reason).
        #[arg(long, value_name = "EDIT")]
        sdp_edit: Option<rtclab_natlab::sdp_edit::SdpEdit>,
        /// One-way latency of the internet crossing.
        #[arg(long, value_parser = parse_duration, default_value = "20ms")]
        latency: Duration,
        /// Random extra delay per datagram, up to this much.
        #[arg(long, value_parser = parse_duration, default_value = "0ms")]
        jitter: Duration,
        /// Datagrams lost on the internet crossing (e.g. 1%).
        #[arg(long, value_parser = nat::parse_loss, default_value = "0%")]
        loss: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print every datagram (sent, translated, dropped, delivered) in the timeline.
        #[arg(long)]
        full: bool,
        /// Print the whole report as JSON.
        #[arg(long)]
        json: bool,
        /// Save every event as JSON Lines.
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
        /// Run at a watchable pace, the offer, answer and candidates through the lab's real
        /// WebSocket signalling relay (its frames are printed as they cross the tap).
        #[arg(long)]
        live: bool,
        /// Pace of a --live run: 1 = real time, 0.25 = four times slower (0 < S <= 10).
        #[arg(long, default_value_t = 1.0, requires = "live")]
        speed: f64,
        /// Run the same network with trickle ICE and without, and print both setups by phase.
        #[arg(long, conflicts_with_all = ["live", "no_trickle", "trace", "full"])]
        compare_trickle: bool,
    },
    /// The chapter's WebSockets-vs-WebRTC table, measured: the same messages echoed peer to
    /// peer over a WebRTC data channel, through TURN, and through a WebSocket relay, with
    /// distances between the places; setup time by phase and bytes through the server.
    WebrtcVsWs {
        /// One-way delay between the two peers.
        #[arg(long, value_parser = parse_duration, default_value = "10ms")]
        latency_peers: Duration,
        /// One-way delay between each peer and the server (WebSocket relay, signalling, TURN).
        #[arg(long, value_parser = parse_duration, default_value = "40ms")]
        latency_server: Duration,
        /// Messages echoed on each path (1–10000).
        #[arg(long, default_value_t = 50)]
        messages: u32,
        /// Time between two messages.
        #[arg(long, value_parser = parse_duration, default_value = "20ms")]
        interval: Duration,
        /// Size of each message, bytes (16–16000).
        #[arg(long, default_value_t = 100)]
        size: usize,
        /// Skip the second run on plain loopback (no distances).
        #[arg(long)]
        no_loopback: bool,
        /// Print {"rows":[{"path","rtt_ms":{"p50","p95",…},"setup_ms","server_bytes_per_message",…}…],…}.
        #[arg(long)]
        json: bool,
    },
    /// Sends FILE peer to peer over a WebRTC data channel on loopback UDP, once per delivery
    /// mode (reliable ordered, reliable unordered, maxRetransmits 0): chunks, flow control,
    /// throughput, and the receiver's SHA-256 check.
    SendFile {
        file: PathBuf,
        /// Datagrams lost each way (e.g. 1%).
        #[arg(long, value_parser = nat::parse_loss, default_value = "0%")]
        loss: f64,
        /// One-way delay between the peers.
        #[arg(long, value_parser = parse_duration, default_value = "0ms")]
        latency: Duration,
        /// The link's rate, e.g. 10mbit or 500kbit (default: unlimited).
        #[arg(long, value_parser = parse_rate)]
        rate: Option<u64>,
        /// Bytes per chunk (16–262144).
        #[arg(long, default_value_t = 16 * 1024)]
        chunk: usize,
        /// Only this mode: reliable-ordered, reliable-unordered or unreliable.
        #[arg(long, value_parser = parse_mode)]
        mode: Option<rtclab_practice::file_transfer::ChannelMode>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// A media call on the simulated internet: synthetic audio and video as real SRTP over
    /// real peer connections, as a full mesh or through the lab's SFU; each participant's
    /// uplink, downlink, packets, loss and processor time.
    Call(CallArgs),
    /// A WebSocket cluster on loopback: nodes sharing a broker, clients spread over them, a
    /// publisher; kill a node half-way and watch its clients reconnect elsewhere and recover.
    Cluster {
        /// WebSocket nodes (1 to 16).
        #[arg(long, default_value_t = 3)]
        nodes: usize,
        /// Clients, spread over the nodes in turn (1 to 4000).
        #[arg(long, default_value_t = 30)]
        clients: usize,
        /// Messages published into the channel.
        #[arg(long, default_value_t = 200)]
        messages: u64,
        /// Messages per second.
        #[arg(long, default_value_t = 100.0)]
        rate: f64,
        /// Kill node I (numbered from 1) when half the messages are out.
        #[arg(long, value_name = "I")]
        kill_node: Option<usize>,
        /// Scale down: take node I out of the balancer and close its connections with 1001
        /// (going away) when half the messages are out.
        #[arg(long, value_name = "I")]
        remove_node: Option<usize>,
        /// Scale up: add a node behind the load balancer when half the messages are out
        /// (needs --lb).
        #[arg(long)]
        add_node: bool,
        /// Publications the channel's history keeps (a client that missed more is not recovered).
        #[arg(long, default_value_t = 1000)]
        history: usize,
        /// Reconnect without jitter: every client of a killed node comes back at the same moment.
        #[arg(long)]
        no_jitter: bool,
        /// The first K clients read slowly (one message per 20 ms, small receive buffer).
        #[arg(long, value_name = "K", default_value_t = 0)]
        slow_clients: usize,
        /// Publications that may wait for one connection on its node (2 to 2048).
        #[arg(long, value_name = "N", default_value_t = 1024)]
        queue: usize,
        /// What a node does with a connection whose queue is full: disconnect (close 1008; the
        /// client recovers) or drop-oldest (and tell the client with a gap notice).
        #[arg(long, value_name = "POLICY", default_value = "disconnect", value_parser = rtclab_cluster::slow::SlowPolicy::parse)]
        slow_policy: rtclab_cluster::slow::SlowPolicy,
        /// Bytes of padding in each publication (0 to 8192).
        #[arg(long, value_name = "BYTES", default_value_t = 0)]
        payload: usize,
        /// Put a load balancer in front of the nodes: round-robin, sticky-cookie, ip-hash or
        /// registry (each client connects from its own 127.0.x.y address).
        #[arg(long, value_name = "MODE")]
        lb: Option<String>,
        /// Instead of the run: check, for each of --clients users (at most 200), that the
        /// WebSocket opened through the balancer (--lb, default round-robin) after logging in
        /// reaches a node that knows the session, then send a direct message from each user to
        /// the next, across nodes.
        #[arg(long)]
        sessions: bool,
        /// Keep the broker, the history and the registry in this Redis (redis://HOST:PORT), or
        /// `local` to start a redis-server on a free loopback port for the run.
        #[arg(long, value_name = "URL")]
        redis: Option<String>,
        /// Run each node as its own process (killed with SIGKILL; its memory per connection
        /// measured); needs --redis.
        #[arg(long)]
        processes: bool,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
    /// RFC 5780 NAT behaviour discovery against the lab's STUN server, from behind the NAT you choose.
    NatDiscover {
        /// The NAT to discover (same values as `webrtc --nat-a`).
        #[arg(long, value_parser = nat::parse_nat)]
        nat: NatSpec,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
    /// The course: list the lessons, or check a folder of lessons for mistakes.
    Lessons {
        #[command(subcommand)]
        which: LessonsCmd,
    },
    /// Benchmarks (build with --release for meaningful figures).
    Bench {
        #[command(subcommand)]
        which: BenchCmd,
    },
    /// A load generator of idle cluster subscribers (started by `bench cluster-connections`).
    #[command(hide = true)]
    ClusterLoad {
        #[arg(long, value_delimiter = ',')]
        nodes: Vec<std::net::SocketAddr>,
        #[arg(long, value_delimiter = ',')]
        sources: Vec<std::net::Ipv4Addr>,
        #[arg(long)]
        clients: usize,
        #[arg(long)]
        first_client: usize,
        #[arg(long)]
        messages: u64,
        #[arg(long)]
        wait_s: u64,
    },
    /// One cluster node as its own process (started by `cluster --processes`).
    #[command(hide = true)]
    ClusterNode {
        #[arg(long)]
        id: usize,
        #[arg(long)]
        redis: String,
        #[arg(long)]
        prefix: String,
        #[arg(long)]
        history: usize,
        #[arg(long)]
        registry: bool,
        #[arg(long)]
        default_buffers: bool,
        #[arg(long, default_value_t = 1024)]
        queue: usize,
        #[arg(long, default_value = "disconnect", value_parser = rtclab_cluster::slow::SlowPolicy::parse)]
        slow_policy: rtclab_cluster::slow::SlowPolicy,
    },
}

#[derive(Debug, Subcommand)]
enum LessonsCmd {
    /// The lessons in order, with prerequisites and what each one makes you do.
    List {
        /// Folder of lessons (default: the built-in course, or $RTCLAB_LESSONS_DIR).
        dir: Option<PathBuf>,
    },
    /// Report every problem in a folder of lessons with file:line and a hint; exits non-zero
    /// when there is any.
    Check {
        /// Folder of lessons (default: the built-in course, or $RTCLAB_LESSONS_DIR).
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCmd {
    /// Events the recorder takes per second on one thread.
    Recorder {
        #[arg(long, default_value_t = 2_000_000)]
        events: u64,
        #[arg(long, default_value_t = 5)]
        runs: u32,
    },
    /// The NAT lab: the matrix's wall time with and without TURN, offer → data channel open
    /// per outcome type (virtual and wall time), memory of a run and of a 100-run loop.
    Nat {
        #[arg(long, default_value_t = 5)]
        runs: u32,
    },
    /// Many idle WebSocket clients on a cluster of node processes (on Redis), from several
    /// load processes and 127.0.0.x addresses: memory per connection, time to connect, and
    /// broadcast fan-out to every client.
    ClusterConnections {
        #[arg(long, default_value_t = 10_000)]
        clients: usize,
        #[arg(long, default_value_t = 3)]
        nodes: usize,
        /// Broadcasts timed (one every 500 ms).
        #[arg(long, default_value_t = 10)]
        messages: u64,
        /// The Redis the nodes share (default: a redis-server started for the run).
        #[arg(long, default_value = "local")]
        redis: String,
        /// Give the nodes tungstenite's default per-connection buffers (the baseline).
        #[arg(long)]
        default_buffers: bool,
        #[arg(long)]
        json: bool,
    },
    /// WebRTC in practice: echo RTT p50/p95 peer to peer, through TURN and through a WebSocket
    /// relay (on plain loopback and with distances), and data-channel throughput per delivery
    /// mode; medians of several runs.
    Webrtc {
        #[arg(long, default_value_t = 5)]
        runs: u32,
        /// Messages echoed per path and run.
        #[arg(long, default_value_t = 200)]
        messages: u32,
        /// Size of the file sent per mode and run, MiB.
        #[arg(long, default_value_t = 8)]
        file_mib: u32,
    },
    /// An 8-participant call at 800 kbit/s per sender, 10 s of call time in virtual time,
    /// through the SFU and as a full mesh: wall time (against real time) and peak memory, each
    /// run in a fresh process.
    Call {
        #[arg(long, default_value_t = 5)]
        runs: u32,
        #[arg(long, default_value_t = 8)]
        participants: usize,
        #[arg(long, value_parser = parse_duration, default_value = "10s")]
        duration: Duration,
    },
    /// One call of `bench call`, in this process: prints {"wall_ms","peak_rss_kib"}.
    #[command(hide = true)]
    CallOnce {
        #[arg(long, value_parser = rtclab_call::Topology::parse)]
        topology: rtclab_call::Topology,
        #[arg(long)]
        participants: usize,
        #[arg(long, value_parser = parse_duration)]
        duration: Duration,
    },
    /// WebSocket echo round trip through the tap vs straight to the server.
    Tap {
        #[arg(long, default_value_t = 2000)]
        round_trips: usize,
        #[arg(long, default_value_t = 5)]
        runs: u32,
        #[arg(long, default_value_t = 64)]
        payload: usize,
    },
}

#[derive(Debug, Args)]
struct WorkloadArgs {
    /// Number of clients (1 to 1000).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=limits::MAX_CLIENTS as i64))]
    clients: u32,
    /// Messages published per second, in total (above 0, at most 10000).
    #[arg(long, default_value_t = 5.0, allow_negative_numbers = true)]
    rate: f64,
    /// Message body size in bytes (at most 65536).
    #[arg(long, default_value_t = 64)]
    payload: usize,
    /// How long messages are published (e.g. 5s, 500ms, 1m; at most 10m).
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    duration: Duration,
    /// `down` (server to clients) or `both` (clients publish, the server relays).
    #[arg(long, value_parser = parse_direction, default_value = "down")]
    direction: Direction,
    /// Seed of payloads, client phases and publisher choice.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Interval of the polling technique.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    poll_interval: Duration,
    /// How long the long-polling server holds an empty request.
    #[arg(long, value_parser = parse_duration, default_value = "25s")]
    long_poll_timeout: Duration,
    /// Interval of the server's heartbeats: WebSocket pings and SSE keep-alive comments.
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    heartbeat: Duration,
    /// Cut every open connection at the tap this long after publishing starts (watch the
    /// clients reconnect and resume).
    #[arg(long, value_parser = parse_duration)]
    cut_at: Option<Duration>,
    /// SSE only: instead of published messages, each client streams an AI-style answer with
    /// this delay between tokens, ending at `data: [DONE]`.
    #[arg(long, value_parser = parse_duration)]
    answer_token_delay: Option<Duration>,
}

impl WorkloadArgs {
    fn workload(&self) -> Workload {
        Workload {
            clients: self.clients,
            rate: self.rate,
            payload: self.payload,
            duration: self.duration,
            direction: self.direction,
            seed: self.seed,
            poll_interval: self.poll_interval,
            long_poll_timeout: self.long_poll_timeout,
            heartbeat: self.heartbeat,
            cut_at: self.cut_at,
            answer_token_delay: self.answer_token_delay,
        }
    }
}

#[derive(Debug, Args)]
struct OutputArgs {
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Write SVG charts (latency CDF, bytes per message, requests per second) into DIR.
    #[arg(long, value_name = "DIR")]
    plots: Option<PathBuf>,
    /// Save the whole trace as JSON Lines (open it with `rtc-lab trace FILE`).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
}

fn parse_technique(s: &str) -> Result<Technique, String> {
    s.parse().map_err(|e: rtclab_techniques::Error| e.to_string())
}

fn parse_direction(s: &str) -> Result<Direction, String> {
    s.parse().map_err(|_| format!("{s:?} is not a direction; use `down` or `both`"))
}

fn parse_rate(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_lowercase();
    let (num, mult) = [("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1.0)]
        .iter()
        .find_map(|(unit, m)| t.strip_suffix(unit).map(|n| (n.trim().to_string(), *m)))
        .ok_or_else(|| format!("{s:?} is not a rate; use e.g. 10mbit, 500kbit or 1gbit"))?;
    let v: f64 = num.parse().map_err(|_| format!("{s:?} is not a rate; use e.g. 10mbit, 500kbit or 1gbit"))?;
    if !(v > 0.0 && v.is_finite()) {
        return Err(format!("the rate must be above 0, not {s:?}"));
    }
    Ok((v * mult) as u64)
}

fn parse_mode(s: &str) -> Result<rtclab_practice::file_transfer::ChannelMode, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("{s:?} is not a mode; use reliable-ordered, reliable-unordered or unreliable"))
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e}; use a duration like 5s, 500ms or 2m"))
}

/// Writes to stdout; when the reader has gone (`rtc-lab … | head`), ends quietly.
fn write_out(args: std::fmt::Arguments) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|_| out.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// `println!` that ends the program quietly on a closed pipe.
macro_rules! outln {
    ($($t:tt)*) => { write_out(format_args!("{}\n", format_args!($($t)*))) };
}

/// `print!` likewise.
macro_rules! out {
    ($($t:tt)*) => { write_out(format_args!($($t)*)) };
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,rtc=error,rtc_dtls=error,rtc_ice=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Runtime::new();
    let rt = match rt {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(dispatch(cli.command)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn dispatch(cmd: Command) -> Result<()> {
    match cmd {
        Command::Run { technique, workload, output } => comparison(&[technique], &workload, &output).await,
        Command::Compare { techniques, workload, output } => comparison(&techniques, &workload, &output).await,
        Command::Connect { mode, url, json, interval, duration, send, max_events } => {
            let opts = connect::ConnectOptions { mode, url, interval, duration, send, max_events };
            let summary = connect::run(opts, |e| {
                if json {
                    outln!("{}", serde_json::to_string(e).unwrap_or_default());
                } else {
                    outln!("{}", event_line(e));
                }
            })
            .await?;
            if summary.missed > 0 {
                eprintln!(
                    "note: {} event(s) were dropped by the bounded recorder before they could be printed",
                    summary.missed
                );
            }
            Ok(())
        }
        Command::Trace { file, experiment, clients, limit } => {
            let events = jsonl::load(&file)?;
            let opts = lanes::LaneOptions { experiment, max_clients: clients, limit };
            out!("{}", lanes::render(&events, &opts));
            Ok(())
        }
        Command::NatMatrix { turn, seed, json } => nat_matrix(turn, seed, json),
        Command::Call(args) => call_command(&args),
        Command::SendFile { file, loss, latency, rate, chunk, mode, seed, json } => {
            let meta = std::fs::metadata(&file).with_context(|| format!("cannot read {}", file.display()))?;
            if meta.len() as usize > rtclab_practice::file_transfer::MAX_FILE {
                anyhow::bail!(
                    "{} is {} MiB; the lab sends files up to {} MiB (both peers hold it in memory)",
                    file.display(),
                    meta.len() >> 20,
                    rtclab_practice::file_transfer::MAX_FILE >> 20
                );
            }
            let data = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let req = rtclab_practice::file_transfer::TransferRequest {
                name: file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                data: data.into(),
                chunk,
                latency,
                loss,
                rate_bps: rate,
                modes: mode.map_or_else(|| rtclab_practice::file_transfer::ChannelMode::ALL.to_vec(), |m| vec![m]),
                seed,
            };
            req.validate().map_err(anyhow::Error::msg)?;
            if !json {
                eprintln!("sending {} ({} B) peer to peer…", req.name, req.data.len());
            }
            let report =
                rtclab_practice::file_transfer::run(&req, &Recorder::new()).await.map_err(anyhow::Error::msg)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                out!("{}", rtclab_cli::practice::render_transfer(&report));
            }
            Ok(())
        }
        Command::WebrtcVsWs { latency_peers, latency_server, messages, interval, size, no_loopback, json } => {
            let req = rtclab_practice::compare::CompareRequest {
                distances: rtclab_practice::udp_peer::Distances { peers: latency_peers, server: latency_server },
                messages,
                interval,
                payload: size,
                with_loopback: !no_loopback,
            };
            if !json {
                eprintln!("measuring peer to peer, through TURN and through a WebSocket relay…");
            }
            let report = rtclab_practice::compare::run(&req, &Recorder::new(), "webrtc-vs-ws")
                .await
                .map_err(anyhow::Error::msg)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                out!("{}", rtclab_cli::practice::render(&report));
            }
            Ok(())
        }
        Command::Webrtc {
            nat_a,
            nat_b,
            turn,
            turn_password,
            no_stun,
            no_trickle,
            sdp_edit,
            latency,
            jitter,
            loss,
            seed,
            full,
            json,
            trace,
            live,
            speed,
            compare_trickle,
        } => {
            let scenario = Scenario {
                nat_a,
                nat_b,
                turn,
                turn_password,
                stun: !no_stun,
                trickle: !no_trickle,
                sdp_edit,
                link: LinkConditions { latency, jitter, loss },
                seed,
                deadline: nat::DEFAULT_DEADLINE,
            };
            if compare_trickle {
                let c = rtclab_natlab::trickle::compare(&scenario).map_err(anyhow::Error::msg)?;
                if json {
                    outln!("{}", serde_json::to_string_pretty(&c)?);
                } else {
                    out!("{}", nat::trickle_text(&c));
                }
                return Ok(());
            }
            let report = if live {
                if speed == 0.0 {
                    anyhow::bail!("--speed 0 would pause the run for good; use 0 < S <= 10 (0.25 = four times slower)");
                }
                nat::run_live(&scenario, speed).await?
            } else {
                rtclab_natlab::session::run(&scenario).map_err(anyhow::Error::msg)?
            };
            if let Some(path) = trace {
                let mut text = String::new();
                for e in &report.events {
                    text.push_str(&serde_json::to_string(e)?);
                    text.push('\n');
                }
                std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
                eprintln!("wrote {} events to {}", report.events.len(), path.display());
            }
            if json {
                outln!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                out!("{}", nat::run_text(&report, full));
            }
            Ok(())
        }
        Command::Cluster { nodes, lb, sessions: true, clients, json, redis, .. } => {
            let mode: rtclab_cluster::balancer::LbMode =
                lb.as_deref().unwrap_or("round-robin").parse().map_err(anyhow::Error::msg)?;
            let backend = rtclab_cluster::backend::BackendSpec::from_url(redis.as_deref());
            let r =
                rtclab_cluster::sessions::check(mode, nodes, clients, &backend).await.map_err(anyhow::Error::msg)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                outln!(
                    "load balancer {} in front of {} nodes; each user logs in, then opens a WebSocket with its session:",
                    mode.name(),
                    r.nodes
                );
                for t in &r.trips {
                    outln!("  {:<8} from {:<12} logged in on node {}: {}", t.user, t.source, t.login_node, t.answer);
                }
                outln!("{} of {} WebSockets accepted, {} refused", r.accepted, r.users, r.rejected);
                if r.direct_sent > 0 {
                    outln!("direct messages, each user to the next ({}):", r.backend);
                    for t in &r.trips {
                        if let (Some(d), Some(n)) = (&t.direct, t.ws_node) {
                            outln!("  {:<8} (node {n}) → {:<8} (node {}): {}", t.user, d.to, d.to_node, d.answer);
                        }
                    }
                    outln!(
                        "{} of {} direct messages delivered ({} across nodes)",
                        r.direct_delivered,
                        r.direct_sent,
                        r.direct_cross_node
                    );
                }
                if !r.registry.is_empty() {
                    let rows: Vec<String> =
                        r.registry.iter().map(|e| format!("{} → node {}", e.user, e.node)).collect();
                    outln!("registry: {}", rows.join(", "));
                }
            }
            Ok(())
        }
        Command::Cluster {
            nodes,
            clients,
            messages,
            rate,
            kill_node,
            remove_node,
            add_node,
            history,
            no_jitter,
            seed,
            json,
            redis,
            processes,
            lb,
            sessions: false,
            slow_clients,
            queue,
            slow_policy,
            payload,
        } => {
            let lb =
                lb.map(|m| m.parse::<rtclab_cluster::balancer::LbMode>()).transpose().map_err(anyhow::Error::msg)?;
            let request = rtclab_cluster::experiment::ClusterRunRequest {
                nodes,
                clients,
                messages,
                rate,
                kill_node,
                remove_node,
                add_node,
                history,
                jitter: !no_jitter,
                seed,
                redis,
                lb,
            };
            let mut spec = request.spec().map_err(anyhow::Error::msg)?;
            spec.slow = rtclab_cluster::slow::SlowConsumer { limit: queue, policy: slow_policy };
            spec.slow_clients = slow_clients;
            spec.payload = payload;
            spec.validate().map_err(anyhow::Error::msg)?;
            if processes {
                spec.processes = Some(std::env::current_exe()?);
                spec.validate().map_err(anyhow::Error::msg)?;
            }
            let report = rtclab_cluster::experiment::run(&spec).await.map_err(anyhow::Error::msg)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                out!("{}", cluster_text(&spec, &report));
            }
            Ok(())
        }
        Command::NatDiscover { nat: spec, seed, json } => {
            let d = rtclab_natlab::discover::discover(spec, seed);
            if json {
                outln!("{}", serde_json::to_string_pretty(&d)?);
            } else {
                out!("{}", nat::discovery_text(&d));
            }
            Ok(())
        }
        Command::Bench { which } => run_bench(which).await,
        Command::ClusterLoad { nodes, sources, clients, first_client, messages, wait_s } => {
            let args = rtclab_cluster::load::LoadArgs { nodes, clients, first_client, sources, messages, wait_s };
            rtclab_cluster::load::run_load(args, |line| println!("{line}")).await;
            Ok(())
        }
        Command::ClusterNode { id, redis, prefix, history, registry, default_buffers, queue, slow_policy } => {
            let slow = rtclab_cluster::slow::SlowConsumer { limit: queue, policy: slow_policy };
            let args =
                rtclab_cluster::process::NodeArgs { id, redis, prefix, history, registry, default_buffers, slow };
            rtclab_cluster::process::serve_node(args).await.map_err(anyhow::Error::msg)
        }
        Command::Lessons { which } => lessons(which),
        Command::Serve { port, ui, lessons } => {
            let ui = rtclab_serve::UiSource::or_env(ui);
            let app = rtclab_app::App::new(LessonSource::or_env(lessons), &rtclab_app::learn::default_data_dir());
            rtclab_serve::run(
                app,
                port,
                &ui,
                |addr, token| {
                    // The first line is the URL, so scripts and tests can read it.
                    outln!("http://{addr}/?token={token}");
                    let _ = std::io::stdout().flush();
                    eprintln!("RTC Lab is serving on {addr}; open the URL above. Ctrl-C stops it.");
                },
                async {
                    let _ = tokio::signal::ctrl_c().await;
                },
            )
            .await
            .with_context(|| format!("cannot serve on 127.0.0.1:{port}"))?;
            Ok(())
        }
    }
}

fn nat_matrix(turn_only: bool, seed: u64, json: bool) -> Result<()> {
    let turn: &[bool] = if turn_only { &[true] } else { &[false, true] };
    let bar = if json { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(0) };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} runs")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix("NAT matrix");
    let m = rtclab_natlab::matrix::run_matrix(turn, seed, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .map_err(anyhow::Error::msg)?;
    bar.finish_and_clear();
    if json {
        outln!("{}", serde_json::to_string_pretty(&m)?);
    } else {
        out!("{}", nat::matrix_table(&m));
    }
    Ok(())
}

async fn comparison(techniques: &[Technique], args: &WorkloadArgs, output: &OutputArgs) -> Result<()> {
    let workload = args.workload();
    workload.validate()?;
    let recorder = Recorder::new();
    let progress = !output.json;
    let c = progress::run_with_progress(techniques, &workload, &recorder, progress).await?;
    if output.json {
        outln!("{}", serde_json::to_string_pretty(&compare::to_json(&c))?);
    } else {
        outln!("\n{}", table::render_table(&c));
    }
    if let Some(dir) = &output.plots {
        let written = plots::write_all(&c, dir)?;
        for p in written {
            eprintln!("wrote {}", p.display());
        }
    }
    if let Some(path) = &output.trace {
        let events: Vec<TraceEvent> = recorder.snapshot().iter().map(|e| (**e).clone()).collect();
        jsonl::save(path, &events)?;
        eprintln!(
            "wrote {} events to {} (draw it with: rtc-lab trace {})",
            events.len(),
            path.display(),
            path.display()
        );
    }
    Ok(())
}

fn lessons(which: LessonsCmd) -> Result<()> {
    match which {
        LessonsCmd::List { dir } => {
            let course = LessonSource::or_env(dir).load();
            for l in &course.lessons {
                let needs = if l.prerequisites.is_empty() {
                    String::new()
                } else {
                    format!(" (after {})", l.prerequisites.join(", "))
                };
                outln!(
                    "{:>2}. {} — {} min{needs}\n    {} experiment(s), {} prediction(s), {} quiz(zes), {} challenge(s)  [{}]",
                    l.order,
                    l.title,
                    l.minutes,
                    l.experiments().count(),
                    l.predicts().count(),
                    l.quizzes().count(),
                    l.challenges().count(),
                    l.id
                );
            }
            Ok(())
        }
        LessonsCmd::Check { dir } => {
            let source = LessonSource::or_env(dir);
            if let LessonSource::Dir(dir) = &source
                && !dir.is_dir()
            {
                anyhow::bail!("{} is not a folder of lessons", dir.display());
            }
            let course = source.load();
            let problems = rtclab_lessons::validate(&course);
            for p in &problems {
                outln!("{p}");
            }
            if problems.is_empty() {
                outln!("{}: {} lessons, no problems", source.describe(), course.lessons.len());
                Ok(())
            } else {
                anyhow::bail!("{} problem(s) in {}", problems.len(), source.describe())
            }
        }
    }
}

fn event_line(e: &TraceEvent) -> String {
    let dir = match describe::arrow(e) {
        Some(rtclab_trace::Dir::ClientToServer) => "→",
        Some(rtclab_trace::Dir::ServerToClient) => "←",
        None => "·",
    };
    format!("{:>11.3} ms  {:<10} {dir} {}", e.t_ns as f64 / 1e6, e.actor.to_string(), describe::summary(e))
}

async fn run_bench(which: BenchCmd) -> Result<()> {
    if cfg!(debug_assertions) {
        eprintln!("note: this is a debug build; run `cargo run --release -p rtclab-cli -- bench …` for real figures");
    }
    match which {
        BenchCmd::ClusterConnections { clients, nodes, messages, redis, default_buffers, json } => {
            let bench = rtclab_cluster::connections::ConnectionBench {
                nodes,
                clients,
                messages,
                default_buffers,
                backend: rtclab_cluster::backend::BackendSpec::from_url(Some(&redis)),
            };
            let program = std::env::current_exe()?;
            let r = rtclab_cluster::connections::run(&program, &bench, &|p| eprintln!("{p}"))
                .await
                .map_err(anyhow::Error::msg)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                outln!(
                    "{} clients on {} node processes, from {} load processes ({} source addresses): {} subscribed in {:.1} s, {} failed{}",
                    r.clients,
                    r.nodes,
                    r.loaders,
                    r.sources,
                    r.subscribed,
                    r.connect_s,
                    r.failed,
                    r.first_error.as_deref().map(|e| format!(" (first: {e})")).unwrap_or_default()
                );
                outln!(
                    "node memory {} → {} KiB: {:.1} KiB per idle connection; busiest node holds {} open files",
                    r.node_rss_before_kib,
                    r.node_rss_after_kib,
                    r.mem_per_conn_kib,
                    r.max_node_fds
                );
                outln!(
                    "{} broadcasts: {} of {} copies arrived; fan-out p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                    r.published,
                    r.received,
                    r.published * r.subscribed as u64,
                    r.fanout_ms.p50,
                    r.fanout_ms.p99,
                    r.fanout_max_ms
                );
            }
        }
        BenchCmd::Recorder { events, runs } => {
            let mut rates = Vec::new();
            for i in 0..runs {
                let r = tokio::task::spawn_blocking(move || bench::recorder_throughput(events)).await?;
                outln!("run {}: {:.0} events/s", i + 1, r);
                rates.push(r);
            }
            outln!("median: {:.0} events/s over {runs} runs of {events} events", bench::median(rates));
        }
        BenchCmd::Call { runs, participants, duration } => {
            outln!("{}", bench::call(runs, participants, duration).map_err(anyhow::Error::msg)?);
        }
        BenchCmd::CallOnce { topology, participants, duration } => {
            let cfg = rtclab_call::CallConfig { participants, topology, duration, ..Default::default() };
            let started = std::time::Instant::now();
            let report = rtclab_call::run(&cfg).map_err(anyhow::Error::msg)?;
            let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
            let json = serde_json::json!({
                "wall_ms": wall_ms,
                "peak_rss_kib": bench::nat::peak_rss_kib(),
                "media_ms": report.media_ms,
                "delivered": report.totals.video_delivered,
            });
            outln!("{json}");
        }
        BenchCmd::Webrtc { runs, messages, file_mib } => {
            out!("{}", bench::webrtc(runs, messages, file_mib).await.map_err(anyhow::Error::msg)?);
        }
        BenchCmd::Nat { runs } => {
            use bench::nat;
            let (mut without, mut with) = (Vec::new(), Vec::new());
            for i in 0..runs {
                let (a, b) = (nat::matrix_seconds(false), nat::matrix_seconds(true));
                outln!("run {}: matrix without TURN {:.3} s, with TURN {:.3} s", i + 1, a, b);
                without.push(a);
                with.push(b);
            }
            let (a, b) = (bench::median(without), bench::median(with));
            outln!(
                "median over {runs} runs: matrix without TURN {a:.3} s, with TURN {b:.3} s, both {:.3} s, ratio with/without {:.2}",
                a + b,
                b / a
            );
            let setup = bench::median((0..runs).map(|_| nat::peer_setup_seconds(36)).collect());
            outln!("of which creating the 72 peer connections of one matrix: {setup:.3} s");
            let base = nat::one("none", "none", false);
            for (na, nb, turn, outcome) in nat::REPRESENTATIVES {
                let (mut v, mut w, mut ev, mut json) = (Vec::new(), Vec::new(), 0, 0);
                for _ in 0..runs {
                    let r = nat::one(na, nb, turn);
                    v.push(r.virtual_ms);
                    w.push(r.wall_ms);
                    (ev, json) = (r.events, r.json_bytes);
                }
                let (v, w) = (bench::median(v), bench::median(w));
                outln!(
                    "{:<7} {na} × {nb}{}: {} {v:.0} virtual ms ({:.1}× host), wall {w:.1} ms, {ev} events, report {:.0} KiB",
                    outcome.name(),
                    if turn { " + TURN" } else { "" },
                    if outcome == rtclab_natlab::session::Outcome::Failed {
                        "ICE failed after"
                    } else {
                        "offer → open"
                    },
                    v / base.virtual_ms,
                    json as f64 / 1024.0
                );
            }
            for speed in [1.0, 10.0] {
                let (mut accuracy, mut hop, mut frames, mut ran) = (Vec::new(), Vec::new(), 0, 0.0);
                for _ in 0..runs {
                    let r = nat::paced("full-cone", "full-cone", speed).await;
                    accuracy.push(r.wall_ms / (r.ran_ms / speed));
                    hop.push(r.relay_hop_ms);
                    (frames, ran) = (r.frames, r.ran_ms);
                }
                outln!(
                    "live srflx full-cone × full-cone at speed {speed}: {ran:.0} virtual ms in {:.3}× its paced wall time, \
                     {frames} signalling frames through the tap, relay hop median {:.2} ms (the simulated path: 42 ms)",
                    bench::median(accuracy),
                    bench::median(hop)
                );
            }
            let before = nat::rss_kib().unwrap_or(0);
            let (warm, end) = nat::loop_growth(10, 100);
            outln!(
                "memory: {before} KiB before, {warm} KiB after 10 relayed runs, {end} KiB after 100 ({:+} KiB over the last 90)",
                end as i64 - warm as i64
            );
        }
        BenchCmd::Tap { round_trips, runs, payload } => {
            let mut ratios = Vec::new();
            let (mut d50, mut t50) = (Vec::new(), Vec::new());
            for i in 0..runs {
                let r = bench::tap_overhead(round_trips, payload).await.context("tap benchmark")?;
                outln!(
                    "run {}: direct p50 {:.1} µs p95 {:.1} µs | through tap p50 {:.1} µs p95 {:.1} µs | ratio p50 {:.2}",
                    i + 1,
                    r.direct_p50_us,
                    r.direct_p95_us,
                    r.tapped_p50_us,
                    r.tapped_p95_us,
                    r.ratio_p50
                );
                ratios.push(r.ratio_p50);
                d50.push(r.direct_p50_us);
                t50.push(r.tapped_p50_us);
            }
            outln!(
                "median over {runs} runs: direct p50 {:.1} µs, through tap p50 {:.1} µs, ratio {:.2}",
                bench::median(d50),
                bench::median(t50),
                bench::median(ratios)
            );
        }
    }
    Ok(())
}

/// `rtc-lab cluster` as text.
fn cluster_text(
    spec: &rtclab_cluster::experiment::ClusterSpec,
    r: &rtclab_cluster::experiment::ClusterReport,
) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} nodes on {}, {} clients, {} messages at {} msg/s, history {}, reconnect {}",
        spec.nodes,
        r.backend,
        spec.clients,
        r.published,
        spec.rate,
        spec.history,
        if spec.jitter { "with full jitter" } else { "without jitter" }
    );
    let all = r.published * r.clients as u64;
    let _ = write!(s, "delivered {} of {all} copies", r.delivered);
    if r.not_recovered > 0 {
        let _ = write!(s, " ({} missed by clients told \"not recovered\", who reloaded)", all - r.delivered - r.lost);
    }
    let _ = writeln!(s, "; lost {}, duplicates {}, out of order {}", r.lost, r.duplicates, r.out_of_order);
    if r.slow_clients > 0 {
        let _ = writeln!(
            s,
            "slow consumers: {} (queue {} per connection, {}): {} closed with 1008, {} publications dropped and told",
            r.slow_clients,
            r.queue_limit,
            r.slow_policy.name(),
            r.slow_disconnects,
            r.skipped
        );
    }
    let _ =
        writeln!(s, "fan-out (publish → live delivery): p50 {:.2} ms, p99 {:.2} ms", r.fanout_ms.p50, r.fanout_ms.p99);
    let _ = writeln!(
        s,
        "connections per node{}: {:?} at the start, {:?} at the end",
        r.lb.map(|m| format!(" (through the {} balancer)", m.name())).unwrap_or_default(),
        r.connections_before,
        r.connections_after
    );
    if let Some(n) = r.added_node {
        let _ = writeln!(
            s,
            "node {n} added half-way: it holds {} connections at the end (open WebSockets stay where they are; only new or reconnecting ones can go to it)",
            r.connections_after.get(n - 1).copied().unwrap_or(0)
        );
    }
    let half_way = match (r.killed_node, r.removed_node) {
        (Some(k), _) => Some((format!("node {k} killed"), "kill")),
        (None, Some(k)) => Some((
            format!("node {k} removed (scale down; {} connections closed with 1001 going away)", r.going_away),
            "removal",
        )),
        (None, None) => None,
    };
    if let Some((what, when)) = half_way {
        let _ = writeln!(
            s,
            "{what} half-way: {} clients moved; {} recovered every message they missed, {} were told \"not recovered\" and reloaded",
            r.moved, r.recovered, r.not_recovered
        );
        if let Some(p) = r.recovery_ms {
            let _ = writeln!(s, "{when} → resubscribed: p50 {:.0} ms, p99 {:.0} ms", p.p50, p.p99);
        }
        let _ = writeln!(
            s,
            "reconnect attempts per 100 ms after the {when}: {:?} (peak {})",
            r.reconnects_per_100ms, r.reconnect_peak_per_100ms
        );
    }
    s
}

/// `rtc-lab call`: the call's settings, or the sweep's.
#[derive(clap::Args, Debug)]
struct CallArgs {
    /// Participants (2–8).
    #[arg(long, default_value_t = 3)]
    participants: usize,
    /// mesh (every participant sends to every other) or sfu (once, to the SFU).
    #[arg(long, value_parser = rtclab_call::Topology::parse, default_value = "sfu")]
    topology: rtclab_call::Topology,
    /// Each sender's video target, kbit/s (50–4000).
    #[arg(long, default_value_t = 800)]
    video_kbps: u32,
    /// Every participant's uplink capacity, kbit/s (default: unlimited).
    #[arg(long)]
    uplink_kbps: Option<u32>,
    /// Every participant's downlink capacity, kbit/s (default: unlimited).
    #[arg(long)]
    downlink_kbps: Option<u32>,
    /// P1 alone on this uplink capacity, kbit/s (a participant on a thin line).
    #[arg(long)]
    thin_uplink_kbps: Option<u32>,
    /// P1 alone on this downlink capacity, kbit/s.
    #[arg(long)]
    thin_downlink_kbps: Option<u32>,
    /// Every participant sends three video layers and the SFU forwards one per receiver,
    /// lower when the receiver's reports show loss (SFU calls only).
    #[arg(long)]
    simulcast: bool,
    /// Loss on every internet crossing (e.g. 1%).
    #[arg(long, value_parser = rtclab_call::config::parse_loss, default_value = "0%")]
    loss: f64,
    /// One-way internet latency.
    #[arg(long, value_parser = parse_duration, default_value = "20ms")]
    latency: Duration,
    /// Call time, counted once every connection is up (0.5s–120s of virtual time).
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    duration: Duration,
    /// Turn NACK and retransmission off (losses stay lost; receivers ask for keyframes).
    #[arg(long)]
    no_nack: bool,
    /// The NAT in front of every participant: a preset or a grid point.
    #[arg(long, value_parser = nat::parse_nat, default_value = "port-restricted")]
    nat: rtclab_natlab::nat::NatSpec,
    /// Offer a TURN server (needed when the NATs leave no direct path).
    #[arg(long)]
    turn: bool,
    /// Run N = 2…8 as a mesh and through the SFU and print N against bandwidth.
    #[arg(long, conflicts_with_all = ["participants", "topology"])]
    sweep: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print {"participants":[{"id","uplink_kbps","downlink_kbps","packets_sent","packets_lost","cpu_ms",…}…],"totals":{…},…}.
    #[arg(long)]
    json: bool,
    /// With --json, also the timeline (RTP/RTCP events) and the half-second series.
    #[arg(long, requires = "json")]
    timeline: bool,
}

impl CallArgs {
    fn config(&self) -> rtclab_call::CallConfig {
        rtclab_call::CallConfig {
            participants: self.participants,
            topology: self.topology,
            video_kbps: self.video_kbps,
            uplink_kbps: self.uplink_kbps,
            downlink_kbps: self.downlink_kbps,
            thin_uplink_kbps: self.thin_uplink_kbps,
            thin_downlink_kbps: self.thin_downlink_kbps,
            simulcast: self.simulcast,
            loss: self.loss,
            latency: self.latency,
            nack: !self.no_nack,
            nat: self.nat,
            turn: self.turn,
            duration: self.duration,
            seed: self.seed,
            ..Default::default()
        }
    }
}

/// Runs one call (or the sweep) and prints it as a table or JSON.
fn call_command(args: &CallArgs) -> Result<()> {
    let cfg = args.config();
    let json = args.json;
    if args.sweep {
        let sweep = rtclab_call::sweep::sweep(&cfg, &rtclab_call::sweep::all_sizes(), |done, total| {
            if !json {
                eprintln!("  {done}/{total} calls run");
            }
        })
        .map_err(anyhow::Error::msg)?;
        if json {
            outln!("{}", serde_json::to_string_pretty(&sweep)?);
        } else {
            out!("{}", rtclab_cli::call::render_sweep(&sweep));
        }
        return Ok(());
    }
    let report = rtclab_call::run(&cfg).map_err(anyhow::Error::msg)?;
    if json {
        let mut v = serde_json::to_value(&report)?;
        if !args.timeline
            && let Some(o) = v.as_object_mut()
        {
            o.remove("events");
            o.remove("series");
        }
        outln!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        out!("{}", rtclab_cli::call::render(&report));
    }
    Ok(())
}
