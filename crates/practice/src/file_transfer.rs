//! A file sent peer to peer over a data channel, once per delivery mode, on loopback UDP with
//! the link the learner sets (delay, loss, rate): chunks with an index, the sender pausing at
//! SCTP's high-water mark and resuming at the low one (`bufferedAmountLowThreshold`), the
//! receiver counting what arrived, in which order, and checking the SHA-256 of what it
//! reassembled against the file's.

use std::sync::Arc;
use std::time::Duration;

use rtclab_natlab::peer::{ChannelOptions, PeerEvent};
use rtclab_techniques::signalling::Signalling;
use rtclab_trace::Recorder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::compare::SERVER_IP;
use crate::pacer::LinkShape;
use crate::udp_peer::{Distances, RunningPeer, Tuning};

/// The largest file the lab sends (it is held in memory by both peers).
pub const MAX_FILE: usize = 256 * 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// After the sender's buffer drained, how long late chunks may still arrive.
const TAIL_GRACE: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ChannelMode {
    /// `ordered: true` (the default channel).
    ReliableOrdered,
    /// `ordered: false`: every chunk arrives, not necessarily in order.
    ReliableUnordered,
    /// `ordered: false, maxRetransmits: 0`: each chunk is sent once.
    Unreliable,
}

impl ChannelMode {
    pub const ALL: [ChannelMode; 3] =
        [ChannelMode::ReliableOrdered, ChannelMode::ReliableUnordered, ChannelMode::Unreliable];

    pub fn name(self) -> &'static str {
        match self {
            ChannelMode::ReliableOrdered => "reliable, ordered",
            ChannelMode::ReliableUnordered => "reliable, unordered",
            ChannelMode::Unreliable => "maxRetransmits 0, unordered",
        }
    }

    fn options(self) -> ChannelOptions {
        match self {
            ChannelMode::ReliableOrdered => ChannelOptions { ordered: true, max_retransmits: None },
            ChannelMode::ReliableUnordered => ChannelOptions { ordered: false, max_retransmits: None },
            ChannelMode::Unreliable => ChannelOptions { ordered: false, max_retransmits: Some(0) },
        }
    }
}

/// A transfer as a screen asks for it: a generated file of `size_kib`, the link, the modes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct SendFileRequest {
    pub size_kib: u32,
    pub chunk_bytes: u32,
    pub latency_ms: f64,
    pub loss_percent: f64,
    /// Megabits per second; null for unlimited.
    pub rate_mbit: Option<f64>,
    pub modes: Vec<ChannelMode>,
    #[ts(type = "number")]
    pub seed: u64,
}

impl Default for SendFileRequest {
    fn default() -> Self {
        SendFileRequest {
            size_kib: 2048,
            chunk_bytes: 16 * 1024,
            latency_ms: 5.0,
            loss_percent: 1.0,
            rate_mbit: None,
            modes: ChannelMode::ALL.to_vec(),
            seed: 1,
        }
    }
}

impl SendFileRequest {
    /// The transfer, with a file of pseudo-random bytes from `seed`, or what is out of range.
    pub fn transfer(&self) -> Result<TransferRequest, String> {
        use rand::{RngCore, SeedableRng};
        let size = self.size_kib as usize * 1024;
        if size == 0 || size > 64 * 1024 * 1024 {
            return Err(format!("the file must be 1 KiB–64 MiB, not {} KiB", self.size_kib));
        }
        if !(self.latency_ms.is_finite() && (0.0..=500.0).contains(&self.latency_ms)) {
            return Err(format!("the delay must be 0–500 ms, not {}", self.latency_ms));
        }
        if let Some(r) = self.rate_mbit.filter(|r| !(r.is_finite() && *r >= 0.01 && *r <= 10_000.0)) {
            return Err(format!("the rate must be 0.01–10000 Mbit/s, not {r}"));
        }
        let mut data = vec![0u8; size];
        rand::rngs::StdRng::seed_from_u64(self.seed).fill_bytes(&mut data);
        let req = TransferRequest {
            name: format!("{} KiB of random bytes", self.size_kib),
            data: data.into(),
            chunk: self.chunk_bytes as usize,
            latency: Duration::from_secs_f64(self.latency_ms / 1000.0),
            loss: self.loss_percent / 100.0,
            rate_bps: self.rate_mbit.map(|r| (r * 1e6) as u64),
            modes: self.modes.clone(),
            seed: self.seed,
        };
        req.validate()?;
        Ok(req)
    }
}

#[derive(Debug, Clone)]
pub struct TransferRequest {
    pub name: String,
    pub data: Arc<[u8]>,
    pub chunk: usize,
    /// One-way delay between the peers.
    pub latency: Duration,
    /// Share of datagrams lost each way, 0..1.
    pub loss: f64,
    pub rate_bps: Option<u64>,
    pub modes: Vec<ChannelMode>,
    pub seed: u64,
}

impl TransferRequest {
    pub fn validate(&self) -> Result<(), String> {
        if self.data.is_empty() || self.data.len() > MAX_FILE {
            return Err(format!("the file must be 1 B–{} MiB, not {} B", MAX_FILE >> 20, self.data.len()));
        }
        if self.chunk < 16 || self.chunk > 256 * 1024 {
            return Err(format!("the chunk size must be 16 B–256 KiB, not {} B", self.chunk));
        }
        if !(0.0..=0.5).contains(&self.loss) {
            return Err(format!("loss must be 0–50 %, not {:.1} %", self.loss * 100.0));
        }
        if self.modes.is_empty() {
            return Err("choose at least one channel mode".into());
        }
        Ok(())
    }
}

/// One mode's transfer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct TransferRow {
    pub mode: ChannelMode,
    pub chunks: u32,
    pub chunks_received: u32,
    /// Chunks that arrived after a later one.
    pub out_of_order: u32,
    #[ts(type = "number")]
    pub bytes_received: u64,
    /// The SHA-256 of what the receiver reassembled (hex), and whether it is the file's.
    pub received_sha256: String,
    pub sha256_matches: bool,
    /// First chunk handed over → last chunk received.
    pub duration_ms: f64,
    /// Bytes received per second, in megabytes (10^6).
    pub throughput_mb_s: f64,
    /// Times the sender paused at the send buffer's high-water mark.
    pub flow_control_pauses: u32,
    /// Datagrams the link lost or its queue dropped, both ways.
    pub datagrams_dropped: u64,
    /// UDP datagrams the operating system dropped because a receive buffer was full, during
    /// this transfer (Linux's system-wide `RcvbufErrors`; None where it cannot be read).
    #[ts(type = "number | null")]
    pub os_receive_drops: Option<u64>,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct TransferReport {
    pub file: String,
    #[ts(type = "number")]
    pub size: u64,
    pub sha256: String,
    pub chunk: u32,
    pub latency_ms: f64,
    pub loss_percent: f64,
    #[ts(type = "number | null")]
    pub rate_bps: Option<u64>,
    pub rows: Vec<TransferRow>,
    pub notes: Vec<String>,
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Sends the file once per mode and reports each.
pub async fn run(req: &TransferRequest, recorder: &Recorder) -> Result<TransferReport, String> {
    req.validate()?;
    // Hashed once: every mode's receiver is checked against it.
    let sha256 = sha256_hex(&req.data);
    let mut rows = vec![];
    for (i, &mode) in req.modes.iter().enumerate() {
        rows.push(send_once(req, &sha256, mode, recorder, req.seed.wrapping_add(i as u64 * 1000)).await?);
    }
    let mut report = TransferReport {
        file: req.name.clone(),
        size: req.data.len() as u64,
        sha256,
        chunk: req.chunk as u32,
        latency_ms: req.latency.as_secs_f64() * 1000.0,
        loss_percent: req.loss * 100.0,
        rate_bps: req.rate_bps,
        rows,
        notes: vec![],
    };
    report.notes = notes(&report);
    Ok(report)
}

async fn send_once(
    req: &TransferRequest,
    file_sha256: &str,
    mode: ChannelMode,
    recorder: &Recorder,
    seed: u64,
) -> Result<TransferRow, String> {
    let mut signalling = Signalling::start(recorder, "send-file").await.map_err(|e| e.to_string())?;
    let link_b = signalling.join(1, "file", "B").await.map_err(|e| e.to_string())?;
    let link_a = signalling.join(0, "file", "A").await.map_err(|e| e.to_string())?;
    let d = Distances { peers: req.latency, server: Duration::ZERO };
    let shape = |seed| LinkShape { loss: req.loss, rate_bps: req.rate_bps, seed };
    let cfg = crate::compare::peer_config;
    let tuning_a = Tuning { channel: mode.options(), no_echo: true, link: shape(seed) };
    let tuning_b = Tuning { channel: mode.options(), no_echo: true, link: shape(seed + 1) };
    let mut a = RunningPeer::start_tuned(cfg("A", true), link_a, SERVER_IP, d, tuning_a).await?;
    let mut b = RunningPeer::start_tuned(cfg("B", false), link_b, SERVER_IP, d, tuning_b).await?;
    let opened = a
        .wait_for(CONNECT_TIMEOUT, |_| {}, |(_, e)| matches!(e, PeerEvent::DataChannelOpen(_)).then_some(()))
        .await
        .is_some();
    let chunks = req.data.len().div_ceil(req.chunk) as u32;
    let mut got: Vec<Option<Vec<u8>>> = vec![None; chunks as usize];
    let (mut received, mut out_of_order, mut highest, mut bytes) = (0u32, 0u32, None::<u32>, 0u64);
    let mut problem = (!opened).then(|| format!("the data channel did not open in {} s", CONNECT_TIMEOUT.as_secs()));
    let os_drops_before = udp_receive_buffer_errors();
    let started = Instant::now();
    let mut last_at = started;
    if opened {
        let _ = a.commands.send(crate::udp_peer::Command::SendFile(req.data.clone(), req.chunk));
        // Bounded: a transfer slower than this is reported as unfinished.
        let deadline = started + Duration::from_secs(120);
        let mut drained_at: Option<Instant> = None;
        loop {
            let tail = drained_at.map(|t| t + TAIL_GRACE).unwrap_or(deadline).min(deadline);
            tokio::select! {
                e = b.events.recv() => match e {
                    Some((_, PeerEvent::Binary(msg))) if msg.len() >= 4 => {
                        let index = u32::from_be_bytes([msg[0], msg[1], msg[2], msg[3]]);
                        if let Some(slot) = got.get_mut(index as usize).filter(|s| s.is_none()) {
                            if highest.is_some_and(|h| index < h) {
                                out_of_order += 1;
                            }
                            highest = Some(highest.map_or(index, |h| h.max(index)));
                            bytes += (msg.len() - 4) as u64;
                            *slot = Some(msg[4..].to_vec());
                            received += 1;
                            last_at = Instant::now();
                        }
                        if received == chunks {
                            break;
                        }
                    }
                    Some(_) => {}
                    None => break,
                },
                e = a.events.recv() => match e {
                    Some((_, PeerEvent::FileSent)) => drained_at = Some(Instant::now()),
                    Some((_, PeerEvent::Problem(p))) => problem = Some(p),
                    Some(_) => {}
                    None => break,
                },
                _ = tokio::time::sleep_until(tail) => {
                    if drained_at.is_none() {
                        problem = Some("the transfer did not finish within 120 s".into());
                    }
                    break;
                }
            }
        }
    }
    let duration = last_at.saturating_duration_since(started);
    let mut hasher = Sha256::new();
    for part in got.iter().flatten() {
        hasher.update(part);
    }
    let received_sha256 = hex(&hasher.finalize());
    let stopped_a = a.stop().await;
    let stopped_b = b.stop().await;
    signalling.shutdown().await;
    let dropped =
        |s: &Option<crate::udp_peer::Stopped>| s.as_ref().map_or(0, |s| s.dropped.lost + s.dropped.queue_full);
    let pauses = stopped_a.as_ref().map_or(0, |s| s.peer.file_pauses);
    let secs = duration.as_secs_f64();
    Ok(TransferRow {
        mode,
        chunks,
        chunks_received: received,
        out_of_order,
        bytes_received: bytes,
        sha256_matches: received_sha256 == file_sha256,
        received_sha256,
        duration_ms: secs * 1000.0,
        throughput_mb_s: if secs > 0.0 { bytes as f64 / secs / 1e6 } else { 0.0 },
        flow_control_pauses: pauses,
        datagrams_dropped: dropped(&stopped_a) + dropped(&stopped_b),
        os_receive_drops: udp_receive_buffer_errors()
            .zip(os_drops_before)
            .map(|(after, before)| after.saturating_sub(before)),
        problem,
    })
}

/// Linux's count of UDP datagrams dropped for a full receive buffer (`/proc/net/snmp`).
fn udp_receive_buffer_errors() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/net/snmp").ok()?;
    let mut udp = text.lines().filter(|l| l.starts_with("Udp:"));
    let (names, values) = (udp.next()?, udp.next()?);
    let at = names.split_whitespace().position(|n| n == "RcvbufErrors")?;
    values.split_whitespace().nth(at)?.parse().ok()
}

/// What the rows show, from their numbers.
fn notes(r: &TransferReport) -> Vec<String> {
    let mut out = vec![];
    for row in &r.rows {
        let verdict = if row.sha256_matches {
            "the SHA-256 of what arrived matches the file's".to_string()
        } else {
            format!(
                "{} of {} chunks arrived, so the SHA-256 does not match: the file is damaged",
                row.chunks_received, row.chunks
            )
        };
        out.push(format!(
            "{}: {verdict}; {:.1} MB/s; {} chunks arrived after a later one; the sender paused {} times at the {} KiB high-water mark.",
            row.mode.name(),
            row.throughput_mb_s,
            row.out_of_order,
            row.flow_control_pauses,
            rtclab_natlab::peer::BUFFER_HIGH / 1024
        ));
    }
    for row in r.rows.iter().filter(|x| x.chunks_received < x.chunks && x.datagrams_dropped == 0) {
        if let Some(n) = row.os_receive_drops.filter(|n| *n > 0) {
            out.push(format!(
                "{}: the link lost nothing, yet {} chunks are missing: the receiving socket's buffer overflowed ({n} datagrams dropped by the operating system meanwhile). Loopback has no loss, but a receiver that falls behind drops too.",
                row.mode.name(),
                row.chunks - row.chunks_received
            ));
        }
    }
    let find = |m| r.rows.iter().find(|x| x.mode == m);
    if let (Some(rel), Some(unrel)) = (find(ChannelMode::ReliableOrdered), find(ChannelMode::Unreliable))
        && r.loss_percent > 0.0
    {
        out.push(format!(
            "With {:.1} % loss the reliable channel retransmitted until all {} chunks arrived ({:.0} ms); with maxRetransmits 0 each lost chunk stayed lost ({} missing) — fine for a game's position updates, not for a file.",
            r.loss_percent,
            rel.chunks,
            rel.duration_ms,
            unrel.chunks - unrel.chunks_received
        ));
    }
    out
}
