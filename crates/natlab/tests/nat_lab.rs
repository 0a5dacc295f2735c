//! The NAT lab end to end: real peers over the simulated internet, checked against theory.

use rtclab_natlab::candidate::CandidateType;
use rtclab_natlab::matrix::run_matrix;
use rtclab_natlab::nat::{Filtering, Mapping, NatSpec};
use rtclab_natlab::net::NetEventKind;
use rtclab_natlab::session::{Outcome, Scenario, SimEventKind, run};
use rtclab_natlab::theory::expected;

fn scenario(a: &str, b: &str, turn: bool) -> Scenario {
    Scenario { nat_a: a.parse().unwrap(), nat_b: b.parse().unwrap(), turn, ..Scenario::default() }
}

#[test]
fn every_preset_pair_connects_as_rfc_4787_predicts_with_and_without_turn_for_two_seeds() {
    let first = run_matrix(&[false, true], 1, |_, _| {}).unwrap();
    for (a, b, turn) in rtclab_natlab::matrix::combinations(&[false, true]) {
        why_is_true_of(&run(&scenario(a, b, turn)).unwrap());
    }
    let bad: Vec<String> = first
        .mismatches()
        .map(|r| format!("{} × {} turn={}: expected {:?}, measured {:?}", r.a, r.b, r.turn, r.expected, r.outcome))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert_eq!(first.rows.len(), 72);
    // The matrix is not trivially uniform: every outcome type occurs.
    for o in [Outcome::Host, Outcome::Srflx, Outcome::Prflx, Outcome::Relay, Outcome::Failed] {
        assert!(first.rows.iter().any(|r| r.outcome == o), "{o:?} never occurs");
    }
    let second = run_matrix(&[false, true], 2, |_, _| {}).unwrap();
    let outcomes = |m: &rtclab_natlab::matrix::Matrix| m.rows.iter().map(|r| r.outcome).collect::<Vec<_>>();
    assert_eq!(outcomes(&first), outcomes(&second), "another seed, the same outcomes");
}

#[test]
fn every_grid_point_pair_connects_as_theory_predicts() {
    let grid: Vec<NatSpec> = Mapping::ALL
        .iter()
        .flat_map(|m| Filtering::ALL.iter().map(move |f| format!("{}-{}", m.short(), f.short()).parse().unwrap()))
        .collect();
    for a in &grid {
        for b in &grid {
            let r = run(&Scenario { nat_a: *a, nat_b: *b, ..Scenario::default() }).unwrap();
            assert_eq!(r.outcome, expected(*a, *b, false), "{a} × {b}");
            why_is_true_of(&r);
        }
    }
}

/// Every sentence of the explanation is backed by the run it explains.
fn why_is_true_of(r: &rtclab_natlab::session::RunReport) {
    let text = format!("{} {} {}", r.why.headline, r.why.reasons.join(" "), r.why.fix.clone().unwrap_or_default());
    let ctx = format!("{} × {}: {text}", r.nat_a, r.nat_b);
    let filter_drops = r.events.iter().any(|e| {
        matches!(&e.kind, SimEventKind::Net { event: NetEventKind::Dropped { at, reason, .. }, .. } if at.starts_with("NAT") && reason.starts_with("filtered"))
    });
    if text.contains("Neither NAT let") || text.contains("filtered (") {
        assert!(filter_drops, "claims filtering drops: {ctx}");
    }
    let prflx_selected = r.peers.iter().any(|p| {
        p.selected.as_ref().is_some_and(|(l, rm)| l.typ == CandidateType::Prflx || rm.typ == CandidateType::Prflx)
    });
    assert_eq!(text.contains("peer-reflexive") && r.outcome.is_direct(), prflx_selected, "{ctx}");
    assert_eq!(r.why.headline.contains("TURN relay"), r.outcome == Outcome::Relay, "{ctx}");
    assert_eq!(r.why.headline.starts_with("Connected"), r.outcome != Outcome::Failed, "{ctx}");
    assert_eq!(r.why.cost.is_some(), r.outcome == Outcome::Relay, "{ctx}");
    if text.contains("add TURN") {
        assert!(!r.turn && r.outcome == Outcome::Failed, "{ctx}");
    }
}

#[test]
fn a_relayed_data_channel_round_trip_works_and_the_turn_server_carried_it() {
    let r = run(&scenario("symmetric", "symmetric", true)).unwrap();
    assert_eq!(r.outcome, Outcome::Relay);
    assert_eq!(r.peers[0].received, ["echo: hello from A"]);
    assert_eq!(r.peers[1].received, ["hello from A"]);
    assert!(r.relayed_bytes > 1000, "DTLS and SCTP crossed the relay: {}", r.relayed_bytes);
    let (local, _) = r.peers[0].selected.clone().unwrap();
    assert_eq!(local.typ, CandidateType::Relay);
    assert!(r.why.cost.as_deref().unwrap().contains("relayed"));
}

#[test]
fn wrong_turn_credentials_show_the_401_and_say_how_to_fix_it() {
    let s = Scenario { turn_password: "guess".into(), ..scenario("symmetric", "symmetric", true) };
    let r = run(&s).unwrap();
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(r.peers[0].problems.iter().any(|p| p.contains("401")), "{:?}", r.peers[0].problems);
    assert!(r.why.reasons.iter().any(|x| x.contains("401 Unauthorized")));
    assert!(r.why.fix.as_deref().unwrap().contains("credentials"));
    let refused = r.events.iter().any(|e| matches!(&e.kind, SimEventKind::Net { event: NetEventKind::ServerNote { note, .. }, .. } if note.starts_with("401")));
    assert!(refused, "the TURN server's 401 is on the timeline");
}

#[test]
fn an_unreachable_stun_server_ends_gathering_and_says_why() {
    // udp-blocked drops the Binding requests: gathering must still end, with the reason.
    let r = run(&scenario("udp-blocked", "none", false)).unwrap();
    assert_eq!(r.outcome, Outcome::Failed);
    let a = &r.peers[0];
    assert!(a.gathering_notes.iter().any(|n| n.contains("did not answer")), "{:?}", a.gathering_notes);
    assert!(r.events.iter().any(|e| matches!(&e.kind, SimEventKind::GatheringDone { peer, .. } if peer == "A")));
    assert!(r.why.reasons.iter().any(|x| x.contains("UDP")));
    assert!(!r.timed_out, "ICE failure is reported, not a hang");
}

#[test]
fn a_failed_pair_explains_the_dropping_rule_and_suggests_turn() {
    let r = run(&scenario("symmetric", "port-restricted", false)).unwrap();
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(r.why.reasons.iter().any(|x| x.contains("filtered (apdf)")), "{:?}", r.why.reasons);
    assert!(r.why.fix.as_deref().unwrap().contains("add TURN"));
}

#[test]
fn the_prflx_path_is_explained_with_the_learned_address() {
    let r = run(&scenario("symmetric", "full-cone", false)).unwrap();
    assert_eq!(r.outcome, Outcome::Prflx);
    let learned =
        r.peers[1].remote_candidates.iter().find(|c| c.typ == CandidateType::Prflx).expect("B learned A's mapping");
    assert!(r.why.reasons.iter().any(|x| x.contains(&learned.addr())), "{:?}", r.why.reasons);
    // A's NAT made a mapping per destination: at least STUN's and B's.
    assert!(r.peers[0].nat_table.len() >= 2);
}

#[test]
fn events_come_in_time_order_and_signalling_precedes_checks() {
    let r = run(&scenario("port-restricted", "port-restricted", false)).unwrap();
    assert!(r.events.windows(2).all(|w| w[0].at_us <= w[1].at_us));
    let first = |f: &dyn Fn(&SimEventKind) -> bool| r.events.iter().position(|e| f(&e.kind)).unwrap();
    let offer = first(&|k| matches!(k, SimEventKind::Signal { summary, .. } if summary.starts_with("offer")));
    let answer = first(&|k| matches!(k, SimEventKind::Signal { summary, .. } if summary.starts_with("answer")));
    let check = first(
        &|k| matches!(k, SimEventKind::Net { event: NetEventKind::Sent { what, .. }, .. } if what.contains("ICE check")),
    );
    let open = first(&|k| matches!(k, SimEventKind::DataChannelOpen { .. }));
    assert!(offer < answer && answer < check && check < open);
    let nominated = r.peers[0].pairs.iter().filter(|p| p.nominated).count();
    assert_eq!(nominated, 1, "{:#?}", r.peers[0].pairs);
}

#[test]
fn non_trickle_puts_the_candidates_in_the_sdp_and_still_connects() {
    let s = Scenario { trickle: false, ..scenario("full-cone", "port-restricted", false) };
    let r = run(&s).unwrap();
    assert_eq!(r.outcome, Outcome::Srflx);
    let offer = r.events.iter().find_map(|e| match &e.kind {
        SimEventKind::Signal { json, summary, .. } if summary.starts_with("offer") => Some(json.clone()),
        _ => None,
    });
    assert!(offer.unwrap().contains("typ srflx"), "the offer carries the srflx candidate");
    assert!(
        !r.events
            .iter()
            .any(|e| matches!(&e.kind, SimEventKind::Signal { summary, .. } if summary.starts_with("candidate")))
    );
}

#[test]
fn loss_and_jitter_are_survived() {
    let s = Scenario {
        link: rtclab_natlab::net::LinkConditions {
            loss: 0.05,
            jitter: std::time::Duration::from_millis(10),
            ..Default::default()
        },
        seed: 4,
        ..scenario("full-cone", "full-cone", false)
    };
    let a = run(&s).unwrap();
    let b = run(&s).unwrap();
    // The loss decisions are seeded, but the stacks' own randomness (DTLS, transaction ids)
    // changes what is sent, so only the structure is compared. With jitter a check can
    // overtake the signalled candidate, which is then first learned as peer-reflexive.
    assert!(a.outcome.is_direct() && b.outcome.is_direct(), "{:?} {:?}", a.outcome, b.outcome);
    let lost = |r: &rtclab_natlab::session::RunReport| {
        r.events
            .iter()
            .filter(|e| matches!(&e.kind, SimEventKind::Net { event: NetEventKind::Lost { .. }, .. }))
            .count()
    };
    assert!(lost(&a) > 0 && lost(&b) > 0);
}
