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

/// One plain-language finding: when it holds, read from the figures alone (never from the
/// technique's name, so it cannot be said of a technique it is false for), and what it says.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub holds: fn(&Measured, Option<&Workload>) -> bool,
    pub says: fn(&Measured, Option<&Workload>) -> String,
}

/// The findings about a single technique, in the order they are said.
pub const RULES: &[Rule] = &[
    Rule {
        id: "empty-answers",
        holds: |r, _| r.metrics.empty_responses > 0,
        says: |r, _| {
            let m = r.metrics;
            format!(
                "{}: {} of {} requests ({:.0} %) came back empty (204): the client asked and there was nothing new.",
                r.technique,
                m.empty_responses,
                m.requests,
                100.0 * m.empty_responses as f64 / m.requests.max(1) as f64
            )
        },
    },
    Rule {
        id: "batched-answers",
        holds: |r, _| {
            let m = r.metrics;
            let answers = answers_with_news(m);
            m.stream_responses == 0 && answers > 0 && m.delivered as f64 >= 1.5 * answers as f64
        },
        says: |r, _| {
            format!(
                "{}: each answer with news carried {:.1} messages on average, so they shared one set of headers.",
                r.technique,
                r.metrics.delivered as f64 / answers_with_news(r.metrics).max(1) as f64
            )
        },
    },
    Rule {
        id: "request-per-message",
        holds: |r, _| {
            let m = r.metrics;
            m.stream_responses == 0 && m.delivered > 0 && m.requests as f64 >= 0.8 * m.delivered as f64
        },
        says: |r, _| {
            let m = r.metrics;
            format!(
                "{} made {:.2} HTTP requests per delivered message, each a whole request and response.",
                r.technique,
                m.requests as f64 / m.delivered.max(1) as f64
            )
        },
    },
    Rule {
        id: "one-stream-carries-everything",
        holds: |r, _| {
            let m = r.metrics;
            m.requests > 0 && m.stream_responses == m.requests && m.delivered >= m.requests
        },
        says: |r, w| {
            let m = r.metrics;
            let per_client = match w {
                Some(w) => format!(" ({:.1} per client)", m.requests as f64 / w.clients.max(1) as f64),
                None => String::new(),
            };
            format!(
                "{} opened {} long-lived stream(s){per_client} and every message rode on them: no request per message.",
                r.technique, m.requests
            )
        },
    },
    Rule {
        id: "waits-for-the-next-poll",
        holds: |r, w| {
            let Some(w) = w else { return false };
            let m = r.metrics;
            let half = w.poll_interval.as_secs_f64() * 1000.0 / 2.0;
            m.stream_responses == 0
                && m.empty_responses > 0
                && m.delivered > 0
                && (0.5 * half..=1.5 * half).contains(&m.latency_ms.p50)
        },
        says: |r, w| {
            format!(
                "{}: a message waits for the next poll, so the median delay ({} ms) is about half the {:?} interval.",
                r.technique,
                ms(r.metrics.latency_ms.p50),
                w.map(|w| w.poll_interval).unwrap_or_default()
            )
        },
    },
    Rule {
        id: "cost-and-delay",
        holds: |r, _| r.metrics.delivered > 0,
        says: |r, _| {
            let m = r.metrics;
            format!(
                "{}: {:.0} B on the wire per delivered message, {:.0} % of it headers and framing; median delay {} ms.",
                r.technique,
                m.bytes_per_message,
                100.0 * m.header_bytes as f64 / m.bytes_on_wire.max(1) as f64,
                ms(m.latency_ms.p50)
            )
        },
    },
    Rule {
        id: "short-of-expected",
        holds: |r, _| r.expected_deliveries > 0 && r.metrics.delivered < r.expected_deliveries,
        says: |r, _| {
            format!(
                "{} delivered {} of {} messages before the run ended.",
                r.technique, r.metrics.delivered, r.expected_deliveries
            )
        },
    },
];

/// Responses that carried messages: neither empty nor a stream.
fn answers_with_news(m: &rtclab_techniques::Metrics) -> u64 {
    m.requests.saturating_sub(m.empty_responses + m.stream_responses)
}

/// Findings of measured techniques; `workload` is `None` for an imported trace, whose
/// workload is not known (then nothing is said that would need it).
pub fn findings_of(runs: &[Measured], workload: Option<&Workload>) -> Vec<String> {
    let mut f = Vec::new();
    for r in runs {
        for rule in RULES {
            if (rule.holds)(r, workload) {
                f.push((rule.says)(r, workload));
            }
        }
    }
    let delivered: Vec<&Measured> = runs.iter().filter(|r| r.metrics.delivered > 0).collect();
    let cheapest = delivered.iter().min_by(|a, b| a.metrics.bytes_per_message.total_cmp(&b.metrics.bytes_per_message));
    let dearest = delivered.iter().max_by(|a, b| a.metrics.bytes_per_message.total_cmp(&b.metrics.bytes_per_message));
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
