//! Does the measurement back the wizard's recommendation? Said only when it does: delays are
//! judged against the learner's own budget (in their time, undoing any time scaling), byte
//! costs only when they differ by more than [`BYTES_MARGIN`]. Anything closer is a tie at
//! their budget, and the verdict says what decides instead.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::TechniqueResult;

/// Byte costs within this share of each other are a tie (one run's noise and framing jitter
/// stay well inside it).
pub const BYTES_MARGIN: f64 = 0.2;
/// A delay within this share over the budget still meets it: polling at the budget's own
/// interval lands right at it, and one run cannot tell a few percent apart.
pub const DELAY_MARGIN: f64 = 0.1;

/// The wizard's verdict on its own recommendation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WizardVerdict {
    /// `backs`, `tie`, `disagrees`, or `no_data` (too little was delivered to judge).
    pub outcome: String,
    pub lines: Vec<String>,
}

/// How the delays and costs of a run read against the learner's budget.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub delay_ms: f64,
    /// Measured delays × this = the learner's time.
    pub time_scale: f64,
    /// Whether clients send too (then one channel both ways matters).
    pub both_ways: bool,
}

pub fn verdict(recommended: &str, results: &[TechniqueResult], budget: Budget) -> WizardVerdict {
    let measured: Vec<&TechniqueResult> = results.iter().filter(|r| r.metrics.delivered > 0).collect();
    let Some(rec) = measured.iter().find(|r| r.technique == recommended) else {
        return WizardVerdict {
            outcome: "no_data".into(),
            lines: vec![format!("{recommended} delivered nothing on this run, so there is nothing to judge.")],
        };
    };
    if measured.len() < 2 {
        return WizardVerdict {
            outcome: "no_data".into(),
            lines: vec!["Only one technique delivered anything on this run, so there is nothing to compare.".into()],
        };
    }
    // In a time-scaled run only the waiting scales (timers, the gaps between updates); the
    // machine's own processing, the fastest median of the run, does not.
    let floor = measured.iter().map(|r| r.metrics.latency_ms.p50).fold(f64::INFINITY, f64::min);
    let p95 = |r: &TechniqueResult| {
        let d = r.metrics.latency_ms.p95;
        if budget.time_scale > 1.0 { floor + (d - floor).max(0.0) * budget.time_scale } else { d }
    };
    let in_budget = |r: &TechniqueResult| p95(r) <= budget.delay_ms * (1.0 + DELAY_MARGIN);
    let bpm = |r: &TechniqueResult| r.metrics.bytes_per_message;
    let scaled = if budget.time_scale > 1.0 {
        format!(
            " (in your time: the run went {}× faster; the machine's own {} of processing is not scaled)",
            budget.time_scale,
            ms(floor)
        )
    } else {
        String::new()
    };
    let mut lines = vec![format!(
        "Your acceptable delay is {}; within {:.0} % over it counts as met. 95 % of the messages arrived within: {}{scaled}.",
        ms(budget.delay_ms),
        DELAY_MARGIN * 100.0,
        measured.iter().map(|r| format!("{} {}", r.technique, ms(p95(r)))).collect::<Vec<_>>().join(", "),
    )];
    let others: Vec<&&TechniqueResult> = measured.iter().filter(|r| r.technique != recommended).collect();
    let met: Vec<&str> = others.iter().filter(|r| in_budget(r)).map(|r| r.technique.as_str()).collect();
    if !in_budget(rec) {
        if met.is_empty() {
            lines.push(format!(
                "No technique met your budget on this run, so the delays cannot decide; {}",
                what_decides(budget)
            ));
            return WizardVerdict { outcome: "tie".into(), lines };
        }
        lines.push(format!(
            "{recommended} missed your budget while {} met it: here the measurement does not back the recommendation.",
            met.join(" and ")
        ));
        return WizardVerdict { outcome: "disagrees".into(), lines };
    }
    let clearly_cheaper: Vec<&&&TechniqueResult> =
        others.iter().filter(|r| in_budget(r) && bpm(r) * (1.0 + BYTES_MARGIN) < bpm(rec)).collect();
    if let Some(cheapest) = clearly_cheaper.iter().min_by(|a, b| bpm(a).total_cmp(&bpm(b))) {
        lines.push(format!(
            "Both {recommended} and {} met your budget, so speed does not decide; {} spent {:.0} B per message against \
             {:.0} B for {recommended}. A tie at your budget: {}",
            cheapest.technique,
            cheapest.technique,
            bpm(cheapest),
            bpm(rec),
            what_decides(budget)
        ));
        return WizardVerdict { outcome: "tie".into(), lines };
    }
    let missed: Vec<&str> = others.iter().filter(|r| !in_budget(r)).map(|r| r.technique.as_str()).collect();
    let cheapest_other = others.iter().min_by(|a, b| bpm(a).total_cmp(&bpm(b)));
    let clearly_cheapest = cheapest_other.is_some_and(|o| bpm(rec) * (1.0 + BYTES_MARGIN) < bpm(o));
    if !missed.is_empty() {
        lines.push(format!(
            "{} missed your budget and {recommended} met it{}: the measurement backs the recommendation.",
            missed.join(" and "),
            if clearly_cheapest { ", spending the fewest bytes per message too" } else { "" }
        ));
        return WizardVerdict { outcome: "backs".into(), lines };
    }
    if let (true, Some(o)) = (clearly_cheapest, cheapest_other) {
        lines.push(format!(
            "All met your budget, and {recommended} spent the fewest bytes per message ({:.0} B against {:.0} B for {}, \
             more than {:.0} % apart): the measurement backs the recommendation.",
            bpm(rec),
            bpm(o),
            o.technique,
            BYTES_MARGIN * 100.0
        ));
        return WizardVerdict { outcome: "backs".into(), lines };
    }
    lines.push(format!(
        "All met your budget and their bytes per message are within {:.0} % of each other: a tie at your budget. {}",
        BYTES_MARGIN * 100.0,
        what_decides(budget)
    ));
    WizardVerdict { outcome: "tie".into(), lines }
}

fn what_decides(budget: Budget) -> String {
    let direction = if budget.both_ways {
        "your clients send too, and a WebSocket carries both directions on one connection while the others need a \
         request per message up"
    } else {
        "messages only go down, which SSE and long polling do over plain HTTP"
    };
    format!(
        "what decides instead is direction ({direction}), simplicity (polling and SSE are the least code), and what \
         your infrastructure passes (proxies and load balancers that buffer or cut long-lived connections)."
    )
}

fn ms(v: f64) -> String {
    match v {
        v if v >= 60_000.0 => format!("{:.1} min", v / 60_000.0),
        v if v >= 1_000.0 => format!("{:.1} s", v / 1_000.0),
        v => format!("{} ms", crate::compare::ms(v)),
    }
}

/// The WebRTC answer against its live test: one-way delivery (half the echo's p95) peer to
/// peer, through TURN and through a WebSocket relay, against the learner's budget.
pub fn webrtc_verdict(r: &rtclab_practice::compare::CompareReport, budget_ms: f64) -> WizardVerdict {
    use rtclab_practice::compare::PathKind;
    let one_way = |p: PathKind| r.rtt(p).map(|t| t.p95 / 2.0);
    let (Some(p2p), Some(ws)) = (one_way(PathKind::P2p), one_way(PathKind::Websocket)) else {
        return WizardVerdict {
            outcome: "no_data".into(),
            lines: vec![
                "The data channel or the WebSocket relay echoed nothing on this run, so there is nothing to compare."
                    .into(),
            ],
        };
    };
    let turn = one_way(PathKind::Turn);
    let mut lines = vec![format!(
        "With the peers {:.0} ms apart and the server {:.0} ms from each, 95 % of your messages reached the other side within {} peer to peer, {} through the WebSocket relay{} (half of each echo's p95). Your acceptable delay is {}.",
        r.peers_ms,
        r.server_ms,
        ms(p2p),
        ms(ws),
        turn.map(|t| format!(" and {} through TURN", ms(t))).unwrap_or_default(),
        ms(budget_ms)
    )];
    let met = |d: f64| d <= budget_ms * (1.0 + DELAY_MARGIN);
    let outcome = match (met(p2p), met(ws)) {
        (true, false) => {
            lines.push("Only the direct data channel met your budget: the measurement backs the recommendation — where a direct path exists; through TURN it is no faster than the relay.".into());
            "backs"
        }
        (true, true) => {
            lines.push("Both met your budget, so latency cannot decide; what decides instead: the WebSocket's simpler setup and central server, against WebRTC's lower latency once the budget tightens or the server is far.".into());
            "tie"
        }
        (false, true) => {
            lines.push("The WebSocket relay met your budget and the data channel did not: here the measurement does not back the recommendation (the server is the shorter path).".into());
            "disagrees"
        }
        (false, false) => {
            lines.push("Neither met your budget with these distances, so the delays cannot decide; what decides instead: the distances your users really have — set them under WebRTC vs WS.".into());
            "tie"
        }
    };
    WizardVerdict { outcome: outcome.into(), lines }
}

#[cfg(test)]
mod tests {
    use rtclab_techniques::Metrics;

    use super::*;

    fn result(t: &str, p95_ms: f64, bpm: f64) -> TechniqueResult {
        let mut metrics = Metrics { technique: t.into(), delivered: 10, bytes_per_message: bpm, ..Metrics::default() };
        metrics.latency_ms.p95 = p95_ms;
        TechniqueResult {
            technique: t.into(),
            expected_deliveries: 10,
            metrics,
            latency_cdf: vec![],
            requests_per_second: vec![],
        }
    }

    const BUDGET: Budget = Budget { delay_ms: 200.0, time_scale: 1.0, both_ways: false };

    #[test]
    fn close_costs_within_budget_are_a_tie_not_a_win() {
        let v = verdict("sse", &[result("sse", 5.0, 160.0), result("websocket", 4.0, 150.0)], BUDGET);
        assert_eq!(v.outcome, "tie", "{v:?}");
        assert!(v.lines.iter().any(|l| l.contains("what decides instead")), "{v:?}");
        assert!(!v.lines.iter().any(|l| l.contains("backs")), "{v:?}");
    }

    #[test]
    fn a_clearly_cheaper_recommendation_within_budget_is_backed() {
        let v = verdict("websocket", &[result("websocket", 4.0, 120.0), result("long-polling", 5.0, 400.0)], BUDGET);
        assert_eq!(v.outcome, "backs", "{v:?}");
    }

    #[test]
    fn a_clearly_cheaper_runner_up_within_budget_makes_a_tie() {
        let v = verdict("long-polling", &[result("long-polling", 5.0, 400.0), result("sse", 4.0, 160.0)], BUDGET);
        assert_eq!(v.outcome, "tie", "{v:?}");
        assert!(v.lines[1].contains("sse spent 160 B"), "{v:?}");
    }

    #[test]
    fn missing_the_budget_decides_both_ways() {
        let slow_poll = result("polling", 900.0, 100.0);
        let v = verdict("sse", &[result("sse", 5.0, 160.0), slow_poll.clone()], BUDGET);
        assert_eq!(v.outcome, "backs", "{v:?}");
        let v = verdict("polling", &[slow_poll, result("sse", 5.0, 160.0)], BUDGET);
        assert_eq!(v.outcome, "disagrees", "{v:?}");
    }

    #[test]
    fn time_scaled_waits_are_read_in_the_learners_time_and_processing_is_not_scaled() {
        // A minute's budget, a run 500× faster: polling's 118 ms of waiting is 59 s of the
        // learner's; SSE's 1 ms is the machine's processing, not a wait.
        let scaled = Budget { delay_ms: 60_000.0, time_scale: 500.0, both_ways: false };
        let mut sse = result("sse", 1.0, 350.0);
        sse.metrics.latency_ms.p50 = 1.0;
        let mut poll = result("polling", 118.0, 3000.0);
        poll.metrics.latency_ms.p50 = 52.0;
        let v = verdict("polling", &[poll.clone(), sse.clone()], scaled);
        assert!(v.lines[0].contains("polling 58.5 s") && v.lines[0].contains("sse 1.00 ms"), "{v:?}");
        assert_eq!(v.outcome, "tie", "both meet a minute; sse is far cheaper: {v:?}");
        // Just over the budget, within the stated margin, still meets it.
        poll.metrics.latency_ms.p95 = 125.0;
        assert_eq!(verdict("polling", &[poll.clone(), sse.clone()], scaled).outcome, "tie");
        // Well over it does not.
        poll.metrics.latency_ms.p95 = 140.0;
        assert_eq!(verdict("polling", &[poll, sse], scaled).outcome, "disagrees");
    }

    #[test]
    fn nothing_delivered_is_said_plainly() {
        let mut none = result("sse", 1.0, 1.0);
        none.metrics.delivered = 0;
        assert_eq!(verdict("sse", &[none, result("polling", 1.0, 1.0)], BUDGET).outcome, "no_data");
    }

    fn table(p2p: f64, ws: f64) -> rtclab_practice::compare::CompareReport {
        use rtclab_practice::compare::{PathKind, PathRow, Rtt};
        let row = |path, echo: f64| PathRow {
            path,
            rtt_ms: Some(Rtt { p50: echo, p95: echo, min: echo, max: echo }),
            floor_ms: 0.0,
            setup_ms: None,
            phases: vec![],
            server_bytes_per_message: 0.0,
            setup_server_bytes: 0,
            sent: 1,
            echoed: 1,
            route: String::new(),
            problem: None,
        };
        rtclab_practice::compare::CompareReport {
            messages: 1,
            payload_bytes: 100,
            interval_ms: 20.0,
            peers_ms: 10.0,
            server_ms: 40.0,
            rows: vec![row(PathKind::P2p, p2p), row(PathKind::Websocket, ws)],
            loopback: None,
            notes: vec![],
        }
    }

    #[test]
    fn the_webrtc_answer_is_judged_by_one_way_delay_against_the_budget() {
        // Echoes of 22 and 166 ms: about 11 and 83 ms one way.
        assert_eq!(webrtc_verdict(&table(22.0, 166.0), 50.0).outcome, "backs");
        assert_eq!(webrtc_verdict(&table(22.0, 166.0), 500.0).outcome, "tie");
        assert_eq!(webrtc_verdict(&table(122.0, 45.0), 40.0).outcome, "disagrees");
        assert_eq!(webrtc_verdict(&table(122.0, 166.0), 10.0).outcome, "tie");
    }
}
