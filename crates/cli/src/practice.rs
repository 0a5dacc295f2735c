//! WebRTC in practice as text: the measured WebSockets-vs-WebRTC table, its setup phases
//! and what it shows.

use std::fmt::Write as _;

use rtclab_practice::compare::{CompareReport, PathRow};

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
