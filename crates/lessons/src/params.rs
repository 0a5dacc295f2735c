//! Workload parameters as lesson files spell them, turned into the engine's [`Workload`].
//!
//! Lessons name parameters in snake case with their unit in the name (`duration_ms`,
//! `poll_interval_ms`); anything omitted takes the lab's default ([`Workload::default`]).
//! Turning parameters into a workload checks them with [`Workload::validate`] and with the
//! course limits below, which keep every lesson run short and light.

use std::time::Duration;

use rtclab_techniques::{Direction, Workload};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Every workload parameter a lesson block may set.
pub const PARAM_NAMES: [&str; 11] = [
    "clients",
    "rate",
    "payload",
    "duration_ms",
    "direction",
    "seed",
    "poll_interval_ms",
    "long_poll_timeout_ms",
    "heartbeat_ms",
    "cut_at_ms",
    "answer_token_delay_ms",
];

/// The parameters that take a number (all but `direction`), which challenges may make editable.
pub const NUMERIC_PARAMS: [&str; 10] = [
    "clients",
    "rate",
    "payload",
    "duration_ms",
    "seed",
    "poll_interval_ms",
    "long_poll_timeout_ms",
    "heartbeat_ms",
    "cut_at_ms",
    "answer_token_delay_ms",
];

/// Most clients a lesson run may use (the engine allows more; a lesson should not).
pub const LESSON_MAX_CLIENTS: u32 = 200;
/// Longest publishing time of a lesson run.
pub const LESSON_MAX_DURATION_MS: u64 = 30_000;

/// Workload parameters of an experiment or challenge; `None` means the lab's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkloadParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<u32>,
    /// Messages per second, in total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Bytes of message body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_interval_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_poll_timeout_ms: Option<u64>,
    /// Server heartbeats: WebSocket pings and SSE keep-alive comments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_ms: Option<u64>,
    /// The tap cuts every connection this long after publishing starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_at_ms: Option<u64>,
    /// SSE clients stream an AI-style answer, this long between tokens, instead of messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_token_delay_ms: Option<u64>,
}

impl WorkloadParams {
    /// The workload these parameters describe, defaults filled in, not yet checked.
    pub fn workload_unchecked(&self) -> Workload {
        let d = Workload::default();
        let ms = Duration::from_millis;
        Workload {
            clients: self.clients.unwrap_or(d.clients),
            rate: self.rate.unwrap_or(d.rate),
            payload: self.payload.unwrap_or(d.payload),
            duration: self.duration_ms.map_or(d.duration, ms),
            direction: self.direction.unwrap_or(d.direction),
            seed: self.seed.unwrap_or(d.seed),
            poll_interval: self.poll_interval_ms.map_or(d.poll_interval, ms),
            long_poll_timeout: self.long_poll_timeout_ms.map_or(d.long_poll_timeout, ms),
            heartbeat: self.heartbeat_ms.map_or(d.heartbeat, ms),
            cut_at: self.cut_at_ms.map(ms).or(d.cut_at),
            answer_token_delay: self.answer_token_delay_ms.map(ms).or(d.answer_token_delay),
        }
    }

    /// The workload, checked by the engine and against the course limits.
    pub fn to_workload(&self) -> Result<Workload> {
        let w = self.workload_unchecked();
        if w.clients == 0 || w.clients > LESSON_MAX_CLIENTS {
            return Err(Error::Workload {
                param: "clients",
                message: format!("{} is out of range for a lesson; use 1 to {LESSON_MAX_CLIENTS}", w.clients),
            });
        }
        w.validate().map_err(from_engine)?;
        if w.duration > Duration::from_millis(LESSON_MAX_DURATION_MS) {
            return Err(Error::Workload {
                param: "duration_ms",
                message: format!(
                    "{} ms is longer than a lesson may run; use at most {LESSON_MAX_DURATION_MS}",
                    w.duration.as_millis()
                ),
            });
        }
        Ok(w)
    }

    /// Whether the parameter `name` is set.
    pub fn is_set(&self, name: &str) -> bool {
        match name {
            "direction" => self.direction.is_some(),
            _ => self.number(name).is_some(),
        }
    }

    /// The value of a numeric parameter, when set.
    pub fn number(&self, name: &str) -> Option<f64> {
        match name {
            "clients" => self.clients.map(f64::from),
            "rate" => self.rate,
            "payload" => self.payload.map(|v| v as f64),
            "duration_ms" => self.duration_ms.map(|v| v as f64),
            "seed" => self.seed.map(|v| v as f64),
            "poll_interval_ms" => self.poll_interval_ms.map(|v| v as f64),
            "long_poll_timeout_ms" => self.long_poll_timeout_ms.map(|v| v as f64),
            "heartbeat_ms" => self.heartbeat_ms.map(|v| v as f64),
            "cut_at_ms" => self.cut_at_ms.map(|v| v as f64),
            "answer_token_delay_ms" => self.answer_token_delay_ms.map(|v| v as f64),
            _ => None,
        }
    }

    /// The value a numeric parameter takes in the workload: the set one or the default.
    pub fn effective_number(&self, name: &str) -> Option<f64> {
        let w = self.workload_unchecked();
        Some(match name {
            "clients" => f64::from(w.clients),
            "rate" => w.rate,
            "payload" => w.payload as f64,
            "duration_ms" => w.duration.as_millis() as f64,
            "seed" => w.seed as f64,
            "poll_interval_ms" => w.poll_interval.as_millis() as f64,
            "long_poll_timeout_ms" => w.long_poll_timeout.as_millis() as f64,
            "heartbeat_ms" => w.heartbeat.as_millis() as f64,
            "cut_at_ms" => w.cut_at?.as_millis() as f64,
            "answer_token_delay_ms" => w.answer_token_delay?.as_millis() as f64,
            _ => return None,
        })
    }

    /// Sets a numeric parameter; every parameter but `rate` is a whole number and is rounded.
    pub fn set_number(&mut self, name: &str, value: f64) -> Result<()> {
        let whole = |v: f64| -> Result<u64> {
            if v.is_finite() && v >= 0.0 && v <= u64::MAX as f64 {
                Ok(v.round() as u64)
            } else {
                Err(Error::Workload { param: static_name(name), message: format!("{v} is not a whole number ≥ 0") })
            }
        };
        match name {
            "clients" => self.clients = Some(u32::try_from(whole(value)?).unwrap_or(u32::MAX)),
            "rate" => self.rate = Some(value),
            "payload" => self.payload = Some(usize::try_from(whole(value)?).unwrap_or(usize::MAX)),
            "duration_ms" => self.duration_ms = Some(whole(value)?),
            "seed" => self.seed = Some(whole(value)?),
            "poll_interval_ms" => self.poll_interval_ms = Some(whole(value)?),
            "long_poll_timeout_ms" => self.long_poll_timeout_ms = Some(whole(value)?),
            "heartbeat_ms" => self.heartbeat_ms = Some(whole(value)?),
            "cut_at_ms" => self.cut_at_ms = Some(whole(value)?),
            "answer_token_delay_ms" => self.answer_token_delay_ms = Some(whole(value)?),
            other => return Err(Error::NotEditable(other.to_owned())),
        }
        Ok(())
    }

    /// Names of the parameters that are set, in [`PARAM_NAMES`] order.
    pub fn set_names(&self) -> Vec<&'static str> {
        PARAM_NAMES.into_iter().filter(|n| self.is_set(n)).collect()
    }

    /// These parameters shortened for a quick run: publishing for at most `max_duration_ms`
    /// with at most `max_clients` (at least 2 when clients send, as the engine requires).
    pub fn shortened(&self, max_duration_ms: u64, max_clients: u32) -> WorkloadParams {
        let w = self.workload_unchecked();
        let floor = if w.direction == Direction::Both { 2 } else { 1 };
        let mut p = self.clone();
        let (full, short) = (w.duration.as_millis() as u64, (w.duration.as_millis() as u64).min(max_duration_ms));
        p.duration_ms = Some(short);
        // A cut keeps its place in the run: halfway stays halfway.
        p.cut_at_ms = self.cut_at_ms.map(|at| (at * short / full.max(1)).max(1));
        p.clients = Some(w.clients.min(max_clients).max(floor));
        p
    }
}

/// The lesson name of a workload parameter from the engine's flag name.
pub fn param_for_flag(flag: &str) -> &'static str {
    match flag {
        "--clients" => "clients",
        "--rate" => "rate",
        "--payload" => "payload",
        "--duration" => "duration_ms",
        "--direction" => "direction",
        "--seed" => "seed",
        "--poll-interval" => "poll_interval_ms",
        "--long-poll-timeout" => "long_poll_timeout_ms",
        "--heartbeat" => "heartbeat_ms",
        "--cut-at" => "cut_at_ms",
        "--answer-token-delay" => "answer_token_delay_ms",
        _ => "workload",
    }
}

fn static_name(name: &str) -> &'static str {
    PARAM_NAMES.into_iter().find(|n| *n == name).unwrap_or("workload")
}

/// An engine workload error, named with the lesson's parameter name.
pub(crate) fn from_engine(e: rtclab_techniques::Error) -> Error {
    match e {
        rtclab_techniques::Error::InvalidWorkload { flag, message } => {
            Error::Workload { param: param_for_flag(flag), message }
        }
        other => Error::Workload { param: "workload", message: other.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn omitted_parameters_take_the_lab_defaults() {
        let p = WorkloadParams { clients: Some(3), poll_interval_ms: Some(250), ..Default::default() };
        let w = p.to_workload().unwrap();
        assert_eq!(w.clients, 3);
        assert_eq!(w.poll_interval, Duration::from_millis(250));
        assert_eq!(w.rate, Workload::default().rate);
        assert_eq!(p.set_names(), vec!["clients", "poll_interval_ms"]);
    }

    #[test]
    fn errors_name_the_lesson_parameter() {
        let bad = |p: WorkloadParams| match p.to_workload() {
            Err(Error::Workload { param, .. }) => param,
            other => panic!("expected a workload error, got {other:?}"),
        };
        assert_eq!(bad(WorkloadParams { clients: Some(0), ..Default::default() }), "clients");
        assert_eq!(bad(WorkloadParams { poll_interval_ms: Some(1), ..Default::default() }), "poll_interval_ms");
        assert_eq!(
            bad(WorkloadParams { long_poll_timeout_ms: Some(10), ..Default::default() }),
            "long_poll_timeout_ms"
        );
        assert_eq!(bad(WorkloadParams { clients: Some(500), ..Default::default() }), "clients");
        assert_eq!(bad(WorkloadParams { duration_ms: Some(60_000), ..Default::default() }), "duration_ms");
    }

    #[test]
    fn set_number_rounds_and_refuses_unknown_names() {
        let mut p = WorkloadParams::default();
        p.set_number("poll_interval_ms", 249.6).unwrap();
        assert_eq!(p.poll_interval_ms, Some(250));
        assert!(p.set_number("direction", 1.0).is_err());
        assert!(p.set_number("clients", -1.0).is_err());
    }

    #[test]
    fn shortening_keeps_two_clients_for_chat() {
        let p = WorkloadParams { direction: Some(Direction::Both), clients: Some(50), ..Default::default() };
        let s = p.shortened(1000, 1);
        assert_eq!(s.clients, Some(2));
        assert_eq!(s.duration_ms, Some(1000));
    }
}
