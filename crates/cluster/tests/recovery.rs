//! The recovery guarantee as a property: whatever was published, trimmed or expired, and
//! wherever a client stopped, a recovery is either exactly the publications after the
//! client's offset up to the top, in order, or nothing at all.

use std::time::Duration;

use proptest::prelude::*;
use rtclab_cluster::merge::merge;
use rtclab_cluster::{ChannelStream, HistoryLimits, StreamPosition};

proptest! {
    #[test]
    fn a_recovery_is_whole_or_empty(
        gaps_ms in proptest::collection::vec(0u64..2_000, 0..60),
        size in 1usize..20,
        ttl_s in 1u64..10,
        recovery_max in 1usize..30,
        client in 0u64..70,
        asked_after_ms in 0u64..10_000,
    ) {
        let limits = HistoryLimits { size, ttl: Duration::from_secs(ttl_s), recovery_max };
        let mut s = ChannelStream::new("e".into(), limits);
        let mut now = Duration::ZERO;
        let mut times = Vec::new();
        for g in &gaps_ms {
            now += Duration::from_millis(*g);
            s.publish("x", now);
            times.push(now);
        }
        let top = gaps_ms.len() as u64;
        let asked = now + Duration::from_millis(asked_after_ms);
        let r = s.recover(&StreamPosition { offset: client, epoch: "e".into() }, asked);
        prop_assert_eq!(r.top.offset, top);
        // An independent model of what must be recoverable: the newest `size`, none older than the TTL.
        let kept = |o: u64| o + size as u64 > top && asked - times[o as usize - 1] <= limits.ttl;
        let oldest_kept = (1..=top).find(|&o| kept(o)).unwrap_or(top + 1);
        let missed = top.saturating_sub(client);
        let should = client <= top && (missed == 0 || (missed <= recovery_max as u64 && oldest_kept <= client + 1));
        prop_assert_eq!(r.result.is_ok(), should, "{:?}", r.result);
        // An error carries no publications: nothing is replayed.
        if let Ok(pubs) = r.result {
            let got: Vec<u64> = pubs.iter().map(|p| p.offset).collect();
            let want: Vec<u64> = (client + 1..=top).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn merging_never_reorders_duplicates_or_hides_a_gap(
        from in 0u64..10,
        replayed in proptest::collection::vec(0u64..30, 0..20),
        buffered in proptest::collection::vec(0u64..30, 0..20),
    ) {
        let pubs = |v: &[u64]| v.iter().map(|&o| rtclab_cluster::Publication { offset: o, data: String::new(), at: Duration::ZERO }).collect::<Vec<_>>();
        let all: std::collections::BTreeSet<u64> = replayed.iter().chain(&buffered).copied().filter(|o| *o > from).collect();
        let whole = all.iter().copied().eq(from + 1..=from + all.len() as u64);
        match merge(from, pubs(&replayed), pubs(&buffered)) {
            Ok(m) => {
                prop_assert!(whole);
                let got: Vec<u64> = m.iter().map(|p| p.offset).collect();
                prop_assert_eq!(got, all.into_iter().collect::<Vec<_>>());
            }
            Err(gap) => {
                prop_assert!(!whole);
                prop_assert!(!all.contains(&gap.missing));
            }
        }
    }
}
