//! The same run at a pace a learner can watch. Virtual time follows the wall clock times a
//! speed (1 = real time, 0.1 = ten times slower, 0 = paused) that may change while the run
//! goes on, and the peers' signals cross a real signalling server: each one is handed to the
//! sending peer's link as its JSON text, and what arrives on the receiving peer's link is
//! parsed and handed to that peer. The simulated signalling latency still applies (a message
//! reaches its peer no earlier than sent + [`Session::signal_delay`]), so a paced run and a
//! virtual run of one scenario take the same steps whenever the real server is quicker than
//! the simulated one (on loopback it is, by far).

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::session::{RunReport, Scenario, Session};
use crate::signal::Signal;

/// The fastest and slowest pace a run accepts (0 pauses).
pub const MAX_SPEED: f64 = 10.0;
/// A live run never holds the lab longer than this much wall time (a paused run included).
pub const MAX_WALL: Duration = Duration::from_secs(600);
/// How often the caller is shown the run so far, at most.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(200);
/// Showing the run so far may take at most this share of the wall time: a run with tens of
/// thousands of events (NATs that map per destination but let anyone in) is shown less often.
const PROGRESS_SHARE: u32 = 20;

/// Each peer's end of the signalling connection (index 0 = A, 1 = B).
#[derive(Debug)]
pub struct Links {
    pub outgoing: [mpsc::UnboundedSender<String>; 2],
    pub incoming: [mpsc::UnboundedReceiver<String>; 2],
}

/// What the learner can change while the run goes on.
#[derive(Debug, Clone)]
pub struct Controls {
    pub speed: watch::Receiver<f64>,
    pub stop: watch::Receiver<bool>,
}

/// Checks a pace: a number from 0 (paused) to [`MAX_SPEED`].
pub fn check_speed(speed: f64) -> Result<f64, String> {
    if speed.is_finite() && (0.0..=MAX_SPEED).contains(&speed) {
        Ok(speed)
    } else {
        Err(format!(
            "speed {speed} is out of range; use 0 (paused) to {MAX_SPEED} (1 = real time, 0.1 = ten times slower)"
        ))
    }
}

#[derive(Debug)]
pub struct PacedReport {
    pub report: RunReport,
    /// The learner stopped the run before it ended.
    pub stopped: bool,
}

/// Maps virtual time to the wall clock at the current speed.
#[derive(Debug, Clone, Copy)]
struct Pace {
    wall0: Instant,
    virt0: Duration,
    speed: f64,
}

impl Pace {
    /// Virtual time at wall-clock moment `wall`.
    fn virtual_at(&self, wall: Instant) -> Duration {
        self.virt0 + wall.saturating_duration_since(self.wall0).mul_f64(self.speed)
    }

    /// When virtual time `v` comes, or never while paused.
    fn wall_at(&self, v: Duration) -> Option<Instant> {
        (self.speed > 0.0).then(|| self.wall0 + v.saturating_sub(self.virt0).div_f64(self.speed))
    }

    /// Goes on at `speed` from wall-clock moment `wall`.
    fn set_speed(&mut self, speed: f64, wall: Instant) {
        self.virt0 = self.virtual_at(wall);
        self.wall0 = wall;
        self.speed = speed;
    }
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The new speed, when it changes (never, once nobody can change it).
async fn speed_changed(speed: &mut watch::Receiver<f64>) -> f64 {
    match speed.changed().await {
        Ok(()) => *speed.borrow_and_update(),
        Err(_) => std::future::pending().await,
    }
}

/// Resolves when a stop is asked for (never, once nobody can ask).
async fn stop_requested(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|s| *s).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Runs `s` at the pace `controls.speed` sets, signalling over `links`; `progress` is shown
/// the session every [`PROGRESS_EVERY`] of wall time (less often when showing it is slow).
pub async fn run(
    s: &Scenario,
    mut links: Links,
    mut controls: Controls,
    mut progress: impl FnMut(&mut Session),
) -> Result<PacedReport, String> {
    let mut session = Session::new(s)?;
    let mut pace = Pace { wall0: Instant::now(), virt0: Duration::ZERO, speed: check_speed(*controls.speed.borrow())? };
    let started = Instant::now();
    // When each message in flight to peer i was sent (WebSocket keeps each direction in order).
    let mut sent: [VecDeque<Duration>; 2] = [VecDeque::new(), VecDeque::new()];
    // Signals that arrived over the real server, waiting for their simulated arrival time.
    let mut held: Vec<(Duration, usize, Signal)> = Vec::new();
    let mut next_progress = Instant::now();
    let mut timed_out = false;
    let mut stopped = false;
    loop {
        for (to, sig) in session.flush() {
            sent[to].push_back(session.now);
            if links.outgoing[1 - to].send(sig.to_json()).is_err() {
                return Err(format!("peer {}'s signalling connection closed", ["A", "B"][1 - to]));
            }
        }
        if session.is_over() {
            break;
        }
        if Instant::now() >= next_progress {
            let began = Instant::now();
            progress(&mut session);
            next_progress = Instant::now() + PROGRESS_EVERY.max(began.elapsed() * PROGRESS_SHARE);
        }
        let deadline = s.deadline;
        let next = [session.next_wakeup(), held.iter().map(|(t, _, _)| *t).min()].into_iter().flatten().min();
        let target = next.map_or(deadline, |n| n.min(deadline));
        let [in_a, in_b] = &mut links.incoming;
        tokio::select! {
            _ = sleep_until_some(pace.wall_at(target)) => {
                if next.is_none_or(|n| n > deadline) {
                    timed_out = true;
                    session.now = deadline;
                    break;
                }
                session.advance_to(target);
                let now = session.now;
                let (due, later): (Vec<_>, Vec<_>) = held.drain(..).partition(|(t, _, _)| *t <= now);
                held = later;
                for (_, to, sig) in due {
                    session.deliver_signal(to, sig);
                }
                session.fire_timers();
            }
            text = in_a.recv() => arrived(&mut session, &mut sent, &mut held, 0, text)?,
            text = in_b.recv() => arrived(&mut session, &mut sent, &mut held, 1, text)?,
            speed = speed_changed(&mut controls.speed) => pace.set_speed(check_speed(speed)?, Instant::now()),
            _ = stop_requested(&mut controls.stop) => {
                stopped = true;
                break;
            }
            _ = tokio::time::sleep_until(started + MAX_WALL) => {
                session.signal_problem(0, format!("the live run was ended after {} s of wall time", MAX_WALL.as_secs()));
                timed_out = true;
                break;
            }
        }
    }
    Ok(PacedReport { report: session.finish(timed_out), stopped })
}

/// Takes one text message that reached peer `to` over the real signalling server.
fn arrived(
    session: &mut Session,
    sent: &mut [VecDeque<Duration>; 2],
    held: &mut Vec<(Duration, usize, Signal)>,
    to: usize,
    text: Option<String>,
) -> Result<(), String> {
    let peer = ["A", "B"][to];
    let text = text.ok_or_else(|| format!("peer {peer}'s signalling connection closed"))?;
    // The relay answers a message it cannot pass on with {"error": …}, to the sender.
    if let Ok(serde_json::Value::Object(o)) = serde_json::from_str::<serde_json::Value>(&text)
        && let Some(e) = o.get("error")
    {
        session.signal_problem(to, format!("the signalling server said: {e}"));
        return Ok(());
    }
    let sent_at = sent[to].pop_front().unwrap_or(session.now);
    match Signal::from_json(&text) {
        Ok(sig) => held.push(((sent_at + session.signal_delay()).max(session.now), to, sig)),
        Err(e) => session.signal_problem(to, e),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_are_checked() {
        assert_eq!(check_speed(0.25), Ok(0.25));
        assert_eq!(check_speed(0.0), Ok(0.0));
        assert!(check_speed(11.0).unwrap_err().contains("0 (paused) to 10"));
        assert!(check_speed(f64::NAN).is_err());
        assert!(check_speed(-1.0).is_err());
    }

    #[test]
    fn the_pace_maps_virtual_time_to_the_wall_clock_and_survives_a_speed_change() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut pace = Pace { wall0: t0, virt0: Duration::ZERO, speed: 0.5 };
        assert_eq!(pace.wall_at(ms(100)).unwrap() - t0, ms(200));
        assert_eq!(pace.virtual_at(t0 + ms(100)), ms(50));
        pace.set_speed(0.0, t0 + ms(100));
        assert_eq!(pace.wall_at(ms(100)), None, "paused: never");
        assert_eq!(pace.virtual_at(t0 + ms(600)), ms(50), "paused: the clock stands still");
        pace.set_speed(2.0, t0 + ms(600));
        assert_eq!(pace.virtual_at(t0 + ms(625)), ms(100));
        assert_eq!(pace.wall_at(ms(150)).unwrap() - t0, ms(650));
    }
}
