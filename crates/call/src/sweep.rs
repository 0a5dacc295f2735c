//! N against bandwidth: the same call for every N in a range, as a mesh and through the SFU,
//! with the theory's lines (N−1 streams up in a mesh, one through an SFU, N−1 down in both)
//! drawn from the stream rate the runs measured.

use serde::Serialize;
use ts_rs::TS;

use crate::config::{CallConfig, Topology};

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SweepPoint {
    pub n: usize,
    pub topology: Topology,
    /// Mean per-participant uplink and downlink, and the sum of every participant's uplink.
    pub uplink_kbps: f64,
    pub downlink_kbps: f64,
    pub total_uplink_kbps: f64,
    pub max_uplink_kbps: f64,
    /// Theory from the sweep's single stream: (N−1)× (mesh) or 1× (SFU) up, (N−1)× down.
    pub theory_uplink_kbps: f64,
    pub theory_downlink_kbps: f64,
    pub video_delivered: f64,
    pub cpu_ms: f64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Sweep {
    pub points: Vec<SweepPoint>,
    /// One sender's stream on the wire: the median over the SFU runs, where every stream
    /// crosses its sender's line once (a mesh whose lines overflow inflates its legs with
    /// retransmissions).
    pub stream_kbps: f64,
}

/// Every call size the lab runs: N = 2…8.
pub fn all_sizes() -> Vec<usize> {
    (crate::config::MIN_PARTICIPANTS..=crate::config::MAX_PARTICIPANTS).collect()
}

/// Runs `base` for each N in `ns` and both topologies; `progress` hears each finished run.
pub fn sweep(base: &CallConfig, ns: &[usize], mut progress: impl FnMut(usize, usize)) -> Result<Sweep, String> {
    let total = ns.len() * 2;
    let mut points = vec![];
    let mut streams = vec![];
    let mut all_streams = vec![];
    for (k, &n) in ns.iter().enumerate() {
        for (j, topology) in [Topology::Mesh, Topology::Sfu].into_iter().enumerate() {
            // Simulcast is the SFU's choice of layers: the mesh runs without it.
            let simulcast = base.simulcast && topology == Topology::Sfu;
            let cfg = CallConfig { participants: n, topology, simulcast, ..base.clone() };
            let r = crate::run(&cfg)?;
            let count = r.participants.len() as f64;
            if r.stream_kbps > 0.0 {
                all_streams.push(r.stream_kbps);
                if topology == Topology::Sfu {
                    streams.push(r.stream_kbps);
                }
            }
            points.push(SweepPoint {
                n,
                topology,
                uplink_kbps: r.participants.iter().map(|p| p.uplink_kbps).sum::<f64>() / count,
                downlink_kbps: r.participants.iter().map(|p| p.downlink_kbps).sum::<f64>() / count,
                total_uplink_kbps: r.totals.uplink_kbps,
                max_uplink_kbps: r.participants.iter().map(|p| p.uplink_kbps).fold(0.0, f64::max),
                // Filled in below, once the stream's rate is known from every run.
                theory_uplink_kbps: 0.0,
                theory_downlink_kbps: 0.0,
                video_delivered: r.totals.video_delivered,
                cpu_ms: r.totals.cpu_ms,
            });
            progress(k * 2 + j + 1, total);
        }
    }
    if streams.is_empty() {
        streams = all_streams;
    }
    streams.sort_by(f64::total_cmp);
    let s = streams.get(streams.len() / 2).copied().unwrap_or(0.0);
    for p in &mut points {
        let others = (p.n - 1) as f64;
        p.theory_uplink_kbps = s * if p.topology == Topology::Mesh { others } else { 1.0 };
        p.theory_downlink_kbps = s * others;
    }
    Ok(Sweep { points, stream_kbps: s })
}
