//! The course's NAT blocks against real NAT-lab runs: each prediction's expected answer, as
//! the lesson's explanation gives it, is what the peers do; each explanation names the path
//! that was measured; each challenge fails from its own settings and passes with its solution.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rtclab_lessons::{Course, NatSettings, load_dir};
use rtclab_natlab::session::{Outcome, run};

fn course() -> Course {
    load_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../lessons"))
}

/// What the text of each prediction block says will happen.
fn expected() -> BTreeMap<&'static str, Outcome> {
    BTreeMap::from([
        ("public-meets-cone", Outcome::Srflx),
        ("symmetric-meets-restricted", Outcome::Prflx),
        ("two-port-restricted", Outcome::Srflx),
        ("relay-or-nothing", Outcome::Relay),
        ("no-fingerprint", Outcome::Failed),
        ("wrong-ice-password", Outcome::Failed),
        ("no-candidates", Outcome::Prflx),
        ("flipped-role", Outcome::Failed),
    ])
}

/// Words an explanation of each path must use.
fn names(o: Outcome) -> &'static str {
    match o {
        Outcome::Host => "host",
        Outcome::Srflx => "server-reflexive",
        Outcome::Prflx => "peer-reflexive",
        Outcome::Relay => "relay",
        Outcome::Failed => "fail",
    }
}

fn outcome_of(req: &rtclab_natlab::view::NatRunRequest) -> Outcome {
    let s = req.scenario().unwrap();
    run(&s).unwrap().outcome
}

#[test]
fn nat_predictions_match_the_runs_and_their_explanations_name_the_measured_path() {
    let course = course();
    let expected = expected();
    let mut seen = 0;
    for lesson in &course.lessons {
        for b in lesson.nat_blocks().filter(|b| b.predict.is_some()) {
            let want = *expected
                .get(b.id.as_str())
                .unwrap_or_else(|| panic!("add the expected outcome of `{}` to this test", b.id));
            let got = outcome_of(&b.request(&NatSettings::default()).unwrap());
            assert_eq!(got, want, "{}: the lesson expects {want:?}, the peers did {got:?}", b.id);
            let explain = b.explain.as_deref().unwrap();
            assert!(explain.contains(names(got)), "{}: the explanation should name the {got:?} path: {explain}", b.id);
            let says_yes = explain.starts_with("Yes");
            assert_eq!(says_yes, got.is_direct(), "{}: the explanation's answer contradicts the run", b.id);
            seen += 1;
        }
    }
    assert_eq!(seen, expected.len());
}

#[test]
fn nat_challenges_fail_as_given_and_pass_with_their_solution() {
    let course = course();
    let mut seen = 0;
    for lesson in &course.lessons {
        for b in lesson.nat_blocks() {
            let Some(c) = &b.challenge else { continue };
            let given = outcome_of(&b.request(&NatSettings::default()).unwrap());
            assert!(!c.goal.reached(given), "{}: already solved as given ({given:?})", b.id);
            let solved = outcome_of(&b.request(&c.solution).unwrap());
            assert!(c.goal.reached(solved), "{}: the solution gives {solved:?}", b.id);
            seen += 1;
        }
    }
    assert!(seen >= 4, "every NAT lesson has a challenge");
}

#[test]
fn a_challenge_refuses_settings_it_does_not_allow() {
    let course = course();
    let b = course.lessons.iter().flat_map(|l| l.nat_blocks()).find(|b| b.id == "make-symmetric-connect").unwrap();
    let e = b.request(&NatSettings { nat_a: Some("full-cone".into()), ..Default::default() }).unwrap_err();
    assert!(e.to_string().contains("does not let you change `nat_a`") && e.to_string().contains("turn"), "{e}");
}
