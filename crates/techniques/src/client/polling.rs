//! The polling client: ask "anything new since N?" on a fixed interval, whether or not
//! anything happened.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::{Instant, MissedTickBehavior};

use super::ClientCtx;
use super::http::{HttpConn, read_body};
use crate::message::Batch;
use crate::{Error, Result};

/// How a polling or long-polling client forms its requests.
#[derive(Debug, Clone)]
pub struct PollPath {
    /// Path (and query) to request, e.g. `/messages` or a user's own endpoint.
    pub path: String,
    /// Add the lab's `since` parameter and read the lab's JSON batches.
    pub lab_protocol: bool,
}

impl PollPath {
    pub(crate) fn with_since(&self, since: u64, extra: &str) -> String {
        if !self.lab_protocol {
            return self.path.clone();
        }
        let sep = if self.path.contains('?') { '&' } else { '?' };
        format!("{}{sep}since={since}{extra}", self.path)
    }
}

/// Polls every `interval`, the first time after `phase` (clients start spread out, as real
/// ones do).
pub async fn run(ctx: Arc<ClientCtx>, path: PollPath, interval: Duration, phase: Duration) {
    let mut conn = HttpConn::new(ctx.clone());
    let mut since = 0;
    let mut tick = tokio::time::interval_at(Instant::now() + phase, interval);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = ctx.stopped() => break,
        }
        let url = path.with_since(since, "");
        let res = tokio::select! {
            r = fetch(&mut conn, &url, path.lab_protocol) => r,
            _ = ctx.stopped() => break,
        };
        match res {
            Ok(answer) => answer.deliver(&ctx, &mut since),
            Err(e) => ctx.note(format!("poll failed: {e}")),
        }
    }
    conn.close();
}

/// A poll's answer: the batch (`None` for 204, or any body outside the lab protocol) and the
/// trace event of the response that carried it.
pub(crate) struct Answer {
    pub batch: Option<Batch>,
    pub carrier: Option<u64>,
}

impl Answer {
    /// Delivers the batch's messages, each carried by the answer's response, and moves
    /// `since` past them.
    pub(crate) fn deliver(self, ctx: &ClientCtx, since: &mut u64) {
        if let Some(batch) = self.batch {
            for m in &batch.messages {
                ctx.deliver(m, self.carrier);
            }
            *since = batch.next;
        }
    }
}

/// One request and its whole answer.
pub(crate) async fn fetch(conn: &mut HttpConn, path: &str, lab: bool) -> Result<Answer> {
    let resp = conn.send("GET", path, &[("accept", "application/json")], Bytes::new()).await?;
    let status = resp.status();
    let body = read_body(resp).await?;
    let carrier = conn.take_response_carrier();
    let answer = |batch| Ok(Answer { batch, carrier });
    match status.as_u16() {
        204 => answer(None),
        200 if lab => answer(Some(
            serde_json::from_slice(&body)
                .map_err(|e| Error::Client(format!("the server's batch is not valid JSON: {e}")))?,
        )),
        _ if !lab => answer(None),
        s => Err(Error::Client(format!(
            "the server answered {s}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ))),
    }
}
