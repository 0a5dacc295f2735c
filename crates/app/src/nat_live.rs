//! A live NAT-lab run: the app's runs at a pace the learner watches. The peers' signalling
//! goes through the lab's real signalling server on loopback, through the tap, so its
//! WebSocket frames are the run's trace on the main timeline (client 0 is peer A's
//! connection, client 1 peer B's); the NAT lab is sent the run so far every few hundred
//! milliseconds, and the scored view when it ends. Stopping uses the lab's `stop_run`.

use rtclab_natlab::paced::{self, Controls, Links, PacedReport};
use rtclab_natlab::session::{Scenario, Session};
use rtclab_natlab::view::{NatRunRequest, NatRunView, run_view};
use rtclab_techniques::signalling::Signalling;
use rtclab_trace::{Actor, EventKind, NewEvent, Recorder};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use ts_rs::TS;

use crate::LabError;
use crate::api::{RunState, RunStatus};
use crate::service::Lab;

/// The experiment name of a live run's trace.
pub const EXPERIMENT: &str = "webrtc";

/// A live run: what to run and at what pace.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NatLiveRequest {
    pub run: NatRunRequest,
    /// 1 = real time, 0.25 = four times slower, 0 = paused; at most 10.
    pub speed: f64,
}

/// A new pace for the live run going on.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NatSpeed {
    pub speed: f64,
}

/// The live run so far, as the NAT lab draws it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NatLive {
    #[ts(type = "number")]
    pub run_id: u64,
    /// `running` while it goes on; then finished, stopped or failed.
    pub state: RunState,
    pub speed: f64,
    /// Virtual milliseconds the run has covered.
    pub at_ms: f64,
    /// The tables so far; while running, `outcome`, `why` and `prediction` are not final
    /// and are not to be shown.
    pub view: Option<NatRunView>,
    pub error: Option<String>,
}

/// Starts a live run in the background; refused (`conflict`) while another run is going.
pub fn start(lab: &Lab, req: &NatLiveRequest) -> Result<NatLive, LabError> {
    let scenario = req.run.scenario().map_err(LabError::BadRequest)?;
    let speed = paced::check_speed(req.speed).map_err(LabError::BadRequest)?;
    let template = RunStatus {
        techniques: vec![EXPERIMENT.into()],
        current: Some(EXPERIMENT.into()),
        phase: "starting the signalling server".into(),
        ..crate::service::idle_status()
    };
    let (run_id, stop, recorder) = lab.begin_run(template)?;
    let (speed_tx, speed_rx) = watch::channel(speed);
    *lab.nat_speed() = Some(speed_tx);
    let live = NatLive { run_id, state: RunState::Running, speed, at_ms: 0.0, view: None, error: None };
    lab.publish_nat(live.clone());
    let lab = lab.clone();
    let predicted = req.run.predicted_direct;
    tokio::spawn(async move {
        let result = run(&lab, run_id, &scenario, predicted, &recorder, speed_rx, stop).await;
        let speed = lab.nat_speed().take().map_or(speed, |s| *s.borrow());
        let (state, at_ms, view, error) = match result {
            Ok((view, stopped)) => {
                (if stopped { RunState::Stopped } else { RunState::Finished }, view.ran_ms, Some(view), None)
            }
            Err(e) => (RunState::Failed, 0.0, None, Some(e)),
        };
        lab.publish_nat(NatLive { run_id, state, speed, at_ms, view, error: error.clone() });
        lab.end_run(state, error);
    });
    Ok(live)
}

/// Changes the pace of the live run going on.
pub fn set_speed(lab: &Lab, req: &NatSpeed) -> Result<NatLive, LabError> {
    let speed = paced::check_speed(req.speed).map_err(LabError::BadRequest)?;
    let guard = lab.nat_speed();
    let Some(tx) = guard.as_ref() else {
        return Err(LabError::Conflict("no live NAT-lab run is going; start one first".into()));
    };
    tx.send_replace(speed);
    drop(guard);
    let mut live = lab.nat_live().ok_or_else(|| LabError::Internal("the live run has no state".into()))?;
    live.speed = speed;
    lab.publish_nat(live.clone());
    Ok(live)
}

async fn run(
    lab: &Lab,
    run_id: u64,
    scenario: &Scenario,
    predicted: Option<bool>,
    recorder: &Recorder,
    speed: watch::Receiver<f64>,
    stop: watch::Receiver<bool>,
) -> Result<(NatRunView, bool), String> {
    let speed_now = speed.clone();
    let mut first = true;
    let done = run_through_relay(scenario, recorder, Controls { speed, stop }, |session| {
        if std::mem::take(&mut first) {
            lab.set_phase("ICE: gathering and checking", 0.1);
        }
        let view = run_view(&session.snapshot(), session.scenario(), None);
        let at_ms = session.now.as_secs_f64() * 1000.0;
        let speed = *speed_now.borrow();
        lab.publish_nat(NatLive { run_id, state: RunState::Running, speed, at_ms, view: Some(view), error: None });
    })
    .await?;
    Ok((run_view(&done.report, scenario, predicted), done.stopped))
}

/// Runs `scenario` paced, its signalling through the lab's relay and a tap recording into
/// `recorder` (the CLI's `webrtc --live` and the app's live runs).
pub async fn run_through_relay(
    scenario: &Scenario,
    recorder: &Recorder,
    controls: Controls,
    progress: impl FnMut(&mut Session),
) -> Result<PacedReport, String> {
    let mut signalling = Signalling::start(recorder, EXPERIMENT).await.map_err(|e| e.to_string())?;
    recorder.record(NewEvent::new(
        &std::sync::Arc::from(EXPERIMENT),
        Actor::Tap,
        EventKind::Note {
            text: format!(
                "NAT lab, live: {} × {}{}; client 0 is peer A's signalling connection, client 1 peer B's; \
                 the relay passes offer, answer and candidates from one to the other",
                scenario.nat_a,
                scenario.nat_b,
                if scenario.turn { ", TURN" } else { "" }
            ),
        },
    ));
    let joined = async {
        let a = signalling.join(0, "call", "A").await?;
        let b = signalling.join(1, "call", "B").await?;
        Ok::<_, rtclab_techniques::Error>((a, b))
    }
    .await;
    let (a, b) = match joined {
        Ok(links) => links,
        Err(e) => {
            signalling.shutdown().await;
            return Err(e.to_string());
        }
    };
    let links = Links { outgoing: [a.outgoing, b.outgoing], incoming: [a.incoming, b.incoming] };
    let result = paced::run(scenario, links, controls, progress).await;
    signalling.shutdown().await;
    result
}
