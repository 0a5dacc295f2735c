//! A file over a data channel on loopback UDP: whole and intact on a reliable channel, with
//! and without loss; visibly damaged on a channel that never retransmits, under loss.

use std::sync::Arc;
use std::time::Duration;

use rtclab_practice::file_transfer::{self, ChannelMode, TransferRequest};
use rtclab_trace::Recorder;

fn file(len: usize) -> Arc<[u8]> {
    // Not all zeros, so a reordered or missing chunk changes the hash.
    (0..len).map(|i| (i * 31 % 251) as u8).collect::<Vec<u8>>().into()
}

fn request(loss: f64, modes: Vec<ChannelMode>) -> TransferRequest {
    TransferRequest {
        name: "test.bin".into(),
        data: file(2 * 1024 * 1024 + 123),
        chunk: 16 * 1024,
        latency: Duration::from_millis(5),
        loss,
        rate_bps: None,
        modes,
        seed: 7,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reliable_channel_delivers_the_file_intact_with_and_without_loss() {
    let recorder = Recorder::with_capacity(10_000);
    for loss in [0.0, 0.01] {
        let r = file_transfer::run(&request(loss, vec![ChannelMode::ReliableOrdered]), &recorder).await.unwrap();
        let row = &r.rows[0];
        println!("loss {loss}: {row:?}");
        assert_eq!(row.problem, None);
        assert_eq!(row.chunks_received, row.chunks);
        assert_eq!(row.out_of_order, 0, "an ordered channel delivers in order");
        assert!(row.sha256_matches, "{} vs {}", row.received_sha256, r.sha256);
        assert_eq!(row.bytes_received, r.size);
        assert!(row.throughput_mb_s > 0.0);
        if loss > 0.0 {
            assert!(row.datagrams_dropped > 0, "the link did lose datagrams");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_retransmissions_the_loss_shows_in_the_file() {
    let recorder = Recorder::with_capacity(10_000);
    let r = file_transfer::run(&request(0.02, vec![ChannelMode::Unreliable]), &recorder).await.unwrap();
    let row = &r.rows[0];
    println!("{row:?}\n{:?}", r.notes);
    assert!(row.datagrams_dropped > 0);
    assert!(row.chunks_received < row.chunks, "{} of {}", row.chunks_received, row.chunks);
    assert!(row.chunks_received > 0);
    assert!(!row.sha256_matches);
}
