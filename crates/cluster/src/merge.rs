//! A recovering subscription gets two sources at once: the replay from history and the
//! publications that arrive live while the replay is read (buffered from before the read, so
//! none falls between the two). `merge` joins them: in offset order, each offset once, and
//! whole — a gap that neither source covers is an error, never smoothed over, and the client
//! must reconnect and try again (Centrifugo answers it with "insufficient state").

use crate::stream::Publication;

/// The merged publications would skip `missing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("offset {missing} is in neither the replay nor the live buffer")]
pub struct Gap {
    pub missing: u64,
}

/// Joins `replayed` (the history after `from`) with `buffered` (live meanwhile): the
/// publications after `from`, in order, without duplicates and without gaps.
pub fn merge(from: u64, replayed: Vec<Publication>, buffered: Vec<Publication>) -> Result<Vec<Publication>, Gap> {
    let mut all: Vec<Publication> = replayed.into_iter().chain(buffered).filter(|p| p.offset > from).collect();
    all.sort_by_key(|p| p.offset);
    all.dedup_by_key(|p| p.offset);
    match (from + 1..).zip(&all).find(|(expected, p)| p.offset != *expected) {
        Some((missing, _)) => Err(Gap { missing }),
        None => Ok(all),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn pubs(offsets: &[u64]) -> Vec<Publication> {
        offsets.iter().map(|&o| Publication { offset: o, data: format!("m{o}"), at: Duration::ZERO }).collect()
    }

    fn offsets(r: Result<Vec<Publication>, Gap>) -> Result<Vec<u64>, Gap> {
        r.map(|v| v.into_iter().map(|p| p.offset).collect())
    }

    #[test]
    fn overlapping_replay_and_live_become_one_ordered_run() {
        assert_eq!(offsets(merge(3, pubs(&[4, 5, 6]), pubs(&[6, 7, 5, 8]))), Ok(vec![4, 5, 6, 7, 8]));
        assert_eq!(offsets(merge(3, vec![], vec![])), Ok(vec![]));
        assert_eq!(offsets(merge(3, pubs(&[2, 3, 4]), vec![])), Ok(vec![4]), "what the client had is dropped");
    }

    #[test]
    fn a_hole_between_replay_and_live_is_an_error() {
        assert_eq!(offsets(merge(3, pubs(&[4, 5]), pubs(&[7, 8]))), Err(Gap { missing: 6 }));
        assert_eq!(offsets(merge(3, vec![], pubs(&[5]))), Err(Gap { missing: 4 }));
    }
}
