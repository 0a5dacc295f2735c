//! One channel's history. Every publication gets the next offset (1, 2, 3, …); the stream
//! carries an epoch, a random name that changes whenever the history is lost (a broker
//! restart without persistence, the stream deleted), and offsets start again at 1 with it.
//! History keeps at most `size` publications for at most `ttl`; the epoch and the top offset
//! outlive the publications, so a client can be told "your messages were trimmed" apart from
//! "the stream is gone".
//!
//! Recovery answers a client's last position (offset, epoch). It is whole or nothing: the
//! publications after the client's offset up to the top, all of them and in order, or
//! `NotRecovered` with none, and the client must reload its state.

use std::collections::VecDeque;
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// Where a client is in a channel: the last offset it processed, in which epoch.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StreamPosition {
    pub offset: u64,
    pub epoch: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    pub offset: u64,
    pub data: String,
    /// When it was published (the stream's clock).
    #[serde(skip)]
    pub at: Duration,
}

/// How much history a channel keeps, and how much a recovery may replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryLimits {
    /// Publications kept (the oldest are trimmed).
    pub size: usize,
    /// How long a publication is kept.
    pub ttl: Duration,
    /// Most publications one recovery replays; a client that missed more is not recovered.
    pub recovery_max: usize,
}

impl Default for HistoryLimits {
    /// Centrifugo's recovery limit (300); a history of 1,000 publications for 5 minutes.
    fn default() -> Self {
        HistoryLimits { size: 1000, ttl: Duration::from_secs(300), recovery_max: 300 }
    }
}

/// Why a recovery could not be whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NotRecovered {
    #[error("the stream was recreated: epoch {client:?} is gone, the stream is now epoch {now:?}")]
    EpochChanged { client: String, now: String },
    #[error("publications {first_missed}..{oldest_kept} are no longer in the history (trimmed by size or age)")]
    Trimmed { first_missed: u64, oldest_kept: u64 },
    #[error("{missed} publications were missed, more than the {limit} a recovery replays")]
    TooMany { missed: u64, limit: usize },
    #[error("offset {client} is ahead of the stream's top {top}: not a position this stream gave out")]
    AheadOfTop { client: u64, top: u64 },
}

/// The answer to a client that asks to recover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The stream's position now (where the client is once it has processed `publications`).
    pub top: StreamPosition,
    /// `Ok`: exactly the missed publications, oldest first (empty when nothing was missed).
    /// `Err`: nothing was replayed; the client must reload its state.
    pub result: Result<Vec<Publication>, NotRecovered>,
}

impl Recovery {
    pub fn recovered(&self) -> bool {
        self.result.is_ok()
    }
}

/// A fresh epoch: eight random letters, like Centrifugo's.
pub fn new_epoch(rng: &mut impl Rng) -> String {
    (0..8)
        .map(|_| {
            let i = rng.random_range(0..52u8);
            char::from(if i < 26 { b'a' + i } else { b'A' + i - 26 })
        })
        .collect()
}

/// The history of one channel.
#[derive(Debug, Clone)]
pub struct ChannelStream {
    epoch: String,
    top: u64,
    kept: VecDeque<Publication>,
    limits: HistoryLimits,
}

impl ChannelStream {
    pub fn new(epoch: String, limits: HistoryLimits) -> Self {
        ChannelStream { epoch, top: 0, kept: VecDeque::new(), limits }
    }

    pub fn position(&self) -> StreamPosition {
        StreamPosition { offset: self.top, epoch: self.epoch.clone() }
    }

    pub fn limits(&self) -> HistoryLimits {
        self.limits
    }

    /// Publications still kept at `now`, oldest first.
    pub fn kept(&mut self, now: Duration) -> impl Iterator<Item = &Publication> {
        self.trim(now);
        self.kept.iter()
    }

    /// Appends `data` as the next offset.
    pub fn publish(&mut self, data: impl Into<String>, now: Duration) -> Publication {
        self.top += 1;
        let p = Publication { offset: self.top, data: data.into(), at: now };
        self.kept.push_back(p.clone());
        self.trim(now);
        p
    }

    /// The history was lost: a new epoch, offsets from 1 again, nothing kept.
    pub fn recreate(&mut self, epoch: String) {
        self.epoch = epoch;
        self.top = 0;
        self.kept.clear();
    }

    fn trim(&mut self, now: Duration) {
        while self.kept.len() > self.limits.size {
            self.kept.pop_front();
        }
        while self.kept.front().is_some_and(|p| now.saturating_sub(p.at) > self.limits.ttl) {
            self.kept.pop_front();
        }
    }

    /// What a client at `from` missed, whole or not at all.
    pub fn recover(&mut self, from: &StreamPosition, now: Duration) -> Recovery {
        self.trim(now);
        let top = self.position();
        let result = self.replay(from);
        Recovery { top, result }
    }

    fn replay(&self, from: &StreamPosition) -> Result<Vec<Publication>, NotRecovered> {
        let missed = replayable(from, &self.position(), self.limits.recovery_max)?;
        if missed == 0 {
            return Ok(Vec::new());
        }
        let first_missed = from.offset + 1;
        let oldest_kept = self.kept.front().map_or(self.top + 1, |p| p.offset);
        if oldest_kept > first_missed {
            return Err(NotRecovered::Trimmed { first_missed, oldest_kept });
        }
        Ok(self.kept.iter().filter(|p| p.offset >= first_missed).cloned().collect())
    }
}

/// How many publications a client at `from` missed of a stream at `top`, when a recovery may
/// replay them (same epoch, not ahead of the top, no more than `recovery_max`); whether
/// they are still kept is the history's to say. Every history backend asks this first.
pub fn replayable(from: &StreamPosition, top: &StreamPosition, recovery_max: usize) -> Result<u64, NotRecovered> {
    if from.epoch != top.epoch {
        return Err(NotRecovered::EpochChanged { client: from.epoch.clone(), now: top.epoch.clone() });
    }
    if from.offset > top.offset {
        return Err(NotRecovered::AheadOfTop { client: from.offset, top: top.offset });
    }
    let missed = top.offset - from.offset;
    if missed > recovery_max as u64 {
        return Err(NotRecovered::TooMany { missed, limit: recovery_max });
    }
    Ok(missed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn stream(size: usize, ttl: u64, max: usize) -> ChannelStream {
        ChannelStream::new("epochAAA".into(), HistoryLimits { size, ttl: secs(ttl), recovery_max: max })
    }

    fn at(offset: u64) -> StreamPosition {
        StreamPosition { offset, epoch: "epochAAA".into() }
    }

    fn offsets(r: &Recovery) -> Vec<u64> {
        r.result.as_ref().unwrap().iter().map(|p| p.offset).collect()
    }

    #[test]
    fn offsets_count_up_from_one_and_a_recovery_replays_exactly_what_was_missed() {
        let mut s = stream(10, 60, 300);
        for i in 0..5 {
            assert_eq!(s.publish(format!("m{i}"), secs(i)).offset, i + 1);
        }
        assert_eq!(offsets(&s.recover(&at(2), secs(5))), vec![3, 4, 5]);
        let nothing = s.recover(&at(5), secs(5));
        assert!(nothing.recovered() && offsets(&nothing).is_empty());
        assert_eq!(nothing.top, at(5));
    }

    #[test]
    fn trimmed_history_is_not_recovered_and_replays_nothing() {
        let mut s = stream(3, 60, 300);
        for i in 0..6 {
            s.publish("x", secs(i));
        }
        // Kept: 4, 5, 6. A client at 2 missed 3, which is gone.
        assert_eq!(s.recover(&at(2), secs(6)).result, Err(NotRecovered::Trimmed { first_missed: 3, oldest_kept: 4 }));
        assert_eq!(offsets(&s.recover(&at(3), secs(6))), vec![4, 5, 6]);
    }

    #[test]
    fn history_expires_with_age_on_the_streams_clock() {
        let mut s = stream(100, 10, 300);
        s.publish("old", secs(0));
        s.publish("new", secs(8));
        assert_eq!(offsets(&s.recover(&at(0), secs(10))), vec![1, 2]);
        let later = s.recover(&at(0), secs(11));
        assert_eq!(later.result, Err(NotRecovered::Trimmed { first_missed: 1, oldest_kept: 2 }));
        assert_eq!(offsets(&s.recover(&at(1), secs(11))), vec![2]);
        // All expired: the top offset stays, so a client that missed something is told so.
        assert!(matches!(s.recover(&at(1), secs(30)).result, Err(NotRecovered::Trimmed { oldest_kept: 3, .. })));
        assert!(s.recover(&at(2), secs(30)).recovered(), "nothing missed is still recovered");
    }

    #[test]
    fn a_new_epoch_or_too_many_missed_or_a_forged_offset_is_never_replayed() {
        let mut s = stream(1000, 600, 5);
        for _ in 0..10 {
            s.publish("x", secs(1));
        }
        assert_eq!(s.recover(&at(4), secs(1)).result, Err(NotRecovered::TooMany { missed: 6, limit: 5 }));
        assert_eq!(offsets(&s.recover(&at(5), secs(1))), vec![6, 7, 8, 9, 10]);
        assert!(matches!(s.recover(&at(11), secs(1)).result, Err(NotRecovered::AheadOfTop { client: 11, top: 10 })));
        s.recreate("epochBBB".into());
        let r = s.recover(&at(10), secs(2));
        assert!(matches!(r.result, Err(NotRecovered::EpochChanged { .. })), "{r:?}");
        assert_eq!(r.top, StreamPosition { offset: 0, epoch: "epochBBB".into() });
        assert_eq!(s.publish("y", secs(2)).offset, 1, "offsets start again with the epoch");
    }

    #[test]
    fn epochs_are_eight_letters_and_differ() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let (a, b) = (new_epoch(&mut rng), new_epoch(&mut rng));
        assert_eq!(a.len(), 8);
        assert!(a.chars().all(|c| c.is_ascii_alphabetic()));
        assert_ne!(a, b);
    }
}
