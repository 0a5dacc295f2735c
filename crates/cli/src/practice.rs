//! WebRTC in practice as text: the measured WebSockets-vs-WebRTC table, its setup phases
//! and what it shows.

use std::fmt::Write as _;

use rtclab_practice::compare::{CompareReport, PathRow};
use rtclab_practice::file_transfer::TransferReport;

use crate::table::text_grid;

fn rows_grid(rows: &[PathRow]) -> String {
    let head = ["path", "echoed", "RTT p50 ms", "p95 ms", "floor ms", "setup ms", "server B/msg", "route"];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let rtt = |f: fn(&rtclab_practice::compare::Rtt) -> f64| {
                r.rtt_ms.as_ref().map_or("—".into(), |x| format!("{:.2}", f(x)))
            };
            vec![
                r.path.name().into(),
                format!("{}/{}", r.echoed, r.sent),
                rtt(|x| x.p50),
                rtt(|x| x.p95),
                format!("{:.0}", r.floor_ms),
                r.setup_ms.map_or("—".into(), |s| format!("{s:.0}")),
                format!("{:.0}", r.server_bytes_per_message),
                r.route.clone(),
            ]
        })
        .collect();
    text_grid(&head, &cells)
}

/// The table with distances, each WebRTC row's setup by phase, the loopback table, the notes.
pub fn render(r: &CompareReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} messages of {} B, one every {:.0} ms, echoed on each path. Peers {:.0} ms apart, the server {:.0} ms from each (one way).\n",
        r.messages, r.payload_bytes, r.interval_ms, r.peers_ms, r.server_ms
    );
    out.push_str(&rows_grid(&r.rows));
    for row in &r.rows {
        let _ = writeln!(out, "\nSetup of {} (ms from the start):", row.path.name());
        let mut previous = 0.0;
        for p in &row.phases {
            let _ = writeln!(out, "  {:>8.1}  (+{:>7.1})  {}", p.at_ms, p.at_ms - previous, p.name);
            previous = p.at_ms;
        }
    }
    if let Some(lo) = &r.loopback {
        let _ = writeln!(out, "\nThe same on plain loopback (no distances):");
        out.push_str(&rows_grid(&lo.rows));
    }
    let _ = writeln!(out, "\nWhat the measurements show:");
    for n in &r.notes {
        let _ = writeln!(out, "  • {n}");
    }
    out
}

/// A file transfer per mode, then what it shows.
pub fn render_transfer(r: &TransferReport) -> String {
    let mut out = String::new();
    let rate = r.rate_bps.map_or("unlimited".to_string(), |b| format!("{:.1} Mbit/s", b as f64 / 1e6));
    let _ = writeln!(
        out,
        "{}: {} B in chunks of {} B, SHA-256 {}\nLink: {:.0} ms one way, {:.1} % loss each way, rate {rate}\n",
        r.file, r.size, r.chunk, r.sha256, r.latency_ms, r.loss_percent
    );
    let head = ["channel", "chunks", "out of order", "time ms", "MB/s", "pauses", "link drops", "OS drops", "SHA-256"];
    let cells: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|x| {
            vec![
                x.mode.name().into(),
                format!("{}/{}", x.chunks_received, x.chunks),
                x.out_of_order.to_string(),
                format!("{:.0}", x.duration_ms),
                format!("{:.2}", x.throughput_mb_s),
                x.flow_control_pauses.to_string(),
                x.datagrams_dropped.to_string(),
                x.os_receive_drops.map_or("—".into(), |n| n.to_string()),
                x.problem.clone().unwrap_or_else(|| if x.sha256_matches { "matches".into() } else { "DIFFERS".into() }),
            ]
        })
        .collect();
    out.push_str(&text_grid(&head, &cells));
    let _ = writeln!(out, "\nWhat the transfer shows:");
    for n in &r.notes {
        let _ = writeln!(out, "  • {n}");
    }
    out
}
