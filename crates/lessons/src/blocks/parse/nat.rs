//! The `nat` block: NATs checked against the NAT lab's own parser (presets and grid points),
//! and either a prediction (`predict` + `explain`) or a challenge (`challenge` + `goal` +
//! `may_change` + `solution`), never both.

use serde::Deserialize;

use super::Cx;
use crate::blocks::{NAT_SETTINGS, NatBlock, NatChallenge, NatGoal, NatSettings};
use crate::problem::unknown_hint;

pub(super) const FIELDS: [&str; 16] = [
    "id",
    "sdp_edit",
    "nat_a",
    "nat_b",
    "turn",
    "latency_ms",
    "loss_percent",
    "seed",
    "caption",
    "predict",
    "explain",
    "challenge",
    "goal",
    "may_change",
    "solution",
    "hint",
];

#[derive(Deserialize)]
struct NatRaw {
    id: Option<String>,
    nat_a: Option<String>,
    nat_b: Option<String>,
    turn: Option<bool>,
    latency_ms: Option<f64>,
    loss_percent: Option<f64>,
    seed: Option<u64>,
    sdp_edit: Option<String>,
    caption: Option<String>,
    predict: Option<String>,
    explain: Option<String>,
    challenge: Option<String>,
    goal: Option<String>,
    may_change: Option<Vec<String>>,
    solution: Option<NatSettings>,
    hint: Option<String>,
}

impl Cx<'_, '_, '_> {
    fn nat_spec(&mut self, value: Option<String>, key: &str) -> Option<String> {
        let v = self.text(value, key)?;
        if let Err(e) = v.parse::<rtclab_natlab::nat::NatSpec>() {
            let line = self.src.key_line(key);
            self.problem(line, format!("`{key}`: {}", e.problem), e.allowed);
            return None;
        }
        Some(v)
    }

    pub(super) fn nat(&mut self) -> Option<NatBlock> {
        let raw: NatRaw = self.typed()?;
        let id = self.id(raw.id);
        let nat_a = self.nat_spec(raw.nat_a, "nat_a");
        let nat_b = self.nat_spec(raw.nat_b, "nat_b");
        let latency_ms = raw.latency_ms.unwrap_or(20.0);
        if !(0.0..=1000.0).contains(&latency_ms) {
            let line = self.src.key_line("latency_ms");
            self.problem(
                line,
                format!("`latency_ms` {latency_ms} is out of range"),
                "use 0 to 1000 (milliseconds, one way)",
            );
        }
        let sdp_edit = match raw.sdp_edit.map(|e| e.parse::<rtclab_natlab::sdp_edit::SdpEdit>()) {
            Some(Err(e)) => {
                let line = self.src.key_line("sdp_edit");
                let names: Vec<&str> = rtclab_natlab::sdp_edit::ALL.iter().map(|e| e.name()).collect();
                self.problem(line, format!("`sdp_edit`: {e}"), format!("use one of {}", names.join(", ")));
                None
            }
            Some(Ok(e)) => Some(e),
            None => None,
        };
        let loss_percent = raw.loss_percent.unwrap_or(0.0);
        if !(0.0..=50.0).contains(&loss_percent) {
            let line = self.src.key_line("loss_percent");
            self.problem(line, format!("`loss_percent` {loss_percent} is out of range"), "use 0 to 50");
        }
        let challenge = match (raw.predict.is_some(), raw.challenge) {
            (true, Some(_)) => {
                let line = self.src.key_line("challenge");
                self.problem(
                    line,
                    "a nat block is a prediction or a challenge, not both",
                    "split it into two nat blocks",
                );
                None
            }
            (true, None) => {
                self.text(raw.explain.clone(), "explain");
                for key in ["goal", "may_change", "solution"] {
                    if self.fixed_has(key) {
                        let line = self.src.key_line(key);
                        self.problem(
                            line,
                            format!("`{key}` belongs to a challenge"),
                            "remove it, or make the block a challenge",
                        );
                    }
                }
                None
            }
            (false, None) => {
                let line = self.src.line;
                self.problem(
                    line,
                    "the nat block has neither `predict` nor `challenge`",
                    "add `predict = \"Will A and B connect directly?\"` with an `explain`, or a `challenge`",
                );
                None
            }
            (false, Some(task)) => self.nat_challenge(task, raw.goal, raw.may_change, raw.solution, raw.hint),
        };
        Some(NatBlock {
            id: id?,
            nat_a: nat_a?,
            nat_b: nat_b?,
            turn: raw.turn.unwrap_or(false),
            latency_ms,
            loss_percent,
            seed: raw.seed.unwrap_or(1),
            sdp_edit,
            caption: raw.caption,
            predict: raw.predict,
            explain: raw.explain,
            challenge,
        })
    }

    fn nat_challenge(
        &mut self,
        task: String,
        goal: Option<String>,
        may_change: Option<Vec<String>>,
        solution: Option<NatSettings>,
        hint: Option<String>,
    ) -> Option<NatChallenge> {
        let goal_text = self.text(goal, "goal")?;
        let Some(goal) = NatGoal::parse(&goal_text) else {
            let line = self.src.key_line("goal");
            self.problem(
                line,
                format!("unknown goal `{goal_text}`"),
                unknown_hint(&goal_text, "goals", &NatGoal::NAMES),
            );
            return None;
        };
        let may_change = self.required(may_change, "may_change")?;
        for m in &may_change {
            if !NAT_SETTINGS.contains(&m.as_str()) {
                let line = self.src.key_line("may_change");
                self.problem(line, format!("`{m}` cannot be changed"), unknown_hint(m, "settings", &NAT_SETTINGS));
            }
        }
        let solution = self.required(solution, "solution")?;
        for (name, set) in [
            ("nat_a", solution.nat_a.is_some()),
            ("nat_b", solution.nat_b.is_some()),
            ("turn", solution.turn.is_some()),
        ] {
            if set && !may_change.iter().any(|m| m == name) {
                let line = self.src.key_line("solution");
                self.problem(
                    line,
                    format!("the solution changes `{name}`, which `may_change` does not allow"),
                    "add it to may_change, or solve without it",
                );
            }
        }
        for v in [&solution.nat_a, &solution.nat_b].into_iter().flatten() {
            if let Err(e) = v.parse::<rtclab_natlab::nat::NatSpec>() {
                let line = self.src.key_line("solution");
                self.problem(line, format!("the solution's NAT: {}", e.problem), e.allowed);
            }
        }
        Some(NatChallenge { task, goal, may_change, hint, solution })
    }
}

#[cfg(test)]
mod tests {
    use crate::blocks::parse::tests::parse;
    use crate::blocks::{Block, BlockKind, NatGoal};

    #[test]
    fn nat_blocks_are_a_prediction_or_a_challenge_with_nats_the_lab_knows() {
        let predict =
            "id = \"p\"\nnat_a = \"symmetric\"\nnat_b = \"apdm-eif\"\npredict = \"Direct?\"\nexplain = \"e\"\n";
        let (b, problems) = parse(BlockKind::Nat, predict);
        assert!(problems.is_empty(), "{problems:?}");
        let Some(Block::Nat(n)) = b else { panic!() };
        assert_eq!((n.nat_b.as_str(), n.latency_ms, n.turn), ("apdm-eif", 20.0, false));

        let challenge = "id = \"c\"\nnat_a = \"symmetric\"\nnat_b = \"symmetric\"\nchallenge = \"Connect.\"\ngoal = \"connected\"\n\
                         may_change = [\"turn\"]\nsolution = { turn = true }\n";
        let (b, problems) = parse(BlockKind::Nat, challenge);
        assert!(problems.is_empty(), "{problems:?}");
        let Some(Block::Nat(n)) = b else { panic!() };
        assert_eq!(n.challenge.unwrap().goal, NatGoal::Connected);

        for (body, says) in [
            (predict.replace("symmetric", "cone"), "unknown preset `cone`"),
            (predict.replace("explain = \"e\"\n", ""), "no `explain`"),
            (format!("{predict}challenge = \"x\"\n"), "not both"),
            ("id = \"n\"\nnat_a = \"none\"\nnat_b = \"none\"\n".to_string(), "neither `predict` nor `challenge`"),
            (challenge.replace("connected", "fast"), "unknown goal `fast`"),
            (challenge.replace("[\"turn\"]", "[\"latency\"]"), "`latency` cannot be changed"),
            (challenge.replace("{ turn = true }", "{ nat_a = \"full-cone\" }"), "which `may_change` does not allow"),
            (format!("{predict}latency_ms = 5000\n"), "`latency_ms` 5000 is out of range"),
        ] {
            let (b, problems) = parse(BlockKind::Nat, &body);
            assert!(b.is_none(), "{body}");
            assert!(problems.iter().any(|p| p.message.contains(says)), "{says}: {problems:?}");
        }
    }
}
