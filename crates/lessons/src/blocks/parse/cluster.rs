//! The `cluster` block: what it runs (`check`), its settings checked by the scaling lab's own
//! validation, and either a prediction (`predict` + `metric` + `expected` + `explain`) or a
//! challenge (`challenge` + `goal` + `may_change` + `solution`), never both.

use serde::Deserialize;

use super::Cx;
use crate::blocks::ClusterBlock;
use crate::blocks::cluster::{
    ClusterChallenge, ClusterCheck, ClusterGoal, ClusterPrediction, ClusterRun, ClusterSettings,
};
use crate::problem::unknown_hint;

pub(super) const FIELDS: [&str; 26] = [
    "id",
    "check",
    "caption",
    "mode",
    "nodes",
    "users",
    "clients",
    "messages",
    "rate",
    "kill_node",
    "remove_node",
    "add_node",
    "history",
    "jitter",
    "predict",
    "metric",
    "tolerance",
    "expected",
    "explain",
    "challenge",
    "goal",
    "may_change",
    "solution",
    "hint",
    // Reserved so a misspelling gets a hint rather than a silent default.
    "redis",
    "seed",
];

#[derive(Deserialize)]
struct ClusterRaw {
    id: Option<String>,
    check: Option<String>,
    caption: Option<String>,
    #[serde(flatten)]
    settings: SettingsRaw,
    predict: Option<String>,
    metric: Option<String>,
    tolerance: Option<f64>,
    expected: Option<f64>,
    explain: Option<String>,
    challenge: Option<String>,
    goal: Option<ClusterGoal>,
    may_change: Option<Vec<String>>,
    solution: Option<ClusterSettings>,
    hint: Option<String>,
    redis: Option<toml::Value>,
    seed: Option<toml::Value>,
}

#[derive(Deserialize)]
struct SettingsRaw {
    mode: Option<String>,
    nodes: Option<usize>,
    users: Option<usize>,
    clients: Option<usize>,
    messages: Option<u64>,
    rate: Option<f64>,
    kill_node: Option<usize>,
    remove_node: Option<usize>,
    add_node: Option<bool>,
    history: Option<usize>,
    jitter: Option<bool>,
}

impl Cx<'_, '_, '_> {
    pub(super) fn cluster(&mut self) -> Option<ClusterBlock> {
        let raw: ClusterRaw = self.typed()?;
        let id = self.id(raw.id);
        for (key, set) in [("redis", raw.redis.is_some()), ("seed", raw.seed.is_some())] {
            if set {
                let line = self.src.key_line(key);
                self.problem(
                    line,
                    format!("`{key}` cannot be set in a lesson"),
                    "lessons run in the lab's process with its own seed",
                );
            }
        }
        let check_name = self.text(raw.check, "check")?;
        let Some(check) = ClusterCheck::parse(&check_name) else {
            let line = self.src.key_line("check");
            self.problem(
                line,
                format!("unknown check `{check_name}`"),
                unknown_hint(&check_name, "checks", &ClusterCheck::NAMES),
            );
            return None;
        };
        let settings = self.cluster_settings(raw.settings, check)?;
        let metric_ok = |cx: &mut Self, metric: &str, key: &str| {
            if !check.metrics().contains(&metric) {
                let line = cx.src.key_line(key);
                cx.problem(
                    line,
                    format!("`{metric}` is not a count of a `{check_name}` run"),
                    unknown_hint(metric, "counts", check.metrics()),
                );
            }
        };
        let (prediction, challenge) = match (raw.predict, raw.challenge) {
            (Some(_), Some(_)) => {
                let line = self.src.key_line("challenge");
                self.problem(
                    line,
                    "a cluster block is a prediction or a challenge, not both",
                    "split it into two cluster blocks",
                );
                (None, None)
            }
            (Some(question), None) => {
                let metric = self.text(raw.metric, "metric");
                let expected = self.required(raw.expected, "expected");
                let explain = self.text(raw.explain, "explain");
                if let Some(m) = &metric {
                    metric_ok(self, m, "metric");
                }
                let tolerance = raw.tolerance.unwrap_or(0.0);
                if !(tolerance.is_finite() && tolerance >= 0.0) {
                    let line = self.src.key_line("tolerance");
                    self.problem(
                        line,
                        format!("`tolerance` {tolerance} must be 0 or more"),
                        "the most a right prediction may be off by",
                    );
                }
                let p = match (metric, expected, explain) {
                    (Some(metric), Some(expected), Some(explain)) => {
                        Some(ClusterPrediction { question, metric, tolerance, expected, explain })
                    }
                    _ => None,
                };
                (p, None)
            }
            (None, Some(task)) => {
                let goal = self.required(raw.goal, "goal");
                if let Some(g) = &goal {
                    metric_ok(self, &g.metric, "goal");
                    if g.at_most.is_none() && g.at_least.is_none() {
                        let line = self.src.key_line("goal");
                        self.problem(
                            line,
                            "the goal has no bound",
                            "add at_most or at_least, as in { metric = \"rejected\", at_most = 0 }",
                        );
                    }
                }
                let may_change = self.required(raw.may_change, "may_change").unwrap_or_default();
                for m in &may_change {
                    if !check.settings().contains(&m.as_str()) {
                        let line = self.src.key_line("may_change");
                        self.problem(
                            line,
                            format!("`{m}` cannot be changed"),
                            unknown_hint(m, "settings", check.settings()),
                        );
                    }
                }
                let solution = self.required(raw.solution, "solution");
                if let Some(s) = &solution {
                    for name in s.given() {
                        if !may_change.iter().any(|m| m == name) {
                            let line = self.src.key_line("solution");
                            self.problem(
                                line,
                                format!("the solution changes `{name}`, which `may_change` does not allow"),
                                "add it to may_change, or solve without it",
                            );
                        }
                    }
                }
                let c = match (goal, solution) {
                    (Some(goal), Some(solution)) => {
                        Some(ClusterChallenge { task, goal, may_change, solution, hint: raw.hint })
                    }
                    _ => None,
                };
                (None, c)
            }
            (None, None) => {
                let line = self.src.line;
                self.problem(
                    line,
                    "the cluster block has neither `predict` nor `challenge`",
                    "add `predict = \"…?\"` with `metric`, `expected` and `explain`, or a `challenge`",
                );
                (None, None)
            }
        };
        let block = ClusterBlock { id: id?, check, settings, caption: raw.caption, prediction, challenge };
        // The lab's own validation of what the block (and its solution) would run.
        let runs = [Some(ClusterSettings::default()), block.challenge.as_ref().map(|c| c.solution.clone())];
        for changes in runs.into_iter().flatten() {
            let checked = block.run(&changes).map_err(|e| e.to_string()).and_then(|run| match run {
                ClusterRun::Sessions(r) => rtclab_cluster::sessions::validate(r.nodes, r.users),
                ClusterRun::Kill(r) => r.spec().map(|_| ()),
            });
            if let Err(e) = checked {
                let line = self.src.line;
                self.problem(
                    line,
                    format!("the cluster block's run is refused: {e}"),
                    "keep the settings within the scaling lab's ranges",
                );
            }
        }
        Some(block)
    }

    fn cluster_settings(&mut self, raw: SettingsRaw, check: ClusterCheck) -> Option<ClusterSettings> {
        let mode = match raw.mode {
            None => None,
            Some(m) => match m.parse() {
                Ok(mode) => Some(mode),
                Err(e) => {
                    let line = self.src.key_line("mode");
                    self.problem(line, e, "one of round-robin, sticky-cookie, ip-hash, registry");
                    return None;
                }
            },
        };
        let s = ClusterSettings {
            mode,
            nodes: raw.nodes,
            users: raw.users,
            clients: raw.clients,
            messages: raw.messages,
            rate: raw.rate,
            kill_node: raw.kill_node,
            remove_node: raw.remove_node,
            add_node: raw.add_node,
            history: raw.history,
            jitter: raw.jitter,
        };
        for name in s.given() {
            if !check.settings().contains(&name) {
                let line = self.src.key_line(name);
                self.problem(
                    line,
                    format!("`{name}` is not a setting of a `{}` run", ClusterCheck::NAMES[check as usize]),
                    format!("its settings: {}", check.settings().join(", ")),
                );
            }
        }
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use crate::blocks::parse::tests::parse;
    use crate::blocks::{Block, BlockKind};

    #[test]
    fn cluster_blocks_are_a_prediction_or_a_challenge_on_a_count_of_their_run() {
        let predict = "id = \"p\"\ncheck = \"sessions\"\nmode = \"round-robin\"\nusers = 6\npredict = \"How many?\"\n\
                       metric = \"accepted\"\nexpected = 0\nexplain = \"None.\"\n";
        let (b, problems) = parse(BlockKind::Cluster, predict);
        assert!(problems.is_empty(), "{problems:?}");
        let Some(Block::Cluster(c)) = b else { panic!() };
        assert_eq!(c.prediction.unwrap().expected, 0.0);

        let challenge = "id = \"c\"\ncheck = \"kill\"\nclients = 30\nhistory = 20\nrate = 500\nkill_node = 1\n\
                         challenge = \"Recover everyone.\"\ngoal = { metric = \"not_recovered\", at_most = 0 }\n\
                         may_change = [\"history\"]\nsolution = { history = 1000 }\n";
        let (b, problems) = parse(BlockKind::Cluster, challenge);
        assert!(problems.is_empty(), "{problems:?}");
        let Some(Block::Cluster(c)) = b else { panic!() };
        assert!(c.challenge.unwrap().goal.reached(0.0));

        for (body, says) in [
            (predict.replace("sessions", "party"), "unknown check `party`"),
            (predict.replace("accepted", "moved"), "`moved` is not a count of a `sessions` run"),
            (predict.replace("expected = 0\n", ""), "no `expected`"),
            (predict.replace("users = 6", "users = 6\nclients = 3"), "`clients` is not a setting of a `sessions` run"),
            (predict.replace("users = 6", "users = 900"), "refused"),
            (predict.replace("round-robin", "random"), "unknown load-balancer mode"),
            (format!("{predict}challenge = \"x\"\n"), "not both"),
            (format!("{predict}redis = \"local\"\n"), "cannot be set in a lesson"),
            (challenge.replace("[\"history\"]", "[\"clients\"]"), "which `may_change` does not allow"),
            (challenge.replace("[\"history\"]", "[\"history\", \"seed\"]"), "`seed` cannot be changed"),
            (challenge.replace("at_most = 0 ", ""), "no bound"),
        ] {
            let (b, problems) = parse(BlockKind::Cluster, &body);
            assert!(b.is_none(), "{body}");
            assert!(problems.iter().any(|p| p.message.contains(says)), "{says}: {problems:?}");
        }
    }
}
