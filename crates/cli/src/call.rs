//! A call as text: who sent and received how much, the streams' loss, jitter and round trip,
//! and the notes computed from them; the sweep as N against bandwidth with the theory beside.

use std::fmt::Write as _;

use rtclab_call::CallReport;
use rtclab_call::sweep::Sweep;

use crate::table::text_grid;

fn opt(v: Option<f64>) -> String {
    v.map_or("–".into(), |x| format!("{x:.1}"))
}

pub fn render(r: &CallReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} call, {} participants, video {} kbit/s: every connection up after {:.0} ms (paths: {}); {:.1} s of media in {:.0} ms of wall time\n",
        r.topology.name(),
        r.participants.len(),
        r.video_kbps,
        r.setup_ms,
        r.paths.join(", "),
        r.media_ms / 1000.0,
        r.wall_ms
    );
    let head =
        ["who", "conns", "uplink kbit/s", "downlink kbit/s", "RTP sent", "received", "lost", "uplink drops", "cpu ms"];
    let mut rows: Vec<Vec<String>> = r
        .participants
        .iter()
        .map(|p| {
            vec![
                p.id.clone(),
                p.connections.to_string(),
                format!("{:.0}", p.uplink_kbps),
                format!("{:.0}", p.downlink_kbps),
                p.packets_sent.to_string(),
                p.packets_received.to_string(),
                p.packets_lost.to_string(),
                p.uplink_drops.to_string(),
                format!("{:.1}", p.cpu_ms),
            ]
        })
        .collect();
    if let Some(s) = &r.sfu {
        rows.push(vec![
            "SFU".into(),
            r.participants.len().to_string(),
            format!("{:.0}", s.uplink_kbps),
            format!("{:.0}", s.downlink_kbps),
            "–".into(),
            "–".into(),
            "–".into(),
            "–".into(),
            format!("{:.1}", s.cpu_ms),
        ]);
    }
    out.push_str(&text_grid(&head, &rows));
    let head = [
        "stream",
        "kbit/s",
        "expected",
        "received",
        "lost",
        "repaired",
        "jitter ms",
        "RTT ms",
        "NACKs",
        "PLIs",
        "PLI→key ms",
    ];
    let rows: Vec<Vec<String>> = r
        .streams
        .iter()
        .map(|s| {
            vec![
                format!("{} → {} {}", s.from, s.to, s.kind.name()),
                format!("{:.0}", s.kbps),
                s.expected.to_string(),
                s.received.to_string(),
                s.lost.to_string(),
                s.repaired.to_string(),
                opt(s.jitter_ms),
                opt(s.rtt_ms),
                s.nacks.to_string(),
                s.plis.to_string(),
                opt(s.keyframe_wait_ms),
            ]
        })
        .collect();
    out.push('\n');
    out.push_str(&text_grid(&head, &rows));
    out.push('\n');
    for n in &r.notes {
        let _ = writeln!(out, "- {n}");
    }
    out
}

pub fn render_sweep(s: &Sweep) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "One stream (audio + video on the wire): {:.0} kbit/s\n", s.stream_kbps);
    let head = [
        "N",
        "topology",
        "uplink/participant",
        "theory",
        "max uplink",
        "downlink/participant",
        "theory",
        "all uplinks",
        "video delivered",
    ];
    let rows: Vec<Vec<String>> = s
        .points
        .iter()
        .map(|p| {
            vec![
                p.n.to_string(),
                p.topology.name().into(),
                format!("{:.0}", p.uplink_kbps),
                format!("{:.0}", p.theory_uplink_kbps),
                format!("{:.0}", p.max_uplink_kbps),
                format!("{:.0}", p.downlink_kbps),
                format!("{:.0}", p.theory_downlink_kbps),
                format!("{:.0}", p.total_uplink_kbps),
                format!("{:.1} %", p.video_delivered * 100.0),
            ]
        })
        .collect();
    out.push_str(&text_grid(&head, &rows));
    out
}
