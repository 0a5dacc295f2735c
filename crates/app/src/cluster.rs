//! The scaling lab's operation: a cluster run in the background, in the lab's run slot, its
//! nodes' frames, the broker's publications and the clients' deliveries on the trace (the
//! lab itself is `rtclab-cluster`). The report arrives on the status when the run ends.

use rtclab_cluster::experiment::{ClusterRunRequest, run_traced};
use rtclab_cluster::sessions::{SessionCheckRequest, check_traced};

use crate::LabError;
use crate::api::{RunState, RunStatus};
use crate::service::Lab;

/// The run's name in the status.
pub const NAME: &str = "cluster";
/// A load-balancer check's name in the status.
pub const LB_CHECK: &str = "lb-check";

pub fn start(lab: &Lab, req: &ClusterRunRequest) -> Result<RunStatus, LabError> {
    let spec = req.spec().map_err(LabError::BadRequest)?;
    let template = RunStatus {
        techniques: vec![NAME.into()],
        current: Some(NAME.into()),
        phase: "starting the nodes".into(),
        ..crate::service::idle_status()
    };
    let (_, stop, recorder) = lab.begin_run(template)?;
    let lab2 = lab.clone();
    tokio::spawn(async move {
        let progress = |phase: &str, share: f64| lab2.set_phase(phase, share);
        let result = run_traced(&spec, Some(&recorder), &progress, Some(stop.clone())).await;
        let stopped = *stop.borrow();
        match result {
            Ok(report) => {
                lab2.set_cluster(report);
                lab2.end_run(if stopped { RunState::Stopped } else { RunState::Finished }, None);
            }
            Err(e) => lab2.end_run(RunState::Failed, Some(e)),
        }
    });
    Ok(lab.status())
}

/// Starts a load-balancer check in the background; its result arrives on the status
/// (`lb_check`), its requests, frames and direct messages on the trace.
pub fn start_lb_check(lab: &Lab, req: &SessionCheckRequest) -> Result<RunStatus, LabError> {
    // Checked before the run slot is taken, so a bad request changes nothing.
    rtclab_cluster::sessions::validate(req.nodes, req.users).map_err(LabError::BadRequest)?;
    let template = RunStatus {
        techniques: vec![LB_CHECK.into()],
        current: Some(LB_CHECK.into()),
        phase: format!("{} users through the {} load balancer", req.users, req.mode.name()),
        ..crate::service::idle_status()
    };
    let (_, _, recorder) = lab.begin_run(template)?;
    let (lab2, req) = (lab.clone(), req.clone());
    tokio::spawn(async move {
        let backend = rtclab_cluster::backend::BackendSpec::from_url(req.redis.as_deref());
        match check_traced(req.mode, req.nodes, req.users, &backend, Some(&recorder)).await {
            Ok(result) => {
                lab2.set_lb_check(result);
                lab2.end_run(RunState::Finished, None);
            }
            Err(e) => lab2.end_run(RunState::Failed, Some(e)),
        }
    });
    Ok(lab.status())
}
