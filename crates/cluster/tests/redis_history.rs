//! The Redis history gives the same answers as the in-process stream: exactly what was missed,
//! or "trimmed" once the history's size or age has dropped a missed publication — never a part.

use std::time::Duration;

use rtclab_cluster::broker::Broker;
use rtclab_cluster::redis_broker::{RedisBroker, run_prefix};
use rtclab_cluster::redis_server::LocalRedis;
use rtclab_cluster::{HistoryLimits, NotRecovered, StreamPosition};

fn offsets(r: &rtclab_cluster::Recovery) -> Vec<u64> {
    r.result.as_ref().unwrap().iter().map(|p| p.offset).collect()
}

#[tokio::test]
async fn redis_history_replays_exactly_the_missed_and_trims_by_size_and_age() {
    let redis = LocalRedis::start().unwrap();
    let limits = HistoryLimits { size: 3, ttl: Duration::from_millis(400), recovery_max: 300 };
    let b = RedisBroker::connect(&redis.url(), &run_prefix(1), limits, None).await.unwrap();
    for i in 1..=5 {
        b.publish("room", format!("m{i}")).await.unwrap();
    }
    let epoch = b.position("room").await.unwrap().epoch;
    let at = |offset| StreamPosition { offset, epoch: epoch.clone() };
    let r = b.recover("room", &at(2)).await.unwrap();
    assert_eq!((offsets(&r), r.top.offset), (vec![3, 4, 5], 5));
    assert_eq!(r.result.as_ref().unwrap()[0].data, "m3");
    assert_eq!(offsets(&b.recover("room", &at(5)).await.unwrap()), Vec::<u64>::new());
    // Size: only 3 are kept, so a client at 1 missed 2, which is gone.
    let r = b.recover("room", &at(1)).await.unwrap();
    assert_eq!(r.result, Err(NotRecovered::Trimmed { first_missed: 2, oldest_kept: 3 }));
    // A forged offset and a wrong epoch replay nothing.
    assert!(matches!(b.recover("room", &at(9)).await.unwrap().result, Err(NotRecovered::AheadOfTop { .. })));
    let other = StreamPosition { offset: 2, epoch: "xxxxxxxx".into() };
    assert!(matches!(b.recover("room", &other).await.unwrap().result, Err(NotRecovered::EpochChanged { .. })));
    // Age: once the 400 ms have passed (by Redis's clock), nothing missed is kept.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let r = b.recover("room", &at(2)).await.unwrap();
    assert_eq!(r.result, Err(NotRecovered::Trimmed { first_missed: 3, oldest_kept: 6 }));
    assert_eq!(r.top, at(5), "the top and the epoch outlive the publications");
    b.clean_up().await.unwrap();
}
