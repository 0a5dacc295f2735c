//! `nat-matrix`: every preset pair, with and without TURN, run for real and set beside what
//! theory predicts.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::nat::{NatSpec, PRESETS};
use crate::session::{Outcome, Scenario, run};
use crate::theory::expected;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MatrixRow {
    pub a: String,
    pub b: String,
    pub turn: bool,
    pub expected: Outcome,
    pub outcome: Outcome,
    /// Offer → data channel open on both sides, virtual ms (`null` when it failed).
    pub connect_ms: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Matrix {
    pub rows: Vec<MatrixRow>,
}

impl Matrix {
    pub fn mismatches(&self) -> impl Iterator<Item = &MatrixRow> {
        self.rows.iter().filter(|r| r.expected != r.outcome)
    }
}

/// `nat_matrix`: all runs, or only those with TURN.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NatMatrixRequest {
    #[serde(default)]
    pub turn_only: bool,
    #[serde(default = "one")]
    #[ts(type = "number")]
    pub seed: u64,
}

fn one() -> u64 {
    1
}

/// The (a, b, turn) combinations of a matrix, in the order they run.
pub fn combinations(turn: &[bool]) -> Vec<(&'static str, &'static str, bool)> {
    let mut out = Vec::new();
    for &t in turn {
        for a in PRESETS {
            for b in PRESETS {
                out.push((a, b, t));
            }
        }
    }
    out
}

/// Runs every combination; `progress` is told after each run.
pub fn run_matrix(turn: &[bool], seed: u64, mut progress: impl FnMut(usize, usize)) -> Result<Matrix, String> {
    let combos = combinations(turn);
    let total = combos.len();
    let mut rows = Vec::with_capacity(total);
    for (i, (a, b, t)) in combos.into_iter().enumerate() {
        let (na, nb): (NatSpec, NatSpec) = (a.parse().expect("preset"), b.parse().expect("preset"));
        let report = run(&Scenario { nat_a: na, nat_b: nb, turn: t, seed, ..Scenario::default() })?;
        rows.push(MatrixRow {
            a: a.into(),
            b: b.into(),
            turn: t,
            expected: expected(na, nb, t),
            outcome: report.outcome,
            connect_ms: report.connect_ms,
        });
        progress(i + 1, total);
    }
    Ok(Matrix { rows })
}
