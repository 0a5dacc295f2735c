//! Calls run end to end on the simulated internet: the claims the media lessons make, each
//! measured by a real call (real SRTP, RTCP, NACK and PLI through `rtc`).

use std::time::Duration;

use rtclab_call::report::CallReport;
use rtclab_call::{CallConfig, Topology};
use rtclab_natlab::media::MediaKind;
use rtclab_natlab::nat::NatSpec;

fn call(n: usize, topology: Topology, f: impl FnOnce(&mut CallConfig)) -> CallReport {
    let mut cfg = CallConfig {
        participants: n,
        topology,
        duration: Duration::from_secs(2),
        video_kbps: 500,
        ..Default::default()
    };
    f(&mut cfg);
    rtclab_call::run(&cfg).expect("the call runs")
}

fn mean(r: &CallReport, f: impl Fn(&rtclab_call::report::ParticipantReport) -> f64) -> f64 {
    r.participants.iter().map(f).sum::<f64>() / r.participants.len() as f64
}

fn within(value: f64, expected: f64, name: &str) {
    assert!(
        (0.8 * expected..=1.2 * expected).contains(&value),
        "{name}: measured {value:.0} kbit/s, expected about {expected:.0}"
    );
}

#[test]
fn a_mesh_uplink_is_n_minus_1_streams_and_an_sfu_uplink_is_one() {
    for n in [3, 6] {
        let mesh = call(n, Topology::Mesh, |_| {});
        let sfu = call(n, Topology::Sfu, |_| {});
        for r in [&mesh, &sfu] {
            assert_eq!(r.failed_connections, 0, "{:?}", r.paths);
            assert!(r.stream_kbps > 500.0, "one stream is the video and audio plus headers: {}", r.stream_kbps);
        }
        let s = sfu.stream_kbps;
        within(mean(&mesh, |p| p.uplink_kbps), (n - 1) as f64 * s, &format!("mesh uplink, N={n}"));
        within(mean(&sfu, |p| p.uplink_kbps), s, &format!("SFU uplink, N={n}"));
        within(mean(&mesh, |p| p.downlink_kbps), (n - 1) as f64 * s, &format!("mesh downlink, N={n}"));
        within(mean(&sfu, |p| p.downlink_kbps), (n - 1) as f64 * s, &format!("SFU downlink, N={n}"));
        assert_eq!(mesh.participants[0].connections, n - 1);
        assert_eq!(sfu.participants[0].connections, 1);
    }
}

#[test]
fn nack_recovers_five_percent_loss_and_without_it_the_loss_shows() {
    let with = call(2, Topology::Mesh, |c| {
        c.loss = 0.05;
        c.duration = Duration::from_secs(4);
    });
    let without = call(2, Topology::Mesh, |c| {
        c.loss = 0.05;
        c.nack = false;
        c.duration = Duration::from_secs(4);
    });
    assert!(with.totals.video_delivered >= 0.99, "NACK on: {:.4} delivered", with.totals.video_delivered);
    assert!(with.streams.iter().any(|s| s.repaired > 0 && s.nacks > 0), "retransmissions filled gaps");
    assert!(with.events.iter().any(|e| e.kind == "nack"), "NACKs are on the timeline");
    assert!(without.totals.video_delivered < 0.98, "NACK off: {:.4} delivered", without.totals.video_delivered);
    assert!(without.streams.iter().all(|s| s.repaired == 0));
}

#[test]
fn a_keyframe_request_brings_a_keyframe_within_a_round_trip_and_a_frame() {
    let r = call(2, Topology::Mesh, |c| {
        c.loss = 0.03;
        c.nack = false;
        c.keyframe_interval = Duration::from_secs(30);
        c.duration = Duration::from_secs(4);
    });
    let video: Vec<_> = r.streams.iter().filter(|s| s.kind == MediaKind::Video).collect();
    assert!(video.iter().any(|s| s.plis > 0), "losses without NACK ask for keyframes");
    let rtt = video.iter().filter_map(|s| s.rtt_ms).fold(0.0, f64::max);
    assert!((40.0..60.0).contains(&rtt), "RTT from receiver reports: {rtt} ms (two 21 ms crossings)");
    for s in video.iter().filter(|s| s.plis > 0) {
        let wait = s.keyframe_wait_ms.expect("a requested keyframe arrived");
        // The request crosses once, the next frame starts within 1/30 s, the keyframe crosses back.
        assert!(wait <= rtt + 34.0 + 5.0, "PLI → keyframe took {wait:.0} ms (RTT {rtt:.0} ms)");
    }
    assert!(r.events.iter().any(|e| e.kind == "keyframe" && e.summary.contains("PLI")));
}

#[test]
fn the_sfu_forwards_payloads_without_decoding() {
    let r = call(4, Topology::Sfu, |_| {});
    let sfu = r.sfu.as_ref().expect("an SFU call reports its SFU");
    assert!(sfu.forwarded_unchanged);
    assert_eq!(sfu.payload_out, sfu.payload_in * 3, "every byte in goes out to each of the N−1 others");
    assert!(r.streams.iter().all(|s| s.lost == 0));
}

#[test]
fn a_thin_uplink_breaks_the_mesh_first_while_the_sfu_call_holds() {
    let thin = |c: &mut CallConfig| c.thin_uplink_kbps = Some(1500);
    let mesh = call(5, Topology::Mesh, thin);
    let sfu = call(5, Topology::Sfu, thin);
    let from_p1 = |r: &CallReport| {
        let v: Vec<_> = r.streams.iter().filter(|s| s.from == "P1" && s.kind == MediaKind::Video).collect();
        v.iter().map(|s| s.received).sum::<u64>() as f64 / v.iter().map(|s| s.expected).sum::<u64>().max(1) as f64
    };
    assert!(mesh.participants[0].uplink_drops > 0, "four copies do not fit 1.5 Mbit/s");
    assert!(from_p1(&mesh) < 0.8, "P1's video in the mesh: {:.2} delivered", from_p1(&mesh));
    assert_eq!(sfu.participants[0].uplink_drops, 0);
    assert!(from_p1(&sfu) >= 0.99, "P1's video through the SFU: {:.3} delivered", from_p1(&sfu));
}

#[test]
fn symmetric_nats_send_a_one_to_one_call_through_turn() {
    let r = call(2, Topology::Mesh, |c| {
        c.nat = NatSpec::preset("symmetric").unwrap();
        c.turn = true;
    });
    assert_eq!(r.paths, vec!["relay".to_string()]);
    assert!(r.totals.video_delivered > 0.99);
    let without = call(2, Topology::Mesh, |c| c.nat = NatSpec::preset("symmetric").unwrap());
    assert_eq!(without.failed_connections, 1);
    assert!(without.notes.iter().any(|n| n.contains("TURN")));
}

#[test]
fn the_sweep_draws_theory_from_the_stream_it_measured() {
    let base = CallConfig { duration: Duration::from_secs(2), video_kbps: 500, ..Default::default() };
    let sweep = rtclab_call::sweep::sweep(&base, &[2, 4], |_, _| {}).unwrap();
    assert_eq!(sweep.points.len(), 4);
    for p in &sweep.points {
        within(p.uplink_kbps, p.theory_uplink_kbps, &format!("{:?} N={} uplink", p.topology, p.n));
        within(p.downlink_kbps, p.theory_downlink_kbps, &format!("{:?} N={} downlink", p.topology, p.n));
    }
    let mesh4 = sweep.points.iter().find(|p| p.n == 4 && p.topology == Topology::Mesh).unwrap();
    assert!((mesh4.theory_uplink_kbps / sweep.stream_kbps - 3.0).abs() < 1e-9);
}

#[test]
fn simulcast_moves_a_thin_downlink_to_a_lower_layer_and_keeps_its_video_flowing() {
    let thin = |c: &mut CallConfig| {
        c.video_kbps = 800;
        c.thin_downlink_kbps = Some(1500);
        c.duration = Duration::from_secs(8);
    };
    let plain = call(4, Topology::Sfu, thin);
    let layered = call(4, Topology::Sfu, |c| {
        thin(c);
        c.simulcast = true;
    });
    let to_p1 = |r: &CallReport| {
        let v: Vec<_> = r.streams.iter().filter(|s| s.to == "P1" && s.kind == MediaKind::Video).collect();
        v.iter().map(|s| s.received).sum::<u64>() as f64 / v.iter().map(|s| s.expected).sum::<u64>().max(1) as f64
    };
    assert!(to_p1(&plain) < 0.9, "three full streams do not fit 1500 kbit/s: {:.2} delivered", to_p1(&plain));
    assert!(
        to_p1(&layered) > to_p1(&plain) + 0.05,
        "with simulcast P1 gets more of its video: {:.2} vs {:.2}",
        to_p1(&layered),
        to_p1(&plain)
    );
    let switched: Vec<_> = layered.streams.iter().filter(|s| s.to == "P1" && s.layer_switches > 0).collect();
    assert!(!switched.is_empty(), "the SFU switched P1's layers");
    assert!(layered.events.iter().any(|e| e.kind == "layer" && e.summary.contains("now gets")));
    // The others' downlinks are unlimited: they keep the high layer.
    for s in layered.streams.iter().filter(|s| s.to != "P1" && s.kind == MediaKind::Video) {
        assert_eq!(s.layer, Some(rtclab_call::simulcast::Layer::High), "{} → {}", s.from, s.to);
    }
    assert!(layered.sfu.as_ref().unwrap().forwarded_unchanged);
}
