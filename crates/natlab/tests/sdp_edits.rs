//! Each edit a learner can make to the SDP before it is sent breaks the connection where its
//! line matters, and the explanation names the edit, the place and the evidence from the run.

use rtclab_natlab::sdp_edit::{ALL, SdpEdit};
use rtclab_natlab::session::{Outcome, Scenario, run};

fn with(edit: SdpEdit) -> rtclab_natlab::session::RunReport {
    run(&Scenario { sdp_edit: Some(edit), ..Scenario::default() }).unwrap()
}

#[test]
fn the_unedited_run_connects_so_each_failure_is_the_edits() {
    let r = run(&Scenario::default()).unwrap();
    assert_eq!(r.outcome, Outcome::Host);
    assert!(!r.why.reasons.iter().any(|x| x.starts_with("You ")));
}

#[test]
fn a_missing_fingerprint_is_refused_before_ice_starts() {
    let r = with(SdpEdit::RemoveFingerprint);
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(r.peers[1].problems.iter().any(|p| p.contains("fingerprint")), "{:?}", r.peers[1].problems);
    assert!(r.peers.iter().all(|p| p.pairs.is_empty()), "no check was ever sent");
    assert!(r.why.headline.contains("refused the edited offer"), "{}", r.why.headline);
}

#[test]
fn a_wrong_ice_password_leaves_the_other_sides_checks_unanswered() {
    let r = with(SdpEdit::ChangeIcePwd);
    assert_eq!(r.outcome, Outcome::Failed);
    let got: u64 = r.peers[0].pairs.iter().map(|p| p.requests_received).sum();
    let answered: u64 = r.peers[0].pairs.iter().map(|p| p.responses_sent).sum();
    assert!(got > 0 && answered == 0, "A received {got} checks and answered {answered}");
    assert!(
        r.why.reasons.iter().any(|x| x.contains(&format!("A received {got} of them and answered 0"))),
        "{:?}",
        r.why
    );
}

#[test]
fn without_candidates_ice_still_finds_the_offerer_through_its_checks() {
    let r = with(SdpEdit::DropCandidates);
    assert!(r.outcome.is_direct(), "{:?}", r.outcome);
    assert!(r.peers[1].remote_candidates.iter().all(|c| c.typ.name() == "prflx"), "B learned A only from checks");
    assert!(r.why.reasons.iter().any(|x| x.contains("peer-reflexive")));
}

#[test]
fn a_flipped_setup_role_passes_ice_and_fails_dtls() {
    let r = with(SdpEdit::FlipSetup);
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(r.peers.iter().all(|p| p.pairs.iter().any(|x| x.nominated && x.state == "succeeded")), "ICE worked");
    assert!(r.peers.iter().all(|p| p.connected_ms.is_none()), "DTLS never finished");
    assert!(r.why.headline.contains("DTLS failed"), "{}", r.why.headline);
}

#[test]
fn without_the_data_section_the_offer_has_nothing_to_connect() {
    let r = with(SdpEdit::RemoveDataSection);
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(r.peers[1].problems.iter().any(|p| p.contains("offer was refused")));
    assert!(r.why.reasons.iter().any(|x| x.contains("m=application")));
}

#[test]
fn a_malformed_offer_is_refused_with_its_line_and_the_reason() {
    let r = with(SdpEdit::MalformLine);
    assert_eq!(r.outcome, Outcome::Failed);
    let refusal = r.peers[1].problems.iter().find(|p| p.contains("offer was refused")).expect("refused");
    assert!(
        refusal.contains("SDP line") && refusal.contains("`a mid:0`") && refusal.contains("type letter, `=`"),
        "{refusal}"
    );
    assert!(r.why.headline.contains("refused the edited offer"), "{}", r.why.headline);
}

#[test]
fn every_edit_is_explained_as_the_learners() {
    for edit in ALL {
        let r = with(edit);
        assert!(
            r.why.reasons.iter().any(|x| x.starts_with("You ") && x.contains(edit.words())),
            "{edit:?}: {:?}",
            r.why
        );
    }
}
