//! The media lab's operations (the lab itself is `rtclab-call`): one call, and the sweep of N
//! against bandwidth. Calls run in virtual time, so they answer directly.

use rtclab_call::CallReport;
use rtclab_call::request::CallRequest;
use rtclab_call::sweep::Sweep;

use crate::LabError;

/// Call time of each run in a sweep: enough for several reports and a keyframe interval,
/// short enough that fourteen calls answer in seconds.
pub const SWEEP_CALL_SECONDS: f64 = 3.0;

pub fn run_call(req: &CallRequest) -> Result<CallReport, LabError> {
    let cfg = req.config().map_err(LabError::BadRequest)?;
    rtclab_call::run(&cfg).map_err(LabError::Internal)
}

pub fn call_sweep(req: &CallRequest) -> Result<Sweep, LabError> {
    let base = CallRequest { participants: 2, duration_s: req.duration_s.min(SWEEP_CALL_SECONDS), ..req.clone() };
    let cfg = base.config().map_err(LabError::BadRequest)?;
    rtclab_call::sweep::sweep(&cfg, &rtclab_call::sweep::all_sizes(), |_, _| {}).map_err(LabError::Internal)
}
