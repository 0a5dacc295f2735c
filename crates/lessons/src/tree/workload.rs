//! Turning a [`WorkloadDescription`] into a short engine [`Workload`], so a
//! recommendation can be checked by measuring it side by side with its runners-up — and
//! saying exactly what was changed from the learner's description, and why.
//!
//! The mapping, also in `docs/lesson-format.md`:
//!
//! | description | workload |
//! |---|---|
//! | `direction` | `down` → down; `both` → both; `peer-to-peer` → both (the peers' messages relayed by the lab's server, which is what WebRTC would avoid) |
//! | `clients` | kept within 1 to 200 (at least 2 when clients send) |
//! | `updates_per_second_per_client` | `rate`, at most 100 messages per second (each message reaches every client) |
//! | — | `duration`: long enough for about 5 updates, within 2 s to 10 s |
//! | rare updates | when 5 updates take longer than 10 s, **time is scaled**: the run goes `time_scale`× faster, and the poll interval, the long-poll timeout and every measured delay scale with it, so what happens between two updates (empty polls, timeouts) is kept |
//! | — | at most 20,000 deliveries: the rate is lowered to fit |
//! | `payload_bytes` | `payload`, at most 65,536 |
//! | `acceptable_delay_ms` | `poll_interval` (polling checks as often as the delay allows), scaled with time, within 10 ms to 10 s |
//! | — | `long_poll_timeout` 25 s (scaled with time, at least 100 ms), `seed` 1 |

use std::time::Duration;

use rtclab_techniques::workload::limits;
use rtclab_techniques::{Direction, Workload};

use crate::tree::{Flow, WorkloadDescription};

/// Most clients of a comparison run.
pub const MAX_CLIENTS: u32 = 200;
/// Longest publishing time of a comparison run.
pub const MAX_DURATION: Duration = Duration::from_secs(10);
/// Most deliveries (messages × receiving clients) of a comparison run.
pub const MAX_DELIVERIES: f64 = 20_000.0;
/// Updates a comparison run shows, at least (when the learner's rate allows it in real time).
pub const UPDATES_SHOWN: f64 = 5.0;
/// Highest update rate run as described.
pub const MAX_RATE: f64 = 100.0;
/// The long-polling server's timeout, in the learner's time.
pub const LONG_POLL_TIMEOUT: Duration = Duration::from_secs(25);

/// A comparison run planned from a description.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonPlan {
    pub workload: Workload,
    /// How many times faster than described the run goes (1: real time). Delays measured in
    /// the run are multiplied by this to be read in the learner's time.
    pub time_scale: f64,
    /// Every way the run differs from the description, each with its reason.
    pub changes: Vec<String>,
}

/// A short, bounded workload resembling `d` (see the module docs for the rules).
pub fn comparison_workload(d: &WorkloadDescription) -> Workload {
    comparison_plan(d).workload
}

/// The workload, its time scale and what was changed (see the module docs for the rules).
pub fn comparison_plan(d: &WorkloadDescription) -> ComparisonPlan {
    let mut changes = Vec::new();
    let direction = match d.direction {
        Flow::Down => Direction::Down,
        Flow::Both => Direction::Both,
        Flow::PeerToPeer => {
            changes.push(
                "Peer to peer is measured as clients sending through the lab's server: the WebRTC connection \
                 itself runs in the NAT lab, so the relay a peer-to-peer call would avoid is included."
                    .to_owned(),
            );
            Direction::Both
        }
    };
    let floor = if direction == Direction::Both { 2 } else { 1 };
    let clients = d.clients.clamp(floor, MAX_CLIENTS);
    if clients != d.clients {
        changes.push(format!(
            "{clients} clients instead of {}: {}",
            d.clients,
            if clients > d.clients {
                "someone must receive what a client sends"
            } else {
                "more would not fit in a short local run; figures per message and per client stay comparable, totals \
                 do not"
            }
        ));
    }
    let described = d.updates_per_second_per_client;
    let mut rate = if described.is_finite() && described > 0.0 { described } else { 1.0 };
    if rate != described {
        changes.push(format!("{} updates per second cannot be run; using 1 per second", fmt(described)));
    }
    if rate > MAX_RATE {
        changes.push(format!("{MAX_RATE} updates per second instead of {}: the most a local run sends", fmt(rate)));
        rate = MAX_RATE;
    }
    let max_secs = MAX_DURATION.as_secs_f64();
    let real_secs = UPDATES_SHOWN / rate;
    let (time_scale, secs) =
        if real_secs <= max_secs { (1.0, real_secs.max(2.0)) } else { (real_secs / max_secs, max_secs) };
    if time_scale > 1.0 {
        changes.push(format!(
            "Time runs {}× faster: {} updates at one every {} would take {}, so the lab sends them within {} s. The \
             poll interval and the long-poll timeout are shortened by the same factor, so the empty polls and timeouts \
             between two updates are all there; the waits measured here (not the machine's own processing) are \
             multiplied back by {} before they are compared with your budget.",
            fmt(time_scale),
            UPDATES_SHOWN,
            human(1.0 / rate),
            human(real_secs),
            max_secs,
            fmt(time_scale)
        ));
    }
    let mut run_rate = rate * time_scale;
    let deliveries = run_rate * secs * f64::from(clients);
    if deliveries > MAX_DELIVERIES {
        run_rate *= MAX_DELIVERIES / deliveries;
        changes.push(format!(
            "{} updates per second instead of {}: {clients} clients × {} updates would be more deliveries than a short \
             local run measures ({MAX_DELIVERIES})",
            fmt(run_rate / time_scale),
            fmt(rate),
            fmt(rate * secs)
        ));
    }
    let delay = Duration::from_millis(d.acceptable_delay_ms.min(86_400_000));
    let scaled_delay = delay.div_f64(time_scale);
    let poll_interval = scaled_delay.clamp(limits::MIN_POLL_INTERVAL, MAX_DURATION);
    if poll_interval != scaled_delay {
        changes.push(format!(
            "Polling every {} instead of every {} (your acceptable delay{}): the lab polls at most every {} ms and at \
             least every {} s",
            human(poll_interval.as_secs_f64() * time_scale),
            human(delay.as_secs_f64()),
            if time_scale > 1.0 { ", in your time" } else { "" },
            limits::MIN_POLL_INTERVAL.as_millis(),
            MAX_DURATION.as_secs()
        ));
    }
    let scaled_timeout = LONG_POLL_TIMEOUT.div_f64(time_scale);
    let long_poll_timeout = scaled_timeout.max(Duration::from_millis(100));
    if long_poll_timeout != scaled_timeout {
        changes.push(format!(
            "The long-poll timeout stands for {} of yours instead of {} s: 100 ms is the shortest the lab's server holds \
             a request, so long polling times out a little less often here than it would for you",
            human(long_poll_timeout.as_secs_f64() * time_scale),
            LONG_POLL_TIMEOUT.as_secs()
        ));
    }
    let payload = d.payload_bytes.min(limits::MAX_PAYLOAD);
    if payload != d.payload_bytes {
        changes.push(format!("{payload} bytes per message instead of {}: the lab's largest message", d.payload_bytes));
    }
    let w = Workload {
        clients,
        rate: run_rate,
        payload,
        duration: Duration::from_secs_f64(secs),
        direction,
        seed: 1,
        poll_interval,
        long_poll_timeout,
        ..Workload::default()
    };
    debug_assert!(w.validate().is_ok(), "{w:?}");
    ComparisonPlan { workload: w, time_scale, changes }
}

/// A number for a sentence: whole numbers bare, others with what precision they need.
fn fmt(v: f64) -> String {
    if v.fract().abs() < 1e-9 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{}", (v * 1000.0).round() / 1000.0)
    }
}

/// A span of seconds in the unit a person would use.
pub(crate) fn human(secs: f64) -> String {
    match secs {
        s if s >= 86_400.0 => format!("{} days", fmt(s / 86_400.0)),
        s if s >= 3_600.0 => format!("{} h", fmt(s / 3_600.0)),
        s if s >= 60.0 => format!("{} min", fmt(s / 60.0)),
        s if s >= 1.0 => format!("{} s", fmt(s)),
        s => format!("{} ms", fmt(s * 1000.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_description_gives_a_short_valid_workload() {
        let flows = [Flow::Down, Flow::Both, Flow::PeerToPeer];
        for (i, rate) in [0.0, 1e-6, 0.0167, 1.0, 50.0, 1e9, f64::NAN, f64::INFINITY].into_iter().enumerate() {
            for clients in [0, 1, 3, 10_000] {
                let d = WorkloadDescription {
                    updates_per_second_per_client: rate,
                    direction: flows[i % 3],
                    clients,
                    payload_bytes: 1 << 30,
                    acceptable_delay_ms: [0, 100, 60_000, u64::MAX][i % 4],
                };
                let w = comparison_workload(&d);
                w.validate().unwrap_or_else(|e| panic!("{d:?} → {w:?}: {e}"));
                assert!(w.duration <= MAX_DURATION && w.clients <= MAX_CLIENTS);
                assert!(w.rate * w.duration.as_secs_f64() * f64::from(w.clients) <= MAX_DELIVERIES + 1.0);
            }
        }
    }

    #[test]
    fn a_chat_maps_to_clients_sending() {
        let d = WorkloadDescription {
            updates_per_second_per_client: 2.0,
            direction: Flow::Both,
            clients: 8,
            payload_bytes: 120,
            acceptable_delay_ms: 200,
        };
        let w = comparison_workload(&d);
        assert_eq!((w.direction, w.clients, w.rate, w.payload), (Direction::Both, 8, 2.0, 120));
        assert_eq!(w.duration, Duration::from_millis(2500));
        assert_eq!(w.poll_interval, Duration::from_millis(200));
        assert!(comparison_plan(&d).changes.is_empty(), "{:?}", comparison_plan(&d).changes);
    }

    #[test]
    fn rare_updates_scale_time_and_keep_the_polls_between_updates() {
        // An email check: one update per 1,000 s, a minute's delay is fine.
        let d = WorkloadDescription {
            updates_per_second_per_client: 0.001,
            direction: Flow::Down,
            clients: 10,
            payload_bytes: 200,
            acceptable_delay_ms: 60_000,
        };
        let plan = comparison_plan(&d);
        let w = &plan.workload;
        assert_eq!(plan.time_scale, 500.0);
        assert_eq!(w.duration, MAX_DURATION);
        assert!((w.rate - 0.5).abs() < 1e-9, "{}", w.rate);
        // Polls per update as described: 1,000 s / 60 s.
        let polls_per_update = (1.0 / w.rate) / w.poll_interval.as_secs_f64();
        assert!((polls_per_update - 1000.0 / 60.0).abs() < 0.01, "{polls_per_update}");
        assert_eq!(w.long_poll_timeout, Duration::from_millis(100), "25 s / 500, at its floor");
        assert!(plan.changes.iter().any(|c| c.contains("500× faster")), "{:?}", plan.changes);
    }
}
