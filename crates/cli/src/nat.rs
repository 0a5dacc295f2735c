//! The NAT lab on the command line: `nat-matrix`, `webrtc` (one run, fully traced; `--live`
//! paces it and signals through the lab's WebSocket relay) and `nat-discover`, printed as
//! text tables like the app's views.

use std::fmt::Write as _;
use std::time::Duration;

use rtclab_natlab::candidate::Candidate;
use rtclab_natlab::discover::Discovery;
use rtclab_natlab::matrix::Matrix;
use rtclab_natlab::nat::NatSpec;
use rtclab_natlab::session::{RunReport, SimEventKind};

use crate::table::text_grid;

/// `webrtc --live`: the run paced at `speed`, its signalling through the lab's WebSocket
/// relay and the tap; every event on the signalling connections is printed as it passes.
pub async fn run_live(scenario: &rtclab_natlab::session::Scenario, speed: f64) -> anyhow::Result<RunReport> {
    use rtclab_natlab::paced::{Controls, check_speed};
    let speed = check_speed(speed).map_err(anyhow::Error::msg)?;
    let recorder = rtclab_trace::Recorder::with_capacity(100_000);
    let (_, mut seen) = recorder.subscribe();
    let printer = tokio::spawn(async move {
        while let Ok(e) = seen.recv().await {
            let line = format!(
                "{:>9.1} ms  {:<9} {}",
                e.t_ns as f64 / 1e6,
                e.actor.to_string(),
                rtclab_trace::describe::summary(&e)
            );
            eprintln!("{line}");
        }
    });
    let (_speed, speed_rx) = tokio::sync::watch::channel(speed);
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    eprintln!("signalling through the lab's WebSocket relay (client 0 = peer A, client 1 = peer B), wall-clock times:");
    let done = rtclab_app::nat_live::run_through_relay(
        scenario,
        &recorder,
        Controls { speed: speed_rx, stop: stop_rx },
        |_| {},
    )
    .await
    .map_err(anyhow::Error::msg);
    // The printer drains what was recorded, then ends with the recorder's last handle.
    drop(recorder);
    let _ = tokio::time::timeout(Duration::from_secs(2), printer).await;
    Ok(done?.report)
}

/// `--nat-a symmetric`: a preset or grid point, with the allowed values in the error.
pub fn parse_nat(s: &str) -> Result<NatSpec, String> {
    s.parse().map_err(|e: rtclab_natlab::nat::NatSpecError| e.to_string())
}

/// `--loss 1%` or `--loss 0.01`: a probability below 50 %.
pub fn parse_loss(s: &str) -> Result<f64, String> {
    let v = match s.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|x| x / 100.0),
        None => s.trim().parse::<f64>(),
    }
    .map_err(|_| format!("{s:?} is not a loss rate; use a percentage like 1% or a fraction like 0.01"))?;
    if !(0.0..0.5).contains(&v) {
        return Err(format!("loss {s} is outside 0%–50%"));
    }
    Ok(v)
}

pub fn matrix_table(m: &Matrix) -> String {
    let head = ["A", "B", "TURN", "expected", "outcome", "connect ms", ""];
    let rows: Vec<Vec<String>> = m
        .rows
        .iter()
        .map(|r| {
            vec![
                r.a.clone(),
                r.b.clone(),
                if r.turn { "yes".into() } else { "no".into() },
                r.expected.name().into(),
                r.outcome.name().into(),
                r.connect_ms.map(|x| format!("{x:.0}")).unwrap_or_else(|| "—".into()),
                if r.expected == r.outcome { String::new() } else { "≠ theory".into() },
            ]
        })
        .collect();
    let mut out = text_grid(&head, &rows);
    let bad = m.mismatches().count();
    let _ = writeln!(
        out,
        "\n{} of {} runs came out as RFC 4787 theory predicts{}.",
        m.rows.len() - bad,
        m.rows.len(),
        if bad == 0 { "" } else { " (see the ≠ rows)" }
    );
    out
}

fn candidate_rows(cs: &[Candidate]) -> Vec<Vec<String>> {
    cs.iter()
        .map(|c| {
            let (t, l, comp) = c.priority_parts();
            vec![
                c.typ.name().to_string(),
                c.foundation.clone(),
                c.component.to_string(),
                c.protocol.clone(),
                c.addr(),
                format!("{} | {} | {}", t, l, comp),
                match (&c.related_address, c.related_port) {
                    (Some(a), Some(p)) => format!("{a}:{p}"),
                    _ => String::new(),
                },
            ]
        })
        .collect()
}

/// One run, in the order a learner reads it: the path, the why, the candidates, the pairs,
/// the NAT tables, and (with `full`) every event.
pub fn run_text(r: &RunReport, full: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "A behind {} × B behind {}, TURN {}, {} signalling, seed {}\n",
        r.nat_a,
        r.nat_b,
        if r.turn { "on" } else { "off" },
        if r.trickle { "trickle" } else { "non-trickle" },
        r.seed
    );
    let _ = writeln!(
        out,
        "Outcome: {}{}",
        r.outcome.name(),
        r.connect_ms.map(|x| format!(" (offer → data channel open in {x:.0} virtual ms)")).unwrap_or_default()
    );
    let _ = writeln!(out, "\nWhy: {}", r.why.headline);
    for reason in &r.why.reasons {
        let _ = writeln!(out, "  • {reason}");
    }
    if let Some(cost) = &r.why.cost {
        let _ = writeln!(out, "  Cost: {cost}");
    }
    if let Some(fix) = &r.why.fix {
        let _ = writeln!(out, "  Fix: {fix}");
    }
    for p in &r.peers {
        let _ = writeln!(out, "\nPeer {} ({}), local candidates:", p.name, p.host);
        let head = [
            "type",
            "foundation",
            "component",
            "protocol",
            "address",
            "priority (type | local | component)",
            "related",
        ];
        out.push_str(&text_grid(&head, &candidate_rows(&p.local_candidates)));
        let _ = writeln!(out, "Peer {}, candidate pairs:", p.name);
        let head = [
            "local",
            "remote",
            "state",
            "nominated",
            "checks sent/answered",
            "checks received/answered",
            "rtt ms",
            "bytes sent/recv",
        ];
        let rows: Vec<Vec<String>> = p
            .pairs
            .iter()
            .map(|x| {
                vec![
                    format!("{} {}", x.local_type, x.local),
                    format!("{} {}", x.remote_type, x.remote),
                    x.state.clone(),
                    if x.nominated { "yes".into() } else { String::new() },
                    format!("{}/{}", x.requests_sent, x.responses_received),
                    format!("{}/{}", x.requests_received, x.responses_sent),
                    if x.rtt_ms > 0.0 { format!("{:.0}", x.rtt_ms) } else { String::new() },
                    format!("{}/{}", x.bytes_sent, x.bytes_received),
                ]
            })
            .collect();
        out.push_str(&text_grid(&head, &rows));
        if !p.nat_table.is_empty() {
            let _ = writeln!(out, "NAT {} mappings at the end:", p.name);
            let head = ["inside", "outside", "for destination", "has sent to"];
            let rows: Vec<Vec<String>> = p
                .nat_table
                .iter()
                .map(|b| {
                    vec![
                        b.inside.to_string(),
                        b.outside.to_string(),
                        b.for_destination.clone().unwrap_or_else(|| "any".into()),
                        b.sent_to.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", "),
                    ]
                })
                .collect();
            out.push_str(&text_grid(&head, &rows));
        }
    }
    let _ = writeln!(
        out,
        "\nTimeline{}:",
        if full { "" } else { " (signalling, ICE and data channel; --full adds every datagram)" }
    );
    // Without --full, a pair shows only when its state or nomination changes.
    let mut last: std::collections::HashMap<(String, String, String), (String, bool)> = Default::default();
    for e in &r.events {
        if let SimEventKind::Pair { peer, row } = &e.kind
            && !full
        {
            let key = (peer.clone(), row.local.to_string(), row.remote.to_string());
            let now = (row.state.clone(), row.nominated);
            if last.get(&key) == Some(&now) {
                continue;
            }
            last.insert(key, now);
        }
        if let Some(line) = event_line(&e.kind, full) {
            let _ = writeln!(out, "{:>9.1} ms  {line}", e.at_us as f64 / 1000.0);
        }
    }
    out
}

/// One timeline line, in the words the app shows (`view::describe`); datagram steps only
/// with `--full`, prefixed with their datagram's number so its steps can be followed.
fn event_line(k: &SimEventKind, full: bool) -> Option<String> {
    let (lane, _, summary, _) = rtclab_natlab::view::describe(k);
    match k {
        SimEventKind::Net { datagram, .. } if full && *datagram > 0 => {
            Some(format!("{lane:<10} #{datagram} {summary}"))
        }
        SimEventKind::Net { .. } if full => Some(format!("{lane:<10} {summary}")),
        SimEventKind::Net { .. } => None,
        _ => Some(format!("{lane:<10} {summary}")),
    }
}

pub fn discovery_text(d: &Discovery) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "RFC 5780 behaviour discovery behind `{}`:\n", d.nat);
    let head = ["test", "from", "to", "CHANGE-REQUEST", "mapped address", "answered from"];
    let rows: Vec<Vec<String>> = d
        .steps
        .iter()
        .map(|s| {
            vec![
                s.test.clone(),
                s.from.to_string(),
                s.to.to_string(),
                s.change_request.clone(),
                s.mapped.map(|a| a.to_string()).unwrap_or_else(|| "no answer".into()),
                s.answered_from.map(|a| a.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    out.push_str(&text_grid(&head, &rows));
    let _ = writeln!(out, "\nConclusion: {}.", d.conclusion);
    out
}

/// How long a default run may take in virtual time before it is called timed out.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);

/// Trickle and non-trickle runs of one network, each peer's setup by phase.
pub fn trickle_text(c: &rtclab_natlab::trickle::TrickleComparison) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for r in &c.runs {
        let _ = writeln!(
            out,
            "{} — outcome {}, data channel open at {}",
            if r.trickle { "Trickle ICE" } else { "Without trickle (every candidate in the SDP)" },
            r.outcome,
            r.open_ms.map_or("—".to_string(), |ms| format!("{ms:.0} ms"))
        );
        for (peer, phases) in [("A", &r.a), ("B", &r.b)] {
            for p in phases {
                let _ = writeln!(out, "  {:>7.0} ms  {peer}  {}", p.at_ms, p.name);
            }
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}", c.note);
    out
}
