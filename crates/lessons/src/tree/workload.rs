//! Turning a [`WorkloadDescription`] into a short engine [`Workload`], so a
//! recommendation can be checked by measuring it side by side with its runners-up.
//!
//! The mapping, also in `docs/lesson-format.md`:
//!
//! | description | workload |
//! |---|---|
//! | `direction` | `down` → down; `both` → both; `peer-to-peer` → both (the peers' messages relayed by the lab's server, which is what WebRTC would avoid) |
//! | `clients` | kept within 1 to 200 (at least 2 when clients send) |
//! | `updates_per_second_per_client` | `rate`, within 0.05 to 100 messages per second (each message reaches every client) |
//! | — | `duration`: long enough for about 5 messages, within 2 s to 10 s |
//! | — | at most 20,000 deliveries: the rate is lowered to fit |
//! | `payload_bytes` | `payload`, at most 65,536 |
//! | `acceptable_delay_ms` | `poll_interval` (polling checks as often as the delay allows), within 50 ms to 5 s |
//! | — | `long_poll_timeout` 25 s, `seed` 1 |

use std::time::Duration;

use rtclab_techniques::{Direction, Workload};

use crate::tree::{Flow, WorkloadDescription};

/// Most clients of a comparison run.
pub const MAX_CLIENTS: u32 = 200;
/// Longest publishing time of a comparison run.
pub const MAX_DURATION: Duration = Duration::from_secs(10);
/// Most deliveries (messages × receiving clients) of a comparison run.
pub const MAX_DELIVERIES: f64 = 20_000.0;

/// A short, bounded workload resembling `d` (see the module docs for the rules).
pub fn comparison_workload(d: &WorkloadDescription) -> Workload {
    let direction = match d.direction {
        Flow::Down => Direction::Down,
        Flow::Both | Flow::PeerToPeer => Direction::Both,
    };
    let floor = if direction == Direction::Both { 2 } else { 1 };
    let clients = d.clients.clamp(floor, MAX_CLIENTS);
    let rate = if d.updates_per_second_per_client.is_finite() { d.updates_per_second_per_client } else { 1.0 };
    let mut rate = rate.clamp(0.05, 100.0);
    let secs = (5.0 / rate).clamp(2.0, MAX_DURATION.as_secs_f64());
    let deliveries = rate * secs * f64::from(clients);
    if deliveries > MAX_DELIVERIES {
        rate *= MAX_DELIVERIES / deliveries;
    }
    let w = Workload {
        clients,
        rate,
        payload: d.payload_bytes.min(rtclab_techniques::workload::limits::MAX_PAYLOAD),
        duration: Duration::from_secs_f64(secs),
        direction,
        seed: 1,
        poll_interval: Duration::from_millis(d.acceptable_delay_ms.clamp(50, 5000)),
        long_poll_timeout: Duration::from_secs(25),
    };
    debug_assert!(w.validate().is_ok(), "{w:?}");
    w
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
    }
}
