//! Rules: how a question of the decision tree is answered from a workload description.
//!
//! A rule is a string `field op value`, for example `direction == both` or
//! `updates_per_second_per_client > 0.1`. A question's answer is yes when all of its rules
//! hold. Fields are those of [`WorkloadDescription`]; `direction` compares with `==` to
//! `down`, `both` or `peer-to-peer`; the others are numbers compared with `>=`, `<=`,
//! `==`, `<` or `>`.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::blocks::Op;
use crate::tree::{Flow, WorkloadDescription};

/// A field of [`WorkloadDescription`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    UpdatesPerSecondPerClient,
    Direction,
    Clients,
    PayloadBytes,
    AcceptableDelayMs,
}

impl Field {
    pub const ALL: [Field; 5] = [
        Field::UpdatesPerSecondPerClient,
        Field::Direction,
        Field::Clients,
        Field::PayloadBytes,
        Field::AcceptableDelayMs,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::UpdatesPerSecondPerClient => "updates_per_second_per_client",
            Field::Direction => "direction",
            Field::Clients => "clients",
            Field::PayloadBytes => "payload_bytes",
            Field::AcceptableDelayMs => "acceptable_delay_ms",
        }
    }

    /// The field in a learner's words, with its unit.
    pub fn label(self) -> &'static str {
        match self {
            Field::UpdatesPerSecondPerClient => "updates per second per client",
            Field::Direction => "who sends",
            Field::Clients => "clients",
            Field::PayloadBytes => "payload (bytes)",
            Field::AcceptableDelayMs => "acceptable delay (ms)",
        }
    }

    fn number(self, d: &WorkloadDescription) -> f64 {
        match self {
            Field::UpdatesPerSecondPerClient => d.updates_per_second_per_client,
            Field::Clients => f64::from(d.clients),
            Field::PayloadBytes => d.payload_bytes as f64,
            Field::AcceptableDelayMs => d.acceptable_delay_ms as f64,
            Field::Direction => f64::NAN,
        }
    }
}

/// What a rule compares its field with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RuleValue {
    Number(f64),
    Flow(Flow),
}

/// `field op value`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    pub field: Field,
    pub op: Op,
    pub value: RuleValue,
}

impl Rule {
    /// Whether the rule holds for `d`.
    pub fn holds(&self, d: &WorkloadDescription) -> bool {
        match self.value {
            RuleValue::Flow(f) => d.direction == f,
            RuleValue::Number(v) => self.op.holds(self.field.number(d), v),
        }
    }

    /// The rule in words: "acceptable delay (ms) at least 30000", "who sends: down".
    pub fn in_words(&self) -> String {
        match self.value {
            RuleValue::Flow(v) => format!("{} is {}", self.field.label(), v.as_str()),
            RuleValue::Number(v) => format!("{} {} {}", self.field.label(), self.op.in_words(), number(v)),
        }
    }

    /// Why a question was answered as it was, in words: "acceptable delay (ms) is 60000,
    /// at least 30000, so yes"; "who sends is down, not both, so no".
    pub fn why(&self, d: &WorkloadDescription) -> String {
        let held = self.holds(d);
        let answer = if held { "yes" } else { "no" };
        match self.value {
            RuleValue::Flow(v) if held => format!("{} is {}, so {answer}", self.field.label(), v.as_str()),
            RuleValue::Flow(v) => {
                format!("{} is {}, not {}, so {answer}", self.field.label(), self.observed(d), v.as_str())
            }
            RuleValue::Number(_) => {
                let words = self.in_words();
                let wanted = words.strip_prefix(self.field.label()).unwrap_or(&words).trim_start();
                let not = if held { "" } else { "not " };
                format!("{} is {}, {not}{wanted}, so {answer}", self.field.label(), self.observed(d))
            }
        }
    }

    /// The described value of the rule's field, as text.
    pub fn observed(&self, d: &WorkloadDescription) -> String {
        match self.field {
            Field::Direction => d.direction.as_str().to_owned(),
            f => number(f.number(d)),
        }
    }
}

fn number(v: f64) -> String {
    if v == v.trunc() { format!("{v:.0}") } else { format!("{v:.4}").trim_end_matches('0').to_owned() }
}

impl FromStr for Rule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split_whitespace().collect();
        let [field, op, value] = parts[..] else {
            return Err(format!("`{s}` is not `field op value`"));
        };
        let field = Field::ALL
            .into_iter()
            .find(|f| f.name() == field)
            .ok_or_else(|| format!("unknown field `{field}`; use one of {}", Field::ALL.map(Field::name).join(", ")))?;
        let op: Op = op.parse()?;
        let value = if field == Field::Direction {
            if op != Op::Eq {
                return Err("`direction` can only be compared with ==".into());
            }
            RuleValue::Flow(value.parse()?)
        } else {
            RuleValue::Number(
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| format!("`{value}` is not a number"))?,
            )
        };
        Ok(Rule { field, op, value })
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value {
            RuleValue::Flow(v) => write!(f, "{} {} {}", self.field.name(), self.op.symbol(), v.as_str()),
            RuleValue::Number(v) => write!(f, "{} {} {v}", self.field.name(), self.op.symbol()),
        }
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_hold() {
        let d = WorkloadDescription {
            updates_per_second_per_client: 0.5,
            direction: Flow::Down,
            clients: 10,
            payload_bytes: 100,
            acceptable_delay_ms: 1000,
        };
        let r = |s: &str| s.parse::<Rule>().unwrap();
        assert!(r("direction == down").holds(&d));
        assert!(!r("direction == peer-to-peer").holds(&d));
        assert!(r("updates_per_second_per_client > 0.1").holds(&d));
        assert!(!r("acceptable_delay_ms >= 2000").holds(&d));
        assert_eq!(r("updates_per_second_per_client > 0.1").to_string(), "updates_per_second_per_client > 0.1");
        assert_eq!(r("clients >= 2").observed(&d), "10");
        for bad in ["direction > down", "speed > 1", "clients >> 1", "clients > many", "clients >"] {
            assert!(bad.parse::<Rule>().is_err(), "{bad}");
        }
    }
}
