//! Trickle vs non-trickle ICE on the same network: the scenario run twice, once sending each
//! candidate as it is found, once waiting for gathering to end and putting every candidate in
//! the SDP; each run's setup by phase, from the start, for both peers.

use serde::{Deserialize, Serialize};

use crate::peer::PhaseAt;
use crate::session::{Scenario, run};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct TrickleRun {
    pub trickle: bool,
    pub outcome: String,
    /// Start → the data channel open on both sides, virtual ms.
    pub open_ms: Option<f64>,
    /// When the offer left A.
    pub offer_ms: Option<f64>,
    pub a: Vec<PhaseAt>,
    pub b: Vec<PhaseAt>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct TrickleComparison {
    pub runs: Vec<TrickleRun>,
    /// What the two runs show, from their numbers.
    pub note: String,
}

fn at(phases: &[PhaseAt], name: &str) -> Option<f64> {
    phases.iter().find(|p| p.name == name).map(|p| p.at_ms)
}

/// Runs `s` with trickle on and off.
pub fn compare(s: &Scenario) -> Result<TrickleComparison, String> {
    let mut runs = vec![];
    for trickle in [true, false] {
        let r = run(&Scenario { trickle, ..s.clone() })?;
        let [a, b] = &r.peers;
        let open = |p: &crate::session::PeerReport| p.channel_open_ms;
        runs.push(TrickleRun {
            trickle,
            outcome: r.outcome.name().into(),
            open_ms: open(a).zip(open(b)).map(|(x, y)| x.max(y)),
            offer_ms: at(&a.milestones, "description sent"),
            a: a.milestones.clone(),
            b: b.milestones.clone(),
        });
    }
    let note = note(&runs);
    Ok(TrickleComparison { runs, note })
}

fn note(runs: &[TrickleRun]) -> String {
    let (Some(t), Some(n)) = (runs.iter().find(|r| r.trickle), runs.iter().find(|r| !r.trickle)) else {
        return String::new();
    };
    let (Some(to), Some(no)) = (t.open_ms, n.open_ms) else {
        return format!("With trickle the peers ended {}, without it {}: no time to compare.", t.outcome, n.outcome);
    };
    let gathered = at(&n.a, "gathering done").unwrap_or(0.0);
    let mut text = format!(
        "Trickle sent the offer at {:.0} ms and each candidate as it was found; without trickle A waited until gathering ended ({gathered:.0} ms, when the last server answered) to send one offer with every candidate in it.",
        t.offer_ms.unwrap_or(0.0)
    );
    if let (Some(ti), Some(ni)) = (at(&t.a, "ICE connected"), at(&n.a, "ICE connected")) {
        text.push_str(&format!(" ICE connected at {ti:.0} ms with trickle, {ni:.0} ms without."));
        if ni > ti && (no - to).abs() < 1.0 {
            text.push_str(&format!(
                " Yet the data channel opened at {to:.0} ms both times: this stack moves its DTLS handshake on with the ICE agent's 200 ms check timer, and the next tick came after both."
            ));
            return text;
        }
    }
    text.push_str(&format!(
        " The data channel opened at {to:.0} ms with trickle and {no:.0} ms without: {:.0} ms {}.",
        (no - to).abs(),
        if no > to { "saved by trickling" } else { "lost by trickling" }
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_trickle_the_offer_waits_for_gathering_and_the_channel_opens_later() {
        // Open hosts: the host pair needs no acceptance wait, so gathering is what differs.
        let s = Scenario { turn: true, ..Scenario::default() };
        let c = compare(&s).unwrap();
        let (t, n) = (&c.runs[0], &c.runs[1]);
        assert!(t.trickle && !n.trickle);
        assert_eq!(t.offer_ms, Some(0.0));
        let gathered = at(&n.a, "gathering done").unwrap();
        assert!(gathered > 0.0 && n.offer_ms.unwrap() >= gathered, "{n:?}");
        let ice = |r: &TrickleRun| at(&r.a, "ICE connected").unwrap();
        assert!(ice(t) < ice(n), "trickle's checks start before gathering ends: {c:?}");
        assert!(t.open_ms.unwrap() <= n.open_ms.unwrap(), "{c:?}");
        assert!(c.note.contains(&format!("ICE connected at {:.0} ms with trickle", ice(t))), "{}", c.note);
    }
}
