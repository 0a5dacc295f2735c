//! How long a client waits before reconnecting. Exponential backoff doubles the ceiling with
//! each failed attempt up to a cap; full jitter waits a uniformly random time below it
//! (AWS's "exponential backoff and jitter": sleep = random(0, min(cap, base · 2^attempt))).
//! Without jitter every client that lost the same node waits the same time, and they all come
//! back at once — the thundering herd the lab shows.

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    pub jitter: bool,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { base: Duration::from_millis(100), cap: Duration::from_secs(10), jitter: true }
    }
}

impl Backoff {
    /// The ceiling for attempt `n` (0 = the first retry): min(cap, base · 2^n).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(31));
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The wait before attempt `n`.
    pub fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(attempt);
        if self.jitter { ceiling.mul_f64(rng.random::<f64>()) } else { ceiling }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_ceiling_doubles_up_to_the_cap() {
        let b = Backoff { base: Duration::from_millis(100), cap: Duration::from_secs(1), jitter: false };
        let ms: Vec<u128> = (0..6).map(|n| b.ceiling(n).as_millis()).collect();
        assert_eq!(ms, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(1), "no overflow");
    }

    #[test]
    fn without_jitter_everyone_waits_the_same_with_jitter_the_waits_spread_below_the_ceiling() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let herd = Backoff { jitter: false, ..Backoff::default() };
        assert!((0..100).all(|_| herd.delay(2, &mut rng) == Duration::from_millis(400)));
        let spread = Backoff::default();
        let waits: Vec<Duration> = (0..1000).map(|_| spread.delay(2, &mut rng)).collect();
        assert!(waits.iter().all(|w| *w < Duration::from_millis(400)));
        // A thousand clients over the 400 ms: no 40 ms slot gets more than a fifth of them.
        let mut slots = [0u32; 10];
        for w in &waits {
            slots[(w.as_millis() / 40) as usize] += 1;
        }
        assert!(slots.iter().all(|&n| n > 50 && n < 200), "{slots:?}");
    }
}
