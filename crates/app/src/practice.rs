//! WebRTC in practice: the measured WebSockets-vs-WebRTC table as a background run in the
//! lab's run slot, its signalling and WebSocket frames on the trace (the lab itself is
//! `rtclab-practice`). The report arrives on the status (`webrtc_vs_ws`) when the run ends.

use rtclab_practice::compare::{self, TableRequest};

use crate::LabError;
use crate::api::{RunState, RunStatus};
use crate::service::Lab;

/// The run's name in the status.
pub const NAME: &str = "webrtc-vs-ws";

pub fn start(lab: &Lab, req: &TableRequest) -> Result<RunStatus, LabError> {
    // Checked before the run slot is taken, so a bad request changes nothing.
    let spec = req.check().map_err(LabError::BadRequest)?;
    let template = RunStatus {
        techniques: vec![NAME.into()],
        current: Some(NAME.into()),
        phase: "peer to peer, through TURN, through a WebSocket relay".into(),
        ..crate::service::idle_status()
    };
    let (_, _, recorder) = lab.begin_run(template)?;
    let lab2 = lab.clone();
    tokio::spawn(async move {
        match compare::run(&spec, &recorder, NAME).await {
            Ok(report) => {
                lab2.set_webrtc_vs_ws(report);
                lab2.end_run(RunState::Finished, None);
            }
            Err(e) => lab2.end_run(RunState::Failed, Some(e)),
        }
    });
    Ok(lab.status())
}
