//! Comparing techniques under one workload: run them one after another (so they do not
//! compete for the CPU), then say what the measured figures show in plain language.

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

/// Plain-language findings of a comparison, each computed from the measured figures.
pub fn findings(c: &Comparison) -> Vec<String> {
    let measured: Vec<Measured> = c
        .runs
        .iter()
        .map(|r| Measured { technique: r.technique, metrics: &r.metrics, expected_deliveries: r.expected_deliveries })
        .collect();
    findings_of(&measured, Some(&c.workload))
}

/// One technique's figures, as findings read them.
#[derive(Debug, Clone, Copy)]
pub struct Measured<'a> {
    pub technique: Technique,
    pub metrics: &'a rtclab_techniques::Metrics,
    /// 0 when unknown (an imported trace).
    pub expected_deliveries: u64,
}

/// Findings of measured techniques; `workload` is `None` for an imported trace, whose
/// workload is not known (then nothing is said that would need it).
pub fn findings_of(runs: &[Measured], workload: Option<&Workload>) -> Vec<String> {
    let mut f = Vec::new();
    for r in runs {
        let m = &r.metrics;
        let per_msg = if m.delivered > 0 { m.requests as f64 / m.delivered as f64 } else { 0.0 };
        let line = match r.technique {
            Technique::Polling => {
                let empty = if m.requests > 0 { 100.0 * m.empty_responses as f64 / m.requests as f64 } else { 0.0 };
                let full = m.requests.saturating_sub(m.empty_responses).max(1);
                let mut line = format!(
                    "polling asked {} times for {} deliveries; {:.0}% of the answers were empty (204) and each \
                     other answer carried {:.1} messages.",
                    m.requests,
                    m.delivered,
                    empty,
                    m.delivered as f64 / full as f64,
                );
                if let Some(w) = workload {
                    line += &format!(
                        " A message waits for the next poll, so the median delay ({} ms) is about half the {:?} \
                         interval.",
                        ms(m.latency_ms.p50),
                        w.poll_interval
                    );
                }
                line
            }
            Technique::LongPolling => format!(
                "long polling made {:.2} requests per delivered message and held up to {} connections open \
                 waiting for news; median delay {} ms.",
                per_msg,
                m.peak_connections,
                ms(m.latency_ms.p50)
            ),
            Technique::Sse => format!(
                "SSE opened {} for the whole run and pushed each message as one event; \
                 {:.0} B on the wire per message, median delay {} ms.",
                match workload {
                    Some(w) => format!("{:.1} request(s) per client", m.requests as f64 / w.clients.max(1) as f64),
                    None => format!("{} request(s)", m.requests),
                },
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
    let cheapest = runs
        .iter()
        .filter(|r| r.metrics.delivered > 0)
        .min_by(|a, b| a.metrics.bytes_per_message.total_cmp(&b.metrics.bytes_per_message));
    let dearest = runs
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
    for r in runs {
        if r.expected_deliveries > 0 && r.metrics.delivered < r.expected_deliveries {
            f.push(format!(
                "{} delivered {} of {} messages before the run ended.",
                r.technique, r.metrics.delivered, r.expected_deliveries
            ));
        }
    }
    f
}

/// Milliseconds with as many decimals as make sense at that size.
pub fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}
