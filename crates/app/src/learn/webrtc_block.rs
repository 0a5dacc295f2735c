//! A lesson's WebRTC-in-practice block: runs its own table or file transfer in the same call
//! and scores the prediction against that run — never against another one.

use rtclab_lessons::blocks::webrtc::measure;

use super::{Attempt, Learn, WebrtcBlockResult, WebrtcBlockRun, mark_done_if_finished, not_found, record_attempt};
use crate::error::LabError;

impl Learn {
    pub fn run_webrtc_block(&self, r: &WebrtcBlockRun) -> Result<WebrtcBlockResult, LabError> {
        if !r.predicted.is_finite() {
            return Err(LabError::BadRequest(format!("the prediction must be a number, got {}", r.predicted)));
        }
        let course = self.lessons.load();
        let l = course.lesson(&r.lesson).ok_or_else(|| not_found(&r.lesson))?;
        let b = l.webrtc_blocks().find(|b| b.id == r.id).ok_or_else(|| not_found(&r.id))?;
        let run = b.run().map_err(LabError::BadRequest)?;
        let p = b.prediction.clone();
        let metric = p.metric.clone();
        let (measured, summary) =
            super::on_own_runtime(
                "the WebRTC run",
                async move { measure(run, &metric).await.map_err(LabError::Internal) },
            )?;
        let right = (r.predicted - measured).abs() <= p.tolerance;
        let key = format!("{}/{}", r.lesson, r.id);
        self.update(|progress| {
            let attempt =
                Attempt { predicted: r.predicted.to_string(), measured: format!("{measured:.2}"), correct: right };
            record_attempt(progress, &key, attempt);
            mark_done_if_finished(progress, l);
        })?;
        Ok(WebrtcBlockResult {
            metric: p.metric,
            measured,
            predicted: r.predicted,
            right,
            tolerance: p.tolerance,
            explain: p.explain,
            summary,
        })
    }
}
