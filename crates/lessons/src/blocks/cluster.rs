//! The `cluster` block: a scaling-lab run — the load-balancer check (`check = "sessions"`) or
//! a cluster with a node killed, removed or added half-way (`check = "kill"`, optionally
//! behind a balancer) — with a prediction of one of its counts or a challenge on one of them.
//! Both are scored against the block's own run.

use serde::{Deserialize, Serialize};

use rtclab_cluster::balancer::LbMode;
use rtclab_cluster::experiment::{ClusterReport, ClusterRunRequest};
use rtclab_cluster::sessions::{SessionCheck, SessionCheckRequest};

use crate::{Error, Result};

/// What a cluster block runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterCheck {
    /// Users log in and open WebSockets through the load balancer, then message each other.
    Sessions,
    /// Clients on a cluster, a publisher, one node killed (or removed, or added) half-way.
    Kill,
}

impl ClusterCheck {
    pub const NAMES: [&'static str; 2] = ["sessions", "kill"];

    pub fn parse(s: &str) -> Option<ClusterCheck> {
        match s {
            "sessions" => Some(ClusterCheck::Sessions),
            "kill" => Some(ClusterCheck::Kill),
            _ => None,
        }
    }

    /// The counts a run of this kind measures, by name.
    pub fn metrics(self) -> &'static [&'static str] {
        match self {
            ClusterCheck::Sessions => &["accepted", "rejected", "direct_delivered", "direct_cross_node"],
            ClusterCheck::Kill => &[
                "moved",
                "recovered",
                "not_recovered",
                "lost",
                "duplicates",
                "delivered",
                "reconnect_peak_per_100ms",
                "going_away",
                "added_node_connections",
            ],
        }
    }

    /// The settings a block of this kind may set.
    pub fn settings(self) -> &'static [&'static str] {
        match self {
            ClusterCheck::Sessions => &["mode", "nodes", "users"],
            ClusterCheck::Kill => &[
                "mode",
                "nodes",
                "clients",
                "messages",
                "rate",
                "kill_node",
                "remove_node",
                "add_node",
                "history",
                "jitter",
            ],
        }
    }
}

/// A cluster run's settings; absent ones take the lab's defaults (or the block's own). The
/// same shape is what a learner's changes to a challenge arrive in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ClusterSettings {
    pub mode: Option<LbMode>,
    pub nodes: Option<usize>,
    pub users: Option<usize>,
    pub clients: Option<usize>,
    #[ts(type = "number | null")]
    pub messages: Option<u64>,
    pub rate: Option<f64>,
    pub kill_node: Option<usize>,
    pub remove_node: Option<usize>,
    pub add_node: Option<bool>,
    pub history: Option<usize>,
    pub jitter: Option<bool>,
}

impl ClusterSettings {
    /// The names of the settings given.
    pub fn given(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut add = |name, set: bool| {
            if set {
                v.push(name);
            }
        };
        add("mode", self.mode.is_some());
        add("nodes", self.nodes.is_some());
        add("users", self.users.is_some());
        add("clients", self.clients.is_some());
        add("messages", self.messages.is_some());
        add("rate", self.rate.is_some());
        add("kill_node", self.kill_node.is_some());
        add("remove_node", self.remove_node.is_some());
        add("add_node", self.add_node.is_some());
        add("history", self.history.is_some());
        add("jitter", self.jitter.is_some());
        v
    }

    /// `self` with `over`'s given settings on top.
    pub fn with(&self, over: &ClusterSettings) -> ClusterSettings {
        ClusterSettings {
            mode: over.mode.or(self.mode),
            nodes: over.nodes.or(self.nodes),
            users: over.users.or(self.users),
            clients: over.clients.or(self.clients),
            messages: over.messages.or(self.messages),
            rate: over.rate.or(self.rate),
            kill_node: over.kill_node.or(self.kill_node),
            remove_node: over.remove_node.or(self.remove_node),
            add_node: over.add_node.or(self.add_node),
            history: over.history.or(self.history),
            jitter: over.jitter.or(self.jitter),
        }
    }
}

/// What a cluster block asks the lab to run.
#[derive(Debug, Clone, PartialEq)]
pub enum ClusterRun {
    Sessions(SessionCheckRequest),
    Kill(ClusterRunRequest),
}

/// A count a challenge must keep at or below a bound, or bring to at least one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterGoal {
    pub metric: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<f64>,
}

impl ClusterGoal {
    pub fn reached(&self, measured: f64) -> bool {
        self.at_most.is_none_or(|m| measured <= m) && self.at_least.is_none_or(|m| measured >= m)
    }

    pub fn words(&self) -> String {
        let name = self.metric.replace('_', " ");
        match (self.at_least, self.at_most) {
            (Some(a), Some(b)) if a == b => format!("{name} = {a}"),
            (Some(a), Some(b)) => format!("{name} between {a} and {b}"),
            (Some(a), None) => format!("{name} ≥ {a}"),
            (None, Some(b)) => format!("{name} ≤ {b}"),
            (None, None) => name,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterPrediction {
    pub question: String,
    /// The count the learner predicts.
    pub metric: String,
    /// How far off a prediction may be and still be right.
    pub tolerance: f64,
    /// What the run measures — the course's tests hold the block to it.
    pub expected: f64,
    /// Shown after the run.
    pub explain: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterChallenge {
    pub task: String,
    pub goal: ClusterGoal,
    pub may_change: Vec<String>,
    pub solution: ClusterSettings,
    pub hint: Option<String>,
}

/// A scaling-lab block of a lesson.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterBlock {
    pub id: String,
    pub check: ClusterCheck,
    pub settings: ClusterSettings,
    pub caption: Option<String>,
    pub prediction: Option<ClusterPrediction>,
    pub challenge: Option<ClusterChallenge>,
}

impl ClusterBlock {
    /// The run this block asks for, with the learner's `changes` where the challenge allows
    /// them; the error says which setting may not change.
    pub fn run(&self, changes: &ClusterSettings) -> Result<ClusterRun> {
        let may: &[String] = self.challenge.as_ref().map_or(&[], |c| &c.may_change);
        for name in changes.given() {
            if !may.iter().any(|m| m == name) {
                let allowed = if may.is_empty() { "none".to_owned() } else { may.join(", ") };
                return Err(Error::Workload {
                    param: "cluster",
                    message: format!("this block does not let you change `{name}`; you may change: {allowed}"),
                });
            }
        }
        let s = self.settings.with(changes);
        Ok(match self.check {
            ClusterCheck::Sessions => ClusterRun::Sessions(SessionCheckRequest {
                mode: s.mode.unwrap_or(LbMode::RoundRobin),
                nodes: s.nodes.unwrap_or(3),
                users: s.users.unwrap_or(6),
                redis: None,
            }),
            ClusterCheck::Kill => {
                let d = ClusterRunRequest::default();
                // A block that scales the cluster kills nothing unless it says so.
                let scales = s.remove_node.is_some() || s.add_node == Some(true);
                ClusterRun::Kill(ClusterRunRequest {
                    nodes: s.nodes.unwrap_or(d.nodes),
                    clients: s.clients.unwrap_or(d.clients),
                    messages: s.messages.unwrap_or(d.messages),
                    rate: s.rate.unwrap_or(d.rate),
                    kill_node: if scales { s.kill_node } else { s.kill_node.or(d.kill_node) },
                    remove_node: s.remove_node,
                    add_node: s.add_node.unwrap_or(false),
                    history: s.history.unwrap_or(d.history),
                    jitter: s.jitter.unwrap_or(d.jitter),
                    seed: d.seed,
                    redis: None,
                    lb: s.mode,
                })
            }
        })
    }

    /// What it runs, in one line.
    pub fn describe(&self) -> String {
        match self.run(&ClusterSettings::default()) {
            Ok(ClusterRun::Sessions(r)) => {
                format!("{} users, {} nodes, load balancer {}", r.users, r.nodes, r.mode.name())
            }
            Ok(ClusterRun::Kill(r)) => {
                let mut half_way = Vec::new();
                if let Some(k) = r.kill_node {
                    half_way.push(format!("node {k} killed"));
                }
                if let Some(k) = r.remove_node {
                    half_way.push(format!("node {k} removed"));
                }
                if r.add_node {
                    half_way.push(format!("node {} added", r.nodes + 1));
                }
                if half_way.is_empty() {
                    half_way.push("no node killed".into());
                }
                format!(
                    "{} clients on {} nodes{}, {} messages at {} msg/s, history {}, {} half-way, reconnect {}",
                    r.clients,
                    r.nodes,
                    r.lb.map(|m| format!(" behind a {} balancer", m.name())).unwrap_or_default(),
                    r.messages,
                    r.rate,
                    r.history,
                    half_way.join(" and "),
                    if r.jitter { "with jitter" } else { "without jitter" }
                )
            }
            Err(e) => e.to_string(),
        }
    }
}

/// The count `metric` of a load-balancer check, if it is one.
pub fn session_metric(r: &SessionCheck, metric: &str) -> Option<f64> {
    Some(match metric {
        "accepted" => r.accepted as f64,
        "rejected" => r.rejected as f64,
        "direct_delivered" => r.direct_delivered as f64,
        "direct_cross_node" => r.direct_cross_node as f64,
        _ => return None,
    })
}

/// The count `metric` of a cluster run, if it is one.
pub fn kill_metric(r: &ClusterReport, metric: &str) -> Option<f64> {
    Some(match metric {
        "moved" => r.moved as f64,
        "recovered" => r.recovered as f64,
        "not_recovered" => r.not_recovered as f64,
        "lost" => r.lost as f64,
        "duplicates" => r.duplicates as f64,
        "delivered" => r.delivered as f64,
        "reconnect_peak_per_100ms" => f64::from(r.reconnect_peak_per_100ms),
        "going_away" => r.going_away as f64,
        "added_node_connections" => {
            f64::from(r.added_node.and_then(|n| r.connections_after.get(n - 1).copied()).unwrap_or(0))
        }
        _ => return None,
    })
}
