//! The NAT lab's operations. Thin on purpose: runs, tables and explanations are computed in
//! `rtclab-natlab`; this turns its errors into the lab's `{kind, message}`.

use rtclab_natlab::discover::{Discovery, NatDiscoverRequest, discover};
use rtclab_natlab::matrix::{Matrix, NatMatrixRequest, run_matrix};
use rtclab_natlab::view::{NatCatalog, NatRunRequest, NatRunView, catalog, run_view};

use crate::LabError;

pub fn nat_catalog() -> NatCatalog {
    catalog()
}

pub fn nat_run(req: &NatRunRequest) -> Result<NatRunView, LabError> {
    let scenario = req.scenario().map_err(LabError::BadRequest)?;
    let report = rtclab_natlab::session::run(&scenario).map_err(LabError::Internal)?;
    Ok(run_view(&report, &scenario, req.predicted_direct))
}

/// The learner's network run with trickle ICE and without.
pub fn nat_trickle(req: &NatRunRequest) -> Result<rtclab_natlab::trickle::TrickleComparison, LabError> {
    let scenario = req.scenario().map_err(LabError::BadRequest)?;
    rtclab_natlab::trickle::compare(&scenario).map_err(LabError::Internal)
}

pub fn nat_matrix(req: &NatMatrixRequest) -> Result<Matrix, LabError> {
    let turn: &[bool] = if req.turn_only { &[true] } else { &[false, true] };
    run_matrix(turn, req.seed, |_, _| {}).map_err(LabError::Internal)
}

pub fn nat_discover(req: &NatDiscoverRequest) -> Result<Discovery, LabError> {
    let spec = req.nat.parse().map_err(|e: rtclab_natlab::nat::NatSpecError| LabError::BadRequest(e.to_string()))?;
    Ok(discover(spec, req.seed))
}
