//! WebRTC in practice in the lab's run slot (the lab itself is `rtclab-practice`): the
//! measured WebSockets-vs-WebRTC table and a file transfer as background runs whose reports
//! arrive on the status (`webrtc_vs_ws`, `send_file`), and a browser call that runs until
//! stopped; their signalling and WebSocket frames are the trace.

use rtclab_practice::browser_peer;
use rtclab_practice::compare::{self, TableRequest};

use crate::LabError;
use crate::api::{RunState, RunStatus};
use crate::service::Lab;
use rtclab_trace::Recorder;

/// The run's name in the status.
pub const NAME: &str = "webrtc-vs-ws";
/// A browser call's name in the status.
pub const BROWSER_PEER: &str = "browser-peer";

/// Takes the run slot as `name` (showing `phase`) and runs `work` in the background: what it
/// reports goes on the status with `put` and the run finishes, or its error fails the run.
fn start_in_background<R, F>(
    lab: &Lab,
    name: &str,
    phase: String,
    work: impl FnOnce(Recorder) -> F,
    put: fn(&Lab, R),
) -> Result<RunStatus, LabError>
where
    F: std::future::Future<Output = Result<R, String>> + Send + 'static,
    R: Send + 'static,
{
    let template =
        RunStatus { techniques: vec![name.into()], current: Some(name.into()), phase, ..crate::service::idle_status() };
    let (_, _, recorder) = lab.begin_run(template)?;
    let running = work(recorder);
    let lab2 = lab.clone();
    tokio::spawn(async move {
        match running.await {
            Ok(report) => {
                put(&lab2, report);
                lab2.end_run(RunState::Finished, None);
            }
            Err(e) => lab2.end_run(RunState::Failed, Some(e)),
        }
    });
    Ok(lab.status())
}

pub fn start(lab: &Lab, req: &TableRequest) -> Result<RunStatus, LabError> {
    // Checked before the run slot is taken, so a bad request changes nothing.
    let spec = req.check().map_err(LabError::BadRequest)?;
    let phase = "peer to peer, through TURN, through a WebSocket relay".to_owned();
    start_in_background(
        lab,
        NAME,
        phase,
        |recorder| async move { compare::run(&spec, &recorder, NAME).await },
        Lab::set_webrtc_vs_ws,
    )
}

/// A file transfer's name in the status.
pub const SEND_FILE: &str = "send-file";

/// Sends a generated file over a data channel once per mode, in the background; the report
/// arrives on the status (`send_file`).
pub fn start_send_file(
    lab: &Lab,
    req: &rtclab_practice::file_transfer::SendFileRequest,
) -> Result<RunStatus, LabError> {
    let transfer = req.transfer().map_err(LabError::BadRequest)?;
    let phase = format!("sending {} over a data channel", transfer.name);
    start_in_background(
        lab,
        SEND_FILE,
        phase,
        |recorder| async move { rtclab_practice::file_transfer::run(&transfer, &recorder).await },
        Lab::set_send_file,
    )
}

/// Starts the relay and a Rust peer waiting for the page's offer; it runs until `stop_run`.
/// What the Rust peer sees is on the status (`browser_peer`), the signalling frames on the trace.
pub fn start_browser_peer(lab: &Lab) -> Result<RunStatus, LabError> {
    let template = RunStatus {
        techniques: vec![BROWSER_PEER.into()],
        current: Some(BROWSER_PEER.into()),
        phase: "a Rust peer waits for the browser's offer".into(),
        ..crate::service::idle_status()
    };
    let (_, stop, recorder) = lab.begin_run(template)?;
    let lab2 = lab.clone();
    let (ready_tx, ready) = std::sync::mpsc::channel::<Result<(), String>>();
    tokio::spawn(async move {
        let sent = std::sync::atomic::AtomicBool::new(false);
        let result = browser_peer::run(&recorder, BROWSER_PEER, stop, |view| {
            lab2.set_browser_peer(view.clone());
            if !sent.swap(true, std::sync::atomic::Ordering::Relaxed) {
                let _ = ready_tx.send(Ok(()));
            }
        })
        .await;
        match result {
            Ok(view) => {
                lab2.set_browser_peer(view);
                lab2.end_run(RunState::Stopped, None);
            }
            Err(e) => {
                let _ = ready_tx.send(Err(e.clone()));
                lab2.end_run(RunState::Failed, Some(e));
            }
        }
    });
    // The answer carries the room's URL: wait (briefly) until the Rust peer is in it.
    match ready.recv_timeout(std::time::Duration::from_secs(10)) {
        Ok(Ok(())) => Ok(lab.status()),
        Ok(Err(e)) => Err(LabError::Internal(format!("the Rust peer could not start: {e}"))),
        Err(_) => Err(LabError::Internal("the Rust peer did not join the signalling room within 10 s".into())),
    }
}
