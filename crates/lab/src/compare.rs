//! Comparing techniques under one workload: run them one after another (so they do not
//! compete for the CPU), then present the measured figures as a table with plain-language
//! findings, or as JSON.

use std::fmt::Write as _;

use indicatif::{ProgressBar, ProgressStyle};
use rtclab_techniques::experiment::Phase;
use rtclab_techniques::{Experiment, RunReport, Technique, Workload};
use rtclab_trace::Recorder;
use serde::Serialize;

/// The result of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub workload: Workload,
    pub runs: Vec<RunReport>,
}

/// Receives the progress of a comparison: technique index, technique, phase.
pub type Observer<'a> = &'a (dyn Fn(usize, Technique, Phase) + Sync);

/// Runs each technique in turn under `workload`, recording into `recorder`. `stop`, when it
/// turns true, ends the current technique early and skips the rest.
pub async fn run(
    techniques: &[Technique],
    workload: &Workload,
    recorder: &Recorder,
    observer: Observer<'_>,
    stop: Option<tokio::sync::watch::Receiver<bool>>,
) -> Result<Comparison, rtclab_techniques::Error> {
    workload.validate()?;
    let mut runs = Vec::new();
    for (i, &t) in techniques.iter().enumerate() {
        if stop.as_ref().is_some_and(|s| *s.borrow()) {
            break;
        }
        let on_phase = |p: Phase| observer(i, t, p);
        let mut exp = Experiment::new(t, workload.clone());
        exp.stop = stop.clone();
        runs.push(exp.run(recorder, &on_phase).await?);
    }
    Ok(Comparison { workload: workload.clone(), runs })
}

/// Runs a comparison with a progress bar per technique on stderr.
pub async fn run_with_progress(
    techniques: &[Technique],
    workload: &Workload,
    recorder: &Recorder,
    progress: bool,
) -> Result<Comparison, rtclab_techniques::Error> {
    let style = ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos}/{len} messages {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let bars: Vec<ProgressBar> = techniques
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let bar = if progress { ProgressBar::new(workload.messages()) } else { ProgressBar::hidden() };
            bar.set_style(style.clone());
            bar.set_prefix(format!("[{}/{}] {t}", i + 1, techniques.len()));
            bar
        })
        .collect();
    let observer = |i: usize, _t: Technique, p: Phase| {
        let Some(bar) = bars.get(i) else { return };
        match p {
            Phase::Connecting { .. } => bar.set_message("connecting clients"),
            Phase::Publishing { done, .. } => {
                bar.set_position(done);
                bar.set_message("publishing");
            }
            Phase::Draining => bar.set_message("waiting for the last deliveries"),
            Phase::Closing => bar.finish_with_message("done"),
        }
    };
    run(techniques, workload, recorder, &observer, None).await
}

/// The JSON form: `{"workload": …, "techniques": [metrics…]}`.
pub fn to_json(c: &Comparison) -> serde_json::Value {
    let techniques: Vec<serde_json::Value> = c
        .runs
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(&r.metrics).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("expected_deliveries".into(), r.expected_deliveries.into());
            }
            v
        })
        .collect();
    serde_json::json!({ "workload": c.workload, "techniques": techniques })
}

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
    let widths: Vec<usize> = (0..head.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).chain([head[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i == 0 {
                let _ = write!(s, "{c:<w$}", w = widths[i]);
            } else {
                let _ = write!(s, "  {c:>w$}", w = widths[i]);
            }
        }
        s
    };
    let _ = writeln!(out, "{}", line(head.to_vec()));
    let _ = writeln!(out, "{}", "-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
    for r in &rows {
        let _ = writeln!(out, "{}", line(r.iter().map(String::as_str).collect()));
    }
    let _ = writeln!(out, "\nWhat the measurements show:");
    for f in findings(c) {
        let _ = writeln!(out, "  • {f}");
    }
    out
}

/// Plain-language findings, each computed from the measured figures.
pub fn findings(c: &Comparison) -> Vec<String> {
    let mut f = Vec::new();
    let clients = c.workload.clients as f64;
    for r in &c.runs {
        let m = &r.metrics;
        let per_msg = if m.delivered > 0 { m.requests as f64 / m.delivered as f64 } else { 0.0 };
        let line = match r.technique {
            Technique::Polling => {
                let empty = if m.requests > 0 { 100.0 * m.empty_responses as f64 / m.requests as f64 } else { 0.0 };
                let full = m.requests.saturating_sub(m.empty_responses).max(1);
                format!(
                    "polling asked {} times for {} deliveries; {:.0}% of the answers were empty (204) and each \
                     other answer carried {:.1} messages. A message waits for the next poll, so the median delay \
                     ({} ms) is about half the {:?} interval.",
                    m.requests,
                    m.delivered,
                    empty,
                    m.delivered as f64 / full as f64,
                    ms(m.latency_ms.p50),
                    c.workload.poll_interval
                )
            }
            Technique::LongPolling => format!(
                "long polling made {:.2} requests per delivered message and held up to {} connections open \
                 waiting for news; median delay {} ms.",
                per_msg,
                m.peak_connections,
                ms(m.latency_ms.p50)
            ),
            Technique::Sse => format!(
                "SSE opened {:.1} request(s) per client for the whole run and pushed each message as one event; \
                 {:.0} B on the wire per message, median delay {} ms.",
                m.requests as f64 / clients,
                m.bytes_per_message,
                ms(m.latency_ms.p50)
            ),
            Technique::Websocket => format!(
                "WebSocket upgraded one connection per client ({} handshake request(s) in all) and then sent bare \
                 frames: {:.0} B on the wire per message, median delay {} ms.",
                m.requests,
                m.bytes_per_message,
                ms(m.latency_ms.p50)
            ),
        };
        f.push(line);
    }
    let cheapest = c
        .runs
        .iter()
        .filter(|r| r.metrics.delivered > 0)
        .min_by(|a, b| a.metrics.bytes_per_message.total_cmp(&b.metrics.bytes_per_message));
    let dearest = c
        .runs
        .iter()
        .filter(|r| r.metrics.delivered > 0)
        .max_by(|a, b| a.metrics.bytes_per_message.total_cmp(&b.metrics.bytes_per_message));
    if let (Some(lo), Some(hi)) = (cheapest, dearest)
        && lo.technique != hi.technique
        && lo.metrics.bytes_per_message > 0.0
    {
        f.push(format!(
            "{} spent {:.1}× the bytes per message of {}.",
            hi.technique,
            hi.metrics.bytes_per_message / lo.metrics.bytes_per_message,
            lo.technique
        ));
    }
    for r in &c.runs {
        if r.metrics.delivered < r.expected_deliveries {
            f.push(format!(
                "{} delivered {} of {} messages before the run ended.",
                r.technique, r.metrics.delivered, r.expected_deliveries
            ));
        }
    }
    f
}

fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn bytes(n: u64) -> String {
    match n {
        n if n >= 1024 * 1024 => format!("{:.2} MiB", n as f64 / (1024.0 * 1024.0)),
        n if n >= 10 * 1024 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}
