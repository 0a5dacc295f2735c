//! A lesson's scaling-lab block: runs its own check (the load-balancer check or a node kill)
//! in the same call, and scores the prediction or checks the challenge against that run —
//! never against another one.

use rtclab_lessons::ClusterRun;
use rtclab_lessons::blocks::cluster::{kill_metric, session_metric};

use super::{
    Attempt, ClusterBlockResult, ClusterBlockRun, Learn, challenge_verdict, mark_done_if_finished, not_found,
    record_attempt,
};
use crate::error::LabError;

/// What a block's run measured.
struct Measured {
    lb_check: Option<rtclab_cluster::sessions::SessionCheck>,
    cluster: Option<rtclab_cluster::experiment::ClusterReport>,
}

/// Runs `run` to its end (on a runtime of its own, see [`super::on_own_runtime`]).
fn run_to_end(run: ClusterRun) -> Result<Measured, LabError> {
    super::on_own_runtime("the cluster run", async move {
        match run {
            ClusterRun::Sessions(r) => {
                let backend = rtclab_cluster::backend::BackendSpec::from_url(r.redis.as_deref());
                let check = rtclab_cluster::sessions::check(r.mode, r.nodes, r.users, &backend)
                    .await
                    .map_err(LabError::BadRequest)?;
                Ok(Measured { lb_check: Some(check), cluster: None })
            }
            ClusterRun::Kill(r) => {
                let spec = r.spec().map_err(LabError::BadRequest)?;
                let report = rtclab_cluster::experiment::run(&spec).await.map_err(LabError::BadRequest)?;
                Ok(Measured { lb_check: None, cluster: Some(report) })
            }
        }
    })
}

impl Learn {
    /// Runs a lesson's cluster block — its own settings, or a challenge's allowed changes — and
    /// scores the prediction or checks the challenge against this very run.
    pub fn run_cluster_block(&self, r: &ClusterBlockRun) -> Result<ClusterBlockResult, LabError> {
        let course = self.lessons.load();
        let l = course.lesson(&r.lesson).ok_or_else(|| not_found(&r.lesson))?;
        let b = l.cluster_blocks().find(|b| b.id == r.id).ok_or_else(|| not_found(&r.id))?;
        let predicted = match (&b.prediction, r.predicted) {
            (Some(_), None) => {
                return Err(LabError::BadRequest("make your prediction first: it is scored against this run".into()));
            }
            (Some(_), Some(p)) if !p.is_finite() => {
                return Err(LabError::BadRequest(format!("the prediction must be a number, got {p}")));
            }
            (Some(_), p) => p,
            (None, _) => None,
        };
        let run = b.run(&r.changes).map_err(|e| LabError::BadRequest(e.to_string()))?;
        let measured = run_to_end(run)?;
        let metric = match (&b.prediction, &b.challenge) {
            (Some(p), _) => p.metric.clone(),
            (None, Some(c)) => c.goal.metric.clone(),
            (None, None) => return Err(LabError::Internal(format!("block {} asks nothing", b.id))),
        };
        let (value, summary) = match (&measured.lb_check, &measured.cluster) {
            (Some(c), _) => (
                session_metric(c, &metric),
                format!(
                    "{}: {} of {} WebSockets accepted, {} of {} direct messages delivered",
                    c.mode.name(),
                    c.accepted,
                    c.users,
                    c.direct_delivered,
                    c.direct_sent
                ),
            ),
            (None, Some(k)) => (kill_metric(k, &metric), kill_summary(k)),
            (None, None) => (None, String::new()),
        };
        let value = value.ok_or_else(|| LabError::Internal(format!("the run does not count {metric}")))?;
        let right = b.prediction.as_ref().zip(predicted).map(|(p, guess)| (guess - value).abs() <= p.tolerance);
        let challenge = b.challenge.as_ref().map(|c| {
            challenge_verdict(c.goal.reached(value), c.goal.words(), &format!("{} = {value}", metric.replace('_', " ")))
        });
        let key = format!("{}/{}", r.lesson, r.id);
        self.update(|p| {
            if let (Some(guess), Some(correct)) = (predicted, right) {
                let attempt = Attempt { predicted: guess.to_string(), measured: value.to_string(), correct };
                record_attempt(p, &key, attempt);
            }
            if let Some(c) = &challenge {
                *p.challenges.entry(key.clone()).or_insert(false) |= c.passed;
            }
            mark_done_if_finished(p, l);
        })?;
        Ok(ClusterBlockResult {
            metric,
            measured: value,
            predicted,
            right,
            explain: b.prediction.as_ref().map(|p| p.explain.clone()),
            challenge,
            summary,
            lb_check: measured.lb_check,
            cluster: measured.cluster,
        })
    }
}

/// A cluster run's counts in one line, naming what happened half-way.
fn kill_summary(k: &rtclab_cluster::experiment::ClusterReport) -> String {
    let mut parts = Vec::new();
    match (k.killed_node, k.removed_node) {
        (Some(n), _) => parts.push(format!("{} clients moved off node {n} (killed)", k.moved)),
        (None, Some(n)) => {
            parts.push(format!("{} clients moved off node {n} (removed; {} closed with 1001)", k.moved, k.going_away))
        }
        (None, None) => {}
    }
    if let Some(n) = k.added_node {
        let on = k.connections_after.get(n - 1).copied().unwrap_or(0);
        parts.push(format!("node {n} added, {on} connections on it at the end"));
    }
    parts.push(format!("{} recovered, {} not recovered; {} lost", k.recovered, k.not_recovered, k.lost));
    if k.moved > 0 {
        parts.push(format!("reconnect peak {} per 100 ms", k.reconnect_peak_per_100ms));
    }
    parts.join("; ")
}
