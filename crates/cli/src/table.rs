//! The comparison as a text table followed by its findings.

use std::fmt::Write as _;

use rtclab_app::compare::{Comparison, findings, ms};

/// The comparison table followed by what it shows, in plain words.
pub fn render_table(c: &Comparison) -> String {
    let w = &c.workload;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Workload: {} clients, {} msg/s for {:?}, {} B payload, direction {:?}, poll interval {:?}, seed {}\n",
        w.clients, w.rate, w.duration, w.payload, w.direction, w.poll_interval, w.seed
    );
    let head = [
        "technique",
        "delivered",
        "requests",
        "empty",
        "bytes on wire",
        "B/msg",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "conns",
        "peak",
    ];
    let rows: Vec<Vec<String>> = c
        .runs
        .iter()
        .map(|r| {
            let m = &r.metrics;
            vec![
                m.technique.clone(),
                format!("{}/{}", m.delivered, r.expected_deliveries),
                m.requests.to_string(),
                m.empty_responses.to_string(),
                bytes(m.bytes_on_wire),
                format!("{:.0}", m.bytes_per_message),
                ms(m.latency_ms.p50),
                ms(m.latency_ms.p95),
                ms(m.latency_ms.p99),
                ms(m.latency_ms.max),
                m.connections_opened.to_string(),
                m.peak_connections.to_string(),
            ]
        })
        .collect();
    out.push_str(&text_grid(&head, &rows));
    let _ = writeln!(out, "\nWhat the measurements show:");
    for f in findings(c) {
        let _ = writeln!(out, "  • {f}");
    }
    out
}

fn bytes(n: u64) -> String {
    match n {
        n if n >= 1024 * 1024 => format!("{:.2} MiB", n as f64 / (1024.0 * 1024.0)),
        n if n >= 10 * 1024 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// A text table: the first column left-aligned, the others right-aligned, a rule under the head.
pub fn text_grid(head: &[&str], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..head.len())
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .chain([head[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(c.chars().count());
            if i == 0 {
                let _ = write!(s, "{c}{}", " ".repeat(pad));
            } else {
                let _ = write!(s, "  {}{c}", " ".repeat(pad));
            }
        }
        s.trim_end().to_string()
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}", line(head.to_vec()));
    let _ = writeln!(out, "{}", "-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len().saturating_sub(1))));
    for r in rows {
        let _ = writeln!(out, "{}", line(r.iter().map(String::as_str).collect()));
    }
    out
}
