//! A client's place in one channel while publications arrive live: deliver the next offset,
//! skip one already delivered (a replay and the live path may both bring it), and refuse to
//! paper over a gap or a changed epoch — both mean the client must recover.

use crate::stream::{Publication, StreamPosition};

/// What to do with a publication that arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    Deliver,
    /// Already delivered (its offset is not past the position).
    Duplicate,
    /// Offsets `expected..got` never arrived.
    Gap {
        expected: u64,
        got: u64,
    },
    /// The publication is of another epoch: the stream was recreated.
    EpochChanged {
        had: String,
        got: String,
    },
}

/// The last publication a client processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    at: StreamPosition,
}

impl Position {
    pub fn new(at: StreamPosition) -> Self {
        Position { at }
    }

    pub fn get(&self) -> &StreamPosition {
        &self.at
    }

    /// Moves past `from..=to`, which the node said will never come; refused (false) unless
    /// `from` is the next offset of this epoch.
    pub fn skip(&mut self, from: u64, to: u64, epoch: &str) -> bool {
        let next = epoch == self.at.epoch && from == self.at.offset + 1 && to >= from;
        if next {
            self.at.offset = to;
        }
        next
    }

    /// Judges `p` (of `epoch`) and, when it is the next one, moves past it.
    pub fn arrive(&mut self, p: &Publication, epoch: &str) -> Arrival {
        if epoch != self.at.epoch {
            return Arrival::EpochChanged { had: self.at.epoch.clone(), got: epoch.to_owned() };
        }
        let expected = self.at.offset + 1;
        if p.offset < expected {
            Arrival::Duplicate
        } else if p.offset > expected {
            Arrival::Gap { expected, got: p.offset }
        } else {
            self.at.offset = p.offset;
            Arrival::Deliver
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn p(offset: u64) -> Publication {
        Publication { offset, data: String::new(), at: Duration::ZERO }
    }

    #[test]
    fn delivers_in_order_skips_duplicates_and_reports_gaps_and_new_epochs() {
        let mut pos = Position::new(StreamPosition { offset: 2, epoch: "e1".into() });
        assert_eq!(pos.arrive(&p(3), "e1"), Arrival::Deliver);
        assert_eq!(pos.arrive(&p(3), "e1"), Arrival::Duplicate);
        assert_eq!(pos.arrive(&p(1), "e1"), Arrival::Duplicate);
        assert_eq!(pos.arrive(&p(6), "e1"), Arrival::Gap { expected: 4, got: 6 });
        assert_eq!(pos.get().offset, 3, "a gap does not move the position");
        assert!(matches!(pos.arrive(&p(1), "e2"), Arrival::EpochChanged { .. }));
        assert_eq!(pos.arrive(&p(4), "e1"), Arrival::Deliver);
        assert!(!pos.skip(6, 9, "e1"), "a skip must start at the next offset");
        assert!(!pos.skip(5, 9, "e2"));
        assert!(pos.skip(5, 9, "e1"));
        assert_eq!(pos.arrive(&p(10), "e1"), Arrival::Deliver);
    }
}
